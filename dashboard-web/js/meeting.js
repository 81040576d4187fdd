// meeting.js — owns the review meeting page (meeting.html?id=gb-<unit>-<period>), the secretary's
// and presenter's laptop: the meeting (GET /api/v1/meetings/{id}) with its chair, attendees and
// state; the agenda by section, each item with its figures line, the secretary's notes (saved on
// blur or with the button), its conclusions and "Thêm kết luận" (task, target adjustment,
// explanation request or no action with a reason); the presenter's Trước / Sau and a click on an
// item (POST …/present), followed by the wall and by other laptops over the live `meeting` view;
// closing the meeting, after which the record is read-only and leaders may correct a conclusion.

import { t, fmt, lang, onLangChange, periodLabel } from '/js/i18n.js';
import {
  esc, params, unitHref, personHref, quietly, markFirstRender, perf, renderCrumbs, throttle, setText,
} from '/js/dom.js';
import { api, showError, errorText, isNetwork } from '/js/api.js';
import { initPage } from '/js/nav.js';
import { Live } from '/js/live.js';
import { wireBanners } from '/js/banner.js';
import {
  ACTIONS, sectionName, actionName, statusChip, stateBadge, conclusionHtml, wallMeetingHref,
  selectPickerHtml, multiPickerHtml, wirePeople, showFieldError, clearErrors, localError, clientId,
  dayAfter, parseNumber,
} from '/js/meetingparts.js';

const meetingId = params.get('id');
let meeting = null;
const live = new Live().start();
initPage({ active: 'review', unit: () => meeting?.unit?.id ?? null, theme: 'light' });
wireBanners(live);
const $ = sel => document.querySelector(sel);
// The presenter's bar sticks under the nav bar where the nav bar sticks (not on phones).
const navBar = $('#nav');
new ResizeObserver(() => {
  const h = getComputedStyle(navBar).position === 'sticky' ? navBar.offsetHeight : 0;
  document.documentElement.style.setProperty('--nav-h', `${h}px`);
}).observe(navBar);
const path = (...parts) => `/meetings/${[meetingId, ...parts].map(encodeURIComponent).join('/')}`;

/** What the agenda was built for: a change of it (state, rights, items, language) rebuilds it. */
let built = null;
/** Each item's note as the server last had it: a textarea that differs holds unsaved words. */
const savedNote = new Map();
/** The open conclusion form: its item, its people, and the id of a try whose answer was lost. */
let draft = null;
let presenting = false;

const editable = () => meeting?.state === 'open' && meeting.may_edit;
const correctable = () => meeting?.state === 'closed' && meeting.may_correct;
const itemEl = key => [...document.querySelectorAll('#agenda [data-item]')].find(el => el.dataset.item === key) || null;
const itemOf = key => (key == null ? null : meeting.items.find(i => i.key === key) || null);
function setHtml(el, html) {
  if (el && el.dataset.html !== html) { el.innerHTML = html; el.dataset.html = html; }
}

// ---- loading --------------------------------------------------------------------------------------

async function load() {
  if (!meetingId) {
    $('#agenda').innerHTML = `<p class="error" data-field="error">${esc(t('meeting.missing_id'))}</p>`;
    return;
  }
  try {
    show(await api(path()));
    follow();
  } catch (e) {
    $('#title').textContent = meetingId;
    showError($('#agenda'), e, { missingText: t('meeting.unavailable') });
    // Not reached yet (the server is down): try again, the banner says why meanwhile.
    if (isNetwork(e)) setTimeout(() => quietly(load()), 5000);
  }
}

/** Reads the meeting again (another laptop moved it); a failure keeps what is shown. */
const refresh = throttle(async () => {
  try { show(await api(path())); } catch { /* the banner says when the link is down */ }
}, 500);

function show(m) {
  meeting = m;
  const sig = [lang, m.state, m.may_edit, m.may_correct, m.items.map(i => i.key).join('\n')].join('#');
  if (sig !== built) buildAll();
  built = sig;
  update();
  markFirstRender();
}

/**
 * Follows the live `meeting` view: when its current item, its state, the current item's
 * conclusions or note differ from what is shown, the meeting is read again.
 */
