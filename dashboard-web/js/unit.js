// unit.js — owns the unit board (unit.html?id=): a unit's live figures and KPIs (with
// sparklines), its objectives against pace, overdue and due-soon tasks, people and sub-units;
// REST lists follow the live figures, at most every 5 s. With `&at=` the same board as it stood
// at a past moment (past.js): views and lists fetched once with `at`, drawn by the same code,
// without sparklines (their history runs to now) and without the explanation threads (today's).

import { t, fmt, onLangChange, groupName, levelName, statusName, periodLabel } from '/js/i18n.js';
import {
  esc, params, frameBatcher, throttle, unitHref, personHref, taskHref, href, markFirstRender,
  recordPatchMs, perf, quietly, renderCrumbs, setText,
} from '/js/dom.js';
import { api, dashboardConfig, showError, viewErrorText } from '/js/api.js';
import { initPage } from '/js/nav.js';
import { wireBanners } from '/js/banner.js';
import { sparkline, progressBar } from '/js/charts.js';
import { defaultUnit } from '/js/session.js';
import { Live, lineOf } from '/js/live.js';
import { keptList } from '/js/kept.js';
import { Figures, GroupCards, TileGrid } from '/js/board.js';
import { loadThreads, threadsHtml, wireAnswers, ask, mayAsk } from '/js/explain.js';
import { isPast, withAt, initPast, showPastError } from '/js/past.js';

const REFRESH_MS = 5000;
const HISTORY_POINTS = 8;

let unitId = params.get('id') || params.get('unit');
// A past view opens no socket: nothing on it changes (past.js).
const live = isPast ? null : new Live().start();
const nav = initPage({ active: null, unit: () => unitId });
if (live) wireBanners(live);
initPast({ what: 'board', query: () => ({ id: unitId }) });

const $ = sel => document.querySelector(sel);
const body = id => document.querySelector(`#${id} [data-field="body"]`);
const count = id => document.querySelector(`#${id} [data-field="count"]`);

const figures = new Figures($('#figures'), { alertsUnit: unitId, past: isPast });
const groups = new GroupCards($('#groups'));
const grid = new TileGrid(body('children'), { sections: true, sort: 'name' });

let unitSub = null;
let kpiSub = null;
const dirty = { unit: false, header: false, summary: false, own: false, children: new Set(), kpisAll: false, kpis: new Set(), alerts: false };
const pendingPatches = [];
const batch = frameBatcher(flush);

// ---- live unit view -----------------------------------------------------------------------------

let lastFigures = { tasks: null, krs: null };

function onUnit(s, change) {
  if (change.type === 'error') {
    $('#title').textContent = viewErrorText(change, unitId);
    return;
  }
  if (change.type === 'view') {
    dirty.unit = true;
  } else {
    const d = change.data;
    if (d.children) dirty.unit = true;
    if (d.unit || d.path || d.as_of) dirty.header = true;
    if (d.summary || d.summary_fields) dirty.summary = true;
    if (d.alerts) dirty.alerts = true;
    if ('own' in d || d.own_fields) dirty.own = true;
    for (const line of d.children_changed || []) dirty.children.add(line.unit.id);
    pendingPatches.push(change.applyMs);
  }
  followFigures(s.data.summary);
  batch.schedule();
}

/** Refreshes the REST lists whose figures moved (throttled: never per frame). */
function followFigures(summary) {
  if (!summary) return;
  const tk = summary.tasks || {};
  const tasksKey = `${tk.open}|${tk.overdue}|${tk.total}|${tk.done_on_time}|${tk.done_late}`;
  if (tasksKey !== lastFigures.tasks) {
    const first = lastFigures.tasks == null;
    lastFigures.tasks = tasksKey;
    if (!first) { refreshTasks(); refreshPeople(); }
  }
  const krKey = JSON.stringify(summary.key_results || []);
  if (krKey !== lastFigures.krs) {
    const first = lastFigures.krs == null;
    lastFigures.krs = krKey;
    if (!first) refreshOkrs();
  }
}

