// alerts.js — owns the alert center (alerts.html?unit=): the unit's screen of alerts, live from
// the `alert_groups` view (LIVE.md): the one alert count, the groups (one unit one level down,
// one rule) ranked red first and clustered under their unit, a group opening to its alerts
// (REST, paged, refreshed when the group's line moves), a group of one shown as its alert;
// acknowledge / assign / silence through the REST endpoints; the paged alert history; the tab of
// rules, whose "Thử thay đổi" is backtest.js's. Actions
// are taken as the signed-in account: the server records who from the session.

import { t, fmt, onLangChange } from '/js/i18n.js';
import {
  esc, params, personHref, markFirstRender, recordPatchMs, perf, quietly, setText, renderCrumbs,
  unitHref,
} from '/js/dom.js';
import { api, dashboardConfig, showError, personName, unitIndex, errorText } from '/js/api.js';
import { initPage } from '/js/nav.js';
import { wireBanners } from '/js/banner.js';
import { actingAs, defaultUnit } from '/js/session.js';
import { Live, alertKey } from '/js/live.js';
import {
  alertSummary, subjectHref, historySummary, historyActor, ruleLabel, loadRules, alertCountHtml,
  tickDurations,
} from '/js/alertview.js';
import { rankGroups, byUnit, groupMatches, groupHtml, alertHtml, unitHeadHtml, ruleWords, ruleSummaries, SUMMARY_ABOVE } from '/js/alertgroups.js';
import { loadThreads, threadsHtml, wireAnswers, ask, mayAsk } from '/js/explain.js';
import { showRules } from '/js/backtest.js';

const UNITS_PAGE = 20;
const GROUP_PAGE = 20;
const HISTORY_PAGE = 50;
const RENDER_EVERY_MS = 250;
/** An opened group is read again at most this often while its line keeps moving. */
const GROUP_REFRESH_MS = 2_000;

let unitId = params.get('unit');
const live = new Live().start();
const nav = initPage({ active: 'alerts', unit: () => unitId });
wireBanners(live);
const $ = sel => document.querySelector(sel);

let view = null; // the alert_groups subscription
let units = new Map();
let shownUnits = UNITS_PAGE;
const filters = { severity: '', state: 'firing', rule: '', text: '', unacked: false };
/** The message a signed link opened the page from: its alerts (rule, subject, unit) and time. */
let message = null;
let msgOnly = false;
const knownRules = new Set();
/** Opened groups by key: the page of alerts read, how many, when, and the line it was read for. */
const opened = new Map();
let pendingPatches = 0;

// ---- the live view ---------------------------------------------------------------------------

let renderTimer = null;
let lastRenderAt = 0;
/** At most four renders a second, however fast the view moves. */
function scheduleRender() {
  if (renderTimer) return;
  const wait = Math.max(0, lastRenderAt + RENDER_EVERY_MS - Date.now());
  renderTimer = setTimeout(() => requestAnimationFrame(render), wait);
}

function onView(sub, change) {
  if (change.type === 'error') {
    // Out of the account's scope (403) or unknown: the server's reason, in the page's words.
    showError($('#live-note'), change);
    $('#live-note').hidden = false;
    return;
  }
  if (change.type === 'patch') {
    pendingPatches++;
    // Opened groups whose line changed are read again (their alerts moved).
    const changed = change.data.groups ? [...opened.keys()] : (change.data.groups_changed || []).map(g => g.key);
    for (const key of changed) if (opened.has(key)) refreshGroup(key);
  } else {
    for (const key of opened.keys()) refreshGroup(key);
  }
  scheduleRender();
}

/** A group holds one of the message's alerts: the same rule, the alert's unit at or below the
 * group's unit. */
function inMessage(g) {
  return message.items.some(i => i.rule === g.rule && ancestorsOf(i.unit).includes(g.unit.id));
}

