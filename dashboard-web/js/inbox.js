// inbox.js — owns the inbox page (inbox.html): the signed-in person's messages, live over the
// WebSocket (the `inbox` view: unread count and the newest messages), older ones paged from
// GET /api/v1/inbox, marked read one by one or all at once; and how the person is told (their
// email, what goes at once or into the daily digest, quiet hours, digest hour), saved with
// PUT /api/v1/people/{id}/contact-points. `?person=` lets an admin see and set someone else's
// settings (their messages stay theirs).

import { t, fmt, lang, onLangChange } from '/js/i18n.js';
import { esc, params, setText, markFirstRender, perf, quietly, taskHref } from '/js/dom.js';
import { api, errorText, showError } from '/js/api.js';
import { initPage } from '/js/nav.js';
import { wireBanners } from '/js/banner.js';
import { onSession } from '/js/session.js';
import { Live } from '/js/live.js';

const PAGE = 30;
const live = new Live().start();
initPage({ active: 'inbox' });
wireBanners(live);
const $ = sel => document.querySelector(sel);

let me = null; // the signed-in person
let recent = []; // the live view's newest messages
let older = []; // pages read after them
let unread = null;
let asOf = null; // the server's clock as of the live view (what "2 minutes ago" counts from)
let loadingOlder = false;
let noMore = false;

// ---- messages ------------------------------------------------------------------------------

const SEVERITY = { red: 'band.red', yellow: 'band.yellow', info: 'inbox.info' };

/** A message's title in the page's language. */
const titleOf = m => (lang === 'en' ? m.title_en : m.title_vi) || m.title_vi;
const summaryOf = i => (lang === 'en' ? i.summary_en : i.summary_vi) || i.summary_vi;

/** The link of a message as a path on this server (it was made with the server's public URL). */
function localLink(link) {
  try {
    const u = new URL(link, location.origin);
    return u.pathname + u.search;
  } catch {
    return '/alerts.html';
  }
}

/** "Đỏ", "Đỏ · Nhắc lại", "Đã hết": what happened to an alert, by its severity. */
function tag(i) {
  if (i.kind === 'resolved') return t('inbox.kind.resolved');
  if (i.kind === 'reminder') return t('inbox.kind.reminder');
  const sev = t(SEVERITY[i.severity] || 'inbox.info');
  return ['escalated', 'repeat', 'severity_changed'].includes(i.kind) ? `${sev} · ${t(`inbox.kind.${i.kind}`)}` : sev;
}

function itemLine(i) {
  const band = i.kind === 'resolved' ? 'green' : i.severity === 'info' ? 'no_data' : i.severity;
  return `<li data-key="${esc(`${i.rule}|${i.subject}`)}"><span class="chip band-${esc(band)}">${esc(tag(i))}</span> ${esc(summaryOf(i))}</li>`;
}

/** A message's alerts, under their unit's name (as the message arranged them). */
function itemsHtml(items) {
  let out = '';
  let unit = null;
  for (const i of items) {
    if (i.unit !== unit) {
      if (unit !== null) out += '</ul>';
      out += `<h4>${esc(i.unit_name)}</h4><ul class="inbox-alerts">`;
      unit = i.unit;
    }
    out += itemLine(i);
  }
  return unit === null ? '' : `${out}</ul>`;
}

function sectionHtml(title, section, line) {
  if (!section?.total) return '';
  const more = section.total > section.items.length ? `<li class="quiet">${esc(t('inbox.more', { n: fmt.int(section.total - section.items.length) }))}</li>` : '';
  return `<h4>${esc(title)} (${esc(fmt.int(section.total))})</h4><ul class="inbox-alerts">${section.items.map(line).join('')}${more}</ul>`;
}

function digestHtml(d) {
  const task = x => `<li>${esc(x.title)} — ${esc(x.responsible_name)}, ${esc(x.unit_name)}${x.submitted_at ? ` · ${esc(t('inbox.submitted', { time: fmt.dateTime(x.submitted_at) }))}` : ''}</li>`;
  return sectionHtml(t('inbox.digest.red_now'), d.red_now, itemLine)
    + sectionHtml(t('inbox.digest.turned_red'), d.turned_red, itemLine)
    + sectionHtml(t('inbox.digest.not_entered'), d.not_entered, itemLine)
    + sectionHtml(t('inbox.digest.awaiting'), d.awaiting, task);
}

/** Where a message's button leads: a reminder to the work it is about (the task; KPI entry for a
 * series; My work for several), everything else to its groups in the alert center (the signed
 * link). */
function openTarget(m) {
  const items = m.items || [];
  if (m.kind === 'digest' || !items.length || !items.every(i => i.kind === 'reminder')) {
    return { href: localLink(m.link), label: t('inbox.open') };
  }
  if (items.length > 1) return { href: '/me.html', label: t('inbox.open_work') };
  const i = items[0];
  if (i.subject_kind === 'task') return { href: taskHref(i.subject), label: t('inbox.open_task') };
  return { href: '/entry.html', label: t('inbox.open_entry') };
}

