// wall.js — owns wall display mode (wall.html?boards=a,b&rotate=20): a kiosk screen that
// rotates through unit boards, all followed live on one WebSocket so rotation is instant; the
// clock, each board's "updated N s ago", banners when the link is down or silent, the one alert
// count, and a strip of the board's newest red alert groups, rotating in large type. With
// `?meeting=<id>` the screen follows a review meeting instead (js/wallmeeting.js, on this socket).

import { t, fmt, TIME_ZONE, lang, onLangChange, applyStaticText } from '/js/i18n.js';
import {
  params, frameBatcher, markFirstRender, recordPatchMs, perf, setText, quietly, esc,
} from '/js/dom.js';
import { dashboardConfig, api, viewErrorText, unitIndex, isNetwork } from '/js/api.js';
import { markKept, noteBefore } from '/js/kept.js';
import { sessionReady, grantUnits } from '/js/session.js';
import { wireBanners } from '/js/banner.js';
import { Live, lineOf } from '/js/live.js';
import { Figures, GroupCards, TileGrid } from '/js/board.js';
import { alertSummary } from '/js/alertview.js';
import { ruleWords } from '/js/alertgroups.js';

const MAX_BOARDS = 30; // the server allows 32 subscriptions per connection
const RESORT_MS = 15_000;
const RED_KPIS_N = 20;
const RED_REFRESH_MS = 10_000;
/** The strip: the newest red groups of the board on screen, a few at a time, turning. */
const STRIP_N = 8;
const STRIP_TURN_MS = 7_000;

const live = new Live().start();
wireBanners(live);
applyStaticText();
const $ = sel => document.querySelector(sel);
/** A review meeting to follow instead of the boards (wall.html?meeting=<id>). */
const MEETING = params.get('meeting');
if (MEETING) document.body.classList.add('wall-meeting');

const figures = new Figures($('#figures'));
const groups = new GroupCards($('#groups'));
const grid = new TileGrid($('#tiles'), { sections: false, sort: 'score_asc' });
let boards = [];
let subs = new Map();
let current = 0;
let shownId = null;
const redKpis = new Map(); // board id -> {red, at, data, dataAt, failed, again}
const redNote = noteBefore($('#red-kpis'));
const strips = new Map(); // board id -> {red, at, data, dataAt, failed, again}
const stripNote = noteBefore($('#alert-strip'));
let stripAt = 0;
const dirty = { all: false, header: false, summary: false, own: false, alerts: false, children: new Set() };
const pendingPatches = [];
const batch = frameBatcher(flush);

function currentSub() { return subs.get(boards[current])?.sub; }

function onFrame(id) {
  return (s, change) => {
    if (id !== boards[current]) return; // kept current by live.js; drawn when its turn comes
    if (change.type === 'error') {
      renderEmpty(id, change);
      return;
    }
    if (change.type === 'view') dirty.all = true;
    else {
      const d = change.data;
      if (d.children) dirty.all = true;
      if (d.summary || d.summary_fields) dirty.summary = true;
      if (d.alerts) dirty.alerts = true;
      if (d.unit) dirty.header = true;
      if ('own' in d || d.own_fields) dirty.own = true;
      for (const line of d.children_changed || []) dirty.children.add(line.unit.id);
      pendingPatches.push(change.applyMs);
    }
    batch.schedule();
  };
}

function flush() {
  const t0 = performance.now();
  const s = currentSub();
  const v = s?.data;
  if (!v && shownId !== boards[current]) renderEmpty(boards[current], s?.error);
  if (v) {
    if (dirty.all || shownId !== boards[current]) renderBoard(v);
    else {
      if (dirty.header) setText($('#title'), v.unit.name);
      if (dirty.summary) { figures.update(v.summary); groups.update(v.summary?.kpis); quietly(loadRedKpis(shownId, v)); }
      if (dirty.alerts) { figures.setAlerts(v.alerts ?? null); quietly(loadStrip(shownId, v)); }
      if (dirty.own && grid.setOwn(v.own)) renderBoard(v);
      for (const id of dirty.children) {
        const line = lineOf(s, 'children', id);
        if (line) grid.update(line);
      }
    }
  }
  dirty.all = dirty.header = dirty.summary = dirty.own = dirty.alerts = false;
  dirty.children.clear();
  const renderMs = performance.now() - t0;
  for (const applyMs of pendingPatches) recordPatchMs(applyMs + renderMs);
  pendingPatches.length = 0;
}

