// evaluation.js — owns the evaluation of officials (evaluation.html?unit=<id>&period=2026-11
// &person=<id>): a period picker, the class counts and the excellent quota (shown, never
// applied), the people of the unit's subtree with their totals and classes or their rankings
// among peers of the same position, and a person's score explained item by item, with the
// general-criteria form for a leader over the person's unit (PUT, the server's refusal shown).

import { t, fmt, lang, onLangChange, levelName, statusName, TIME_ZONE } from '/js/i18n.js';
import {
  esc, params, unitHref, personHref, taskHref, href, quietly, markFirstRender, perf,
  renderCrumbs,
} from '/js/dom.js';
import { api, dashboardConfig, showError, errorText, unitIndex, personName } from '/js/api.js';
import { initPage } from '/js/nav.js';
import { session, sessionReady, defaultUnit } from '/js/session.js';

const CLASSES = ['excellent', 'good', 'complete', 'not_complete', 'not_evaluated'];

let unitId = params.get('unit') || params.get('id');
let period = params.get('period');
let personId = params.get('person');
let by = params.get('by') === 'position' ? 'position' : 'unit';
const nav = initPage({ active: 'evaluation', unit: () => unitId });
const $ = sel => document.querySelector(sel);
const body = id => document.querySelector(`#${id} [data-field="body"]`);

let config = null; // GET /evaluations/config
let units = new Map(); // id -> {id, name, level, parent}
let evaluation = null; // GET /evaluations/units/{id}
let rankings = null; // GET /evaluations/units/{id}/rankings?by=position
let person = null; // GET /evaluations/people/{id}: {frozen_at, score}
let formNote = null; // {error} | {saved: time} after a submit
let runningPeriod = null; // the period holding the server's clock

// ---- periods --------------------------------------------------------------------------------------

const periodKind = () => (config?.period === 'quarter' ? 'quarter' : 'month');

/** The periods of a year, of the configured kind. */
function periodsOfYear(y) {
  return periodKind() === 'quarter'
    ? [1, 2, 3, 4].map(q => `${y}-Q${q}`)
    : Array.from({ length: 12 }, (_, i) => `${y}-${String(i + 1).padStart(2, '0')}`);
}
function periodName(p) {
  let m = /^(\d{4})-(\d{2})$/.exec(p || '');
  if (m) return t('eval.month', { m: +m[2], y: m[1] });
  m = /^(\d{4})-Q(\d)$/.exec(p || '');
  if (m) return t('eval.quarter', { q: m[2], y: m[1] });
  return p || '';
}
function shiftPeriod(p, n) {
  let m = /^(\d{4})-(\d{2})$/.exec(p || '');
  if (m) {
    const i = +m[1] * 12 + (+m[2] - 1) + n;
    return `${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`;
  }
  m = /^(\d{4})-Q(\d)$/.exec(p || '');
  if (m) {
    const i = +m[1] * 4 + (+m[2] - 1) + n;
    return `${Math.floor(i / 4)}-Q${(i % 4) + 1}`;
  }
  return p;
}

/** The period (of the configured kind) holding an instant, in Asia/Ho_Chi_Minh. */
function periodOf(instant) {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE, year: 'numeric', month: '2-digit' })
    .formatToParts(new Date(instant));
  const y = parts.find(x => x.type === 'year').value;
  const m = +parts.find(x => x.type === 'month').value;
  return periodKind() === 'quarter' ? `${y}-Q${Math.ceil(m / 3)}` : `${y}-${String(m).padStart(2, '0')}`;
}

/**
 * A period still running (the one holding the server's clock) or not begun: its scores are
 * provisional ("tạm tính") and its classes are not shown in their colours until it closes.
 * Periods of one kind compare as strings ("2026-11" < "2026-12", "2026-Q3" < "2026-Q4").
 */
const isProvisional = () => !!runningPeriod && !!period && period >= runningPeriod && !evaluation?.frozen_at;

