// dom.js — owns what every page does to its document: HTML escaping, the page's query and the
// links between pages (keeping a ?lang= override, and a past board's ?at=), the breadcrumb,
// text and band writes that touch the DOM only when something changed, DOM-write batching into
// animation frames, throttles for REST lists, and the performance record (window.__ioc).
//
// Content-Security-Policy (SECURITY.md) forbids inline style attributes: HTML built here and
// in the pages carries classes and SVG presentation attributes, never style="…".

import { lang } from '/js/i18n.js';

const ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Every string from the server goes through this before it meets innerHTML. */
export const esc = s => (s == null ? '' : String(s).replace(/[&<>"']/g, c => ESC[c]));

export const params = new URLSearchParams(location.search);

/**
 * The past moment the page shows instead of live figures (`?at=`, past mode: past.js), or
 * null on a live page. Read here because links carry it: a `+07:00` typed into an address
 * bar unencoded arrives as a space, which is put back.
 */
export const pageAt = (() => {
  const at = params.get('at')?.trim();
  return at ? at.replace(/ (\d\d:?\d\d)$/, '+$1') : null;
})();
/** The pages that show a past moment: a link from a past board to one of them stays there. */
const AT_PAGES = new Set(['/', '/index.html', '/unit.html', '/person.html']);

/**
 * Builds a page URL keeping the language override if the page was opened with one, and the
 * past moment for the board pages (a child's board, a person, the breadcrumb); `at: null` in
 * `query` leaves it out.
 */
export function href(path, query = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v != null && v !== '') q.set(k, v);
  if (pageAt && AT_PAGES.has(path) && !('at' in query)) q.set('at', pageAt);
  if (params.has('lang')) q.set('lang', lang);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}
export const unitHref = id => href('/unit.html', { id });
export const personHref = id => href('/person.html', { id });
export const taskHref = id => href('/task.html', { id });
export const objectiveHref = id => href('/okr.html', { objective: id });
export const evaluationHref = (unit, query = {}) => href('/evaluation.html', { unit, ...query });

/** The breadcrumb: every ancestor (view.path, root first) linked, then the unit itself. */
export function renderCrumbs(el, path, unit, link = unitHref) {
  if (!el) return;
  const parts = (path || []).map(p => `<a href="${esc(link(p.id))}" data-id="${esc(p.id)}">${esc(p.name)}</a>`);
  if (unit) parts.push(`<span aria-current="page">${esc(unit.name)}</span>`);
  el.innerHTML = parts.join('<span class="sep">›</span>');
}

// ---- batching and throttles ---------------------------------------------------------------

/**
 * Coalesces DOM work into one animation frame: call `schedule()` as often as data arrives,
 * `flush` runs at most once per frame. Frames pause in hidden tabs; state keeps up meanwhile.
 */
export function frameBatcher(flush) {
  let queued = false;
  const run = () => { queued = false; flush(); };
  return {
    schedule() {
      if (queued) return;
      queued = true;
      requestAnimationFrame(run);
    },
  };
}

/**
 * Runs an async `fn` at most once per `ms`: the first call at once, later ones folded into one
 * trailing run, never two in flight. Used for REST lists that follow live figures.
 */
export function throttle(fn, ms) {
  let last = 0, timer = null, running = false, again = false;
  const run = async () => {
    timer = null;
    if (running) { again = true; return; }
    running = true;
    last = Date.now();
    try { await fn(); } catch { /* fn shows its own errors */ }
    running = false;
    if (again) { again = false; call(); }
  };
  const call = () => {
    if (timer) return;
    const wait = Math.max(0, last + ms - Date.now());
    timer = setTimeout(run, wait);
  };
  call.now = () => { clearTimeout(timer); timer = null; return run(); };
  return call;
}

// ---- performance record ------------------------------------------------------------------

/** The object the lead's browser measurements read: first live render, renders, patch costs. */
export const perf = (window.__ioc = window.__ioc || { firstRenderMs: null, fullRenders: 0, patches: 0, patchMs: [] });
export function markFirstRender() { if (perf.firstRenderMs == null) perf.firstRenderMs = performance.now(); }
export function recordPatchMs(ms) {
  perf.patches++;
  perf.patchMs.push(Math.round(ms * 100) / 100);
  if (perf.patchMs.length > 1000) perf.patchMs.splice(0, perf.patchMs.length - 1000);
}

// ---- small DOM helpers -------------------------------------------------------------------------

/** Sets text only when it differs: a write to an unchanged node still costs a style pass. */
export function setText(el, text) {
  if (el && el.textContent !== text) el.textContent = text;
}
/** Replaces the `band-*` class of an element. */
export function setBand(el, band) {
  const want = `band-${band || 'no_data'}`;
  if (!el || el.classList.contains(want)) return;
  for (const c of [...el.classList]) if (c.startsWith('band-')) el.classList.remove(c);
  el.classList.add(want);
}

/** Swallows rejections a page deliberately ignores, so none is ever "uncaught". */
export const quietly = p => { p?.catch?.(() => {}); return p; };
