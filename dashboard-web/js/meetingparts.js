// meetingparts.js — owns how a review meeting (giao ban) reads wherever it shows (the review
// page, the meeting page, the wall): agenda sections and states in words, a conclusion with its
// action, who answers for it, its status as a chip with a word (never a colour alone) and its
// corrections; the people pickers of the meeting forms (GET /api/v1/me/people?q=); a refusal
// shown next to the field it names; client ids for writes.

import { t, fmt, periodLabel, actorName } from '/js/i18n.js';
import { esc, href, throttle, quietly } from '/js/dom.js';
import { api, errorText, isNetwork } from '/js/api.js';
import { session } from '/js/session.js';

/** Agenda sections in the order the server generates them. */
export const SECTIONS = ['follow_up', 'turned_red', 'key_result', 'overdue', 'explanation', 'other'];
export const ACTIONS = ['task', 'adjust', 'explain', 'silence'];
const STATUS_BAND = { done: 'green', late: 'red', open: 'yellow', cancelled: 'no_data' };

export const sectionName = s => t(`meeting.section.${s}`);
export const actionName = a => t(`meeting.action.${a}`);
export const meetingHref = id => href('/meeting.html', { id });
export const wallMeetingHref = id => href('/wall.html', { meeting: id });

/** Whether the account leads somewhere (or administers): it may open a meeting; the server decides. */
export function isLeader() {
  const grants = session()?.account?.grants || [];
  return grants.some(g => ['leader', 'admin'].includes(Array.isArray(g) ? g[0] : g?.role));
}

/** A fresh client id for one write: `kl-` and 16 hex digits (getRandomValues works over plain http too). */
export function clientId(prefix = 'kl') {
  const b = new Uint8Array(8);
  crypto.getRandomValues(b);
  return `${prefix}-${[...b].map(x => x.toString(16).padStart(2, '0')).join('')}`;
}

/** A date `days` after today in Vietnam, as yyyy-mm-dd (date inputs' defaults). */
export function dayAfter(days) {
  return new Date(Date.now() + 7 * 3600_000 + days * 86_400_000).toISOString().slice(0, 10);
}

/** A number as typed in Vietnamese ("92,5") or English ("92.5"); NaN when it is not one. */
export function parseNumber(s) {
  const x = String(s ?? '').trim().replace(/\s/g, '');
  if (!x) return NaN;
  const dotted = /^-?\d+(,\d+)?$/.test(x) ? x.replace(',', '.') : x;
  return /^-?\d+(\.\d+)?$/.test(dotted) ? Number(dotted) : NaN;
}

/** A conclusion's (or an agenda item's) status as a coloured chip with its word. */
export function statusChip(status) {
  if (!status || !(status in STATUS_BAND)) return '';
  return `<span class="chip mt-status band-${STATUS_BAND[status] || 'no_data'}" data-status="${esc(status)}">${esc(t(`meeting.status.${status}`))}</span>`;
}

/** A meeting's state as a badge: "Đang họp" / "Đã kết thúc". */
export function stateBadge(state) {
  return `<span class="badge mt-state state-${state === 'closed' ? 'closed' : 'active'}" data-field="state" data-state="${esc(state)}">${esc(t(`meeting.state.${state === 'closed' ? 'closed' : 'open'}`))}</span>`;
}

/** What the conclusion sets in motion, in words: "Giao việc: …", "Điều chỉnh chỉ tiêu: từ 95 thành 90 (Năm 2026)". */
export function actionWords(c) {
  const head = actionName(c.action);
  if (c.action === 'task' && c.task) return `${head}: ${c.task.title}`;
  if (c.action === 'adjust' && c.adjust) {
    const a = c.adjust;
    const change = a.from == null ? t('meeting.adjust.to', { to: fmt.num(a.to) }) : t('meeting.adjust.from_to', { from: fmt.num(a.from), to: fmt.num(a.to) });
    return `${head}: ${change}${a.period ? ` (${periodLabel(a.period)})` : ''}`;
  }
  if (c.action === 'explain' && c.explanation) return `${head}: ${t(`meeting.explain.${c.explanation.state}`)}`;
  if (c.action === 'silence' && c.reason) return `${head}: ${c.reason}`;
  return head;
}

/** Who answers for it and by when: the task's responsible person, the explanation's addressee. */
export function ownerWords(c) {
  if (c.action === 'task' && c.task) {
    return t('meeting.who.task', { name: c.task.responsible?.name || '—', date: fmt.date(c.task.deadline) });
  }
  if (c.action === 'explain' && c.explanation) {
    return t('meeting.who.explain', { name: c.explanation.addressee?.name || '—', date: fmt.date(c.explanation.due_at) });
  }
  return '';
}