let sub = null;
function follow() {
  if (sub) return;
  // Back from an outage: read the whole meeting again (notes and conclusions of other items too).
  let wasDown = false;
  live.onStatus(st => {
    if (wasDown && st.open) refresh();
    wasDown = st.downSince != null;
  });
  sub = live.watch('meeting', meetingId, s => {
    const d = s.data;
    if (!d || !meeting) return;
    const it = meeting.items[meeting.current];
    const key = d.item?.key ?? null;
    const made = meeting.conclusions.filter(c => c.item === key).length;
    if (d.current !== meeting.current || d.state !== meeting.state || key !== (it?.key ?? null)
      || (d.conclusions?.length ?? 0) !== made || (d.item && it && (d.item.note !== it.note || d.item.status !== it.status))) refresh();
  });
}

// ---- the header -----------------------------------------------------------------------------------

function renderHead() {
  const m = meeting;
  $('#title').textContent = m.unit.name;
  document.title = `${t('meeting.title')}: ${m.unit.name} · ${periodLabel(m.period)} · IOC`;
  renderCrumbs($('#crumbs'), [{ id: m.unit.id, name: m.unit.name }], null);
  setHtml($('#meeting-state'), stateBadge(m.state));
  const person = p => `<a href="${esc(personHref(p.id))}">${esc(p.name)}</a>`;
  const fact = (field, key, html) => `<dt>${esc(t(key))}</dt><dd data-field="${field}">${html}</dd>`;
  setHtml($('#meeting-facts'), [
    fact('period', 'meeting.period', esc(periodLabel(m.period))),
    fact('chair', 'meeting.chair', m.chair ? person(m.chair) : '—'),
    fact('attendees', 'meeting.attendees', m.attendees?.length ? m.attendees.map(person).join(', ') : '—'),
    fact('opened', 'meeting.opened', esc(fmt.dateTime(m.opened_at))),
    m.closed_at ? fact('closed', 'meeting.closed_at', esc(fmt.dateTime(m.closed_at))) : '',
  ].join(''));
  const review = $('#review-link');
  review.hidden = !m.review_url;
  if (m.review_url) {
    const u = new URL(m.review_url, location.origin);
    if (params.has('lang')) u.searchParams.set('lang', lang);
    review.href = u.pathname + u.search;
  }
  $('#wall-link').href = wallMeetingHref(m.id);
  $('#close-meeting').hidden = !editable();
  $('#closed-banner').hidden = m.state !== 'closed';
}

function renderPresenter() {
  const m = meeting;
  const n = m.items.length;
  $('#presenter').hidden = m.state === 'closed' || n === 0;
  const it = m.items[m.current];
  setText($('#presenter [data-field="current"]'), it ? `${t('meeting.item_of', { i: fmt.int(m.current + 1), n: fmt.int(n) })} · ${sectionName(it.section)}: ${it.title}` : '');
  const edit = editable();
  $('#present-prev').hidden = $('#present-next').hidden = !edit;
  $('#present-prev').disabled = presenting || m.current <= 0;
  $('#present-next').disabled = presenting || m.current >= n - 1;
}

// ---- the agenda -----------------------------------------------------------------------------------

function noteHtml(it) {
  const read = `<div class="mt-note-read" data-field="note-read"${it.note ? '' : ' hidden'}><span class="said-label">${esc(t('meeting.note'))}:</span> <span data-field="note">${esc(it.note)}</span></div>`;
  if (!editable()) return read;
  return `<form class="note-form" data-note="${esc(it.key)}">
    <label>${esc(t('meeting.note'))}<textarea name="note" rows="2" maxlength="4000">${esc(it.note)}</textarea></label>
    <div class="note-bar"><button type="submit" class="small save-note">${esc(t('meeting.note.save'))}</button>
      <span class="note-state" data-field="note-state" role="status"></span></div>
    <div class="print-only mt-note-print" data-field="note-print">${esc(it.note)}</div>
  </form>`;
}

