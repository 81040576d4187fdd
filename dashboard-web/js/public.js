// public.js — the public board of a unit (`/cong-khai/{unit}`), live from the server's event
// stream, and the list of units with a board (`/cong-khai`). No sign-in. Everything from the
// server is escaped (esc) before innerHTML or written with textContent; nothing is shown that
// the JSON does not have. A board arriving from the stream updates the page in place: each part
// is rewritten only when what it shows changed, KPI cards and service rows by their code, so
// focus and scroll stay where the reader left them.

import {
  t, lang, fmt, esc, periodLabel, monthShort, statusOf, statusWord, starsText, pageHref,
  unitFromLocation, applyStaticText, initLangToggle, onLangChange,
} from '/js/public-i18n.js';

const $ = sel => document.querySelector(sel);
const unit = unitFromLocation();
const api = code => `/public/v1/units/${encodeURIComponent(code)}`;

let board = null;           // the last PublicBoard rendered
let es = null;              // the EventSource
let downTimer = null;       // shows "Đang kết nối lại…" after a short grace
let retryTimer = null;      // a manual reconnect when the stream gave up (HTTP error)
let retryMs = 2000;
let units = null;           // the list mode's units

const setText = (el, s) => { if (el && el.textContent !== s) el.textContent = s; };
const setHtml = (el, s) => { if (el && el.__html !== s) { el.innerHTML = s; el.__html = s; } };
const field = name => $(`#board [data-field="${name}"]`);

function show(id) {
  for (const s of ['loading', 'board', 'unit-list', 'not-found', 'load-error']) {
    const el = document.getElementById(s);
    if (el) el.hidden = s !== id;
  }
}

function ready() { document.body.dataset.ready = '1'; }

// ---- loading --------------------------------------------------------------------------------

async function getJson(url) {
  const res = await fetch(url, { headers: { Accept: 'application/json', 'Accept-Language': lang }, cache: 'no-store' });
  if (res.status === 404) return { notFound: true };
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return { data: await res.json() };
}

async function load() {
  show('loading');
  try {
    if (unit) {
      const r = await getJson(`${api(unit)}?lang=${lang}`);
      if (r.notFound) return notFound();
      renderBoard(r.data);
      show('board');
      ready();
      connect();
    } else {
      const r = await getJson('/public/v1/units');
      units = (r.data && Array.isArray(r.data.units)) ? r.data.units : [];
      renderUnits();
      show('unit-list');
      ready();
    }
  } catch {
    document.title = t('error.title');
    show('load-error');
    ready();
  }
}

function notFound() {
  document.title = t('title.not_found');
  show('not-found');
  ready();
}

// ---- the live stream ------------------------------------------------------------------------

function connect() {
  clearTimeout(retryTimer);
  if (es) es.close();
  // EventSource cannot send Accept-Language: the language goes in the query.
  es = new EventSource(`${api(unit)}/events?lang=${lang}`);
  es.addEventListener('open', () => { retryMs = 2000; setLive(true); });
  es.addEventListener('board', ev => {
    let b;
    try { b = JSON.parse(ev.data); } catch { return; }
    if (!b || !b.unit) return;
    setLive(true);
    renderBoard(b);
  });
  es.addEventListener('error', () => {
    setLive(false);
    // CONNECTING: the browser retries by itself. CLOSED: it gave up (an HTTP error): retry here.
    if (es.readyState === EventSource.CLOSED) {
      retryTimer = setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 30000);
    }
  });
}

function setLive(up) {
  const note = $('#live-note');
  const article = $('#board');
  if (up) {
    clearTimeout(downTimer);
    downTimer = null;
    setText(note, '');
    article.classList.remove('is-down');
  } else if (!downTimer && note.textContent === '') {
    // A blip shorter than a second (the server closing a stream) says nothing.
    downTimer = setTimeout(() => {
      setText(note, t('board.reconnecting'));
      article.classList.add('is-down');
    }, 1000);
  }
}

// ---- the board ------------------------------------------------------------------------------

