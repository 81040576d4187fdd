// rate.js — the public rating form (`/cong-khai/{unit}/danh-gia?dv={service}`): the services
// come from the unit's public board, `?dv=` (the link of a counter's QR code) preselects one;
// 1–5 stars as a radio group; an optional comment (≤ 500 characters, counted as typed) and
// receipt code. The answer: thanks and a link back to the board, or the server's own words next
// to the field it names (at the top without one), announced; what the citizen typed is kept; a
// 429 holds the button for its Retry-After. No personal data: only a random id of this browser.

import {
  t, lang, esc, pageHref, unitFromLocation, applyStaticText, initLangToggle, onLangChange,
} from '/js/public-i18n.js';

const $ = sel => document.querySelector(sel);
const unit = unitFromLocation();
const api = code => `/public/v1/units/${encodeURIComponent(code)}`;
const MAX = 500;
const FIELDS = ['service', 'score', 'comment', 'receipt'];
const DEVICE_KEY = 'ioc.public.device';

const form = $('#rate-form');
const submit = $('#submit');
const result = $('#rate-result');

let board = null;
let sending = false;
let holdUntil = 0;          // a 429's Retry-After, as a time
let holdTimer = null;

function show(id) {
  for (const s of ['loading', 'rate', 'not-found', 'load-error']) {
    const el = document.getElementById(s);
    if (el) el.hidden = s !== id;
  }
}
const ready = () => { document.body.dataset.ready = '1'; };

// ---- the device id: random, made once, kept in this browser ------------------------------------