function itemHtml(it, i) {
  const about = [
    it.unit ? `<a href="${esc(unitHref(it.unit.id))}">${esc(it.unit.name)}</a>` : '',
    it.person && it.section !== 'overdue' ? `<a href="${esc(personHref(it.person.id))}">${esc(it.person.name)}</a>` : '',
  ].filter(Boolean).join(' · ');
  const no = editable()
    ? `<button type="button" class="present-item" data-index="${i}" title="${esc(t('meeting.present.item'))}" aria-label="${esc(`${t('meeting.present.item')}: ${fmt.int(i + 1)}`)}">${esc(fmt.int(i + 1))}</button>`
    : `<span class="mt-no">${esc(fmt.int(i + 1))}</span>`;
  return `<article class="mt-item" data-item="${esc(it.key)}" data-index="${i}" data-section="${esc(it.section)}">
    <div class="mt-item-head">${no}
      <div class="mt-item-main">
        <div class="mt-item-title"><b data-field="title">${esc(it.title)}</b> <span data-field="status"></span></div>
        ${it.detail ? `<div class="mt-detail" data-field="detail">${esc(it.detail)}</div>` : ''}
        ${about ? `<div class="mt-about">${about}</div>` : ''}
      </div>
      <span class="mt-now-tag" data-field="now" hidden>${esc(t('meeting.present.now'))}</span>
    </div>
    ${noteHtml(it)}
    <ul class="conclusions" data-field="conclusions"></ul>
    ${editable() ? `<button type="button" class="add-conclusion">${esc(t('meeting.add'))}</button>` : ''}
    <div class="conclusion-slot"></div>
  </article>`;
}

/** The agenda in its order, one block per run of items of a section. */
function agendaHtml() {
  const groups = [];
  meeting.items.forEach((it, i) => {
    const last = groups[groups.length - 1];
    if (last?.section === it.section) last.items.push([it, i]);
    else groups.push({ section: it.section, items: [[it, i]] });
  });
  if (!groups.length) return `<p class="block quiet" data-field="empty">${esc(t('meeting.empty'))}</p>`;
  return groups.map(g => `<section class="block mt-section" data-section="${esc(g.section)}">
    <h2>${esc(sectionName(g.section))} <small>(${esc(fmt.int(g.items.length))})</small></h2>
    ${g.items.map(([it, i]) => itemHtml(it, i)).join('')}</section>`).join('');
}

function buildAll() {
  draft = null;
  renderHead();
  $('#agenda').innerHTML = agendaHtml();
  savedNote.clear();
  for (const it of meeting.items) savedNote.set(it.key, it.note || '');
  $('#general-conclusions').innerHTML = `<h2>${esc(t('meeting.section.general'))}</h2>
    <ul class="conclusions" data-field="conclusions"></ul>
    ${editable() ? `<button type="button" class="add-conclusion">${esc(t('meeting.add'))}</button>` : ''}
    <div class="conclusion-slot"></div>`;
  perf.fullRenders++;
}

/** Writes what changed: the current item, statuses, conclusions, notes from elsewhere. */
function update() {
  const m = meeting;
  renderHead();
  renderPresenter();
  const keys = new Set(m.items.map(i => i.key));
  const byItem = new Map();
  for (const c of m.conclusions) {
    const k = c.item != null && keys.has(c.item) ? c.item : '';
    if (!byItem.has(k)) byItem.set(k, []);
    byItem.get(k).push(c);
  }
  const list = cs => (cs || []).map(c => conclusionHtml(c, { correctable: correctable() })).join('');
  for (const el of document.querySelectorAll('#agenda [data-item]')) {
    const i = Number(el.dataset.index);
    const it = m.items[i];
    const current = i === m.current && m.state === 'open';
    el.classList.toggle('is-current', current);
    if (current) el.setAttribute('aria-current', 'step'); else el.removeAttribute('aria-current');
    el.querySelector('[data-field="now"]').hidden = !current;
    setHtml(el.querySelector('[data-field="status"]'), statusChip(it.status));
    setHtml(el.querySelector('[data-field="conclusions"]'), list(byItem.get(it.key)));
    syncNote(el, it);
  }
  const general = byItem.get('') || [];
  $('#general-conclusions').hidden = !editable() && general.length === 0;
  setHtml($('#general-conclusions [data-field="conclusions"]'), list(general));
}

/** A note changed elsewhere replaces the textarea's words unless they are being written here. */
function syncNote(el, it) {
  const note = it.note || '';
  setText(el.querySelector('[data-field="note"]'), note);
  const read = el.querySelector('[data-field="note-read"]');
  if (read) read.hidden = !note || !!el.querySelector('textarea[name="note"]');
  const ta = el.querySelector('textarea[name="note"]');
  if (!ta) return;
  const saved = savedNote.get(it.key) ?? '';
  if (note !== saved) {
    if (ta.value === saved && document.activeElement !== ta) ta.value = note;
    savedNote.set(it.key, note);
  }
  setText(el.querySelector('[data-field="note-print"]'), ta.value);
}

