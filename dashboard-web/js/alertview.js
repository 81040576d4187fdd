// alertview.js — owns how an alert reads on screen wherever it appears: its summary in the
// current language, its rule in words, its time, where its subject links to, and history
// entries' summaries.

import { lang, t } from '/js/i18n.js';
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
export function ruleLabel(rule) {
  const metric = ruleMetrics.get(rule);
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
