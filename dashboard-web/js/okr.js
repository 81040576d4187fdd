// okr.js — owns the alignment tree (okr.html?objective=<id> or okr.html?unit=<id>): with an
// objective, the chain it contributes to (up) and the objectives aligned below it (down), each
// with its own and its rolled-up progress against the expected pace, weight, owner, period and
// the period's state, and its key results, each opening its check-in history; with a unit, the
// unit's objectives, each expanding into its tree. REST only (GET /units/{id}/okrs,
// /objectives/{id}/tree, /key-results/{id}/check-ins); the reload button fetches again.

import { t, fmt, onLangChange, levelName } from '/js/i18n.js';
import {
  esc, params, unitHref, personHref, objectiveHref, href, quietly, markFirstRender, perf,
  renderCrumbs,
} from '/js/dom.js';
import { api, dashboardConfig, showError, errorText, personName } from '/js/api.js';
import { initPage } from '/js/nav.js';
import { progressBar } from '/js/charts.js';
import { defaultUnit } from '/js/session.js';

const TREE_DEPTH = 6;
const objectiveId = params.get('objective');
let unitId = params.get('unit');
const nav = initPage({ active: 'okr', unit: () => unitId });
const $ = sel => document.querySelector(sel);

/** What is on screen, kept so a language switch redraws without asking again. */
let current = null; // {mode: 'objective', tree} | {mode: 'unit', list}
const trees = new Map(); // objective id -> AlignmentTree (unit mode, expanded ones)
const openObjectives = new Set(); // unit mode: the objectives expanded
const checkins = new Map(); // key result id -> CheckinHistory (or an Error)
const openCheckins = new Set();

// ---- drawing ----------------------------------------------------------------------------------------

/** A 0..1 figure as a percentage, "—" when there is none (outside scope, no data). */
const pctOrDash = v => (typeof v === 'number' ? fmt.pct(v) : '—');

function stateBadge(period, state) {
  const s = state || 'active';
  return `<span class="badge state-${esc(s)}" data-field="state" data-state="${esc(s)}">${esc(period)} · ${esc(t(`period_state.${s}`))}</span>`;
}

function checkinTable(kr) {
  const h = checkins.get(kr);
  if (!h) return `<p class="quiet">${esc(t('common.loading'))}</p>`;
  if (h instanceof Error) return `<p class="error" data-field="error">${esc(errorText(h))}</p>`;
  const list = h.check_ins || [];
  if (!list.length) return `<p class="quiet">${esc(t('okr.checkins.none'))}</p>`;
  // Newest first: the reader wants the latest word; the server sends them oldest first.
  const rows = [...list].reverse();
  return `<div class="table-wrap"><table class="checkin-table"><thead><tr>
    <th>${esc(t('okr.ci.at'))}</th><th class="num">${esc(t('okr.ci.value'))}</th><th class="num">${esc(t('okr.ci.progress'))}</th>
    <th class="num">${esc(t('okr.ci.confidence'))}</th><th>${esc(t('okr.ci.comment'))}</th><th>${esc(t('okr.ci.by'))}</th></tr></thead>
    <tbody>${rows.map(c => `<tr data-event="${esc(c.event_id)}">
      <td class="nowrap" title="${esc(t('okr.ci.received', { time: fmt.dateTime(c.received_at) }))}">${esc(fmt.dateTime(c.at))}</td>
      <td class="num" data-field="value">${esc(fmt.num(c.value))}</td>
      <td class="num">${esc(fmt.pct0(c.progress))}</td>
      <td class="num" data-field="confidence">${c.confidence == null ? '—' : `${esc(fmt.int(c.confidence))}/10`}</td>
      <td data-field="comment">${esc(c.comment || '')}</td>
      <td data-field="by">${c.by ? `<a href="${esc(personHref(c.by))}" data-person="${esc(c.by)}">${esc(c.by)}</a>` : '—'}</td></tr>`).join('')}</tbody></table></div>`;
}