// ---- notes ----------------------------------------------------------------------------------------

/** Saves a note (one save at a time per note: a blur and the button do not both send). */
const noteSaving = new WeakMap();
async function saveNote(form, opts) {
  const busy = noteSaving.get(form);
  if (busy) await busy;
  const p = putNote(form, opts);
  noteSaving.set(form, p);
  try { await p; } finally { if (noteSaving.get(form) === p) noteSaving.delete(form); }
}

async function putNote(form, { always = false } = {}) {
  const key = form.dataset.note;
  const text = form.elements.note.value;
  const state = form.querySelector('[data-field="note-state"]');
  if (text === (savedNote.get(key) ?? '') && form.dataset.failed !== '1') {
    if (always) { state.textContent = t('meeting.note.saved', { time: fmt.time(Date.now()) }); state.dataset.state = 'saved'; }
    return;
  }
  state.textContent = t('meeting.note.saving');
  state.dataset.state = 'saving';
  try {
    const m = await api(path('items', key, 'note'), { method: 'PUT', body: { note: text } });
    savedNote.set(key, text);
    form.dataset.failed = '';
    state.textContent = t('meeting.note.saved', { time: fmt.time(Date.now()) });
    state.dataset.state = 'saved';
    show(m);
  } catch (e) {
    form.dataset.failed = '1';
    state.textContent = isNetwork(e) ? t('meeting.note.unsaved') : errorText(e);
    state.dataset.state = 'error';
  }
}

// ---- presenting -----------------------------------------------------------------------------------

async function present(index, { scroll = false } = {}) {
  if (!editable() || presenting || index < 0 || index >= meeting.items.length) return;
  const err = $('#presenter-error');
  err.hidden = true;
  presenting = true;
  renderPresenter();
  try {
    show(await api(path('present'), { method: 'POST', body: { item: index } }));
    if (scroll) itemEl(meeting.items[meeting.current]?.key)?.scrollIntoView({ block: 'nearest' });
  } catch (e) {
    err.textContent = isNetwork(e) ? t('error.network') : errorText(e);
    err.hidden = false;
  } finally {
    presenting = false;
    renderPresenter();
  }
}

// ---- conclusions ----------------------------------------------------------------------------------

const errBox = field => `<p class="field-error" data-error-for="${field}" role="alert" hidden></p>`;