// ---- live KPI board ---------------------------------------------------------------------------

const kpiRows = new Map();
let history = {};

function onKpis(s, change) {
  if (change.type === 'error') { showError(body('kpis'), change); return; }
  if (change.type === 'view') {
    dirty.kpisAll = true;
    for (const k of s.data.kpis || []) foldIntoHistory(k);
  } else {
    const d = change.data;
    if (d.kpis) dirty.kpisAll = true;
    for (const line of d.kpis_changed || []) {
      dirty.kpis.add(line.code);
      // A KPI changing colour changes its place (red first): the table is drawn again.
      if ('status' in line || 'stale' in line) dirty.kpisAll = true;
      // The newest point of a series is the live value: draw it now, the refetch confirms.
      if ('value' in line || 'period' in line || 'status' in line) foldIntoHistory(lineOf(s, 'kpis', line.code));
    }
    if (d.kpis_changed?.length) refreshHistory();
    pendingPatches.push(change.applyMs);
  }
  batch.schedule();
}

function foldIntoHistory(k) {
  if (!k || typeof k.value !== 'number' || !k.period) return;
  const pts = (history[k.code] ||= []);
  const last = pts[pts.length - 1];
  const point = { period: k.period, value: k.value, status: isCounter(k) || k.stale ? 'no_data' : k.status };
  if (last && last.period === k.period) pts[pts.length - 1] = point;
  else { pts.push(point); if (pts.length > HISTORY_POINTS) pts.shift(); }
}

/**
 * A counter: a KPI its thresholds cannot colour (the API marks it `counter`, or it is "higher
 * is better" with both thresholds 0, so every count is green), such as the dossiers settled
 * that a rate is computed from. It shows its value, no colour, and "—" for target and band.
 */
const isCounter = k => k?.counter === true
  || (k?.thresholds?.direction === 'higher_is_better' && k.thresholds.green === 0 && k.thresholds.red === 0);

/** The order of the KPI table: red, then yellow, green, without data, counters; then by code. */
const KPI_RANK = { red: 0, yellow: 1, green: 2, no_data: 3 };
const kpiRank = k => (isCounter(k) ? 4 : KPI_RANK[kpiBand(k)] ?? 3);
const kpiOrder = (a, b) => kpiRank(a) - kpiRank(b) || a.code.localeCompare(b.code);

/**
 * A computed KPI's formula in words: each {CODE} by the name of that KPI (as the board lists
 * it; the code where the board does not), `*` as ×: "Số hồ sơ … đúng hạn / Số hồ sơ … × 100".
 */
function formulaText(expression, names) {
  // Operators are read outside the {CODE} parts only: a name may hold a "/" of its own.
  return expression.split(/(\{[^}]+\})/).map(part => {
    const m = /^\{([^}]+)\}$/.exec(part);
    if (m) return names.get(m[1].trim()) || m[1].trim();
    return part.replace(/\*/g, ' × ').replace(/\//g, ' / ');
  }).join('').replace(/\s+/g, ' ').trim();
}

function thresholdText(th) {
  if (!th) return '';
  const n = fmt.num;
  if (th.direction === 'higher_is_better') return t('unit.threshold.higher', { green: n(th.green), red: n(th.red) });
  if (th.direction === 'lower_is_better') return t('unit.threshold.lower', { green: n(th.green), red: n(th.red) });
  return t('unit.threshold.band', { gl: n(th.green_low), gh: n(th.green_high), rl: n(th.red_low), rh: n(th.red_high) });
}
const targetOf = th => (th?.direction === 'in_band' ? `${fmt.num(th.green_low)}–${fmt.num(th.green_high)}` : fmt.num(th?.green));
const targetValue = th => (th?.direction === 'in_band' ? null : th?.green ?? null);
const kpiBand = k => (k.stale ? 'no_data' : k.status || 'no_data');