function drawPicker() {
  const sel = $('#period-pick');
  const y = +(period || '').slice(0, 4) || new Date().getFullYear();
  const options = [...periodsOfYear(y - 1).slice(-1), ...periodsOfYear(y), ...periodsOfYear(y + 1).slice(0, 1)];
  const label = p => (p === runningPeriod ? t('eval.period.running', { name: periodName(p) }) : periodName(p));
  sel.innerHTML = options.map(p => `<option value="${esc(p)}"${p === period ? ' selected' : ''}>${esc(label(p))}</option>`).join('');
}

/** Keeps the address in step with what is shown (period, person, ranking), without a reload. */
function syncUrl() {
  const url = new URL(location.href);
  const set = (k, v) => { if (v) url.searchParams.set(k, v); else url.searchParams.delete(k); };
  set('unit', unitId);
  set('period', period);
  set('person', personId);
  set('by', by === 'position' ? 'position' : null);
  history.replaceState(null, '', url);
}

// ---- the server's notes -------------------------------------------------------------------------

/**
 * The server's notes and reasons (`notes`, `items[].notes`, `not_evaluated`) were English
 * before it worded them in the request's language. Until then a Vietnamese page reads the known
 * ones in Vietnamese through this table (period labels named as the picker names them); a note
 * that matches none (already Vietnamese, or new) is shown as sent.
 */
