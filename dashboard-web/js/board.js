// board.js — owns the pieces the city board, the unit board and the wall share: the headline
// figure cards, the four index-group cards, the grid of unit tiles (built once, then updated
// tile by tile) and the "worst units" ranking.

import { t, fmt, levelName, groupName, GROUPS } from '/js/i18n.js';
import { esc, unitHref, setText, setBand, href } from '/js/dom.js';
import { alertCountHtml } from '/js/alertview.js';

export const scoreOf = line => (typeof line?.score?.value === 'number' ? line.score.value : null);
export const bandOf = line => line?.score?.band || 'no_data';

const DEPT_LEVELS = new Set(['department', 'agency']);
const WARD_LEVELS = new Set(['ward', 'commune']);
export const sectionOf = level => (DEPT_LEVELS.has(level) ? 'departments' : WARD_LEVELS.has(level) ? 'wards'
  : level === 'division' ? 'divisions' : 'others');
/** The tile sections, in order: the unit's own work first, then its children by level. */
const SECTIONS = ['own', 'departments', 'wards', 'divisions', 'others'];

// ---- headline figures ------------------------------------------------------------------------

/**
 * The summary cards of a unit view; built once, `update(summary)` rewrites only changed text.
 * The last card is the one alert count (`setAlerts(view.alerts)`), a link to the alert center
 * when `alertsUnit` is given (not on the wall, which has no links).
 */
export class Figures {
  constructor(el, { alertsUnit = null, past = false } = {}) {
    this.el = el;
    this.alertsUnit = alertsUnit;
    // A past view (past.js): the alert card is no link (the alert center is live) and a view
    // without an alert count says so rather than waiting for one.
    this.past = past;
    this.build();
  }

  build() {
    const card = (field, label, extra = '') => `<div class="fig" data-fig="${field}"><span class="fig-label">${esc(label)}</span><b data-field="${field}">—</b>${extra}</div>`;
    const alerts = this.alertsUnit == null || this.past
      ? `<div class="fig fig-alerts" data-fig="alerts"></div>`
      : `<a class="fig fig-alerts" data-fig="alerts" href="${esc(href('/alerts.html', { unit: this.alertsUnit }))}"></a>`;
    this.el.innerHTML = [
      card('unit-score', t('fig.score')),
      card('unit-open', t('fig.open')),
      card('unit-overdue', t('fig.overdue'), '<small data-field="unit-overdue-ratio"></small>'),
      card('unit-on-time', t('fig.on_time_rate')),
      card('unit-progress', t('fig.avg_progress')),
      `<div class="fig" data-fig="kpis"><span class="fig-label">${esc(t('fig.kpis_rgy'))}</span><b><span class="c-red" data-field="kpi-red">—</span> / <span class="c-yellow" data-field="kpi-yellow">—</span> / <span class="c-green" data-field="kpi-green">—</span></b></div>`,
      card('unit-satisfaction', t('fig.satisfaction')),
      card('unit-people', t('fig.people')),
      alerts,
    ].join('');
    this.refs = {};
    for (const n of this.el.querySelectorAll('[data-field]')) this.refs[n.dataset.field] = n;
    this.scoreCard = this.el.querySelector('[data-fig="unit-score"]');
    this.alertCard = this.el.querySelector('[data-fig="alerts"]');
    this.alertHtml = null;
    if (this.last) this.update(this.last);
    this.setAlerts(this.lastAlerts ?? null);
  }

  update(summary) {
    if (!summary) return;
    this.last = summary;
    const r = this.refs, tk = summary.tasks || {}, k = summary.kpis?.total || {};
    setText(r['unit-score'], fmt.dec1(summary.score?.value));
    setBand(this.scoreCard, summary.score?.band);
    setText(r['unit-open'], fmt.int(tk.open));
    setText(r['unit-overdue'], fmt.int(tk.overdue));
    setText(r['unit-overdue-ratio'], tk.overdue_ratio == null ? '' : ` ${fmt.pct(tk.overdue_ratio)}`);
    setText(r['unit-on-time'], fmt.pct(tk.on_time_rate));
    setText(r['unit-progress'], fmt.progress(tk.avg_progress));
    setText(r['kpi-red'], fmt.int(k.red));
    setText(r['kpi-yellow'], fmt.int(k.yellow));
    setText(r['kpi-green'], fmt.int(k.green));
    setText(r['unit-satisfaction'], summary.satisfaction?.average == null ? '—' : fmt.num(summary.satisfaction.average));
    setText(r['unit-people'], fmt.int(summary.people));
  }

