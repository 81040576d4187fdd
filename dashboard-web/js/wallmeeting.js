// wallmeeting.js — owns the wall in meeting mode (wall.html?meeting=<id>; wall.js hands over to
// it): the item the presenter shows, followed over the live `meeting` view (MeetingNow) — its
// section and title in large type, its figures line, the live figures of its unit (score and
// band, open and overdue work, on-time rate, the one alert count), the KPI now for an indicator
// that turned red, the key result's current value against its target with a progress bar, the
// person's open and overdue work, the conclusions made on it so far, "Mục 3/12" — and the
// unit, the period and the clock. No controls; reconnects come from live.js.

import { t, fmt, TIME_ZONE, lang, onLangChange, periodLabel } from '/js/i18n.js';
import { esc, setText, markFirstRender, perf, frameBatcher } from '/js/dom.js';
import { errorText } from '/js/api.js';
import { progressBar } from '/js/charts.js';
import { alertCountHtml } from '/js/alertview.js';
import { sectionName, statusChip, stateBadge, conclusionHtml } from '/js/meetingparts.js';

/** Conclusions of the item on screen: the newest few (a room reads four lines, not twelve). */
const SHOWN_CONCLUSIONS = 4;
/** Above this many items the agenda's steps are one bar rather than a segment each. */
const MAX_STEPS = 40;
const BANDS = new Set(['green', 'yellow', 'red', 'no_data']);

let sub = null;
let meetingId = null;
let clockFmt = null;
const $ = sel => document.querySelector(sel);
function setHtml(el, html) {
  if (el && el.dataset.html !== html) { el.innerHTML = html; el.dataset.html = html; }
}

function layout() {
  return `<header class="wall-head wm-head">
      <h1 id="title" data-field="unit">${esc(t('common.loading'))}</h1>
      <span class="wm-period" data-field="period"></span>
      <span class="wm-state" data-field="meeting-state"></span>
      <span class="ago" data-field="updated-ago"></span>
      <div id="clock"></div>
    </header>
    <p class="wm-closed" data-field="closed" hidden>${esc(t('meeting.wall.closed'))}</p>
    <section class="wm-now" id="wm-now">
      <div class="wm-kicker"><span data-field="current-section"></span><span data-field="current-status"></span></div>
      <h2 class="wm-title" data-field="current-title"></h2>
      <p class="wm-detail" data-field="current-detail"></p>
    </section>
    <section class="wm-figs" id="wm-figs"></section>
    <section class="wm-conclusions" id="wm-conclusions">
      <h3 data-field="conclusions-head"></h3>
      <ul class="conclusions" data-field="conclusions"></ul>
    </section>
    <footer class="wm-foot">
      <span class="wm-of" data-field="item-of"></span>
      <div class="wm-steps" data-field="steps"></div>
    </footer>`;
}

// ---- the figures ----------------------------------------------------------------------------------

const card = (field, label, value, { cls = '', extra = '' } = {}) => `<div class="fig wm-fig ${cls}" data-fig="${field}">
  <span class="fig-label">${esc(label)}</span><b data-field="${field}">${esc(value)}</b>${extra}</div>`;

/** A band as a chip with its word (never a colour alone). */
const bandChip = b => (BANDS.has(b) ? `<span class="chip band-${esc(b)}" data-field="band">${esc(t(`band.${b}`))}</span>` : '');

/** The item's own figure: the KPI now, the key result against its target, the person's work. */
function itemFigure(d) {
  if (d.kpi) {
    const k = d.kpi;
    return `<div class="fig wm-fig wm-main band-${esc(BANDS.has(k.status) ? k.status : 'no_data')}" data-fig="kpi">
      <span class="fig-label">${esc(k.name)}${k.period ? ` · ${esc(periodLabel(k.period))}` : ''}</span>
      <b data-field="kpi-value">${esc(fmt.num(k.value))}</b> <span class="wm-uom">${esc(k.unit_of_measure || '')}</span>
      <span data-field="kpi-status">${bandChip(k.status)}</span></div>`;
  }
  if (d.key_result) {
    const k = d.key_result;
    const expected = typeof k.progress === 'number' && typeof k.pace_gap === 'number' ? k.progress - k.pace_gap : null;
    const gap = typeof k.pace_gap === 'number' ? ` · ${t('fig.pace_gap')}: ${t('review.pp', { n: fmt.delta(k.pace_gap * 100) })}` : '';
    return `<div class="fig wm-fig wm-main" data-fig="key-result">
      <span class="fig-label">${esc(t('meeting.wall.kr', { title: k.title }))}</span>
      <b data-field="kr-value">${esc(fmt.num(k.current))} / ${esc(fmt.num(k.target))}</b> <span class="wm-uom">${esc(k.unit_of_measure || '')}</span>
      <div class="wm-bar" data-field="kr-progress">${progressBar(k.progress, expected)}</div>
      <small>${esc(t('meeting.wall.progress', { pct: fmt.pct0(k.progress) }))}${esc(gap)}</small></div>`;
  }
  if (d.person) {
    const p = d.person;
    return `<div class="fig wm-fig wm-main" data-fig="person"><span class="fig-label">${esc(p.name)}</span>
      <div class="wm-person">
        <span><b data-field="person-open">${esc(fmt.int(p.open))}</b> <small>${esc(t('fig.open'))}</small></span>
        <span class="c-red"><b data-field="person-overdue">${esc(fmt.int(p.overdue))}</b> <small>${esc(t('fig.overdue'))}</small></span>
        <span><b data-field="person-on-time">${esc(fmt.pct(p.on_time_rate))}</b> <small>${esc(t('fig.on_time_rate'))}</small></span>
      </div></div>`;
  }
  return '';
}

