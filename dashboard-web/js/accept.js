// accept.js — owns the acceptance queue (accept.html): submissions waiting on the signed-in
// leader (GET /api/v1/me/acceptance: accountable, or a leader over the unit when none is named;
// never their own), oldest first, with the output, link and files; accept with a quality score
// (0-100) and a comment, or return with a reason, each a task event through POST
// /api/v1/events. The queue is read again when a unit the account follows moves live.

import { t, fmt, onLangChange } from '/js/i18n.js';
import { esc, taskHref, markFirstRender, throttle, quietly } from '/js/dom.js';
import { api, showError, dashboardConfig } from '/js/api.js';
import { initPage } from '/js/nav.js';
import { wireBanners } from '/js/banner.js';
import { Live } from '/js/live.js';
import { grantUnits, sessionReady } from '/js/session.js';
import { progressBar } from '/js/charts.js';
import { Action, sendTaskEvent, showFormError, clearFormErrors, saidLines, historyHtml, syncClock } from '/js/work.js';

const live = new Live().start();
initPage({ active: 'accept' });
wireBanners(live);
const $ = sel => document.querySelector(sel);

let queue = null;
const actions = new Map();
const drafts = new Map();

async function load() {
  try {
    queue = await api('/me/acceptance');
  } catch (e) {
    $('#title').textContent = t('work.accept.title');
    showError($('#queue'), e);
    return;
  }
  render();
  markFirstRender();
}
/** A live change reads the queue again, but not while the leader is writing in a form. */
let deferred = false;
const refresh = throttle(() => {
  if (document.activeElement?.closest?.('form.work-form')) { deferred = true; return; }
  deferred = false;
  quietly(load());
}, 1000);
document.addEventListener('focusout', () => setTimeout(() => { if (deferred) refresh(); }, 0));

/** A submission anywhere the account sees moves a unit's live view: read the queue again. */
async function follow() {
  await sessionReady();
  const root = (await dashboardConfig()).root_unit;
  const units = [...new Set(grantUnits().map(u => (u === '*' ? root : u)))];
  for (const u of units) {
    let first = true;
    live.watch('unit', u, () => { if (first) { first = false; return; } refresh(); });
  }
}

function actionOf(id, kind) {
  const key = `${id}|${kind}`;
  if (!actions.has(key)) actions.set(key, new Action());
  return actions.get(key);
}

function saveDrafts() {
  for (const form of document.querySelectorAll('form[data-task]')) {
    const values = {};
    for (const el of form.elements) if (el.name) values[el.name] = el.value;
    drafts.set(`${form.dataset.task}|${form.dataset.kind}`, { open: form.closest('details')?.open, values });
  }
}

function render() {
  if (!queue) return;
  saveDrafts();
  $('#title').textContent = t('work.accept.title');
  document.title = `${t('work.accept.title')} · IOC`;
  $('#subtitle').textContent = t('work.accept.count', { n: fmt.int(queue.tasks.length) });
  if (!queue.tasks.length) {
    $('#queue').innerHTML = `<p class="quiet">${esc(t('work.accept.none'))}</p>`;
    return;
  }
  $('#queue').innerHTML = `<section class="block work-group">${queue.tasks.map(card).join('')}</section>`;
  for (const form of document.querySelectorAll('form.work-form')) {
    form.addEventListener('submit', e => { e.preventDefault(); quietly(send(form)); });
  }
  for (const d of document.querySelectorAll('details[data-kind="history"]')) {
    d.addEventListener('toggle', () => {
      if (!d.open) return;
      const box = d.querySelector('[data-field="history"]');
      historyHtml(d.closest('[data-task]').dataset.task).then(html => { box.innerHTML = html; }, e => showError(box, e));
    });
  }
}

function draftOf(x, kind) { return drafts.get(`${x.id}|${kind}`) || { open: kind === 'accept', values: {} }; }

