// me.js — owns My work (me.html): the signed-in official's tasks by role (R, A, C, I), most
// pressing first (GET /api/v1/me/tasks); progress with a note and a submission with its output,
// link and files, each sent as a task event through POST /api/v1/events (the event path
// integrations use); a returned task shows the reason; a task's history on demand. The page
// follows the person's live view and reads the list again when it moves.

import { t, fmt, onLangChange, statusName, levelName, actorName } from '/js/i18n.js';
import { esc, taskHref, markFirstRender, throttle, quietly } from '/js/dom.js';
import { api, showError } from '/js/api.js';
import { initPage } from '/js/nav.js';
import { loadThreads, threadsHtml, wireAnswers } from '/js/explain.js';
import { wireBanners } from '/js/banner.js';
import { Live } from '/js/live.js';
import { session } from '/js/session.js';
import { progressBar } from '/js/charts.js';
import {
  Action, sendTaskEvent, uploadFile, showFormError, clearFormErrors, needName, roleChips,
  saidLines, historyHtml, syncClock,
} from '/js/work.js';

const live = new Live().start();
let unitOfMe = null;
const nav = initPage({ active: 'me', unit: () => unitOfMe });
wireBanners(live);
const $ = sel => document.querySelector(sel);

let work = null;
/** Per task, the actions of its forms (kept across re-renders so a retry keeps its id). */
const actions = new Map();
/** Per task, what its open forms hold, so a live re-render does not lose what is typed. */
const drafts = new Map();
let watching = null;

const NEEDS = ['returned', 'overdue', 'due_soon', 'open', 'waiting', 'done'];

/** `asked`: a reading a live change asked for, which gives way to a form in use (see `busy`). */
async function load(asked = false) {
  try {
    const read = await api('/me/tasks');
    // The reader may have started on a form while the list was being read: rendering now
    // would replace it under their hands (a chosen file, an error just shown).
    if (asked && busy()) { deferred = true; return; }
    work = read;
  } catch (e) {
    $('#title').textContent = t('work.me.title');
    // An account linked to nobody (the city's, an administrator's) has no work of its own:
    // say so quietly and point a leader to what they do here.
    if (e?.reason === 'no_person_linked') {
      const s = session();
      const leads = (s?.account?.grants || []).some(g => g.role === 'leader');
      $('#work').innerHTML = `<p class="quiet" data-field="no-person">${esc(t('work.me.no_person'))}</p>${leads ? `<p><a href="/accept.html">${esc(t('nav.accept'))}</a> · <a href="/assign.html">${esc(t('nav.assign'))}</a></p>` : ''}`;
      return;
    }
    showError($('#work'), e);
    return;
  }
  if (unitOfMe !== (work.unit?.id ?? null)) { unitOfMe = work.unit?.id ?? null; nav?.redraw(); }
  if (watching !== work.person.id) {
    watching = work.person.id;
    // Any change to the person's tasks moves their live view: read the list again then.
    let first = true;
    live.watch('person', watching, () => { if (first) { first = false; return; } refresh(); });
  }
  render();
  markFirstRender();
}
/**
 * A live change reads the list again, but never under the reader's hands: while a form has the
 * focus, holds chosen files, shows a refusal, or waits for a retry after a lost answer, the
 * reading waits until the form is left or sent.
 */
let deferred = false;
const retrying = new Set();
function busy() {
  const a = document.activeElement;
  if (a && a.closest?.('form.work-form')) return true;
  if (retrying.size) return true;
  // A refusal shown next to a field is read before the list moves (a re-render would drop it).
  if (document.querySelector('form.work-form [data-error-for]:not([hidden])')) return true;
  return [...document.querySelectorAll('form.work-form input[type="file"]')].some(i => i.files?.length);
}
const refresh = throttle(() => {
  if (busy()) { deferred = true; return; }
  deferred = false;
  quietly(load(true));
}, 1000);
document.addEventListener('focusout', () => setTimeout(() => { if (deferred) refresh(); }, 0));

function actionOf(taskId, kind) {
  const key = `${taskId}|${kind}`;
  if (!actions.has(key)) actions.set(key, new Action());
  return actions.get(key);
}

function saveDrafts() {
  for (const form of document.querySelectorAll('form[data-task]')) {
    const open = form.closest('details')?.open;
    const values = {};
    for (const el of form.elements) if (el.name && el.type !== 'file') values[el.name] = el.value;
    drafts.set(`${form.dataset.task}|${form.dataset.kind}`, { open, values });
  }
}

