// alertview.js — owns how an alert reads on screen wherever it appears: its summary in the
// current language, its rule in words, its time, a duration counting live (overdue, not updated
// since), its value against its threshold in the metric's units, where its subject links to,
// history entries' summaries, and the one alert count's words.

import { lang, t, fmt } from '/js/i18n.js';
import { esc } from '/js/dom.js';
import { taskHref, unitHref } from '/js/dom.js';
import { api } from '/js/api.js';

// Rule name -> metric (GET /api/v1/rules), for the rule in words.
let ruleMetrics = new Map();
/** Asks the server for its rules once; resolves when their metrics are known (or not). */
export const loadRules = () => api('/rules')
  .then(r => { ruleMetrics = new Map((r?.rules || []).map(x => [x.name, x.metric])); })
  .catch(() => {});

const LEVEL_SUFFIXES = ['ward', 'department', 'city', 'division', 'commune', 'agency'];

/**
 * A rule in words: what it watches (its metric, from i18n), and the level it is for when its
 * name ends in one ("overdue_ratio_ward" → "Tỷ lệ nhiệm vụ quá hạn (phường, xã)"); a rule whose
 * metric has no words is shown by its name. The name stays in the tooltip.
 */
export function ruleLabel(rule, known) {
  const metric = known || ruleMetrics.get(rule);
  const key = metric ? `metric.${metric}` : null;
  const words = key ? t(key) : null;
  if (!words || words === key) return rule;
  const level = LEVEL_SUFFIXES.find(l => rule.endsWith(`_${l}`));
  return level ? `${words} (${t(`rule.level.${level}`)})` : words;
}

/** The summary of a live alert (REST/feed shape) in the current language. */
export const alertSummary = a => (lang === 'en' ? a.summary_en || a.summary_vi : a.summary_vi || a.summary_en) || `${a.rule} · ${a.subject}`;

/** The summary of an alert-history entry: a transition carries it, an action inside `alert`. */
export function historySummary(h) {
  const d = h.detail || {};
  const src = d.summary_vi || d.summary_en ? d : d.alert || {};
  return (lang === 'en' ? src.summary_en || src.summary_vi : src.summary_vi || src.summary_en) || `${h.rule} · ${h.subject}`;
}

/** Who acted in a history entry (acknowledged / assigned), if anyone. */
export const historyActor = h => h.detail?.action?.by ?? null;

const ms = x => (typeof x === 'number' ? x : x ? Date.parse(x) : 0);
/** When the alert became what it is: fired, else started pending; ms since the epoch. Cached
 * per version of the alert, since sorting thousands of them would parse dates 100,000 times. */
export function alertTime(a) {
  if (a._tv !== a._v || a._tv === undefined) {
    a._t = ms(a.fired_at) || ms(a.active_since);
    a._tv = a._v;
  }
  return a._t;
}

/** Where an alert's subject is shown: a task's page, else its unit's board. */
export function subjectHref(a) {
  if (a.subject_kind === 'task') return taskHref(a.subject);
  return unitHref(a.unit);
}


/** A duration in its two largest units, as the server words summaries ("75 ngày 3 giờ"). */
export function durationText(millis) {
  const m = Math.max(0, Math.floor(millis / 60_000));
  const d = Math.floor(m / 1440), h = Math.floor((m % 1440) / 60), mm = m % 60;
  const parts = [];
  if (d) parts.push(t('dur.d', { n: fmt.int(d) }));
  if (h) parts.push(t('dur.h', { n: h }));
  if (mm && parts.length < 2) parts.push(t('dur.m', { n: mm }));
  return parts.length ? parts.slice(0, 2).join(' ') : t('dur.lt_m');
}

/**
 * How long the alert's trouble has lasted, counting from now: "quá hạn 55 ngày 10 giờ" for an
 * overdue task (from its deadline), "chưa cập nhật 40 ngày" for a stale series (from its last
 * value), else "từ 3 giờ trước". Elements carrying `data-since` are rewritten by `tickDurations`.
 */
export function durationOf(a, now = Date.now()) {
  if (a.metric === 'kpi.staleness' && !a.duration_from) return t('alerts.dur.never');
  const from = ms(a.duration_from) || ms(a.fired_at) || ms(a.active_since);
  const key = a.duration_from ? `alerts.dur.${a.metric}` : 'alerts.dur.since';
  return t(key, { d: durationText(now - from) });
}

/** A `<span>` that counts live: `tickDurations` rewrites it from its data attributes. */
export function durationSpan(a) {
  const from = a.duration_from || a.fired_at || a.active_since || '';
  return `<span data-field="duration" data-since="${esc(from)}" data-metric="${esc(a.metric || '')}" data-kind="${a.duration_from ? 'from' : a.metric === 'kpi.staleness' ? 'never' : 'since'}">${esc(durationOf(a))}</span>`;
}

/** Rewrites every live duration under `root` (a timer calls it; the words follow the clock). */
export function tickDurations(root = document) {
  const now = Date.now();
  for (const el of root.querySelectorAll('[data-since]')) {
    const kind = el.dataset.kind;
    let text;
    if (kind === 'never') text = t('alerts.dur.never');
    else if (kind === 'oldest') text = t(el.dataset.key, { d: durationText(now - ms(el.dataset.since)) });
    else text = t(kind === 'from' ? `alerts.dur.${el.dataset.metric}` : 'alerts.dur.since', { d: durationText(now - ms(el.dataset.since)) });
    if (el.textContent !== text) el.textContent = text;
  }
}

const RATIO = new Set(['tasks.overdue_ratio', 'tasks.on_time_rate', 'kr.pace_gap', 'key_result.pace_gap']);
const PERCENT = new Set(['tasks.avg_progress', 'task.due_soon']);
const COUNT = new Set(['tasks.overdue', 'kpi.red', 'kpi.yellow', 'kpi.no_data']);

/** A value of a metric in its units: ratios as %, counts whole, durations in words. */
export function metricValue(metric, v, uom) {
  if (v == null || !Number.isFinite(v)) return '—';
  if (RATIO.has(metric)) return fmt.pct(v);
  if (PERCENT.has(metric)) return fmt.progress(v);
  if (COUNT.has(metric)) return fmt.int(v);
  if (metric === 'task.overdue' || metric === 'kpi.staleness') return durationText(v);
  return uom ? `${fmt.num(v)} ${uom}` : fmt.num(v);
}

/** "80 · ngưỡng 85": the value against the threshold behind its severity (not for durations,
 * which count live instead). */
export function valueAgainstThreshold(a) {
  if (a.value == null || a.threshold == null || a.metric === 'task.overdue' || a.metric === 'kpi.staleness') return '';
  return t('alerts.value', { value: metricValue(a.metric, a.value, a.unit_of_measure), threshold: metricValue(a.metric, a.threshold, a.unit_of_measure) });
}

/**
 * The one alert count (a unit view's `alerts`, the alert center's `count`) as every screen
 * shows it: the same label, red / yellow, and how many of each a leader has acknowledged.
 */
export function alertCountHtml(c) {
  const n = x => (c ? fmt.int(x ?? 0) : '…');
  return `<span class="fig-label">${esc(t('alerts.count.label'))}</span>
    <b title="${esc(t('alerts.count.title'))}"><span class="c-red" data-field="alerts-red">${n(c?.red)}</span> / <span class="c-yellow" data-field="alerts-yellow">${n(c?.yellow)}</span></b>
    <small data-field="alerts-acked">${c ? esc(t('alerts.count.acked', { red: fmt.int(c.red_acknowledged ?? 0), yellow: fmt.int(c.yellow_acknowledged ?? 0) })) : ''}</small>`;
}
