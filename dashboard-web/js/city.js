// city.js — owns the city board (index.html?unit=): every child unit as a live tile, the four
// index groups, the one alert count (from the unit view), the red KPIs and the worst units of one
// unit's subtree; with `&at=` the same board as it stood at a past moment (past.js), fetched
// once over REST and drawn by the same code as the live frames.

import { t, fmt, onLangChange } from '/js/i18n.js';
import {
  esc, params, frameBatcher, unitHref, markFirstRender, recordPatchMs, perf, quietly,
  renderCrumbs, href, setText,
} from '/js/dom.js';
import { api, dashboardConfig, viewErrorText } from '/js/api.js';
import { initPage } from '/js/nav.js';
import { wireBanners } from '/js/banner.js';
import { defaultUnit } from '/js/session.js';
import { Live, lineOf } from '/js/live.js';
import { keptList } from '/js/kept.js';
import { Figures, GroupCards, TileGrid, renderWorst } from '/js/board.js';
import { isPast, withAt, initPast, showPastError } from '/js/past.js';

const REVIEW_EVERY_MS = 5 * 60_000;
const WORST_N = 8;

let unitId = params.get('unit');
// A past view opens no socket: nothing on it changes (past.js).
const live = isPast ? null : new Live().start();
const nav = initPage({ active: 'city', unit: () => unitId });
if (live) wireBanners(live);
initPast({ what: 'board', query: () => ({ unit: unitId }) });

const figures = new Figures(document.getElementById('figures'), { alertsUnit: unitId, past: isPast });
const groups = new GroupCards(document.getElementById('groups'));
const grid = new TileGrid(document.getElementById('tiles'), { sections: true, sort: 'name' });
const worstEl = document.getElementById('worst');
let worstState = {};
let sub = null;
let lastRed = null;

// What changed since the last frame was drawn; drawn together in one animation frame.
const dirty = { all: false, summary: false, header: false, asof: false, own: false, children: new Set(), alerts: false, worst: false };
const pendingPatches = [];
const batch = frameBatcher(flush);

function flush() {
  const t0 = performance.now();
  const v = sub?.sub.data;
  if (v) {
    if (dirty.all) {
      renderAll(v);
    } else {
      if (dirty.header) renderHeader(v);
      else if (dirty.asof) renderAsOf(v);
      if (dirty.summary) { figures.update(v.summary); groups.update(v.summary.kpis); }
      // The own line appears or goes (a first or last child): rebuild; else rewrite its tile.
      if (dirty.own && grid.setOwn(v.own)) { grid.build(v.children, v.own ?? null); perf.fullRenders++; }
      for (const id of dirty.children) {
        const line = lineOf(sub.sub, 'children', id);
        if (line) grid.update(line);
      }
      if (dirty.worst) worstState = renderWorst(worstEl, v.children, WORST_N, worstState);
    }
  }
  if (dirty.alerts && v) figures.setAlerts(v.alerts ?? null);
  dirty.all = dirty.summary = dirty.header = dirty.asof = dirty.own = dirty.alerts = dirty.worst = false;
  dirty.children.clear();
  const renderMs = performance.now() - t0;
  for (const applyMs of pendingPatches) recordPatchMs(applyMs + renderMs);
  pendingPatches.length = 0;
}

function renderHeader(v) {
  document.getElementById('title').textContent = v.unit.name;
  document.title = `${v.unit.name} · IOC`;
  renderCrumbs(document.getElementById('crumbs'), v.path, v.unit, id => href('/', { unit: id }));
  renderAsOf(v);
}

function renderAsOf(v) {
  setText(document.getElementById('asof'), isPast ? t('past.asof', { time: fmt.dateTime(v.as_of) }) : t('common.updated_at', { time: fmt.timeSec(v.as_of) }));
}

function renderAll(v) {
  renderHeader(v);
  figures.update(v.summary);
  figures.setAlerts(v.alerts ?? null);
  groups.update(v.summary.kpis);
  grid.build(v.children, v.own ?? null);
  worstState = renderWorst(worstEl, v.children, WORST_N, {});
  perf.fullRenders++;
}

function onFrame(s, change) {
  if (change.type === 'error') {
    document.getElementById('title').textContent = viewErrorText(change, unitId);
    return;
  }
  if (change.type === 'view') {
    dirty.all = true;
    batch.schedule();
    afterFirstView();
    return;
  }
  const d = change.data;
  if (d.children) dirty.all = true;
  if (d.summary || d.summary_fields) {
    dirty.summary = true;
    const red = s.data.summary?.kpis?.total?.red;
    if (red !== lastRed) { lastRed = red; refreshRedKpis(); }
  }
  if (d.unit || d.path) dirty.header = true;
  if (d.alerts) dirty.alerts = true;
  if (d.as_of) dirty.asof = true;
  if ('own' in d || d.own_fields) dirty.own = true;
  if (d.children_changed) {
    for (const line of d.children_changed) dirty.children.add(line.unit.id);
    dirty.worst = true;
  }
  pendingPatches.push(change.applyMs);
  batch.schedule();
}

