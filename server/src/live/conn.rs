//! One WebSocket connection: reads client messages (checked, scope-checked, passed to the hub)
//! and drains its outbox to the socket, pinging on a heartbeat. The two halves run in one task;
//! whichever ends first (client gone, idle, overflow, shutdown) ends the connection. A frame
//! larger than `FRAGMENT` goes out in fragments of that size, sliced from the one shared frame,
//! so no connection's write buffer grows to the size of the largest snapshot it ever sent.

use super::feed::FeedEntry;
use super::hub::HubCmd;
use super::outbox::{AlertOut, Drained, Outbox};
use super::protocol::{close, ClientMsg, ErrorCode, ServerMsg, ViewKind};
use super::{Live, Slot};
use crate::auth::{self, Denied, Principal, Target};
use crate::domain::Id;
use crate::rollup::Rollup;
use crate::store::Store;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Bytes, Message, Utf8Bytes};
use tokio_tungstenite::WebSocketStream;

/// The largest WebSocket frame the server writes; longer messages go in fragments of this
/// size. The socket's write buffer is flushed past this size too, so it stays near twice it.
pub const FRAGMENT: usize = 4 * 1024;

/// What a connection runs on: the upgraded HTTP connection (or, in tests, any stream).
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Io for T {}

/// What a connection needs besides its socket. No writer handle: a connection can never keep
/// the node from shutting down.
pub struct ConnCtx {
    pub live: Live,
    pub rollup: Arc<Rollup>,
    pub store: Arc<dyn Store>,
    pub principal: Principal,
    pub clock: crate::clock::ClockMode,
    /// To notice, at each heartbeat, that the connection's credentials have ended.
    pub auth: crate::auth::Auth,
}

/// Whether a read failed because the client's message was over the hard limit.
fn too_big(e: tokio_tungstenite::tungstenite::Error) -> bool {
    matches!(e, tokio_tungstenite::tungstenite::Error::Capacity(_))
}

enum End {
    /// A message over the hard size limit.
    TooBig,
    /// The client closed or the socket failed.
    Gone,
    Idle,
    Overflow,
    Shutdown,
    /// A replay could not read the store.
    Unavailable,
    /// The session or token the connection was opened with ended.
    CredentialsEnded,
}