function conclusionFormHtml(it) {
  const year = String(meeting.period).slice(0, 4);
  const kpiSubject = !!(it?.kpi && it?.unit);
  const canAdjust = !!(it?.key_result || kpiSubject);
  const actions = ACTIONS.filter(a => a !== 'adjust' || canAdjust);
  const periods = [year, `${year}-Q1`, `${year}-Q2`, `${year}-Q3`, `${year}-Q4`];
  const kpiWords = kpiSubject ? t('meeting.c.subject_kpi', { title: it.title, unit: it.unit.name }) : '';
  return `<form id="conclusion-form" class="work-form mt-form" data-for-item="${esc(it?.key ?? '')}" novalidate>
    <h3>${esc(it ? t('meeting.c.form_title', { title: it.title }) : t('meeting.c.form_title_general'))}</h3>
    <label>${esc(t('meeting.c.text'))}<textarea name="text" rows="3" maxlength="2000" required></textarea></label>${errBox('text')}
    <label>${esc(t('meeting.c.action'))}<select name="action">${actions.map(a => `<option value="${a}">${esc(actionName(a))}</option>`).join('')}</select></label>${errBox('action')}
    <fieldset class="mt-fields" data-fields="task">
      <label>${esc(t('meeting.c.task_title'))}<input name="title" maxlength="500" autocomplete="off"></label>
      <p class="hint">${esc(t('meeting.c.task_title.hint'))}</p>${errBox('title')}
      ${selectPickerHtml('responsible', t('task.responsible'))}
      ${selectPickerHtml('accountable', t('task.accountable'), { optional: t('meeting.c.nobody') })}
      ${multiPickerHtml('consulted', t('task.consulted'))}
      ${multiPickerHtml('informed', t('task.informed'))}
      <label>${esc(t('task.deadline'))}<input type="date" name="deadline" value="${esc(dayAfter(7))}"></label>${errBox('deadline')}
      <label>${esc(t('meeting.c.expected_output'))}<textarea name="expected_output" rows="2" maxlength="2000"></textarea></label>${errBox('expected_output')}
    </fieldset>
    ${canAdjust ? `<fieldset class="mt-fields" data-fields="adjust">
      <p class="mt-subject" data-field="adjust-subject">${esc(it.key_result ? t('meeting.c.subject_kr', { title: it.title }) : kpiWords)}</p>
      ${it.key_result ? '' : `<label>${esc(t('meeting.c.period'))}<select name="period">${periods.map(p => `<option value="${p}">${esc(periodLabel(p))}</option>`).join('')}</select></label>${errBox('period')}`}
      <label>${esc(t('meeting.c.target'))}<input name="target" inputmode="decimal" autocomplete="off"></label>${errBox('target')}
      ${errBox('key_result')}${errBox('kpi')}${errBox('unit')}
    </fieldset>` : ''}
    <fieldset class="mt-fields" data-fields="explain">
      ${kpiSubject ? `<p class="mt-subject" data-field="explain-subject">${esc(kpiWords)}</p>`
    : `<label>${esc(t('meeting.c.task'))}<select name="subject"><option value="">${esc(t('common.loading'))}</option></select></label>`}
      ${errBox('subject')}${errBox('subject_kind')}
      ${selectPickerHtml('addressee', t('meeting.c.addressee'), { optional: t('meeting.c.addressee_default') })}
      <label>${esc(t('meeting.c.due'))}<input type="date" name="due" value="${esc(dayAfter(3))}"></label>${errBox('due')}
    </fieldset>
    <fieldset class="mt-fields" data-fields="silence">
      <label>${esc(t('meeting.c.reason'))}<textarea name="reason" rows="2" maxlength="2000"></textarea></label>${errBox('reason')}
    </fieldset>
    ${errBox('id')}${errBox('item')}${errBox('')}
    <div class="buttons"><button type="button" data-act="cancel-form">${esc(t('common.cancel'))}</button>
      <button type="submit" class="primary">${esc(t('meeting.c.save'))}</button></div>
  </form>`;
}

/** Shows the fields of the chosen action only (the others disabled, so never sent nor checked). */
function showActionFields(form) {
  const action = form.elements.action.value;
  for (const fs of form.querySelectorAll('[data-fields]')) {
    const on = fs.dataset.fields === action;
    fs.hidden = !on;
    fs.disabled = !on;
  }
}

function closeForms() {
  for (const slot of document.querySelectorAll('.conclusion-slot')) slot.innerHTML = '';
  draft = null;
}

function slotFor(key) {
  return key == null ? $('#general-conclusions .conclusion-slot') : itemEl(key)?.querySelector('.conclusion-slot');
}

function openConclusionForm(key) {
  closeForms();
  const it = itemOf(key);
  const slot = slotFor(key);
  if (!slot) return;
  slot.innerHTML = conclusionFormHtml(it);
  const form = slot.querySelector('form');
  draft = { item: key, picked: { consulted: [], informed: [] }, names: new Map(), pending: null };
  const person = it?.person && ['overdue', 'explanation'].includes(it.section) ? it.person : null;
  wirePeople(form, { picked: draft.picked, names: draft.names, initial: person ? { responsible: person, addressee: person } : {} });
  form.elements.action.addEventListener('change', () => showActionFields(form));
  showActionFields(form);
  quietly(loadTaskChoices(form, it));
  form.elements.text.focus();
}

/**
 * The tasks an explanation may be asked about: the item's own task, the person's open ones (an
 * overdue item), else the overdue tasks of the item's unit (or the meeting's).
 */
async function loadTaskChoices(form, it) {
  const select = form.elements.subject;
  if (!select) return;
  const tasks = [];
  try {
    if (it?.task) tasks.push(await api(`/tasks/${encodeURIComponent(it.task)}`).catch(() => ({ id: it.task, title: it.task })));
    if (it?.person) {
      const v = await api(`/people/${encodeURIComponent(it.person.id)}/view`);
      tasks.push(...(v.task_list || []).filter(x => !['accepted', 'cancelled'].includes(x.status)));
    } else {
      const r = await api(`/units/${encodeURIComponent(it?.unit?.id || meeting.unit.id)}/tasks?due=overdue&limit=100`);
      tasks.push(...(r.tasks || []));
    }
  } catch (e) {
    showFieldError(form, Object.assign(e, { field: 'subject' }), { scroll: false });
  }
  const seen = new Set();
  const list = tasks.filter(x => x?.id && !seen.has(x.id) && seen.add(x.id));
  const words = x => [x.title, x.deadline ? t('meeting.c.task_due', { date: fmt.date(x.deadline) }) : '', x.overdue ? t('task.overdue') : ''].filter(Boolean).join(' · ');
  select.innerHTML = list.length
    ? `<option value="">${esc(t('meeting.choose_task'))}</option>${list.map(x => `<option value="${esc(x.id)}"${x.id === it?.task ? ' selected' : ''}>${esc(words(x))}</option>`).join('')}`
    : `<option value="">${esc(t('meeting.c.task.none'))}</option>`;
}

