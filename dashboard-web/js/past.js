// past.js — owns past mode (`?at=`): a board, a person or the review shown as it stood at a
// past moment instead of live. The moment read from the URL, the `at` the page's API calls
// carry, the header control that picks a moment ("Xem tại thời điểm…"), the banner that says
// the page is a past view (with "Về trực tiếp"), and the server's refusals of a moment there.
//
// A past page opens no WebSocket: the pages (city.js, unit.js, person.js, review.js) fetch the
// REST views once with `at` instead of starting `Live`. The moment stays in the URL so the view
// can be shared: opening the address shows the same past view. Links from a past board to
// another board or a person carry it (dom.js `href`).

import { t, fmt, onLangChange } from '/js/i18n.js';
import { esc, pageAt, perf, quietly } from '/js/dom.js';
import { api, errorText, serverWords } from '/js/api.js';

/** The moment on screen, as the URL gives it (RFC 3339 or a date); null on a live page. */
export const pastAt = pageAt;
export const isPast = pastAt != null;

// Vietnam keeps no daylight saving: the offset is always +07:00.
const VN_OFFSET_MS = 7 * 3600_000;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** An API path with the page's moment added when the page is a past view. */
export function withAt(path) {
  if (!isPast) return path;
  return `${path}${path.includes('?') ? '&' : '?'}at=${encodeURIComponent(pastAt)}`;
}

/** A moment in ms (a date alone means its end in Vietnam, as the server reads it), or NaN. */
export function momentMs(at) {
  if (DATE_ONLY.test(at || '')) return Date.parse(`${at}T23:59:59+07:00`);
  return Date.parse(at);
}

/**
 * A moment in words: "08:00 ngày 15/11/2026" (seconds only when it has some), a date alone
 * "cuối ngày 15/11/2026"; anything unreadable as given (the server refuses it in its words).
 */
export function momentText(at) {
  if (DATE_ONLY.test(at || '')) return t('past.moment.day_end', { date: fmt.date(`${at}T12:00:00+07:00`) });
  const ms = Date.parse(at);
  if (!Number.isFinite(ms)) return String(at ?? '');
  const time = new Date(ms).getUTCSeconds() ? fmt.timeSec(ms) : fmt.time(ms);
  return t('past.moment', { time, date: fmt.date(ms) });
}

/** "YYYY-MM-DDTHH:MM" in Vietnam's time, what <input type="datetime-local"> holds. */
const toInput = ms => new Date(ms + VN_OFFSET_MS).toISOString().slice(0, 16);
/** The input's value read as Vietnam's time, in RFC 3339 ("…T08:00:00+07:00"). */
const fromInput = v => `${v.length === 16 ? `${v}:00` : v}+07:00`;

/** This page's address with another moment (null: live), other parameters kept. */
function pageUrl(at, extra = {}) {
  const url = new URL(location.href);
  for (const [k, v] of Object.entries(extra)) if (v != null && v !== '' && !url.searchParams.has(k)) url.searchParams.set(k, v);
  if (at == null) url.searchParams.delete('at');
  else url.searchParams.set('at', at);
  return `${url.pathname}${url.search}${url.hash}`;
}

let what = 'board';
let query = () => ({});
let lastError = null;
let serverNow = null; // the server's clock (ms), once asked

/**
 * Sets up the page's past mode, once its nav bar is drawn: the picker in the page header
 * (live and past pages alike) and, on a past page, the banner and the page's outline.
 * `what` words the banner ('board', 'person', 'review'); `query()` gives the parameters a
 * shared address needs (the unit on screen, when the page found it by default).
 */
export function initPast(opts = {}) {
  what = opts.what || 'board';
  query = opts.query || (() => ({}));
  drawPicker();
  if (isPast) {
    document.body.classList.add('past-mode');
    perf.past = { at: pastAt, live: false };
    drawBanner();
  }
  onLangChange(() => {
    drawPicker();
    if (isPast) drawBanner();
  });
}

// ---- the banner -----------------------------------------------------------------------------------

function drawBanner() {
  let el = document.getElementById('past-banner');
  if (!el) {
    el = document.createElement('section');
    el.id = 'past-banner';
    el.className = 'past-banner';
    // Right under the nav bar, above the connection banners (which a past page never shows).
    const nav = document.getElementById('nav');
    if (nav) nav.after(el); else document.body.prepend(el);
  }
  el.dataset.at = pastAt;
  el.innerHTML = `<div class="past-line"><span class="past-mark" aria-hidden="true">◷</span>
      <p data-field="past-text" role="status">${esc(t(`past.banner.${what}`, { moment: momentText(pastAt) }))}</p>
      <a class="past-live" id="past-live" href="${esc(pageUrl(null))}" title="${esc(t('past.live.title'))}">${esc(t('past.live'))}</a></div>
    ${errorHtml(lastError)}`;
}