function randomId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // randomUUID needs a secure context; a server reached over plain http on a LAN has none.
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map(x => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
let memoryDevice = null;
function deviceId() {
  try {
    let id = localStorage.getItem(DEVICE_KEY);
    if (!id) { id = randomId(); localStorage.setItem(DEVICE_KEY, id); }
    return id;
  } catch {
    return (memoryDevice ||= randomId());
  }
}

// ---- loading --------------------------------------------------------------------------------

async function load() {
  show('loading');
  if (!unit) { location.replace(pageHref('/cong-khai')); return; }
  let res;
  try {
    res = await fetch(`${api(unit)}?lang=${lang}`, { headers: { Accept: 'application/json', 'Accept-Language': lang }, cache: 'no-store' });
  } catch { return loadError(); }
  if (res.status === 404) {
    document.title = t('title.not_found');
    show('not-found');
    return ready();
  }
  if (!res.ok) return loadError();
  try { board = await res.json(); } catch { return loadError(); }
  renderForm();
  show('rate');
  ready();
}

function loadError() {
  document.title = t('error.title');
  show('load-error');
  ready();
}

function renderForm() {
  const u = board.unit || {};
  document.title = u.name ? t('title.rate', { unit: u.name }) : t('title.rate.plain');
  const name = $('[data-field="unit-name"]');
  name.textContent = u.parent_name ? `${u.name || ''} – ${u.parent_name}` : (u.name || '');
  $('a[data-link="board"]').setAttribute('href', pageHref(`/cong-khai/${encodeURIComponent(u.id || unit)}`));

  const services = Array.isArray(board.services) ? board.services : [];
  const sel = form.elements.service;
  const keep = sel.value;
  const want = keep || new URLSearchParams(location.search).get('dv') || '';
  sel.innerHTML = `<option value="">${esc(t('rate.service.choose'))}</option>`
    + services.map(s => `<option value="${esc(s.code)}" lang="vi">${esc(s.name)}</option>`).join('');
  if (services.some(s => s.code === want)) sel.value = want;
  else if (services.length === 1) sel.value = services[0].code;
  form.hidden = services.length === 0;
  $('#no-services').hidden = services.length > 0;
  updateCounter(false);
}

// ---- the comment's counter -------------------------------------------------------------------

let lastSpoken = null;
function updateCounter(speak = true) {
  const n = form.elements.comment.value.length;
  $('#counter-comment').textContent = t('rate.counter', { n, max: MAX });
  $('#counter-comment').classList.toggle('near', n >= MAX - 50);
  // Spoken only at a few steps (50 and 10 left, full), never at every key.
  const left = MAX - n;
  const step = left <= 0 ? 'full' : left <= 10 ? 10 : left <= 50 ? 50 : null;
  if (!speak) { lastSpoken = step; return; }
  if (step !== lastSpoken) {
    lastSpoken = step;
    $('#counter-live').textContent = step === 'full' ? t('rate.counter.full', { max: MAX })
      : step ? t('rate.counter.left', { n: left }) : '';
  }
}

// ---- errors -------------------------------------------------------------------------------------

function control(name) {
  return name === 'score' ? form.querySelectorAll('input[name="score"]') : [form.elements[name]];
}

function clearErrors() {
  for (const f of FIELDS) {
    $(`#err-${f}`).textContent = '';
    for (const c of control(f)) c.removeAttribute('aria-invalid');
    $(`#err-${f}`).closest('.field')?.classList.remove('has-error');
  }
  setResult('', '');
}

function fieldError(name, message) {
  const el = $(`#err-${name}`);
  el.textContent = message;
  for (const c of control(name)) c.setAttribute('aria-invalid', 'true');
  el.closest('.field')?.classList.add('has-error');
}

/** The top region: `kind` ok | error | '' (empty). `html` is built from escaped parts. */
function setResult(kind, html) {
  result.classList.remove('ok', 'error');
  if (kind) result.classList.add(kind);
  result.innerHTML = html;
}

function focusField(name) {
  if (name === 'score') {
    const radios = [...control('score')];
    (radios.find(r => r.checked) || radios[0]).focus();
  } else {
    form.elements[name].focus();
  }
}

// ---- sending ------------------------------------------------------------------------------------

function values() {
  const score = form.querySelector('input[name="score"]:checked');
  return {
    service: form.elements.service.value,
    score: score ? Number(score.value) : null,
    comment: form.elements.comment.value.trim(),
    receipt: form.elements.receipt.value.trim(),
  };
}

function validate(v) {
  const errs = [];
  if (!v.service) errs.push(['service', t('rate.err.service')]);
  if (!v.score) errs.push(['score', t('rate.err.score')]);
  if (form.elements.comment.value.length > MAX) errs.push(['comment', t('rate.err.comment', { max: MAX })]);
  return errs;
}

function setSending(on) {
  sending = on;
  const hold = Date.now() < holdUntil;
  const hadFocus = document.activeElement === submit;
  submit.disabled = on || hold;
  submit.textContent = on ? t('rate.sending') : t('rate.submit');
  form.setAttribute('aria-busy', on ? 'true' : 'false');
  // A disabled button drops focus: put it back when it can take it again.
  if (!on && !hold && (hadFocus || document.activeElement === document.body)) submit.focus();
}

async function send(e) {
  e.preventDefault();
  if (sending || Date.now() < holdUntil) return;
  clearErrors();
  const v = values();
  const errs = validate(v);
  if (errs.length) {
    for (const [f, m] of errs) fieldError(f, m);
    setResult('error', `<p>${esc(t('rate.failed.field'))}</p>`);
    focusField(errs[0][0]);
    return;
  }
  const body = { service: v.service, score: v.score, device: deviceId() };
  if (v.comment) body.comment = v.comment;
  if (v.receipt) body.receipt = v.receipt;

  setSending(true);
  let res;
  try {
    res = await fetch(`${api(board.unit?.id || unit)}/ratings`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'Accept-Language': lang },
      body: JSON.stringify(body),
      cache: 'no-store',
    });
  } catch {
    setSending(false);
    setResult('error', `<p>${esc(t('rate.network'))}</p>`);
    result.focus();
    return;
  }
  let json = null;
  try { json = await res.json(); } catch { /* not JSON */ }

  if (res.ok && json && json.accepted) {
    setSending(false);
    thanks(json, Boolean(v.comment));
    return;
  }

  const err = json && json.error ? json.error : null;
  const message = err && typeof err.message === 'string' && err.message ? err.message : t('rate.http', { status: res.status });
  if (res.status === 429) {
    const secs = parseRetryAfter(res.headers.get('Retry-After'));
    if (secs > 0) hold(secs);
  }
  setSending(false);
  // Focus goes where the problem is: the field the server names, else the message at the top
  // (on a phone the top is out of sight when the button is pressed).
  if (err && FIELDS.includes(err.field)) {
    fieldError(err.field, message);
    setResult('error', `<p>${esc(t('rate.failed.field'))}</p>`);
    focusField(err.field);
  } else {
    setResult('error', `<p>${esc(message)}</p>`);
    result.focus();
  }
}