function card(x) {
  const s = x.submission;
  const a = draftOf(x, 'accept');
  const r = draftOf(x, 'return');
  return `<article class="work-card" data-task="${esc(x.id)}">
    <div class="work-card-head">
      <a class="work-title" href="${esc(taskHref(x.id))}">${esc(x.title)}</a>
      ${x.late ? `<span class="chip band-red">${esc(t('work.accept.late'))}</span>` : ''}
    </div>
    <div class="work-meta">
      <span>${esc(t('work.accept.by', { name: x.responsible.name }))}</span>
      ${x.unit ? `<span>${esc(x.unit.name)}</span>` : ''}
      <span>${esc(t('work.accept.submitted', { time: fmt.dateTime(x.submitted_at) }))}</span>
      <span>${esc(t('work.deadline', { date: fmt.date(x.deadline) }))}</span>
    </div>
    <div class="mini-progress">${progressBar((x.progress ?? 0) / 100, null)}<span class="pct">${esc(t('work.progress', { p: fmt.progress(x.progress) }))}</span></div>
    ${x.expected_output ? `<div class="said-line"><span class="said-label">${esc(t('task.expected_output'))}</span> ${esc(x.expected_output)}</div>` : ''}
    <div class="submission" data-field="submission">${s ? saidLines({ output: s.output, link: s.link, attachments: s.attachments, note: s.note }) : `<p class="quiet">${esc(t('work.accept.no_output'))}</p>`}</div>
    <details class="work-more" data-kind="accept"${a.open ? ' open' : ''}><summary>${esc(t('work.accept.accept'))}</summary>
      <form class="work-form" data-task="${esc(x.id)}" data-kind="accept" novalidate>
        <label>${esc(t('work.field.quality'))}
          <input name="quality" type="number" inputmode="numeric" min="0" max="100" step="5" required value="${esc(a.values.quality ?? '')}"></label>
        <p class="hint">${esc(t('work.field.quality.hint'))}</p>
        <p class="field-error" data-error-for="quality" role="alert" hidden></p>
        <label>${esc(t('work.field.comment'))}
          <textarea name="comment" rows="2" maxlength="2000">${esc(a.values.comment ?? '')}</textarea></label>
        <p class="field-error" data-error-for="comment" role="alert" hidden></p>
        <p class="field-error" data-error-for="" role="alert" hidden></p>
        <button type="submit" class="primary">${esc(t('work.accept.do_accept'))}</button>
      </form></details>
    <details class="work-more" data-kind="return"${r.open ? ' open' : ''}><summary>${esc(t('work.accept.return'))}</summary>
      <form class="work-form" data-task="${esc(x.id)}" data-kind="return" novalidate>
        <label>${esc(t('work.field.reason'))}
          <textarea name="reason" rows="2" maxlength="2000" required>${esc(r.values.reason ?? '')}</textarea></label>
        <p class="field-error" data-error-for="reason" role="alert" hidden></p>
        <label>${esc(t('work.field.comment'))}
          <textarea name="comment" rows="2" maxlength="2000">${esc(r.values.comment ?? '')}</textarea></label>
        <p class="field-error" data-error-for="" role="alert" hidden></p>
        <button type="submit" class="danger">${esc(t('work.accept.do_return'))}</button>
      </form></details>
    <details class="work-more" data-kind="history"><summary>${esc(t('work.history'))}</summary><div data-field="history"></div></details>
  </article>`;
}

async function send(form) {
  const taskId = form.dataset.task;
  const kind = form.dataset.kind;
  clearFormErrors(form);
  const comment = form.elements.comment.value.trim();
  let fields;
  if (kind === 'accept') {
    const raw = form.elements.quality.value.trim();
    const q = Number(raw);
    if (raw === '' || !Number.isFinite(q) || q < 0 || q > 100) { showFormError(form, { field: 'quality', code: 'invalid' }); return; }
    fields = { task_id: taskId, status: 'accepted', progress: 100, quality: q };
  } else {
    const reason = form.elements.reason.value.trim();
    if (!reason) { showFormError(form, { field: 'reason', code: 'invalid' }); return; }
    fields = { task_id: taskId, status: 'returned', reason };
  }
  if (comment) fields.comment = comment;
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    const report = await sendTaskEvent(actionOf(taskId, kind), fields);
    const title = queue.tasks.find(x => x.id === taskId)?.title || '';
    toast(t(kind === 'accept' ? 'work.accept.accepted' : 'work.accept.returned', { title, q: fields.quality }) + (report.duplicates ? ` ${t('work.saved_before.short')}` : ''));
    drafts.delete(`${taskId}|${kind}`);
    await load();
  } catch (e) {
    showFormError(form, e);
  } finally {
    button.disabled = false;
  }
}

let toastTimer = null;
function toast(text) {
  const el = $('#toast');
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 8000);
}

onLangChange(render);
quietly(syncClock().then(load).catch(e => showError($('#queue'), e)));
quietly(follow());