function render() {
  renderTimer = null;
  lastRenderAt = Date.now();
  const data = view?.sub.data;
  if (!data) return;
  const t0 = performance.now();
  $('#alert-total').innerHTML = alertCountHtml(data.count);
  const held = $('#held-note');
  held.hidden = !data.held;
  if (data.held) setText(held, t('alerts.count.held', { n: fmt.int(data.held) }));
  for (const g of data.groups) {
    if (!knownRules.has(g.rule)) { knownRules.add(g.rule); addRuleOption(g); }
  }
  const q = filters.text.trim().toLowerCase();
  const shown = g => !(msgOnly && message && !inMessage(g));
  drawSummary(data.groups.filter(g => groupMatches(g, { ...filters, rule: '' }, q) && shown(g)));
  const ranked = rankGroups(data.groups.filter(g => groupMatches(g, filters, q) && shown(g)));
  const blocks = byUnit(ranked);
  drawBlocks(blocks.slice(0, shownUnits));
  setText($('#alert-count'), `${t('alerts.groups.count', { units: fmt.int(blocks.length), groups: fmt.int(ranked.length) })}${blocks.length > shownUnits ? ` · ${t('alerts.groups.shown', { shown: fmt.int(shownUnits), units: fmt.int(blocks.length) })}` : ''}`);
  $('#more').hidden = blocks.length <= shownUnits;
  const note = $('#live-note');
  note.hidden = ranked.length > 0;
  if (!note.hidden) note.innerHTML = `<span>${esc(t('alerts.none'))}</span>`;
  if (perf.firstRenderMs == null) { markFirstRender(); perf.fullRenders++; }
  const ms = performance.now() - t0;
  for (; pendingPatches > 0; pendingPatches--) recordPatchMs(ms);
}

/** Many groups: first the kinds of trouble (one line per rule), each a button that shows only
 * its groups below (the rule filter); pressed again, all of them. */
let summarySig = '';
function drawSummary(groups) {
  const box = $('#rule-summary');
  const sums = groups.length > SUMMARY_ABOVE ? ruleSummaries(groups) : [];
  const html = sums.length < 2 ? '' : `<h3>${esc(t('alerts.summary.title'))}</h3><ul>${sums.map(s => {
    const sev = s.tier === 0 || s.tier === 2 ? 'red' : 'yellow';
    const counts = [s.red ? `<span class="b-red">${esc(t('alerts.summary.red', { n: fmt.int(s.red) }))}</span>` : '',
      s.yellow ? `<span class="b-yellow">${esc(t('alerts.summary.yellow', { n: fmt.int(s.yellow) }))}</span>` : ''].filter(Boolean).join(' · ');
    return `<li><button type="button" data-rule="${esc(s.rule)}" data-severity="${sev}" aria-pressed="${filters.rule === s.rule}"><span class="sev"></span><span class="rs-rule">${esc(ruleWords(s))}</span><span class="rs-n">${esc(t('alerts.summary.units', { n: fmt.int(s.units) }))}${counts ? ` · ${counts}` : ''}</span></button></li>`;
  }).join('')}</ul>`;
  box.hidden = !html;
  if (html !== summarySig) { box.innerHTML = html; summarySig = html; }
}
$('#rule-summary').addEventListener('click', e => {
  const b = e.target.closest('button[data-rule]');
  if (!b) return;
  filters.rule = filters.rule === b.dataset.rule ? '' : b.dataset.rule;
  $('#f-rule').value = filters.rule;
  filtered();
});

// Unit blocks and group lines are kept by id and key and rewritten only when what they show
// changed: a patch that moves one group's count rewrites one line.
const blockEls = new Map();
const groupEls = new Map();

