// explain.js — owns how explanations (giải trình) show on any page: a subject's threads (the
// question, who asked and by when, where it stands, the answers and follow-ups with their files),
// the answer form for the person who is to answer (text and an optional file), and the dialog in
// which a leader asks (question and due date). Each write carries an id made on the first try and
// kept while the form says the same, so a retry is the same request, never a second one.

import { t, fmt } from '/js/i18n.js';
import { esc, personHref } from '/js/dom.js';
import { api, ApiError, isNetwork, errorText } from '/js/api.js';
import { uploadAttachment } from '/js/work.js';
import { session } from '/js/session.js';

/** Whether the signed-in account may ask at all (a leader or an admin somewhere). */
export function mayAsk() {
  const grants = session()?.account?.grants || [];
  return grants.some(g => ['leader', 'admin'].includes(Array.isArray(g) ? g[0] : g?.role));
}

/** The requests about a subject (`{subject_kind, subject}`, or `{unit}` ...), newest first. */
export async function loadThreads(query) {
  const q = new URLSearchParams(Object.entries(query).filter(([, v]) => v != null && v !== ''));
  const r = await api(`/explanations?${q}`);
  return r?.explanations || [];
}

const stateClass = s => (s === 'overdue' ? 'c-red' : s === 'answered' ? 'c-green' : 'c-yellow');

/** Where a request stands, in words: "Đã giải trình", "Chờ giải trình, hạn …", "Quá hạn …". */
export function stateWords(x) {
  if (x.state === 'answered') return t('explain.state.answered');
  if (x.state === 'overdue') {
    return x.escalated_to
      ? t('explain.state.overdue_to', { person: x.escalated_to.name })
      : t('explain.state.overdue');
  }
  return t('explain.state.open', { due: fmt.dateTime(x.due_at) });
}

function filesHtml(files) {
  if (!files?.length) return '';
  return `<span class="xp-files">${files.map(f =>
    `<a href="/api/v1/attachments/${encodeURIComponent(f.sha256)}" download>${esc(f.name)}</a>`).join(' · ')}</span>`;
}