function render() {
  if (!work) return;
  saveDrafts();
  $('#title').textContent = t('work.me.title');
  document.title = `${t('work.me.title')} · IOC`;
  const u = work.unit;
  $('#subtitle').innerHTML = `<b>${esc(work.person.name)}</b>${u ? ` · ${esc(u.name)} (${esc(levelName(u.level))})` : ''}`;
  const by = new Map(NEEDS.map(n => [n, []]));
  for (const x of work.tasks) by.get(x.need)?.push(x);
  $('#counts').innerHTML = NEEDS.filter(n => n !== 'done').map(n => `<a class="work-count need-${n}${by.get(n).length ? ' has' : ''}" href="#need-${n}" data-need="${n}"><b>${esc(fmt.int(by.get(n).length))}</b> <span>${esc(needName(n))}</span></a>`).join('');
  if (!work.tasks.length) {
    $('#work').innerHTML = `<p class="quiet">${esc(t('work.me.none'))}</p>`;
    return;
  }
  $('#work').innerHTML = NEEDS.filter(n => by.get(n).length).map(n => `<section class="block work-group" id="need-${n}" data-need="${n}">
      <h2>${esc(needName(n))} <small>(${esc(fmt.int(by.get(n).length))})</small></h2>
      ${by.get(n).map(card).join('')}
    </section>`).join('');
  wire();
}

function card(x) {
  const mine = x.roles.includes('R');
  const open = ['todo', 'in_progress', 'returned'].includes(x.status);
  const deadline = `<span class="${x.overdue ? 'overdue-text' : ''}">${esc(t('work.deadline', { date: fmt.date(x.deadline) }))}</span>`;
  const returned = x.returned ? `<div class="returned-box" data-field="returned">
      <div class="said-head"><b>${esc(t('work.returned_by', { name: actorName(x.returned.by) }))}</b> <small>${esc(fmt.dateTime(x.returned.at))}</small></div>
      ${saidLines({ reason: x.returned.reason, comment: x.returned.comment })}
    </div>` : '';
  const forms = mine && open ? `${progressForm(x)}${submitForm(x)}` : '';
  return `<article class="work-card need-${esc(x.need)}" data-task="${esc(x.id)}" data-need="${esc(x.need)}">
    <div class="work-card-head">
      <a class="work-title" href="${esc(taskHref(x.id))}">${esc(x.title)}</a>
      <span class="roles">${roleChips(x.roles)}</span>
    </div>
    <div class="work-meta">
      <span>${esc(statusName(x.status))}</span>
      ${deadline}
      ${x.unit ? `<span>${esc(x.unit.name)}</span>` : ''}
      ${x.accountable ? `<span>${esc(t('work.acceptor', { name: x.accountable.name }))}</span>` : ''}
      ${x.quality != null ? `<span>${esc(t('work.quality', { q: fmt.int(x.quality) }))}</span>` : ''}
    </div>
    <div class="mini-progress" data-field="progress">${progressBar((x.progress ?? 0) / 100, null)}<span class="pct">${esc(t('work.progress', { p: fmt.progress(x.progress) }))}</span></div>
    ${x.expected_output ? `<div class="said-line"><span class="said-label">${esc(t('task.expected_output'))}</span> ${esc(x.expected_output)}</div>` : ''}
    ${returned}
    ${forms}
    <details class="work-more" data-kind="history"><summary>${esc(t('work.history'))}</summary><div data-field="history"></div></details>
  </article>`;
}

function draftOf(x, kind) { return drafts.get(`${x.id}|${kind}`) || { open: false, values: {} }; }

function progressForm(x) {
  const d = draftOf(x, 'progress');
  return `<details class="work-more" data-kind="progress"${d.open ? ' open' : ''}><summary>${esc(t('work.update_progress'))}</summary>
    <form class="work-form" data-task="${esc(x.id)}" data-kind="progress" novalidate>
      <label>${esc(t('work.field.progress'))}
        <input name="progress" type="number" inputmode="numeric" min="0" max="100" step="5" required value="${esc(d.values.progress ?? x.progress)}"></label>
      <p class="field-error" data-error-for="progress" role="alert" hidden></p>
      <label>${esc(t('work.field.note'))}
        <textarea name="note" rows="3" maxlength="2000" placeholder="${esc(t('work.field.note.hint'))}">${esc(d.values.note ?? '')}</textarea></label>
      <p class="field-error" data-error-for="note" role="alert" hidden></p>
      <p class="field-error" data-error-for="" role="alert" hidden></p>
      <button type="submit" class="primary">${esc(t('work.save_progress'))}</button>
    </form></details>`;
}