function buildKpis() {
  const v = kpiSub.sub.data;
  kpiRows.clear();
  const list = [...(v?.kpis || [])].sort(kpiOrder);
  const names = new Map(list.map(k => [k.code, k.name]));
  for (const a of v?.aggregates || []) if (a?.code && a?.name && !names.has(a.code)) names.set(a.code, a.name);
  setText(count('kpis'), list.length ? `(${fmt.int(list.length)})` : '');
  if (list.length === 0) { body('kpis').innerHTML = `<p class="quiet">${esc(t('unit.kpis.none'))}</p>`; return; }
  body('kpis').innerHTML = `<table><thead><tr>
      <th>${esc(t('unit.col.code'))}</th><th>${esc(t('unit.col.kpi'))}</th><th class="num">${esc(t('unit.col.value'))}</th>
      <th class="num">${esc(t('unit.col.target'))}</th><th>${esc(t('unit.col.band'))}</th>${isPast ? '' : `<th>${esc(t('unit.col.trend'))}</th>`}
      <th>${esc(t('unit.col.period'))}</th><th>${esc(t('unit.col.updated'))}</th></tr></thead><tbody>${list.map(k => `<tr data-id="${esc(k.code)}">
      <td class="code">${esc(k.code)}</td>
      <td><div>${esc(k.name)}${mayAsk() && !isPast ? ` <button type="button" class="xp-ask-kpi" data-action="explain-kpi">${esc(t('explain.ask.button'))}</button>` : ''}</div><small>${esc(groupName(k.group))} · ${esc(t(`freq.${k.frequency}`))}${k.expression
        ? ` · <span data-field="formula">${esc(t('unit.kpi.formula', { formula: formulaText(k.expression, names) }))}</span>`
        : k.source ? ` · ${esc(k.source)}` : ''}</small></td>
      <td class="num"><span class="chip" data-field="value"></span></td>
      <td class="num" data-field="target"></td>
      <td class="thr" data-field="thr"></td>
      ${isPast ? '' : '<td data-field="spark"></td>'}
      <td data-field="period"></td>
      <td data-field="updated"></td></tr>`).join('')}</tbody></table>`;
  for (const tr of body('kpis').querySelectorAll('tr[data-id]')) {
    const f = {};
    for (const n of tr.querySelectorAll('[data-field]')) f[n.dataset.field] = n;
    kpiRows.set(tr.dataset.id, { tr, f, spark: '' });
  }
  for (const k of list) writeKpi(k);
  drawKpiExplanations();
}

// Explanations asked about this unit's KPI lines: each line's threads in a row under it (with
// the answer form for the person to answer); a leader asks from the line. Read at start and
// after each request or answer made here.
let kpiExplained = new Map();

async function loadKpiExplanations() {
  const list = await loadThreads({ subject_kind: 'kpi', unit: unitId, limit: '500' });
  kpiExplained = new Map();
  for (const x of list.filter(x => x.unit?.id === unitId)) {
    if (!kpiExplained.has(x.subject)) kpiExplained.set(x.subject, []);
    kpiExplained.get(x.subject).push(x);
  }
  drawKpiExplanations();
}

function drawKpiExplanations() {
  const table = body('kpis').querySelector('tbody');
  if (!table || table.querySelector('form.xp-answer')?.contains(document.activeElement)) return;
  for (const r of table.querySelectorAll('tr.xp-row')) r.remove();
  for (const [code, list] of kpiExplained) {
    const tr = kpiRows.get(code)?.tr;
    if (!tr) continue;
    tr.insertAdjacentHTML('afterend', `<tr class="xp-row" data-xp-for="${esc(code)}"><td colspan="${isPast ? 7 : 8}">${threadsHtml(list)}</td></tr>`);
  }
}

body('kpis').addEventListener('click', async e => {
  const b = e.target.closest('button[data-action="explain-kpi"]');
  if (!b) return;
  const code = b.closest('tr[data-id]')?.dataset.id;
  const k = kpiSub?.sub.data?.kpis?.find(x => x.code === code);
  if (!k) return;
  const r = await ask({ subject_kind: 'kpi', subject: code, unit: unitId, words: k.name });
  if (r) await loadKpiExplanations();
});
wireAnswers(body('kpis'), () => loadKpiExplanations());

