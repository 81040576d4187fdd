// review.js — owns review meeting mode (review.html?unit=&week=2026-W47): one week against the
// last from GET /api/v1/units/{id}/review, with the server's charts (SVG shown, PNG to download),
// a week picker and a print layout; the period's meeting (giao ban): a way in, or for a leader
// the form that opens it (POST /api/v1/meetings), and the last meeting's conclusions with their
// status now ("Kết luận kỳ trước", printed). With `&at=` the review as it stood at a past moment
// (past.js): read only, no meeting opened from it.

import { t, fmt, lang, onLangChange, groupName, periodLabel } from '/js/i18n.js';
import {
  esc, params, unitHref, href, quietly, markFirstRender, perf, renderCrumbs,
} from '/js/dom.js';
import { api, dashboardConfig, showError, isMissing, personName } from '/js/api.js';
import { initPage } from '/js/nav.js';
import { progressBar } from '/js/charts.js';
import { alertCountHtml } from '/js/alertview.js';
import { defaultUnit, session } from '/js/session.js';
import {
  conclusionHtml, stateBadge, meetingHref, isLeader, selectPickerHtml, multiPickerHtml, wirePeople,
  showFieldError, clearErrors, localError,
} from '/js/meetingparts.js';
import { isPast, pastAt, withAt, momentMs, initPast, showPastError } from '/js/past.js';

let unitId = params.get('unit');
let week = params.get('week');
const nav = initPage({ active: 'review', unit: () => unitId, theme: 'light' });
initPast({ what: 'review', query: () => ({ unit: unitId, week }) });
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
/**
 * This week in Vietnam, whatever the browser's own time zone; on a past review the week of its
 * moment (the weeks after it had not come then).
 */
const currentWeek = () => {
  const then = isPast ? momentMs(pastAt) : NaN;
  return isoWeekOf(new Date((Number.isFinite(then) ? then : Date.now()) + 7 * 3600_000));
};

/**
 * The week picker: the last 52 weeks up to this one, newest first, each in words with its
 * dates ("Tuần 49/2026 · 30/11 – 06/12"), and the week on screen if it is older. A select of
 * our own words rather than <input type=week>, which the browser labels in its own language.
 */
function drawWeekPick(shown) {
  const now = currentWeek();
  const weeks = [];
  for (let i = 0, w = now; i < 52 && w; i++, w = addWeeks(w, -1)) weeks.push(w);
  if (shown && !weeks.includes(shown)) weeks.push(shown);
  const label = w => {
    const m = mondayOf(w);
    const dates = m ? ` · ${fmt.dayMonth(`${m.toISOString().slice(0, 10)}T12:00:00+07:00`)} – ${fmt.dayMonth(`${new Date(m.getTime() + 6 * 86400_000).toISOString().slice(0, 10)}T12:00:00+07:00`)}` : '';
    return `${periodLabel(w)}${dates}`;
  };
  $('#week-pick').innerHTML = weeks.map(w => `<option value="${esc(w)}"${w === shown ? ' selected' : ''}>${esc(label(w))}</option>`).join('');
}

function go(w) {
  // Another week of a past review stays at the same moment.
  location.href = href('/review.html', { unit: unitId, week: w, at: pastAt });
}

// ---- drawing ----------------------------------------------------------------------------------------

/**
 * A change with its arrow coloured by whether up is good for this figure; nothing when either
 * side has no data (a period before the data began is not a 0). A change of a share (`ratio`)
 * is in percentage points: "+2,5 điểm %", not "+2,5 %".
 */
function delta(now, before, { higherIsBetter = true, ratio = false, digits = 1, neutral = false } = {}) {
  if (typeof now !== 'number' || typeof before !== 'number') return '';
  const d = now - before;
  const cls = neutral || Math.abs(d) < 1e-9 ? 'same' : (d > 0) === higherIsBetter ? 'good' : 'bad';
  const text = ratio ? t('review.pp', { n: fmt.delta(d * 100) }) : fmt.delta(d, digits);
  return `<span class="delta ${cls}">${d > 0 ? '▲' : d < 0 ? '▼' : '▬'} ${esc(text)}</span>`;
}

/** A figure of the period before, or "chưa có dữ liệu" when there was nothing under it. */
const was = (v, f) => (v == null ? t('review.no_data') : f(v));