function renderBoard(b) {
  board = b;
  const u = b.unit || {};
  setText($('#unit-name'), u.name || '');
  const parent = field('parent');
  setText(parent, u.parent_name || '');
  parent.hidden = !u.parent_name;
  const title = t('title.board', { unit: u.name || '' });
  if (document.title !== title) document.title = title;

  const asOf = field('as-of');
  const time = fmt.timeSec(b.as_of);
  const today = fmt.ymd(new Date());
  const text = fmt.ymd(b.as_of) === today || !fmt.ymd(b.as_of)
    ? t('board.as_of', { time })
    : t('board.as_of.date', { time, date: fmt.date(b.as_of) });
  setText(asOf, text);

  const rate = pageHref(`/cong-khai/${encodeURIComponent(u.id || unit)}/danh-gia`);
  for (const a of document.querySelectorAll('#board a[data-link="rate"]')) {
    if (a.getAttribute('href') !== rate) a.setAttribute('href', rate);
  }

  renderTiles(b);
  renderMonths(b);
  renderStars(b);
  renderServices(b);
  renderKpis(b);
  renderComments(b);
  renderReports(b);
}

function renderTiles(b) {
  const s = b.satisfaction || {};
  const hasAvg = s.average != null && Number.isFinite(s.average);
  const avgEl = field('sat-average');
  setText(avgEl, hasAvg ? `${fmt.dec1(s.average)}/5` : t('tile.average.none'));
  avgEl.parentElement.classList.toggle('is-none', !hasAvg);
  setText(field('sat-average-sr'), hasAvg ? t('tile.average.sr', { value: fmt.dec1(s.average) }) : t('tile.average.none'));
  setText(field('sat-stars'), hasAvg ? starsText(s.average) : '');

  const sat = field('sat-satisfied');
  const hasSat = s.satisfied_percent != null && Number.isFinite(s.satisfied_percent);
  setText(sat, hasSat ? fmt.pct(s.satisfied_percent) : t('tile.average.none'));
  sat.classList.toggle('is-none', !hasSat);
  sat.nextElementSibling.hidden = !hasSat; // "đánh giá 4 hoặc 5 sao" explains a number only

  setText(field('sat-count'), fmt.int(Number.isFinite(s.count) ? s.count : 0));

  const k = b.on_time;
  const ot = field('on-time');
  const sub = field('on-time-sub');
  const hasOt = k && k.value != null && Number.isFinite(k.value);
  setText(ot, hasOt ? fmt.measure(k.value, k.unit_of_measure) : t('tile.none'));
  ot.classList.toggle('is-none', !hasOt);
  const subHtml = k
    ? `${statusChip(k.status)}${k.period ? ` <span class="tile-period">${esc(periodLabel(k.period))}</span>` : ''}`
    : '';
  setHtml(sub, subHtml);
}

function statusChip(status) {
  const s = statusOf(status);
  return `<span class="chip st-${s}"><span class="chip-icon" aria-hidden="true"></span>${esc(statusWord(s))}</span>`;
}

/** Bar of a 0..5 average as an SVG (decoration: the number is beside it as text). */
function bar(avg) {
  const w = avg == null || !Number.isFinite(avg) ? 0 : Math.max(0, Math.min(100, (avg / 5) * 100));
  return `<svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false">`
    + `<rect class="bar-track" x="0" y="0" width="100" height="10" rx="2"></rect>`
    + `<rect class="bar-fill" x="0" y="0" width="${w.toFixed(1)}" height="10" rx="2"></rect></svg>`;
}

function avgCell(avg) {
  if (avg == null || !Number.isFinite(avg)) return `<span class="none">${esc(t('avg.none'))}</span>`;
  return `<span class="avg"><span class="avg-num">${esc(fmt.dec1(avg))}</span>${bar(avg)}</span>`;
}

/** How many ratings gave 5, 4, 3, 2 and 1 stars: a table with bars and percentages. */
function renderStars(b) {
  const stars = (b.satisfaction && Array.isArray(b.satisfaction.stars)) ? b.satisfaction.stars : [];
  const total = stars.reduce((a, x) => a + (Number.isFinite(x) ? x : 0), 0);
  const el = $('#stars');
  el.parentElement.hidden = total === 0;
  if (total === 0) { setHtml(el, ''); return; }
  const rows = [5, 4, 3, 2, 1].map(n => {
    const c = Number.isFinite(stars[n - 1]) ? stars[n - 1] : 0;
    const share = (c / total) * 100;
    return `<tr><th scope="row"><span class="stars" aria-hidden="true">${starsText(n)}</span><span class="star-n">${esc(t('stars.n', { n }))}</span></th>`
      + `<td class="avg-col">${shareBar(share)}</td>`
      + `<td class="num">${esc(fmt.int(c))}</td><td class="num share">${esc(fmt.pct(share))}</td></tr>`;
  }).join('');
  setHtml(el, `<table class="data stars-table"><caption class="sr">${esc(t('stars.caption'))}</caption>`
    + `<thead><tr><th scope="col">${esc(t('stars.col.stars'))}</th><th scope="col"><span class="sr">${esc(t('stars.col.bar'))}</span></th>`
    + `<th scope="col" class="num">${esc(t('stars.col.count'))}</th><th scope="col" class="num">${esc(t('stars.col.share'))}</th></tr></thead>`
    + `<tbody>${rows}</tbody></table>`);
}

