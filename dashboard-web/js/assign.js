// assign.js — owns assigning work (assign.html; assign.html?task=ID changes one): the "6 clear"
// of a task — the person (R, picked from the leader's subtree with a search, GET
// /api/v1/me/people), the work (title), the authority (A, C, I), the resources (expected
// output, linked key result), the result and the responsibility (start, deadline) — sent as one
// task event through POST /api/v1/events. A change of the responsible person or of the dates
// carries its reason, kept in the task's history. "Lặp lại" makes the same form a task template
// instead (POST /api/v1/task-templates): the server makes each period's task by its clock; the
// unit's templates are listed below the form with their next task, paused or resumed there.

import { t, onLangChange } from '/js/i18n.js';
import { esc, params, taskHref, markFirstRender, quietly, throttle } from '/js/dom.js';
import { api, showError } from '/js/api.js';
import { initPage } from '/js/nav.js';
import { sessionReady, session } from '/js/session.js';
import { Action, sendTaskEvent, showFormError, clearFormErrors, todayInVietnam, syncClock } from '/js/work.js';

const editing = params.get('task');
initPage({ active: 'assign' });
const $ = sel => document.querySelector(sel);

/** The people picked per role: R and A one each, C and I several. */
const picked = { responsible: [], accountable: [], consulted: [], informed: [] };
const names = new Map();
let task = null;
let keyResults = [];
const action = new Action();
/** The new task's id, made once per task being written so a retry names the same task. */
let draftTaskId = null;
/** The new template's id, made once per template being written (a retry names the same one). */
let draftTemplateId = null;
let templates = [];

async function load() {
  const s = await sessionReady();
  const me = s?.account?.person;
  if (!(s?.account?.grants || []).some(g => g.role === 'leader')) {
    $('#title').textContent = t('work.assign.title');
    $('#assign').innerHTML = `<p class="quiet">${esc(t('work.assign.leaders_only'))}</p>`;
    return;
  }
  if (editing) {
    task = await api(`/tasks/${encodeURIComponent(editing)}`);
    picked.responsible = [task.responsible];
    picked.accountable = task.accountable ? [task.accountable] : [];
    picked.consulted = [...(task.consulted || [])];
    picked.informed = [...(task.informed || [])];
    const ids = [...picked.responsible, ...picked.accountable, ...picked.consulted, ...picked.informed];
    await Promise.all(ids.map(id => api(`/people/${encodeURIComponent(id)}`).then(p => names.set(id, p.name), () => names.set(id, id))));
  } else if (me) {
    picked.accountable = [me];
    const p = await api(`/people/${encodeURIComponent(me)}`).catch(() => null);
    names.set(me, p?.name || me);
  }
  // Key results of the units the account leads, to link the work to.
  const units = (session()?.account?.grants || []).filter(g => g.role === 'leader' && g.unit !== '*').map(g => g.unit);
  const lists = await Promise.all(units.map(u => api(`/units/${encodeURIComponent(u)}/okrs`).catch(() => null)));
  keyResults = lists.filter(Boolean).flatMap(l => l.objectives.flatMap(o => o.key_results.map(k => ({ id: k.id, title: `${k.title} — ${o.title}` }))));
  render();
  await loadTemplates();
  markFirstRender();
}

async function loadTemplates() {
  if (editing) return;
  templates = await api('/task-templates').catch(() => []);
  renderTemplates();
}

/** "Hằng tháng, ngày 25": a template's recurrence in words. */
function recurrenceWords(x) {
  if (x.every === 'weekly') return t('work.repeat.weekly_on', { day: t(`work.repeat.weekday.${x.day}`) });
  return t(`work.repeat.${x.every}_on`, { day: x.day });
}

function dayText(d) {
  const [y, m, dd] = String(d).slice(0, 10).split('-');
  return `${dd}/${m}/${y}`;
}