/** The body of POST …/conclusions from the form, or false after a local check showed its words. */
function conclusionBody(form) {
  const v = n => (form.elements[n] && !form.elements[n].matches(':disabled') ? form.elements[n].value.trim() : '');
  const it = itemOf(draft.item);
  const action = v('action');
  const body = { text: v('text'), action };
  if (it) body.item = it.key;
  if (!body.text) return localError(form, 'text', 'meeting.err.text');
  if (action === 'task') {
    if (!v('responsible')) return localError(form, 'responsible', 'meeting.err.responsible');
    if (!v('deadline')) return localError(form, 'deadline', 'meeting.err.deadline');
    body.task = { responsible: v('responsible'), deadline: v('deadline'), consulted: draft.picked.consulted, informed: draft.picked.informed };
    if (v('title')) body.task.title = v('title');
    if (v('accountable')) body.task.accountable = v('accountable');
    if (v('expected_output')) body.task.expected_output = v('expected_output');
  } else if (action === 'adjust') {
    const target = parseNumber(v('target'));
    if (!Number.isFinite(target)) return localError(form, 'target', 'meeting.err.target');
    body.adjust = it.key_result ? { key_result: it.key_result, target } : { kpi: it.kpi, unit: it.unit.id, period: v('period'), target };
  } else if (action === 'explain') {
    if (!v('due')) return localError(form, 'due', 'meeting.err.due');
    if (it?.kpi && it?.unit) body.explain = { subject_kind: 'kpi', subject: it.kpi, unit: it.unit.id, due: v('due') };
    else if (v('subject')) body.explain = { subject_kind: 'task', subject: v('subject'), due: v('due') };
    else return localError(form, 'subject', 'meeting.err.subject');
    if (v('addressee')) body.explain.addressee = v('addressee');
  } else if (action === 'silence') {
    if (!v('reason')) return localError(form, 'reason', 'meeting.err.reason');
    body.reason = v('reason');
  }
  return body;
}

/**
 * Sends a conclusion under a fresh client id; a try whose answer was lost (network) keeps its id
 * while the form says the same, so sending again is the same conclusion, never a second one.
 */
async function sendConclusion(form) {
  clearErrors(form);
  const body = conclusionBody(form);
  if (!body) return;
  const key = JSON.stringify(body);
  if (draft.pending?.key !== key) draft.pending = { key, id: clientId('kl') };
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    const m = await api(path('conclusions'), { method: 'POST', body: { id: draft.pending.id, ...body } });
    const made = draft.pending.id;
    closeForms();
    show(m);
    // Only the one just recorded is marked: an earlier one's list may not have been redrawn.
    for (const el of document.querySelectorAll('.conclusion.is-new')) el.classList.remove('is-new');
    const li = document.querySelector(`li[data-conclusion="${CSS.escape(made)}"]`);
    li?.classList.add('is-new');
    li?.scrollIntoView({ block: 'nearest' });
  } catch (e) {
    if (!isNetwork(e)) draft.pending = null;
    showFieldError(form, e);
  } finally {
    button.disabled = false;
  }
}

// ---- corrections (a closed meeting) ---------------------------------------------------------------

