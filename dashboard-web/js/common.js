// common.js — owns what every page shares: HTML escaping, REST calls and their errors (with
// the session's CSRF token, and the way to sign-in on a 401), the nav bar with the language
// toggle and the signed-in account, the connection banners, DOM-write batching, throttles,
// the performance record (window.__ioc), the inline SVG sparkline and progress bar.
//
// Content-Security-Policy (SECURITY.md) forbids inline style attributes: HTML built here and
// in the pages carries classes and SVG presentation attributes, never style="…".

import { t, lang, setLang, applyStaticText, fmt, onLangChange } from '/js/i18n.js';
import { PING_EVERY_MS } from '/js/live.js';
import {
  sessionReady, refreshSession, csrfToken, goToLogin, isLeaving, onSession, signOut,
} from '/js/session.js';

export { sessionReady, session, actingAs, defaultUnit } from '/js/session.js';

const ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Every string from the server goes through this before it meets innerHTML. */
export const esc = s => (s == null ? '' : String(s).replace(/[&<>"']/g, c => ESC[c]));

export const params = new URLSearchParams(location.search);

/** Builds a page URL keeping the language override if the page was opened with one. */
export function href(path, query = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v != null && v !== '') q.set(k, v);
  if (params.has('lang')) q.set('lang', lang);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}
export const unitHref = id => href('/unit.html', { id });
export const personHref = id => href('/person.html', { id });
export const taskHref = id => href('/task.html', { id });
export const objectiveHref = id => href('/okr.html', { objective: id });
export const evaluationHref = (unit, query = {}) => href('/evaluation.html', { unit, ...query });

/** A refusal from the server, carrying its JSON error body's code, message and field. */
export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * GET/POST/PUT/DELETE under /api/v1; resolves to the JSON body (null for 204), rejects with
 * ApiError. Waits for the page's session check first, so nothing is asked before we know who
 * is asking. Writes carry X-CSRF-Token (the cookie alone does not authorise a write). A 401
 * sends the reader to sign-in and the call never settles (the page is leaving, so no error
 * flashes on it); a 403 is an ApiError whose message names the reason, for the page to show.
 */
export async function api(path, { method = 'GET', body, signal } = {}) {
  await sessionReady();
  const write = WRITES.has(method);
  // A server that was unreachable when the page opened gave no token yet: ask before writing.
  if (write && !csrfToken()) await refreshSession();
  let res = await send(path, method, body, signal, write);
  if (res.status === 403 && write) {
    // A token that went stale (the session was renewed elsewhere): fetch it again, retry once.
    const code = await errorCode(res.clone());
    if (code === 'csrf') {
      await refreshSession();
      res = await send(path, method, body, signal, write);
    }
  }
  if (res.status === 401) { goToLogin(); return new Promise(() => {}); }
  if (res.status === 204) return null;
  let data = null;
  try { data = await res.json(); } catch { /* a body that is not JSON: use the status */ }
  if (!res.ok) {
    const err = data?.error;
    // The password must be changed first: the sign-in page shows that form.
    if (res.status === 403 && err?.code === 'password_change_required') { goToLogin(undefined, { change: true }); return new Promise(() => {}); }
    throw new ApiError(res.status, err?.code || `http_${res.status}`, err?.message || res.statusText || `HTTP ${res.status}`, err?.field);
  }
  return data;
}

async function send(path, method, body, signal, write) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (write && csrfToken()) headers['X-CSRF-Token'] = csrfToken();
  try {
    return await fetch(`/api/v1${path}`, {
      method,
      signal,
      credentials: 'same-origin',
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    if (e?.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', e?.message || 'network error');
  }
}

async function errorCode(res) {
  try { return (await res.json())?.error?.code ?? null; } catch { return null; }
}

/** The dashboard settings (root unit, wall boards), or defaults if the server has none yet. */
let dashboardPromise = null;
export function dashboardConfig() {
  dashboardPromise ??= api('/dashboard').catch(() => ({}))
    .then(d => ({
      root_unit: d?.root_unit || 'hn',
      stale_after_seconds: d?.stale_after_seconds || 30,
      wall: { boards: d?.wall?.boards?.length ? d.wall.boards : [d?.root_unit || 'hn'], rotate_seconds: d?.wall?.rotate_seconds || 20 },
    }));
  return dashboardPromise;
}

// Names looked up by id, cached for the page's life; a failed lookup shows the id.
const personCache = new Map();
export function personName(id) {
  if (!id) return Promise.resolve(null);
  // An actor that is not a person ("account:hn-leader", "token:…", "system:…", SECURITY.md):
  // there is no /people entry to ask for; our own account is named by the session.
  if (id.includes(':')) return sessionReady().then(s => ({ id, name: s && id === `account:${s.account.id}` ? (s.account.name || id) : id, actor: true }));
  if (!personCache.has(id)) {
    personCache.set(id, api(`/people/${encodeURIComponent(id)}`).catch(() => ({ id, name: id })));
  }
  return personCache.get(id);
}
let unitIndexPromise = null;
/** All units by id ({id, name, level, parent}), fetched once (a city has hundreds, not more). */
export function unitIndex() {
  unitIndexPromise ??= api('/units?limit=10000')
    .then(r => new Map((r.items || []).map(u => [u.id, u])))
    .catch(() => new Map());
  return unitIndexPromise;
}

/** True for a refusal by scope or role: the server's message names the reason. */
export const isForbidden = e => e?.status === 403 || e?.code === 'forbidden';

/**
 * A friendly sentence for an error (an ApiError, or a live view's {code, message}), from the
 * server's own message when it sent one; a refusal says so rather than "error".
 */
export function errorText(e) {
  const message = e?.message || String(e);
  if (isForbidden(e)) return t('common.forbidden', { message });
  return t('common.error', { message });
}
/** True for the answers an endpoint still being built gives (404, 405, 501). */
export const isMissing = e => e instanceof ApiError && [404, 405, 501].includes(e.status);

/** Shows a quiet message inside `el` for an error: missing endpoints are not alarming. */
export function showError(el, e, { missingText } = {}) {
  if (!el) return;
  if (e?.name === 'AbortError' || isLeaving()) return;
  const cls = isMissing(e) ? 'quiet' : isForbidden(e) ? 'error forbidden' : 'error';
  el.innerHTML = `<p class="${cls}" data-field="error">${esc(isMissing(e) ? (missingText || t('common.unavailable')) : errorText(e))}</p>`;
}

// ---- nav bar -------------------------------------------------------------------------------

/**
 * Draws the nav bar into #nav (pages other than the wall). `unit` gives the links context.
 * Its right end names the signed-in account and offers "Sign out" once the session is known.
 */
export function renderNav({ active, unit } = {}) {
  const nav = document.getElementById('nav');
  if (!nav) return;
  let account = null;
  const draw = () => {
    const u = unit?.() ?? null;
    const items = [
      ['city', href('/', { unit: u })],
      ['alerts', href('/alerts.html', { unit: u })],
      ['wall', href('/wall.html', { boards: u })],
      ['review', href('/review.html', { unit: u })],
      ['okr', href('/okr.html', { unit: u })],
      ['evaluation', href('/evaluation.html', { unit: u })],
    ];
    const who = account ? `<span class="who" data-field="account" title="${esc(accountTitle(account))}">${esc(t('session.signed_in_as', { name: account.name || account.id }))}</span>
      <button type="button" class="signout" data-action="signout" title="${esc(t('session.sign_out.title'))}">${esc(t('session.sign_out'))}</button>` : '';
    nav.innerHTML = `<a class="brand" href="${esc(href('/'))}">IOC <span>${esc(t('app.name'))}</span></a>
      <div class="links">${items.map(([k, h]) => `<a href="${esc(h)}"${k === active ? ' class="active" aria-current="page"' : ''}>${esc(t(`nav.${k}`))}</a>`).join('')}</div>
      <span class="spacer"></span>
      <span class="conn" id="conn-state" hidden></span>
      ${who}
      <button type="button" class="lang" data-action="lang" title="${esc(t('nav.lang.title'))}">${esc(t('nav.lang'))}</button>`;
    nav.querySelector('[data-action="lang"]').addEventListener('click', () => setLang(lang === 'vi' ? 'en' : 'vi'));
    nav.querySelector('[data-action="signout"]')?.addEventListener('click', e => {
      e.currentTarget.disabled = true;
      quietly(signOut());
    });
  };
  draw();
  onLangChange(draw);
  onSession(s => { account = s.account; draw(); });
  return { redraw: draw };
}

/** The account's id and grants, as a tooltip ("hn-leader · leader @ p-1"). */
function accountTitle(a) {
  const grants = (a.grants || []).map(g => (Array.isArray(g) ? `${g[0]} @ ${g[1]}` : `${g.role} @ ${g.unit}`));
  return [a.id, ...grants].join(' · ');
}

/** Sets up static text, the nav bar and the theme; call once per page. */
export function initPage({ active, unit, theme } = {}) {
  // Who is reading, asked first: a page without a session leaves for sign-in at once.
  quietly(sessionReady());
  if (theme) document.body.classList.add(`theme-${theme}`);
  applyStaticText();
  // The title's "loading" text is translated once; after that the page owns it (names, errors).
  document.getElementById('title')?.removeAttribute('data-i18n');
  return renderNav({ active, unit });
}

/** The breadcrumb: every ancestor (view.path, root first) linked, then the unit itself. */
export function renderCrumbs(el, path, unit, link = unitHref) {
  if (!el) return;
  const parts = (path || []).map(p => `<a href="${esc(link(p.id))}" data-id="${esc(p.id)}">${esc(p.name)}</a>`);
  if (unit) parts.push(`<span aria-current="page">${esc(unit.name)}</span>`);
  el.innerHTML = parts.join('<span class="sep">›</span>');
}

// ---- connection banners ----------------------------------------------------------------------

/**
 * Keeps #banner (link down) and #stale-banner (data stale) in step with a Live client, checked
 * every second so a silent link is noticed without any message arriving. Stale means either
 * nothing from the server (no frame, no pong) for `stale_after_seconds` (30 by default, from
 * /api/v1/dashboard), or the server saying in its pong that its data clock is that far behind
 * its wall clock: the link is up but the numbers stopped moving (a stalled writer or database).
 */
export function wireBanners(live) {
  let staleMs = 30_000;
  quietly(dashboardConfig().then(c => { staleMs = c.stale_after_seconds * 1000; }));
  const banner = document.getElementById('banner');
  const stale = document.getElementById('stale-banner');
  const dot = () => document.getElementById('conn-state');
  const update = () => {
    const s = live.status();
    const lastData = Math.max(s.lastFrameAt || 0, s.lastPongAt || 0);
    if (banner) {
      // Down once a connection failed or was lost; the first connect of a page is not an outage.
      const down = s.downSince != null;
      if (banner.hidden !== !down) banner.hidden = !down;
      if (down) {
        const text = s.downSince ? t('conn.down.since', { time: fmt.timeSec(s.downSince) }) : t('conn.down');
        if (banner.textContent !== text) banner.textContent = text;
      }
    }
    if (stale) {
      // Nothing (no frame, no pong) for 30 s: whatever is on screen may be out of date. Also
      // shown during an outage longer than that, beside #banner, so a wall says both.
      // Pongs come once per ping period, so silence only counts beyond one period on top.
      const silent = lastData > 0 && Date.now() - lastData > staleMs + PING_EVERY_MS;
      const lagging = s.open && s.dataLagMs != null && s.dataLagMs > staleMs;
      const isStale = silent || lagging;
      if (stale.hidden !== !isStale) stale.hidden = !isStale;
      if (isStale) {
        // The server's own word on its data is the more precise one.
        const text = lagging
          ? t('conn.lagging', { time: fmt.timeSec(Date.parse(s.dataAsOf)) })
          : t('conn.stale', { time: fmt.timeSec(lastData) });
        if (stale.textContent !== text) stale.textContent = text;
      }
    }
    const d = dot();
    if (d) {
      d.hidden = false;
      d.className = `conn ${s.open ? 'up' : s.downSince ? 'down' : ''}`;
      const text = s.open ? t('conn.live') : t('conn.offline');
      if (d.textContent !== text) d.textContent = text;
    }
  };
  live.onStatus(update);
  setInterval(update, 1000);
  update();
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

/**
 * An inline SVG sparkline of [{value, status}] points, oldest first: the line, the last point
 * in its band's colour and, if given, the green threshold as a dashed line.
 */
export function sparkline(points, { width = 120, height = 32, target = null } = {}) {
  const vals = (points || []).filter(p => p && typeof p.value === 'number' && Number.isFinite(p.value));
  if (vals.length === 0) return `<svg class="spark" width="${width}" height="${height}" aria-hidden="true"></svg>`;
  const nums = vals.map(p => p.value);
  if (typeof target === 'number') nums.push(target);
  let lo = Math.min(...nums), hi = Math.max(...nums);
  if (hi === lo) { hi += 1; lo -= 1; }
  const pad = 3;
  const x = i => (vals.length === 1 ? width / 2 : pad + (i * (width - 2 * pad)) / (vals.length - 1));
  const y = v => pad + (1 - (v - lo) / (hi - lo)) * (height - 2 * pad);
  const pts = vals.map((p, i) => `${x(i).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
  const last = vals[vals.length - 1];
  const tline = typeof target === 'number'
    ? `<line class="spark-target" x1="0" x2="${width}" y1="${y(target).toFixed(1)}" y2="${y(target).toFixed(1)}"/>` : '';
  const dots = vals.map((p, i) => `<circle class="spark-dot band-${esc(p.status || 'no_data')}" cx="${x(i).toFixed(1)}" cy="${y(p.value).toFixed(1)}" r="${i === vals.length - 1 ? 3 : 1.6}"/>`).join('');
  return `<svg class="spark" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(fmt.num(last.value))}">${tline}<polyline points="${pts}"/>${dots}</svg>`;
}

/**
 * A 0..1 progress bar with an optional pace marker (where progress should be by now). Drawn as
 * SVG with geometry attributes: a width in a style="" attribute is an inline style, which the
 * Content-Security-Policy refuses. The bar stretches to its box (preserveAspectRatio none);
 * the pace line keeps 2 px whatever the stretch (non-scaling stroke).
 */
export function progressBar(progress, expected) {
  const p = Math.max(0, Math.min(1, progress ?? 0));
  const e = expected == null ? null : Math.max(0, Math.min(1, expected));
  const band = e == null ? 'no_data' : p >= e ? 'green' : p >= e - 0.1 ? 'yellow' : 'red';
  const x = v => (v * 100).toFixed(1);
  const pace = e == null ? '' : `<line class="pbar-pace" x1="${x(e)}" x2="${x(e)}" y1="0" y2="16"><title>${esc(t('unit.okr.expected', { pct: fmt.pct0(e) }))}</title></line>`;
  return `<svg class="pbar band-${band}" viewBox="0 0 100 16" preserveAspectRatio="none" role="img" aria-label="${esc(fmt.pct0(p))}">`
    + `<rect class="pbar-track" x="0" y="3" width="100" height="10"/><rect class="pbar-fill" x="0" y="3" width="${x(p)}" height="10"/>${pace}</svg>`;
}

/** Swallows rejections a page deliberately ignores, so none is ever "uncaught". */
export const quietly = p => { p?.catch?.(() => {}); return p; };
