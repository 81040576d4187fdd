// nav.js — owns the nav bar of every page but the wall and the sign-in page: the links (with
// the unit on screen), the live/offline dot ("not live" on a past view), the signed-in account
// with "Sign out", and the language toggle; and `initPage`, the start every such page makes.

import { t, fmt, lang, setLang, applyStaticText, onLangChange } from '/js/i18n.js';
import { esc, href, quietly, pageAt } from '/js/dom.js';
import { sessionReady, onSession, signOut } from '/js/session.js';
import { api } from '/js/api.js';
import { pageLive } from '/js/live.js';

/**
 * Draws the nav bar into #nav (pages other than the wall). `unit` gives the links context.
 * Its right end names the signed-in account and offers "Sign out" once the session is known.
 */
export function renderNav({ active, unit } = {}) {
  const nav = document.getElementById('nav');
  if (!nav) return;
  let account = null;
  let unitNames = new Map(); // grant unit id -> name, once looked up
  let unread = null; // the reader's unread messages, once known
  const draw = () => {
    const u = unit?.() ?? null;
    const items = [
      ['city', href('/', { unit: u })],
      ['alerts', href('/alerts.html', { unit: u })],
      ['wall', href('/wall.html', { boards: u })],
      ['review', href('/review.html', { unit: u })],
      ['okr', href('/okr.html', { unit: u })],
      ['evaluation', href('/evaluation.html', { unit: u })],
      ['inbox', href('/inbox.html')],
      // Officials' own work: for an account linked to a person, and the leaders' queue and
      // assigning for leaders.
      ...(account?.person ? [['me', href('/me.html')]] : []),
      ...(grantsOf(account).some(g => g.role === 'leader') ? [['accept', href('/accept.html')], ['assign', href('/assign.html')]] : []),
    ];
    // Entry and import only for accounts that may use them (the server decides each write).
    const granted = new Set(grantsOf(account).map(g => g.role));
    if (granted.has('data_entry') || account?.person) items.push(['entry', href('/entry.html')]);
    if (granted.has('admin')) items.push(['import', href('/import.html')]);
    const name = account?.name || account?.id;
    const roles = account ? grantsText(account, unitNames) : '';
    const who = account ? `<span class="who" data-field="account" title="${esc(t('session.signed_in_as', { name: `${name} (${account.id})${roles ? ` — ${roles}` : ''}` }))}"><b>${esc(name)}</b>${roles ? `<small data-field="grants">${esc(roles)}</small>` : ''}</span>
      <button type="button" class="signout" data-action="signout" title="${esc(t('session.sign_out.title'))}">${esc(t('session.sign_out'))}</button>` : '';
    nav.innerHTML = `<a class="brand" href="${esc(href('/'))}">IOC <span>${esc(t('app.name'))}</span></a>
      <div class="links">${items.map(([k, h]) => `<a href="${esc(h)}"${k === active ? ' class="active" aria-current="page"' : ''}${k === 'inbox' ? ' data-link="inbox"' : ''}>${esc(t(`nav.${k}`))}${k === 'inbox' ? badge(unread) : ''}</a>`).join('')}</div>
      <span class="spacer"></span>
      ${pageAt
    // A past view (past.js) has no link to be up or down: the dot says it is not live.
    ? `<span class="conn past" id="conn-state" data-state="past" title="${esc(t('past.dot.title'))}">${esc(t('past.dot'))}</span>`
    : '<span class="conn" id="conn-state" hidden></span>'}
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
  // The badge changes without redrawing the bar (a live inbox frame may come every tick).
  const setUnread = n => {
    if (n === unread) return;
    unread = n;
    const link = nav.querySelector('[data-link="inbox"]');
    if (!link) return;
    link.querySelector('.badge')?.remove();
    link.insertAdjacentHTML('beforeend', badge(unread));
  };
  let following = false;
  onSession(s => {
    account = s.account;
    draw();
    if (account?.person && !following) {
      following = true;
      const live = pageLive();
      if (live) live.watch('inbox', account.person, sub => setUnread(sub.data?.unread ?? null));
      else quietly(api('/inbox?limit=1').then(p => setUnread(p?.unread ?? null)));
    }
    // The units of the grants by name (the account sees them all: they are its scope).
    const ids = grantsOf(account).map(g => g.unit).filter(u => u !== '*' && !unitNames.has(u));
    if (!ids.length) return;
    quietly(Promise.all(ids.map(id => api(`/units/${encodeURIComponent(id)}`).then(u => [id, u?.name || id], () => [id, null])))
      .then(pairs => {
        for (const [id, n] of pairs) if (n) unitNames.set(id, n);
        draw();
      }));
  });
  return { redraw: draw };
}

/** The unread count on the inbox link ("3 chưa đọc" for screen readers); none at 0. */
function badge(n) {
  if (!n) return '';
  return ` <span class="badge" data-field="unread" title="${esc(t('inbox.unread', { n: fmt.int(n) }))}">${esc(n > 99 ? '99+' : fmt.int(n))}</span>`;
}

const grantsOf = a => (a?.grants || []).map(g => (Array.isArray(g) ? { role: g[0], unit: g[1] } : g));

/**
 * The account's grants in words: "Lãnh đạo · Phường Bạch Mai" (role words from i18n, the
 * unit by name, "*" as the whole tree); several are joined by "; ". A unit whose name is not
 * known yet is left out rather than shown by its id; a grant the account's name already says
 * in this language is left out.
 */
function grantsText(a, names) {
  const name = (a.name || '').toLocaleLowerCase('vi');
  return grantsOf(a).map(g => {
    const role = t(`role.${g.role}`);
    const where = g.unit === '*' ? t('role.everywhere') : names.get(g.unit);
    // An account named for its grant ("Lãnh đạo Phường Bạch Mai") needs no second saying.
    if (where && name.includes(role.toLocaleLowerCase('vi')) && name.includes(where.toLocaleLowerCase('vi'))) return null;
    return where ? `${role} · ${where}` : role;
  }).filter(Boolean).join('; ');
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