function krHtml(k) {
  const open = openCheckins.has(k.id);
  return `<li class="okr-kr" data-kr="${esc(k.id)}">
    <div class="okr-kr-main">
      <span><span class="okr-kr-title">${esc(k.title)}</span><br><small>${esc(t('okr.kr.current', {
        current: fmt.num(k.current), target: fmt.num(k.target), uom: k.unit_of_measure || '', start: fmt.num(k.start),
      }))}${k.confidence == null ? '' : ` · ${esc(t('unit.okr.confidence', { n: k.confidence }))}`}${k.updated_at ? ` · ${esc(fmt.dateTime(k.updated_at))}` : ''}${k.weight != null && k.weight !== 1 ? ` · ${esc(t('okr.weight', { w: fmt.num(k.weight) }))}` : ''}</small></span>
      ${progressBar(k.progress, k.expected)}
      <span class="pct" data-field="progress" data-value="${esc(k.progress)}">${esc(pctOrDash(k.progress))}</span>
      <button type="button" class="small" data-action="checkins" aria-expanded="${open}">${esc(t(open ? 'okr.checkins.hide' : 'okr.checkins'))}</button>
    </div>
    <div class="checkins" data-field="checkins"${open ? '' : ' hidden'}>${open ? checkinTable(k.id) : ''}</div>
  </li>`;
}

function nodeHtml(n) {
  const krs = n.key_results || [];
  const children = n.children || [];
  const more = [];
  if (n.hidden_children > 0) {
    more.push(`<li class="okr-hidden quiet" data-field="hidden" title="${esc(t('okr.hidden.title'))}">${esc(t('okr.hidden', { n: fmt.int(n.hidden_children) }))}</li>`);
  }
  if (n.truncated) more.push(`<li class="okr-hidden quiet" data-field="truncated"><a href="${esc(objectiveHref(n.id))}">${esc(t('okr.truncated'))}</a></li>`);
  return `<li class="okr-node" data-id="${esc(n.id)}">
    <div class="okr-card">
      <div class="okr-head">
        <a class="okr-title" href="${esc(objectiveHref(n.id))}" title="${esc(t('okr.open'))}">${esc(n.title)}</a>
        ${stateBadge(n.period, n.period_state)}
      </div>
      <div class="okr-meta"><a href="${esc(unitHref(n.unit?.id))}">${esc(n.unit?.name)}</a>${n.unit?.level ? ` <small>(${esc(levelName(n.unit.level))})</small>` : ''}
        ${n.owner ? ` · ${esc(t('okr.owner', { name: '' }))}<a href="${esc(personHref(n.owner.id))}">${esc(n.owner.name)}</a>` : ''}
        · <span data-field="weight">${esc(t('okr.weight', { w: fmt.num(n.weight) }))}</span>
        · ${esc(t('unit.okr.expected', { pct: fmt.pct0(n.expected) }))}</div>
      <div class="okr-bars">
        <span class="okr-bar-label" title="${esc(t('okr.own.title'))}">${esc(t('okr.own'))}</span>
        ${progressBar(n.progress, n.expected)}
        <span class="pct" data-field="progress" data-value="${esc(n.progress ?? '')}">${esc(pctOrDash(n.progress))}</span>
        <span class="okr-bar-label" title="${esc(t('okr.rolled_up.title'))}">${esc(t('okr.rolled_up'))}</span>
        ${progressBar(n.rolled_up, n.expected)}
        <span class="pct strong" data-field="rolled-up" data-value="${esc(n.rolled_up ?? '')}">${esc(pctOrDash(n.rolled_up))}</span>
      </div>
      ${krs.length ? `<ul class="okr-krs">${krs.map(krHtml).join('')}</ul>` : `<p class="quiet">${esc(t('okr.no_krs'))}</p>`}
    </div>
    ${children.length || more.length ? `<ul class="okr-children">${children.map(nodeHtml).join('')}${more.join('')}</ul>` : ''}
  </li>`;
}