/** Draws a whole board: worst tiles first, as many as fit the screen without scrolling. */
function renderBoard(v) {
  const boardChanged = shownId !== boards[current];
  shownId = boards[current];
  document.body.dataset.board = shownId;
  setText($('#title'), v.unit.name);
  setText($('#board-no'), boards.length > 1 ? t('wall.board_of', { i: current + 1, n: boards.length }) : '');
  figures.update(v.summary);
  figures.setAlerts(v.alerts ?? null);
  groups.update(v.summary?.kpis);
  const children = v.children || [];
  const own = v.own ?? null;
  const total = children.length + (own ? 1 : 0);
  grid.limit = null;
  grid.build(children, own);
  grid.limit = fittingTiles();
  if (grid.limit < total) grid.build(children, own);
  showRedKpis(shownId);
  quietly(loadRedKpis(shownId, v));
  if (boardChanged) stripAt = 0;
  showStrip(shownId);
  quietly(loadStrip(shownId, v));
  updateAgo();
  perf.fullRenders++;
  markFirstRender();
}

/**
 * A board with no data (yet, or a unit refused or unknown): say so rather than keep the last
 * board up, and draw no tiles (not "no sub-units": nothing is known of them).
 */
function renderEmpty(id, error) {
  shownId = id;
  document.body.dataset.board = id;
  setText($('#title'), error ? viewErrorText(error, id) : t('common.loading'));
  setText($('#board-no'), boards.length > 1 ? t('wall.board_of', { i: current + 1, n: boards.length }) : '');
  grid.clear();
  figures.last = groups.last = null;
  figures.build();
  groups.build();
  $('#red-kpis').innerHTML = '';
  $('#red-kpis').dataset.html = '';
  setText($('#red-total'), '');
  markKept($('#red-kpis'), redNote, null, false);
  $('#alert-strip').innerHTML = '';
  $('#alert-strip').dataset.html = '';
  setText($('#strip-pos'), '');
  markKept($('#alert-strip'), stripNote, null, false);
  updateAgo();
}

/** How many tiles fit the tiles area: columns from the grid's layout, rows from its height. */
function fittingTiles() {
  const box = $('#tiles');
  const tiles = box.querySelector('.tiles');
  const first = tiles?.firstElementChild;
  if (!first) return 0;
  const cs = getComputedStyle(tiles);
  const cols = cs.gridTemplateColumns.split(' ').filter(Boolean).length || 1;
  const gap = parseFloat(cs.rowGap) || 0;
  const rowH = first.getBoundingClientRect().height;
  const rows = Math.max(1, Math.floor((box.clientHeight + gap) / (rowH + gap)));
  return cols * rows;
}

/**
 * The board's red KPI series (REST), fetched when its red count moved (at most every 10 s),
 * and once more after the link came back. A fetch that cannot reach the server keeps the last
 * list (kept.js): greyed, with the time it is from, as during any outage.
 */
async function loadRedKpis(id, v) {
  const red = v.summary?.kpis?.total?.red;
  const have = redKpis.get(id);
  if (have && !have.again && (have.red === red || Date.now() - have.at < RED_REFRESH_MS)) return;
  const entry = { red, at: Date.now(), data: have?.data ?? null, dataAt: have?.dataAt ?? null, failed: false, again: false };
  redKpis.set(id, entry);
  try {
    entry.data = await api(`/units/${encodeURIComponent(id)}/kpis/red?limit=${RED_KPIS_N}`);
    entry.dataAt = Date.now();
  } catch (e) {
    entry.failed = true;
    // Not an outage (a refusal): nothing to keep.
    if (!isNetwork(e) && e?.code !== 'unavailable') entry.data = null;
  }
  if (id === shownId) showRedKpis(id);
}

