// task.js — owns the task detail (task.html?id=): GET /api/v1/tasks/{id} with its RACI people
// named (GET /api/v1/people/{id}), its unit's breadcrumb, its key result and its alert history.

import { t, fmt, onLangChange, statusName, levelName } from '/js/i18n.js';
import {
  esc, params, personHref, unitHref, renderCrumbs, markFirstRender, perf, quietly,
} from '/js/dom.js';
import { api, showError, personName, errorText } from '/js/api.js';
import { initPage } from '/js/nav.js';
import { progressBar } from '/js/charts.js';
import { historySummary } from '/js/alertview.js';
import { loadThreads, threadHtml, wireAnswers, ask, mayAsk } from '/js/explain.js';

const taskId = params.get('id');
let unitOfTask = null;
const nav = initPage({ active: null, unit: () => unitOfTask });
const $ = sel => document.querySelector(sel);

let state = null;

async function load() {
  if (!taskId) { $('#title').textContent = t('common.not_found', { what: 'id' }); return; }
  let task;
  try {
    task = await api(`/tasks/${encodeURIComponent(taskId)}`);
  } catch (e) {
    $('#title').textContent = e.status === 404 ? t('common.not_found', { what: taskId }) : errorText(e);
    $('#task-detail').innerHTML = '';
    return;
  }
  unitOfTask = task.unit;
  nav?.redraw();
  const ids = [task.responsible, task.accountable, ...(task.consulted || []), ...(task.informed || [])].filter(Boolean);
  const [people, unitView, kr, hist] = await Promise.all([
    Promise.all(ids.map(personName)).then(list => new Map(list.filter(Boolean).map(p => [p.id, p]))),
    api(`/units/${encodeURIComponent(task.unit)}/view`).catch(() => null),
    task.key_result ? api(`/key-results/${encodeURIComponent(task.key_result)}`).catch(() => null) : null,
    api(`/alerts/history?subject=${encodeURIComponent(taskId)}&limit=50`).catch(e => e),
  ]);
  state = { task, people, unitView, kr, hist };
  render();
  quietly(loadExplanations());
  markFirstRender();
  perf.fullRenders++;
}

function personLink(people, id) {
  if (!id) return '—';
  const p = people.get(id);
  return `<a href="${esc(personHref(id))}" data-id="${esc(id)}">${esc(p?.name || id)}</a>${p?.position ? ` <small>${esc(p.position)}</small>` : ''}`;
}

function render() {
  if (!state) return;
  const { task: x, people, unitView, kr, hist } = state;
  $('#title').textContent = x.title;
  document.title = `${x.title} · IOC`;
  if (unitView) renderCrumbs($('#crumbs'), [...(unitView.path || []), unitView.unit], null);
  else renderCrumbs($('#crumbs'), [{ id: x.unit, name: x.unit }], null);
  const unitName = unitView ? `${unitView.unit.name} (${levelName(unitView.unit.level)})` : x.unit;
  const row = (k, v) => `<dt>${esc(t(k))}</dt><dd>${v}</dd>`;
  $('#task-detail').innerHTML = `<dl class="kv">
    ${row('task.title', `<span class="code">${esc(x.id)}</span>`)}
    ${row('task.unit', `<a href="${esc(unitHref(x.unit))}">${esc(unitName)}</a>`)}
    ${row('task.status', `${esc(statusName(x.status))} · <span class="${x.overdue ? 'overdue-text' : 'c-green'}">${esc(t(x.overdue ? 'task.overdue' : 'task.on_track'))}</span>`)}
    ${row('task.progress', `<div class="mini-progress">${progressBar((x.progress ?? 0) / 100, null)}<span class="pct">${esc(fmt.progress(x.progress))}</span></div>`)}
    ${row('task.start', esc(fmt.date(x.start)))}
    ${row('task.deadline', `<span class="${x.overdue ? 'overdue-text' : ''}">${esc(fmt.dateTime(x.deadline))}</span>`)}
    ${row('task.submitted_at', esc(x.submitted_at ? fmt.dateTime(x.submitted_at) : '—'))}
    ${row('task.done_at', esc(x.done_at ? fmt.dateTime(x.done_at) : '—'))}
    ${row('task.quality', esc(x.quality == null ? '—' : fmt.int(x.quality)))}
    ${row('task.expected_output', esc(x.expected_output || '—'))}
    ${row('task.key_result', x.key_result ? `${esc(kr?.title || x.key_result)} <span class="code">${esc(x.key_result)}</span>` : '—')}
  </dl>`;
  const list = ids => (ids?.length ? `<span class="raci">${ids.map(id => personLink(people, id)).join('')}</span>` : '—');
  $('#task-raci [data-field="body"]').innerHTML = `<dl class="kv">
    ${row('task.responsible', personLink(people, x.responsible))}
    ${row('task.accountable', personLink(people, x.accountable))}
    ${row('task.consulted', list(x.consulted))}
    ${row('task.informed', list(x.informed))}
  </dl>`;
  const hb = $('#task-history [data-field="body"]');
  if (hist instanceof Error) showError(hb, hist);
  else if (!hist.length) hb.innerHTML = `<p class="quiet">${esc(t('alerts.h.none'))}</p>`;
  else hb.innerHTML = `<table><thead><tr><th>${esc(t('alerts.h.time'))}</th><th>${esc(t('alerts.h.kind'))}</th><th>${esc(t('alerts.h.severity'))}</th><th>${esc(t('alerts.h.summary'))}</th></tr></thead>
    <tbody>${hist.map(h => `<tr data-id="${esc(h.seq)}"><td>${esc(fmt.dateTime(h.at))}</td><td>${esc(t(`alerts.kind.${h.kind}`))}</td>
      <td><span class="chip band-${esc(h.severity)}">${esc(t(`band.${h.severity}`))}</span></td><td>${esc(historySummary(h))}</td></tr>`).join('')}</tbody></table>`;
}

onLangChange(render);

// The explanations asked about this task, with the answer form for the person to answer; a
// leader asks from the section's heading.
async function loadExplanations() {
  if (!taskId) return;
  const body = $('#task-explain [data-field="body"]');
  try {
    const list = await loadThreads({ subject_kind: 'task', subject: taskId });
    if (body.querySelector('form.xp-answer')?.contains(document.activeElement)) return;
    body.innerHTML = list.length ? list.map(x => threadHtml(x)).join('') : `<p class="quiet">${esc(t('explain.none'))}</p>`;
  } catch (e) {
    showError(body, e);
  }
  $('#explain-ask').hidden = !mayAsk() || !state;
}
wireAnswers($('#task-explain'), () => loadExplanations());
$('#explain-ask').addEventListener('click', async () => {
  const r = await ask({ subject_kind: 'task', subject: taskId, unit: state?.task.unit, words: state?.task.title });
  if (r) await loadExplanations();
});
quietly(load().catch(e => showError($('#task-detail'), e)));
