//! Where the server may send a request it is told to send (SSRF): a contact point names a URL,
//! and the server must not be turned against its own network. By default only `https` to
//! public addresses: loopback, private, link-local (cloud metadata), carrier-grade NAT and
//! unique-local addresses are refused when a contact point is saved (an address in the URL)
//! and again when the name is resolved at sending (a name that resolves to one), so a DNS
//! answer cannot smuggle one in. Redirects are not followed. `[notify]
//! allow_private_addresses` and `allow_plain_http` open this for a closed network and for tests
//! (SECURITY.md).

use crate::i18n::{msg, Msg};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, SocketAddr};

/// An address a request from the server must not reach unless allowed.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || a == 0
                // 100.64.0.0/10: carrier-grade NAT, often a provider's internal network.
                || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                // fc00::/7 unique local, fe80::/10 link-local.
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || v6.to_ipv4_mapped().is_some_and(|v4| is_private(IpAddr::V4(v4)))
        }
    }
}

/// Checks a contact point's URL (placeholders already replaced): the scheme, no credentials in
/// it, and an address in it that is allowed.
pub fn check_url(url: &str, allow_http: bool, allow_private: bool) -> Result<reqwest::Url, Msg> {
    let u =
        reqwest::Url::parse(url).map_err(|e| msg!("notify_url_invalid", error = e.to_string()))?;
    match u.scheme() {
        "https" => {}
        "http" if allow_http => {}
        "http" => {
            return Err(msg!("notify_url_https"));
        }
        s => return Err(msg!("notify_url_scheme", scheme = s)),
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(msg!("notify_url_credentials"));
    }
    let host = u.host().ok_or_else(|| msg!("notify_url_no_host"))?;
    if !allow_private {
        let private = match host {
            url::Host::Ipv4(ip) => is_private(IpAddr::V4(ip)),
            url::Host::Ipv6(ip) => is_private(IpAddr::V6(ip)),
            url::Host::Domain(d) => {
                let d = d.trim_end_matches('.').to_ascii_lowercase();
                d == "localhost" || d.ends_with(".localhost")
            }
        };
        if private {
            return Err(msg!("notify_url_private"));
        }
    }
    Ok(u)
}

/// The resolver of the notification client: the system's, with private answers refused unless
/// allowed.
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| allow || !is_private(a.ip()))
                .collect();
            if found.is_empty() {
                return Err(format!(
                    "'{host}' resolves to no address the server may send to (private addresses are refused)"
                )
                .into());
            }
            let addrs: Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_metadata_addresses_are_refused_unless_allowed() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["203.113.1.1", "8.8.8.8", "2001:4860:4860::8888"] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
        assert!(check_url(
            "https://business.openapi.zalo.me/message/template",
            false,
            false
        )
        .is_ok());
        assert!(check_url("http://example.vn/hook", false, false)
            .unwrap_err()
            .to_string()
            .contains("https"));
        assert!(check_url("http://example.vn/hook", true, false).is_ok());
        assert!(check_url("https://127.0.0.1:9000/x", true, false)
            .unwrap_err()
            .to_string()
            .contains("private"));
        assert!(check_url("https://localhost/x", true, false).is_err());
        assert!(check_url("https://127.0.0.1:9000/x", true, true).is_ok());
        assert!(check_url("file:///etc/passwd", true, true).is_err());
        assert!(check_url("https://u:p@example.vn/", false, false)
            .unwrap_err()
            .to_string()
            .contains("credentials"));
    }
}