function redHtml(r) {
  if (!r) return '';
  return r.kpis.length === 0 ? `<li class="quiet">${esc(t('city.red_kpis.none'))}</li>`
    : r.kpis.map(k => `<li data-id="${esc(k.code)}@${esc(k.unit?.id)}"><a><span class="rk-name">${esc(k.name)}</span>
        <span class="rk-unit">${esc(k.unit?.name)}</span><span class="rk-value c-red">${esc(fmt.num(k.value))} ${esc(k.unit_of_measure || '')}</span></a></li>`).join('');
}

function showRedKpis(id) {
  const e = redKpis.get(id);
  const list = $('#red-kpis');
  const html = redHtml(e?.data);
  if (list.dataset.html !== html) { list.innerHTML = html; list.dataset.html = html; }
  setText($('#red-total'), e?.data?.total ? `(${fmt.int(e.data.total)})` : '');
  markRedKpis();
}

/** Greys the shown list, with the time it is from, while the link is down or its fetch failed. */
function markRedKpis() {
  const e = redKpis.get(shownId);
  const stale = e?.data != null && (e.failed || live.status().downSince != null);
  markKept($('#red-kpis'), redNote, e?.dataAt, stale);
}

// ---- the alert strip -------------------------------------------------------------------------------

/**
 * The board's newest red groups (REST), fetched when its red count moved (at most every 10 s)
 * and once more after the link came back; kept through an outage like the red KPIs.
 */
async function loadStrip(id, v) {
  const red = v.alerts?.red;
  const have = strips.get(id);
  if (have && !have.again && (have.red === red || Date.now() - have.at < RED_REFRESH_MS)) return;
  const entry = { red, at: Date.now(), data: have?.data ?? null, dataAt: have?.dataAt ?? null, failed: false, again: false };
  strips.set(id, entry);
  try {
    const q = new URLSearchParams({ unit: id, severity: 'red', state: 'firing', order: 'newest', limit: String(STRIP_N) });
    entry.data = await api(`/alerts/groups?${q}`);
    entry.dataAt = Date.now();
  } catch (e) {
    entry.failed = true;
    if (!isNetwork(e) && e?.code !== 'unavailable') entry.data = null;
  }
  if (id === shownId) showStrip(id);
}

/** How many groups the strip shows at once: one per ~700 px of width, at least one. */
const stripShown = () => Math.max(1, Math.min(3, Math.floor(innerWidth / 700)));

/** A group in one line for a room: unit, then what (a group of one: its summary), then when. */
function stripItem(g) {
  const what = g.alert
    ? alertSummary(g.alert)
    : `${ruleWords(g)}: ${t('alerts.group.count', { n: fmt.int(g.count.total), noun: t(`alerts.noun.${g.subject_kind}`) })}`;
  const when = g.newest ? t('wall.alerts.fired', { ago: fmt.ago(g.newest) }) : '';
  return `<li class="strip-item" data-group-key="${esc(g.key)}"><span class="sev"></span>
    <span class="si-unit">${esc(g.unit.short_name || g.unit.name)}</span>
    <span class="si-what">${esc(what)}</span><span class="si-when">${esc(when)}</span></li>`;
}

function showStrip(id) {
  const e = strips.get(id);
  const list = $('#alert-strip');
  const groups = e?.data?.groups || [];
  const n = stripShown();
  let html = '';
  let pos = '';
  if (e?.data && groups.length === 0) html = `<li class="quiet">${esc(t('wall.alerts.none'))}</li>`;
  else if (groups.length) {
    const from = (stripAt * n) % groups.length;
    const shown = [];
    for (let i = 0; i < Math.min(n, groups.length); i++) shown.push(groups[(from + i) % groups.length]);
    html = shown.map(stripItem).join('');
    if (groups.length > n) pos = n === 1 ? `${fmt.int(from + 1)} / ${fmt.int(groups.length)}` : `${fmt.int(from + 1)}–${fmt.int(Math.min(from + n, groups.length))} / ${fmt.int(groups.length)}`;
  }
  if (list.dataset.html !== html) { list.innerHTML = html; list.dataset.html = html; }
  setText($('#strip-pos'), pos);
  const stale = e?.data != null && (e.failed || live.status().downSince != null);
  markKept(list, stripNote, e?.dataAt, stale);
}

function turnStrip() {
  const groups = strips.get(shownId)?.data?.groups || [];
  if (groups.length <= stripShown()) return;
  stripAt++;
  showStrip(shownId);
}

