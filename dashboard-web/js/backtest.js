// backtest.js — owns the alert center's "Luật cảnh báo" tab: the rules the server runs, and for a
// leader or admin "Thử thay đổi" on one of them (issue 21 point 5): the rule as TOML to edit, a
// window of history and a unit, `POST /api/v1/rules/backtest` run with the running set where
// only that rule is changed, and its answer (the chart, the two sides, fires by rule, the alerts
// that differ); then how a change is adopted: the file downloaded, and the audited reload.
//
// The server tries the candidate files alone (plus the built-in rules), so a fair comparison of
// one changed rule needs every other running rule sent unchanged. `GET /api/v1/rules` names each
// rule, its metric and where it was defined (FILE:LINE), not its definition: the running set is
// serialized from the rules' `definition` when the server gives it, else read from the running
// rule files the reader opens here (their text, with the one block replaced), else the edited
// rule goes alone and the page says the comparison counts that rule only.

import { t, fmt, lang, onLangChange } from '/js/i18n.js';
import { esc, quietly } from '/js/dom.js';
import { api, errorText, serverWords, unitIndex, dashboardConfig } from '/js/api.js';
import { session, sessionReady } from '/js/session.js';
import { ruleLabel, valueAgainstThreshold } from '/js/alertview.js';
import { momentText } from '/js/past.js';

/** Differing alerts listed; the rest are counted ("và N cảnh báo khác"). */
const DIFFERING_SHOWN = 50;
/** The default window: this many days up to the server's clock (the server takes at most 93). */
const DEFAULT_DAYS = 30;
const DAY_MS = 86_400_000;
const VN_OFFSET_MS = 7 * 3600_000;

const $ = sel => document.querySelector(sel);

const state = {
  unit: null,
  rules: null, // GET /api/v1/rules: {files, rules: [{name, metric, origin, definition?}]}
  loading: null,
  /** The rule files the reader opened: [{name, text}]. */
  files: [],
  /** The rule being tried: {name, metric}; the panel's element. */
  open: null,
  result: null,
  running: false,
};

// ---- who may -------------------------------------------------------------------------------

const grantsOf = () => (session()?.account?.grants || []).map(g => (Array.isArray(g) ? { role: g[0], unit: g[1] } : g));

function ancestors(units, id) {
  const out = [];
  for (let u = id, guard = 0; u && guard < 50; guard++) { out.push(u); u = units.get(u)?.parent; }
  return out;
}

/** A leader or admin over the unit (at it, above it, or of the whole tree): the server's rule
 * for a backtest of that unit. A viewer sees the rules but no "Thử thay đổi". */
function mayTry(units, unit) {
  const over = new Set(['*', ...ancestors(units, unit)]);
  return grantsOf().some(g => ['leader', 'admin'].includes(g.role) && over.has(g.unit));
}

/** An administrator of the whole tree (a grant at "*" or the root): who may reload the rules. */
async function mayReload() {
  const root = (await dashboardConfig()).root_unit;
  return grantsOf().some(g => g.role === 'admin' && (g.unit === '*' || g.unit === root));
}

// ---- TOML ----------------------------------------------------------------------------------

/** The order RULES.md lists a rule's keys in. */
const KEYS = ['name', 'description', 'enabled', 'scope', 'metric', 'kpi', 'group', 'within', 'yellow', 'red', 'thresholds',
  'recover', 'for', 'keep_firing_for', 'escalate_after', 'labels', 'summary_vi', 'summary_en', 'group_by', 'notify'];

const bareKey = k => (/^[A-Za-z0-9_-]+$/.test(k) ? k : tomlString(k));
// JSON's escapes (\" \\ \n \t \uXXXX …) are TOML's basic-string escapes too; DEL is not allowed raw.
const tomlString = s => JSON.stringify(String(s)).replace(/\x7f/g, '\\u007F');

function tomlValue(v) {
  if (typeof v === 'string') return tomlString(v);
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  if (Array.isArray(v)) return `[${v.map(tomlValue).join(', ')}]`;
  if (v && typeof v === 'object') {
    const parts = Object.entries(v).filter(([, x]) => x != null).map(([k, x]) => `${bareKey(k)} = ${tomlValue(x)}`);
    return parts.length ? `{ ${parts.join(', ')} }` : '{}';
  }
  return '""';
}