/** The corrections of a conclusion, oldest first: when, by whom, why, and what it said before. */
export function correctionsHtml(list) {
  if (!list?.length) return '';
  return `<div class="mt-corrections" data-field="corrections"><span class="mt-corr-head">${esc(t('meeting.corrections', { n: fmt.int(list.length) }))}</span>
    <ol>${list.map(x => `<li data-field="correction"><small>${esc(t('meeting.correction.line', { time: fmt.dateTime(x.at), by: actorName(x.by), reason: x.reason }))}</small>
      <div class="mt-was">${esc(t('meeting.correction.was', { text: x.old_text }))}</div></li>`).join('')}</ol></div>`;
}

/**
 * One conclusion as a list item: its text, the action in words, who answers by when, the status
 * chip; its corrections with `history`; "Đính chính" with `correctable`.
 */
export function conclusionHtml(c, { history = true, correctable = false, time = true } = {}) {
  const owner = ownerWords(c);
  const corrected = c.corrections?.length ? ` <small class="mt-corrected">(${esc(t('meeting.corrected'))})</small>` : '';
  return `<li class="conclusion" data-conclusion="${esc(c.id)}" data-action-kind="${esc(c.action)}">
    <div class="mt-c-head">${statusChip(c.status)}<span class="mt-c-text" data-field="text">${esc(c.text)}</span>${corrected}</div>
    <div class="mt-c-action" data-field="action">${esc(actionWords(c))}</div>
    ${owner ? `<div class="mt-c-owner" data-field="owner">${esc(owner)}</div>` : ''}
    ${time && c.made_at ? `<small class="mt-c-time">${esc(t('meeting.made_at', { time: fmt.dateTime(c.made_at) }))}</small>` : ''}
    ${history ? correctionsHtml(c.corrections) : ''}
    ${correctable ? `<button type="button" class="correct-conclusion" data-conclusion="${esc(c.id)}">${esc(t('meeting.correct'))}</button>` : ''}
  </li>`;
}

// ---- refusals next to their field ----------------------------------------------------------------

/** The field's words for an error sentence ("task.responsible" → "người chủ trì"), or null. */
function fieldWords(f) {
  const last = String(f).split('.').pop().replace(/\[\d+\]$/, '');
  const key = `meeting.field.${last}`;
  const s = t(key);
  return s === key ? null : s;
}

export function clearErrors(form) {
  for (const b of form.querySelectorAll('[data-error-for]')) { b.hidden = true; b.textContent = ''; }
  for (const i of form.querySelectorAll('[aria-invalid]')) i.removeAttribute('aria-invalid');
}

/**
 * Shows a refusal (or a local check's `{field, text}`) in the `[data-error-for]` box of the field
 * it names ("task.deadline" finds "deadline"), else in the form's `[data-error-for=""]` box.
 */
export function showFieldError(form, e, { scroll = true } = {}) {
  clearErrors(form);
  const field = String(e?.field || '').replace(/\[\d+\]$/, '');
  const last = field.split('.').pop();
  const own = (field && form.querySelector(`[data-error-for="${CSS.escape(field)}"]`))
    || (last && form.querySelector(`[data-error-for="${CSS.escape(last)}"]`));
  const box = own || form.querySelector('[data-error-for=""]');
  if (!box) return;
  // Next to its field the words need not name it; in the form's box they do.
  box.textContent = e?.text || (isNetwork(e) ? t('work.error.network') : errorText(e, { field: own ? () => null : fieldWords }));
  box.hidden = false;
  if (scroll) box.scrollIntoView?.({ block: 'nearest' });
  if (last) form.querySelector(`[name="${CSS.escape(last)}"]`)?.setAttribute('aria-invalid', 'true');
}

/** A local check failed: its words next to the field. Returns false (for `return localError(…)`). */
export function localError(form, field, key) {
  showFieldError(form, { field, text: t(key) });
  return false;
}

// ---- people pickers ------------------------------------------------------------------------------

const found = new Map(); // query -> promise of [{id, name, position, unit}]
/** The people the account may name (GET /me/people?q=), cached per query for the page's life. */
export function findPeople(q = '') {
  const k = q.trim();
  if (!found.has(k)) {
    const p = api(`/me/people?q=${encodeURIComponent(k)}`);
    found.set(k, p);
    p.catch(() => found.delete(k));
  }
  return found.get(k);
}

const personLine = p => [p.position, p.unit?.name].filter(Boolean).join(' · ');

/**
 * One person to choose: a `<select name>` of candidates with a search box above it that asks
 * the server again (the choice is kept). `optional` puts an empty choice first.
 */
export function selectPickerHtml(name, label, { optional = null } = {}) {
  return `<div class="pick-one" data-pick="${esc(name)}">
    <label>${esc(label)}<select name="${esc(name)}" data-people="${esc(name)}" data-optional="${optional ? esc(optional) : ''}">
      <option value="">${esc(optional || t('meeting.choose'))}</option></select></label>
    <input type="search" class="pick-filter" data-filter="${esc(name)}" autocomplete="off" placeholder="${esc(t('work.assign.search'))}" aria-label="${esc(t('work.assign.search_for', { role: label }))}">
    <p class="field-error" data-error-for="${esc(name)}" role="alert" hidden></p>
  </div>`;
}

