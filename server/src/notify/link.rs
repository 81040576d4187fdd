//! The links in messages: `<public url>/alerts.html?unit=…&msg=…&exp=…&sig=…`, an HMAC-SHA256
//! (the server's link key, kept in the store so a restart keeps links valid) over the message,
//! its person and the expiry. The link opens the alert center on the message's alerts; the page
//! still needs a session, the reader must be the message's person or see its unit, and a link
//! only shows: it never acknowledges anything. Rotating the key keeps the previous one valid, so
//! links already sent keep working until they expire.

use crate::domain::Ts;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::sync::{Arc, PoisonError, RwLock};

type HmacSha256 = Hmac<Sha256>;

/// The key that signs new links, and the previous one (still accepted).
#[derive(Clone, Default)]
pub struct LinkKeys(Arc<RwLock<Keys>>);

#[derive(Default)]
struct Keys {
    current: Vec<u8>,
    previous: Option<Vec<u8>>,
}

/// Why a link was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("this link is not one the server signed (or it was cut short): open the alert center instead")]
    BadSignature,
    #[error("this link expired; the alerts are still in the alert center")]
    Expired,
}

/// The signed part of a link.
pub fn signed_text(message: i64, person: &str, expires_at: Ts) -> String {
    format!("ioc-link.v1.{message}.{person}.{expires_at}")
}

fn mac(key: &[u8], text: &str) -> HmacSha256 {
    let mut m = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    m.update(text.as_bytes());
    m
}

impl LinkKeys {
    pub fn set(&self, current: &str, previous: Option<&str>) {
        let mut k = self.0.write().unwrap_or_else(PoisonError::into_inner);
        k.current = hex::decode(current).unwrap_or_else(|_| current.as_bytes().to_vec());
        k.previous = previous.map(|p| hex::decode(p).unwrap_or_else(|_| p.as_bytes().to_vec()));
    }

    /// The link's signature: the first 128 bits of the HMAC, in hex.
    pub fn sign(&self, message: i64, person: &str, expires_at: Ts) -> String {
        let k = self.0.read().unwrap_or_else(PoisonError::into_inner);
        let tag = mac(&k.current, &signed_text(message, person, expires_at))
            .finalize()
            .into_bytes();
        hex::encode(&tag[..16])
    }

    /// Checks a link's signature (current or previous key, in constant time) and its expiry on
    /// the server's clock.
    pub fn verify(
        &self,
        message: i64,
        person: &str,
        expires_at: Ts,
        sig: &str,
        now: Ts,
    ) -> Result<(), LinkError> {
        let given = hex::decode(sig).map_err(|_| LinkError::BadSignature)?;
        if given.len() != 16 {
            return Err(LinkError::BadSignature);
        }
        let text = signed_text(message, person, expires_at);
        let k = self.0.read().unwrap_or_else(PoisonError::into_inner);
        let ok = std::iter::once(&k.current)
            .chain(k.previous.iter())
            .any(|key| mac(key, &text).verify_truncated_left(&given).is_ok());
        if !ok {
            return Err(LinkError::BadSignature);
        }
        if now > expires_at {
            return Err(LinkError::Expired);
        }
        Ok(())
    }
}

/// A new random key, hex.
pub fn new_key() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The link's URL.
pub fn url(base: &str, unit: &str, message: i64, expires_at: Ts, sig: &str) -> String {
    let unit: String = url::form_urlencoded::byte_serialize(unit.as_bytes()).collect();
    format!(
        "{}/alerts.html?unit={unit}&msg={message}&exp={expires_at}&sig={sig}",
        base.trim_end_matches('/')
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_holds_until_it_expires_and_across_one_rotation() {
        let keys = LinkKeys::default();
        let first = new_key();
        keys.set(&first, None);
        let sig = keys.sign(7, "w1", 1_000);
        assert_eq!(keys.verify(7, "w1", 1_000, &sig, 999), Ok(()));
        assert_eq!(
            keys.verify(7, "w1", 1_000, &sig, 1_001),
            Err(LinkError::Expired)
        );
        // Another message, person or expiry: not the same link.
        assert_eq!(
            keys.verify(8, "w1", 1_000, &sig, 0),
            Err(LinkError::BadSignature)
        );
        assert_eq!(
            keys.verify(7, "w2", 1_000, &sig, 0),
            Err(LinkError::BadSignature)
        );
        assert_eq!(
            keys.verify(7, "w1", 9_000, &sig, 0),
            Err(LinkError::BadSignature)
        );
        assert_eq!(
            keys.verify(7, "w1", 1_000, "zz", 0),
            Err(LinkError::BadSignature)
        );
        // Rotated: old links still work, new ones are signed with the new key.
        let second = new_key();
        keys.set(&second, Some(&first));
        assert_eq!(keys.verify(7, "w1", 1_000, &sig, 0), Ok(()));
        assert_ne!(keys.sign(7, "w1", 1_000), sig);
        // Rotated twice: the first key is gone.
        keys.set(&new_key(), Some(&second));
        assert_eq!(
            keys.verify(7, "w1", 1_000, &sig, 0),
            Err(LinkError::BadSignature)
        );
        assert_eq!(
            url("https://ioc.vn/", "p 1", 7, 1_000, "ab"),
            "https://ioc.vn/alerts.html?unit=p+1&msg=7&exp=1000&sig=ab"
        );
    }
}