function openCorrection(conclusionId) {
  const c = meeting.conclusions.find(x => x.id === conclusionId);
  if (!c) return;
  closeForms();
  const slot = slotFor(itemOf(c.item) ? c.item : null);
  slot.innerHTML = `<form id="correction-form" class="work-form mt-form" data-conclusion="${esc(c.id)}" novalidate>
    <h3>${esc(t('meeting.correct.title'))}</h3>
    <p class="mt-was">${esc(t('meeting.correct.now', { text: c.text }))}</p>
    <label>${esc(t('meeting.correct.text'))}<textarea name="text" rows="3" maxlength="2000">${esc(c.text)}</textarea></label>${errBox('text')}
    <label>${esc(t('meeting.correct.reason'))}<textarea name="reason" rows="2" maxlength="2000"></textarea></label>${errBox('reason')}
    ${errBox('conclusion')}${errBox('')}
    <div class="buttons"><button type="button" data-act="cancel-form">${esc(t('common.cancel'))}</button>
      <button type="submit" class="primary">${esc(t('meeting.correct.save'))}</button></div>
  </form>`;
  slot.querySelector('textarea[name="text"]').focus();
}

async function sendCorrection(form) {
  clearErrors(form);
  const text = form.elements.text.value.trim();
  const reason = form.elements.reason.value.trim();
  if (!text) return localError(form, 'text', 'meeting.err.text');
  if (!reason) return localError(form, 'reason', 'meeting.err.correct_reason');
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    const m = await api(path('corrections'), { method: 'POST', body: { conclusion: form.dataset.conclusion, text, reason } });
    closeForms();
    show(m);
  } catch (e) {
    showFieldError(form, e);
  } finally {
    button.disabled = false;
  }
  return true;
}

// ---- closing --------------------------------------------------------------------------------------

async function closeMeeting(form) {
  clearErrors(form);
  const button = $('#close-confirm');
  button.disabled = true;
  try {
    const m = await api(path('close'), { method: 'POST' });
    $('#close-dialog').close();
    show(m);
    scrollTo({ top: 0 });
  } catch (e) {
    showFieldError(form, e);
  } finally {
    button.disabled = false;
  }
}

// ---- events ---------------------------------------------------------------------------------------

$('main').addEventListener('click', e => {
  if (!meeting) return;
  const add = e.target.closest('.add-conclusion');
  if (add) { openConclusionForm(add.closest('[data-item]')?.dataset.item ?? null); return; }
  const fix = e.target.closest('.correct-conclusion');
  if (fix) { openCorrection(fix.dataset.conclusion); return; }
  if (e.target.closest('[data-act="cancel-form"]')) { closeForms(); return; }
  const head = e.target.closest('.mt-item-head');
  if (head && editable() && !e.target.closest('a')) quietly(present(Number(head.closest('[data-item]').dataset.index)));
});
$('main').addEventListener('submit', e => {
  const form = e.target;
  e.preventDefault();
  if (form.id === 'conclusion-form') quietly(sendConclusion(form));
  else if (form.id === 'correction-form') quietly(sendCorrection(form));
  else if (form.classList.contains('note-form')) quietly(saveNote(form, { always: true }));
});
$('main').addEventListener('focusout', e => {
  const form = e.target.closest?.('.note-form');
  if (form && e.target.name === 'note') quietly(saveNote(form));
});
$('main').addEventListener('input', e => {
  const form = e.target.closest?.('.note-form');
  if (!form) return;
  const state = form.querySelector('[data-field="note-state"]');
  if (state.dataset.state === 'saved') { state.textContent = ''; state.dataset.state = ''; }
  setText(form.querySelector('[data-field="note-print"]'), e.target.value);
});
$('#present-prev').addEventListener('click', () => quietly(present(meeting.current - 1, { scroll: true })));
$('#present-next').addEventListener('click', () => quietly(present(meeting.current + 1, { scroll: true })));
// A presenter's remote or the keyboard: ← / → move the wall, outside any field.
addEventListener('keydown', e => {
  if (!editable() || e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
  if (e.target.closest?.('input, textarea, select, dialog, [contenteditable]')) return;
  if (e.key === 'ArrowRight') { e.preventDefault(); quietly(present(meeting.current + 1, { scroll: true })); }
  if (e.key === 'ArrowLeft') { e.preventDefault(); quietly(present(meeting.current - 1, { scroll: true })); }
});
$('#close-meeting').addEventListener('click', () => {
  clearErrors($('#close-form'));
  $('#close-dialog').showModal();
});
$('#close-cancel').addEventListener('click', () => $('#close-dialog').close());
$('#close-form').addEventListener('submit', e => { e.preventDefault(); quietly(closeMeeting(e.target)); });
$('#print-meeting').addEventListener('click', () => print());
onLangChange(() => { if (meeting) { built = null; show(meeting); } });

quietly(load());