pub async fn run<S: Io>(socket: WebSocketStream<S>, ctx: ConnCtx, slot: Slot) {
    let _slot = slot;
    let conn = ctx.live.next_conn();
    let outbox = Arc::new(Outbox::new(ctx.live.config.alert_queue));
    if !ctx
        .live
        .send(HubCmd::Join {
            conn,
            outbox: outbox.clone(),
        })
        .await
    {
        return;
    }
    let cfg = ctx.live.config;
    outbox.message(&ServerMsg::Hello {
        tick_ms: cfg.tick.as_millis() as u64,
        heartbeat_s: cfg.heartbeat.as_secs(),
        max_message_bytes: cfg.max_message_bytes,
        max_subscriptions: cfg.max_subscriptions,
    });
    let (mut sink, mut stream) = socket.split();
    let end = tokio::select! {
        end = read_loop(&mut stream, conn, &ctx, &outbox) => end,
        end = write_loop(&mut sink, &ctx, &outbox) => end,
    };
    let _ = ctx.live.send(HubCmd::Leave { conn }).await;
    let (code, reason, error) = match end {
        End::Gone => return,
        End::Idle => (
            close::IDLE_TIMEOUT,
            "idle timeout",
            Some((ErrorCode::IdleTimeout, "nothing received within the idle timeout")),
        ),
        End::Overflow => (
            close::ALERT_BACKLOG_OVERFLOW,
            "alert backlog overflow",
            Some((
                ErrorCode::AlertBacklogOverflow,
                "this connection fell too far behind the alert feed; reconnect and subscribe with after = the last alert id you saw",
            )),
        ),
        End::Shutdown => (close::GOING_AWAY, "server shutting down", None),
        End::CredentialsEnded => (
            close::CREDENTIALS_ENDED,
            "credentials ended",
            Some((
                ErrorCode::Unauthenticated,
                "the session ended or the token was revoked or expired: sign in again",
            )),
        ),
        End::TooBig => (
            close::MESSAGE_TOO_BIG,
            "message too big",
            Some((ErrorCode::MessageTooLarge, "a message over the hard limit of 1 MiB")),
        ),
        End::Unavailable => (
            1011,
            "alert history unavailable",
            Some((
                ErrorCode::Unavailable,
                "the alert history could not be read for the replay; reconnect and resume",
            )),
        ),
    };
    // The peer may be gone or stuck: give the goodbye a moment, no more.
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        if let Some((code, message)) = error {
            let text = ServerMsg::Error {
                code,
                message: message.into(),
                view: None,
                id: None,
            }
            .to_text();
            let _ = sink.send(Message::Text(text.into())).await;
        }
        let _ = sink
            .send(Message::Close(Some(CloseFrame {
                code: code.into(),
                reason: Utf8Bytes::from_static(reason),
            })))
            .await;
        // The closing handshake: read (and drop) until the client's close arrives, so the
        // socket ends with a FIN and the client reads our reason instead of a reset.
        while let Some(Ok(m)) = stream.next().await {
            if matches!(m, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
}

/// An inbox is read by its person only: an admin manages contact points, not someone's mail.
fn own_inbox(who: &Principal, person: &str) -> Result<(), Denied> {
    match who.person() {
        Some(p) if &**p == person => Ok(()),
        Some(_) => Err(Denied::Forbidden(
            format!("the inbox of '{person}' is read by that person only").into(),
        )),
        None => Err(Denied::Forbidden(
            "this account is linked to no person, so it has no inbox".into(),
        )),
    }
}

async fn read_loop<S: Io>(
    stream: &mut SplitStream<WebSocketStream<S>>,
    conn: u64,
    ctx: &ConnCtx,
    outbox: &Outbox,
) -> End {
    let cfg = ctx.live.config;
    let mut views: HashSet<(ViewKind, Id)> = HashSet::new();
    let mut alerts: Option<Id> = None;
    loop {
        let msg = match tokio::time::timeout(cfg.idle_timeout, stream.next()).await {
            Err(_) => return End::Idle,
            Ok(Some(Err(e))) => {
                return if too_big(e) { End::TooBig } else { End::Gone };
            }
            Ok(None) => return End::Gone,
            Ok(Some(Ok(m))) => m,
        };
        let text = match msg {
            Message::Text(t) => t,
            Message::Binary(_) => {
                error(
                    outbox,
                    ErrorCode::BinaryNotSupported,
                    "send JSON text messages".into(),
                    None,
                    None,
                );
                continue;
            }
            // Pings are answered by the WebSocket layer; any frame counts as a sign of life.
            Message::Ping(_) | Message::Pong(_) => continue,
            Message::Close(_) | Message::Frame(_) => return End::Gone,
        };
        if text.len() > cfg.max_message_bytes {
            error(
                outbox,
                ErrorCode::MessageTooLarge,
                format!(
                    "the message has {} bytes; the limit is {}",
                    text.len(),
                    cfg.max_message_bytes
                ),
                None,
                None,
            );
            continue;
        }
        let msg: ClientMsg = match serde_json::from_str(text.as_str()) {
            Ok(m) => m,
            Err(e) => {
                error(
                    outbox,
                    ErrorCode::BadMessage,
                    format!("not a valid message: {e}"),
                    None,
                    None,
                );
                continue;
            }
        };
        let cmd = match msg {
            ClientMsg::Ping { nonce } => {
                let as_of = ctx.rollup.now();
                outbox.message(&ServerMsg::Pong {
                    nonce,
                    as_of: crate::domain::time::format_ts(as_of),
                    commit: ctx.rollup.commit(),
                    // A manual clock is moved by hand: its distance from the wall clock says
                    // nothing about the data.
                    lag_ms: (ctx.clock == crate::clock::ClockMode::System)
                        .then(|| (crate::domain::time::now_ms() - as_of).max(0)),
                    behind: ctx.live.behind(),
                });
                continue;
            }
            ClientMsg::Subscribe { view, id, after } => {
                if after.is_some() && view != ViewKind::Alerts {
                    error(
                        outbox,
                        ErrorCode::BadMessage,
                        "after: only alert subscriptions take it".into(),
                        Some(view),
                        Some(&id),
                    );
                    continue;
                }
                if after.is_some_and(|a| a < 0) {
                    error(
                        outbox,
                        ErrorCode::BadMessage,
                        "after: must be 0 or a positive alert id".into(),
                        Some(view),
                        Some(&id),
                    );
                    continue;
                }
                let target = match view {
                    ViewKind::Person => Target::Person(&id),
                    _ => Target::Unit(&id),
                };
                let allowed = if view == ViewKind::Inbox {
                    own_inbox(&ctx.principal, &id)
                } else if view == ViewKind::Meeting {
                    // A meeting is read by whoever may see its unit.
                    match ctx.rollup.meeting(&id) {
                        Some(m) => {
                            auth::can_view(&ctx.principal, &ctx.rollup, Target::Unit(&m.unit))
                        }
                        None => Err(Denied::NotFound(crate::msg!("no_meeting", id = &*id))),
                    }
                } else {
                    auth::can_view(&ctx.principal, &ctx.rollup, target)
                };
                if let Err(denied) = allowed {
                    let code = match denied {
                        Denied::NotFound(_) => ErrorCode::NotFound,
                        Denied::Forbidden(_) => ErrorCode::Forbidden,
                    };
                    error(outbox, code, denied.to_string(), Some(view), Some(&id));
                    continue;
                }
                let id: Id = id.into();
                // Subscribing again to the same view is allowed (a fresh snapshot); a new alert
                // subscription replaces the old one, so neither adds to the count.
                let adds = match view {
                    ViewKind::Alerts => alerts.is_none(),
                    _ => !views.contains(&(view, id.clone())),
                };
                let used = views.len() + usize::from(alerts.is_some());
                if adds && used >= cfg.max_subscriptions {
                    error(
                        outbox,
                        ErrorCode::TooManySubscriptions,
                        format!(
                            "at most {} subscriptions per connection",
                            cfg.max_subscriptions
                        ),
                        Some(view),
                        Some(&id),
                    );
                    continue;
                }
                if view == ViewKind::Alerts {
                    alerts = Some(id.clone());
                    HubCmd::SubscribeAlerts {
                        conn,
                        unit: id,
                        after,
                    }
                } else {
                    views.insert((view, id.clone()));
                    HubCmd::Subscribe {
                        conn,
                        kind: view,
                        id,
                    }
                }
            }
            ClientMsg::Unsubscribe { view, id } => {
                let known = match view {
                    ViewKind::Alerts => alerts.as_deref() == Some(id.as_str()),
                    _ => views.remove(&(view, Id::from(id.as_str()))),
                };
                if !known {
                    error(
                        outbox,
                        ErrorCode::NotSubscribed,
                        "no such subscription on this connection".into(),
                        Some(view),
                        Some(&id),
                    );
                    continue;
                }
                if view == ViewKind::Alerts {
                    alerts = None;
                    HubCmd::UnsubscribeAlerts {
                        conn,
                        unit: id.into(),
                    }
                } else {
                    HubCmd::Unsubscribe {
                        conn,
                        kind: view,
                        id: id.into(),
                    }
                }
            }
        };
        if !ctx.live.send(cmd).await {
            return End::Shutdown;
        }
    }
}

fn error(
    outbox: &Outbox,
    code: ErrorCode,
    message: String,
    view: Option<ViewKind>,
    id: Option<&str>,
) {
    outbox.message(&ServerMsg::Error {
        code,
        message,
        view,
        id,
    });
}

type Sink<S> = SplitSink<WebSocketStream<S>, Message>;

async fn write_loop<S: Io>(sink: &mut Sink<S>, ctx: &ConnCtx, outbox: &Outbox) -> End {
    let mut heartbeat = tokio::time::interval(ctx.live.config.heartbeat);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    heartbeat.tick().await;
    loop {
        tokio::select! {
            _ = outbox.ready() => {
                let d = outbox.take();
                if d.overflowed {
                    return End::Overflow;
                }
                let closed = d.closed;
                // A socket that takes no bytes for as long as the idle timeout is as good as dead,
                // even if its peer still sends: without this it would linger forever.
                match tokio::time::timeout(ctx.live.config.idle_timeout, send_drained(sink, ctx, d)).await {
                    Ok(Ok(())) => {}
                    Ok(Err(SendError::Socket)) | Err(_) => return End::Gone,
                    Ok(Err(SendError::Store)) => return End::Unavailable,
                }
                if closed {
                    return End::Shutdown;
                }
            }
            _ = heartbeat.tick() => {
                if !ctx.auth.still_valid(&ctx.principal, crate::domain::time::now_ms()) {
                    return End::CredentialsEnded;
                }
                if sink.send(Message::Ping(Default::default())).await.is_err() {
                    return End::Gone;
                }
            }
        }
    }
}

enum SendError {
    Socket,
    Store,
}

/// Queues one text message on the socket: whole up to `FRAGMENT` bytes, else as a text frame
/// and continuation frames, each a slice of the shared bytes cut at a character boundary.
async fn feed_text<S: Io>(sink: &mut Sink<S>, text: Utf8Bytes) -> Result<(), SendError> {
    if text.len() <= FRAGMENT {
        return sink
            .feed(Message::Text(text))
            .await
            .map_err(|_| SendError::Socket);
    }
    let cuts = fragments(text.as_str(), FRAGMENT);
    let bytes = Bytes::from(text);
    let mut start = 0;
    for (i, &end) in cuts.iter().enumerate() {
        let opcode = OpCode::Data(if i == 0 { Data::Text } else { Data::Continue });
        let frame = Frame::message(bytes.slice(start..end), opcode, i + 1 == cuts.len());
        sink.feed(Message::Frame(frame))
            .await
            .map_err(|_| SendError::Socket)?;
        start = end;
    }
    Ok(())
}

/// Where each fragment of `text` ends: at most `size` bytes each, never inside a character.
fn fragments(text: &str, size: usize) -> Vec<usize> {
    let mut cuts = Vec::with_capacity(text.len() / size + 1);
    let mut at = 0;
    while at < text.len() {
        let mut end = (at + size).min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        cuts.push(end);
        at = end;
    }
    cuts
}

async fn send_drained<S: Io>(
    sink: &mut Sink<S>,
    ctx: &ConnCtx,
    d: Drained,
) -> Result<(), SendError> {
    let n = d.controls.len() + d.views.len() + d.alerts.len();
    for text in d.controls.into_iter().chain(d.views) {
        feed_text(sink, text).await?;
    }
    for a in d.alerts {
        match a {
            AlertOut::Frame(text) => feed_text(sink, text).await?,
            AlertOut::Replay { unit, after, upto } => replay(sink, ctx, &unit, after, upto).await?,
        }
    }
    if n > 0 {
        sink.flush().await.map_err(|_| SendError::Socket)?;
    }
    Ok(())
}

/// Sends the alert history of `unit`'s subtree in `(after, upto]`, from memory where it still
/// is and from the store before that, then `caught_up`.
async fn replay<S: Io>(
    sink: &mut Sink<S>,
    ctx: &ConnCtx,
    unit: &Id,
    after: i64,
    upto: i64,
) -> Result<(), SendError> {
    const PAGE: usize = 1000;
    let subtree: HashSet<Id> = ctx.rollup.subtree(unit).into_iter().collect();
    let mut cursor = after;
    while cursor < upto {
        let frames: Vec<Utf8Bytes> = match ctx.live.feed.after(cursor, PAGE) {
            Ok(entries) => {
                if entries.is_empty() {
                    break;
                }
                let mut out = Vec::new();
                for e in entries {
                    if e.id > upto {
                        cursor = upto;
                        break;
                    }
                    cursor = e.id;
                    if subtree.contains(&e.unit) {
                        out.push(e.frame.clone());
                    }
                }
                out
            }
            Err(_) => {
                let units: Vec<String> = subtree.iter().map(|u| u.to_string()).collect();
                let rows = ctx
                    .store
                    .alert_history_after(cursor, &units, PAGE as i64)
                    .await
                    .map_err(|e| {
                        tracing::error!(error = %e, "alert replay could not read the store");
                        SendError::Store
                    })?;
                if rows.len() < PAGE {
                    // Nothing more of this subtree in the store up to now.
                    cursor = upto;
                }
                let mut out = Vec::new();
                for r in rows {
                    if r.seq > upto {
                        cursor = upto;
                        break;
                    }
                    cursor = cursor.max(r.seq);
                    out.push(FeedEntry::from_row(&r).frame);
                }
                out
            }
        };
        for f in frames {
            feed_text(sink, f).await?;
        }
    }
    let done = ServerMsg::CaughtUp {
        id: unit,
        last_id: upto,
    }
    .to_text();
    feed_text(sink, done.into()).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn fragments_cut_between_characters() {
        let text = "Phường Hoàn Kiếm ".repeat(1000);
        let cuts = super::fragments(&text, 1000);
        assert_eq!(cuts.last(), Some(&text.len()));
        let mut start = 0;
        for &end in &cuts {
            assert!(end - start <= 1000 && end > start);
            assert!(text.is_char_boundary(end));
            start = end;
        }
        assert_eq!(super::fragments("short", 1000), vec![5]);
    }
}