function headline(r) {
  const a = r.figures?.this || {}, b = r.figures?.last || {};
  // [label, field, this value, last value, format, delta options]; a null is "no data".
  const cards = [
    ['fig.score', 'score', a.score?.value, b.score?.value, fmt.dec1, {}, a.score?.band],
    ['fig.open', 'open', a.open, b.open, fmt.int, { neutral: true, digits: 0 }],
    ['fig.overdue', 'overdue', a.overdue, b.overdue, fmt.int, { higherIsBetter: false, digits: 0 }],
    ['fig.overdue_ratio', 'overdue_ratio', a.overdue_ratio, b.overdue_ratio, fmt.pct, { higherIsBetter: false, ratio: true }],
    ['fig.on_time_rate', 'on_time_rate', a.on_time_rate, b.on_time_rate, fmt.pct, { ratio: true }],
    ['review.kpis_red', 'kpis_red', a.kpis?.red, b.kpis?.red, fmt.int, { higherIsBetter: false, digits: 0 }],
    ['review.kpis_green', 'kpis_green', a.kpis?.green, b.kpis?.green, fmt.int, { digits: 0 }],
    // Fired in the period: not the one count of active alerts (its own card, below), so not its words.
    ['review.alerts_fired_red', 'alerts_red', a.alerts_fired?.red, b.alerts_fired?.red, fmt.int, { higherIsBetter: false, digits: 0 }],
    ['review.alerts_fired_yellow', 'alerts_yellow', a.alerts_fired?.yellow, b.alerts_fired?.yellow, fmt.int, { higherIsBetter: false, digits: 0 }],
    ['fig.kr_progress', 'kr_progress', a.key_results_avg_progress, b.key_results_avg_progress, fmt.pct, { ratio: true }],
  ];
  // The one alert count, as the boards show it: only for a period that runs up to now.
  const active = r.alerts_active ? `<div class="hl" data-field="alerts_active">${alertCountHtml(r.alerts_active)}</div>` : '';
  // Where the period ends' task figures come from: the board as it stood then, or (before the
  // board's history began) rebuilt from the tasks' dates; said so a reader weighs them.
  const ends = r.ends_exact || {};
  const since = r.data_began?.history ? fmt.dateTime(r.data_began.history) : '—';
  const endsKey = ends.last && ends.this ? 'review.ends.exact' : ends.this ? 'review.ends.last_rebuilt' : 'review.ends.rebuilt';
  const source = `<p class="quiet ends-source" data-field="ends-source">${esc(t(endsKey, { since }))}</p>`;
  return `<section class="block" id="headline"><h2>${esc(t('review.headline'))}</h2>${source}<div class="headline">${active}${cards.map(([k, field, now, before, f, opts, band]) => `
    <div class="hl${band ? ` fig band-${esc(band)}` : ''}" data-field="${field}"><span class="fig-label">${esc(t(k))}</span><b>${esc(now == null ? t('review.no_data') : f(now))}</b>${delta(now, before, opts)}
    <div class="was" data-field="last">${esc(t('review.last'))}: ${esc(was(before, f))}</div></div>`).join('')}</div></section>`;
}