  /**
   * The one alert count (a unit view's `alerts`), null before it is known; on a past view null
   * means the view has none (the alerts of a past moment may not be kept): a dash that says so.
   */
  setAlerts(count) {
    this.lastAlerts = count;
    const html = this.past && count == null ? pastAlertsHtml() : alertCountHtml(count);
    if (html !== this.alertHtml) { this.alertCard.innerHTML = html; this.alertHtml = html; }
  }
}

/** The alert card of a past view without an alert count: a dash, and why in words. */
const pastAlertsHtml = () => `<span class="fig-label">${esc(t('alerts.count.label'))}</span>
  <b title="${esc(t('past.alerts.title'))}" data-field="alerts-past" aria-label="${esc(t('past.alerts.title'))}">—</b>
  <small>${esc(t('past.alerts.note'))}</small>`;

// ---- index groups ------------------------------------------------------------------------------

/** The four index groups with their green/yellow/red/no-data counts and a stacked bar. */
export class GroupCards {
  constructor(el) {
    this.el = el;
    this.build();
  }

  build() {
    this.el.innerHTML = GROUPS.map(g => `<div class="group" data-group="${g}">
      <div class="group-name">${esc(groupName(g))}</div>
      <div class="group-bar"><i class="g"></i><i class="y"></i><i class="r"></i><i class="n"></i></div>
      <div class="group-counts">${['green', 'yellow', 'red', 'no_data'].map(b => `<span class="${b === 'no_data' ? 'c-none' : `c-${b}`}"><b data-field="${b}">—</b> <small>${esc(t(`band.short.${b}`))}</small></span>`).join('')}</div>
    </div>`).join('');
    this.refs = new Map();
    for (const g of GROUPS) {
      const box = this.el.querySelector(`[data-group="${g}"]`);
      const bar = box.querySelectorAll('.group-bar i');
      const f = {};
      for (const n of box.querySelectorAll('[data-field]')) f[n.dataset.field] = n;
      this.refs.set(g, { bar, f, key: '' });
    }
    if (this.last) this.update(this.last);
  }

  update(kpis) {
    if (!kpis) return;
    this.last = kpis;
    for (const g of GROUPS) {
      const c = kpis[g] || {};
      const ref = this.refs.get(g);
      const key = `${c.green}|${c.yellow}|${c.red}|${c.no_data}`;
      if (ref.key === key) continue;
      ref.key = key;
      const parts = [c.green || 0, c.yellow || 0, c.red || 0, c.no_data || 0];
      parts.forEach((n, i) => { ref.bar[i].style.flexGrow = String(n); });
      for (const b of ['green', 'yellow', 'red', 'no_data']) {
        setText(ref.f[b], fmt.int(c[b] ?? 0));
        ref.f[b].title = `${t(`band.${b}`)}: ${fmt.int(c[b] ?? 0)}`;
      }
    }
  }
}

// ---- unit tiles ---------------------------------------------------------------------------------

/**
 * The grid of unit tiles: one per child unit, and one for the unit's own work (`own`: its own
 * tasks, people and series, not its children's) so the tiles add up to the unit's figures.
 * `build(children, own)` draws every tile once and remembers each tile's elements by unit id;
 * `update(line)` rewrites only what changed on one tile. A name runs to two lines; a name that
 * still does not fit shows the unit's `short_name` when the org data gives one (full name in
 * the tooltip).
 */
export class TileGrid {
  constructor(el, { sections = true, sort = 'name', filter = 'all', limit = null } = {}) {
    this.el = el;
    this.sections = sections;
    this.sort = sort;
    this.filter = filter;
    this.limit = limit;
    this.tiles = new Map();
    this.ownTile = null;
    this.lastWeek = new Map();
    this.query = '';
    // A window of another width wraps names differently: fit them again (once it settles).
    let timer = null;
    addEventListener('resize', () => { clearTimeout(timer); timer = setTimeout(() => this.fitNames(), 150); });
  }

  /** Scores of a week ago by unit id (from the review), for each tile's trend arrow. */
  setLastWeek(map) {
    this.lastWeek = map;
    for (const tile of this.allTiles()) this.writeTrend(tile, tile.line);
  }

  *allTiles() {
    if (this.ownTile) yield this.ownTile;
    yield* this.tiles.values();
  }

  sorted(children) {
    const list = [...children];
    const name = (a, b) => a.unit.name.localeCompare(b.unit.name, 'vi');
    const s = x => scoreOf(x) ?? Infinity;
    if (this.sort === 'score_asc') list.sort((a, b) => s(a) - s(b) || name(a, b));
    else if (this.sort === 'score_desc') list.sort((a, b) => (scoreOf(b) ?? -1) - (scoreOf(a) ?? -1) || name(a, b));
    else if (this.sort === 'overdue') list.sort((a, b) => (b.overdue ?? 0) - (a.overdue ?? 0) || name(a, b));
    else list.sort(name);
    return list;
  }