function shareBar(pct) {
  const w = Math.max(0, Math.min(100, pct));
  return `<svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false">`
    + `<rect class="bar-track" x="0" y="0" width="100" height="10" rx="2"></rect>`
    + `<rect class="bar-fill" x="0" y="0" width="${w.toFixed(1)}" height="10" rx="2"></rect></svg>`;
}

function renderMonths(b) {
  const months = (b.satisfaction && Array.isArray(b.satisfaction.months)) ? b.satisfaction.months : [];
  const el = $('#months');
  const anyRated = months.some(m => m.count > 0);
  if (!months.length || !anyRated) {
    setHtml(el, `<p class="empty">${esc(t('months.none'))}</p>`);
    return;
  }
  const current = (b.as_of || '').slice(0, 7);
  const rows = months.map(m => {
    const label = periodLabel(m.month);
    const cur = m.month === current ? ` <span class="sub">${esc(t('months.current'))}</span>` : '';
    return `<tr data-month="${esc(m.month)}"><th scope="row">${esc(label)}${cur}</th>`
      + `<td class="avg-col">${avgCell(m.average)}</td>`
      + `<td class="num">${esc(fmt.int(m.count))}</td></tr>`;
  }).join('');
  setHtml(el, `<table class="data months-table"><caption class="sr">${esc(t('months.caption'))}</caption>`
    + `<thead><tr><th scope="col">${esc(t('months.col.month'))}</th>`
    + `<th scope="col">${esc(t('months.col.average'))}</th>`
    + `<th scope="col" class="num">${esc(t('months.col.count'))}</th></tr></thead>`
    + `<tbody>${rows}</tbody></table>`);
}

/**
 * A list kept by key: a child per item (`attr` = key), its inner HTML rewritten only when it
 * changed, put in order, stale children removed. Focus inside an unchanged child stays.
 */
function keyed(container, items, { attr, key, tag, cls, inner }) {
  const have = new Map();
  for (const el of container.children) if (el.hasAttribute(attr)) have.set(el.getAttribute(attr), el);
  let prev = null;
  const keep = new Set();
  for (const item of items) {
    const k = String(key(item));
    if (keep.has(k)) continue; // a repeated code: the first wins
    keep.add(k);
    let el = have.get(k);
    if (!el) {
      el = document.createElement(tag);
      el.setAttribute(attr, k);
    }
    const c = cls(item);
    if (el.className !== c) el.className = c;
    setHtml(el, inner(item));
    const want = prev ? prev.nextElementSibling : container.firstElementChild;
    if (want !== el) container.insertBefore(el, want);
    prev = el;
  }
  for (const [k, el] of have) if (!keep.has(k)) el.remove();
}

function renderServices(b) {
  const s = b.satisfaction || {};
  const figs = Array.isArray(s.services) ? s.services : [];
  // By service, in the order of the service list; a service listed without figures shows 0.
  const byCode = new Map(figs.map(x => [x.code, x]));
  const list = Array.isArray(b.services) && b.services.length
    ? b.services.map(sv => byCode.get(sv.code) || { code: sv.code, name: sv.name, count: 0, average: null })
    : [...figs];
  for (const x of figs) if (!list.includes(x)) list.push(x);
  const el = $('#services');
  if (!list.length) {
    setHtml(el, `<p class="empty">${esc(t('services.none'))}</p>`);
    return;
  }
  let tbody = el.querySelector('tbody');
  if (!tbody || el.__lang !== lang) {
    el.innerHTML = `<table class="data services-table"><caption class="sr">${esc(t('services.caption'))}</caption>`
      + `<thead><tr><th scope="col">${esc(t('services.col.service'))}</th>`
      + `<th scope="col" class="num">${esc(t('services.col.count'))}</th>`
      + `<th scope="col">${esc(t('services.col.average'))}</th></tr></thead><tbody></tbody></table>`;
    el.__html = null;
    el.__lang = lang;
    tbody = el.querySelector('tbody');
  }
  keyed(tbody, list, {
    attr: 'data-service',
    key: x => x.code,
    tag: 'tr',
    cls: x => (x.count > 0 ? '' : 'unrated'),
    inner: x => `<th scope="row" lang="vi">${esc(x.name)}</th><td class="num">${esc(fmt.int(x.count))}</td>`
      + `<td class="avg-col">${avgCell(x.count > 0 ? x.average : null)}</td>`,
  });
}