const treeHtml = tree => `<ul class="okr-tree">${nodeHtml(tree.tree)}</ul>`;

function chainHtml(up) {
  return up.map(s => `<li data-id="${esc(s.id)}">
    <a href="${esc(objectiveHref(s.id))}">${esc(s.title)}</a>
    <small>${esc(s.unit?.name)} · ${esc(s.period)} · ${esc(t('okr.weight', { w: fmt.num(s.weight) }))}</small>
    <span class="pct" data-field="rolled-up" data-value="${esc(s.rolled_up ?? '')}"${s.rolled_up == null ? ` title="${esc(t('okr.dash_title'))}"` : ''}>${esc(pctOrDash(s.rolled_up))}</span>
  </li>`).join('');
}

function renderObjective() {
  const r = current.tree;
  const n = r.tree;
  $('#title').textContent = n.title;
  document.title = `${t('okr.title')}: ${n.title} · IOC`;
  unitId = n.unit?.id || unitId;
  nav?.redraw();
  renderCrumbs($('#crumbs'), [{ id: n.unit.id, name: n.unit.name }], null);
  const crumbs = $('#crumbs');
  crumbs.insertAdjacentHTML('beforeend', `<span class="sep">›</span><a href="${esc(href('/okr.html', { unit: n.unit.id }))}">${esc(t('okr.unit_objectives'))}</a>`);
  $('#asof').textContent = r.as_of ? t('okr.as_of', { time: fmt.dateTime(r.as_of) }) : '';
  const up = r.up || [];
  $('#okr-up').hidden = up.length === 0;
  $('#okr-up [data-field="body"]').innerHTML = chainHtml(up);
  $('#okr-main-title').textContent = t('okr.tree');
  $('#okr-main [data-field="body"]').innerHTML = treeHtml(r);
}

function objectiveSummary(o) {
  const open = openObjectives.has(o.id);
  const tree = trees.get(o.id);
  let body = '';
  if (open) {
    body = !tree ? `<p class="quiet">${esc(t('common.loading'))}</p>`
      : tree instanceof Error ? `<p class="error" data-field="error">${esc(errorText(tree))}</p>` : treeHtml(tree);
  }
  return `<details class="okr-obj" data-id="${esc(o.id)}"${open ? ' open' : ''}>
    <summary><span class="okr-sum">
      <span><span class="okr-title">${esc(o.title)}</span><br><small>${esc(o.period)}${o.owner ? ` · ${esc(t('okr.owner', { name: o.owner.name }))}` : ''} · ${esc(t('unit.okr.expected', { pct: fmt.pct0(o.expected) }))}</small></span>
      ${progressBar(o.progress, o.expected)}
      <span class="pct" data-field="progress" data-value="${esc(o.progress)}">${esc(pctOrDash(o.progress))}</span>
      <a class="okr-open" href="${esc(objectiveHref(o.id))}">${esc(t('okr.open'))}</a>
    </span></summary>
    <div class="okr-obj-body" data-field="tree">${body}</div>
  </details>`;
}

function renderUnit() {
  const r = current.list;
  $('#title').textContent = r.unit.name;
  document.title = `${t('okr.title')}: ${r.unit.name} · IOC`;
  renderCrumbs($('#crumbs'), [{ id: r.unit.id, name: `${r.unit.name} (${levelName(r.unit.level)})` }], null);
  $('#asof').textContent = r.as_of ? t('okr.as_of', { time: fmt.dateTime(r.as_of) }) : '';
  $('#okr-up').hidden = true;
  $('#okr-main-title').textContent = t('okr.unit_objectives');
  const objs = r.objectives || [];
  $('#okr-main [data-field="body"]').innerHTML = objs.length
    ? objs.map(objectiveSummary).join('') : `<p class="quiet">${esc(t('okr.none'))}</p>`;
}