  build(children, own = this.own) {
    this.children = children;
    this.own = own ?? null;
    this.tiles.clear();
    this.ownTile = null;
    // Without sections (the wall) the own line takes its place in the order like any other.
    const all = this.sections ? (children || []) : [...(children || []), ...(this.own ? [this.own] : [])];
    const list = this.sorted(all);
    const shown = this.limit == null ? list : list.slice(0, Math.max(0, this.limit - (this.sections && this.own ? 1 : 0)));
    const groups = Object.fromEntries(SECTIONS.map(k => [k, []]));
    if (this.sections && this.own) groups.own.push(this.own);
    for (const c of shown) {
      const sec = c === this.own ? 'own' : this.sections ? sectionOf(c.unit.level) : 'others';
      (this.sections ? groups[sec] : groups.others).push(c);
    }
    const html = [];
    for (const sec of SECTIONS) {
      const lines = groups[sec];
      if (lines.length === 0) continue;
      const count = sec === 'own' ? '' : ` <small>${esc(fmt.int(lines.length))}</small>`;
      const head = this.sections ? `<h3 class="tiles-head">${esc(t(`city.${sec}`))}${count}</h3>` : '';
      html.push(`<section class="tiles-section" data-section="${sec}">${head}<div class="tiles">${lines.map(c => this.tileHtml(c, c === this.own)).join('')}</div></section>`);
    }
    this.el.innerHTML = html.join('') || `<p class="quiet">${esc(t('city.no_children'))}</p>`;
    const byId = new Map(shown.map(c => [c.unit.id, c]));
    for (const a of this.el.querySelectorAll('.tile')) {
      const isOwn = a.dataset.own != null;
      const line = isOwn ? this.own : byId.get(a.dataset.unit);
      const tile = {
        el: a,
        nameEl: a.querySelector('[data-field="name"]'),
        score: a.querySelector('[data-field="score"]'),
        trend: a.querySelector('[data-field="trend"]'),
        overdue: a.querySelector('[data-field="overdue"]'),
        open: a.querySelector('[data-field="open"]'),
        kr: a.querySelector('[data-field="kpi-red"]'),
        ky: a.querySelector('[data-field="kpi-yellow"]'),
        kg: a.querySelector('[data-field="kpi-green"]'),
        line,
        own: isOwn,
        name: `${line.unit.name} ${line.unit.short_name || ''}`.toLowerCase(),
      };
      if (isOwn) this.ownTile = tile; else this.tiles.set(a.dataset.unit, tile);
      this.write(tile, line);
    }
    this.applyFilter();
    this.fitNames();
  }

  tileHtml(c, own = false) {
    const id = c.unit.id;
    // The level is in the tooltip (a section heading and the name itself say it: "Sở …",
    // "Phường …"); the own tile says what it is instead.
    const title = own ? t('city.own.title', { name: c.unit.name }) : `${c.unit.name} (${levelName(c.unit.level)})`;
    // The unit's own tile is not a link: it is this unit, whose board is the page (or one
    // click away in the breadcrumb); children link to their boards.
    const tag = own ? 'div' : 'a';
    const attrs = own ? ' data-own=""' : ` href="${esc(unitHref(id))}"`;
    return `<${tag} class="tile${own ? ' tile-own' : ''} band-${esc(bandOf(c))}" data-unit="${esc(id)}" data-id="${esc(id)}" data-section="${own ? 'own' : sectionOf(c.unit.level)}"${attrs} title="${esc(title)}">
      <span class="tile-head"><span class="tile-name" data-field="name">${esc(c.unit.name)}</span>${own ? `<span class="tile-level">${esc(t('city.own.tag'))}</span>` : ''}</span>
      <span class="tile-main"><span class="tile-score" data-field="score"></span><span class="tile-trend" data-field="trend"></span><span class="stat kpi" title="${esc(t('tile.kpis.title'))}"><span class="lbl">${esc(t('tile.kpis'))}</span><span class="c-red" data-field="kpi-red"></span><span class="c-yellow" data-field="kpi-yellow"></span><span class="c-green" data-field="kpi-green"></span></span></span>
      <span class="tile-stats"><span class="stat"><span class="lbl">${esc(t('tile.overdue'))}</span><b data-field="overdue"></b></span><span class="stat"><span class="lbl">${esc(t('tile.open'))}</span><b data-field="open"></b></span></span>
    </${tag}>`;
  }

