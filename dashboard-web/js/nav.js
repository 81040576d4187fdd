// nav.js — owns the nav bar of every page but the wall and the sign-in page: the links (with
// the unit on screen), the live/offline dot, the signed-in account with "Sign out", and the
// language toggle; and `initPage`, the start every such page makes.

import { t, lang, setLang, applyStaticText, onLangChange } from '/js/i18n.js';
import { esc, href, quietly } from '/js/dom.js';
import { sessionReady, onSession, signOut } from '/js/session.js';

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