function messageHtml(m) {
  const open = openTarget(m);
  const sev = m.severity === 'info' ? 'no_data' : m.severity;
  const body = m.digest
    ? digestHtml(m.digest) + (m.items.length ? `<h4>${esc(t('inbox.digest.held'))} (${esc(fmt.int(m.items.length))})</h4>${itemsHtml(m.items)}` : '')
    : m.items.length > 1 ? itemsHtml(m.items) : ''; // one alert: the title says it all
  return `<li class="inbox-item${m.read ? '' : ' unread'}" data-id="${esc(m.id)}" data-severity="${esc(m.severity)}">
    <div class="inbox-head">
      <span class="chip band-${esc(sev)}">${esc(t(m.kind === 'digest' ? 'inbox.kind.digest' : m.items?.length && m.items.every(i => i.kind === 'reminder') ? 'inbox.kind.reminder' : SEVERITY[m.severity] || 'inbox.info'))}</span>
      <b class="inbox-title" data-field="title">${esc(titleOf(m).replace(/^\[IOC\] /, ''))}</b>
      <span class="asof" title="${esc(fmt.dateTime(m.at))}">${esc(fmt.dateTime(m.at))} · ${esc(fmt.ago(m.at, asOf ?? Date.now()))}</span>
    </div>
    <div class="inbox-body">${body}</div>
    <div class="inbox-actions">
      <a class="button primary" href="${esc(open.href)}" data-action="open">${esc(open.label)}</a>
      ${m.read ? `<span class="asof" data-field="read">${esc(t('inbox.read'))}</span>` : `<button type="button" data-action="read">${esc(t('inbox.mark_read'))}</button>`}
    </div>
  </li>`;
}

function render() {
  const seen = new Set();
  const all = [...recent, ...older].filter(m => !seen.has(m.id) && seen.add(m.id));
  all.sort((a, b) => b.id - a.id);
  $('#inbox-list').innerHTML = all.map(messageHtml).join('');
  const note = $('#inbox-note');
  note.hidden = all.length > 0;
  if (!all.length) note.textContent = t('inbox.empty');
  setText($('#inbox [data-field="unread"]'), unread ? t('inbox.unread', { n: fmt.int(unread) }) : '');
  $('[data-action="read-all"]').hidden = !unread;
  $('#older').hidden = noMore || all.length < 20;
  markFirstRender();
  perf.fullRenders++;
}

function onInbox(sub, change) {
  if (change.type === 'error') {
    showError($('#inbox-note'), { ...change, live: true });
    $('#inbox-note').hidden = false;
    return;
  }
  recent = sub.data?.items || [];
  unread = sub.data?.unread ?? 0;
  asOf = sub.data?.as_of ? Date.parse(sub.data.as_of) : null;
  setText($('#asof'), t('common.updated_at', { time: fmt.timeSec(sub.data?.as_of) }));
  render();
}

async function loadOlder() {
  if (loadingOlder || noMore) return;
  const ids = [...recent, ...older].map(m => m.id);
  if (!ids.length) return;
  loadingOlder = true;
  try {
    const page = await api(`/inbox?limit=${PAGE}&before=${Math.min(...ids)}`);
    older = older.concat(page.items || []);
    noMore = (page.items || []).length < PAGE;
    render();
  } catch (e) {
    showError($('#inbox-note'), e);
    $('#inbox-note').hidden = false;
  } finally {
    loadingOlder = false;
  }
}

async function markRead(body) {
  try {
    const r = await api('/inbox/read', { method: 'POST', body });
    unread = r.unread;
    const ids = body.ids ? new Set(body.ids) : null;
    for (const m of [...recent, ...older]) if (!ids || ids.has(m.id)) m.read = true;
    render();
  } catch (e) {
    showError($('#inbox-note'), e);
    $('#inbox-note').hidden = false;
  }
}

$('#inbox-list').addEventListener('click', e => {
  const el = e.target.closest('[data-action]');
  const item = e.target.closest('.inbox-item');
  if (!el || !item) return;
  const id = Number(item.dataset.id);
  if (el.dataset.action === 'read') {
    el.disabled = true;
    quietly(markRead({ ids: [id] }));
  } else if (el.dataset.action === 'open') {
    // Opening a message reads it (the page it opens still asks for nothing to be acknowledged).
    const m = [...recent, ...older].find(x => x.id === id);
    if (m && !m.read) quietly(markRead({ ids: [id] }));
  }
});
$('[data-action="read-all"]').addEventListener('click', e => {
  e.currentTarget.disabled = true;
  quietly(markRead({ all: true }).finally(() => { e.currentTarget.disabled = false; }));
});
$('#older').addEventListener('click', () => quietly(loadOlder()));

// ---- settings --------------------------------------------------------------------------------

let settings = null; // GET /people/{id}/contact-points
let settingsFor = null;