const pointText = p => (p ? `<span class="chip band-${esc(p.status)}">${esc(fmt.num(p.value))}</span> <small title="${esc(p.period)}">${esc(periodLabel(p.period))}</small>` : '—');

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
      <td class="num ${k.pace_gap < -0.1 ? 'c-red' : k.pace_gap < 0 ? 'c-yellow' : 'c-green'}">${esc(t('review.pp', { n: fmt.delta((k.pace_gap ?? 0) * 100) }))}</td></tr>`).join('')}</tbody></table></div>
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

/** The explanations asked in the period: what, of whom, by when, where it stands, the answers. */
function explanations(r) {
  const list = r.explanations || [];
  const state = x => (x.state === 'answered' ? t('explain.state.answered')
    : x.state === 'overdue' ? (x.escalated_to ? t('explain.state.overdue_to', { person: x.escalated_to }) : t('explain.state.overdue'))
      : t('explain.state.open', { due: fmt.dateTime(x.due_at) }));
  const cls = x => (x.state === 'answered' ? 'c-green' : x.state === 'overdue' ? 'c-red' : 'c-yellow');
  const body = !list.length ? `<p class="quiet">${esc(t('review.explain.none'))}</p>` : `<div class="table-wrap"><table><thead><tr>
    <th>${esc(t('review.explain.subject'))}</th><th>${esc(t('unit.col.unit'))}</th><th>${esc(t('explain.ask.addressee'))}</th><th>${esc(t('review.explain.state'))}</th><th>${esc(t('explain.title'))}</th></tr></thead>
    <tbody>${list.map((x, i) => `<tr data-id="${esc(x.id)}"${i >= SHORT_LIST ? ' class="extra"' : ''}><td><b>${esc(x.title)}</b><br><small>${esc(x.question)}</small></td>
      <td>${esc(x.unit_name)}</td><td>${esc(x.addressee)}</td><td class="${cls(x)}">${esc(state(x))}</td>
      <td>${x.answers.length ? x.answers.map(a => `<div class="xp-text">${esc(a)}</div>`).join('') : '—'}</td></tr>`).join('')}</tbody></table></div>
    ${list.length > SHORT_LIST ? `<button type="button" class="show-all" data-action="expand">${esc(t('common.show_all', { n: fmt.int(list.length) }))}</button>` : ''}`;
  return `<section class="block collapsible" id="explanations"><h2>${esc(t('review.explain.title'))} <small>(${esc(fmt.int(list.length))})</small></h2>${body}</section>`;
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

// ---- the meeting of the period (giao ban) --------------------------------------------------------

/**
 * "Kết luận kỳ trước": the conclusions of the last meeting of an earlier period, each with its
 * action, who answers for it by when, and its status now as a chip with a word. Printed.
 */
function followUp(r) {
  const f = r.follow_up;
  if (!f) return '';
  const list = f.conclusions || [];
  const n = s => list.filter(c => c.status === s).length;
  const of = f.meeting ? ` <a href="${esc(meetingHref(f.meeting.id))}" data-field="follow-up-meeting">${esc(t('meeting.follow_up.of', { period: periodLabel(f.meeting.period) }))}</a>` : '';
  const counts = list.length ? `<p class="mt-counts" data-field="follow-up-counts">${esc(t('meeting.follow_up.counts', { done: fmt.int(n('done')), late: fmt.int(n('late')), open: fmt.int(n('open')) }))}</p>` : '';
  return `<section class="block" id="follow-up" data-field="follow-up"><h2>${esc(t('meeting.follow_up'))} <small>(${esc(fmt.int(list.length))})</small>${of}</h2>${counts}
    ${list.length ? `<ul class="conclusions">${list.map(c => conclusionHtml(c, { time: false })).join('')}</ul>` : `<p class="quiet">${esc(t('meeting.follow_up.none'))}</p>`}</section>`;
}

/** The people picked in the open-meeting form (attendees by id, their names). */
const meetingPick = { picked: { attendees: [] }, names: new Map() };

/**
 * Above the review: the period's meeting ("Vào cuộc họp", or "Xem biên bản" once closed), or
 * for a leader "Mở cuộc họp giao ban" and its form (chair, attendees). Not printed.
 */
function renderMeetingBar(r) {
  const bar = $('#meeting-bar');
  const m = r.meeting;
  const period = periodLabel(r.period || r.week);
  if (m) {
    const closed = m.state === 'closed';
    bar.innerHTML = `<div class="meeting-line" data-field="meeting">${stateBadge(m.state)}
      <span>${esc(t('meeting.of_period', { period }))}</span>
      <a class="button primary" id="meeting-link" href="${esc(meetingHref(m.id))}">${esc(t(closed ? 'meeting.record' : 'meeting.enter'))}</a></div>`;
    bar.hidden = false;
    return;
  }
  // A past review is read only: the meeting is opened from the live one.
  if (!isLeader() || isPast) {
    bar.innerHTML = '';
    bar.hidden = true;
    return;
  }
  bar.hidden = false;
  bar.innerHTML = `<button type="button" id="open-meeting" class="primary">${esc(t('meeting.open_button'))}</button>
    <form id="meeting-form" class="work-form mt-form" novalidate hidden>
      <h3>${esc(t('meeting.form.title', { period }))}</h3>
      ${selectPickerHtml('chair', t('meeting.form.chair'))}
      ${multiPickerHtml('attendees', t('meeting.form.attendees'))}
      <p class="field-error" data-error-for="period" role="alert" hidden></p>
      <p class="field-error" data-error-for="unit" role="alert" hidden></p>
      <p class="field-error" data-error-for="" role="alert" hidden></p>
      <div class="buttons"><button type="button" data-act="cancel-meeting">${esc(t('common.cancel'))}</button>
        <button type="submit" class="primary">${esc(t('meeting.form.submit'))}</button></div>
    </form>`;
}

/** Shows the form; the chair is the account's own person to begin with. */
async function showMeetingForm() {
  const form = $('#meeting-form');
  if (!form) return;
  form.hidden = false;
  $('#open-meeting').hidden = true;
  if (form.dataset.wired) return;
  form.dataset.wired = '1';
  const me = session()?.account?.person;
  const chair = me ? await personName(me) : null;
  wirePeople(form, { ...meetingPick, initial: chair ? { chair: { id: me, name: chair.name || me } } : {} });
  form.elements.chair.focus();
}

/** POST /meetings; on success (a new meeting, or this review's existing one) to its page. */
async function openMeeting(form) {
  clearErrors(form);
  const chair = form.elements.chair.value;
  if (!chair) return localError(form, 'chair', 'meeting.err.chair');
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    const m = await api('/meetings', {
      method: 'POST',
      body: { unit: review.unit.id, period: review.period || review.week, chair, attendees: meetingPick.picked.attendees },
    });
    location.href = meetingHref(m.id);
  } catch (e) {
    showFieldError(form, e);
    button.disabled = false;
  }
  return true;
}

function render() {
  const r = review;
  if (!r) return;
  $('#title').textContent = r.unit.name;
  document.title = `${t('review.title')}: ${r.unit.name} · ${periodLabel(r.week)} · IOC`;
  renderCrumbs($('#crumbs'), [{ id: r.unit.id, name: r.unit.name }], null);
  const range = r.this_week ? t('review.range', { from: fmt.date(r.this_week.from), to: fmt.date(new Date(Date.parse(r.this_week.to) - 1)) }) : '';
  $('#week-label').textContent = `${periodLabel(r.week)} · ${range}`;
  $('#asof').textContent = r.as_of ? t('review.generated', { time: fmt.dateTime(r.as_of) }) : '';
  drawWeekPick(r.week);
  renderReportLinks(r.week);
  $('#next').disabled = r.week >= currentWeek();
  const c = r.charts || {};
  renderMeetingBar(r);
  $('#review-body').innerHTML = [
    headline(r),
    followUp(r),
    `<div class="two-col">${seriesTable('turned-red', 'review.turned_red', r.turned_red)}${seriesTable('recovered', 'review.recovered', r.recovered)}</div>`,
    keyResults(r),
    `<section class="block" id="overdue-trend"><h2>${esc(t('review.overdue_trend'))}</h2>${chart('overdue', c.overdue)}${trendTable(r)}</section>`,
    `<div class="two-col">${unitsTable(r.top, 'review.top', 'top')}${unitsTable(r.bottom, 'review.bottom', 'bottom')}</div>`,
    explanations(r),
    `<section class="block page-break" id="charts"><h2>${esc(t('review.charts'))}</h2><div class="charts">${['kpis', 'key_results', 'units'].map(n => chart(n, c[n])).join('')}</div></section>`,
  ].join('');
  markFirstRender();
  perf.fullRenders++;
}

async function load() {
  try {
    const q = week ? `?week=${encodeURIComponent(week)}` : '';
    review = await api(withAt(`/units/${encodeURIComponent(unitId)}/review${q}`));
    week = review.week;
    render();
  } catch (e) {
    $('#title').textContent = unitId;
    // A past review that cannot be shown says why once, in the past banner.
    if (isPast) {
      showPastError(e);
      $('#review-body').innerHTML = `<p class="quiet" data-field="error">${esc(t('past.unavailable'))}</p>`;
    } else showError($('#review-body'), e, { missingText: t('review.unavailable') });
    if (!isMissing(e) && e.status === 0) return;
    drawWeekPick(week || currentWeek());
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
$('#meeting-bar').addEventListener('click', e => {
  if (e.target.closest('#open-meeting')) quietly(showMeetingForm());
  else if (e.target.closest('[data-act="cancel-meeting"]')) {
    $('#meeting-form').hidden = true;
    $('#open-meeting').hidden = false;
  }
});
$('#meeting-bar').addEventListener('submit', e => {
  e.preventDefault();
  if (e.target.id === 'meeting-form') quietly(openMeeting(e.target));
});
onLangChange(render);

// The exports are the period's report as it is now, not as it stood at the moment.
if (isPast) $('#report-links').hidden = true;

async function main() {
  if (!unitId) {
    unitId = await defaultUnit((await dashboardConfig()).root_unit);
    nav?.redraw();
  }
  await load();
}
quietly(main());
