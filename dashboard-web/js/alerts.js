// alerts.js — owns the alert center (alerts.html?unit=): the live yellow/red alerts of a subtree
// from the WebSocket feed (snapshot, live entries, resume by id), newest first, with
// acknowledge / assign / silence through the REST endpoints, and the paged alert history.
// Actions are taken as the signed-in account: the server records who (the linked person, else
// "account:<id>") from the session, and refuses a body that names anyone itself.

import { t, fmt, onLangChange } from '/js/i18n.js';
import {
  esc, params, unitHref, personHref, markFirstRender, recordPatchMs, perf, quietly, setText,
  renderCrumbs,
} from '/js/dom.js';
import { api, dashboardConfig, showError, personName, unitIndex, errorText } from '/js/api.js';
import { initPage } from '/js/nav.js';
import { wireBanners } from '/js/banner.js';
import { actingAs, defaultUnit } from '/js/session.js';
import { Live, alertKey } from '/js/live.js';
import { alertSummary, alertTime, subjectHref, historySummary, historyActor, ruleLabel, loadRules } from '/js/alertview.js';

const PAGE = 200;
const HISTORY_PAGE = 50;
const RENDER_EVERY_MS = 250;

let unitId = params.get('unit');
const live = new Live().start();
const nav = initPage({ active: 'alerts', unit: () => unitId });
wireBanners(live);
const $ = sel => document.querySelector(sel);

let feed = null;
let units = new Map();
let shownLimit = PAGE;
const filters = { severity: '', state: '', rule: '', text: '', unacked: false };
let message = null; // the message a signed link opened the page from: its alerts' keys, its count
let msgOnly = false;
const rows = new Map();
const knownRules = new Set();
let pendingEntries = 0;

// ---- live list -----------------------------------------------------------------------------------

let renderTimer = null;
let lastRenderAt = 0;
/** At most four list renders a second, however fast the feed runs. */
function scheduleRender() {
  if (renderTimer) return;
  const wait = Math.max(0, lastRenderAt + RENDER_EVERY_MS - Date.now());
  renderTimer = setTimeout(() => requestAnimationFrame(renderList), wait);
}

/** A dialog input's label for the API name of a field the server refused. */
const FIELD_LABELS = { person: 'alerts.person', comment: 'alerts.comment', reason: 'alerts.silence.reason', until: 'alerts.silence.hours' };
const fieldLabel = f => (FIELD_LABELS[f] ? t(FIELD_LABELS[f]) : null);

function onFeed(change) {
  if (change.type === 'error') {
    // A feed out of the account's scope is refused with the server's reason (403 forbidden).
    showError($('#live-note'), change);
    $('#live-note').hidden = false;
    return;
  }
  if (change.type === 'entry') pendingEntries++;
  scheduleRender();
}

function matches(a, q) {
  if (filters.severity && a.severity !== filters.severity) return false;
  if (filters.state && a.state !== filters.state) return false;
  if (filters.rule && a.rule !== filters.rule) return false;
  if (filters.unacked && a.acknowledged_by) return false;
  if (msgOnly && message && !message.keys.has(alertKey(a.rule, a.subject))) return false;
  if (q) {
    const hay = `${a.summary_vi} ${a.summary_en} ${a.subject} ${a.unit} ${units.get(a.unit)?.name || ''}`.toLowerCase();
    if (!hay.includes(q)) return false;
  }
  return true;
}

