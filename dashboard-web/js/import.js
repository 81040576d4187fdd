// import.js — owns the upload page (import.html): a file (XLSX, CSV with what its rows are,
// JSON, NDJSON) checked first with POST /api/v1/import?dry_run=true, which writes nothing and
// answers what would change (new, changed, unchanged per kind; events new and already present)
// or every problem by sheet, row and column; then, on "Xác nhận nhập", sent again for real as
// one change. Sending the same file again (a retry after a lost answer) changes nothing: its
// entries are unchanged and its events duplicates.

import { t, fmt, lang } from '/js/i18n.js';
import { esc, quietly } from '/js/dom.js';
import { ApiError, errorText, isNetwork } from '/js/api.js';
import { initPage } from '/js/nav.js';
import { sessionReady, csrfToken, refreshSession, goToLogin } from '/js/session.js';

initPage({ active: 'import' });
const $ = sel => document.querySelector(sel);

const TYPES = {
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  csv: 'text/csv',
  json: 'application/json',
  ndjson: 'application/x-ndjson',
  jsonl: 'application/x-ndjson',
};
const KINDS = ['units', 'people', 'kpis', 'objectives', 'key_results'];

let checked = null; // {file, bytes, type, kind}: the file the preview is about

const extOf = name => (name.toLowerCase().match(/\.([a-z]+)$/) || [])[1] || '';

/** A CSV file's rows, guessed from its name like `ioc import` does (units.csv...). */
function kindOfName(name) {
  const stem = name.toLowerCase().replace(/\.csv$/, '');
  return [...KINDS, 'tasks'].find(k => stem.endsWith(k)) || null;
}

$('#file').addEventListener('change', () => {
  const f = $('#file').files[0];
  $('#file-name').removeAttribute('data-i18n');
  $('#file-name').textContent = f ? f.name : t('import.none');
  const csv = f && extOf(f.name) === 'csv';
  $('#kind-label').hidden = !csv;
  if (csv) $('#kind').value = kindOfName(f.name) || 'units';
  $('#file-error').hidden = true;
  $('#result').hidden = true;
  checked = null;
});

/** POSTs the file; resolves to the JSON answer, rejects with ApiError (its body attached). */
async function send(c, dryRun) {
  await sessionReady();
  if (!csrfToken()) await refreshSession();
  const q = new URLSearchParams({ dry_run: String(dryRun), name: c.file.name });
  if (c.kind) q.set('kind', c.kind);
  let res;
  try {
    res = await fetch(`/api/v1/import?${q}`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': c.type, 'X-CSRF-Token': csrfToken() || '', 'Accept-Language': lang },
      body: c.bytes,
    });
  } catch (e) {
    throw new ApiError(0, 'network', e?.message || 'network error');
  }
  if (res.status === 401) { goToLogin(); return new Promise(() => {}); }
  let body = null;
  try { body = await res.json(); } catch { /* not JSON: the status says it */ }
  if (!res.ok) {
    const err = body?.error || {};
    const e = new ApiError(res.status, err.code || `http_${res.status}`, err.message || res.statusText, { field: err.field, reason: err.reason, params: err.params });
    e.problems = err.problems || null;
    throw e;
  }
  return body;
}

/**
 * A problem's reason in the page's language: the server's words when it has them in this
 * language (a keyed message), otherwise, on a Vietnamese page, a plain "invalid value" (the
 * English detail stays in the file's report of `ioc import`).
 */
function reasonText(p) {
  if (p.key || lang === 'en') return p.message || p.reason;
  return t('import.reason.other');
}

function showProblems(problems) {
  $('#problems').hidden = false;
  $('#preview').hidden = true;
  $('#result-title').textContent = t('import.refused', { n: problems.length });
  $('#problem-rows').innerHTML = problems.map(p => `<tr data-sheet="${esc(p.sheet || '')}" data-row="${esc(p.line)}" data-column="${esc(p.column || '')}">
    <td data-field="sheet" data-label="${esc(t('import.col.sheet'))}">${esc(p.sheet || '—')}</td>
    <td data-field="row" data-label="${esc(t('import.col.row'))}">${esc(p.line > 0 ? fmt.int(p.line) : '—')}</td>
    <td data-field="column" data-label="${esc(t('import.col.column'))}">${esc(p.column || '—')}</td>
    <td data-field="field" data-label="${esc(t('import.col.field'))}">${esc(p.header || p.field || '—')}</td>
    <td data-field="reason" data-label="${esc(t('import.col.reason'))}">${esc(reasonText(p))}</td></tr>`).join('');
}