/** One request and its thread; with `answerable`, the answer form when the reader may answer. */
export function threadHtml(x, { answerable = true, subjectShown = false } = {}) {
  const msgs = (x.messages || []).map(m => {
    const who = m.author ? `<a href="${esc(personHref(m.author.id))}">${esc(m.author.name)}</a>` : esc(t('explain.someone'));
    const role = t(m.role === 'answer' ? 'explain.role.answer' : 'explain.role.asker');
    return `<li class="xp-msg xp-by-${esc(m.role)}" data-message="${esc(m.id)}">
      <div class="xp-who">${who} · ${esc(role)} · ${esc(fmt.dateTime(m.at))}</div>
      <div class="xp-text" data-field="text">${esc(m.text)}</div>${filesHtml(m.attachments)}</li>`;
  }).join('');
  const asker = x.asker ? `<a href="${esc(personHref(x.asker.id))}">${esc(x.asker.name)}</a>` : esc(t('explain.someone'));
  const fileId = `xpf-${x.id.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const answerForm = `
    <form class="xp-answer" data-explanation="${esc(x.id)}">
      <label>${esc(t(x.state === 'answered' ? 'explain.answer.more' : 'explain.answer.label'))}
        <textarea name="text" rows="3" maxlength="4000" required></textarea></label>
      <div class="error" data-error-for="text" hidden></div>
      <div class="file-row"><span class="file-label">${esc(t('explain.answer.file'))}</span>
        <div class="file-pick"><input type="file" id="${esc(fileId)}" name="file" class="file-input" accept=".pdf,.png,.jpg,.jpeg,.webp,.docx,.xlsx,.pptx,.odt,.ods,.odp">
          <label for="${esc(fileId)}" class="button-link">${esc(t('import.choose'))}</label>
          <span class="file-name" data-field="file-name">${esc(t('import.none'))}</span></div></div>
      <div class="error" data-error-for="file" hidden></div>
      <div class="error" data-error-for="" hidden></div>
      <button type="submit">${esc(t('explain.answer.send'))}</button>
    </form>`;
  // Once answered, adding to the answer is one tap away rather than a form in the way.
  const form = !(answerable && x.may_answer) ? ''
    : x.state === 'answered' ? `<details class="xp-more"><summary>${esc(t('explain.answer.more'))}</summary>${answerForm}</details>`
      : answerForm;
  return `<article class="xp" data-explanation="${esc(x.id)}" data-state="${esc(x.state)}">
    <div class="xp-head">
      <span class="xp-badge ${stateClass(x.state)}" data-field="state">${esc(stateWords(x))}</span>
      ${subjectShown ? `<b>${esc(x.title)}</b> · ` : ''}${esc(t('explain.asked', { time: fmt.dateTime(x.created_at) }))} ${asker}
      → <a href="${esc(personHref(x.addressee.id))}" data-field="addressee">${esc(x.addressee.name)}</a>
    </div>
    <div class="xp-question" data-field="question">${esc(x.question)}</div>
    ${msgs ? `<ul class="xp-thread">${msgs}</ul>` : `<p class="quiet">${esc(t('explain.no_answer'))}</p>`}
    ${form}
  </article>`;
}

/** A list of threads under a heading; nothing at all when there are none. */
export function threadsHtml(list, opts = {}) {
  if (!list?.length) return '';
  return `<section class="xp-list" aria-label="${esc(t('explain.title'))}">
    <h4>${esc(t('explain.title'))} (${esc(fmt.int(list.length))})</h4>
    ${list.map(x => threadHtml(x, opts)).join('')}</section>`;
}

/** One form action's id, kept while the form says the same (a retry is the same write). */
class Kept {
  constructor() { this.key = null; this.id = null; }
  idFor(fields) {
    const key = JSON.stringify(fields);
    if (key !== this.key) { this.key = key; this.id = `web-${crypto.randomUUID()}`; }
    return this.id;
  }
  done() { this.key = null; }
}
const kept = new Map();
const keptFor = k => { if (!kept.has(k)) kept.set(k, new Kept()); return kept.get(k); };

/** Uploads a file for a request's thread (a refusal shows next to the file input). */
async function upload(explanation, file) {
  try {
    return await uploadAttachment({ explanation }, file);
  } catch (e) {
    if (e instanceof ApiError) e.field = 'file';
    throw e;
  }
}

function showError(form, e) {
  for (const b of form.querySelectorAll('[data-error-for]')) { b.hidden = true; b.textContent = ''; }
  const field = e?.field || '';
  const box = form.querySelector(`[data-error-for="${CSS.escape(field)}"]`) || form.querySelector('[data-error-for=""]');
  if (!box) return;
  box.textContent = isNetwork(e) ? t('work.error.network') : errorText(e);
  box.hidden = false;
}

/**
 * Wires the answer forms inside `root` (once): sends the answer (the file first), then calls
 * `after(thread)` with the request as it now stands.
 */
export function wireAnswers(root, after) {
  root.addEventListener('change', ev => {
    const input = ev.target.closest('form.xp-answer input[type="file"]');
    if (!input) return;
    const name = input.closest('form').querySelector('[data-field="file-name"]');
    name.textContent = input.files?.[0]?.name || t('import.none');
  });
  root.addEventListener('submit', async ev => {
    const form = ev.target.closest('form.xp-answer');
    if (!form) return;
    ev.preventDefault();
    const id = form.dataset.explanation;
    const text = form.text.value.trim();
    const file = form.file.files?.[0] || null;
    const k = keptFor(`answer:${id}`);
    const btn = form.querySelector('button[type="submit"]');
    btn.disabled = true;
    try {
      const attachments = file ? [(await upload(id, file)).sha256] : [];
      const msgId = k.idFor({ text, attachments });
      const r = await api(`/explanations/${encodeURIComponent(id)}/messages`, {
        method: 'POST', body: { id: msgId, text, attachments },
      });
      k.done();
      await after(r);
    } catch (e) {
      if (!isNetwork(e)) k.done();
      showError(form, e);
    } finally {
      btn.disabled = false;
    }
  });
}

let dialog = null;
function askDialog() {
  if (dialog) return dialog;
  dialog = document.createElement('dialog');
  dialog.id = 'dlg-explain';
  dialog.innerHTML = `<form method="dialog" class="xp-ask">
    <h3>${esc(t('explain.ask.title'))}</h3>
    <p class="dlg-summary" data-field="subject"></p>
    <label>${esc(t('explain.ask.question'))}
      <textarea name="question" rows="4" maxlength="2000" required></textarea></label>
    <div class="error" data-error-for="question" hidden></div>
    <label>${esc(t('explain.ask.addressee'))}
      <select name="addressee"><option value="">${esc(t('explain.ask.addressee.default'))}</option></select></label>
    <div class="error" data-error-for="addressee" hidden></div>
    <label>${esc(t('explain.ask.due'))} <input type="date" name="due" required></label>
    <div class="error" data-error-for="due" hidden></div>
    <div class="error" data-error-for="" hidden></div>
    <div class="buttons"><button type="button" value="cancel">${esc(t('common.cancel'))}</button>
      <button type="submit" class="primary">${esc(t('explain.ask.send'))}</button></div>
  </form>`;
  document.body.append(dialog);
  return dialog;
}

/** A date `days` after today in Vietnam, as yyyy-mm-dd. */
function dayAfter(days) {
  return new Date(Date.now() + 7 * 3600_000 + days * 86_400_000).toISOString().slice(0, 10);
}

/**
 * Opens the ask dialog for `subject` ({subject_kind, subject, unit?, title?, words}) and resolves
 * with the new request once the server kept it (or null when the dialog is cancelled).
 */
export function ask(subject) {
  const dlg = askDialog();
  const form = dlg.querySelector('form');
  form.reset();
  for (const b of form.querySelectorAll('[data-error-for]')) { b.hidden = true; b.textContent = ''; }
  dlg.querySelector('[data-field="subject"]').textContent = subject.words || subject.title || '';
  form.due.value = dayAfter(3);
  const sel = form.addressee;
  while (sel.options.length > 1) sel.remove(1);
  if (subject.unit) {
    api(`/units/${encodeURIComponent(subject.unit)}/people?limit=100`).then(r => {
      for (const p of r?.people || []) {
        const o = document.createElement('option');
        o.value = p.id;
        o.textContent = p.position ? `${p.name} — ${p.position}` : p.name;
        sel.append(o);
      }
    }).catch(() => {});
  }
  form.due.min = dayAfter(0);
  const k = keptFor(`ask:${subject.subject_kind}:${subject.subject}`);
  return new Promise(resolve => {
    form.querySelector('button[value="cancel"]').onclick = () => { dlg.close(); resolve(null); };
    form.onsubmit = async ev => {
      ev.preventDefault();
      const fields = {
        subject_kind: subject.subject_kind, subject: subject.subject,
        question: form.question.value.trim(), due: form.due.value,
      };
      if (subject.unit && subject.subject_kind === 'kpi') fields.unit = subject.unit;
      if (form.addressee.value) fields.addressee = form.addressee.value;
      if (subject.title) fields.title = subject.title;
      const btn = form.querySelector('button[type="submit"]');
      btn.disabled = true;
      try {
        const r = await api('/explanations', { method: 'POST', body: { id: k.idFor(fields), ...fields } });
        k.done();
        dlg.close();
        resolve(r);
      } catch (e) {
        if (!isNetwork(e)) k.done();
        showError(form, e);
      } finally {
        btn.disabled = false;
      }
    };
    dlg.showModal();
  });
}
