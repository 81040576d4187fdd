// banner.js — owns the connection banners of a live page: #banner while the link is down (with
// since when), #stale-banner while the data is stale (nothing from the server, the server's
// own data clock lagging, or, with several servers, this one behind the writer), and the
// live/offline dot of the nav bar.

import { t, fmt } from '/js/i18n.js';
import { quietly } from '/js/dom.js';
import { dashboardConfig } from '/js/api.js';
import { PING_EVERY_MS } from '/js/live.js';

/**
 * Keeps #banner (link down) and #stale-banner (data stale) in step with a Live client, checked
 * every second so a silent link is noticed without any message arriving. Stale means either
 * nothing from the server (no frame, no pong) for `stale_after_seconds` (30 by default, from
 * /api/v1/dashboard), or the server saying in its pong that its data clock is that far behind
 * its wall clock: the link is up but the numbers stopped moving (a stalled writer or database).
 */
export function wireBanners(live) {
  let staleMs = 30_000;
  quietly(dashboardConfig().then(c => { staleMs = c.stale_after_seconds * 1000; }));
  const banner = document.getElementById('banner');
  const stale = document.getElementById('stale-banner');
  const dot = () => document.getElementById('conn-state');
  const update = () => {
    const s = live.status();
    const lastData = Math.max(s.lastFrameAt || 0, s.lastPongAt || 0);
    if (banner) {
      // Down once a connection failed or was lost; the first connect of a page is not an outage.
      const down = s.downSince != null;
      if (banner.hidden !== !down) banner.hidden = !down;
      if (down) {
        const text = s.downSince ? t('conn.down.since', { time: fmt.timeSec(s.downSince) }) : t('conn.down');
        if (banner.textContent !== text) banner.textContent = text;
      }
    }
    if (stale) {
      // Nothing (no frame, no pong) for 30 s: whatever is on screen may be out of date. Also
      // shown during an outage longer than that, beside #banner, so a wall says both.
      // Pongs come once per ping period, so silence only counts beyond one period on top.
      const silent = lastData > 0 && Date.now() - lastData > staleMs + PING_EVERY_MS;
      const lagging = s.open && s.dataLagMs != null && s.dataLagMs > staleMs;
      // Several servers: the one this screen talks to says it is behind the writer.
      const behind = s.open && !!s.dataBehind;
      const isStale = silent || lagging || behind;
      if (stale.hidden !== !isStale) stale.hidden = !isStale;
      if (isStale) {
        // The server's own word on its data is the more precise one.
        const text = behind
          ? t('conn.behind', { time: fmt.timeSec(Date.parse(s.dataAsOf)) })
          : lagging
          ? t('conn.lagging', { time: fmt.timeSec(Date.parse(s.dataAsOf)) })
          : t('conn.stale', { time: fmt.timeSec(lastData) });
        if (stale.textContent !== text) stale.textContent = text;
      }
    }
    const d = dot();
    if (d) {
      d.hidden = false;
      d.className = `conn ${s.open ? 'up' : s.downSince ? 'down' : ''}`;
      const text = s.open ? t('conn.live') : t('conn.offline');
      if (d.textContent !== text) d.textContent = text;
    }
  };
  live.onStatus(update);
  setInterval(update, 1000);
  update();
}
