// review.js — owns review meeting mode (review.html?unit=&week=2026-W47): one week against the
// last from GET /api/v1/units/{id}/review, with the server's charts (SVG shown, PNG to download),
// a week picker and a print layout.

import { t, fmt, lang, onLangChange, groupName } from '/js/i18n.js';
import {
  esc, params, unitHref, href, quietly, markFirstRender, perf, renderCrumbs,
} from '/js/dom.js';
import { api, dashboardConfig, showError, isMissing } from '/js/api.js';
import { initPage } from '/js/nav.js';
import { progressBar } from '/js/charts.js';
import { defaultUnit } from '/js/session.js';

let unitId = params.get('unit');
let week = params.get('week');
const nav = initPage({ active: 'review', unit: () => unitId, theme: 'light' });
const $ = sel => document.querySelector(sel);
let review = null;
// Long lists (a city has hundreds of series changing colour in a week) start short.
const SHORT_LIST = 15;

// ---- ISO weeks (Monday first, week 1 holds the year's first Thursday) ---------------------------------

function mondayOf(isoWeek) {
  const m = /^(\d{4})-W(\d{1,2})$/.exec(isoWeek || '');
  if (!m) return null;
  const jan4 = new Date(Date.UTC(+m[1], 0, 4));
  const monday1 = new Date(jan4.getTime() - ((jan4.getUTCDay() + 6) % 7) * 86400_000);
  return new Date(monday1.getTime() + (+m[2] - 1) * 7 * 86400_000);
}
function isoWeekOf(date) {
  const d = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  const thursday = new Date(d.getTime() + (3 - ((d.getUTCDay() + 6) % 7)) * 86400_000);
  const jan1 = new Date(Date.UTC(thursday.getUTCFullYear(), 0, 1));
  const n = 1 + Math.floor((thursday - jan1) / (7 * 86400_000));
  return `${thursday.getUTCFullYear()}-W${String(n).padStart(2, '0')}`;
}
const addWeeks = (w, n) => { const m = mondayOf(w); return m ? isoWeekOf(new Date(m.getTime() + n * 7 * 86400_000)) : null; };
/** This week in Vietnam, whatever the browser's own time zone. */
const currentWeek = () => isoWeekOf(new Date(Date.now() + 7 * 3600_000));

function go(w) {
  location.href = href('/review.html', { unit: unitId, week: w });
}

// ---- drawing ----------------------------------------------------------------------------------------

/** A change with its arrow coloured by whether up is good for this figure. */
function delta(now, before, { higherIsBetter = true, ratio = false, digits = 1, neutral = false } = {}) {
  if (typeof now !== 'number' || typeof before !== 'number') return '';
  const d = now - before;
  const cls = neutral || Math.abs(d) < 1e-9 ? 'same' : (d > 0) === higherIsBetter ? 'good' : 'bad';
  const text = ratio ? `${d > 0 ? '+' : d < 0 ? '−' : '±'}${fmt.dec1(Math.abs(d * 100))} %` : fmt.delta(d, digits);
  return `<span class="delta ${cls}">${d > 0 ? '▲' : d < 0 ? '▼' : '▬'} ${esc(text)}</span>`;
}

