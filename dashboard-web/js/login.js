// login.js — owns the sign-in page (login.html?next=/path): login and password to
// POST /api/v1/session, the server's refusal shown as it words it (401 bad credentials, 429 with
// how long to wait), then on to `next` (a path on this server only). An account that must change
// its password gets the change form first (POST /api/v1/session/password with the CSRF token).
// The session cookie is set by the server's answer (HttpOnly): this page never sees the token.

import { t, lang, setLang, applyStaticText, onLangChange } from '/js/i18n.js';
import { safeNext } from '/js/session.js';

const params = new URLSearchParams(location.search);
const next = safeNext(params.get('next') || '/');
const $ = sel => document.querySelector(sel);

const loginForm = $('#login-form');
const loginError = $('#login-error');
const changeForm = $('#password-form');
const changeError = $('#password-error');

// What the change form needs: the account (for its intro), the CSRF token of the session, and
// the current password when the reader just typed it (not asked twice).
let pending = null; // {account, csrf, password?}
let retryTimer = null;

applyStaticText();
$('[data-action="lang"]').addEventListener('click', () => setLang(lang === 'vi' ? 'en' : 'vi'));
onLangChange(() => { if (pending) showChange(pending); });

/** Off to where the reader was going; replace, so "back" does not return to the form. */
function proceed() {
  location.replace(next);
}

function showError(el, text) {
  el.textContent = text;
  el.hidden = !text;
}

/**
 * A refusal in the page's language: the server's own words when it answered in this language
 * (its error then carries a `reason`; before that the server speaks English, fine on an English
 * page), else a sentence of ours by status and field.
 */
async function refusal(res) {
  let err = null;
  try { err = (await res.json())?.error ?? null; } catch { /* not JSON */ }
  const words = err?.message && (err.reason != null || lang === 'en') ? err.message : null;
  if (res.status === 429) return t('login.too_many');
  if (res.status === 401) return words || t('login.bad_credentials');
  if (err?.code === 'invalid' && err.field === 'current') return words || t('login.change.wrong_current');
  if (err?.code === 'invalid' && err.field === 'new') return words || t('login.change.refused');
  return words || t('login.failed', { status: res.status });
}

// ---- sign in -----------------------------------------------------------------------------------

loginForm.addEventListener('submit', async ev => {
  ev.preventDefault();
  const button = loginForm.querySelector('button[type="submit"]');
  if (button.disabled) return;
  const login = loginForm.login.value.trim();
  const password = loginForm.password.value;
  button.disabled = true;
  button.textContent = t('login.busy');
  showError(loginError, '');
  let res;
  try {
    res = await fetch('/api/v1/session', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'Accept-Language': lang },
      body: JSON.stringify({ login, password }),
    });
  } catch {
    showError(loginError, t('login.network'));
    resetButton(button);
    return;
  }
  if (res.ok) {
    let data = null;
    try { data = await res.json(); } catch { /* a 200 without a body: go on */ }
    if (data?.account?.must_change_password) {
      showChange({ account: data.account, csrf: data.csrf, password });
      resetButton(button);
      return;
    }
    proceed();
    return;
  }
  const message = await refusal(res);
  if (res.status === 429) {
    // Too many failures for this login or address: say for how long, keep the button off.
    const wait = Math.max(1, parseInt(res.headers.get('Retry-After') || '60', 10) || 60);
    holdButton(button, message, wait);
    return;
  }
  showError(loginError, message);
  loginForm.password.value = '';
  loginForm.password.focus();
  resetButton(button);
});

function resetButton(button) {
  button.disabled = false;
  button.textContent = t('login.submit');
}

/** Keeps the button disabled for `seconds`, counting down beside the server's message. */
function holdButton(button, message, seconds) {
  clearInterval(retryTimer);
  const until = Date.now() + seconds * 1000;
  const tick = () => {
    const left = Math.ceil((until - Date.now()) / 1000);
    if (left <= 0) {
      clearInterval(retryTimer);
      showError(loginError, message);
      resetButton(button);
      return;
    }
    showError(loginError, `${message} ${t('login.retry_after', { n: left })}`);
  };
  button.textContent = t('login.submit');
  button.disabled = true;
  tick();
  retryTimer = setInterval(tick, 1000);
}

// ---- change password ----------------------------------------------------------------------------