function renderTemplates() {
  const box = $('#templates');
  if (!box) return;
  box.hidden = false;
  const items = templates.map(x => {
    const next = x.next
      ? esc(t('work.repeat.next', { title: x.next.title, due: dayText(x.next.due), made: dayText(x.next.created_at) }))
      : esc(t(x.paused ? 'work.repeat.paused_note' : 'work.repeat.ended'));
    const current = x.current?.made
      ? `<a href="${esc(taskHref(x.current.task_id))}">${esc(t('work.repeat.current'))}</a>` : '';
    return `<li class="template-line${x.paused ? ' is-paused' : ''}" data-template="${esc(x.id)}">
      <div class="template-head"><b>${esc(x.title)}</b>${x.paused ? ` <span class="chip band-no_data">${esc(t('work.repeat.paused'))}</span>` : ''}</div>
      <div class="quiet">${esc(recurrenceWords(x))} · ${esc(t('work.repeat.lead', { n: x.lead_days }))} · ${esc(t('task.responsible'))}: ${esc(x.names?.[x.responsible] || x.responsible)} · ${esc(x.unit_name)}</div>
      <div>${next} ${current}</div>
      <button type="button" data-pause="${esc(x.id)}" data-paused="${x.paused ? '1' : ''}">${esc(t(x.paused ? 'work.repeat.resume' : 'work.repeat.pause'))}</button>
    </li>`;
  }).join('');
  box.innerHTML = `<h2>${esc(t('work.repeat.list'))}</h2>
    ${templates.length ? `<ul class="template-list">${items}</ul>` : `<p class="quiet">${esc(t('work.repeat.none'))}</p>`}
    <p class="field-error" data-error-for="templates" role="alert" hidden></p>`;
}

async function togglePause(button) {
  button.disabled = true;
  const paused = !button.dataset.paused;
  try {
    await api(`/task-templates/${encodeURIComponent(button.dataset.pause)}`, { method: 'PUT', body: { paused } });
    toast(t(paused ? 'work.repeat.paused_done' : 'work.repeat.resumed_done'));
    await loadTemplates();
  } catch (e) {
    const err = $('#templates [data-error-for="templates"]');
    err.hidden = false;
    showError(err, e);
    button.disabled = false;
  }
}

function chips(role) {
  return picked[role].map(id => `<span class="chip person-chip" data-id="${esc(id)}">${esc(names.get(id) || id)}<button type="button" class="chip-x" data-remove="${esc(role)}" data-id="${esc(id)}" aria-label="${esc(t('work.assign.remove', { name: names.get(id) || id }))}">×</button></span>`).join('');
}

function picker(role, label) {
  return `<div class="picker" data-role="${role}">
    <span class="picker-label">${esc(label)}</span>
    <div class="picked" data-field="picked-${role}">${chips(role)}</div>
    <input type="search" class="picker-search" data-search="${role}" autocomplete="off" placeholder="${esc(t('work.assign.search'))}" aria-label="${esc(t('work.assign.search_for', { role: label }))}">
    <ul class="picker-results" data-results="${role}"></ul>
    <p class="field-error" data-error-for="${role}" role="alert" hidden></p>
  </div>`;
}

function dateValue(ts) { return ts ? ts.slice(0, 10) : ''; }