function renderList() {
  renderTimer = null;
  lastRenderAt = Date.now();
  if (!feed) return;
  const t0 = performance.now();
  const q = filters.text.trim().toLowerCase();
  const all = [];
  for (const a of feed.alerts.values()) {
    if (!knownRules.has(a.rule)) { knownRules.add(a.rule); addRuleOption(a.rule); }
    if (matches(a, q)) all.push(a);
  }
  all.sort((a, b) => alertTime(b) - alertTime(a) || (a.severity === 'red' ? -1 : 1));
  const shown = all.slice(0, shownLimit);
  const list = $('#alert-list');
  const keep = new Set();
  let cursor = list.firstElementChild;
  for (const a of shown) {
    const key = alertKey(a.rule, a.subject);
    keep.add(key);
    let row = rows.get(key);
    if (!row) {
      const el = document.createElement('li');
      el.className = 'alert-row';
      el.dataset.alertKey = key;
      row = { el, v: -1, lang: '' };
      rows.set(key, row);
    }
    if (row.v !== a._v || row.lang !== document.documentElement.lang || row.ackPending !== a._ackPending) writeRow(row, a);
    if (row.el !== cursor) list.insertBefore(row.el, cursor);
    else cursor = cursor.nextElementSibling;
  }
  for (const [key, row] of rows) {
    if (!keep.has(key)) { row.el.remove(); rows.delete(key); }
  }
  setText($('#alert-count'), t('alerts.count', { shown: fmt.int(shown.length), total: fmt.int(all.length) }));
  $('#more').hidden = all.length <= shownLimit;
  const note = $('#live-note');
  if (feed.synced || feed.alerts.size) {
    note.hidden = all.length > 0;
    if (!note.hidden) note.innerHTML = `<span>${esc(t('alerts.none'))}</span>`;
    if (perf.firstRenderMs == null) { markFirstRender(); perf.fullRenders++; }
  }
  if (message && feed.synced) {
    // Alerts of the message no longer in the feed have ended since it was sent.
    let live = 0;
    for (const k of message.keys) if (feed.alerts.has(k)) live++;
    const ended = message.keys.size - live;
    setText($('#from-msg [data-field="msg-ended"]'), ended ? t('alerts.msg.ended', { n: fmt.int(ended) }) : '');
  }
  const ms = performance.now() - t0;
  for (; pendingEntries > 0; pendingEntries--) recordPatchMs(ms);
}

// People named in rows (who acknowledged, who is assigned): fetched once, rows redrawn after.
// An acknowledgment by an account with no person reads "account:<id>": shown as the server
// wrote it (our own account by its name), never looked up as a person.
const names = new Map();
function nameOf(id) {
  if (!id) return '';
  if (!names.has(id)) {
    names.set(id, id);
    quietly(personName(id).then(p => {
      if (p?.name && p.name !== id) {
        names.set(id, p.name);
        for (const row of rows.values()) row.lang = '';
        scheduleRender();
      }
    }));
  }
  return names.get(id);
}

function writeRow(row, a) {
  row.v = a._v;
  row.lang = document.documentElement.lang;
  row.ackPending = a._ackPending;
  const el = row.el;
  el.dataset.severity = a.severity;
  el.dataset.state = a.state;
  const unitName = units.get(a.unit)?.name || a.unit;
  const meta = [
    `<a href="${esc(unitHref(a.unit))}">${esc(unitName)}</a>`,
    `<span title="${esc(fmt.dateTime(alertTime(a)))}">${esc(t('alerts.since', { time: fmt.dateTime(alertTime(a)) }))} · ${esc(fmt.ago(alertTime(a)))}</span>`,
    `<a href="${esc(subjectHref(a))}" title="${esc(a.subject)}" data-field="subject">${esc(t(a.subject_kind === 'task' ? 'alerts.open_task' : 'alerts.open_unit'))}</a>`,
    `<span title="${esc(a.rule)}" data-field="rule">${esc(ruleLabel(a.rule))}</span>`,
    a.state === 'pending' ? `<span>${esc(t('alerts.state.pending'))}</span>` : '',
    a.acknowledged_by ? `<span class="acked" data-field="acked">${esc(t('alerts.acked', { by: nameOf(a.acknowledged_by), time: fmt.dateTime(a.acknowledged_at) }))}${a.ack_comment ? ` — “${esc(a.ack_comment)}”` : ''}</span>` : '',
    a.assigned_to ? `<span data-field="assigned">${esc(t('alerts.assigned', { person: '' }))}<a href="${esc(personHref(a.assigned_to))}">${esc(nameOf(a.assigned_to))}</a></span>` : '',
    a.escalated_at ? `<span class="c-red">${esc(t('alerts.escalated', { time: fmt.dateTime(a.escalated_at) }))}</span>` : '',
    a.silenced ? `<span data-field="silenced">${esc(t('alerts.silenced'))}</span>` : '',
  ].filter(Boolean).join('');
  el.innerHTML = `<span class="sev" title="${esc(t(`band.${a.severity}`))}"></span>
    <div><div class="alert-summary">${esc(alertSummary(a))}</div><div class="alert-meta">${meta}</div></div>
    <div class="alert-actions">
      ${a.acknowledged_by ? '' : `<button type="button" data-action="ack"${a._ackPending ? ' disabled' : ''}>${esc(t('alerts.ack'))}</button>`}
      <button type="button" data-action="assign">${esc(t('alerts.assign'))}</button>
      <button type="button" data-action="silence">${esc(t('alerts.silence'))}</button>
    </div>`;
}