function drawBlocks(blocks) {
  const root = $('#groups');
  const keepBlocks = new Set();
  const keepGroups = new Set();
  let cursor = root.firstElementChild;
  const lang = document.documentElement.lang;
  for (const b of blocks) {
    keepBlocks.add(b.unit.id);
    let be = blockEls.get(b.unit.id);
    if (!be) {
      const el = document.createElement('section');
      el.className = 'ag-unit';
      el.dataset.unit = b.unit.id;
      el.innerHTML = '<div class="ag-head"></div><ul class="ag-list"></ul>';
      be = { el, head: '', list: el.lastElementChild };
      blockEls.set(b.unit.id, be);
    }
    const head = unitHeadHtml(b, unitId);
    if (be.head !== head) { be.el.firstElementChild.innerHTML = head; be.head = head; }
    let gc = be.list.firstElementChild;
    for (const g of b.groups) {
      keepGroups.add(g.key);
      const ge = groupEl(g, lang);
      if (ge.el === gc) gc = gc.nextElementSibling;
      else be.list.insertBefore(ge.el, gc);
    }
    while (gc) { const next = gc.nextElementSibling; gc.remove(); gc = next; }
    if (be.el === cursor) cursor = cursor.nextElementSibling;
    else root.insertBefore(be.el, cursor);
  }
  while (cursor) { const next = cursor.nextElementSibling; cursor.remove(); cursor = next; }
  for (const [id, be] of blockEls) if (!keepBlocks.has(id)) { be.el.remove(); blockEls.delete(id); }
  for (const [key, ge] of groupEls) if (!keepGroups.has(key)) { ge.el.remove(); groupEls.delete(key); }
}

/** A group's element, (re)drawn when the group, its opened state or the language changed. */
function groupEl(g, lang) {
  let ge = groupEls.get(g.key);
  if (!ge) {
    const el = document.createElement('li');
    el.dataset.groupKey = g.key;
    ge = { el, sig: '' };
    groupEls.set(g.key, ge);
  }
  const single = g.alert && g.count.total === 1 ? g.alert : null;
  const open = opened.get(g.key);
  const sig = `${lang}|${JSON.stringify(g)}|${open ? open.version : ''}|${single?._ackPending ?? ''}|${namesVersion}|${xpVersion}`;
  if (ge.sig === sig) return ge;
  // An answer being typed under this group is not wiped by a live redraw; it redraws after.
  if (ge.el.querySelector('form.xp-answer')?.contains(document.activeElement)) return ge;
  ge.sig = sig;
  const el = ge.el;
  el.dataset.severity = g.severity;
  el.dataset.state = g.state;
  if (single) {
    // A group of one is its alert, with its actions (and what it rolls up, to open).
    el.className = 'alert-row ag ag-single';
    el.dataset.alertKey = alertKey(single.rule, single.subject);
    el.innerHTML = alertHtml(single, { nameOf, held: g, opened: !!open }) + explainedHtml(g) + (open ? openedHtml(g, open) : '');
    addAskButton(el);
    return ge;
  }
  delete el.dataset.alertKey;
  el.className = 'ag';
  el.innerHTML = `<div class="ag-row">${groupHtml(g, !!open)}</div>${explainedHtml(g)}${open ? openedHtml(g, open) : ''}`;
  addAskButton(el);
  return ge;
}

/** The alerts of an opened group: its own, then those it rolls up, each as a row. */
function openedHtml(g, open) {
  if (open.gone) return `<div class="ag-alerts"><p class="quiet">${esc(t('alerts.group.gone'))}</p></div>`;
  if (open.error) return `<div class="ag-alerts"><p class="error" data-field="error">${esc(errorText(open.error))}</p></div>`;
  if (!open.page) return `<div class="ag-alerts"><p class="quiet">${esc(t('common.loading'))}</p></div>`;
  const rows = [];
  let heldShown = false;
  for (const a of open.page.alerts) {
    // A group of one already shows its alert: opened, it lists what the alert rolls up.
    if (g.alert && !a.held_by) continue;
    if (a.held_by && !heldShown) {
      heldShown = true;
      rows.push(`<li class="ag-held-head">${esc(t('alerts.group.held_head', { n: fmt.int(g.held.total) }))}</li>`);
    }
    rows.push(`<li class="alert-row" data-alert-key="${esc(alertKey(a.rule, a.subject))}" data-severity="${esc(a.severity)}" data-state="${esc(a.state)}">${alertHtml(a, { nameOf, ruleShown: !!a.held_by })}</li>`);
  }
  const more = open.page.alerts.length < open.page.total
    ? `<button type="button" data-action="more">${esc(t('common.more'))} (${esc(fmt.int(open.page.alerts.length))} / ${esc(fmt.int(open.page.total))})</button>` : '';
  return `<div class="ag-alerts"><ul class="alert-list">${rows.join('')}</ul>${more}</div>`;
}

