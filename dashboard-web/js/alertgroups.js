// alertgroups.js — owns how the alert center draws a unit's screen of alerts: groups (one unit,
// one rule) ranked as SCREENS.md says and clustered under their unit, a group's line in words
// (how many of what, the oldest counting live, who is responsible, what it rolls up), and an
// alert's row (title and person instead of ids, a live duration, the value against its
// threshold, the ids only in a closed "details" line). No state of its own: alerts.js owns it.

import { t, fmt, lang } from '/js/i18n.js';
import { esc, unitHref, personHref } from '/js/dom.js';
import { alertSummary, subjectHref, ruleLabel, durationSpan, valueAgainstThreshold, durationText } from '/js/alertview.js';

const TIER = { 'firing|red': 0, 'firing|yellow': 1, 'pending|red': 2, 'pending|yellow': 3 };
const tier = g => TIER[`${g.state}|${g.severity}`] ?? 4;

/**
 * Groups in the screens' order (SCREENS.md, the server's `rank_groups`): firing red, firing
 * yellow, pending; the oldest trouble first; the furthest past its threshold; then by key.
 */
export function rankGroups(groups) {
  return groups.sort((a, b) => tier(a) - tier(b)
    || (a.since < b.since ? -1 : a.since > b.since ? 1 : 0)
    || ((b.excess ?? -Infinity) - (a.excess ?? -Infinity))
    || (a.key < b.key ? -1 : 1));
}

/** Ranked groups clustered by their unit, each unit where its best group ranks. */
export function byUnit(ranked) {
  const units = new Map();
  for (const g of ranked) {
    let u = units.get(g.unit.id);
    if (!u) { u = { unit: g.unit, groups: [], red: 0, yellow: 0 }; units.set(g.unit.id, u); }
    u.groups.push(g);
    u.red += g.count.red;
    u.yellow += g.count.yellow;
  }
  return [...units.values()];
}

/** Above this many groups (more than a 1080p screen shows with their unit headings: about ten)
 * a screen opens with its rules summed up: a city has hundreds of unit groups, and a duty
 * officer first wants the dozen kinds of trouble, then their units. */
export const SUMMARY_ABOVE = 12;

/**
 * The groups summed up by rule: how many units, red and yellow alerts (those held back
 * included), the worst state; worst first, then most red, then most units.
 */
export function ruleSummaries(groups) {
  const by = new Map();
  for (const g of groups) {
    let s = by.get(g.rule);
    if (!s) { s = { rule: g.rule, metric: g.metric, units: new Set(), red: 0, yellow: 0, tier: 9 }; by.set(g.rule, s); }
    s.units.add(g.unit.id);
    s.red += g.count.red + (g.held?.red || 0);
    s.yellow += g.count.yellow + (g.held?.yellow || 0);
    s.tier = Math.min(s.tier, tier(g));
  }
  return [...by.values()]
    .map(s => ({ ...s, units: s.units.size }))
    .sort((a, b) => a.tier - b.tier || b.red - a.red || b.units - a.units || (a.rule < b.rule ? -1 : 1));
}

/** The rule of a group or an alert in words, its level when its name says one. */
export const ruleWords = x => ruleLabel(x.rule, x.metric);

/** Whether a group passes the page's filters. */
export function groupMatches(g, f, q) {
  if (f.severity && g.severity !== f.severity) return false;
  if (f.state === 'firing' && g.count.red + g.count.yellow === 0) return false;
  if (f.state === 'pending' && g.count.pending === 0) return false;
  if (f.rule && g.rule !== f.rule) return false;
  if (f.unacked && g.count.red + g.count.yellow - g.count.acknowledged <= 0) return false;
  if (q) {
    const hay = `${g.unit.name} ${ruleWords(g)} ${g.people.map(p => p.name).join(' ')} ${g.alert ? `${g.alert.title} ${alertSummary(g.alert)}` : ''}`.toLowerCase();
    if (!hay.includes(q)) return false;
  }
  return true;
}

