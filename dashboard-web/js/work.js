// work.js — owns what the own-work pages (My work, acceptance, assign) share: one user action
// sent as one task event whose id is made once and kept across retries (a retry after a lost
// answer is a duplicate, not a second change), a refusal shown next to the field it names, file
// uploads, and how a task's need, roles and history read.

import { t, fmt, statusName } from '/js/i18n.js';
import { esc } from '/js/dom.js';
import { api, ApiError, errorText, isNetwork } from '/js/api.js';
import { sessionReady, csrfToken, refreshSession } from '/js/session.js';
import { lang } from '/js/i18n.js';

/**
 * The server's clock less this device's, measured when a page starts (dates shown for "today").
 * Actions themselves are dated by the server's clock read when they are made (`clockNow`), so a
 * phone whose clock is wrong, or a server on a manual clock, orders them as they arrived.
 */
let clockOffset = 0;
export async function syncClock() {
  try {
    const c = await api('/clock');
    const server = Date.parse(c?.now);
    if (Number.isFinite(server)) clockOffset = server - Date.now();
  } catch { /* the device's clock, then */ }
}
export const serverNow = () => new Date(Date.now() + clockOffset);

/** The server's clock now, as it writes it; the device's estimate of it if it cannot be read. */
async function clockNow() {
  try {
    const c = await api('/clock');
    if (Number.isFinite(Date.parse(c?.now))) return c.now;
  } catch { /* below */ }
  return serverNow().toISOString();
}

/**
 * One action of a form: the event's id and time are made on the first try and kept while the
 * form says the same, so "Gửi lại" after a dropped answer sends the same event again.
 */
export class Action {
  constructor() { this.key = null; this.id = null; this.at = null; }
  /** Whether `fields` are what the pending try sent. */
  same(fields) { return this.key !== null && this.key === JSON.stringify(fields); }
  begin(fields, at) {
    this.key = JSON.stringify(fields);
    this.id = `web-${crypto.randomUUID()}`;
    this.at = at;
  }
  /** The event for `fields` (a task event's fields less type/id/at). */
  event(fields) { return { type: 'task', id: this.id, at: this.at, ...fields }; }
  /** After an answer (success or a refusal): the next try is a new action. */
  done() { this.key = null; }
}

/** Sends one task event; resolves to the ingest report (accepted or a duplicate). */
export async function sendTaskEvent(action, fields) {
  if (!action.same(fields)) action.begin(fields, await clockNow());
  const event = action.event(fields);
  try {
    const report = await api('/events', { method: 'POST', body: [event] });
    action.done();
    return report;
  } catch (e) {
    // A network failure keeps the action: the same event goes again on the next try.
    if (!isNetwork(e)) action.done();
    throw e;
  }
}

/** Uploads one file for a task; resolves to {sha256, name, content_type, size}. */
export const uploadFile = (taskId, file) => uploadAttachment({ task: taskId }, file);

/**
 * Uploads one file to the attachments route for what `to` names (`{task}` or `{explanation}`);
 * resolves to {sha256, name, content_type, size}.
 */
export async function uploadAttachment(to, file) {
  await sessionReady();
  if (!csrfToken()) await refreshSession();
  const q = new URLSearchParams({ ...to, name: file.name });
  let res;
  try {
    res = await fetch(`/api/v1/attachments?${q}`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Accept-Language': lang, 'X-CSRF-Token': csrfToken() || '', 'content-type': 'application/octet-stream' },
      body: file,
    });
  } catch (e) {
    throw new ApiError(0, 'network', e?.message || 'network error');
  }
  let data = null;
  try { data = await res.json(); } catch { /* not JSON */ }
  if (!res.ok) {
    const err = data?.error || {};
    throw new ApiError(res.status, err.code || `http_${res.status}`, err.message || res.statusText, {
      field: err.field ?? 'file', index: err.index ?? null, reason: err.reason ?? null, params: err.params ?? null,
    });
  }
  return data;
}

/**
 * Shows a refusal in a form: next to the input the error's `field` names (its
 * `[data-error-for]` box), else in the form's `[data-error-for=""]` box. Clears the others.
 */
