// charts.js — owns the small inline SVG figures drawn in the pages: the KPI sparkline and the
// progress bar with its pace marker. Geometry goes in SVG attributes, never in style="" (the
// Content-Security-Policy refuses inline styles).

import { t, fmt } from '/js/i18n.js';
import { esc } from '/js/dom.js';

/**
 * An inline SVG sparkline of [{value, status}] points, oldest first: the line, the last point
 * in its band's colour and, if given, the green threshold as a dashed line.
 */
export function sparkline(points, { width = 120, height = 32, target = null } = {}) {
  const vals = (points || []).filter(p => p && typeof p.value === 'number' && Number.isFinite(p.value));
  if (vals.length === 0) return `<svg class="spark" width="${width}" height="${height}" aria-hidden="true"></svg>`;
  const nums = vals.map(p => p.value);
  if (typeof target === 'number') nums.push(target);
  let lo = Math.min(...nums), hi = Math.max(...nums);
  if (hi === lo) { hi += 1; lo -= 1; }
  const pad = 3;
  const x = i => (vals.length === 1 ? width / 2 : pad + (i * (width - 2 * pad)) / (vals.length - 1));
  const y = v => pad + (1 - (v - lo) / (hi - lo)) * (height - 2 * pad);
  const pts = vals.map((p, i) => `${x(i).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
  const last = vals[vals.length - 1];
  const tline = typeof target === 'number'
    ? `<line class="spark-target" x1="0" x2="${width}" y1="${y(target).toFixed(1)}" y2="${y(target).toFixed(1)}"/>` : '';
  const dots = vals.map((p, i) => `<circle class="spark-dot band-${esc(p.status || 'no_data')}" cx="${x(i).toFixed(1)}" cy="${y(p.value).toFixed(1)}" r="${i === vals.length - 1 ? 3 : 1.6}"/>`).join('');
  return `<svg class="spark" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(fmt.num(last.value))}">${tline}<polyline points="${pts}"/>${dots}</svg>`;
}

/**
 * A 0..1 progress bar with an optional pace marker (where progress should be by now). Drawn as
 * SVG with geometry attributes: a width in a style="" attribute is an inline style, which the
 * Content-Security-Policy refuses. The bar stretches to its box (preserveAspectRatio none);
 * the pace line keeps 2 px whatever the stretch (non-scaling stroke).
 */
export function progressBar(progress, expected) {
  const p = Math.max(0, Math.min(1, progress ?? 0));
  const e = expected == null ? null : Math.max(0, Math.min(1, expected));
  const band = e == null ? 'no_data' : p >= e ? 'green' : p >= e - 0.1 ? 'yellow' : 'red';
  const x = v => (v * 100).toFixed(1);
  const pace = e == null ? '' : `<line class="pbar-pace" x1="${x(e)}" x2="${x(e)}" y1="0" y2="16"><title>${esc(t('unit.okr.expected', { pct: fmt.pct0(e) }))}</title></line>`;
  return `<svg class="pbar band-${band}" viewBox="0 0 100 16" preserveAspectRatio="none" role="img" aria-label="${esc(fmt.pct0(p))}">`
    + `<rect class="pbar-track" x="0" y="3" width="100" height="10"/><rect class="pbar-fill" x="0" y="3" width="${x(p)}" height="10"/>${pace}</svg>`;
}