// ---- explanations (giải trình) ------------------------------------------------------------------
// The requests about the groups of this unit's subtree, by group key: each shows under its group
// with its answers; a leader asks from the group's line. Read at start, after each request or
// answer made here, and again every 20 s (the addressee answers elsewhere).

const explained = new Map();
let xpVersion = 0;
const XP_REFRESH_MS = 20_000;

async function loadExplanations() {
  const list = await loadThreads({ subject_kind: 'alert_group', unit: unitId, limit: '500' });
  explained.clear();
  for (const x of list) {
    if (!explained.has(x.subject)) explained.set(x.subject, []);
    explained.get(x.subject).push(x);
  }
  xpVersion++;
  scheduleRender();
}

function explainedHtml(g) {
  const list = explained.get(g.key);
  return list ? `<div class="ag-explain">${threadsHtml(list)}</div>` : '';
}

function addAskButton(el) {
  if (!mayAsk()) return;
  const actions = el.querySelector('.alert-actions');
  actions?.insertAdjacentHTML('beforeend', `<button type="button" data-action="explain">${esc(t('explain.ask.button'))}</button>`);
}

async function askAbout(key) {
  const g = view?.sub.data?.groups.find(x => x.key === key);
  if (!g) return;
  const title = `${ruleWords(g)} · ${g.unit?.name || ''}`;
  const r = await ask({ subject_kind: 'alert_group', subject: g.key, unit: g.unit?.id, title, words: title });
  if (r) {
    setText($('#live-note'), t('explain.ask.done', { person: r.addressee.name, due: fmt.dateTime(r.due_at) }));
    $('#live-note').hidden = false;
    await loadExplanations();
  }
}

// ---- opened groups (REST) --------------------------------------------------------------------

async function loadGroup(key) {
  const open = opened.get(key);
  if (!open) return;
  open.loading = true;
  open.readAt = Date.now();
  try {
    const q = new URLSearchParams({ unit: unitId, key, limit: String(open.limit) });
    open.page = await api(`/alerts/group?${q}`);
    open.error = null;
    open.gone = false;
  } catch (e) {
    // A group that cleared between the line and the click: say so where it was.
    open.gone = e?.code === 'not_found';
    open.error = open.gone ? null : e;
  } finally {
    open.loading = false;
    open.version++;
    scheduleRender();
    if (open.again) { open.again = false; refreshGroup(key); }
  }
}

/** Reads an opened group again, at most every 2 s, never twice at once. */
function refreshGroup(key) {
  const open = opened.get(key);
  if (!open) return;
  if (open.loading) { open.again = true; return; }
  const wait = open.readAt + GROUP_REFRESH_MS - Date.now();
  if (wait > 0) {
    if (!open.timer) open.timer = setTimeout(() => { open.timer = null; refreshGroup(key); }, wait);
    return;
  }
  quietly(loadGroup(key));
}

function toggleGroup(key) {
  if (opened.has(key)) {
    clearTimeout(opened.get(key).timer);
    opened.delete(key);
  } else {
    opened.set(key, { limit: GROUP_PAGE, page: null, error: null, version: 0, readAt: 0, loading: false, again: false, timer: null });
    quietly(loadGroup(key));
  }
  scheduleRender();
}

