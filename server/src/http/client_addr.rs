//! The client's address behind trusted proxies (`--trusted-proxy`): outermost on every node, it
//! replaces the connection's peer with the address the load balancer says it served, so the
//! throttles per address, sessions and the audit trail see people, not the balancer.
//!
//! Only a request whose peer is a trusted proxy is read, and `X-Forwarded-For` is read from the
//! right: the last entry was added by the proxy the node trusts, each one before by the hop before
//! it, and the first address that is not itself a trusted proxy is the client. Whatever a client
//! writes at the left of the header is never reached, so it cannot pass for another address. An
//! entry that is not an address stops the walk at the hop that wrote it. Written here rather than
//! taken from `axum-client-ip`, whose rightmost strategy takes one hop and no list of proxies.

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

pub async fn from_trusted_proxies(
    State(trusted): State<Arc<[IpNet]>>,
    mut req: Request,
    next: Next,
) -> Response {
    if !trusted.is_empty() {
        let peer = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0);
        if let Some(peer) = peer {
            let header = req
                .headers()
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect::<Vec<_>>()
                .join(",");
            if let Some(client) = client_of(peer.ip(), &header, &trusted) {
                req.extensions_mut()
                    .insert(ConnectInfo(SocketAddr::new(client, 0)));
            }
        }
    }
    next.run(req).await
}

/// The client behind `peer` by `forwarded_for` (`X-Forwarded-For`, entries joined by commas),
/// or `None` to keep the peer.
pub fn client_of(peer: IpAddr, forwarded_for: &str, trusted: &[IpNet]) -> Option<IpAddr> {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return None;
    }
    let mut client = None;
    for entry in forwarded_for.rsplit(',').map(str::trim) {
        if entry.is_empty() {
            continue;
        }
        let Some(ip) = parse(entry) else { break };
        client = Some(ip);
        if !is_trusted(&ip) {
            break;
        }
    }
    client
}

/// An entry as proxies write it: `203.0.113.7`, `203.0.113.7:5123`, `2001:db8::1` or
/// `[2001:db8::1]:5123`.
fn parse(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_first_untrusted_hop_from_the_right_is_the_client() {
        let trusted = nets(&["10.0.0.0/8", "127.0.0.1/32"]);
        let lb = ip("127.0.0.1");
        assert_eq!(
            client_of(lb, "203.0.113.7", &trusted),
            Some(ip("203.0.113.7"))
        );
        // A client's own header at the left is never reached.
        assert_eq!(
            client_of(lb, "1.2.3.4, 203.0.113.7", &trusted),
            Some(ip("203.0.113.7"))
        );
        // Through two trusted proxies.
        assert_eq!(
            client_of(lb, "203.0.113.7, 10.1.2.3", &trusted),
            Some(ip("203.0.113.7"))
        );
        assert_eq!(
            client_of(lb, "[2001:db8::1]:5123", &trusted),
            Some(ip("2001:db8::1"))
        );
        // Every hop trusted: the leftmost is as far as can be known.
        assert_eq!(
            client_of(lb, "10.9.9.9, 10.1.2.3", &trusted),
            Some(ip("10.9.9.9"))
        );
    }

    #[test]
    fn an_untrusted_peer_or_a_garbled_header_keeps_the_peer() {
        let trusted = nets(&["127.0.0.1/32"]);
        assert_eq!(client_of(ip("192.0.2.1"), "203.0.113.7", &trusted), None);
        assert_eq!(client_of(ip("127.0.0.1"), "", &trusted), None);
        assert_eq!(client_of(ip("127.0.0.1"), "unknown", &trusted), None);
        // Garbage written by a hop before the one the proxy saw: that hop is the client.
        assert_eq!(
            client_of(ip("127.0.0.1"), "garbage, 203.0.113.7", &trusted),
            Some(ip("203.0.113.7"))
        );
        assert_eq!(client_of(ip("127.0.0.1"), "x", &[]), None);
    }
}
