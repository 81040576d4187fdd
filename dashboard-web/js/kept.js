// kept.js — owns REST lists that survive a dropped link. A list keeps its last answer on screen
// when the server cannot be reached (a refresh that fails, or the page's socket going down),
// greyed and marked with the time of that answer, instead of an error in its place; it is
// asked again as soon as the socket is back (and, while a refresh keeps failing, every 15 s).
// A refusal (403, 404, …) is not an outage: it replaces the list as any error does.

import { t, fmt, onLangChange } from '/js/i18n.js';
import { throttle } from '/js/dom.js';
import { showError, isNetwork } from '/js/api.js';

const RETRY_MS = 15_000;

/** True for a failure that says nothing about the data: the server was not reached. */
const isOutage = e => isNetwork(e) || e?.code === 'unavailable' || e?.status === 502 || e?.status === 503 || e?.status === 504;

/**
 * The time a kept list's data is from, for its note ("Số liệu lúc 10:42:05 — mất kết nối…"),
 * and the `stale` class on `el` while the data may be out of date. `noteEl` shows the note.
 */
export function markKept(el, noteEl, at, stale) {
  if (el) el.classList.toggle('stale', stale);
  if (!noteEl) return;
  const text = stale && at ? t('kept.as_of', { time: fmt.timeSec(at) }) : '';
  if (noteEl.textContent !== text) noteEl.textContent = text;
  noteEl.hidden = !text;
}

/** A note element placed just before `el` (created once). */
export function noteBefore(el) {
  let note = el.previousElementSibling;
  if (note?.dataset.field !== 'kept-as-of') {
    note = document.createElement('p');
    note.className = 'kept-note';
    note.dataset.field = 'kept-as-of';
    note.setAttribute('role', 'status');
    note.hidden = true;
    el.before(note);
  }
  return note;
}

/**
 * A list in `el`, fetched by `load()` and drawn by `draw(data)`; returns `refresh`, throttled
 * to one call per `minGapMs` (never two in flight), with `refresh.now()`. `live` (the page's
 * Live client) tells when the link is down (the list greys) and when it is back (refresh).
 * Redrawn from the kept answer when the language changes.
 */
export function keptList(el, { load, draw, live = null, minGapMs = 5000 }) {
  const note = noteBefore(el);
  let data = null; // the last answer
  let at = null; // when it came
  let failing = false; // the last refresh could not reach the server
  let retry = null;
  let wasDown = false;
  const mark = () => markKept(el, note, at, data != null && (failing || live?.status().downSince != null));
  const run = async () => {
    clearTimeout(retry);
    retry = null;
    try {
      const r = await load();
      data = r;
      at = Date.now();
      failing = false;
      draw(r);
    } catch (e) {
      if (e?.name === 'AbortError') return;
      if (isOutage(e)) {
        failing = true;
        if (data == null) showError(el, e);
        retry = setTimeout(() => refresh(), RETRY_MS);
      } else {
        failing = false;
        data = null;
        showError(el, e);
      }
    }
    mark();
  };
  const refresh = throttle(run, minGapMs);
  live?.onStatus(s => {
    const down = s.downSince != null;
    if (wasDown && s.open) refresh();
    wasDown = down;
    mark();
  });
  onLangChange(() => { if (data != null) draw(data); mark(); });
  return refresh;
}