// People named in rows (who acknowledged, who is assigned): fetched once, rows redrawn after.
// An acknowledgment by an account with no person reads "account:<id>": shown as the server
// wrote it (our own account by its name), never looked up as a person.
const names = new Map();
let namesVersion = 0;
function nameOf(id) {
  if (!id) return '';
  if (!names.has(id)) {
    names.set(id, id);
    if (!id.includes(':')) {
      quietly(personName(id).then(p => {
        if (p?.name && p.name !== id) {
          names.set(id, p.name);
          namesVersion++;
          scheduleRender();
        }
      }));
    }
  }
  return names.get(id);
}

function addRuleOption(g) {
  const sel = $('#f-rule');
  const opt = document.createElement('option');
  opt.value = g.rule;
  opt.dataset.metric = g.metric;
  opt.textContent = ruleWords(g);
  // Keep the options sorted; there are a couple of dozen rules at most.
  const after = [...sel.options].slice(1).find(o => o.textContent.localeCompare(opt.textContent, 'vi') > 0);
  sel.insertBefore(opt, after || null);
}

/** The alert a row shows: a group of one's, or one of an opened group's page. */
function alertOf(row) {
  const key = row.dataset.alertKey;
  const ge = row.closest('[data-group-key]');
  const g = view?.sub.data?.groups.find(x => x.key === ge?.dataset.groupKey);
  if (g?.alert && alertKey(g.alert.rule, g.alert.subject) === key) return { a: g.alert, group: g.key };
  const page = opened.get(ge?.dataset.groupKey)?.page;
  const a = page?.alerts.find(x => alertKey(x.rule, x.subject) === key);
  return a ? { a, group: ge.dataset.groupKey } : null;
}

// ---- actions ---------------------------------------------------------------------------------

/** A dialog input's label for the API name of a field the server refused. */
const FIELD_LABELS = { person: 'alerts.person', comment: 'alerts.comment', reason: 'alerts.silence.reason', until: 'alerts.silence.hours' };
const fieldLabel = f => (FIELD_LABELS[f] ? t(FIELD_LABELS[f]) : null);

$('#groups').addEventListener('click', e => {
  const b = e.target.closest('button[data-action]');
  if (!b) return;
  const ge = b.closest('[data-group-key]');
  if (b.dataset.action === 'open') { toggleGroup(ge.dataset.groupKey); return; }
  if (b.dataset.action === 'explain') { quietly(askAbout(ge.dataset.groupKey)); return; }
  if (b.dataset.action === 'more') {
    const open = opened.get(ge.dataset.groupKey);
    if (open) { open.limit += GROUP_PAGE; quietly(loadGroup(ge.dataset.groupKey)); }
    return;
  }
  const found = alertOf(b.closest('[data-alert-key]'));
  if (!found) return;
  if (b.dataset.action === 'ack') openAck(found.a, found.group);
  else if (b.dataset.action === 'assign') openAssign(found.a, found.group);
  else if (b.dataset.action === 'silence') openSilence(found.a);
});

/** Opens a dialog; `submit(form)` returns a promise; its ApiError's message shows in the dialog. */
function runDialog(id, a, prepare, submit) {
  const dlg = document.getElementById(id);
  const form = dlg.querySelector('form');
  const err = dlg.querySelector('.error');
  err.hidden = true;
  form.reset();
  dlg.querySelector('.dlg-summary').textContent = alertSummary(a);
  prepare?.(form);
  form.onsubmit = async ev => {
    ev.preventDefault();
    const btn = form.querySelector('button[type="submit"]');
    btn.disabled = true;
    try {
      await submit(form);
      dlg.close();
    } catch (e) {
      // What went wrong in the page's language (a 403 names the missing role or the scope in
      // the server's words once they are in this language), the wrong field by its label.
      err.textContent = errorText(e, { field: fieldLabel });
      err.hidden = false;
    } finally {
      btn.disabled = false;
    }
  };
  form.querySelector('button[value="cancel"]').onclick = () => dlg.close();
  dlg.showModal();
}