function showChange(p) {
  pending = p;
  $('#login').hidden = true;
  $('#change').hidden = false;
  $('#change-intro').textContent = t('login.change.intro', { name: p.account.name || p.account.id });
  changeForm.username.value = p.account.id;
  // Asked only when the reader did not just type it on this page.
  const knows = typeof p.password === 'string' && p.password !== '';
  $('#password-form [data-field="current"]').hidden = knows;
  changeForm.current.required = !knows;
  if (knows) changeForm.current.value = p.password;
  (knows ? changeForm.new : changeForm.current).focus();
}

changeForm.addEventListener('submit', async ev => {
  ev.preventDefault();
  if (!pending) return;
  const current = changeForm.current.value;
  const fresh = changeForm.new.value;
  if (fresh.length < 12) { showError(changeError, t('login.change.too_short')); return; }
  if (fresh !== changeForm.repeat.value) { showError(changeError, t('login.change.mismatch')); return; }
  if (fresh === current) { showError(changeError, t('login.change.same')); return; }
  const button = changeForm.querySelector('button[type="submit"]');
  button.disabled = true;
  showError(changeError, '');
  try {
    const res = await fetch('/api/v1/session/password', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'Accept-Language': lang, 'X-CSRF-Token': pending.csrf || '' },
      body: JSON.stringify({ current, new: fresh }),
    });
    if (res.ok) { proceed(); return; }
    if (res.status === 401) {
      // The session ended meanwhile: sign in again (with the new password if it took).
      location.replace(location.href);
      return;
    }
    showError(changeError, await refusal(res));
  } catch {
    showError(changeError, t('login.network'));
  }
  button.disabled = false;
});

// ---- on load --------------------------------------------------------------------------------------

// Pages send a session whose password must change here with `change=1`: ask the server for
// that session (its account and CSRF token) and show the change form; a session that turns out
// to be fine goes straight on. Without `change`, no probe: a signed-out reader is the usual
// case, and a probe would only add a 401 to the console.
async function start() {
  if (params.get('change') !== '1') return;
  let res;
  try {
    res = await fetch('/api/v1/session', { credentials: 'same-origin', headers: { accept: 'application/json', 'Accept-Language': lang }, cache: 'no-store' });
  } catch {
    return; // the server is down: the form is there for when it returns
  }
  if (!res.ok) return;
  let data = null;
  try { data = await res.json(); } catch { return; }
  if (!data?.account) return;
  if (data.account.must_change_password) showChange({ account: data.account, csrf: data.csrf });
  else proceed();
}
start();

// ---- demo accounts ----------------------------------------------------------------------------

// A server running the demo (`--demo`) lists its accounts in GET /api/v1/dashboard (public):
// shown under the form, said to be for trying only; a click fills the form with one.
let demo = null;
function drawDemo() {
  const box = $('#demo');
  if (!demo?.accounts?.length) { box.hidden = true; return; }
  box.hidden = false;
  // The password in a <code> of its own (it must not break at its hyphens).
  const [before, after = ''] = t('login.demo.intro', { password: '\u0000' }).split('\u0000');
  const code = document.createElement('code');
  code.textContent = demo.password;
  $('#demo-intro').replaceChildren(before, code, after);
  const list = $('#demo-list');
  list.replaceChildren(...demo.accounts.map(a => {
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.type = 'button';
    b.dataset.login = a.login;
    b.title = t('login.demo.use');
    const login = document.createElement('b');
    login.textContent = a.login;
    const what = document.createElement('span');
    what.textContent = `${t(`role.${a.role}`)} · ${a.unit_name || a.unit}${a.person ? ` · ${t('login.demo.linked')}` : ''}`;
    b.append(login, what);
    b.addEventListener('click', () => {
      loginForm.login.value = a.login;
      loginForm.password.value = demo.password;
      loginForm.querySelector('button[type="submit"]').focus();
    });
    li.append(b);
    return li;
  }));
}
onLangChange(drawDemo);
fetch('/api/v1/dashboard', { headers: { accept: 'application/json', 'Accept-Language': lang } })
  .then(r => (r.ok ? r.json() : null))
  .then(d => { demo = d?.demo ?? null; drawDemo(); })
  .catch(() => { /* no server yet: the form is there for when it returns */ });