const NOTES_VI = [
  [/^no done time recorded: counted as on time$/, () => 'Không ghi nhận thời điểm hoàn thành: tính là đúng hạn'],
  [/^no quality recorded at acceptance: counted as passed$/, () => 'Không ghi nhận chất lượng khi nghiệm thu: tính là đạt'],
  [/^(\S+) is not a (month|quarter), the period the model evaluates by$/, (p, k) => `${periodName(p)} không phải là một ${k === 'month' ? 'tháng' : 'quý'}, kỳ mà mô hình dùng để đánh giá`],
  [/^the criteria scores are not valid \((.*)\): ignored$/, () => 'Điểm tiêu chí chung đã lưu không hợp lệ nên không được tính'],
  [/^awaiting the leader's criteria scores: general points count 0$/, () => 'Lãnh đạo chưa chấm tiêu chí chung: phần điểm này đang tính 0'],
  [/^no own items: the results of (.+) carry all task points$/, u => `Không có nhiệm vụ cá nhân: kết quả của ${u} chiếm toàn bộ điểm nhiệm vụ`],
  [/^(.+) had no items in the period: own results carry all task points$/, u => `${u} không có nhiệm vụ trong kỳ: kết quả cá nhân chiếm toàn bộ điểm nhiệm vụ`],
  [/^(\d+) items against a workload norm of (\d+): own task points × \d+\/\d+$/, (n, min) => `${n} nhiệm vụ so với định mức ${min}: điểm nhiệm vụ cá nhân nhân ${n}/${min}`],
  [/^the leader's override \((.*)\) has no result to apply to in this period; the annual result carries it$/, r => `Lãnh đạo xếp Không hoàn thành (${r}) nhưng kỳ này không có kết quả để áp dụng; kết quả cả năm sẽ tính`],
  [/^forced to not complete by the leader: (.*)$/, r => `Lãnh đạo xếp Không hoàn thành nhiệm vụ: ${r}`],
  [/^no tasks due or accepted with a deadline in (\S+)$/, p => `Không có nhiệm vụ đến hạn hoặc được nghiệm thu trong ${periodName(p).toLowerCase()}`],
  [/^(\S+) of (\S+) is another person's: left out$/, p => `${periodName(p)} là của người khác: không tính`],
  [/^(\S+) is not within (\S+): left out$/, (p, y) => `${periodName(p)} không thuộc năm ${y}: không tính`],
  [/^forced to not complete by the override of (.*)$/, list => `Không hoàn thành nhiệm vụ do lãnh đạo xếp loại ở ${list.split(', ').map(periodName).join(', ')}`],
  [/^no evaluated period in (\S+)$/, y => `Không có kỳ nào được đánh giá trong năm ${y}`],
];
function noteText(n) {
  if (lang !== 'vi' || typeof n !== 'string') return n;
  for (const [re, vi] of NOTES_VI) {
    const m = re.exec(n);
    if (m) return vi(...m.slice(1));
  }
  return n;
}

// ---- drawing: the unit ------------------------------------------------------------------------------

const unitName = id => units.get(id)?.name || id;
// In a provisional period the chip says so and takes no class colour (css: .eval-provisional).
const classChip = (cls, extra = '') => `<span class="chip cls cls-${esc(cls)}" data-class="${esc(cls)}"${extra}>${esc(isProvisional()
  ? t('eval.class.provisional', { cls: t(`class.${cls}`) }) : t(`class.${cls}`))}</span>`;
const pts = x => fmt.num(x);

function marks(p) {
  const m = [];
  if (p.provisional) m.push(`<span class="mark mark-provisional" data-field="provisional" title="${esc(t('eval.provisional.title'))}">${esc(t('eval.provisional'))}</span>`);
  if (p.overridden) m.push(`<span class="mark mark-overridden" data-field="overridden" title="${esc(t('eval.overridden.title', { reason: p.overridden }))}">${esc(t('eval.overridden'))}</span>`);
  return m.join(' ');
}

function drawCounts() {
  const q = evaluation.quota;
  body('counts').innerHTML = CLASSES.map(c => `<div class="class-count cls-${esc(c)}" data-class="${esc(c)}">
    <b data-field="n">${esc(fmt.int(q.counts?.[c] ?? 0))}</b><span>${esc(t(`class.${c}`))}</span></div>`).join('');
}

function drawQuota() {
  const q = evaluation.quota;
  const n = q.counts?.excellent ?? 0;
  const line = t('eval.quota.line', { cap: fmt.int(q.cap), pct: fmt.pct(q.excellent_quota), n: fmt.int(n) })
    + (q.over_by > 0 ? t('eval.quota.over', { over: fmt.int(q.over_by) }) : t('eval.quota.within'));
  const above = (q.excellent || []).filter(l => !l.within_cap);
  body('quota').innerHTML = `<p class="quota-line${q.over_by > 0 ? ' over' : ''}" data-field="quota" data-cap="${esc(q.cap)}" data-over="${esc(q.over_by)}">${esc(line)}</p>
    ${above.length ? `<p>${esc(t('eval.quota.above'))}</p><ul class="quota-above">${above.map(l => `<li data-person="${esc(l.person)}">
      <a href="${esc(href('/evaluation.html', { unit: unitId, period, person: l.person }))}" data-select="${esc(l.person)}">${esc(l.name)}</a>
      <small>${esc(pts(l.total))} · ${esc(t('eval.col.tasks'))} ${esc(pts(l.tasks))}</small></li>`).join('')}</ul>` : ''}
    ${q.tie_at_cap ? `<p class="c-yellow">${esc(t('eval.quota.tie'))}</p>` : ''}
    <p class="quota-note" data-field="not-applied">${esc(t('eval.quota.not_applied'))}</p>`;
}

function peopleTable() {
  const list = evaluation.people || [];
  if (!list.length) return `<p class="quiet">${esc(t('eval.none'))}</p>`;
  return `<table class="eval-table"><thead><tr><th>${esc(t('unit.col.name'))}</th><th>${esc(t('unit.col.position'))}</th><th>${esc(t('unit.col.unit'))}</th>
    <th class="num">${esc(t('eval.col.total'))}</th><th class="num">${esc(t('eval.col.general'))}</th><th class="num">${esc(t('eval.col.tasks'))}</th>
    <th>${esc(t('eval.col.class'))}</th></tr></thead>
    <tbody>${list.map(p => `<tr data-person="${esc(p.person)}" class="pick${p.person === personId ? ' selected' : ''}" tabindex="0">
      <td><a href="${esc(href('/evaluation.html', { unit: unitId, period, person: p.person }))}" data-select="${esc(p.person)}">${esc(p.name)}</a></td>
      <td>${esc(p.position)}</td><td>${esc(unitName(p.unit))}</td>
      <td class="num strong" data-field="total" data-value="${esc(p.total ?? '')}">${esc(pts(p.total))}</td>
      <td class="num" data-field="general">${esc(pts(p.general))}</td>
      <td class="num" data-field="tasks">${esc(pts(p.tasks))}</td>
      <td>${classChip(p.class)} ${marks(p)}</td></tr>`).join('')}</tbody></table>`;
}

function rankingTables() {
  if (!rankings) return `<p class="quiet">${esc(t('common.loading'))}</p>`;
  if (rankings instanceof Error) return `<p class="error" data-field="error">${esc(errorText(rankings))}</p>`;
  const groups = rankings.groups || [];
  if (!groups.length) return `<p class="quiet">${esc(t('eval.none'))}</p>`;
  return groups.map(g => `<div class="rank-group" data-position="${esc(g.position ?? '')}">
    <h3>${esc(g.position || t('eval.position_none'))} <small>(${esc(fmt.int(g.lines.length))})</small></h3>
    <table class="eval-table"><thead><tr><th class="num">${esc(t('eval.col.rank'))}</th><th>${esc(t('unit.col.name'))}</th><th>${esc(t('unit.col.unit'))}</th>
      <th class="num">${esc(t('eval.col.total'))}</th><th>${esc(t('eval.col.class'))}</th></tr></thead>
    <tbody>${g.lines.map(l => `<tr data-person="${esc(l.person)}" class="pick${l.person === personId ? ' selected' : ''}" tabindex="0">
      <td class="num" data-field="rank">${l.rank == null ? '—' : esc(fmt.int(l.rank))}</td>
      <td><a href="${esc(href('/evaluation.html', { unit: unitId, period, person: l.person }))}" data-select="${esc(l.person)}">${esc(l.name)}</a></td>
      <td>${esc(unitName(l.unit))}</td>
      <td class="num strong" data-field="total">${esc(pts(l.total))}</td><td>${classChip(l.class)}</td></tr>`).join('')}</tbody></table></div>`).join('');
}

function drawPeople() {
  const n = evaluation.people?.length ?? 0;
  $('#people [data-field="count"]').textContent = `(${fmt.int(n)})`;
  for (const b of document.querySelectorAll('#people [data-by]')) b.classList.toggle('on', b.dataset.by === by);
  body('people').innerHTML = by === 'position' ? rankingTables() : peopleTable();
}

function drawUnit() {
  if (!evaluation) return;
  const u = evaluation.unit;
  $('#title').textContent = u.name;
  document.title = `${t('eval.title')}: ${u.name} · ${periodName(evaluation.period)} · IOC`;
  renderCrumbs($('#crumbs'), [{ id: u.id, name: `${u.name} (${levelName(u.level)})` }], null);
  const fz = $('#frozen');
  fz.hidden = !evaluation.frozen_at;
  fz.textContent = evaluation.frozen_at ? t('eval.frozen', { time: fmt.dateTime(evaluation.frozen_at) }) : '';
  const prov = isProvisional();
  document.body.classList.toggle('eval-provisional', prov);
  const note = $('#provisional');
  note.hidden = !prov;
  note.textContent = !prov ? '' : period === runningPeriod
    ? t('eval.running', { name: periodName(period) }) : t('eval.not_begun', { name: periodName(period) });
  $('#counts h2').textContent = prov ? t('eval.counts.provisional') : t('eval.counts');
  drawPicker();
  drawCounts();
  drawQuota();
  drawPeople();
}

// ---- drawing: a person ----------------------------------------------------------------------------------

function deductionsText(list) {
  if (!list?.length) return '—';
  return list.map(d => `<span class="deduction" data-reason="${esc(d.reason)}">${esc(t(`deduction.${d.reason}`))} −${esc(pts(d.points))}</span>`).join('<br>');
}

function itemsPart(part, titleKey, id) {
  if (!part) return '';
  const c = part.counts || {};
  const items = part.items || [];
  const table = id !== 'own' ? '' : !items.length ? `<p class="quiet">${esc(t('eval.item.none'))}</p>` : `<div class="table-wrap"><table class="items-table"><thead><tr>
    <th>${esc(t('eval.item.task'))}</th><th>${esc(t('eval.item.deadline'))}</th><th>${esc(t('eval.item.done_at'))}</th><th>${esc(t('eval.item.status'))}</th>
    <th class="num">${esc(t('eval.item.quality'))}</th><th class="num">${esc(t('eval.item.possible'))}</th><th>${esc(t('eval.item.deductions'))}</th><th class="num">${esc(t('eval.item.earned'))}</th></tr></thead>
    <tbody>${items.map(i => `<tr data-task="${esc(i.task)}">
      <td><a href="${esc(taskHref(i.task))}">${esc(i.title)}</a>${i.notes?.length ? `<br><small>${esc(i.notes.map(noteText).join(' · '))}</small>` : ''}</td>
      <td class="nowrap" data-field="deadline">${esc(fmt.date(i.deadline))}</td>
      <td class="nowrap" data-field="done_at">${esc(i.done_at ? fmt.date(i.done_at) : '—')}</td>
      <td class="status">${esc(statusName(i.status))}</td>
      <td class="num">${esc(fmt.num(i.quality))}</td>
      <td class="num" data-field="possible">${esc(pts(i.possible))}</td>
      <td data-field="deductions">${deductionsText(i.deductions)}</td>
      <td class="num strong" data-field="earned">${esc(pts(i.earned))}</td></tr>`).join('')}</tbody></table></div>`;
  return `<div class="score-part" data-part="${esc(id)}"><h3>${esc(t(titleKey))}</h3>
    <p class="part-line">${esc(t('eval.panel.part', { ratio: fmt.pct(part.ratio), share: fmt.pct(part.share), points: pts(part.points) }))}</p>
    <p class="part-line"><small>${esc(t('eval.panel.counts', {
      assigned: fmt.int(c.assigned), done: fmt.int(c.done), late: fmt.int(c.late), quality_failed: fmt.int(c.quality_failed), not_completed: fmt.int(c.not_completed),
    }))}</small></p>${table}</div>`;
}

const criterionName = c => (lang === 'en' ? c.name_en : c.name_vi) || c.id;

/**
 * The refusal of a criteria form in the page's language: the server names the wrong criterion
 * by its id inside `scores`; the reader is told which boxes hold a number outside 0..max, by
 * their names (the page knows each criterion's max), whatever language the server spoke.
 */
function criteriaErrorText(err, form) {
  const crit = (person?.score?.general?.criteria) || [];
  const out = [];
  for (const c of crit) {
    const input = form.querySelector(`input[data-criterion="${CSS.escape(c.id)}"]`);
    const raw = input?.value.trim() ?? '';
    if (raw === '') continue;
    const v = Number(raw);
    if (!Number.isFinite(v) || v < 0 || v > c.max) out.push(t('eval.form.out_of_range', { name: criterionName(c), max: fmt.num(c.max) }));
  }
  const text = errorText(err, { field: f => (f === 'scores' ? t('eval.form.field.scores') : f) });
  return out.length ? `${text} ${out.join('; ')}.` : text;
}

/**
 * May the signed-in account score this person's criteria? A leader grant at "*" or at the
 * person's unit or above, and not the person themself. The server decides; this only chooses
 * whether to offer the form.
 */
function mayScore(s) {
  const a = session()?.account;
  if (!a || a.person === s.person) return false;
  const roots = new Set((a.grants || []).map(g => (Array.isArray(g) ? { role: g[0], unit: g[1] } : g))
    .filter(g => g.role === 'leader').map(g => g.unit));
  if (roots.has('*')) return true;
  for (let u = s.unit, n = 0; u && n < 64; u = units.get(u)?.parent, n++) if (roots.has(u)) return true;
  return false;
}

function criteriaForm(s) {
  const crit = s.general?.criteria || [];
  const note = formNote?.error ? `<p class="error" id="criteria-error" data-field="error" role="alert">${esc(formNote.error)}</p>`
    : formNote?.saved ? `<p class="c-green" id="criteria-saved">${esc(t('eval.form.saved', { time: fmt.timeSec(formNote.saved) }))}</p>` : '';
  return `<form id="criteria-form" class="criteria-form" novalidate>
    <h3>${esc(t('eval.form'))}</h3>
    <div class="criteria-inputs">${crit.map(c => `<label><span>${esc(criterionName(c))} <small>(${esc(t('eval.form.max', { max: fmt.num(c.max) }))})</small></span>
      <input type="number" name="${esc(c.id)}" data-criterion="${esc(c.id)}" min="0" max="${esc(c.max)}" step="any" required value="${esc(c.points ?? '')}"></label>`).join('')}</div>
    <label><span>${esc(t('eval.form.force'))}</span><input type="text" name="force_not_complete" maxlength="500" placeholder="${esc(t('eval.form.force.placeholder'))}" value="${esc(s.overridden ?? '')}"></label>
    <label><span>${esc(t('eval.form.comment'))}</span><textarea name="comment" rows="2" maxlength="2000">${esc(s.general?.comment ?? '')}</textarea></label>
    <div class="buttons"><button type="submit" class="primary">${esc(t('eval.form.submit'))}</button></div>
    ${note}
  </form>`;
}

function drawPerson() {
  const el = body('person-panel');
  if (!personId) { el.innerHTML = `<p class="quiet">${esc(t('eval.pick_person'))}</p>`; return; }
  if (!person) { el.innerHTML = `<p class="quiet">${esc(t('common.loading'))}</p>`; return; }
  if (person instanceof Error) { showError(el, person); return; }
  const s = person.score;
  const g = s.general || {};
  const tk = s.tasks;
  const crit = g.criteria || [];
  el.innerHTML = `<div class="panel-head" data-person="${esc(s.person)}">
      <div><h2 class="panel-name"><a href="${esc(personHref(s.person))}">${esc(s.name)}</a></h2>
        <small>${esc(s.position)} · <a href="${esc(unitHref(s.unit))}">${esc(unitName(s.unit))}</a> · ${esc(periodName(s.period))}</small></div>
      <button type="button" class="small" data-action="close">${esc(t('eval.close'))}</button>
    </div>
    ${person.frozen_at ? `<p class="frozen-note" data-field="frozen">${esc(t('eval.frozen', { time: fmt.dateTime(person.frozen_at) }))}</p>` : ''}
    <div class="score-sum">
      <div class="score-total"><span class="fig-label">${esc(t('eval.panel.total'))}</span><b data-field="total" data-value="${esc(s.total ?? '')}">${esc(pts(s.total))}</b></div>
      <div>${classChip(s.class)} ${marks(s)}
        ${s.class_by_points && s.class_by_points !== s.class ? `<br><small data-field="class-by-points">${esc(t('eval.panel.class_by_points', { cls: t(`class.${s.class_by_points}`) }))}</small>` : ''}
        ${s.overridden ? `<br><small class="c-red">${esc(t('eval.overridden.title', { reason: s.overridden }))}</small>` : ''}
        ${s.not_evaluated ? `<br><small>${esc(t('eval.panel.not_evaluated', { reason: noteText(s.not_evaluated) }))}</small>` : ''}</div>
      <div class="score-parts"><span data-field="general">${esc(t('eval.panel.general', { points: pts(g.points), max: pts(g.max) }))}</span><br>
        <span data-field="tasks">${esc(t('eval.panel.tasks', { points: pts(tk?.points), max: pts(tk?.max ?? s.bands?.tasks_max) }))}</span></div>
    </div>
    ${tk?.workload ? `<p><small>${esc(t('eval.panel.workload', { items: fmt.int(tk.workload.items), min: fmt.int(tk.workload.min_items), factor: fmt.num(tk.workload.factor) }))}</small></p>` : ''}
    ${itemsPart(tk?.own, 'eval.panel.own', 'own')}
    ${itemsPart(tk?.unit, 'eval.panel.unit_part', 'unit')}
    <div class="score-part" data-part="criteria"><h3>${esc(t('eval.panel.criteria'))}</h3>
      <table class="criteria-table"><tbody>${crit.map(c => `<tr data-criterion="${esc(c.id)}"><td>${esc(criterionName(c))}</td>
        <td class="num" data-field="points">${c.points == null ? `<small>${esc(t('eval.panel.not_scored'))}</small>` : esc(pts(c.points))} / ${esc(pts(c.max))}</td></tr>`).join('')}</tbody></table>
      ${g.by ? `<p><small data-field="scored-by">${esc(t('eval.panel.scored_by', { by: '\u0000', at: g.at ? fmt.dateTime(g.at) : '—' })).replace('\u0000', `<span data-actor="${esc(g.by)}">${esc(g.by)}</span>`)}</small></p>` : ''}
      ${g.comment ? `<p><small>${esc(t('eval.panel.comment', { comment: g.comment }))}</small></p>` : ''}
    </div>
    ${s.notes?.length ? `<div class="score-part" data-part="notes"><h3>${esc(t('eval.panel.notes'))}</h3><ul class="notes">${s.notes.map(n => `<li>${esc(noteText(n))}</li>`).join('')}</ul></div>` : ''}
    ${mayScore(s) ? criteriaForm(s) : `<p class="quiet" data-field="readonly">${esc(t('eval.form.readonly'))}</p>`}`;
  el.querySelector('#criteria-form')?.addEventListener('submit', submitCriteria);
  // Who scored is recorded by id (a person, or account:<id>): show the name once known.
  for (const span of el.querySelectorAll('[data-actor]')) {
    quietly(personName(span.dataset.actor).then(p => { if (p?.name) span.textContent = p.name; }));
  }
}

function render() {
  drawUnit();
  drawPerson();
  markFirstRender();
  perf.fullRenders++;
}

// ---- loading ------------------------------------------------------------------------------------------

// Replies can come back out of order (quick clicks): each load keeps only its latest answer,
// so the panel never shows one person while the form would save another.
let unitAsk = 0;
let personAsk = 0;

async function loadUnit() {
  const ask = ++unitAsk;
  const q = period ? `?period=${encodeURIComponent(period)}` : '';
  const reply = await api(`/evaluations/units/${encodeURIComponent(unitId)}${q}`);
  if (ask !== unitAsk) return;
  evaluation = reply;
  period = evaluation.period;
  rankings = null;
  if (by === 'position') quietly(loadRankings());
}

async function loadRankings() {
  try {
    rankings = await api(`/evaluations/units/${encodeURIComponent(unitId)}/rankings?period=${encodeURIComponent(period)}&by=position`);
  } catch (e) {
    rankings = e;
  }
  if (by === 'position') drawPeople();
}

async function loadPerson() {
  const ask = ++personAsk;
  if (!personId) { person = null; drawPerson(); return; }
  person = null;
  drawPerson();
  let reply;
  try {
    reply = await api(`/evaluations/people/${encodeURIComponent(personId)}?period=${encodeURIComponent(period)}`);
  } catch (e) {
    reply = e;
  }
  if (ask !== personAsk) return;
  person = reply;
  drawPerson();
}

async function loadAll() {
  try {
    $('#eval-error').innerHTML = '';
    await loadUnit();
    syncUrl();
    drawUnit();
    markFirstRender();
    perf.fullRenders++;
  } catch (e) {
    $('#title').textContent = unitId;
    showError($('#eval-error'), e);
    body('people').innerHTML = '';
    return;
  }
  await loadPerson();
}

function select(id) {
  if (!id || id === personId) return;
  personId = id;
  formNote = null;
  syncUrl();
  for (const tr of document.querySelectorAll('#people tr[data-person]')) tr.classList.toggle('selected', tr.dataset.person === id);
  quietly(loadPerson());
}

async function submitCriteria(e) {
  e.preventDefault();
  const form = e.currentTarget;
  const button = form.querySelector('button[type="submit"]');
  const scores = {};
  for (const input of form.querySelectorAll('input[data-criterion]')) {
    // Sent as typed; an empty box is left out. The server checks and names what is wrong.
    if (input.value.trim() !== '') scores[input.dataset.criterion] = Number(input.value);
  }
  const force = form.elements.force_not_complete.value.trim();
  const comment = form.elements.comment.value.trim();
  button.disabled = true;
  button.textContent = t('eval.form.busy');
  const id = personId;
  try {
    const out = await api(`/evaluations/people/${encodeURIComponent(id)}/criteria?period=${encodeURIComponent(period)}`, {
      method: 'PUT',
      body: { scores, force_not_complete: force || null, comment: comment || null },
    });
    if (id !== personId) return;
    person = out;
    formNote = { saved: Date.now() };
    // The table, the counts and the quota follow the new score.
    await loadUnit();
    drawUnit();
    drawPerson();
  } catch (err) {
    if (id !== personId) return;
    formNote = { error: criteriaErrorText(err, form) };
    // Keep what the reader typed: redraw only the message.
    button.disabled = false;
    button.textContent = t('eval.form.submit');
    form.querySelector('#criteria-error, #criteria-saved')?.remove();
    form.insertAdjacentHTML('beforeend', `<p class="error" id="criteria-error" data-field="error" role="alert">${esc(formNote.error)}</p>`);
  }
}

// ---- events ---------------------------------------------------------------------------------------------

function go(p) {
  if (!p || p === period) return;
  period = p;
  formNote = null;
  quietly(loadAll());
}
$('#prev').addEventListener('click', () => go(shiftPeriod(period, -1)));
$('#next').addEventListener('click', () => go(shiftPeriod(period, 1)));
$('#period-pick').addEventListener('change', e => go(e.target.value));

document.querySelector('#people .seg').addEventListener('click', e => {
  const b = e.target.closest('[data-by]');
  if (!b || b.dataset.by === by) return;
  by = b.dataset.by;
  syncUrl();
  drawPeople();
  if (by === 'position' && !rankings) quietly(loadRankings());
});

const pick = e => {
  const a = e.target.closest('[data-select]');
  const tr = e.target.closest('tr[data-person]');
  const id = a?.dataset.select || tr?.dataset.person;
  if (!id) return;
  // Plain clicks stay on the page; a middle or modified click opens the link as usual.
  if (a && (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey)) return;
  e.preventDefault();
  select(id);
};
$('#people').addEventListener('click', pick);
$('#quota').addEventListener('click', e => { if (e.target.closest('[data-select]')) pick(e); });
$('#people').addEventListener('keydown', e => { if (e.key === 'Enter' && e.target.matches('tr[data-person]')) pick(e); });
$('#person-panel').addEventListener('click', e => {
  if (!e.target.closest('[data-action="close"]')) return;
  personId = null;
  person = null;
  syncUrl();
  for (const tr of document.querySelectorAll('#people tr.selected')) tr.classList.remove('selected');
  drawPerson();
});

onLangChange(() => { if (evaluation) render(); });

async function main() {
  await sessionReady();
  if (!unitId) {
    unitId = await defaultUnit((await dashboardConfig()).root_unit);
  }
  nav?.redraw();
  let clock;
  [config, units, clock] = await Promise.all([
    api('/evaluations/config').catch(() => null), unitIndex(), api('/clock').catch(() => null),
  ]);
  // The server's clock (a demo or a test runs on its own): the period holding it is running.
  runningPeriod = periodOf(Date.parse(clock?.now) || Date.now());
  // Without ?period= the page opens on the last finished period, not the running one (six days
  // into a month nearly everyone would read "not complete" on a provisional score).
  period ??= shiftPeriod(runningPeriod, -1);
  await loadAll();
}
quietly(main());