/** Redraws what shows an alert after an action, before the live view confirms it. */
function touched(group) {
  const open = opened.get(group);
  if (open) { open.version++; refreshGroup(group); }
  const ge = groupEls.get(group);
  if (ge) ge.sig = '';
  scheduleRender();
}

function openAck(a, group) {
  runDialog('dlg-ack', a, null, async form => {
    const comment = form.comment.value.trim();
    const body = { rule: a.rule, subject: a.subject };
    if (comment) body.comment = comment;
    a._ackPending = true;
    touched(group);
    let r;
    try {
      r = await api('/alerts/ack', { method: 'POST', body });
    } finally {
      a._ackPending = false;
    }
    // The live view brings the acknowledgment too; show it now rather than a second later, as
    // the server recorded it when its answer says, else as it records the session's actor.
    if (!a.acknowledged_by) {
      a.acknowledged_by = r?.acknowledged_by ?? actingAs();
      a.acknowledged_at = r?.acknowledged_at ?? Date.now();
      a.ack_comment = body.comment ?? null;
    }
    touched(group);
  });
}

function openAssign(a, group) {
  runDialog('dlg-assign', a, () => {
    quietly(api(`/units/${encodeURIComponent(a.unit)}/people?limit=100`).then(r => {
      $('#people-list').innerHTML = (r.people || []).map(p => `<option value="${esc(p.id)}">${esc(p.name)} — ${esc(p.position || '')}</option>`).join('');
    }).catch(() => {}));
  }, async form => {
    const person = form.person.value.trim();
    await api('/alerts/assign', { method: 'POST', body: { rule: a.rule, subject: a.subject, person } });
    a.assigned_to = person;
    touched(group);
  });
}

/** RFC 3339 in Vietnam's offset, as the API answers (and certainly accepts). */
function vnTimestamp(ms) {
  return new Date(ms + 7 * 3600_000).toISOString().replace('Z', '+07:00');
}

function ancestorsOf(id) {
  const out = [];
  for (let u = id, guard = 0; u && guard < 50; guard++) { out.push(u); u = units.get(u)?.parent; }
  return out;
}

function openSilence(a) {
  runDialog('dlg-silence', a, form => {
    form.querySelector('[data-field="rule-label"]').textContent = t('alerts.silence.rule', { rule: ruleLabel(a.rule, a.metric) });
    form.querySelector('[data-field="unit-label"]').textContent = t('alerts.silence.unit', { unit: a.unit_name || units.get(a.unit)?.name || a.unit });
  }, async form => {
    const hours = Number(form.hours.value);
    const body = { until: vnTimestamp(Date.now() + hours * 3600_000), reason: form.reason.value.trim() };
    if (form.by_rule.checked) body.rule = a.rule;
    if (form.by_unit.checked) body.unit = a.unit;
    const r = await api('/silences', { method: 'POST', body });
    // The live view follows (the count leaves silenced alerts out); say until when now.
    setText($('#live-note'), t('alerts.silence.done', { time: fmt.dateTime(r?.until || body.until) }));
    $('#live-note').hidden = false;
    for (const key of opened.keys()) refreshGroup(key);
  });
}

// ---- filters -----------------------------------------------------------------------------------

function filtered() { shownUnits = UNITS_PAGE; scheduleRender(); }
$('#f-severity').addEventListener('click', e => {
  const b = e.target.closest('button[data-v]');
  if (!b) return;
  for (const x of $('#f-severity').children) x.classList.toggle('on', x === b);
  filters.severity = b.dataset.v;
  filtered();
});
$('#f-state').addEventListener('change', e => { filters.state = e.target.value; filtered(); });
$('#f-rule').addEventListener('change', e => { filters.rule = e.target.value; filtered(); });
$('#f-text').addEventListener('input', e => { filters.text = e.target.value; filtered(); });
$('#f-unacked').addEventListener('change', e => { filters.unacked = e.target.checked; filtered(); });
$('#more').addEventListener('click', () => { shownUnits += UNITS_PAGE; scheduleRender(); });