const FIELD_LABELS = {
  'policy.quiet_hours': 'inbox.settings.quiet',
  'policy.digest_at': 'inbox.settings.digest_at',
  'policy.red': 'inbox.settings.red',
  'policy.yellow': 'inbox.settings.yellow',
  'policy.group_wait_seconds': 'inbox.settings.group_wait',
  'policy.repeat_minutes': 'inbox.settings.repeat',
};
function fieldLabel(f) {
  if (FIELD_LABELS[f]) return t(FIELD_LABELS[f]);
  if (/^contact_points\[\d+\]\.address$/.test(f)) return t('inbox.settings.email');
  return null;
}

/** What the form shows: the person's effective policy and their email. */
function fillForm(s) {
  const f = $('#settings-form');
  const p = s.effective;
  const email = s.contact_points.find(c => c.kind === 'email');
  f.email.value = email?.address || '';
  f.red.value = p.red;
  f.yellow.value = p.yellow;
  const quiet = p.quiet_hours !== 'off' ? p.quiet_hours.split('-') : null;
  f.quiet.checked = !!quiet;
  if (quiet) { f.quiet_from.value = quiet[0]; f.quiet_to.value = quiet[1]; }
  f.red_bypasses.checked = p.red_bypasses_quiet_hours;
  f.digest.checked = p.digest_at !== 'off';
  if (p.digest_at !== 'off') f.digest_at.value = p.digest_at;
  f.group_wait.value = p.group_wait_seconds;
  f.repeat.value = p.repeat_minutes;
  const others = s.contact_points.filter(c => c.kind !== 'email' && c.kind !== 'inbox');
  f.querySelector('[data-field="others"]').innerHTML = others.length
    ? `<p>${esc(t('inbox.settings.others'))}</p><ul>${others.map(c => `<li data-id="${esc(c.id)}">${esc(c.name || t(`inbox.channel.${c.kind}`))} · ${esc(t(`inbox.channel.${c.kind}`))}${c.enabled ? '' : ` · ${esc(t('inbox.channel.off'))}`}</li>`).join('')}</ul>`
    : '';
  setText($('#settings [data-field="who"]'), settingsFor !== me ? s.person_name : '');
}

async function loadSettings(person) {
  settingsFor = person;
  try {
    settings = await api(`/people/${encodeURIComponent(person)}/contact-points`);
    fillForm(settings);
    $('#settings').hidden = false;
  } catch (e) {
    $('#settings').hidden = false;
    showError($('#settings-form'), e);
  }
}

/** A read contact point as written back (secrets left out: the server keeps them). */
function asInput(c) {
  const keep = ['id', 'kind', 'name', 'address', 'url', 'method', 'headers', 'body', 'expect', 'timeout_ms', 'severities', 'digest', 'enabled'];
  const out = {};
  for (const k of keep) if (c[k] != null) out[k] = c[k];
  return out;
}

$('#settings-form').addEventListener('submit', async e => {
  e.preventDefault();
  const f = e.currentTarget;
  const err = $('#settings-error');
  err.hidden = true;
  $('#settings-saved').hidden = true;
  const points = settings.contact_points.filter(c => c.kind !== 'email').map(asInput);
  const email = f.email.value.trim();
  if (email) {
    const old = settings.contact_points.find(c => c.kind === 'email');
    points.push({ ...(old ? asInput(old) : { kind: 'email' }), address: email });
  }
  const chosen = {
    red: f.red.value,
    yellow: f.yellow.value,
    quiet_hours: f.quiet.checked ? `${f.quiet_from.value}-${f.quiet_to.value}` : 'off',
    red_bypasses_quiet_hours: f.red_bypasses.checked,
    digest_at: f.digest.checked ? f.digest_at.value : 'off',
    group_wait_seconds: Number(f.group_wait.value),
    repeat_minutes: Number(f.repeat.value),
  };
  // Only what differs from the role's defaults is the person's own: the rest follows them.
  const policy = {};
  for (const [k, v] of Object.entries(chosen)) if (settings.defaults[k] !== v) policy[k] = v;
  const btn = f.querySelector('button[type="submit"]');
  btn.disabled = true;
  try {
    settings = await api(`/people/${encodeURIComponent(settingsFor)}/contact-points`, {
      method: 'PUT',
      body: { contact_points: points, policy: Object.keys(policy).length ? policy : null },
    });
    fillForm(settings);
    const saved = $('#settings-saved');
    saved.textContent = t('inbox.settings.saved', { time: fmt.timeSec(Date.now()) });
    saved.hidden = false;
  } catch (ex) {
    err.textContent = errorText(ex, { field: fieldLabel });
    err.hidden = false;
  } finally {
    btn.disabled = false;
  }
});

onLangChange(() => { render(); if (settings) fillForm(settings); });

onSession(s => {
  if (me) return;
  me = s.account?.person ?? null;
  const other = params.get('person');
  if (me) live.watch('inbox', me, onInbox);
  else {
    $('#inbox-note').textContent = t('inbox.no_person');
    $('#inbox-note').hidden = false;
    markFirstRender();
  }
  if (other || me) quietly(loadSettings(other || me));
});