function render() {
  if (!current) return;
  if (current.mode === 'objective') renderObjective();
  else renderUnit();
  fillNames();
  markFirstRender();
  perf.fullRenders++;
}

/** Check-ins name their author by person id: show the name once it is known. */
function fillNames() {
  for (const a of document.querySelectorAll('a[data-person]:not([data-named])')) {
    a.dataset.named = '1';
    quietly(personName(a.dataset.person).then(p => { if (p?.name) a.textContent = p.name; }));
  }
}

// ---- loading ----------------------------------------------------------------------------------------

const treeLoading = new Set();
async function loadTree(id) {
  if (treeLoading.has(id)) return;
  treeLoading.add(id);
  try {
    trees.set(id, await api(`/objectives/${encodeURIComponent(id)}/tree?depth=${TREE_DEPTH}`));
  } catch (e) {
    trees.set(id, e);
  }
  treeLoading.delete(id);
  const el = document.querySelector(`details.okr-obj[data-id="${CSS.escape(id)}"] [data-field="tree"]`);
  const tree = trees.get(id);
  if (el) {
    if (tree instanceof Error) showError(el, tree);
    else el.innerHTML = treeHtml(tree);
    fillNames();
  }
}

async function loadCheckins(kr) {
  try {
    checkins.set(kr, await api(`/key-results/${encodeURIComponent(kr)}/check-ins`));
  } catch (e) {
    checkins.set(kr, e);
  }
  for (const box of document.querySelectorAll(`li.okr-kr[data-kr="${CSS.escape(kr)}"] [data-field="checkins"]`)) {
    if (!box.hidden) box.innerHTML = checkinTable(kr);
  }
  fillNames();
}

async function load() {
  const body = $('#okr-main [data-field="body"]');
  try {
    if (objectiveId) {
      current = { mode: 'objective', tree: await api(`/objectives/${encodeURIComponent(objectiveId)}/tree?depth=${TREE_DEPTH}`) };
    } else {
      current = { mode: 'unit', list: await api(`/units/${encodeURIComponent(unitId)}/okrs`) };
      trees.clear();
      for (const id of openObjectives) quietly(loadTree(id));
    }
    render();
  } catch (e) {
    $('#title').textContent = objectiveId || unitId;
    showError(body, e);
  }
}

// ---- events -------------------------------------------------------------------------------------------

$('#okr-main').addEventListener('click', e => {
  const b = e.target.closest('[data-action="checkins"]');
  if (!b) return;
  const li = b.closest('li.okr-kr');
  const kr = li.dataset.kr;
  const box = li.querySelector('[data-field="checkins"]');
  const open = box.hidden;
  box.hidden = !open;
  b.setAttribute('aria-expanded', String(open));
  b.textContent = t(open ? 'okr.checkins.hide' : 'okr.checkins');
  if (open) {
    openCheckins.add(kr);
    box.innerHTML = checkinTable(kr);
    if (!checkins.has(kr)) quietly(loadCheckins(kr));
    fillNames();
  } else {
    openCheckins.delete(kr);
  }
});

// <details> toggles do not bubble: listen in the capture phase.
$('#okr-main').addEventListener('toggle', e => {
  const d = e.target;
  if (!(d instanceof HTMLDetailsElement) || !d.classList.contains('okr-obj')) return;
  const id = d.dataset.id;
  if (d.open) {
    openObjectives.add(id);
    if (!trees.has(id)) quietly(loadTree(id));
  } else {
    openObjectives.delete(id);
  }
}, true);

$('#reload').addEventListener('click', async e => {
  const b = e.currentTarget;
  b.disabled = true;
  // Check-in histories asked again too, for the ones open.
  checkins.clear();
  await load();
  for (const kr of openCheckins) quietly(loadCheckins(kr));
  b.disabled = false;
});

onLangChange(render);

async function main() {
  if (!objectiveId && !unitId) {
    unitId = await defaultUnit((await dashboardConfig()).root_unit);
    nav?.redraw();
  }
  await load();
}
quietly(main());