function headline(r) {
  const a = r.figures?.this || {}, b = r.figures?.last || {};
  const cards = [
    ['fig.score', fmt.dec1(a.score?.value), fmt.dec1(b.score?.value), delta(a.score?.value, b.score?.value), a.score?.band],
    ['fig.open', fmt.int(a.open), fmt.int(b.open), delta(a.open, b.open, { neutral: true, digits: 0 })],
    ['fig.overdue', fmt.int(a.overdue), fmt.int(b.overdue), delta(a.overdue, b.overdue, { higherIsBetter: false, digits: 0 })],
    ['fig.overdue_ratio', fmt.pct(a.overdue_ratio), fmt.pct(b.overdue_ratio), delta(a.overdue_ratio, b.overdue_ratio, { higherIsBetter: false, ratio: true })],
    ['fig.on_time_rate', fmt.pct(a.on_time_rate), fmt.pct(b.on_time_rate), delta(a.on_time_rate, b.on_time_rate, { ratio: true })],
    ['review.kpis_red', fmt.int(a.kpis?.red), fmt.int(b.kpis?.red), delta(a.kpis?.red, b.kpis?.red, { higherIsBetter: false, digits: 0 })],
    ['review.kpis_green', fmt.int(a.kpis?.green), fmt.int(b.kpis?.green), delta(a.kpis?.green, b.kpis?.green, { digits: 0 })],
    ['fig.alerts_red', fmt.int(a.alerts_fired?.red), fmt.int(b.alerts_fired?.red), delta(a.alerts_fired?.red, b.alerts_fired?.red, { higherIsBetter: false, digits: 0 })],
    ['fig.alerts_yellow', fmt.int(a.alerts_fired?.yellow), fmt.int(b.alerts_fired?.yellow), delta(a.alerts_fired?.yellow, b.alerts_fired?.yellow, { higherIsBetter: false, digits: 0 })],
    ['fig.kr_progress', fmt.pct(a.key_results_avg_progress), fmt.pct(b.key_results_avg_progress), delta(a.key_results_avg_progress, b.key_results_avg_progress, { ratio: true })],
  ];
  return `<section class="block" id="headline"><h2>${esc(t('review.headline'))}</h2><div class="headline">${cards.map(([k, now, was, d, band]) => `
    <div class="hl${band ? ` fig band-${esc(band)}` : ''}"><span class="fig-label">${esc(t(k))}</span><b>${esc(now)}</b>${d}
    <div class="was">${esc(t('review.last'))}: ${esc(was)}</div></div>`).join('')}</div></section>`;
}

const pointText = p => (p ? `<span class="chip band-${esc(p.status)}">${esc(fmt.num(p.value))}</span> <small>${esc(p.period)}</small>` : '—');

function seriesTable(id, titleKey, list) {
  const body = !list?.length ? `<p class="quiet">${esc(t('review.none'))}</p>` : `<div class="table-wrap"><table><thead><tr>
    <th>${esc(t('unit.col.code'))}</th><th>${esc(t('unit.col.kpi'))}</th><th>${esc(t('unit.col.unit'))}</th><th>${esc(t('review.before'))}</th><th>${esc(t('review.after'))}</th></tr></thead>
    <tbody>${list.map((s, i) => `<tr data-id="${esc(s.code)}@${esc(s.unit?.id)}"${i >= SHORT_LIST ? ' class="extra"' : ''}><td class="code">${esc(s.code)}</td>
      <td>${esc(s.name)}${s.group ? `<br><small>${esc(groupName(s.group))}</small>` : ''}</td>
      <td><a href="${esc(unitHref(s.unit?.id))}">${esc(s.unit?.name)}</a></td><td>${pointText(s.before)}</td><td>${pointText(s.after)}</td></tr>`).join('')}</tbody></table></div>
    ${list.length > SHORT_LIST ? `<button type="button" class="show-all" data-action="expand">${esc(t('common.show_all', { n: fmt.int(list.length) }))}</button>` : ''}`;
  return `<section class="block collapsible" id="${id}"><h2>${esc(t(titleKey))} <small>(${esc(fmt.int(list?.length ?? 0))})</small></h2>${body}</section>`;
}