  /**
   * Names run to two lines; where the full name still does not fit and the unit has a short
   * name, the tile shows that. Writes every full name first and then reads all sizes at once
   * (one layout), then writes the short names: no read-write-read per tile.
   */
  fitNames() {
    const withShort = [...this.allTiles()].filter(x => x.line?.unit?.short_name && x.nameEl && !x.el.hidden);
    for (const x of withShort) setText(x.nameEl, x.line.unit.name);
    const over = withShort.filter(x => x.nameEl.scrollHeight > x.nameEl.clientHeight + 1);
    for (const x of over) setText(x.nameEl, x.line.unit.short_name);
  }

  /** Rewrites one tile from its (already patched) line. False if the unit has no tile. */
  update(line) {
    const tile = this.tiles.get(line.unit.id);
    if (!tile) return false;
    tile.line = line;
    this.write(tile, line);
    return true;
  }

  /**
   * Takes the view's (patched) own line and rewrites its tile; true when the line came or went
   * (a unit's first child, or its last), which needs a rebuild.
   */
  setOwn(own) {
    const had = this.own != null;
    this.own = own ?? null;
    if (had !== (this.own != null)) return true;
    if (this.ownTile && this.own) {
      this.ownTile.line = this.own;
      this.write(this.ownTile, this.own);
    }
    return false;
  }

  write(tile, line) {
    setBand(tile.el, bandOf(line));
    setText(tile.score, fmt.dec1(scoreOf(line)));
    setText(tile.overdue, fmt.int(line.overdue));
    tile.overdue.classList.toggle('hot', (line.overdue ?? 0) > 0);
    setText(tile.open, fmt.int(line.tasks_open));
    setText(tile.kr, fmt.int(line.kpis?.red ?? 0));
    setText(tile.ky, fmt.int(line.kpis?.yellow ?? 0));
    setText(tile.kg, fmt.int(line.kpis?.green ?? 0));
    this.writeTrend(tile, line);
  }

  writeTrend(tile, line) {
    const before = tile.own ? undefined : this.lastWeek.get(line.unit.id);
    const now = scoreOf(line);
    if (typeof before !== 'number' || now == null) {
      setText(tile.trend, '');
      return;
    }
    const d = Math.round((now - before) * 10) / 10;
    const dir = d >= 0.5 ? 'up' : d <= -0.5 ? 'down' : 'flat';
    setText(tile.trend, `${dir === 'up' ? '▲' : dir === 'down' ? '▼' : '▬'} ${fmt.delta(d)}`);
    if (tile.trend.dataset.dir !== dir) tile.trend.dataset.dir = dir;
  }

  /** Empties the grid without a word (a board whose data is not known: no "no sub-units"). */
  clear() {
    this.children = [];
    this.own = null;
    this.ownTile = null;
    this.tiles.clear();
    this.el.innerHTML = '';
  }

  /** Shows only tiles of the chosen section whose name contains the query; no rebuild. */
  applyFilter() {
    const q = this.query.trim().toLowerCase();
    for (const sec of this.el.querySelectorAll('.tiles-section')) {
      // The unit's own work shows with "all" only: it is neither a department nor a ward.
      const show = this.filter === 'all' || sec.dataset.section === this.filter;
      if (sec.hidden === show) sec.hidden = !show;
    }
    for (const tile of this.allTiles()) {
      const hide = q !== '' && !tile.name.includes(q);
      if (tile.el.hidden !== hide) tile.el.hidden = hide;
    }
  }
}

// ---- worst units ---------------------------------------------------------------------------------

/** The n lowest-scoring children (units without a score left out), worst first. */
export function worstUnits(children, n) {
  return (children || [])
    .filter(c => scoreOf(c) != null)
    .sort((a, b) => scoreOf(a) - scoreOf(b) || (b.overdue ?? 0) - (a.overdue ?? 0))
    .slice(0, n);
}

/** Draws the worst-units list into `el` only when what it would show changed. */
export function renderWorst(el, children, n, state = {}) {
  const list = worstUnits(children, n);
  const key = list.map(c => `${c.unit.id}:${scoreOf(c)}:${c.overdue}`).join(',');
  if (state.key === key && state.lang === document.documentElement.lang) return state;
  state.key = key;
  state.lang = document.documentElement.lang;
  el.innerHTML = list.length === 0
    ? `<li class="quiet">${esc(t('common.no_data'))}</li>`
    : list.map(c => `<li data-id="${esc(c.unit.id)}" class="band-${esc(bandOf(c))}"><a href="${esc(unitHref(c.unit.id))}"><span class="w-name" title="${esc(c.unit.name)}">${esc(c.unit.short_name || c.unit.name)}</span><span class="w-score">${esc(fmt.dec1(scoreOf(c)))}</span><span class="w-overdue" title="${esc(t('fig.overdue'))}">${esc(fmt.int(c.overdue))}</span></a></li>`).join('');
  return state;
}