function render() {
  const title = editing ? t('work.assign.edit_title') : t('work.assign.title');
  $('#title').textContent = title;
  document.title = `${title} · IOC`;
  $('#subtitle').innerHTML = editing && task ? `<a href="${esc(taskHref(task.id))}">${esc(task.title)}</a>` : esc(t('work.assign.six_clear'));
  const x = task || {};
  $('#assign').innerHTML = `<form class="work-form assign-form" novalidate>
    <label>${esc(t('work.field.title'))}<input name="title" required maxlength="500" value="${esc(x.title || '')}"></label>
    <p class="field-error" data-error-for="title" role="alert" hidden></p>
    ${picker('responsible', t('task.responsible'))}
    ${picker('accountable', t('task.accountable'))}
    ${picker('consulted', t('task.consulted'))}
    ${picker('informed', t('task.informed'))}
    <label>${esc(t('task.expected_output'))}<textarea name="expected_output" rows="2" maxlength="2000">${esc(x.expected_output || '')}</textarea></label>
    <p class="field-error" data-error-for="expected_output" role="alert" hidden></p>
    ${editing ? '' : `<label>${esc(t('work.repeat.label'))}<select name="every">
      <option value="">${esc(t('work.repeat.no'))}</option>
      <option value="weekly">${esc(t('work.repeat.weekly'))}</option>
      <option value="monthly">${esc(t('work.repeat.monthly'))}</option>
      <option value="quarterly">${esc(t('work.repeat.quarterly'))}</option>
    </select></label>
    <div class="repeat" hidden>
      <label data-day-month>${esc(t('work.repeat.day_month'))}<input name="day" type="number" inputmode="numeric" min="1" max="31" value="25"></label>
      <label data-day-week hidden>${esc(t('work.repeat.day_week'))}<select name="weekday">${[1, 2, 3, 4, 5, 6, 7].map(d => `<option value="${d}"${d === 5 ? ' selected' : ''}>${esc(t(`work.repeat.weekday.${d}`))}</option>`).join('')}</select></label>
      <label>${esc(t('work.repeat.lead_label'))}<input name="lead_days" type="number" inputmode="numeric" min="0" max="89" value="5"></label>
      <p class="hint" data-repeat-hint></p>
    </div>
    <p class="field-error" data-error-for="every" role="alert" hidden></p>
    <p class="field-error" data-error-for="day" role="alert" hidden></p>
    <p class="field-error" data-error-for="lead_days" role="alert" hidden></p>`}
    <div class="dates">
      <label>${esc(t('task.start'))}<input name="start" type="date" value="${esc(dateValue(x.start) || (editing ? '' : todayInVietnam()))}"></label>
      <label>${esc(t('task.deadline'))}<input name="deadline" type="date" required value="${esc(dateValue(x.deadline))}"></label>
    </div>
    <p class="field-error" data-error-for="start" role="alert" hidden></p>
    <p class="field-error" data-error-for="deadline" role="alert" hidden></p>
    <label>${esc(t('task.key_result'))}<select name="key_result"><option value="">${esc(t('work.assign.no_kr'))}</option>${keyResults.map(k => `<option value="${esc(k.id)}"${x.key_result === k.id ? ' selected' : ''}>${esc(k.title)}</option>`).join('')}</select></label>
    <p class="field-error" data-error-for="key_result" role="alert" hidden></p>
    ${editing ? `<label>${esc(t('work.field.change_reason'))}<textarea name="reason" rows="2" maxlength="2000"></textarea></label>
    <p class="hint">${esc(t('work.field.change_reason.hint'))}</p>
    <p class="field-error" data-error-for="reason" role="alert" hidden></p>` : ''}
    <p class="field-error" data-error-for="" role="alert" hidden></p>
    <button type="submit" class="primary">${esc(t(editing ? 'work.assign.save' : 'work.assign.create'))}</button>
  </form>`;
  const form = $('#assign form');
  form.addEventListener('submit', e => { e.preventDefault(); quietly(send(form)); });
  form.elements.every?.addEventListener('change', () => showRepeat(form));
  form.addEventListener('click', e => {
    const rm = e.target.closest('[data-remove]');
    if (rm) { picked[rm.dataset.remove] = picked[rm.dataset.remove].filter(id => id !== rm.dataset.id); redrawPicked(rm.dataset.remove); return; }
    const add = e.target.closest('[data-add]');
    if (add) {
      const role = add.dataset.add;
      const id = add.dataset.id;
      names.set(id, add.dataset.name);
      picked[role] = role === 'responsible' || role === 'accountable' ? [id] : [...new Set([...picked[role], id])];
      redrawPicked(role);
      const box = form.querySelector(`[data-search="${role}"]`);
      box.value = '';
      form.querySelector(`[data-results="${role}"]`).innerHTML = '';
    }
  });
  for (const input of form.querySelectorAll('[data-search]')) {
    const search = throttle(() => quietly(findPeople(input)), 300);
    input.addEventListener('input', search);
    input.addEventListener('focus', search);
  }
}

/** Shows the recurrence's fields for a repeated task, the dates for a single one. */
function showRepeat(form) {
  const every = form.elements.every?.value || '';
  form.querySelector('.repeat').hidden = !every;
  form.querySelector('.dates').hidden = !!every;
  form.querySelector('[data-day-month]').hidden = every === 'weekly';
  form.querySelector('[data-day-week]').hidden = every !== 'weekly';
  form.querySelector('[data-repeat-hint]').textContent = every ? t(`work.repeat.hint.${every}`) : '';
  form.querySelector('button[type="submit"]').textContent = t(every ? 'work.repeat.create' : 'work.assign.create');
}

function redrawPicked(role) {
  $(`[data-field="picked-${role}"]`).innerHTML = chips(role);
}

async function findPeople(input) {
  const role = input.dataset.search;
  const list = $(`[data-results="${role}"]`);
  try {
    const found = await api(`/me/people?q=${encodeURIComponent(input.value.trim())}`);
    list.innerHTML = found.length ? found.map(p => `<li><button type="button" data-add="${esc(role)}" data-id="${esc(p.id)}" data-name="${esc(p.name)}"><b>${esc(p.name)}</b> <small>${esc([p.position, p.unit?.name].filter(Boolean).join(' · '))}</small></button></li>`).join('')
      : `<li class="quiet">${esc(t('work.assign.nobody'))}</li>`;
  } catch (e) {
    showError(list, e);
  }
}

