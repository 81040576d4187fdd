// api.js — owns the REST calls of the pages and their errors: every call waits for the page's
// session check, writes carry the session's CSRF token, a 401 goes to sign-in, a refusal is an
// ApiError the page shows (`showError`); the dashboard settings, and names looked up by id.

import { t, lang, actorName } from '/js/i18n.js';
import { esc } from '/js/dom.js';
import { sessionReady, refreshSession, csrfToken, goToLogin, isLeaving } from '/js/session.js';

/**
 * A refusal from the server, carrying its JSON error body: `code` (stable), `message` (the
 * server's words), `field` and `index` when an input was wrong, and, once the server words its
 * messages in the request's language, `reason` (stable, snake_case) and `params`. Status 0 and
 * code `network`: the server could not be reached at all.
 */
export class ApiError extends Error {
  constructor(status, code, message, { field = null, index = null, reason = null, params = null } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
    this.index = index;
    this.reason = reason;
    this.params = params;
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
    throw new ApiError(res.status, err?.code || `http_${res.status}`, err?.message || res.statusText || `HTTP ${res.status}`, {
      field: err?.field ?? null, index: err?.index ?? null, reason: err?.reason ?? null, params: err?.params ?? null,
    });
  }
  return data;
}

async function send(path, method, body, signal, write) {
  // The server words its messages (errors, the evaluation's notes) in the page's language.
  const headers = { 'Accept-Language': lang };
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
  if (id.includes(':')) return sessionReady().then(s => ({ id, name: s && id === `account:${s.account.id}` ? (s.account.name || id) : actorName(id), actor: true }));
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
/** True when the server could not be reached (no answer at all, not a refusal). */
export const isNetwork = e => e?.code === 'network' || (e instanceof ApiError && e.status === 0);

/**
 * The server's own words for an error, when they are in the page's language, else null. A
 * server that words its messages in the request's `Accept-Language` says so with a `reason`
 * beside its `code`; before that its messages are English, fit for an English page only.
 */
export function serverWords(e) {
  const message = typeof e?.message === 'string' ? e.message.trim() : '';
  if (!message) return null;
  // A live view's error came over the socket, which sends no Accept-Language: its words are
  // the page's only when they name their language, or (English before any `reason`) on an
  // English page.
  if (e.live) return (e.lang ? e.lang === lang : e.reason == null && lang === 'en') ? message : null;
  return e.reason != null || lang === 'en' ? message : null;
}

const ERROR_CODES = new Set([
  'forbidden', 'not_found', 'invalid', 'bad_request', 'conflict', 'too_large', 'too_many_requests',
  'unavailable', 'internal', 'csrf', 'unauthenticated', 'unsupported_media_type',
]);

/**
 * A sentence for an error (an ApiError, or a live view's {code, message}) in the page's
 * language: what went wrong by its `code` (a refusal says "Không có quyền…", an outage "Mất
 * kết nối…"), then the server's reason when it is worded in this language (`serverWords`).
 * `field` names a wrong input for the reader (e.g. a criterion's name for its id); without it
 * an input's API name shows on English pages only.
 */
export function errorText(e, { field } = {}) {
  if (isNetwork(e)) return t('error.network');
  const code = isForbidden(e) ? 'forbidden' : ERROR_CODES.has(e?.code) ? e.code : null;
  const words = serverWords(e);
  const fieldName = e?.field ? (field ? field(e.field) : lang === 'en' ? e.field : null) : null;
  const head = code ? t(`error.${code}.short`) : t('error.other.short', { status: e?.status || '?' });
  let text = words ? `${head}: ${words}` : code ? t(`error.${code}`) : t('error.other', { status: e?.status || '?' });
  if (fieldName && !(words && words.includes(fieldName))) text += ` (${fieldName})`;
  return text;
}
/**
 * The title of a page whose unit (person) the server would not show: not found, a refusal of
 * scope ("Không có quyền xem đơn vị này" unless the server's own words are in this language),
 * or any other error as `errorText` words it. `kind` is 'unit' or 'person'.
 */
export function viewErrorText(e, id, kind = 'unit') {
  if (e?.code === 'not_found') return t(`error.not_found.${kind}`, { id });
  if (isForbidden(e) && !serverWords(e)) return t(`error.forbidden.${kind}`);
  return errorText(e);
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
