// session.js — owns who is signed in (SECURITY.md): the page's session check before any other
// API call or the WebSocket, the CSRF token every write carries, the way to the sign-in page
// (on a 401, or while the password must be changed), and signing out.
//
// The session itself is the HttpOnly cookie `ioc_session`, which this code can neither read nor
// set: the browser sends it on every same-origin request and on the WebSocket upgrade. What the
// page holds is what GET /api/v1/session answers: the account and its CSRF token.
//
// Imports only i18n.js (for the Accept-Language of its requests), so api.js, nav.js and live.js
// can all use it without a cycle.

import { lang } from '/js/i18n.js';

export const LOGIN_PATH = '/login.html';

let state = null; // {account, csrf} once known
let readyPromise = null;
let leaving = false;
const listeners = new Set();

/** A promise that never settles: what callers get once the page is on its way to sign-in. */
const never = () => new Promise(() => {});

/**
 * Where a `next` parameter may send the reader after signing in: a path on this server only
 * (starting with one "/", not "//" nor "/\", which browsers read as another host), never the
 * sign-in page itself. Anything else becomes "/".
 */
export function safeNext(next) {
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  let url;
  try { url = new URL(next, location.origin); } catch { return '/'; }
  if (url.origin !== location.origin || url.pathname === LOGIN_PATH) return '/';
  return url.pathname + url.search + url.hash;
}

/**
 * The sign-in page's address, coming back to `next` (default: this page) afterwards; `change`
 * asks it to show the change-password form of the current session.
 */
export function loginUrl(next = location.pathname + location.search, { change = false } = {}) {
  const q = new URLSearchParams({ next: safeNext(next) });
  if (change) q.set('change', '1');
  const urlLang = new URLSearchParams(location.search).get('lang');
  if (urlLang) q.set('lang', urlLang);
  return `${LOGIN_PATH}?${q}`;
}

/** Leaves for the sign-in page (once, however many answers said 401 meanwhile). */
export function goToLogin(next, { change = false } = {}) {
  if (leaving) return;
  leaving = true;
  location.replace(loginUrl(next, { change }));
}

/** True once the page is leaving for sign-in: callers stop drawing errors. */
export const isLeaving = () => leaving;

/**
 * Asks the server who we are. 401 → off to sign-in; a password that must change → sign-in
 * too (it shows the change form). A server that cannot be reached resolves to null: the page
 * carries on (its banner says the link is down) and asks again when it needs the CSRF token.
 */
async function load() {
  let res;
  try {
    res = await fetch('/api/v1/session', { credentials: 'same-origin', headers: { accept: 'application/json', 'Accept-Language': lang }, cache: 'no-store' });
  } catch {
    return null;
  }
  // 401: no session (or one that ended). A 403 here can only mean credentials that are not a
  // person's session, which a browser cannot use either: sign in.
  if (res.status === 401 || res.status === 403) { goToLogin(); return never(); }
  if (!res.ok) return null;
  let data = null;
  try { data = await res.json(); } catch { return null; }
  if (!data?.account) return null;
  if (data.account.must_change_password) { goToLogin(undefined, { change: true }); return never(); }
  state = { account: data.account, csrf: data.csrf ?? null };
  for (const fn of listeners) fn(state);
  return state;
}

/** The session check of this page, made once: every API call and the socket wait for it. */
export function sessionReady() {
  readyPromise ??= load();
  return readyPromise;
}

/** Asks again (a rejected CSRF token, a server that was down at first): the fresh state. */
export function refreshSession() {
  readyPromise = load();
  return readyPromise;
}

/** The account and CSRF token as last known, or null. */
export const session = () => state;
/** The CSRF token writes must carry in X-CSRF-Token (the cookie alone is not enough). */
export const csrfToken = () => state?.csrf ?? null;

/** Calls `fn(state)` when the session is known (now, if it already is). */
export function onSession(fn) {
  listeners.add(fn);
  if (state) fn(state);
}

/**
 * What an alert action records as its actor (the server's `acting_as`): the linked person,
 * else `account:<id>`. Used to show an acknowledgment before the feed confirms it.
 */
export function actingAs() {
  const a = state?.account;
  if (!a) return null;
  return a.person ?? `account:${a.id}`;
}

/** The units the account's grants cover ({role, unit}; "*" is the whole tree). */
export function grantUnits() {
  const grants = state?.account?.grants || [];
  return grants.map(g => (Array.isArray(g) ? g[1] : g?.unit)).filter(Boolean);
}

/**
 * The unit a page shows when the URL names none: the configured root when the account sees
 * it (a grant at "*" or at the root), else the unit of its first grant. A ward leader opening
 * "/" sees the ward rather than a refusal of the city.
 */
export async function defaultUnit(rootUnit) {
  const s = await sessionReady();
  const units = s ? grantUnits() : [];
  if (!units.length || units.includes('*') || units.includes(rootUnit)) return rootUnit;
  return units[0];
}

/**
 * Called by live.js when the socket failed to open several times in a row: the upgrade is
 * refused with 401 when the session ended (expired, signed out elsewhere), and a browser does
 * not tell the page the status of a failed upgrade, so ask over REST. A server that is down
 * answers nothing and the socket keeps retrying.
 */
let lastCheckAt = 0;
export function checkSessionAfterSocketFailures() {
  const now = Date.now();
  if (leaving || now - lastCheckAt < 10_000) return;
  lastCheckAt = now;
  // load() redirects on 401 by itself; the rest is the reconnect loop's business.
  refreshSession().catch(() => {});
}

/** Signs out (DELETE /api/v1/session, with the CSRF header) and goes to the sign-in page. */
export async function signOut() {
  leaving = true;
  try {
    await fetch('/api/v1/session', {
      method: 'DELETE',
      credentials: 'same-origin',
      headers: { 'Accept-Language': lang, ...(state?.csrf ? { 'X-CSRF-Token': state.csrf } : {}) },
    });
  } catch {
    // The server is unreachable: the cookie stays, but the reader asked to leave; the sign-in
    // page will show the form once the session is gone, or bring them back if it is not.
  }
  state = null;
  const urlLang = new URLSearchParams(location.search).get('lang');
  location.replace(urlLang ? `${LOGIN_PATH}?lang=${encodeURIComponent(urlLang)}` : LOGIN_PATH);
}