// ---- tabs and history ---------------------------------------------------------------------------------

for (const b of document.querySelectorAll('.tabs [data-tab]')) {
  b.addEventListener('click', () => {
    for (const x of document.querySelectorAll('.tabs [data-tab]')) x.classList.toggle('on', x === b);
    $('#tab-live').hidden = b.dataset.tab !== 'live';
    $('#tab-history').hidden = b.dataset.tab !== 'history';
    $('#tab-rules').hidden = b.dataset.tab !== 'rules';
    if (b.dataset.tab === 'history' && !hist.loaded) quietly(loadHistory(null));
    // The rules and "Thử thay đổi" (backtest.js) are read when first shown.
    if (b.dataset.tab === 'rules') quietly(showRules(unitId));
  });
}

const hist = { pages: [], before: null, entries: [], loaded: false };

async function loadHistory(before) {
  const body = $('#history-body');
  try {
    const q = new URLSearchParams({ unit: unitId, limit: String(HISTORY_PAGE) });
    if (before != null) q.set('before', String(before));
    const entries = await api(`/alerts/history?${q}`);
    hist.loaded = true;
    hist.before = before;
    hist.entries = entries;
    renderHistory();
  } catch (e) {
    showError(body, e);
  }
}

function renderHistory() {
  const entries = hist.entries;
  const body = $('#history-body');
  $('#h-older').disabled = entries.length < HISTORY_PAGE;
  $('#h-newest').disabled = hist.before == null;
  $('#h-newer').disabled = hist.pages.length === 0;
  setText($('#h-page'), entries.length ? `#${fmt.int(entries[0].seq)} – #${fmt.int(entries[entries.length - 1].seq)}` : '');
  if (!entries.length) { body.innerHTML = `<p class="quiet">${esc(t('alerts.h.none'))}</p>`; return; }
  body.innerHTML = `<table><thead><tr><th class="num">${esc(t('alerts.h.seq'))}</th><th>${esc(t('alerts.h.time'))}</th><th>${esc(t('alerts.h.kind'))}</th>
    <th>${esc(t('alerts.h.severity'))}</th><th>${esc(t('alerts.h.summary'))}</th><th>${esc(t('alerts.h.subject'))}</th><th>${esc(t('alerts.h.by'))}</th></tr></thead>
    <tbody>${entries.map(h => `<tr data-id="${esc(h.seq)}" data-key="${esc(alertKey(h.rule, h.subject))}">
      <td class="num">${esc(fmt.int(h.seq))}</td><td>${esc(fmt.dateTime(h.at))}</td><td>${esc(t(`alerts.kind.${h.kind}`))}</td>
      <td><span class="chip band-${esc(h.severity)}">${esc(t(`band.${h.severity}`))}</span></td>
      <td>${esc(historySummary(h))}<br><small><a href="${esc(unitHref(h.unit))}">${esc(units.get(h.unit)?.name || h.unit)}</a> · <span title="${esc(h.rule)}">${esc(ruleLabel(h.rule))}</span></small></td>
      <td>${(kind => `<a href="${esc(subjectHref({ subject_kind: kind, subject: h.subject, unit: h.unit }))}" title="${esc(h.subject)}">${esc(t(kind === 'task' ? 'alerts.open_task' : 'alerts.open_unit'))}</a>`)(h.detail?.subject_kind ?? h.detail?.alert?.engine?.subject_kind)}</td>
      <td>${actorCell(historyActor(h))}</td></tr>`).join('')}</tbody></table>`;
}

/** Who acted on a history entry: a person links to their page, an account id is shown as is. */
function actorCell(id) {
  if (!id) return '';
  if (id.includes(':')) return `<span class="code">${esc(nameOf(id))}</span>`;
  return `<a href="${esc(personHref(id))}">${esc(nameOf(id))}</a>`;
}