/** Why the moment cannot be shown, with a way to the earliest kept one when that is why. */
function errorHtml(e) {
  if (!e) return '<p class="past-error" data-field="past-error" role="alert" hidden></p>';
  const begins = e.reason === 'history_missing' && typeof e.params?.begins === 'string' ? e.params.begins : null;
  const earliest = begins ? ` <a href="${esc(pageUrl(begins))}" data-field="past-earliest">${esc(t('past.err.earliest', { moment: momentText(begins) }))}</a>` : '';
  return `<p class="past-error" data-field="past-error" role="alert">${esc(t('past.err', { reason: reasonText(e) }))}${earliest}</p>`;
}

/**
 * The server's words for a refused moment (it words them in the page's language, the moments
 * as RFC 3339: those are put in words), else the page's own sentence for the error.
 */
function reasonText(e) {
  // A route that does not take `at` yet answers 400 naming the parameter (in English).
  if (e?.status === 400 && /'at'/.test(e.message || '')) return t('past.err.not_supported');
  let words = serverWords(e);
  if (!words) return errorText(e);
  for (const v of Object.values(e.params || {})) {
    if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v) && Number.isFinite(Date.parse(v))) words = words.split(v).join(momentText(v));
  }
  return words;
}

/** Shows a refusal of the page's moment (422 `at_future`, `history_missing`, …) in the banner. */
export function showPastError(e) {
  if (!isPast) return;
  lastError = e;
  // Nothing of the moment to show: the page's empty cards would only repeat dashes.
  document.body.classList.add('past-refused');
  drawBanner();
}

// ---- the picker -----------------------------------------------------------------------------------

function drawPicker() {
  const head = document.querySelector('header.page-head');
  if (!head) return;
  let box = document.getElementById('past-pick');
  const open = box && !box.querySelector('form').hidden;
  const value = box?.querySelector('input')?.value;
  if (!box) {
    box = document.createElement('div');
    box.id = 'past-pick';
    box.className = 'past-pick no-print';
    head.append(box);
    box.addEventListener('click', onClick);
    box.addEventListener('submit', onSubmit);
    box.addEventListener('input', echo);
  }
  box.innerHTML = `<button type="button" id="past-open" title="${esc(t('past.pick.title'))}"${open ? ' hidden' : ''}>${esc(t('past.pick'))}</button>
    <form id="past-form" class="past-form" novalidate${open ? '' : ' hidden'}>
      <label for="past-input">${esc(t('past.form.label'))}</label>
      <input type="datetime-local" id="past-input" name="at" step="60" required>
      <output class="past-echo" for="past-input" data-field="past-form-moment"></output>
      <span class="past-buttons"><button type="submit" class="primary">${esc(t('past.form.submit'))}</button>
      <button type="button" data-act="past-cancel">${esc(t('common.cancel'))}</button></span>
      <p class="field-error" data-field="past-form-error" role="alert" hidden></p>
    </form>`;
  const input = box.querySelector('input');
  if (value) input.value = value;
  if (serverNow != null) input.max = toInput(serverNow);
  echo();
}

/**
 * The picked moment in the page's words beside the input: the browser draws the input in its
 * own language and order ("11/10/2026, 09:00 AM" in an English browser), which a Vietnamese
 * reader would take for 11 October.
 */
function echo() {
  const v = document.getElementById('past-input')?.value;
  const out = document.querySelector('[data-field="past-form-moment"]');
  if (out) out.textContent = v ? `= ${momentText(fromInput(v))}` : '';
}

function onClick(e) {
  const box = document.getElementById('past-pick');
  if (e.target.closest('#past-open')) {
    const form = box.querySelector('form');
    form.hidden = false;
    box.querySelector('#past-open').hidden = true;
    const input = form.querySelector('input');
    const at = isPast ? momentMs(pastAt) : NaN;
    if (!input.value && Number.isFinite(at)) input.value = toInput(at);
    echo();
    input.focus();
    // The latest moment there is: the server's clock (a rehearsal's clock may be anywhere).
    quietly(api('/clock').then(c => {
      const now = Date.parse(c?.now);
      if (!Number.isFinite(now)) return;
      serverNow = now;
      input.max = toInput(now);
      if (!input.value) input.value = toInput(now);
      echo();
    }));
  } else if (e.target.closest('[data-act="past-cancel"]')) {
    box.querySelector('form').hidden = true;
    box.querySelector('#past-open').hidden = false;
    setFormError('');
  }
}

function onSubmit(e) {
  e.preventDefault();
  const v = document.getElementById('past-input').value;
  if (!v) return setFormError(t('past.form.empty'));
  const at = fromInput(v);
  if (serverNow != null && Date.parse(at) > serverNow) {
    return setFormError(t('past.form.future', { now: momentText(new Date(serverNow).toISOString()) }));
  }
  setFormError('');
  location.assign(pageUrl(at, query()));
}

function setFormError(text) {
  const p = document.querySelector('[data-field="past-form-error"]');
  if (!p) return;
  p.textContent = text;
  p.hidden = !text;
}