export function showFormError(form, e) {
  clearFormErrors(form);
  const field = (e?.field || '').replace(/\[\d+\].*$/, '');
  const box = form.querySelector(`[data-error-for="${CSS.escape(field)}"]`) || form.querySelector('[data-error-for=""]');
  if (!box) return;
  box.textContent = fieldErrorText(e, field);
  box.hidden = false;
  form.querySelector(`[name="${CSS.escape(field)}"]`)?.setAttribute('aria-invalid', 'true');
}

export function clearFormErrors(form) {
  for (const b of form.querySelectorAll('[data-error-for]')) { b.hidden = true; b.textContent = ''; }
  for (const i of form.querySelectorAll('[aria-invalid]')) i.removeAttribute('aria-invalid');
}

/**
 * A refusal in the page's language: the server's own words when it gave them in this language
 * (a `reason`), else what the page knows about the field and the kind of refusal.
 */
function fieldErrorText(e, field) {
  if (isNetwork(e)) return t('work.error.network');
  if (e?.reason || lang === 'en') return errorText(e);
  if (e?.code === 'too_large') return t('work.error.too_large');
  const known = field && t(`work.error.field.${field}`);
  if (known && known !== `work.error.field.${field}`) return known;
  return errorText(e);
}

/** The label of a need ("returned", "overdue", ...). */
export const needName = n => t(`work.need.${n}`);

/** R/A/C/I as chips in words ("Chủ trì (R)"). */
export function roleChips(roles) {
  return (roles || []).map(r => `<span class="chip role role-${esc(r)}" data-role="${esc(r)}">${esc(t(`work.role.${r}`))}</span>`).join('');
}

/** What a history entry or a submission says, as a list of labelled lines. */
export function saidLines(f, people = {}) {
  const line = (k, v) => `<div class="said-line"><span class="said-label">${esc(t(k))}</span> ${v}</div>`;
  const out = [];
  if (f.status) out.push(line('task.status', esc(statusName(f.status))));
  if (f.progress != null) out.push(line('task.progress', esc(fmt.progress(f.progress))));
  if (f.quality != null) out.push(line('task.quality', esc(fmt.int(f.quality))));
  if (f.deadline) out.push(line('task.deadline', esc(fmt.date(f.deadline))));
  const named = id => esc(people[id] || id);
  if (f.responsible) out.push(line('task.responsible', named(f.responsible)));
  if (f.accountable) out.push(line('task.accountable', named(f.accountable)));
  if (f.consulted?.length) out.push(line('task.consulted', f.consulted.map(named).join(', ')));
  if (f.informed?.length) out.push(line('task.informed', f.informed.map(named).join(', ')));
  if (f.title) out.push(line('work.said.title', esc(f.title)));
  for (const k of ['note', 'output', 'comment', 'reason']) if (f[k]) out.push(line(`work.said.${k}`, esc(f[k])));
  if (f.link) out.push(line('work.said.link', `<a href="${esc(f.link)}" rel="noopener noreferrer" target="_blank">${esc(f.link)}</a>`));
  if (f.attachments?.length) {
    out.push(line('work.said.attachments', f.attachments.map(a => `<a class="file" href="/api/v1/attachments/${esc(a.sha256)}" data-sha="${esc(a.sha256)}">${esc(a.name)}</a>`).join(' ')));
  }
  return out.join('');
}

/** A task's history, oldest first, as a list. */
export async function historyHtml(taskId) {
  const list = await api(`/tasks/${encodeURIComponent(taskId)}/history`);
  if (!list.length) return `<p class="quiet">${esc(t('work.history.none'))}</p>`;
  return `<ol class="history">${list.map(h => `<li><div class="said-head"><b>${esc(h.by)}</b> <small>${esc(fmt.dateTime(h.at))}</small></div>${saidLines(h.fields || {}, h.people || {}) || `<div class="said-line">${esc(t('work.history.created'))}</div>`}</li>`).join('')}</ol>`;
}

/** Today's date (yyyy-mm-dd) in Vietnam by the server's clock, for date inputs' defaults. */
export function todayInVietnam() {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh' }).format(serverNow());
}