async function send(form) {
  clearFormErrors(form);
  const v = name => form.elements[name]?.value.trim() ?? '';
  if (!editing && v('every')) return sendTemplate(form, v);
  draftTaskId ??= newTaskId();
  const fields = { task_id: editing || draftTaskId };
  const local = (field, key) => { showFormError(form, { field, code: 'invalid', reason: null }); form.querySelector(`[data-error-for="${field}"]`).textContent = t(key); };
  if (!v('title')) return local('title', 'work.error.field.title');
  if (!picked.responsible.length) return local('responsible', 'work.error.field.responsible');
  if (!v('deadline')) return local('deadline', 'work.error.field.deadline');
  if (v('start') && v('start') > v('deadline')) return local('deadline', 'work.error.field.deadline_before_start');
  const set = (k, val, old) => { if (!editing || JSON.stringify(val) !== JSON.stringify(old)) fields[k] = val; };
  set('title', v('title'), task?.title);
  set('responsible', picked.responsible[0], task?.responsible);
  if (picked.accountable.length) set('accountable', picked.accountable[0], task?.accountable);
  set('consulted', picked.consulted, task?.consulted || []);
  set('informed', picked.informed, task?.informed || []);
  set('expected_output', v('expected_output'), task?.expected_output);
  if (v('start')) set('start', v('start'), dateValue(task?.start));
  set('deadline', v('deadline'), dateValue(task?.deadline));
  if (v('key_result')) set('key_result', v('key_result'), task?.key_result);
  if (editing) {
    const moved = 'responsible' in fields || 'deadline' in fields || 'start' in fields;
    if (moved && !v('reason')) return local('reason', 'work.error.field.change_reason');
    if (moved) fields.reason = v('reason');
    if (Object.keys(fields).length === 1) return local('', 'work.assign.nothing_changed');
  }
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    await sendTaskEvent(action, fields);
    toast(t(editing ? 'work.assign.saved' : 'work.assign.created', { title: v('title') }));
    if (!editing) {
      picked.responsible = []; picked.consulted = []; picked.informed = [];
      draftTaskId = null;
      render();
    } else {
      task = await api(`/tasks/${encodeURIComponent(editing)}`);
      render();
    }
  } catch (e) {
    showFormError(form, e);
  } finally {
    button.disabled = false;
  }
}

/** A template made from the form: POST /api/v1/task-templates, its id made once per draft. */
async function sendTemplate(form, v) {
  const local = (field, key) => { showFormError(form, { field, code: 'invalid', reason: null }); form.querySelector(`[data-error-for="${field}"]`).textContent = t(key); };
  if (!v('title')) return local('title', 'work.error.field.title');
  if (!picked.responsible.length) return local('responsible', 'work.error.field.responsible');
  const every = v('every');
  const body = {
    title: v('title'),
    responsible: picked.responsible[0],
    consulted: picked.consulted,
    informed: picked.informed,
    expected_output: v('expected_output'),
    every,
    day: Number(every === 'weekly' ? v('weekday') : v('day')),
    lead_days: Number(v('lead_days') || 0),
  };
  if (picked.accountable.length) body.accountable = picked.accountable[0];
  if (v('key_result')) body.key_result = v('key_result');
  const key = JSON.stringify(body);
  if (!draftTemplateId || draftTemplateId.key !== key) draftTemplateId = { id: newTemplateId(body.title), key, tried: false };
  body.id = draftTemplateId.id;
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    let made;
    try {
      made = await api('/task-templates', { method: 'POST', body });
    } catch (e) {
      // A retry after a lost answer finds its own template made: that is success.
      if (!(draftTemplateId.tried && e?.status === 409)) throw e;
      made = await api(`/task-templates/${encodeURIComponent(body.id)}`);
    } finally {
      draftTemplateId.tried = true;
    }
    toast(t('work.repeat.created', { title: made.title, when: recurrenceWords(made) }));
    picked.responsible = []; picked.consulted = []; picked.informed = [];
    draftTemplateId = null;
    render();
    await loadTemplates();
  } catch (e) {
    showFormError(form, e);
    // On a phone the field at fault may be a screen away from the button.
    form.querySelector('[data-error-for]:not([hidden])')?.scrollIntoView({ block: 'center' });
  } finally {
    button.disabled = false;
  }
}

/** A template id people can read: the title without diacritics, and four hex digits. */
function newTemplateId(title) {
  const slug = title.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[đĐ]/g, 'd').toLowerCase()
    .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'mau';
  return `${slug}-${crypto.randomUUID().slice(0, 4)}`;
}

/** A task id people can read out: T-yyyymmdd-six hex digits. */
function newTaskId() {
  const day = todayInVietnam().replaceAll('-', '');
  return `T-${day}-${crypto.randomUUID().slice(0, 6)}`;
}

let toastTimer = null;
function toast(text) {
  const el = $('#toast');
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 8000);
}

onLangChange(() => { render(); renderTemplates(); });
document.addEventListener('click', e => {
  const b = e.target.closest('[data-pause]');
  if (b) quietly(togglePause(b));
});
quietly(syncClock().then(load).catch(e => showError($('#assign'), e)));