$('#h-newest').addEventListener('click', () => { hist.pages = []; quietly(loadHistory(null)); });
$('#h-newer').addEventListener('click', () => {
  if (hist.pages.length) quietly(loadHistory(hist.pages.pop()));
});
$('#h-older').addEventListener('click', () => {
  const last = hist.entries[hist.entries.length - 1];
  if (!last) return;
  hist.pages.push(hist.before);
  quietly(loadHistory(last.seq));
});

// Durations count on the page ("quá hạn 55 ngày" grows by itself), every half minute.
setInterval(() => tickDurations($('#groups')), 30_000);

/** The rule filter's options in the current language. */
function relabelRuleOptions() {
  for (const o of [...$('#f-rule').options].slice(1)) o.textContent = ruleLabel(o.value, o.dataset.metric);
}

onLangChange(() => {
  relabelRuleOptions();
  scheduleRender();
  if (hist.loaded) renderHistory();
});

// ---- opened from a message ----------------------------------------------------------------------------

/**
 * A message's link (`?msg=&exp=&sig=`, signed by the server): the page says which message it is
 * and shows only its alerts until the reader unticks that. Opening acknowledges nothing.
 */
async function openMessage() {
  const msg = Number(params.get('msg'));
  const box = $('#from-msg');
  const title = box.querySelector('[data-field="msg-title"]');
  try {
    const m = await api('/notify/link', { method: 'POST', body: { msg, exp: Number(params.get('exp')), sig: params.get('sig') || '' } });
    message = { items: m.items.filter(i => i.rule && i.subject), at: m.created_at };
    msgOnly = true;
    const draw = () => setText(title, t('alerts.msg.title', { time: fmt.dateTime(message.at), n: fmt.int(message.items.length) }));
    draw();
    onLangChange(draw);
    box.querySelector('[data-field="msg-only"]').hidden = false;
    // Alerts of the message no longer active have ended since it was sent.
    const active = new Set((await api(`/alerts?unit=${encodeURIComponent(unitId)}`)).map(a => alertKey(a.rule, a.subject)));
    const ended = message.items.filter(i => !active.has(alertKey(i.rule, i.subject))).length;
    const drawEnded = () => setText(box.querySelector('[data-field="msg-ended"]'), ended ? t('alerts.msg.ended', { n: fmt.int(ended) }) : '');
    drawEnded();
    onLangChange(drawEnded);
  } catch (e) {
    setText(title, t(e?.status === 410 ? 'alerts.msg.expired' : 'alerts.msg.bad'));
    box.querySelector('[data-field="msg-only"]').hidden = true;
  }
  box.hidden = false;
  scheduleRender();
}
$('#f-msg').addEventListener('change', e => { msgOnly = e.target.checked; shownUnits = UNITS_PAGE; scheduleRender(); });

// ---- start ---------------------------------------------------------------------------------------------

async function main() {
  if (!unitId) {
    unitId = await defaultUnit((await dashboardConfig()).root_unit);
    nav?.redraw();
  }
  view = live.watch('alert_groups', unitId, onView);
  wireAnswers($('#groups'), () => loadExplanations());
  quietly(loadExplanations());
  setInterval(() => quietly(loadExplanations()), XP_REFRESH_MS);
  // The history names rules by their metric: known once the rules are read.
  quietly(loadRules().then(() => { if (hist.loaded) renderHistory(); }));
  units = await unitIndex();
  // After the unit index: a message's alerts are placed in groups by their units' ancestors.
  if (params.has('msg')) quietly(openMessage());
  const u = units.get(unitId);
  setText($('#title'), u?.name || unitId);
  document.title = `${t('alerts.title')}: ${u?.name || unitId} · IOC`;
  // Ancestors outside the account's scope are not in its unit list: left out, not shown by id.
  const path = ancestorsOf(unitId).slice(1).reverse().filter(id => units.has(id)).map(id => ({ id, name: units.get(id).name }));
  renderCrumbs($('#crumbs'), path, u ? { name: u.name } : null, id => `/alerts.html?unit=${encodeURIComponent(id)}`);
}
quietly(main());
