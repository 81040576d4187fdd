// person.js — owns the person view (person.html?id=): an official's live workload, on-time
// rate, overdue count and task list (the `person` live view, which always comes whole); with
// `&at=` as they stood at a past moment (past.js), fetched once from GET /people/{id}/view.

import { t, fmt, onLangChange, statusName, levelName } from '/js/i18n.js';
import {
  esc, params, frameBatcher, unitHref, taskHref, markFirstRender, recordPatchMs, perf, setText,
  renderCrumbs,
} from '/js/dom.js';
import { api, viewErrorText } from '/js/api.js';
import { initPage } from '/js/nav.js';
import { wireBanners } from '/js/banner.js';
import { Live } from '/js/live.js';
import { isPast, withAt, initPast, showPastError } from '/js/past.js';

const personId = params.get('id');
// A past view opens no socket: nothing on it changes (past.js).
const live = isPast ? null : new Live().start();
let unitOfPerson = null;
const nav = initPage({ active: null, unit: () => unitOfPerson });
if (live) wireBanners(live);
initPast({ what: 'person' });

const $ = sel => document.querySelector(sel);
let lastListKey = '';
let lastSub = '';
let view = null;
let pendingFrames = 0;
const batch = frameBatcher(render);

const FIELDS = [
  ['workload', 'fig.workload', v => fmt.int(v.workload)],
  ['open', 'person.open', v => fmt.int(v.tasks?.open)],
  ['overdue', 'fig.overdue', v => fmt.int(v.tasks?.overdue)],
  ['on-time', 'fig.on_time_rate', v => fmt.pct(v.tasks?.on_time_rate)],
  ['total', 'fig.tasks_total', v => fmt.int(v.tasks?.total)],
  ['progress', 'fig.avg_progress', v => fmt.progress(v.tasks?.avg_progress)],
  ['on-time-n', 'person.done_on_time', v => fmt.int(v.tasks?.done_on_time)],
  ['late-n', 'person.done_late', v => fmt.int(v.tasks?.done_late)],
];

function buildFigures() {
  $('#figures').innerHTML = FIELDS.map(([f, label]) => `<div class="fig"><span class="fig-label">${esc(t(label))}</span><b data-field="${f}">—</b></div>`).join('');
  lastListKey = lastSub = '';
}
buildFigures();

function render() {
  const t0 = performance.now();
  const v = view;
  if (!v) return;
  if (unitOfPerson !== (v.unit?.id ?? null)) {
    unitOfPerson = v.unit?.id ?? null;
    nav?.redraw();
  }
  setText($('#title'), v.name);
  document.title = `${v.name} · IOC`;
  renderCrumbs($('#crumbs'), v.unit ? [v.unit] : [], { name: v.name });
  const sub = `${esc(v.position || '')}${v.unit ? ` · <a href="${esc(unitHref(v.unit.id))}" data-action="back">${esc(t('person.back', { name: `${v.unit.name} (${levelName(v.unit.level)})` }))}</a>` : ''}`;
  if (sub !== lastSub) { lastSub = sub; $('#subtitle').innerHTML = sub; }
  setText($('#asof'), isPast ? t('past.asof', { time: fmt.dateTime(v.as_of) }) : t('common.updated_at', { time: fmt.timeSec(v.as_of) }));
  for (const [f, , get] of FIELDS) setText($(`#figures [data-field="${f}"]`), get(v));
  $('#figures [data-field="overdue"]').classList.toggle('c-red', (v.tasks?.overdue ?? 0) > 0);
  const list = v.task_list || [];
  const key = JSON.stringify(list);
  if (key !== lastListKey) {
    lastListKey = key;
    setText($('#tasks [data-field="count"]'), `(${fmt.int(list.length)})`);
    $('#tasks [data-field="body"]').innerHTML = list.length === 0 ? `<p class="quiet">${esc(t('unit.tasks.none'))}</p>` : `<table><thead><tr>
      <th>${esc(t('unit.col.task'))}</th><th>${esc(t('unit.col.status'))}</th><th class="num">${esc(t('unit.col.progress'))}</th><th>${esc(t('unit.col.deadline'))}</th></tr></thead>
      <tbody>${list.map(x => `<tr data-id="${esc(x.id)}"${x.overdue ? ' class="overdue"' : ''}>
        <td><a href="${esc(taskHref(x.id))}">${esc(x.title)}</a> <span class="code">${esc(x.id)}</span></td>
        <td>${esc(statusName(x.status))}</td>
        <td class="num">${esc(fmt.progress(x.progress))}</td>
        <td class="deadline">${esc(fmt.date(x.deadline))}${x.overdue ? ` · ${esc(t('task.overdue'))}` : ''}</td></tr>`).join('')}</tbody></table>`;
    perf.fullRenders++;
  }
  markFirstRender();
  const ms = performance.now() - t0;
  for (; pendingFrames > 0; pendingFrames--) recordPatchMs(ms);
}

function onPerson(s, change) {
  if (change.type === 'error') {
    $('#title').textContent = viewErrorText(change, personId, 'person');
    return;
  }
  // Person views always come whole: every frame after the first counts as an update.
  if (view) pendingFrames++;
  view = s.data;
  batch.schedule();
}

onLangChange(() => { buildFigures(); batch.schedule(); });

/** The person at the page's moment, once; a refused moment is said in the banner. */
async function loadPast() {
  try {
    const data = await api(withAt(`/people/${encodeURIComponent(personId)}/view`));
    onPerson({ data }, { type: 'view' });
  } catch (e) {
    showPastError(e);
    $('#title').textContent = e?.status === 403 || e?.status === 404 ? viewErrorText(e, personId, 'person') : t('past.unavailable');
  }
}

if (!personId) $('#title').textContent = t('common.not_found', { what: 'id' });
else if (isPast) loadPast();
else live.watch('person', personId, onPerson);
