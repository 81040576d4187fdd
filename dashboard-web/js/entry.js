// entry.js — owns the data-entry page (entry.html): the KPI series the signed-in person
// enters (GET /api/v1/me/kpi-entry), late ones first, each with its due date, the value
// already entered, the target and the thresholds; a value shows its colour (green, yellow,
// red) while it is typed, before it is saved; an earlier period can be corrected (shown as a
// correction). And key-result check-ins (value, confidence, comment). Every save is an event
// (POST /api/v1/events) whose id is made once per action and reused on a retry, so a save
// whose answer was lost is not a second change.

import { t, fmt, periodLabel, bandName, onLangChange } from '/js/i18n.js';
import { esc, quietly, markFirstRender } from '/js/dom.js';
import { api, errorText, showError, isNetwork } from '/js/api.js';
import { initPage } from '/js/nav.js';
import { loadThreads, threadsHtml, wireAnswers } from '/js/explain.js';

initPage({ active: 'entry' });
const $ = sel => document.querySelector(sel);

let data = null; // GET /me/kpi-entry
// Pending saves by form key: the event id made for the action, kept until the server answers
// with success or a refusal, so a retry after a lost answer sends the same id.
const pending = new Map();

/** A random event id: crypto.randomUUID where the page is a secure context, else the same shape. */
function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map(x => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A value's colour under a KPI's thresholds, as the server computes it. */
export function statusOf(th, v) {
  if (th.direction === 'higher_is_better') return v >= th.green ? 'green' : v < th.red ? 'red' : 'yellow';
  if (th.direction === 'lower_is_better') return v <= th.green ? 'green' : v > th.red ? 'red' : 'yellow';
  if (v >= th.green_low && v <= th.green_high) return 'green';
  return v < th.red_low || v > th.red_high ? 'red' : 'yellow';
}

/** The thresholds in words: "Xanh ≥ 90 · Đỏ < 70". */
function thresholdText(th, uom) {
  const n = x => `${fmt.num(x)}${uom ? ` ${uom}` : ''}`;
  if (th.direction === 'higher_is_better') return t('entry.th.higher', { green: n(th.green), red: n(th.red) });
  if (th.direction === 'lower_is_better') return t('entry.th.lower', { green: n(th.green), red: n(th.red) });
  return t('entry.th.band', { gl: n(th.green_low), gh: n(th.green_high), rl: n(th.red_low), rh: n(th.red_high) });
}

/** A number as typed in Vietnamese ("92,5") or English ("92.5"); NaN when it is not one. */
function parseNumber(s) {
  const x = String(s ?? '').trim().replace(/\s/g, '');
  if (!x) return NaN;
  const dotted = /^-?\d+(,\d+)?$/.test(x) ? x.replace(',', '.') : x;
  return /^-?\d+(\.\d+)?$/.test(dotted) ? Number(dotted) : NaN;
}

const key = s => `${s.kpi}@${s.unit}`;

function seriesCard(s) {
  const cur = s.periods[0];
  const latePeriod = s.periods.find(p => p.late && !p.closed);
  const state = s.state === 'late' ? `<span class="badge state-late" data-field="state">${esc(t('entry.state.late', { period: periodLabel(latePeriod?.period) }))}</span>`
    : s.state === 'due' ? `<span class="badge state-due" data-field="state">${esc(t('entry.state.due', { due: fmt.date(cur.due) }))}</span>`
      : `<span class="badge state-done" data-field="state">${esc(t('entry.state.done'))}</span>`;
  const last = s.last
    ? `<span class="band-text band-${esc(s.last.status)}" data-field="last">${esc(t('entry.last', { value: fmt.num(s.last.value), uom: s.unit_of_measure, period: periodLabel(s.last.period), band: bandName(s.last.status) }))}</span>`
    : `<span class="quiet" data-field="last">${esc(t('entry.last.none'))}</span>`;
  const options = s.periods.map((p, i) => {
    const words = [periodLabel(p.period)];
    if (p.value) words.push(t('entry.period.has', { value: fmt.num(p.value.value) }));
    else if (p.late) words.push(t('entry.period.late'));
    if (p.closed) words.push(t('entry.period.closed'));
    return `<option value="${esc(p.period)}"${i === 0 ? ' selected' : ''}>${esc(words.join(' · '))}</option>`;
  }).join('');
  return `<li class="entry-card" data-series="${esc(key(s))}" data-kpi="${esc(s.kpi)}" data-unit="${esc(s.unit)}" data-state="${esc(s.state)}">
    <div class="entry-head">
      <div><b data-field="kpi-name">${esc(s.kpi_name)}</b><small class="entry-unit" data-field="unit-name">${esc(s.unit_name)}</small></div>
      ${state}
    </div>
    <p class="entry-facts">${last}
      <span data-field="thresholds">${esc(thresholdText(s.thresholds, s.unit_of_measure))}</span>
      <span data-field="target">${esc(cur.target != null ? t('entry.target', { value: fmt.num(cur.target), uom: s.unit_of_measure }) : t('entry.target.none'))}</span></p>
    <form class="entry-form" novalidate>
      <label><span>${esc(t('entry.period'))}</span><select name="period" data-field="period">${options}</select></label>
      <label><span>${esc(t('entry.value', { uom: s.unit_of_measure }))}</span>
        <input name="value" data-field="value" inputmode="decimal" autocomplete="off" required>
        <small class="entry-band" data-field="band" aria-live="polite"></small></label>
      <label><span>${esc(t('entry.source'))}</span><input name="source" data-field="source" maxlength="200" value="${esc(s.data_source)}"></label>
      <label class="wide"><span>${esc(t('entry.comment'))}</span><textarea name="comment" data-field="comment" rows="2" maxlength="2000"></textarea></label>
      <p class="entry-correction quiet" data-field="correction" hidden></p>
      <p class="error" data-field="error" hidden></p>
      <div class="buttons"><span class="entry-saved" data-field="saved" aria-live="polite"></span><button type="submit" class="primary" data-action="save">${esc(t('entry.save'))}</button></div>
    </form>
    <div class="entry-explain" data-field="explain">${threadsHtml(explainedOf(s))}</div>
  </li>`;
}

// Explanations asked about the series on this page (the reader's scope), by KPI and unit: each
// card shows its threads and, for the person to answer, the answer form.
let explained = [];
const explainedOf = s => explained.filter(x => x.subject === s.kpi && x.unit?.id === s.unit);

async function loadExplanations() {
  explained = await loadThreads({ subject_kind: 'kpi', limit: '500' });
  if (!data) return;
  for (const li of document.querySelectorAll('#kpi-list li[data-series]')) {
    const box = li.querySelector('[data-field="explain"]');
    if (box.contains(document.activeElement)) continue;
    const s = data.series.find(x => key(x) === li.dataset.series);
    if (s) box.innerHTML = threadsHtml(explainedOf(s));
  }
}

function krCard(k) {
  return `<li class="entry-card" data-kr="${esc(k.id)}">
    <div class="entry-head">
      <div><b data-field="kr-title">${esc(k.title)}</b><small class="entry-unit">${esc(k.objective_title)} · ${esc(k.unit_name)} · ${esc(periodLabel(k.period))}</small></div>
    </div>
    <p class="entry-facts"><span data-field="current">${esc(t('entry.kr.current', { value: fmt.num(k.current), start: fmt.num(k.start), target: fmt.num(k.target), uom: k.unit_of_measure }))}</span>
      <span>${esc(k.confidence != null ? t('entry.kr.confidence.now', { n: k.confidence }) : t('entry.kr.confidence.none'))}</span></p>
    <form class="entry-form" novalidate>
      <label><span>${esc(t('entry.value', { uom: k.unit_of_measure }))}</span><input name="value" data-field="value" inputmode="decimal" autocomplete="off" required></label>
      <label><span>${esc(t('entry.kr.confidence'))}</span><select name="confidence" data-field="confidence">
        <option value="">${esc(t('entry.kr.confidence.skip'))}</option>
        ${Array.from({ length: 11 }, (_, i) => `<option value="${i}">${i}</option>`).join('')}</select></label>
      <label class="wide"><span>${esc(t('entry.comment'))}</span><textarea name="comment" data-field="comment" rows="2" maxlength="2000"></textarea></label>
      <p class="error" data-field="error" hidden></p>
      <div class="buttons"><span class="entry-saved" data-field="saved" aria-live="polite"></span><button type="submit" class="primary" data-action="save">${esc(t('entry.kr.save'))}</button></div>
    </form>
  </li>`;
}

function render() {
  if (!data) return;
  const list = $('#kpi-list');
  list.innerHTML = data.series.map(seriesCard).join('');
  const late = data.series.filter(s => s.state === 'late').length;
  const due = data.series.filter(s => s.state === 'due').length;
  const counts = [t('entry.count', { n: data.series.length })];
  if (late) counts.push(t('entry.count.late', { n: late }));
  if (due) counts.push(t('entry.count.due', { n: due }));
  $('#kpi-count').textContent = data.series.length ? counts.join(' · ') : '';
  $('#kpi-empty').removeAttribute('data-i18n');
  $('#kpi-empty').hidden = data.series.length > 0;
  $('#kpi-empty').textContent = t('entry.kpis.none');
  $('#kr-list').innerHTML = data.key_results.map(krCard).join('');
  $('#kr-count').textContent = data.key_results.length ? t('entry.kr.count', { n: data.key_results.length }) : '';
  $('#kr-empty').hidden = data.key_results.length > 0;
  $('#kr-empty').textContent = t('entry.krs.none');
  for (const li of list.querySelectorAll('li[data-series]')) wireSeries(li);
  for (const li of $('#kr-list').querySelectorAll('li[data-kr]')) wireKr(li);
  markFirstRender();
}

function showFieldError(form, e) {
  const box = form.querySelector('[data-field="error"]');
  box.hidden = false;
  // No answer: the value may be saved; saving again sends the same event, so it is safe.
  box.textContent = isNetwork(e) ? t('entry.no_answer') : errorText(e, { field: f => t(`entry.field.${f}`) });
  // The reason goes next to the field it names.
  const field = e?.field && form.querySelector(`[name="${CSS.escape(e.field)}"]`);
  for (const el of form.querySelectorAll('.invalid')) el.classList.remove('invalid');
  if (field) {
    field.classList.add('invalid');
    field.closest('label')?.after(box);
    field.focus();
  }
}

function clearError(form) {
  const box = form.querySelector('[data-field="error"]');
  box.hidden = true;
  box.textContent = '';
  for (const el of form.querySelectorAll('.invalid')) el.classList.remove('invalid');
}

function wireSeries(li) {
  const s = data.series.find(x => key(x) === li.dataset.series);
  const form = li.querySelector('form');
  const input = form.elements.value;
  const band = form.querySelector('[data-field="band"]');
  const periodSel = form.elements.period;
  const correction = form.querySelector('[data-field="correction"]');
  const showBand = () => {
    const v = parseNumber(input.value);
    input.classList.remove('band-green', 'band-yellow', 'band-red');
    if (Number.isNaN(v)) { band.textContent = input.value.trim() ? t('entry.not_number') : ''; band.className = 'entry-band'; return; }
    const st = statusOf(s.thresholds, v);
    input.classList.add(`band-${st}`);
    band.className = `entry-band band-text band-${st}`;
    band.dataset.band = st;
    band.textContent = t(`entry.band.${st}`);
  };
  const showCorrection = () => {
    const p = s.periods.find(x => x.period === periodSel.value);
    correction.hidden = !p?.value;
    if (p?.value) correction.textContent = t('entry.correction', { value: fmt.num(p.value.value), at: fmt.dateTime(p.value.at) });
  };
  input.addEventListener('input', () => { showBand(); clearError(form); pending.delete(li.dataset.series); });
  periodSel.addEventListener('change', () => { showCorrection(); pending.delete(li.dataset.series); });
  showCorrection();
  form.addEventListener('submit', e => {
    e.preventDefault();
    const v = parseNumber(input.value);
    if (Number.isNaN(v)) { showFieldError(form, { code: 'invalid', field: 'value', message: t('entry.not_number') }); return; }
    const event = {
      type: 'kpi_observation',
      kpi: s.kpi,
      unit: s.unit,
      period: periodSel.value,
      value: v,
      source: form.elements.source.value.trim() || undefined,
      comment: form.elements.comment.value.trim() || undefined,
    };
    save(li.dataset.series, form, event);
  });
}

function wireKr(li) {
  const form = li.querySelector('form');
  form.elements.value.addEventListener('input', () => { clearError(form); pending.delete(`kr:${li.dataset.kr}`); });
  form.addEventListener('submit', e => {
    e.preventDefault();
    const v = parseNumber(form.elements.value.value);
    if (Number.isNaN(v)) { showFieldError(form, { code: 'invalid', field: 'value', message: t('entry.not_number') }); return; }
    const c = form.elements.confidence.value;
    save(`kr:${li.dataset.kr}`, form, {
      type: 'kr_checkin',
      key_result: li.dataset.kr,
      value: v,
      confidence: c === '' ? undefined : Number(c),
      comment: form.elements.comment.value.trim() || undefined,
    });
  });
}

/**
 * Sends one event. Its id and time are made on the first try of this action and reused while
 * the answer is unknown (a network failure), so a retry is a duplicate, never a second value.
 */
async function save(formKey, form, event) {
  const button = form.querySelector('[data-action="save"]');
  const saved = form.querySelector('[data-field="saved"]');
  const body = JSON.stringify(event);
  let p = pending.get(formKey);
  if (!p || p.body !== body) {
    p = { body, id: newId(), at: new Date().toISOString() };
    pending.set(formKey, p);
  }
  button.disabled = true;
  button.textContent = t('entry.saving');
  clearError(form);
  try {
    await api('/events', { method: 'POST', body: [{ ...event, id: p.id, at: p.at }] });
    pending.delete(formKey);
    saved.textContent = t('entry.saved', { time: fmt.time(new Date()) });
    await load();
    const again = document.querySelector(`li[data-series="${CSS.escape(formKey)}"], li[data-kr="${CSS.escape(formKey.replace(/^kr:/, ''))}"]`);
    again?.querySelector('[data-field="saved"]')?.replaceChildren(t('entry.saved', { time: fmt.time(new Date()) }));
  } catch (e) {
    // A refusal is final for this content: the next try is a new action with a new id.
    if (e?.code !== 'network' && e?.status !== 503) pending.delete(formKey);
    showFieldError(form, e);
  } finally {
    button.disabled = false;
    button.textContent = t(formKey.startsWith('kr:') ? 'entry.kr.save' : 'entry.save');
  }
}

async function load() {
  try {
    data = await api('/me/kpi-entry');
    render();
  } catch (e) {
    showError($('#kpi-empty'), e);
    $('#kpi-empty').hidden = false;
  }
}

onLangChange(render);
quietly(load().then(loadExplanations));
wireAnswers($('#kpi-list'), () => loadExplanations());
