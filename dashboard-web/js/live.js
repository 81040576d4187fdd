// live.js — owns the page's one WebSocket (LIVE.md): subscriptions to unit / kpis / person
// views kept current from snapshot + patches, the alert feed with resume by last id, the
// app-level ping, dead-link detection, reconnect with backoff and resubscription.
//
// The socket is authenticated by the session cookie, which the browser sends on the upgrade
// (same origin). It opens only after the page's session check, so a signed-out reader goes to
// the sign-in page instead of hammering /ws with refused upgrades.

import { sessionReady, checkSessionAfterSocketFailures, isLeaving } from '/js/session.js';

export const PING_EVERY_MS = 5_000;
const DEAD_AFTER_MS = 15_000;
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 10_000;

/** The key of a line in a keyed list of a view: an alert group's key, a child's unit id or a
 * KPI's code. */
const lineKey = line => line?.key ?? line?.unit?.id ?? line?.code;

/** The alert's identity across transitions and actions. */
export const alertKey = (rule, subject) => `${rule}|${subject}`;

/** The page's one socket, once started (the nav bar follows the reader's inbox over it). */
let current = null;
export const pageLive = () => current;

export class Live {
  constructor(url) {
    this.url = url || `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    this.views = new Map();
    this.feed = null;
    this.ws = null;
    this.open = false;
    this.backoff = BACKOFF_MIN_MS;
    this.retryTimer = null;
    this.lastMessageAt = 0;
    this.lastPongAt = 0;
    this.lastFrameAt = 0;
    this.unansweredPingAt = 0;
    this.lastPingAt = 0;
    this.nonce = 0;
    this.downSince = null;
    this.hello = null;
    this.statusListeners = new Set();
    this.started = false;
    // Upgrades that failed in a row (closed before they opened): several mean either a server
    // that is down or a session that ended, which only a REST call can tell apart.
    this.failedOpens = 0;
  }

  /** Opens the socket (once); everything watched before or after is (re)subscribed on open. */
  start() {
    if (this.started) return this;
    this.started = true;
    current ??= this;
    // sessionReady() never settles when the page is leaving for sign-in; null (server not
    // reachable) still connects, so the usual retry and banner take over.
    sessionReady().then(() => this.connect(), () => this.connect());
    // One timer for pings and the dead-link check; 1 s granularity is plenty for 5 s / 15 s.
    setInterval(() => this.heartbeat(), 1000);
    addEventListener('online', () => { if (!this.open) this.reconnectNow(); });
    return this;
  }

  status() {
    return {
      open: this.open,
      downSince: this.downSince,
      lastMessageAt: this.lastMessageAt,
      lastPongAt: this.lastPongAt,
      lastFrameAt: this.lastFrameAt,
      // From the last pong: the server's data clock, and (system clock only) how far it is
      // behind the server's wall clock: a stalled writer or store, while the link is fine.
      dataAsOf: this.dataAsOf,
      dataLagMs: this.dataLagMs,
      // With several servers: this one has fallen behind the one that writes (its reason).
      dataBehind: this.dataBehind,
    };
  }

  onStatus(fn) { this.statusListeners.add(fn); }

  // ---- views -------------------------------------------------------------------------------

  /**
   * Follows a view. `fn(sub, change)` is called after each frame is applied: change.type is
   * 'view' (whole snapshot), 'patch' (change.data is the patch's data, change.applyMs what
   * applying it cost) or 'error'
   * (change.code/message). `sub.data` is the current view, `sub.lastFrameAt` its age.
   */
  watch(view, id, fn) {
    const key = `${view}:${id}`;
    let sub = this.views.get(key);
    if (!sub) {
      sub = { view, id, key, seq: null, data: null, lastFrameAt: 0, listeners: new Set(), index: {}, resyncing: false, error: null };
      this.views.set(key, sub);
      this.sendSubscribe(sub);
    }
    if (fn) sub.listeners.add(fn);
    return {
      sub,
      stop: () => {
        if (fn) sub.listeners.delete(fn);
        if (sub.listeners.size === 0) {
          this.views.delete(key);
          if (this.open) this.send({ op: 'unsubscribe', view, id });
        }
      },
    };
  }

  sendSubscribe(sub) {
    sub.resyncing = true;
    if (this.open) this.send({ op: 'subscribe', view: sub.view, id: sub.id });
  }

  // ---- alert feed --------------------------------------------------------------------------

  /**
   * Follows the alert feed of a unit's subtree (one per connection, as the server allows).
   * `fn(change)`: {type:'reset'} when a fresh snapshot replaced everything, {type:'entry',
   * entry, key, alert} per transition or action (alert null once resolved), {type:'caught_up'},
   * {type:'error', code, message}. The live alerts are `feed.alerts` (Map key -> alert, the
   * REST shape of GET /api/v1/alerts), `feed.synced` once a snapshot or a replay completed.
   */
  watchAlerts(id, fn) {
    this.feed = { id, lastId: 0, alerts: new Map(), building: null, synced: false, hadSnapshot: false, listeners: new Set(fn ? [fn] : []) };
    this.sendAlertSubscribe();
    return this.feed;
  }

  sendAlertSubscribe() {
    const f = this.feed;
    if (!f || !this.open) return;
    f.synced = false;
    // Resume only when there is something to resume from; else a snapshot is the whole truth.
    if (f.hadSnapshot) this.send({ op: 'subscribe', view: 'alerts', id: f.id, after: f.lastId });
    else this.send({ op: 'subscribe', view: 'alerts', id: f.id });
  }

  // ---- connection --------------------------------------------------------------------------

  connect() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      if (ws !== this.ws) return;
      opened = true;
      this.failedOpens = 0;
      this.open = true;
      this.downSince = null;
      const now = Date.now();
      this.lastMessageAt = now;
      this.unansweredPingAt = 0;
      for (const sub of this.views.values()) this.sendSubscribe(sub);
      this.sendAlertSubscribe();
      this.emitStatus();
    };
    ws.onmessage = e => {
      if (ws !== this.ws) return;
      this.lastMessageAt = Date.now();
      this.unansweredPingAt = 0;
      let m;
      try { m = JSON.parse(e.data); } catch { return; }
      this.dispatch(m);
    };
    ws.onclose = ev => {
      if (ws !== this.ws) return;
      // Refused upgrades in a row, or the server closing for a policy reason (a session that
      // ended): ask whether we are still signed in.
      if ((!opened && ++this.failedOpens >= 2) || ev.code === 1008) checkSessionAfterSocketFailures();
      this.drop();
    };
    ws.onerror = () => { /* onclose follows and handles it */ };
  }

  /** Forgets the current socket at once (not waiting for a close handshake) and retries. */
  drop() {
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try { ws.close(); } catch { /* already closing */ }
    }
    this.open = false;
    this.downSince ??= Date.now();
    for (const sub of this.views.values()) { sub.seq = null; sub.resyncing = true; }
    if (this.feed) { this.feed.synced = false; this.feed.building = null; }
    this.emitStatus();
    this.scheduleReconnect();
  }

  scheduleReconnect() {
    // Signing out or off to sign-in: a reconnect would only be refused (and logged).
    if (this.retryTimer || isLeaving()) return;
    const delay = this.backoff;
    this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX_MS);
    this.retryTimer = setTimeout(() => { this.retryTimer = null; this.connect(); }, delay);
  }

  reconnectNow() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.ws) this.drop(); else this.connect();
  }

  heartbeat() {
    if (!this.open || !this.ws) return;
    const now = Date.now();
    // Dead: silent for 15 s although a ping has been waiting for an answer. Requiring the
    // unanswered ping keeps a throttled background tab (timers once a minute) from flapping.
    if (now - this.lastMessageAt > DEAD_AFTER_MS && this.unansweredPingAt && now - this.unansweredPingAt > PING_EVERY_MS) {
      this.drop();
      return;
    }
    if (now - this.lastPingAt >= PING_EVERY_MS) {
      this.lastPingAt = now;
      if (!this.unansweredPingAt) this.unansweredPingAt = now;
      this.send({ op: 'ping', nonce: ++this.nonce });
    }
    this.emitStatus();
  }

  send(msg) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    try { this.ws.send(JSON.stringify(msg)); } catch { /* the close event follows */ }
  }

  emitStatus() {
    const s = this.status();
    for (const fn of this.statusListeners) fn(s);
  }

  // ---- messages ----------------------------------------------------------------------------

  dispatch(m) {
    switch (m.type) {
      case 'hello':
        this.hello = m;
        // A server that answers is a server that works: the next outage starts from 0.5 s.
        this.backoff = BACKOFF_MIN_MS;
        break;
      case 'pong':
        this.lastPongAt = Date.now();
        this.dataAsOf = m.as_of ?? null;
        this.dataLagMs = m.lag_ms ?? null;
        this.dataBehind = m.behind ?? null;
        break;
      case 'view':
        this.onView(m);
        break;
      case 'patch':
        this.onPatch(m);
        break;
      case 'subscribed_alerts':
        this.onSubscribedAlerts(m);
        break;
      case 'alert_snapshot':
        this.onAlertSnapshot(m);
        break;
      case 'alert':
        this.onAlert(m);
        break;
      case 'caught_up':
        if (this.feed && m.id === this.feed.id) {
          this.feed.lastId = Math.max(this.feed.lastId, m.last_id);
          this.feed.synced = true;
          this.notifyFeed({ type: 'caught_up' });
        }
        break;
      case 'error':
        this.onError(m);
        break;
      default:
        break; // subscribed, unsubscribed: nothing to do
    }
  }

  onView(m) {
    const sub = this.views.get(`${m.view}:${m.id}`);
    if (!sub) return;
    sub.data = m.data;
    sub.seq = m.seq;
    sub.index = {};
    sub.resyncing = false;
    sub.error = null;
    sub.lastFrameAt = this.lastFrameAt = Date.now();
    for (const fn of sub.listeners) fn(sub, { type: 'view' });
  }

  onPatch(m) {
    const sub = this.views.get(`${m.view}:${m.id}`);
    if (!sub) return;
    if (sub.resyncing) return; // a fresh snapshot is on its way
    const t0 = performance.now();
    if (sub.seq !== m.base || !sub.data || !applyPatch(sub, m.data)) {
      // Lost a frame or a line we do not know: only a new snapshot can fix it.
      this.sendSubscribe(sub);
      return;
    }
    sub.seq = m.seq;
    sub.lastFrameAt = this.lastFrameAt = Date.now();
    const applyMs = performance.now() - t0;
    for (const fn of sub.listeners) fn(sub, { type: 'patch', data: m.data, applyMs });
  }

  onError(m) {
    if (m.view === 'alerts' && this.feed) {
      if (m.code === 'after_ahead') {
        // The server's history is behind ours (a reset database): start over from a snapshot.
        this.feed.hadSnapshot = false;
        this.feed.lastId = 0;
        this.sendAlertSubscribe();
        return;
      }
      this.notifyFeed({ type: 'error', live: true, code: m.code, message: m.message, reason: m.reason ?? null, params: m.params ?? null, lang: m.lang ?? null });
      return;
    }
    if (m.view && m.id != null) {
      const sub = this.views.get(`${m.view}:${m.id}`);
      if (!sub) return;
      // `reason` and `params` once the server words its messages in the page's language.
      // A socket's words are in no language the page chose (it cannot send Accept-Language):
      // `live` lets errorText trust them only when they say their language (api.js).
      sub.error = { live: true, code: m.code, message: m.message, reason: m.reason ?? null, params: m.params ?? null, lang: m.lang ?? null };
      sub.resyncing = false;
      for (const fn of sub.listeners) fn(sub, { type: 'error', ...sub.error });
    }
  }

  onSubscribedAlerts(m) {
    const f = this.feed;
    if (!f || m.id !== f.id) return;
    // Without `after` a snapshot follows; collect it aside so the old state shows until done.
    f.building = f.hadSnapshot ? null : new Map();
    if (!f.hadSnapshot) f.lastId = Math.max(f.lastId, m.last_id);
  }

  onAlertSnapshot(m) {
    const f = this.feed;
    if (!f || m.id !== f.id) return;
    if (!f.building) f.building = new Map();
    for (const a of m.alerts) {
      a._v = 1;
      f.building.set(alertKey(a.rule, a.subject), a);
    }
    f.lastId = Math.max(f.lastId, m.last_id);
    if (!m.more) {
      f.alerts = f.building;
      f.building = null;
      f.hadSnapshot = true;
      f.synced = true;
      this.lastFrameAt = Date.now();
      this.notifyFeed({ type: 'reset' });
    }
  }

  onAlert(m) {
    const f = this.feed;
    if (!f) return;
    if (m.id <= f.lastId) return; // already reflected: ids only grow
    f.lastId = Math.max(f.lastId, m.id);
    const map = f.building || f.alerts;
    const key = alertKey(m.rule, m.subject);
    const alert = applyAlertEntry(map, key, m);
    this.lastFrameAt = Date.now();
    if (!f.building) this.notifyFeed({ type: 'entry', entry: m, key, alert });
  }

  notifyFeed(change) {
    if (!this.feed) return;
    for (const fn of this.feed.listeners) fn(change);
  }
}

/**
 * Applies a patch's data to a view in place (LIVE.md): plain keys replace the field whole,
 * `<field>_fields` sets the given fields on that object (into nested objects),
 * `<list>_changed` sets the given fields on the line with the same key (a child's `unit` is
 * only its key). Whole fields first, so
 * a list replaced and then changed in one patch ends right. False when a line is unknown.
 */
export function applyPatch(sub, data) {
  const view = sub.data;
  const changed = [];
  for (const k of Object.keys(data)) {
    if (k.endsWith('_changed')) changed.push(k);
    else if (k.endsWith('_fields')) {
      const field = k.slice(0, -'_fields'.length);
      if (!isObject(view[field])) return false;
      mergeFields(view[field], data[k]);
    } else {
      view[k] = data[k];
      if (sub.index[k]) delete sub.index[k];
    }
  }
  for (const k of changed) {
    const list = k.slice(0, -'_changed'.length);
    const lines = view[list];
    if (!Array.isArray(lines)) return false;
    let idx = sub.index[list];
    if (!idx || idx.list !== lines) {
      idx = { list: lines, byKey: new Map(lines.map(l => [lineKey(l), l])) };
      sub.index[list] = idx;
    }
    for (const part of data[k]) {
      const line = idx.byKey.get(lineKey(part));
      if (!line) return false;
      // A child's line names its unit by id only: the name stays as the line has it.
      for (const [f, v] of Object.entries(part)) if (!(f === 'unit' && list === 'children')) line[f] = v;
    }
  }
  return true;
}

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Sets `part`'s fields on `target`: nested objects field by field, anything else whole. */
function mergeFields(target, part) {
  for (const [k, v] of Object.entries(part)) {
    if (isObject(v) && isObject(target[k])) mergeFields(target[k], v);
    else target[k] = v;
  }
}

/** The line of a view's keyed list (children by unit id, kpis by code). */
export function lineOf(sub, list, key) {
  const lines = sub.data?.[list];
  if (!Array.isArray(lines)) return null;
  let idx = sub.index[list];
  if (!idx || idx.list !== lines) {
    idx = { list: lines, byKey: new Map(lines.map(l => [lineKey(l), l])) };
    sub.index[list] = idx;
  }
  return idx.byKey.get(key) ?? null;
}

const FIRING_KINDS = new Set(['pending', 'fired', 'severity_changed', 'escalated']);

/**
 * Folds one feed entry (a transition or an action, LIVE.md) into the map of live alerts kept
 * in the REST shape. Returns the alert after the entry, or null when it ended.
 */
export function applyAlertEntry(map, key, m) {
  const d = m.detail || {};
  if (m.kind === 'resolved' || m.kind === 'cancelled') {
    map.delete(key);
    return null;
  }
  let a = map.get(key);
  if (FIRING_KINDS.has(m.kind)) {
    if (!a) {
      a = {
        rule: m.rule, subject: m.subject, unit: m.unit, subject_kind: d.subject_kind ?? null,
        state: 'pending', severity: m.severity, value: null, active_since: m.at, fired_at: null,
        summary_vi: '', summary_en: '', labels: {}, acknowledged_by: null, acknowledged_at: null,
        ack_comment: null, assigned_to: null, escalated_at: null, silenced: false, _v: 0,
      };
      map.set(key, a);
    }
    a.severity = m.severity;
    if (m.kind === 'pending') { a.state = 'pending'; a.active_since = m.at; }
    else if (m.kind === 'fired') { a.state = 'firing'; a.fired_at = m.at; }
    else if (d.to === 'firing' || d.to === 'pending') a.state = d.to;
    if (m.kind === 'escalated') a.escalated_at = m.at;
    if (d.summary_vi) a.summary_vi = d.summary_vi;
    if (d.summary_en) a.summary_en = d.summary_en;
    if (d.labels) a.labels = d.labels;
    if ('value' in d) a.value = d.value;
    a._v++;
    return a;
  }
  // Actions carry the whole stored alert: take it as the truth, then the action's own fields.
  const s = d.alert;
  if (s?.engine) {
    const e = s.engine;
    a = Object.assign(a || { _v: 0, silenced: false }, {
      rule: e.rule ?? m.rule, subject: e.subject ?? m.subject, unit: e.unit ?? m.unit,
      subject_kind: e.subject_kind ?? null, state: e.state ?? a?.state ?? 'firing', severity: e.severity ?? m.severity,
      value: e.value ?? null, active_since: e.active_since ?? a?.active_since ?? m.at, fired_at: e.fired_at ?? null,
      summary_vi: s.summary_vi ?? a?.summary_vi ?? '', summary_en: s.summary_en ?? a?.summary_en ?? '',
      labels: s.labels ?? a?.labels ?? {}, ack_comment: s.ack_comment ?? null, assigned_to: s.assigned_to ?? null,
      escalated_at: e.escalated_at ?? null,
      acknowledged_by: e.acknowledged?.by ?? null, acknowledged_at: e.acknowledged?.at ?? null,
    });
    map.set(key, a);
  }
  if (!a) return null; // an action on an alert we never saw and cannot rebuild
  if (m.kind === 'acknowledged') {
    a.acknowledged_by = d.action?.by ?? a.acknowledged_by;
    a.acknowledged_at = a.acknowledged_at ?? m.at;
    if (d.action && 'comment' in d.action) a.ack_comment = d.action.comment;
  } else if (m.kind === 'assigned') {
    a.assigned_to = d.action?.person ?? a.assigned_to;
  }
  a._v++;
  return a;
}