function sparkline(k) {
  const pts = (Array.isArray(k.trend) ? k.trend : []).filter(p => p && Number.isFinite(p.value));
  const uom = k.unit_of_measure;
  if (pts.length === 0) return `<p class="trend-text">${esc(t('kpi.trend.none'))}</p>`;
  if (pts.length === 1) return `<p class="trend-text">${esc(t('kpi.trend.one'))}</p>`;
  const list = pts.map(p => `${periodLabel(p.period)}: ${fmt.measure(p.value, uom)}`).join('; ');
  const label = t('kpi.trend.label', { n: pts.length, list });
  const W = 160, H = 40, P = 5;
  const vals = pts.map(p => p.value);
  let lo = Math.min(...vals), hi = Math.max(...vals);
  if (hi - lo < 1e-9) { lo -= 1; hi += 1; }
  const x = i => P + (i * (W - 2 * P)) / (pts.length - 1);
  const y = v => H - P - ((v - lo) * (H - 2 * P)) / (hi - lo);
  const poly = pts.map((p, i) => `${x(i).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
  const dots = pts.map((p, i) => `<circle class="${i === pts.length - 1 ? 'spark-last' : 'spark-dot'}" cx="${x(i).toFixed(1)}" cy="${y(p.value).toFixed(1)}" r="${i === pts.length - 1 ? 3.5 : 2.2}"></circle>`).join('');
  const first = pts[0], last = pts[pts.length - 1];
  // Each "value (period)" kept on one line: the template is ours, the parts are escaped.
  const nw = s => `<span class="nw">${esc(s)}</span>`;
  const text = esc(t('kpi.trend.text', { first: '\u0001', p1: '\u0002', last: '\u0003', p2: '\u0004' }))
    .replace('\u0001 (\u0002)', nw(`${fmt.measure(first.value, uom)} (${periodLabel(first.period)})`))
    .replace('\u0003 (\u0004)', nw(`${fmt.measure(last.value, uom)} (${periodLabel(last.period)})`));
  return `<div class="trend"><svg class="spark" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(label)}" focusable="false">`
    + `<title>${esc(label)}</title><polyline class="spark-line" points="${poly}"></polyline>${dots}</svg>`
    + `<p class="trend-text" aria-hidden="true">${text}</p></div>`;
}

function renderKpis(b) {
  const kpis = Array.isArray(b.kpis) ? b.kpis : [];
  $('#kpis-empty').hidden = kpis.length > 0;
  keyed($('#kpis'), kpis, {
    attr: 'data-kpi',
    key: k => k.code,
    tag: 'li',
    cls: k => `kpi st-${statusOf(k.status)}`,
    inner: k => {
      const has = k.value != null && Number.isFinite(k.value);
      return `<h3 class="kpi-name" lang="vi">${esc(k.name)}</h3>`
        + `<p class="kpi-value${has ? '' : ' is-none'}"><span data-field="value">${esc(has ? fmt.measure(k.value, k.unit_of_measure) : t('tile.none'))}</span></p>`
        + (k.period ? `<p class="kpi-period">${esc(t('kpi.period', { period: periodLabel(k.period) }))}</p>` : '')
        + `<p class="kpi-status"><span class="sr">${esc(t('kpi.status'))} </span>${statusChip(k.status)}</p>`
        + (k.thresholds ? `<p class="kpi-thr">${esc(t('kpi.thresholds', { text: k.thresholds }))}</p>` : '')
        + sparkline(k);
    },
  });
}

function serviceName(b, code) {
  const sv = (b.services || []).find(s => s.code === code)
    || ((b.satisfaction && b.satisfaction.services) || []).find(s => s.code === code);
  return sv ? sv.name : code;
}