function keyResults(r) {
  const list = r.key_results || [];
  const total = r.key_results_total ?? list.length;
  const body = !list.length ? `<p class="quiet">${esc(t('review.none'))}</p>` : `<div class="table-wrap"><table><thead><tr>
    <th>${esc(t('task.key_result'))}</th><th>${esc(t('unit.col.unit'))}</th><th>${esc(t('unit.col.progress'))}</th>
    <th class="num">${esc(t('review.this'))}</th><th class="num">${esc(t('review.progress_last_week'))}</th><th class="num">${esc(t('review.expected'))}</th><th class="num">${esc(t('fig.pace_gap'))}</th></tr></thead>
    <tbody>${list.map((k, i) => `<tr data-id="${esc(k.id)}"${i >= SHORT_LIST ? ' class="extra"' : ''}><td>${esc(k.title)}<br><small>${esc(k.objective_title || k.objective)}</small></td>
      <td><a href="${esc(unitHref(k.unit?.id))}">${esc(k.unit?.name)}</a></td>
      <td class="pbar-cell">${progressBar(k.progress, k.expected)}</td>
      <td class="num">${esc(fmt.pct0(k.progress))} ${delta(k.progress, k.progress_last_week, { ratio: true })}</td>
      <td class="num">${esc(fmt.pct0(k.progress_last_week))}</td><td class="num">${esc(fmt.pct0(k.expected))}</td>
      <td class="num ${k.pace_gap < -0.1 ? 'c-red' : k.pace_gap < 0 ? 'c-yellow' : 'c-green'}">${esc(fmt.delta((k.pace_gap ?? 0) * 100))}</td></tr>`).join('')}</tbody></table></div>
    ${list.length > SHORT_LIST ? `<button type="button" class="show-all" data-action="expand">${esc(t('common.show_all', { n: fmt.int(list.length) }))}</button>` : ''}`;
  return `<section class="block page-break collapsible" id="key-results"><h2>${esc(t('review.key_results'))} <small>(${esc(fmt.int(list.length))} / ${esc(fmt.int(total))})</small></h2>${body}</section>`;
}

function unitsTable(list, title, id) {
  const body = !list?.length ? `<p class="quiet">${esc(t('review.none'))}</p>` : `<table><thead><tr><th>${esc(t('unit.col.unit'))}</th>
    <th class="num">${esc(t('fig.score'))}</th><th class="num">${esc(t('review.delta'))}</th><th class="num">${esc(t('fig.overdue'))}</th><th class="num">${esc(t('review.kpis_red'))}</th></tr></thead>
    <tbody>${list.map(u => `<tr data-id="${esc(u.unit.id)}"><td><a href="${esc(unitHref(u.unit.id))}">${esc(u.unit.name)}</a></td>
      <td class="num"><span class="chip band-${esc(u.score?.band || 'no_data')}">${esc(fmt.dec1(u.score?.value))}</span></td>
      <td class="num">${delta(u.score?.value, u.score_last_week?.value) || '—'}</td>
      <td class="num">${esc(fmt.int(u.overdue))} ${delta(u.overdue, u.overdue_last_week, { higherIsBetter: false, digits: 0 })}</td>
      <td class="num">${esc(fmt.int(u.kpis_red))}</td></tr>`).join('')}</tbody></table>`;
  return `<section class="block" id="${id}"><h2>${esc(t(title))}</h2><div class="table-wrap">${body}</div></section>`;
}

function trendTable(r) {
  const pts = r.overdue_trend || [];
  if (!pts.length) return '';
  return `<div class="table-wrap"><table class="trend"><thead><tr><th>${esc(t('review.day'))}</th>${pts.map(p => `<th class="num">${esc(fmt.dayMonth(`${p.day}T12:00:00+07:00`))}</th>`).join('')}</tr></thead>
    <tbody><tr><td>${esc(t('fig.overdue'))}</td>${pts.map(p => `<td class="num">${esc(fmt.int(p.overdue))}</td>`).join('')}</tr>
    <tr><td>${esc(t('fig.open'))}</td>${pts.map(p => `<td class="num">${esc(fmt.int(p.open))}</td>`).join('')}</tr></tbody></table></div>`;
}