function writeKpi(k) {
  const row = kpiRows.get(k.code);
  if (!row) return;
  const f = row.f;
  const counter = isCounter(k);
  const band = counter ? 'counter' : kpiBand(k);
  setText(f.value, k.value == null ? '—' : `${fmt.num(k.value)} ${k.unit_of_measure || ''}`.trim());
  f.value.className = `chip band-${band}`;
  f.value.title = counter ? t('unit.kpi.counter') : `${t(`band.${k.status || 'no_data'}`)}${k.stale ? ` (${t('unit.kpi.stale')})` : ''}`;
  row.tr.dataset.status = counter ? 'counter' : kpiBand(k);
  setText(f.target, counter ? '—' : targetOf(k.thresholds));
  setText(f.thr, counter ? '—' : thresholdText(k.thresholds));
  f.thr.title = counter ? t('unit.kpi.counter') : '';
  setText(f.period, k.period ? periodLabel(k.period) : '—');
  f.period.title = k.period || '';
  setText(f.updated, k.updated_at ? fmt.dateTime(k.updated_at) : '—');
  // A past board has no sparkline column: the history endpoint runs to now, not to the moment.
  if (!f.spark) return;
  const svg = sparkline(history[k.code], { width: 120, height: 30, target: counter ? null : targetValue(k.thresholds) });
  if (svg !== row.spark) { row.spark = svg; f.spark.innerHTML = svg; }
}

const refreshHistory = throttle(async () => {
  try {
    const r = await api(`/units/${encodeURIComponent(unitId)}/kpis/history?points=${HISTORY_POINTS}`);
    history = r.series || {};
    for (const k of kpiSub?.sub.data?.kpis || []) foldIntoHistory(k);
    for (const code of kpiRows.keys()) dirty.kpis.add(code);
    batch.schedule();
  } catch {
    // No history: sparklines show the live point alone.
  }
}, REFRESH_MS);

// ---- drawing --------------------------------------------------------------------------------------

function flush() {
  const t0 = performance.now();
  const v = unitSub?.sub.data;
  if (v) {
    if (dirty.unit) {
      renderHeader(v);
      figures.update(v.summary);
      groups.update(v.summary?.kpis);
      grid.build(v.children || [], v.own ?? null);
      perf.fullRenders++;
      markFirstRender();
      figures.setAlerts(v.alerts ?? null);
    } else {
      if (dirty.header) renderHeader(v);
      if (dirty.summary) { figures.update(v.summary); groups.update(v.summary?.kpis); }
      if (dirty.own && grid.setOwn(v.own)) grid.build(v.children || [], v.own ?? null);
      for (const id of dirty.children) {
        const line = lineOf(unitSub.sub, 'children', id);
        if (line) grid.update(line);
      }
    }
  }
  if (kpiSub?.sub.data) {
    if (dirty.kpisAll) buildKpis();
    else for (const code of dirty.kpis) { const k = lineOf(kpiSub.sub, 'kpis', code); if (k) writeKpi(k); }
  }
  if (dirty.alerts && v) figures.setAlerts(v.alerts ?? null);
  dirty.unit = dirty.header = dirty.summary = dirty.own = dirty.kpisAll = dirty.alerts = false;
  dirty.children.clear();
  dirty.kpis.clear();
  const renderMs = performance.now() - t0;
  for (const applyMs of pendingPatches) recordPatchMs(applyMs + renderMs);
  pendingPatches.length = 0;
}

/** The links to the unit's OKR tree and its evaluation page. */
function renderLinks() {
  const okr = document.querySelector('#unit-links [data-link="okr"]');
  const ev = document.querySelector('#unit-links [data-link="evaluation"]');
  if (okr) okr.href = href('/okr.html', { unit: unitId });
  if (ev) ev.href = href('/evaluation.html', { unit: unitId });
}