function rotate() {
  if (boards.length < 2) return;
  current = (current + 1) % boards.length;
  dirty.all = true;
  batch.schedule();
}

// ---- clock and ages ------------------------------------------------------------------------------

let clockFmt = null;
function tick() {
  const now = new Date();
  clockFmt ??= {
    time: new Intl.DateTimeFormat(lang === 'vi' ? 'vi-VN' : 'en-GB', { timeZone: TIME_ZONE, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }),
  };
  const time = clockFmt.time.format(now);
  const date = `${fmt.weekday(now)}, ${fmt.date(now)}`;
  const clock = $('#clock');
  if (clock.dataset.date !== date) {
    clock.dataset.date = date;
    clock.innerHTML = '<span></span><small></small>';
    clock.lastChild.textContent = date;
  }
  setText(clock.firstChild, time);
  updateAgo();
}

function updateAgo() {
  const s = currentSub();
  const el = $('[data-field="updated-ago"]');
  const at = s?.lastFrameAt || 0;
  setText(el, at ? t('wall.updated_ago', { ago: fmt.ago(at) }) : t('wall.never'));
  el.classList.toggle('old', !at || Date.now() - at > 60_000);
}

// ---- start ------------------------------------------------------------------------------------------

/**
 * The boards of a wall opened without `?boards=`: the configured ones the account may see; if
 * it sees none of them (a ward's account on a city's configuration), the units of its grants,
 * so a ward's wall opens on its ward rather than on a refusal. The server still decides.
 */
async function defaultBoards(cfg) {
  const s = await sessionReady();
  const granted = s ? grantUnits() : [];
  if (!granted.length || granted.includes('*') || granted.includes(cfg.root_unit)) return cfg.wall.boards;
  const seen = await unitIndex(); // the units this account sees
  if (seen.size === 0) return cfg.wall.boards;
  const visible = cfg.wall.boards.filter(b => seen.has(b));
  return visible.length ? visible : [...new Set(granted)];
}

async function main() {
  const cfg = await dashboardConfig();
  const fromUrl = (params.get('boards') || '').split(',').map(s => s.trim()).filter(Boolean);
  boards = (fromUrl.length ? fromUrl : await defaultBoards(cfg)).slice(0, MAX_BOARDS);
  const rotateS = Math.max(3, Number(params.get('rotate')) || cfg.wall.rotate_seconds || 20);
  document.body.dataset.board = boards[0];
  for (const id of boards) subs.set(id, live.watch('unit', id, onFrame(id)));
  setInterval(rotate, rotateS * 1000);
  setInterval(turnStrip, STRIP_TURN_MS);
  // The link back: every board's red list is asked again when it is next drawn (the shown one
  // now); while it is down the shown list greys with the time it is from.
  let wasDown = false;
  live.onStatus(st => {
    const down = st.downSince != null;
    if (wasDown && st.open) {
      for (const e of redKpis.values()) e.again = true;
      for (const e of strips.values()) e.again = true;
      const v = currentSub()?.data;
      if (v && shownId) { quietly(loadRedKpis(shownId, v)); quietly(loadStrip(shownId, v)); }
    }
    wasDown = down;
    markRedKpis();
    if (shownId) showStrip(shownId);
  });
  // Positions follow scores only now and then: tiles jumping every tick cannot be read.
  setInterval(() => { dirty.all = true; batch.schedule(); }, RESORT_MS);
  // The tiles' area changes with the window and when a banner comes or goes above the board:
  // re-count the tiles that fit.
  let lastHeight = $('#tiles').clientHeight;
  new ResizeObserver(() => {
    const h = $('#tiles').clientHeight;
    if (h === lastHeight) return;
    lastHeight = h;
    dirty.all = true;
    batch.schedule();
  }).observe($('#tiles'));
  addEventListener('resize', () => { dirty.all = true; batch.schedule(); });
}

if (MEETING) {
  quietly(import('/js/wallmeeting.js').then(m => m.start(live, MEETING)));
} else {
  onLangChange(() => { clockFmt = null; figures.build(); groups.build(); if (shownId) { showRedKpis(shownId); showStrip(shownId); } dirty.all = true; batch.schedule(); });
  tick();
  setInterval(tick, 1000);
  quietly(main());
}