function peopleText(g) {
  if (!g.people.length) return '';
  const names = g.people.map(p => `<a href="${esc(personHref(p.id))}">${esc(p.name)}</a> ${esc(fmt.int(p.count))}`).join(', ');
  const more = g.people_total > g.people.length ? ` ${esc(t('alerts.group.people_more', { n: fmt.int(g.people_total - g.people.length) }))}` : '';
  return `<span data-field="people">${t('alerts.group.people', { list: names + more })}</span>`;
}

/** What a group's alerts roll up from the units below, if anything. */
function heldText(g) {
  if (!g.held?.total) return '';
  return `<span data-field="held">${esc(t('alerts.group.held', { n: fmt.int(g.held.total), red: fmt.int(g.held.red) }))}</span>`;
}

/**
 * A warning that stands for alerts below it (a division's overdue work for its overdue tasks):
 * what it rolls up, the oldest of them counting live, and who answers for them.
 */
export function heldLineHtml(g) {
  if (!g.held?.total) return '';
  // An overdue-work warning rolls up overdue tasks: their oldest is the oldest deadline.
  const metric = g.metric.startsWith('tasks.overdue') ? 'task.overdue' : '';
  const oldest = g.held.since ? ` · ${oldestSpan({ ...g, since: g.held.since, metric })}` : '';
  return `<div class="alert-meta ag-held">${heldText(g)}${oldest}${peopleText(g)}</div>`;
}

/** The oldest trouble of a group, counting live. */
function oldestSpan(g) {
  const key = t(`alerts.group.oldest.${g.metric}`) !== `alerts.group.oldest.${g.metric}` ? `alerts.group.oldest.${g.metric}` : 'alerts.group.oldest';
  const text = t(key, { d: durationText(Date.now() - Date.parse(g.since)) });
  return `<span data-field="oldest" data-since="${esc(g.since)}" data-kind="oldest" data-key="${esc(key)}">${esc(text)}</span>`;
}

/** The inside of a group's line: rule in words, how many of what, the oldest, the people. */
export function groupHtml(g, opened) {
  const c = g.count;
  const firing = c.red + c.yellow;
  const noun = t(`alerts.noun.${g.subject_kind}`);
  const parts = [`<span data-field="rule" title="${esc(g.rule)}">${esc(ruleWords(g))}</span>: <b data-field="count">${esc(t('alerts.group.count', { n: fmt.int(c.total), noun }))}</b>`];
  if (c.red && c.yellow) parts.push(` <span class="ag-mix">(${esc(t('alerts.group.mixed', { red: fmt.int(c.red), yellow: fmt.int(c.yellow) }))})</span>`);
  if (c.pending) parts.push(` <span class="ag-mix">(${esc(t('alerts.group.pending', { n: fmt.int(c.pending) }))})</span>`);
  parts.push(` · ${oldestSpan(g)}`);
  const meta = [
    peopleText(g),
    firing && c.acknowledged ? `<span class="acked" data-field="group-acked">${esc(t('alerts.group.acked', { n: fmt.int(c.acknowledged), total: fmt.int(firing) }))}</span>` : '',
    c.silenced ? `<span>${esc(t('alerts.group.silenced', { n: fmt.int(c.silenced) }))}</span>` : '',
    heldText(g),
  ].filter(Boolean).join('');
  return `<span class="sev" title="${esc(t(`band.${g.severity}`))}"></span>
    <div class="ag-main"><div class="ag-line">${parts.join('')}</div><div class="alert-meta">${meta}</div></div>
    <div class="alert-actions"><button type="button" data-action="open" aria-expanded="${opened ? 'true' : 'false'}">${esc(opened ? t('alerts.group.close') : t('alerts.group.open', { n: fmt.int(c.total) }))}</button></div>`;
}

/**
 * An alert's row: its summary, then its unit, who is responsible, how long (live), its value
 * against its threshold, links, who acknowledged or was assigned; ids in a closed details line.
 * `nameOf` names the people of acknowledgments and assignments.
 */