function renderHeader(v) {
  setText($('#title'), v.unit.name);
  document.title = `${v.unit.name} · IOC`;
  renderCrumbs($('#crumbs'), v.path, { ...v.unit, name: `${v.unit.name} (${levelName(v.unit.level)})` });
  setText($('#asof'), isPast ? t('past.asof', { time: fmt.dateTime(v.as_of) }) : t('common.updated_at', { time: fmt.timeSec(v.as_of) }));
}

// ---- REST lists ------------------------------------------------------------------------------------

function taskTable(tasks) {
  if (!tasks.length) return `<p class="quiet">${esc(t('unit.tasks.none'))}</p>`;
  return `<table><thead><tr><th>${esc(t('unit.col.task'))}</th><th>${esc(t('unit.col.responsible'))}</th>
    <th>${esc(t('unit.col.deadline'))}</th><th class="num">${esc(t('unit.col.progress'))}</th><th>${esc(t('unit.col.status'))}</th></tr></thead>
    <tbody>${tasks.map(x => `<tr data-id="${esc(x.id)}"${x.overdue ? ' class="overdue"' : ''}>
      <td><a href="${esc(taskHref(x.id))}">${esc(x.title)}</a><br><small><a href="${esc(unitHref(x.unit?.id))}">${esc(x.unit?.name)}</a></small></td>
      <td>${x.responsible ? `<a href="${esc(personHref(x.responsible.id))}">${esc(x.responsible.name)}</a>` : '—'}</td>
      <td class="deadline">${esc(fmt.date(x.deadline))}<br><small>${esc(x.overdue ? fmt.ago(x.deadline) : fmt.weekday(x.deadline))}</small></td>
      <td class="num">${esc(fmt.progress(x.progress))}</td>
      <td class="status">${esc(statusName(x.status))}</td></tr>`).join('')}</tbody></table>`;
}

// The REST lists are kept through an outage (greyed, "as of") and asked again when the link
// is back (kept.js).
const taskList = (due, id) => keptList(body(id), {
  live,
  minGapMs: REFRESH_MS,
  load: () => api(withAt(`/units/${encodeURIComponent(unitId)}/tasks?due=${due}&limit=50`)),
  draw: r => {
    setText(count(id), `(${fmt.int(r.total)})`);
    body(id).innerHTML = taskTable(r.tasks || []);
  },
});
const refreshOverdue = taskList('overdue', 'tasks-overdue');
const refreshSoon = taskList('soon', 'tasks-soon');
const refreshTasks = () => { refreshOverdue(); refreshSoon(); };

const refreshPeople = keptList(body('people'), {
  live,
  minGapMs: REFRESH_MS,
  load: () => api(withAt(`/units/${encodeURIComponent(unitId)}/people?limit=100`)),
  draw: r => {
    setText(count('people'), `(${fmt.int(r.total)})`);
    const list = r.people || [];
    body('people').innerHTML = list.length === 0 ? `<p class="quiet">${esc(t('unit.people.none'))}</p>` : `<table><thead><tr>
      <th>${esc(t('unit.col.name'))}</th><th>${esc(t('unit.col.position'))}</th><th>${esc(t('unit.col.unit'))}</th>
      <th class="num">${esc(t('unit.col.workload'))}</th><th class="num">${esc(t('unit.col.tasks_total'))}</th>
      <th class="num">${esc(t('unit.col.overdue'))}</th><th class="num">${esc(t('unit.col.on_time_rate'))}</th><th class="num">${esc(t('fig.avg_progress'))}</th></tr></thead>
      <tbody>${list.map(p => `<tr data-id="${esc(p.id)}">
        <td><a href="${esc(personHref(p.id))}">${esc(p.name)}</a></td><td>${esc(p.position)}</td>
        <td><a href="${esc(unitHref(p.unit?.id))}">${esc(p.unit?.name)}</a></td>
        <td class="num">${esc(fmt.int(p.workload))}</td><td class="num">${esc(fmt.int(p.tasks_total))}</td>
        <td class="num${p.overdue ? ' c-red' : ''}">${esc(fmt.int(p.overdue))}</td>
        <td class="num">${esc(fmt.pct(p.on_time_rate))}</td><td class="num">${esc(fmt.progress(p.avg_progress))}</td></tr>`).join('')}</tbody></table>`;
  },
});