function chart(name, link) {
  if (!link?.svg) return '';
  const title = t(`review.chart.${name}`);
  return `<div class="chart" data-chart="${esc(name)}"><figure><img src="${esc(link.svg)}" alt="${esc(title)}" loading="lazy">
    <figcaption><span>${esc(title)}</span>${link.png ? `<a href="${esc(link.png)}" download="${esc(`${review.unit.id}-${review.week}-${name}.png`)}">${esc(t('review.png'))}</a>` : ''}</figcaption></figure></div>`;
}

/** The printable report and its exports for the week on screen (GET /units/{id}/report). */
function renderReportLinks(w) {
  const base = `/api/v1/units/${encodeURIComponent(unitId)}/report`;
  const q = format => new URLSearchParams({ period: w, format, lang }).toString();
  const set = (k, format) => { const a = document.querySelector(`#report-links [data-link="${k}"]`); if (a) a.href = `${base}?${q(format)}`; };
  set('report', 'html');
  set('csv', 'csv');
  set('xlsx', 'xlsx');
}

function render() {
  const r = review;
  if (!r) return;
  $('#title').textContent = r.unit.name;
  document.title = `${t('review.title')}: ${r.unit.name} · ${r.week} · IOC`;
  renderCrumbs($('#crumbs'), [{ id: r.unit.id, name: r.unit.name }], null);
  const range = r.this_week ? t('review.range', { from: fmt.date(r.this_week.from), to: fmt.date(new Date(Date.parse(r.this_week.to) - 1)) }) : '';
  $('#week-label').textContent = `${t('review.week', { week: r.week })} · ${range}`;
  $('#asof').textContent = r.as_of ? t('review.generated', { time: fmt.dateTime(r.as_of) }) : '';
  $('#week-pick').value = r.week;
  renderReportLinks(r.week);
  $('#next').disabled = r.week >= currentWeek();
  const c = r.charts || {};
  $('#review-body').innerHTML = [
    headline(r),
    `<div class="two-col">${seriesTable('turned-red', 'review.turned_red', r.turned_red)}${seriesTable('recovered', 'review.recovered', r.recovered)}</div>`,
    keyResults(r),
    `<section class="block" id="overdue-trend"><h2>${esc(t('review.overdue_trend'))}</h2>${chart('overdue', c.overdue)}${trendTable(r)}</section>`,
    `<div class="two-col">${unitsTable(r.top, 'review.top', 'top')}${unitsTable(r.bottom, 'review.bottom', 'bottom')}</div>`,
    `<section class="block page-break" id="charts"><h2>${esc(t('review.charts'))}</h2><div class="charts">${['kpis', 'key_results', 'units'].map(n => chart(n, c[n])).join('')}</div></section>`,
  ].join('');
  markFirstRender();
  perf.fullRenders++;
}

async function load() {
  try {
    const q = week ? `?week=${encodeURIComponent(week)}` : '';
    review = await api(`/units/${encodeURIComponent(unitId)}/review${q}`);
    week = review.week;
    render();
  } catch (e) {
    $('#title').textContent = unitId;
    showError($('#review-body'), e, { missingText: t('review.unavailable') });
    if (!isMissing(e) && e.status === 0) return;
    $('#week-pick').value = week || currentWeek();
    renderReportLinks(week || currentWeek());
  }
}

$('#prev').addEventListener('click', () => go(addWeeks(week || currentWeek(), -1)));
$('#next').addEventListener('click', () => go(addWeeks(week || currentWeek(), 1)));
$('#week-pick').addEventListener('change', e => { if (e.target.value) go(e.target.value); });
$('#print').addEventListener('click', () => print());
$('#review-body').addEventListener('click', e => {
  const b = e.target.closest('[data-action="expand"]');
  if (!b) return;
  b.closest('.collapsible').classList.add('expanded');
  b.remove();
});
onLangChange(render);

async function main() {
  if (!unitId) {
    unitId = await defaultUnit((await dashboardConfig()).root_unit);
    nav?.redraw();
  }
  await load();
}
quietly(main());
