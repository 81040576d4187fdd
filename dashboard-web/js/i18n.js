// i18n.js — owns the current language (the URL's ?lang=, else the remembered choice, else
// Vietnamese), switching it in place, the lookup of UI strings (the strings themselves are in
// i18n/vi.js and i18n/en.js), and the number/date formatting of both languages, always in the
// Asia/Ho_Chi_Minh time zone.

import vi from '/js/i18n/vi.js';
import en from '/js/i18n/en.js';

export const TIME_ZONE = 'Asia/Ho_Chi_Minh';
const STORAGE_KEY = 'ioc.lang';

export const DICT = { vi, en };

function resolveLang() {
  const fromUrl = new URLSearchParams(location.search).get('lang');
  if (fromUrl === 'vi' || fromUrl === 'en') return fromUrl;
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === 'vi' || saved === 'en') return saved;
  } catch { /* storage can be disabled in kiosk profiles */ }
  return 'vi';
}

export let lang = resolveLang();
document.documentElement.lang = lang;
const listeners = new Set();

/**
 * An actor the server names by its source id, being no person or account it knows (SECURITY.md):
 * the server's own ("system:demo-seed", "system:clock") in words, an integration
 * ("source:NAME@UNITS") by its name; anything else as given.
 */
export function actorName(name) {
  if (typeof name !== 'string') return name;
  if (name.startsWith('system:')) return t('actor.system');
  if (name.startsWith('source:')) return name.slice('source:'.length).split('@')[0];
  return name;
}

/** The string for `key` in the current language, with `{name}` placeholders filled in. */
export function t(key, vars) {
  let s = DICT[lang][key] ?? DICT.vi[key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}

export function onLangChange(fn) { listeners.add(fn); }

/** Switches language without a reload: remembered, reflected in the URL if it named one. */
export function setLang(next) {
  if (next === lang) return;
  lang = next;
  document.documentElement.lang = lang;
  try { localStorage.setItem(STORAGE_KEY, lang); } catch { /* ignore */ }
  const url = new URL(location.href);
  if (url.searchParams.has('lang')) {
    url.searchParams.set('lang', lang);
    history.replaceState(null, '', url);
  }
  formatters = null;
  applyStaticText();
  for (const fn of listeners) fn(lang);
}

/** Fills every element carrying data-i18n (text) or data-i18n-title / -placeholder. */
export function applyStaticText(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  const title = document.querySelector('meta[name="ioc-title"]');
  if (title) document.title = `${t(title.content)} · IOC`;
}

// Formatter objects are costly to build and patches format hundreds of numbers a second.
let formatters = null;
function f() {
  if (formatters) return formatters;
  const loc = lang === 'vi' ? 'vi-VN' : 'en-GB';
  const tz = { timeZone: TIME_ZONE };
  formatters = {
    int: new Intl.NumberFormat(loc, { maximumFractionDigits: 0 }),
    dec1: new Intl.NumberFormat(loc, { minimumFractionDigits: 1, maximumFractionDigits: 1 }),
    num: new Intl.NumberFormat(loc, { maximumFractionDigits: 2 }),
    pct: new Intl.NumberFormat(loc, { style: 'percent', maximumFractionDigits: 1 }),
    pct0: new Intl.NumberFormat(loc, { style: 'percent', maximumFractionDigits: 0 }),
    date: new Intl.DateTimeFormat(loc, { ...tz, day: '2-digit', month: '2-digit', year: 'numeric' }),
    time: new Intl.DateTimeFormat(loc, { ...tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }),
    timeSec: new Intl.DateTimeFormat(loc, { ...tz, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }),
    weekday: new Intl.DateTimeFormat(loc, { ...tz, weekday: 'long' }),
  };
  return formatters;
}

const DASH = '—';
const toDate = x => (x instanceof Date ? x : new Date(x));
const bad = x => x == null || (typeof x === 'number' && !Number.isFinite(x));

export const fmt = {
  int: x => (bad(x) ? DASH : f().int.format(x)),
  dec1: x => (bad(x) ? DASH : f().dec1.format(x)),
  num: x => (bad(x) ? DASH : f().num.format(x)),
  /** A 0..1 ratio as a percentage. */
  pct: x => (bad(x) ? DASH : f().pct.format(x)),
  pct0: x => (bad(x) ? DASH : f().pct0.format(x)),
  /** A 0..100 progress as a percentage. */
  progress: x => (bad(x) ? DASH : f().pct0.format(x / 100)),
  /** A signed difference, e.g. "+2,5" / "−1,0". */
  delta: (x, digits = 1) => {
    if (bad(x)) return DASH;
    const s = digits === 0 ? f().int.format(Math.abs(x)) : f().dec1.format(Math.abs(x));
    return (x > 0 ? '+' : x < 0 ? '−' : '±') + s;
  },
  date: x => (bad(x) ? DASH : f().date.format(toDate(x))),
  /** dd/mm: the date's first five characters (vi-VN's own day-month reads "30-11"). */
  dayMonth: x => (bad(x) ? DASH : f().date.format(toDate(x)).slice(0, 5)),
  time: x => (bad(x) ? DASH : f().time.format(toDate(x))),
  timeSec: x => (bad(x) ? DASH : f().timeSec.format(toDate(x))),
  /** dd/mm/yyyy HH:MM (date first in both languages). */
  dateTime: x => (bad(x) ? DASH : `${f().date.format(toDate(x))} ${f().time.format(toDate(x))}`),
  weekday: x => f().weekday.format(toDate(x)),
  /** "5 phút trước" from a time and now, coarse on purpose (screens across a room). */
  ago: (x, now = Date.now()) => {
    if (bad(x)) return DASH;
    const s = Math.max(0, Math.round((now - toDate(x).getTime()) / 1000));
    if (s < 60) return t('common.ago.s', { n: s });
    if (s < 3600) return t('common.ago.m', { n: Math.floor(s / 60) });
    if (s < 86400) return t('common.ago.h', { n: Math.floor(s / 3600) });
    return t('common.ago.d', { n: Math.floor(s / 86400) });
  },
};

/**
 * A period label of the API ("2026-12", "2026-W49", "2026-Q4", "2026") in words: "Tháng
 * 12/2026", "Tuần 49/2026", "Quý 4/2026", "Năm 2026"; anything else as given.
 */
export function periodLabel(p) {
  let m = /^(\d{4})-(\d{2})$/.exec(p || '');
  if (m) return t('period.month', { m: +m[2], y: m[1] });
  m = /^(\d{4})-W(\d{1,2})$/.exec(p || '');
  if (m) return t('period.week', { w: +m[2], y: m[1] });
  m = /^(\d{4})-Q(\d)$/.exec(p || '');
  if (m) return t('period.quarter', { q: m[2], y: m[1] });
  m = /^(\d{4})$/.exec(p || '');
  if (m) return t('period.year', { y: m[1] });
  return p || '';
}

export const levelName = l => t(`level.${l}`);
export const groupName = g => t(`group.${g}`);
export const bandName = b => t(`band.${b}`);
export const statusName = s => t(`status.${s}`);
export const GROUPS = ['development', 'service', 'party', 'internal'];