function showCounts(r, dryRun) {
  $('#confirm-error').hidden = true;
  $('#problems').hidden = true;
  $('#preview').hidden = false;
  const rows = KINDS.map(k => [k, r[k]]).filter(([, c]) => c && c.new + c.changed + c.unchanged > 0);
  const ev = r.events || { new: 0, duplicates: 0 };
  $('#preview-rows').innerHTML = rows.map(([k, c]) => `<tr data-kind="${k}"><th>${esc(t(`import.kind.${k}`))}</th>
      <td data-field="new">${fmt.int(c.new)}</td><td data-field="changed">${fmt.int(c.changed)}</td><td data-field="unchanged">${fmt.int(c.unchanged)}</td></tr>`).join('')
    + (ev.new + ev.duplicates > 0 ? `<tr data-kind="events"><th>${esc(t('import.kind.events'))}</th><td data-field="new">${fmt.int(ev.new)}</td><td>—</td><td data-field="unchanged">${fmt.int(ev.duplicates)}</td></tr>` : '');
  const nothing = rows.every(([, c]) => c.new + c.changed === 0) && ev.new === 0;
  $('#result-title').textContent = dryRun
    ? t(nothing ? 'import.preview.nothing' : 'import.preview')
    : t('import.done', { time: fmt.time(new Date()) });
  $('#confirm').hidden = !dryRun || nothing;
  $('#cancel').hidden = !dryRun;
  $('#result').dataset.state = dryRun ? 'preview' : 'done';
}

function showFailure(e) {
  $('#result').hidden = false;
  if (e?.problems?.length) {
    $('#result').dataset.state = 'refused';
    showProblems(e.problems);
  } else {
    $('#result').hidden = true;
    $('#file-error').hidden = false;
    $('#file-error').textContent = errorText(e);
  }
}

$('#import-form').addEventListener('submit', async ev => {
  ev.preventDefault();
  const f = $('#file').files[0];
  $('#file-error').hidden = true;
  if (!f) { $('#file-error').hidden = false; $('#file-error').textContent = t('import.pick'); $('#file').focus(); return; }
  const ext = extOf(f.name);
  if (!TYPES[ext]) { $('#file-error').hidden = false; $('#file-error').textContent = t('import.bad_type'); return; }
  const button = $('#check');
  button.disabled = true;
  try {
    checked = { file: f, bytes: await f.arrayBuffer(), type: TYPES[ext], kind: ext === 'csv' ? $('#kind').value : null };
    const r = await send(checked, true);
    $('#result').hidden = false;
    $('#result-file').textContent = f.name;
    showCounts(r, true);
  } catch (e) {
    showFailure(e);
  } finally {
    button.disabled = false;
  }
});

$('#confirm').addEventListener('click', async () => {
  if (!checked) return;
  const button = $('#confirm');
  button.disabled = true;
  button.textContent = t('import.confirming');
  try {
    // The same bytes that were checked: a retry of this button sends them again, which
    // changes nothing the first send already did.
    showCounts(await send(checked, false), false);
  } catch (e) {
    if (e?.problems?.length) {
      showFailure(e);
    } else {
      // The answer was lost (or the server was busy): the import may have happened. The
      // preview stays, and confirming again is safe: the same file changes nothing more.
      $('#confirm-error').hidden = false;
      $('#confirm-error').textContent = t('import.retry', { reason: isNetwork(e) ? t('import.no_answer') : errorText(e) });
    }
  } finally {
    button.disabled = false;
    button.textContent = t('import.confirm');
  }
});

$('#cancel').addEventListener('click', () => {
  $('#result').hidden = true;
  checked = null;
});

quietly(sessionReady());