/** Several people: chips of the picked ones, a search box and its results (as on assign.html). */
export function multiPickerHtml(role, label) {
  return `<div class="picker" data-role="${esc(role)}">
    <span class="picker-label">${esc(label)}</span>
    <div class="picked" data-field="picked-${esc(role)}"></div>
    <input type="search" class="picker-search" data-search="${esc(role)}" autocomplete="off" placeholder="${esc(t('work.assign.search'))}" aria-label="${esc(t('work.assign.search_for', { role: label }))}">
    <ul class="picker-results" data-results="${esc(role)}"></ul>
    <p class="field-error" data-error-for="${esc(role)}" role="alert" hidden></p>
  </div>`;
}

function fillSelect(select, people, keep) {
  const optional = select.dataset.optional;
  // Once the reader chose (even "nobody"), their choice stands over the one made beforehand.
  const chosen = select.value || (select.dataset.touched ? '' : keep?.id || '');
  const list = [...people];
  if (chosen && !list.some(p => p.id === chosen)) {
    const known = select.querySelector(`option[value="${CSS.escape(chosen)}"]`);
    list.unshift(keep?.id === chosen ? keep : { id: chosen, name: known?.dataset.name || chosen, position: known?.dataset.position || '' });
  }
  select.innerHTML = `<option value="">${esc(optional || t('meeting.choose'))}</option>`
    + list.map(p => `<option value="${esc(p.id)}" data-name="${esc(p.name)}" data-position="${esc(p.position || '')}"${p.id === chosen ? ' selected' : ''}>${esc(p.name)}${personLine(p) ? ` — ${esc(personLine(p))}` : ''}</option>`).join('');
}

/**
 * Wires the pickers inside `form`: each select gets the first candidates (and `initial[name]`,
 * a {id, name} chosen beforehand), its search box refills it; the chip pickers add to and remove
 * from `picked[role]` (ids), their names kept in `names`. Errors of the lookup show in the
 * field's error box.
 */
export function wirePeople(form, { picked, names, initial = {} }) {
  for (const select of form.querySelectorAll('select[data-people]')) {
    const keep = initial[select.name] || null;
    if (keep) fillSelect(select, [], keep);
    const refill = async q => {
      try {
        fillSelect(select, await findPeople(q), keep);
      } catch (e) {
        showFieldError(form, Object.assign(e, { field: select.name }), { scroll: false });
      }
    };
    select.addEventListener('change', () => { select.dataset.touched = '1'; });
    quietly(refill(''));
    const box = form.querySelector(`[data-filter="${CSS.escape(select.name)}"]`);
    box?.addEventListener('input', throttle(() => refill(box.value), 300));
  }
  const redraw = role => {
    const el = form.querySelector(`[data-field="picked-${CSS.escape(role)}"]`);
    if (el) el.innerHTML = picked[role].map(id => `<span class="chip person-chip" data-id="${esc(id)}">${esc(names.get(id) || id)}<button type="button" class="chip-x" data-remove="${esc(role)}" data-id="${esc(id)}" aria-label="${esc(t('work.assign.remove', { name: names.get(id) || id }))}">×</button></span>`).join('');
  };
  for (const role of Object.keys(picked)) redraw(role);
  const searches = new Map(); // role -> its throttled search
  form.addEventListener('click', e => {
    const rm = e.target.closest('[data-remove]');
    if (rm && form.contains(rm)) {
      picked[rm.dataset.remove] = picked[rm.dataset.remove].filter(id => id !== rm.dataset.id);
      redraw(rm.dataset.remove);
      return;
    }
    const add = e.target.closest('[data-add]');
    if (add && form.contains(add)) {
      const role = add.dataset.add;
      names.set(add.dataset.id, add.dataset.name);
      picked[role] = [...new Set([...picked[role], add.dataset.id])];
      redraw(role);
      const input = form.querySelector(`[data-search="${CSS.escape(role)}"]`);
      input.value = '';
      input.focus();
      // The others stay listed: a meeting has several attendees to add one after another.
      searches.get(role)?.();
    }
  });
  for (const input of form.querySelectorAll('[data-search]')) {
    const role = input.dataset.search;
    const list = form.querySelector(`[data-results="${CSS.escape(role)}"]`);
    const search = throttle(async () => {
      try {
        const people = (await findPeople(input.value)).filter(p => !picked[role].includes(p.id));
        list.innerHTML = people.length
          ? people.map(p => `<li><button type="button" data-add="${esc(role)}" data-id="${esc(p.id)}" data-name="${esc(p.name)}"><b>${esc(p.name)}</b> <small>${esc(personLine(p))}</small></button></li>`).join('')
          : `<li class="quiet">${esc(t('work.assign.nobody'))}</li>`;
      } catch (e) {
        showFieldError(form, Object.assign(e, { field: role }), { scroll: false });
      }
    }, 300);
    searches.set(role, search);
    input.addEventListener('input', search);
    input.addEventListener('focus', search);
  }
}