/** A rule's `[[rule]]` block from its definition (RULES.md's keys), keys in RULES.md's order. */
export function ruleToml(def) {
  const keys = [...KEYS, ...Object.keys(def).filter(k => !KEYS.includes(k)).sort()];
  const lines = ['[[rule]]'];
  for (const k of keys) if (def[k] != null) lines.push(`${bareKey(k)} = ${tomlValue(def[k])}`);
  return `${lines.join('\n')}\n`;
}

const HEADER = /^[ \t]*\[\[[ \t]*(rule|inhibit)[ \t]*\]\][ \t]*(#.*)?$/;

/**
 * The `[[rule]]` / `[[inhibit]]` blocks of a rule file: kind, name, and where the block's own
 * text lies (from its header to its last line that is neither blank nor a comment, so comments
 * heading the next block stay with it), as character offsets and the header's line.
 */
export function blocksOf(text) {
  const lines = text.split('\n');
  const blocks = [];
  let offset = 0;
  let cur = null;
  const close = () => { if (cur) blocks.push(cur); };
  lines.forEach((line, i) => {
    const m = HEADER.exec(line);
    if (m) {
      close();
      cur = { kind: m[1], name: null, enabled: true, start: offset, end: offset + line.length, line: i + 1, sub: false };
    } else if (cur) {
      const s = line.trim();
      if (s.startsWith('[')) cur.sub = true; // a sub-table ([rule.scope]): keys below are its own
      if (!cur.sub) {
        const n = /^name[ \t]*=[ \t]*(["'])(.*?)\1/.exec(s);
        if (n && cur.name == null) cur.name = n[2];
        if (/^enabled[ \t]*=[ \t]*false\b/.test(s)) cur.enabled = false;
      }
      if (s && !s.startsWith('#')) cur.end = offset + line.length;
    }
    offset += line.length + 1;
  });
  close();
  return blocks;
}

const baseName = p => String(p).split(/[\\/]/).pop();
const fileOf = origin => String(origin || '').replace(/:\d+$/, '');
const isBuiltin = r => r.origin === 'builtin' || r.name.startsWith('builtin.');

/** The running files' text the server sends (`sources`): no file to open by hand then. */
function useServerFiles() {
  const sent = state.rules?.sources;
  if (!state.files.length && Array.isArray(sent) && sent.length) state.files = sent.map(f => ({ name: f.name, text: f.text }));
}

/** Where the running text comes from: the server's definitions, the opened files, or nothing. */
function source() {
  const own = (state.rules?.rules || []).filter(r => !isBuiltin(r));
  if (own.length && own.every(r => r.definition && typeof r.definition === 'object')) return 'definitions';
  if (state.files.length) return 'files';
  return 'none';
}

/** The running rule files rebuilt from the definitions: one per file the rules came from. */
function definitionFiles() {
  const by = new Map();
  for (const r of state.rules.rules.filter(x => !isBuiltin(x))) {
    const f = fileOf(r.origin) || 'rules.toml';
    if (!by.has(f)) by.set(f, []);
    by.get(f).push(ruleToml({ name: r.name, ...r.definition }));
  }
  return [...by].map(([name, blocks]) => ({ name, text: blocks.join('\n') }));
}

/** The running text of one rule's block, and the files it sits in. */
function runningBlock(name) {
  const src = source();
  const files = src === 'definitions' ? definitionFiles() : src === 'files' ? state.files : [];
  for (const f of files) {
    const b = blocksOf(f.text).find(x => x.kind === 'rule' && x.name === name);
    if (b) return { file: f, block: b, files, text: f.text.slice(b.start, b.end) };
  }
  return { file: null, block: null, files, text: null };
}

/** A block for a rule whose text is not known: what the server says of it, to be completed. */
function skeleton(r) {
  return `[[rule]]\nname = ${tomlString(r.name)}\nmetric = ${tomlString(r.metric)}\n# ${t('bt.skeleton.fill')}\n`;
}

/**
 * The candidate files: the running set with the rule's block replaced by the edited text (a
 * rule the files do not hold is added in a file of its own); `main` is the file a leader
 * would hand the administrator. `offset` is the line where the edited text starts in `main`,
 * so a refusal's line reads as a line of the text box.
 */
function candidateFiles(edited) {
  const text = edited.endsWith('\n') ? edited : `${edited}\n`;
  const { file, block, files } = runningBlock(state.open.name);
  if (!file) {
    const main = { name: 'candidate.toml', text, main: true, offset: 1 };
    return [...files.map(f => ({ ...f, main: false })), main];
  }
  return files.map(f => {
    if (f !== file) return { ...f, main: false };
    const before = f.text.slice(0, block.start);
    return { name: f.name, text: before + text.replace(/\n$/, '') + f.text.slice(block.end), main: true, offset: block.line };
  });
}

/** The running rules the opened files miss, and the rules they hold the server does not run. */
function filesCheck() {
  const running = new Set(state.rules.rules.filter(r => !isBuiltin(r)).map(r => r.name));
  const held = new Set();
  for (const f of state.files) {
    for (const b of blocksOf(f.text)) if (b.kind === 'rule' && b.name && b.enabled) held.add(b.name);
  }
  return { missing: [...running].filter(n => !held.has(n)), extra: [...held].filter(n => !running.has(n)) };
}

// ---- the list of rules -----------------------------------------------------------------------

/** Shows the tab's rules for the alert center's unit (read once; the list is short). */
export async function showRules(unit) {
  state.unit = unit;
  state.loading ??= Promise.all([api('/rules'), unitIndex(), sessionReady()])
    .then(([rules, units]) => { state.rules = rules; state.units = units; useServerFiles(); })
    .catch(e => { state.loading = null; throw e; });
  try {
    await state.loading;
  } catch (e) {
    $('#rules-list').innerHTML = `<li class="error" data-field="error">${esc(errorText(e))}</li>`;
    return;
  }
  drawList();
}

function originText(r) {
  if (isBuiltin(r)) return t('bt.origin.builtin');
  const m = /^(.*):(\d+)$/.exec(r.origin || '');
  // No `--rules`: the pack compiled into the server, named as such rather than by its path.
  if (m && !(state.rules.files || []).length && m[1].endsWith('default.toml')) return t('bt.origin.pack', { line: m[2] });
  return m ? t('bt.origin.file', { file: baseName(m[1]), line: m[2] }) : t('bt.origin.file_only', { file: baseName(r.origin || '') });
}

function drawList() {
  const list = $('#rules-list');
  const rules = state.rules?.rules || [];
  const may = mayTry(state.units, state.unit);
  // Files first (what can be tried), then the built-in rules, each by its words.
  const sorted = [...rules].sort((a, b) => (isBuiltin(a) - isBuiltin(b)) || ruleLabel(a.name, a.metric).localeCompare(ruleLabel(b.name, b.metric), 'vi'));
  $('#rules-count').textContent = t('bt.count', { n: fmt.int(rules.length) });
  const keep = state.open?.panel;
  list.innerHTML = sorted.map(r => `<li data-rule="${esc(r.name)}"${isBuiltin(r) ? ' data-builtin' : ''}>
    <div class="bt-rule-head"><div class="bt-rule-name"><b>${esc(ruleLabel(r.name, r.metric))}</b> <span class="code" data-field="name">${esc(r.name)}</span>
      <small data-field="origin">${esc(originText(r))}</small></div>
      ${may && !isBuiltin(r) ? `<button type="button" data-action="try" aria-expanded="${state.open?.name === r.name}">${esc(t('bt.try'))}</button>` : ''}</div></li>`).join('');
  if (!rules.length) list.innerHTML = `<li class="quiet">${esc(t('bt.none'))}</li>`;
  if (keep) list.querySelector(`li[data-rule="${CSS.escape(state.open.name)}"]`)?.append(keep);
}

$('#rules-list').addEventListener('click', e => {
  const b = e.target.closest('button[data-action="try"]');
  if (!b) return;
  const name = b.closest('li[data-rule]').dataset.rule;
  if (state.open?.name === name) { closePanel(); return; }
  openPanel(name);
});

function closePanel() {
  state.open?.panel.remove();
  state.open = null;
  state.result = null;
  drawList();
}

// ---- the panel -------------------------------------------------------------------------------

/** "YYYY-MM-DD" of a moment in Vietnam's calendar. */
const vnDay = ms => new Date(ms + VN_OFFSET_MS).toISOString().slice(0, 10);

function panelHtml(r) {
  const files = (state.rules.files || []).map(baseName);
  return `<form class="bt-form" novalidate>
    <h3>${esc(t('bt.panel.title', { rule: ruleLabel(r.name, r.metric) }))}</h3>
    <p class="bt-note" data-field="bt-source"></p>
    <div class="bt-files" data-field="bt-files"${source() === 'definitions' ? ' hidden' : ''}>
      <span class="file-label">${esc(t('bt.files.label'))}</span>
      <div class="file-pick"><input type="file" id="bt-file" name="files" class="file-input" accept=".toml,text/plain" multiple>
        <label for="bt-file" class="button-link">${esc(t('import.choose'))}</label>
        <span class="file-name" data-field="file-name">${esc(state.files.length ? state.files.map(f => f.name).join(', ') : t('import.none'))}</span></div>
      <small>${esc(files.length ? t('bt.files.running', { files: files.join(', ') }) : t('bt.files.default'))}</small>
      <p class="bt-warn" data-field="bt-files-check" hidden></p>
    </div>
    <label class="bt-text"><span>${esc(t('bt.text.label'))}</span>
      <textarea name="rules" rows="12" spellcheck="false" autocomplete="off" autocapitalize="off"></textarea></label>
    <div class="error" data-error-for="rules" hidden></div>
    <div class="bt-window">
      <label><span>${esc(t('bt.from'))}</span><input type="date" name="from" required>
        <small data-field="from-words"></small><span class="error" data-error-for="from" hidden></span></label>
      <label><span>${esc(t('bt.to'))}</span><input type="date" name="to" required>
        <small data-field="to-words"></small><span class="error" data-error-for="to" hidden></span></label>
      <label><span>${esc(t('bt.unit'))}</span><select name="unit"></select></label>
    </div>
    <div class="bt-run">
      <button type="submit" class="primary" data-action="run">${esc(t('bt.run'))}</button>
      <span class="asof" data-field="bt-busy" role="status" hidden>${esc(t('bt.busy'))}</span>
    </div>
    <div class="error" data-error-for="" hidden></div>
  </form>
  <div class="bt-result" data-field="bt-result" hidden></div>
  <div class="bt-adopt" data-field="bt-adopt">
    <h4>${esc(t('bt.adopt.title'))}</h4>
    <p>${esc(t('bt.adopt.text'))}</p>
    <div class="bt-adopt-actions">
      <button type="button" data-action="download">${esc(t('bt.download'))}</button>
      <button type="button" data-action="reload" hidden>${esc(t('bt.reload'))}</button>
    </div>
    <p class="asof" data-field="bt-reload-result" role="status" hidden></p>
  </div>`;
}

function openPanel(name) {
  state.open?.panel.remove();
  const r = state.rules.rules.find(x => x.name === name);
  const panel = document.createElement('div');
  panel.className = 'bt-panel';
  panel.id = 'bt-panel';
  panel.dataset.rule = name;
  panel.innerHTML = panelHtml(r);
  state.open = { name, metric: r.metric, panel };
  state.result = null;
  drawList();
  const form = wirePanel(panel);
  fillText(form);
  fillUnits(form);
  quietly(fillWindow(form));
  panel.scrollIntoView({ block: 'nearest' });
  form.rules.focus({ preventScroll: true });
}

/** The panel's buttons and inputs; its form. */
function wirePanel(panel) {
  const form = panel.querySelector('form');
  quietly(mayReload().then(yes => { panel.querySelector('[data-action="reload"]').hidden = !yes; }));
  form.addEventListener('submit', ev => { ev.preventDefault(); quietly(run(form)); });
  form.files.addEventListener('change', () => quietly(readFiles(form)));
  form.from.addEventListener('input', () => echoDates(form));
  form.to.addEventListener('input', () => echoDates(form));
  panel.querySelector('[data-action="download"]').addEventListener('click', () => download(form));
  panel.querySelector('[data-action="reload"]').addEventListener('click', () => quietly(reload(panel)));
  return form;
}

/** The text box from the running rule (or what is known of it), and where that came from. */
function fillText(form) {
  const r = state.rules.rules.find(x => x.name === state.open.name);
  const { text, file } = runningBlock(r.name);
  form.rules.value = text != null ? `${text}\n` : skeleton(r);
  // As tall as the rule, a few lines to spare (it is edited here, not read in a scrolled box).
  form.rules.rows = Math.min(30, Math.max(8, form.rules.value.split('\n').length + 2));
  drawSource(form, file);
}

function drawSource(form, file) {
  const src = source();
  const note = form.querySelector('[data-field="bt-source"]');
  note.dataset.source = file ? src : 'none';
  note.textContent = src === 'definitions' ? t('bt.source.definitions')
    : file ? t('bt.source.files', { file: baseName(file.name) })
      : src === 'files' ? t('bt.source.not_in_files') : t('bt.source.none');
  note.classList.toggle('bt-warn', !file);
  const check = form.querySelector('[data-field="bt-files-check"]');
  if (src !== 'files') { check.hidden = true; return; }
  const { missing, extra } = filesCheck();
  const parts = [
    missing.length ? t('bt.files.missing', { rules: missing.join(', ') }) : '',
    extra.length ? t('bt.files.extra', { rules: extra.join(', ') }) : '',
  ].filter(Boolean);
  check.hidden = !parts.length;
  check.textContent = parts.length ? `${t('bt.files.differ')} ${parts.join(' ')}` : '';
}

/** Reads the rule files the reader picked; the text box takes the rule's block from them. */
async function readFiles(form) {
  const picked = [...form.files.files];
  if (!picked.length) return;
  state.files = await Promise.all(picked.map(async f => ({ name: f.name, text: await f.text() })));
  form.querySelector('[data-field="file-name"]').textContent = state.files.map(f => f.name).join(', ');
  fillText(form);
}

function fillUnits(form) {
  const units = state.units || new Map();
  const sel = form.unit;
  const here = state.unit;
  // The alert center's unit first, then the units below it (a backtest counts a subtree).
  const below = [...units.values()].filter(u => u.id !== here && ancestors(units, u.id).includes(here))
    .sort((a, b) => a.name.localeCompare(b.name, 'vi'));
  const opts = [units.get(here) || { id: here, name: here }, ...below];
  sel.innerHTML = opts.map(u => `<option value="${esc(u.id)}">${esc(u.name)}</option>`).join('');
  sel.value = here;
}

/** The last DEFAULT_DAYS days up to the server's clock (a rehearsal's clock may be anywhere). */
async function fillWindow(form) {
  let now = Date.now();
  try {
    const c = await api('/clock');
    const ms = Date.parse(c?.now);
    if (Number.isFinite(ms)) now = ms;
  } catch { /* the browser's clock then; the server still refuses a moment to come */ }
  state.clock = now;
  form.to.max = vnDay(now);
  form.from.max = vnDay(now);
  if (!form.to.value) form.to.value = vnDay(now);
  if (!form.from.value) form.from.value = vnDay(now - DEFAULT_DAYS * DAY_MS);
  echoDates(form);
}

/** The dates in the page's words beside the inputs: the browser draws a date input in its own
 * language and order ("11/03/2026" for the 3rd of November). */
function echoDates(form) {
  for (const k of ['from', 'to']) {
    const v = form[k].value;
    form.querySelector(`[data-field="${k}-words"]`).textContent = v ? t('bt.day', { date: fmt.date(`${v}T12:00:00+07:00`) }) : '';
  }
}

/** The window as the server takes it: from the start of "Từ ngày", to the end of "Đến ngày" (the
 * server's clock when that is today: the end of today is still to come). */
function windowOf(form) {
  const from = form.from.value ? `${form.from.value}T00:00:00+07:00` : '';
  let to = form.to.value ? `${form.to.value}T23:59:59+07:00` : '';
  if (to && state.clock && Date.parse(to) > state.clock) {
    to = new Date(state.clock + VN_OFFSET_MS).toISOString().replace(/\.\d+Z$/, '+07:00');
  }
  return { from, to };
}

function setErrors(form, errors) {
  for (const el of form.querySelectorAll('[data-error-for]')) {
    const e = errors[el.dataset.errorFor];
    el.hidden = !e;
    if (typeof e === 'string') el.textContent = e;
    else if (e) el.replaceChildren(e);
    else el.textContent = '';
  }
}

/**
 * The rule files' errors (`FILE:LINE:COL: FIELD: REASON`, joined by "; " in the server's
 * sentence) one per line, their line counted in the text box; a reason the page can word in
 * Vietnamese is, the rest stays the server's (English) words, shown on an English page and,
 * on a Vietnamese one, kept in a closed "Chi tiết" line.
 */
function rulesErrorNode(e, files) {
  const main = files.find(f => f.main);
  const message = String(e.message || '');
  const lead = serverWords(e) ? message.split(':')[0].trim() : t('bt.err.rules');
  const head = lead.charAt(0).toUpperCase() + lead.slice(1);
  const found = [...message.matchAll(/([^\s;:]+\.toml):(\d+):(\d+): ([^:;\s]+): ((?:(?!; [^\s;:]+\.toml:\d+:)[\s\S])*)/g)];
  const box = document.createElement('div');
  const p = document.createElement('p');
  p.textContent = `${head}${found.length ? ':' : ''}`;
  if (!found.length) p.textContent = errorText(e);
  box.append(p);
  if (!found.length) return box;
  const ul = document.createElement('ul');
  for (const [, file, line, col, field, reason] of found) {
    const li = document.createElement('li');
    const inBox = main && file === main.name ? Number(line) - main.offset + 1 : null;
    const where = inBox != null && inBox >= 1 && inBox <= boxLines()
      ? t('bt.err.where_box', { line: fmt.int(inBox), col: fmt.int(Number(col)) })
      : t('bt.err.where_file', { file: baseName(file), line: fmt.int(Number(line)) });
    const said = lang === 'en' ? reason.trim() : reasonVi(reason.trim());
    // The key of a rule ("red" of "rule[tthc_line].red"): the text box holds one rule.
    const key = /^rule\[[^\]]*\]\.(.+)$/.exec(field.trim())?.[1] ?? field.trim();
    li.textContent = `${where} · ${key}: ${said ?? t('bt.err.unworded')}`;
    if (said == null) {
      const d = document.createElement('details');
      d.innerHTML = `<summary>${esc(t('bt.err.details'))}</summary><span class="code">${esc(reason.trim())}</span>`;
      li.append(d);
    }
    li.dataset.field = field.trim();
    ul.append(li);
  }
  box.append(ul);
  return box;
}
// The edited text's lines: a refusal beyond them is about another rule of the file.
const boxLines = () => (state.open?.panel.querySelector('textarea')?.value.split('\n').length ?? 0);

/** The rule loader's reasons a leader meets when editing thresholds, in Vietnamese. */
const REASONS_VI = [
  [/^'(.*)' is not a number \(in '(.*)'\)$/, (x, c) => `'${x}' không phải là số (trong '${c}')`],
  [/^'(.*)' has no operator/, x => `'${x}' thiếu phép so sánh: hãy viết >, >=, < hoặc <= rồi đến ngưỡng, ví dụ "> 0.25"`],
  [/^unknown operator '(.*)' in '(.*)'/, (o, c) => `phép so sánh '${o}' không hợp lệ trong '${c}': dùng >, >=, < hoặc <=`],
  [/^threshold (.*) is out of range/, x => `ngưỡng ${x} nằm ngoài miền giá trị của chỉ số này`],
  [/^red \((.*)\) and yellow \((.*)\) point in opposite directions/, (r, y) => `ngưỡng đỏ (${r}) và ngưỡng vàng (${y}) ngược chiều nhau`],
  [/^red \((.*)\) must be more severe than yellow \((.*)\)/, (r, y) => `ngưỡng đỏ (${r}) phải nghiêm trọng hơn ngưỡng vàng (${y})`],
  [/^recover \((.*)\) points the same way as the firing condition \((.*)\)/, (r, c) => `điều kiện hết cảnh báo (${r}) phải ngược chiều với điều kiện cảnh báo (${c})`],
  [/^recover \((.*)\) overlaps the firing condition \((.*)\)/, (r, c) => `điều kiện hết cảnh báo (${r}) chồng lên điều kiện cảnh báo (${c}): một giá trị có thể vừa cảnh báo vừa hết cảnh báo`],
  [/^unknown key '(.*?)'/, k => `khóa '${k}' không được dùng trong luật`],
  [/^duplicate rule name/, () => 'tên luật bị trùng'],
];
function reasonVi(reason) {
  for (const [re, words] of REASONS_VI) {
    const m = re.exec(reason);
    if (m) return words(...m.slice(1));
  }
  return null;
}

async function run(form) {
  if (state.running) return;
  const { from, to } = windowOf(form);
  const missing = {};
  if (!from) missing.from = t('bt.err.date');
  if (!to) missing.to = t('bt.err.date');
  if (!form.rules.value.trim()) missing.rules = t('bt.err.empty');
  setErrors(form, missing);
  if (Object.keys(missing).length) return;
  const files = candidateFiles(form.rules.value);
  const button = form.querySelector('[data-action="run"]');
  const busy = form.querySelector('[data-field="bt-busy"]');
  state.running = true;
  button.disabled = true;
  busy.hidden = false;
  form.closest('.bt-panel').setAttribute('aria-busy', 'true');
  try {
    const out = await api('/rules/backtest', {
      method: 'POST',
      body: { from, to, unit: form.unit.value || undefined, rules: files.map(f => ({ name: f.name, text: f.text })), lang },
    });
    state.result = { out, partial: source() === 'none' || !runningBlock(state.open.name).file, unit: form.unit.value };
    drawResult();
  } catch (e) {
    // Each refusal next to what it is about: the rules under the text box, the window by its
    // dates (a start before the kept history is the server's `at`), the rest under the button.
    const field = e?.field === 'at' ? 'from' : e?.field;
    if (field === 'rules') setErrors(form, { rules: rulesErrorNode(e, files) });
    else if (field === 'from' || field === 'to') setErrors(form, { [field]: errorText(e) });
    else setErrors(form, { '': errorText(e) });
  } finally {
    state.running = false;
    button.disabled = false;
    busy.hidden = true;
    form.closest('.bt-panel')?.removeAttribute('aria-busy');
  }
}

// ---- the answer ------------------------------------------------------------------------------

const ROWS = [
  ['fires', 'bt.side.fires', fmt.int],
  ['red', 'bt.side.red', fmt.int],
  ['yellow', 'bt.side.yellow', fmt.int],
  ['hours_in_red', 'bt.side.hours_in_red', x => fmt.dec1(x)],
  ['flapping_series', 'bt.side.flapping', fmt.int],
];

function change(a, b, f) {
  const d = b - a;
  if (!d) return `<span class="quiet-n">${esc(t('bt.same'))}</span>`;
  return `<span class="${d < 0 ? 'c-green' : 'c-red'}">${esc(d > 0 ? '+' : '−')}${esc(f(Math.abs(d)))}</span>`;
}

function drawResult() {
  const panel = state.open?.panel;
  const box = panel?.querySelector('[data-field="bt-result"]');
  if (!box || !state.result) return;
  const { out, partial } = state.result;
  const r = out.report;
  const units = state.units || new Map();
  const metrics = new Map((state.rules?.rules || []).map(x => [x.name, x.metric]));
  const svg = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(out.chart_svg || '')}`;
  const sides = ROWS.map(([k, label, f]) => `<tr data-row="${k}"><th scope="row">${esc(t(label))}</th>
    <td class="num" data-field="running">${esc(f(r.running[k]))}</td><td class="num" data-field="candidate">${esc(f(r.candidate[k]))}</td>
    <td class="num">${change(r.running[k], r.candidate[k], f)}</td></tr>`).join('');
  // The tried rule first, then those whose fires changed, then the rest.
  const rules = [...r.rules].sort((a, b) => (b.rule === state.open.name) - (a.rule === state.open.name)
    || (Math.abs(b.candidate - b.running) - Math.abs(a.candidate - a.running)) || b.running - a.running);
  const ruleRows = rules.map(l => `<tr data-rule="${esc(l.rule)}"${l.rule === state.open.name ? ' class="bt-tried"' : ''}>
    <th scope="row"><span title="${esc(l.rule)}">${esc(ruleLabel(l.rule, metrics.get(l.rule)))}</span> <span class="code">${esc(l.rule)}</span></th>
    <td class="num" data-field="running">${esc(fmt.int(l.running))}</td><td class="num" data-field="candidate">${esc(fmt.int(l.candidate))}</td>
    <td class="num" data-field="arrow">${esc(fmt.int(l.running))} → ${esc(fmt.int(l.candidate))}</td></tr>`).join('');
  const shown = r.differing.slice(0, DIFFERING_SHOWN);
  const more = r.differing_total - shown.length;
  const diff = shown.map(d => {
    const vt = valueAgainstThreshold({ metric: metrics.get(d.rule), value: d.value, threshold: d.threshold });
    return `<li data-only-in="${esc(d.only_in)}" data-severity="${esc(d.severity)}" data-at="${esc(d.at)}">
      <span class="sev" title="${esc(t(`band.${d.severity}`))}"></span>
      <div><div class="bt-d-head"><time datetime="${esc(d.at)}" data-field="at">${esc(momentText(d.at))}</time>
        <span class="chip bt-side-${esc(d.only_in)}" data-field="only-in">${esc(t(`bt.only.${d.only_in}`))}</span>
        <span class="chip band-${esc(d.severity)}">${esc(t(`band.${d.severity}`))}</span></div>
      <div data-field="summary">${esc(lang === 'en' ? d.summary_en || d.summary_vi : d.summary_vi || d.summary_en)}</div>
      <div class="alert-meta">${vt ? `<span data-field="value">${esc(vt)}</span>` : ''}<span>${esc(units.get(d.unit)?.name || d.unit)}</span></div></div></li>`;
  }).join('');
  box.innerHTML = `<h4>${esc(t('bt.result.title', { from: momentText(r.from), to: momentText(r.to) }))}</h4>
    ${partial ? `<p class="bt-warn" data-field="bt-partial">${esc(t('bt.result.partial'))}</p>` : ''}
    <figure class="bt-chart" data-field="bt-chart"><img src="${esc(svg)}" alt="${esc(t('bt.chart.alt'))}"></figure>
    <div class="bt-tables">
      <div class="table-wrap"><table class="bt-sides" data-field="bt-sides"><thead><tr><th></th><th class="num">${esc(t('bt.running'))}</th><th class="num">${esc(t('bt.candidate'))}</th><th class="num">${esc(t('bt.change'))}</th></tr></thead><tbody>${sides}</tbody></table></div>
      <div class="table-wrap"><table class="bt-rule-table" data-field="bt-rules"><thead><tr><th>${esc(t('bt.rule'))}</th><th class="num">${esc(t('bt.running'))}</th><th class="num">${esc(t('bt.candidate'))}</th><th class="num">${esc(t('bt.fires'))}</th></tr></thead>
        <tbody>${ruleRows || `<tr><td colspan="4" class="quiet">${esc(t('bt.rules.none'))}</td></tr>`}</tbody></table></div>
    </div>
    <h4 data-field="bt-differing-title">${esc(r.differing_total ? t('bt.differing.title', { n: fmt.int(r.differing_total) }) : t('bt.differing.none'))}</h4>
    ${r.differing_total ? `<ol class="bt-differing" data-field="bt-differing">${diff}</ol>` : ''}
    ${more > 0 ? `<p class="quiet" data-field="bt-more">${esc(t('bt.differing.more', { n: fmt.int(more) }))}</p>` : ''}`;
  box.hidden = false;
  box.dataset.differingTotal = String(r.differing_total);
}

// ---- adopting ----------------------------------------------------------------------------------

/** The candidate file that holds the rule, as the administrator would put it on the server. */
function download(form) {
  const files = candidateFiles(form.rules.value);
  const main = files.find(f => f.main);
  const name = main.name === 'candidate.toml' ? `${state.open.name}.toml` : baseName(main.name);
  const url = URL.createObjectURL(new Blob([main.text], { type: 'application/toml;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The existing reload (admin of the whole tree, audited): the server re-reads its files. */
async function reload(panel) {
  const b = panel.querySelector('[data-action="reload"]');
  const out = panel.querySelector('[data-field="bt-reload-result"]');
  b.disabled = true;
  try {
    const r = await api('/rules/reload', { method: 'POST' });
    out.className = 'asof';
    out.textContent = t('bt.reload.done', { n: fmt.int(r?.reloaded ?? 0) });
    // The list shows what now runs.
    state.rules = await api('/rules');
    useServerFiles();
    drawList();
  } catch (e) {
    out.className = 'error';
    out.textContent = errorText(e);
  } finally {
    out.hidden = false;
    b.disabled = false;
  }
}

onLangChange(() => {
  if (!state.rules) return;
  const panel = state.open?.panel;
  if (!panel) { drawList(); return; }
  // The panel's own words are redrawn; what the reader typed and picked stays.
  const form = panel.querySelector('form');
  const kept = { text: form.rules.value, from: form.from.value, to: form.to.value, unit: form.unit.value };
  panel.innerHTML = panelHtml(state.rules.rules.find(x => x.name === state.open.name));
  const f = wirePanel(panel);
  f.rules.value = kept.text;
  fillUnits(f);
  f.unit.value = kept.unit;
  f.from.value = kept.from;
  f.to.value = kept.to;
  f.rules.rows = Math.min(30, Math.max(8, kept.text.split('\n').length + 2));
  quietly(fillWindow(f));
  drawSource(f, runningBlock(state.open.name).file);
  drawList();
  drawResult();
});