function renderComments(b) {
  const list = Array.isArray(b.comments) ? b.comments : [];
  $('#comments-empty').hidden = list.length > 0;
  const html = list.map(c => {
    const n = Math.max(0, Math.min(5, Math.round(Number(c.score) || 0)));
    return `<li class="comment"><p class="c-head"><span class="stars" aria-hidden="true">${starsText(n)}</span>`
      + `<span class="sr">${esc(t('comments.stars', { n }))}. </span>`
      + `<span class="c-service" lang="vi">${esc(serviceName(b, c.service))}</span></p>`
      + `<p class="c-text">${esc(c.comment)}</p>`
      + `<p class="c-time"><time datetime="${esc(c.at)}">${esc(fmt.dateTime(c.at))}</time></p></li>`;
  }).join('');
  setHtml($('#comments'), html);
}

function renderReports(b) {
  const months = Array.isArray(b.months) ? b.months : [];
  $('#reports-empty').hidden = months.length > 0;
  const code = encodeURIComponent(b.unit?.id || unit);
  keyed($('#reports'), months, {
    attr: 'data-month',
    key: m => m,
    tag: 'li',
    cls: () => 'report',
    inner: m => {
      const base = `/public/v1/units/${code}/months/${encodeURIComponent(m)}`;
      const sr = `<span class="sr">${esc(t('reports.sr', { period: monthShort(m) }))}</span>`;
      return `<span class="r-label">${esc(t('reports.month', { period: monthShort(m) }))}</span> `
        + `<span class="r-links"><a href="${esc(base)}.html">${esc(t('reports.html'))}${sr}</a>`
        + `<span class="dot" aria-hidden="true">·</span><a href="${esc(base)}.csv">${esc(t('reports.csv'))}${sr}</a>`
        + `<span class="dot" aria-hidden="true">·</span><a href="${esc(base)}.xlsx">${esc(t('reports.xlsx'))}${sr}</a></span>`;
    },
  });
}

// ---- the list of units ------------------------------------------------------------------------

const fold = s => String(s || '').normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').toLowerCase();

function renderUnits() {
  document.title = t('title.list');
  const q = fold($('#unit-search').value.trim());
  const all = units || [];
  const shown = q ? all.filter(u => fold(u.name).includes(q) || fold(u.parent_name).includes(q) || fold(u.id).includes(q)) : all;
  const groups = new Map();
  for (const u of shown) {
    const g = u.parent_name || '';
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g).push(u);
  }
  const multi = groups.size > 1 || (groups.size === 1 && !groups.has(''));
  let html = '';
  for (const [g, us] of groups) {
    const items = us.map(u => `<li><a href="${esc(pageHref(`/cong-khai/${encodeURIComponent(u.id)}`))}" data-unit="${esc(u.id)}" lang="vi">${esc(u.name)}</a></li>`).join('');
    html += multi ? `<section class="unit-group"><h2${g ? ' lang="vi"' : ''}>${esc(g || t('list.other'))}</h2><ul class="units">${items}</ul></section>`
      : `<ul class="units">${items}</ul>`;
  }
  setHtml($('#units'), html);
  const empty = $('#units-empty');
  empty.hidden = shown.length > 0;
  setText(empty, all.length ? t('list.no_match') : t('list.none'));
  setText($('#unit-count'), q ? t('list.count.filtered', { n: fmt.int(shown.length), total: fmt.int(all.length) })
    : (all.length ? t('list.count', { n: fmt.int(all.length) }) : ''));
  $('#unit-search').closest('.field').hidden = all.length < 2;
}

// ---- start ------------------------------------------------------------------------------------

initLangToggle($('#lang-toggle'));
applyStaticText();
for (const a of document.querySelectorAll('a[data-link="list"], a.site')) a.setAttribute('href', pageHref('/cong-khai'));
$('#retry').addEventListener('click', () => load());
$('#unit-search').addEventListener('input', () => renderUnits());

onLangChange(() => {
  for (const a of document.querySelectorAll('a[data-link="list"], a.site')) a.setAttribute('href', pageHref('/cong-khai'));
  if (!$('#not-found').hidden) document.title = t('title.not_found');
  if (!$('#load-error').hidden) document.title = t('error.title');
  if (units && !$('#unit-list').hidden) renderUnits();
  if (board && !$('#board').hidden) {
    // Every part again in the new language (the caches are per string, so all differ).
    renderBoard(board);
    const note = $('#live-note');
    if (note.textContent) note.textContent = t('board.reconnecting');
    // The stream's thresholds are worded in the request's language: reconnect in the new one.
    connect();
  }
});

load();