const paceText = x => `${fmt.pct0(x.progress)}`;

const refreshOkrs = keptList(body('okrs'), {
  live,
  minGapMs: REFRESH_MS,
  load: () => api(withAt(`/units/${encodeURIComponent(unitId)}/okrs`)),
  draw: r => {
    const objs = r.objectives || [];
    body('okrs').innerHTML = objs.length === 0 ? `<p class="quiet">${esc(t('unit.okr.none'))}</p>` : objs.map(o => `<div class="objective" data-id="${esc(o.id)}">
      <div class="objective-head">
        <div><div class="objective-title">${esc(o.title)}</div>
          <div class="objective-meta">${esc(periodLabel(o.period))}${o.owner ? ` · ${esc(t('unit.okr.owner', { name: '' }))}<a href="${esc(personHref(o.owner.id))}">${esc(o.owner.name)}</a>` : ''} · ${esc(t('unit.okr.expected', { pct: fmt.pct0(o.expected) }))}</div></div>
        ${progressBar(o.progress, o.expected)}
        <span class="pct">${esc(paceText(o))}</span>
      </div>
      <ul class="kr-list">${(o.key_results || []).map(k => `<li data-id="${esc(k.id)}">
        <span>${esc(k.title)}<br><small>${esc(fmt.num(k.current))} / ${esc(fmt.num(k.target))} ${esc(k.unit_of_measure || '')}${k.confidence == null ? '' : ` · ${esc(t('unit.okr.confidence', { n: k.confidence }))}`}${k.updated_at ? ` · ${esc(fmt.dateTime(k.updated_at))}` : ''}</small></span>
        ${progressBar(k.progress, k.expected)}
        <span class="pct" title="${esc(t('fig.pace_gap'))}: ${esc(t('review.pp', { n: fmt.delta((k.pace_gap ?? 0) * 100) }))}">${esc(paceText(k))}</span></li>`).join('')}</ul>
    </div>`).join('');
  },
});

onLangChange(() => {
  figures.build();
  groups.build();
  dirty.unit = dirty.kpisAll = true;
  batch.schedule();
  dirty.alerts = true;
});

async function main() {
  if (!unitId) {
    unitId = await defaultUnit((await dashboardConfig()).root_unit);
    figures.alertsUnit = unitId;
    figures.build();
    nav?.redraw();
  }
  renderLinks();
  if (isPast) { await loadPast(); return; }
  unitSub = live.watch('unit', unitId, onUnit);
  kpiSub = live.watch('kpis', unitId, onKpis);
  loadKpiExplanations().catch(() => {});
  refreshHistory();
  refreshTasks();
  refreshPeople();
  refreshOkrs();
}

/**
 * The board at the page's moment: the unit and KPI views (the live frames' JSON) once, drawn
 * as first frames would be, then the lists with `at`; a refused moment is said once, in the
 * banner, and the sections are left empty rather than repeating it.
 */
async function loadPast() {
  const enc = encodeURIComponent(unitId);
  try {
    const [unit, kpis] = await Promise.all([api(withAt(`/units/${enc}/view`)), api(withAt(`/units/${enc}/kpis`))]);
    unitSub = { sub: { data: unit, index: {} } };
    kpiSub = { sub: { data: kpis, index: {} } };
    onUnit(unitSub.sub, { type: 'view' });
    onKpis(kpiSub.sub, { type: 'view' });
  } catch (e) {
    showPastError(e);
    $('#title').textContent = e?.status === 403 || e?.status === 404 ? viewErrorText(e, unitId) : t('past.unavailable');
    for (const id of ['kpis', 'okrs', 'tasks-overdue', 'tasks-soon', 'people']) body(id).innerHTML = '';
    return;
  }
  refreshTasks();
  refreshPeople();
  refreshOkrs();
}
quietly(main());