function parseRetryAfter(h) {
  if (!h) return 0;
  const n = Number(h);
  if (Number.isFinite(n)) return Math.max(0, Math.ceil(n));
  const at = Date.parse(h);
  return Number.isFinite(at) ? Math.max(0, Math.ceil((at - Date.now()) / 1000)) : 0;
}

/** Keeps the button off until the Retry-After has passed, counting down beside it. */
function hold(secs) {
  holdUntil = Date.now() + secs * 1000;
  clearInterval(holdTimer);
  const tick = () => {
    const left = Math.ceil((holdUntil - Date.now()) / 1000);
    const el = $('#retry-after');
    if (left > 0) {
      el.textContent = t('rate.retry_after', { n: left });
      submit.disabled = true;
    } else {
      clearInterval(holdTimer);
      holdTimer = null;
      el.textContent = t('rate.retry_now');
      if (!sending) submit.disabled = false;
    }
  };
  tick();
  holdTimer = setInterval(tick, 1000);
}

function thanks(json, hadComment) {
  const boardHref = pageHref(`/cong-khai/${encodeURIComponent(board.unit?.id || unit)}`);
  let html = `<h2>${esc(t('rate.thanks.title'))}</h2>`
    + `<p>${esc(json.message || t('rate.thanks'))}</p>`;
  if (hadComment && json.comment_shown === false) html += `<p>${esc(t('rate.comment_held'))}</p>`;
  html += `<p class="result-links"><a class="btn btn-primary" href="${esc(boardHref)}">${esc(t('rate.to_board'))}</a>`
    + ` <button type="button" class="btn btn-secondary" id="rate-again">${esc(t('rate.again'))}</button></p>`;
  form.hidden = true;
  setResult('ok', html);
  result.focus();
  $('#rate-again').addEventListener('click', again);
}

function again() {
  form.reset();
  clearErrors();
  updateCounter(false);
  form.hidden = false;
  form.elements.service.focus();
}

// ---- start ------------------------------------------------------------------------------------

initLangToggle($('#lang-toggle'));
applyStaticText();
for (const a of document.querySelectorAll('a[data-link="list"], a.site')) a.setAttribute('href', pageHref('/cong-khai'));
form.addEventListener('submit', send);
form.elements.comment.addEventListener('input', () => updateCounter(true));
for (const f of ['service', 'receipt', 'comment']) {
  // A field's own error goes away once the citizen changes it.
  form.elements[f].addEventListener('input', () => {
    if (!$(`#err-${f}`).textContent) return;
    $(`#err-${f}`).textContent = '';
    form.elements[f].removeAttribute('aria-invalid');
    $(`#err-${f}`).closest('.field')?.classList.remove('has-error');
  });
}
form.addEventListener('change', e => {
  if (e.target.name !== 'score' || !$('#err-score').textContent) return;
  $('#err-score').textContent = '';
  for (const r of control('score')) r.removeAttribute('aria-invalid');
  $('#f-score').classList.remove('has-error');
});
$('#retry').addEventListener('click', () => load());

onLangChange(() => {
  for (const a of document.querySelectorAll('a[data-link="list"], a.site')) a.setAttribute('href', pageHref('/cong-khai'));
  if (board && !$('#rate').hidden) {
    renderForm();
    if (!sending) submit.textContent = t('rate.submit');
    if (holdTimer) $('#retry-after').textContent = t('rate.retry_after', { n: Math.max(0, Math.ceil((holdUntil - Date.now()) / 1000)) });
  }
  if (!$('#not-found').hidden) document.title = t('title.not_found');
  if (!$('#load-error').hidden) document.title = t('error.title');
});

load();