/** The live figures of the item's unit (else the meeting's): score with its band, work, alerts. */
function unitFigures(d) {
  const s = d.summary;
  const tk = s?.tasks || {};
  const band = s?.score?.band || 'no_data';
  const parts = s ? [
    card('score', t('fig.score'), fmt.dec1(s.score?.value), { cls: `band-${esc(band)}`, extra: bandChip(band) }),
    card('open', t('fig.open'), fmt.int(tk.open)),
    card('overdue', t('fig.overdue'), fmt.int(tk.overdue), { cls: tk.overdue ? 'wm-hot' : '' }),
    card('on-time', t('fig.on_time_rate'), fmt.pct(tk.on_time_rate)),
  ] : [];
  if (d.alerts) parts.push(`<div class="fig wm-fig fig-alerts" data-fig="alerts">${alertCountHtml(d.alerts)}</div>`);
  if (!parts.length) return '';
  const unit = d.item?.unit?.name || d.unit?.name || '';
  return `<div class="wm-unit"><h3>${esc(t('meeting.wall.unit_figs', { unit }))}</h3><div class="wm-unit-figs">${parts.join('')}</div></div>`;
}

// ---- drawing --------------------------------------------------------------------------------------

function stepsHtml(d) {
  const n = d.total || 0;
  if (!n) return '';
  if (n > MAX_STEPS) return progressBar((d.current + 1) / n, null);
  return Array.from({ length: n }, (_, i) => `<i class="wm-step${i < d.current ? ' is-done' : i === d.current ? ' is-current' : ''}"></i>`).join('');
}

function render() {
  const d = sub?.sub?.data;
  if (!d) return;
  document.body.dataset.meeting = d.id || meetingId;
  setText($('[data-field="unit"]'), d.unit?.name || '');
  setText($('[data-field="period"]'), `${t('meeting.title')} · ${periodLabel(d.period)}`);
  setHtml($('[data-field="meeting-state"]'), stateBadge(d.state));
  $('[data-field="closed"]').hidden = d.state !== 'closed';
  const it = d.item;
  setText($('[data-field="current-section"]'), it ? sectionName(it.section) : '');
  setHtml($('[data-field="current-status"]'), it?.section === 'follow_up' ? statusChip(it.status) : '');
  setText($('[data-field="current-title"]'), it ? it.title : t('meeting.empty'));
  setText($('[data-field="current-detail"]'), it?.detail || '');
  setHtml($('#wm-figs'), `${itemFigure(d)}${unitFigures(d)}`);
  const list = d.conclusions || [];
  const shown = list.slice(-SHOWN_CONCLUSIONS);
  setText($('[data-field="conclusions-head"]'), t('meeting.wall.conclusions', { n: fmt.int(list.length) }));
  const earlier = list.length - shown.length;
  setHtml($('[data-field="conclusions"]'), list.length
    ? `${earlier ? `<li class="quiet">${esc(t('meeting.wall.more', { n: fmt.int(earlier) }))}</li>` : ''}${shown.map(c => conclusionHtml(c, { history: false, time: false })).join('')}`
    : `<li class="quiet">${esc(t('meeting.wall.no_conclusions'))}</li>`);
  setText($('[data-field="item-of"]'), d.total ? t('meeting.item_of', { i: fmt.int(d.current + 1), n: fmt.int(d.total) }) : '');
  setHtml($('[data-field="steps"]'), stepsHtml(d));
  updateAgo();
  perf.fullRenders++;
  markFirstRender();
}

/** The meeting refused or unknown: say so as the title (in the page's language), nothing else. */
function renderError(e) {
  setText($('[data-field="unit"]'), e?.code === 'not_found' ? t('meeting.unavailable') : errorText(e));
  for (const f of ['current-section', 'current-title', 'current-detail', 'item-of']) setText($(`[data-field="${f}"]`), '');
  setHtml($('#wm-figs'), '');
  setHtml($('[data-field="conclusions"]'), '');
  setText($('[data-field="conclusions-head"]'), '');
}

// ---- clock and age --------------------------------------------------------------------------------

function tick() {
  const now = new Date();
  clockFmt ??= new Intl.DateTimeFormat(lang === 'vi' ? 'vi-VN' : 'en-GB', { timeZone: TIME_ZONE, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const clock = $('#clock');
  const date = `${fmt.weekday(now)}, ${fmt.date(now)}`;
  if (clock.dataset.date !== date) {
    clock.dataset.date = date;
    clock.innerHTML = '<span></span><small></small>';
    clock.lastChild.textContent = date;
  }
  setText(clock.firstChild, clockFmt.format(now));
  updateAgo();
}

function updateAgo() {
  const el = $('[data-field="updated-ago"]');
  const at = sub?.sub?.lastFrameAt || 0;
  setText(el, at ? t('wall.updated_ago', { ago: fmt.ago(at) }) : t('wall.never'));
  el.classList.toggle('old', !at || Date.now() - at > 60_000);
}

// ---- start ----------------------------------------------------------------------------------------

/** Replaces the wall's boards with the meeting's screen and follows it on `live` (wall.js's socket). */
export function start(live, id) {
  meetingId = id;
  document.body.classList.add('wall-meeting');
  document.body.dataset.meeting = id;
  document.querySelector('.wall-root')?.remove();
  const root = document.createElement('div');
  root.className = 'wm-root';
  root.innerHTML = layout();
  document.body.append(root);
  const batch = frameBatcher(render);
  sub = live.watch('meeting', id, (s, change) => {
    if (change.type === 'error') renderError(change);
    else batch.schedule();
  });
  onLangChange(() => {
    clockFmt = null;
    root.innerHTML = layout();
    tick();
    if (sub.sub.error) renderError(sub.sub.error); else render();
  });
  tick();
  setInterval(tick, 1000);
}