function submitForm(x) {
  const d = draftOf(x, 'submit');
  return `<details class="work-more" data-kind="submit"${d.open ? ' open' : ''}><summary>${esc(t('work.submit'))}</summary>
    <form class="work-form" data-task="${esc(x.id)}" data-kind="submit" novalidate>
      <label>${esc(t('work.field.output'))}
        <textarea name="output" rows="3" maxlength="4000" required placeholder="${esc(x.expected_output || '')}">${esc(d.values.output ?? '')}</textarea></label>
      <p class="field-error" data-error-for="output" role="alert" hidden></p>
      <label>${esc(t('work.field.link'))}
        <input name="link" type="url" inputmode="url" placeholder="https://" value="${esc(d.values.link ?? '')}"></label>
      <p class="field-error" data-error-for="link" role="alert" hidden></p>
      <label>${esc(t('work.field.files'))}
        <input name="file" type="file" multiple accept=".pdf,.png,.jpg,.jpeg,.webp,.docx,.xlsx,.pptx,.odt,.ods,.odp"></label>
      <p class="hint">${esc(t('work.field.files.hint'))}</p>
      <ul class="files" data-field="files"></ul>
      <p class="field-error" data-error-for="file" role="alert" hidden></p>
      <p class="field-error" data-error-for="attachments" role="alert" hidden></p>
      <p class="field-error" data-error-for="" role="alert" hidden></p>
      <button type="submit" class="primary">${esc(t('work.send_submission'))}</button>
    </form></details>`;
}

/** Files already uploaded per task form, so a retry does not upload them again. */
const uploaded = new Map();

function wire() {
  for (const form of document.querySelectorAll('form.work-form')) {
    form.addEventListener('submit', e => { e.preventDefault(); quietly(send(form)); });
  }
  for (const d of document.querySelectorAll('details[data-kind="history"]')) {
    d.addEventListener('toggle', () => {
      if (!d.open) return;
      const box = d.querySelector('[data-field="history"]');
      box.innerHTML = `<p class="quiet">${esc(t('common.loading'))}</p>`;
      historyHtml(d.closest('[data-task]').dataset.task).then(html => { box.innerHTML = html; }, e => showError(box, e));
    });
  }
}

async function send(form) {
  const taskId = form.dataset.task;
  const kind = form.dataset.kind;
  const button = form.querySelector('button[type="submit"]');
  clearFormErrors(form);
  let fields;
  if (kind === 'progress') {
    const raw = form.elements.progress.value.trim();
    const p = Number(raw);
    if (raw === '' || !Number.isFinite(p) || p < 0 || p > 100) {
      showFormError(form, { field: 'progress', code: 'invalid' });
      return;
    }
    fields = { task_id: taskId, progress: p };
    const task = work.tasks.find(x => x.id === taskId);
    if (task?.status === 'todo' && p > 0) fields.status = 'in_progress';
    const note = form.elements.note.value.trim();
    if (note) fields.note = note;
  } else {
    const output = form.elements.output.value.trim();
    if (!output) { showFormError(form, { field: 'output', code: 'invalid' }); return; }
    fields = { task_id: taskId, status: 'submitted', progress: 100, output };
    const link = form.elements.link.value.trim();
    if (link) fields.link = link;
  }
  button.disabled = true;
  try {
    if (kind === 'submit') {
      const files = [...form.elements.file.files];
      const have = uploaded.get(taskId) || new Map();
      uploaded.set(taskId, have);
      for (const f of files) {
        const key = `${f.name}|${f.size}|${f.lastModified}`;
        if (!have.has(key)) have.set(key, await uploadFile(taskId, f));
      }
      const refs = files.map(f => have.get(`${f.name}|${f.size}|${f.lastModified}`)).map(a => ({ sha256: a.sha256, name: a.name }));
      if (refs.length) fields.attachments = refs;
    }
    const report = await sendTaskEvent(actionOf(taskId, kind), fields);
    retrying.delete(`${taskId}|${kind}`);
    const title = work.tasks.find(x => x.id === taskId)?.title || '';
    toast(t(report.duplicates > 0 ? 'work.saved_before' : 'work.saved', { title }));
    drafts.delete(`${taskId}|${kind}`);
    if (kind === 'submit') uploaded.delete(taskId);
    form.closest('details').open = false;
    await load();
  } catch (e) {
    if (e?.code === 'network') retrying.add(`${taskId}|${kind}`);
    else retrying.delete(`${taskId}|${kind}`);
    showFormError(form, e);
  } finally {
    button.disabled = false;
  }
}

let toastTimer = null;
/** A short confirmation at the top of the page ("Đã lưu tiến độ …"). */
function toast(text) {
  const el = $('#toast');
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 8000);
}

onLangChange(render);
quietly(syncClock().then(() => load()).catch(e => showError($('#work'), e)));

// Explanations asked of me (and by me): the open ones first, each with its thread and, for what
// I am to answer, the answer form. Read at start, after an answer, and every 30 s.
async function loadExplanations() {
  const box = $('#explain-mine');
  const list = await loadThreads({ mine: 'true', limit: '50' });
  const rank = x => (x.may_answer && x.state !== 'answered' ? 0 : 1);
  list.sort((a, b) => rank(a) - rank(b));
  box.hidden = list.length === 0;
  if (box.querySelector('form.xp-answer')?.contains(document.activeElement)) return;
  box.innerHTML = threadsHtml(list, { subjectShown: true });
}
wireAnswers($('#explain-mine'), () => loadExplanations());
quietly(loadExplanations());
setInterval(() => quietly(loadExplanations()), 30_000);