let started = false;
function afterFirstView() {
  requestAnimationFrame(() => markFirstRender());
  if (started) return;
  started = true;
  lastRed = sub.sub.data.summary?.kpis?.total?.red ?? null;
  refreshRedKpis();
  quietly(loadTrend());
  // A past board's trend is that of its moment: asked once.
  if (!isPast) setInterval(() => quietly(loadTrend()), REVIEW_EVERY_MS);
}

// ---- REST side lists ----------------------------------------------------------------------------

const redEl = document.getElementById('red-kpis');
// Kept through an outage (greyed, "as of"), asked again when the link is back.
const refreshRedKpis = keptList(redEl, {
  live,
  load: () => api(withAt(`/units/${encodeURIComponent(unitId)}/kpis/red?limit=50`)),
  draw: r => {
    document.getElementById('red-total').textContent = r.total ? `(${fmt.int(r.total)})` : '';
    redEl.innerHTML = r.kpis.length === 0
      ? `<li class="quiet">${esc(t('city.red_kpis.none'))}</li>`
      : r.kpis.map(k => `<li data-id="${esc(k.code)}@${esc(k.unit?.id)}">
          <a href="${esc(unitHref(k.unit?.id))}" title="${esc(k.name)} · ${esc(k.unit?.name)}"><span class="rk-code">${esc(k.code)}</span>
          <span class="rk-name">${esc(k.name)}</span>
          <span class="rk-unit">${esc(k.unit?.name)}</span>
          <span class="rk-value c-red">${esc(fmt.num(k.value))} ${esc(k.unit_of_measure || '')}</span></a></li>`).join('');
  },
});

async function loadTrend() {
  try {
    // On a past board, the review as it stood then (a server that does not take `at` there
    // refuses, and the tiles show no trend).
    const r = await api(withAt(`/units/${encodeURIComponent(unitId)}/review`));
    const m = new Map();
    for (const u of r.units || []) if (typeof u.score_last_week?.value === 'number') m.set(u.unit.id, u.score_last_week.value);
    grid.setLastWeek(m);
  } catch {
    // No review yet (or no history): tiles simply show no trend.
  }
}

// ---- controls --------------------------------------------------------------------------------------

document.getElementById('filter').addEventListener('click', e => {
  const b = e.target.closest('[data-filter]');
  if (!b) return;
  for (const x of document.querySelectorAll('#filter [data-filter]')) x.classList.toggle('on', x === b);
  grid.filter = b.dataset.filter;
  grid.applyFilter();
});
document.getElementById('sort').addEventListener('change', e => {
  grid.sort = e.target.value;
  if (sub?.sub.data) { grid.build(sub.sub.data.children, sub.sub.data.own ?? null); perf.fullRenders++; }
});
document.getElementById('search').addEventListener('input', e => {
  grid.query = e.target.value;
  grid.applyFilter();
});

onLangChange(() => {
  figures.build();
  groups.build();
  dirty.all = true;
  dirty.alerts = true;
  batch.schedule();
});

// ---- start ------------------------------------------------------------------------------------------

async function main() {
  if (!unitId) {
    unitId = await defaultUnit((await dashboardConfig()).root_unit);
    figures.alertsUnit = unitId;
    figures.build();
    nav?.redraw();
  }
  if (isPast) await loadPast();
  else sub = live.watch('unit', unitId, onFrame);
}

/**
 * The board at the page's moment: the unit view (the live `unit` frame's JSON) once, drawn as
 * a first frame would be; the lists follow only when the moment can be shown (a refused
 * moment is said once, in the banner, not in every list).
 */
async function loadPast() {
  try {
    const data = await api(withAt(`/units/${encodeURIComponent(unitId)}/view`));
    sub = { sub: { data, index: {} } };
    onFrame(sub.sub, { type: 'view' });
  } catch (e) {
    showPastError(e);
    const title = document.getElementById('title');
    title.textContent = e?.status === 403 || e?.status === 404 ? viewErrorText(e, unitId) : t('past.unavailable');
    for (const id of ['red-kpis', 'worst']) document.getElementById(id).innerHTML = '';
  }
}
quietly(main());