export function alertHtml(a, { nameOf, ruleShown = true, held = null, opened = false } = {}) {
  const meta = [
    `<a href="${esc(unitHref(a.unit))}">${esc(a.unit_name || a.unit)}</a>`,
    a.responsible ? `<span data-field="responsible">${t('alerts.responsible', { name: `<a href="${esc(personHref(a.responsible.id))}">${esc(a.responsible.name)}</a>` })}</span>` : '',
    durationSpan(a),
    valueAgainstThreshold(a) ? `<span data-field="value">${esc(valueAgainstThreshold(a))}</span>` : '',
    `<a href="${esc(subjectHref(a))}" data-field="subject">${esc(t(a.subject_kind === 'task' ? 'alerts.open_task' : 'alerts.open_unit'))}</a>`,
    ruleShown ? `<span data-field="rule" title="${esc(a.rule)}">${esc(ruleWords(a))}</span>` : '',
    a.state === 'pending' ? `<span>${esc(t('alerts.state.pending'))}</span>` : '',
    a.acknowledged_by ? `<span class="acked" data-field="acked">${esc(t('alerts.acked', { by: nameOf(a.acknowledged_by), time: fmt.dateTime(a.acknowledged_at) }))}${a.ack_comment ? ` — “${esc(a.ack_comment)}”` : ''}</span>` : '',
    a.assigned_to ? `<span data-field="assigned">${esc(t('alerts.assigned', { person: '' }))}<a href="${esc(personHref(a.assigned_to))}">${esc(nameOf(a.assigned_to))}</a></span>` : '',
    a.escalated_at ? `<span class="c-red">${esc(t('alerts.escalated', { time: fmt.dateTime(a.escalated_at) }))}</span>` : '',
    a.silenced ? `<span data-field="silenced">${esc(t('alerts.silenced'))}</span>` : '',
  ].filter(Boolean).join('');
  const openHeld = held?.held?.total
    ? `<button type="button" data-action="open" aria-expanded="${opened ? 'true' : 'false'}">${esc(opened ? t('alerts.group.close') : t('alerts.group.open', { n: fmt.int(held.held.total + 1) }))}</button>` : '';
  return `<span class="sev" title="${esc(t(`band.${a.severity}`))}"></span>
    <div><div class="alert-summary">${esc(alertSummary(a))}</div><div class="alert-meta">${meta}</div>${held ? heldLineHtml(held) : ''}
      <details class="alert-ids"><summary>${esc(t('alerts.details'))}</summary><span>${esc(t('alerts.details.ids', { subject: a.subject, rule: a.rule, unit: a.unit }))}</span></details></div>
    <div class="alert-actions">${openHeld}
      ${a.acknowledged_by ? '' : `<button type="button" data-action="ack"${a._ackPending ? ' disabled' : ''}>${esc(t('alerts.ack'))}</button>`}
      <button type="button" data-action="assign">${esc(t('alerts.assign'))}</button>
      <button type="button" data-action="silence">${esc(t('alerts.silence'))}</button>
    </div>`;
}

/** A unit block's heading: its name (the viewed unit itself: "tại chính đơn vị"), its counts. */
export function unitHeadHtml(u, viewed) {
  const own = u.unit.id === viewed;
  const link = own ? '' : ` <a class="ag-center" href="/alerts.html?unit=${encodeURIComponent(u.unit.id)}${lang === 'en' ? '&lang=en' : ''}">${esc(t('alerts.groups.open_center'))}</a>`;
  return `<h3><a href="${esc(unitHref(u.unit.id))}">${esc(u.unit.name)}</a>${own ? ` <small>(${esc(t('alerts.groups.own'))})</small>` : ''}
    <small class="ag-counts"><span class="c-red">${esc(fmt.int(u.red))} ${esc(t('band.short.red'))}</span> · <span class="c-yellow">${esc(fmt.int(u.yellow))} ${esc(t('band.short.yellow'))}</span></small>${link}</h3>`;
}