function addRuleOption(rule) {
  const sel = $('#f-rule');
  const opt = document.createElement('option');
  opt.value = rule;
  opt.textContent = ruleLabel(rule);
  // Keep the options sorted; there are a couple of dozen rules at most.
  const after = [...sel.options].slice(1).find(o => o.textContent.localeCompare(opt.textContent, 'vi') > 0);
  sel.insertBefore(opt, after || null);
}

// ---- actions ---------------------------------------------------------------------------------------

$('#alert-list').addEventListener('click', e => {
  const b = e.target.closest('button[data-action]');
  if (!b) return;
  const key = b.closest('[data-alert-key]').dataset.alertKey;
  const a = feed?.alerts.get(key);
  if (!a) return;
  if (b.dataset.action === 'ack') openAck(a);
  else if (b.dataset.action === 'assign') openAssign(a);
  else if (b.dataset.action === 'silence') openSilence(a);
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

function openAck(a) {
  runDialog('dlg-ack', a, null, async form => {
    const comment = form.comment.value.trim();
    const body = { rule: a.rule, subject: a.subject };
    if (comment) body.comment = comment;
    a._ackPending = true;
    scheduleRender();
    let r;
    try {
      r = await api('/alerts/ack', { method: 'POST', body });
    } finally {
      a._ackPending = false;
    }
    // The feed brings the acknowledgment too; show it now rather than a tick later, as the
    // server recorded it when its answer says, else as it records the session's actor.
    if (!a.acknowledged_by) {
      a.acknowledged_by = r?.acknowledged_by ?? actingAs();
      a.acknowledged_at = r?.acknowledged_at ?? Date.now();
      a.ack_comment = body.comment ?? null;
      a._v++;
    }
    scheduleRender();
  });
}

function openAssign(a) {
  runDialog('dlg-assign', a, () => {
    quietly(api(`/units/${encodeURIComponent(a.unit)}/people?limit=100`).then(r => {
      $('#people-list').innerHTML = (r.people || []).map(p => `<option value="${esc(p.id)}">${esc(p.name)} — ${esc(p.position || '')}</option>`).join('');
    }).catch(() => {}));
  }, async form => {
    const person = form.person.value.trim();
    await api('/alerts/assign', { method: 'POST', body: { rule: a.rule, subject: a.subject, person } });
    a.assigned_to = person;
    a._v++;
    scheduleRender();
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
    form.querySelector('[data-field="rule-label"]').textContent = t('alerts.silence.rule', { rule: ruleLabel(a.rule) });
    form.querySelector('[data-field="unit-label"]').textContent = t('alerts.silence.unit', { unit: units.get(a.unit)?.name || a.unit });
  }, async form => {
    const hours = Number(form.hours.value);
    const body = { until: vnTimestamp(Date.now() + hours * 3600_000), reason: form.reason.value.trim() };
    if (form.by_rule.checked) body.rule = a.rule;
    if (form.by_unit.checked) body.unit = a.unit;
    const r = await api('/silences', { method: 'POST', body });
    // The feed does not carry silences: mark what this one covers so the list says so now.
    for (const x of feed.alerts.values()) {
      if ((body.rule && x.rule !== body.rule) || (body.unit && !ancestorsOf(x.unit).includes(body.unit))) continue;
      x.silenced = true;
      x._v++;
    }
    setText($('#live-note'), t('alerts.silence.done', { time: fmt.dateTime(r?.until || body.until) }));
    $('#live-note').hidden = false;
    scheduleRender();
  });
}

// ---- filters -----------------------------------------------------------------------------------------

$('#f-severity').addEventListener('click', e => {
  const b = e.target.closest('button[data-v]');
  if (!b) return;
  for (const x of $('#f-severity').children) x.classList.toggle('on', x === b);
  filters.severity = b.dataset.v;
  shownLimit = PAGE;
  scheduleRender();
});
$('#f-state').addEventListener('change', e => { filters.state = e.target.value; shownLimit = PAGE; scheduleRender(); });
$('#f-rule').addEventListener('change', e => { filters.rule = e.target.value; shownLimit = PAGE; scheduleRender(); });
$('#f-text').addEventListener('input', e => { filters.text = e.target.value; shownLimit = PAGE; scheduleRender(); });
$('#f-unacked').addEventListener('change', e => { filters.unacked = e.target.checked; shownLimit = PAGE; scheduleRender(); });
$('#more').addEventListener('click', () => { shownLimit += PAGE; scheduleRender(); });

// ---- tabs and history ---------------------------------------------------------------------------------

for (const b of document.querySelectorAll('.tabs [data-tab]')) {
  b.addEventListener('click', () => {
    for (const x of document.querySelectorAll('.tabs [data-tab]')) x.classList.toggle('on', x === b);
    $('#tab-live').hidden = b.dataset.tab !== 'live';
    $('#tab-history').hidden = b.dataset.tab !== 'history';
    if (b.dataset.tab === 'history' && !hist.loaded) quietly(loadHistory(null));
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

// The rows' "N minutes ago" would freeze otherwise.
setInterval(() => { for (const row of rows.values()) row.lang = ''; scheduleRender(); }, 30_000);

/** The rule filter's options in the current language (their words come with the rules). */
function relabelRuleOptions() {
  for (const o of [...$('#f-rule').options].slice(1)) o.textContent = ruleLabel(o.value);
}

onLangChange(() => {
  relabelRuleOptions();
  for (const row of rows.values()) row.lang = '';
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
    message = { keys: new Set(m.items.map(i => alertKey(i.rule, i.subject))), at: m.created_at };
    msgOnly = true;
    const draw = () => setText(title, t('alerts.msg.title', { time: fmt.dateTime(message.at), n: fmt.int(message.keys.size) }));
    draw();
    onLangChange(draw);
    box.querySelector('[data-field="msg-only"]').hidden = false;
  } catch (e) {
    setText(title, t(e?.status === 410 ? 'alerts.msg.expired' : 'alerts.msg.bad'));
    box.querySelector('[data-field="msg-only"]').hidden = true;
  }
  box.hidden = false;
  scheduleRender();
}
$('#f-msg').addEventListener('change', e => { msgOnly = e.target.checked; shownLimit = PAGE; scheduleRender(); });

// ---- start ---------------------------------------------------------------------------------------------

async function main() {
  if (!unitId) {
    unitId = await defaultUnit((await dashboardConfig()).root_unit);
    nav?.redraw();
  }
  feed = live.watchAlerts(unitId, onFeed);
  if (params.has('msg')) quietly(openMessage());
  // Rules in words once their metrics are known: rows and options drawn before are redrawn.
  quietly(loadRules().then(() => { relabelRuleOptions(); for (const row of rows.values()) row.lang = ''; scheduleRender(); }));
  units = await unitIndex();
  const u = units.get(unitId);
  setText($('#title'), u?.name || unitId);
  document.title = `${t('alerts.title')}: ${u?.name || unitId} · IOC`;
  // Ancestors outside the account's scope are not in its unit list: left out, not shown by id.
  const path = ancestorsOf(unitId).slice(1).reverse().filter(id => units.has(id)).map(id => ({ id, name: units.get(id).name }));
  renderCrumbs($('#crumbs'), path, u ? { name: u.name } : null, id => `/alerts.html?unit=${encodeURIComponent(id)}`);
  // Rows drawn before the names arrived show ids: draw them again.
  for (const row of rows.values()) row.lang = '';
  scheduleRender();
}
quietly(main());
