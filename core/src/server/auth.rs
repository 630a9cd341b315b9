//! Who may talk to the relay: the Host/Origin checks that stop DNS rebinding and cross-site
//! browser requests, and client-key authentication (hashed keys, constant-time match,
//! loopback-only keyless mode when no key exists). Pure.

use std::net::IpAddr;
use std::sync::Arc;

use http::HeaderMap;

use crate::config::KeyConfig;
use crate::error::Error;
use crate::keys;
use crate::slots::Limiter;

/// The configured client keys, with their digests parsed once and their concurrency slots.
#[derive(Debug, Default)]
pub struct KeyTable {
    digests: Vec<[u8; 32]>,
    keys: Vec<KeyConfig>,
    slots: Vec<Arc<Limiter>>,
}

impl KeyTable {
    /// Builds the table; keys whose stored hash is malformed are skipped (config validation
    /// already refuses them). Each key gets `concurrency` slots and a queue of
    /// `concurrency + extra_wait_slots`.
    pub fn new(keys: &[KeyConfig], extra_wait_slots: u32) -> Self {
        let mut t = Self::default();
        for k in keys {
            if let Some(d) = keys::parse_hash(&k.hash) {
                t.digests.push(d);
                t.keys.push(k.clone());
                t.slots.push(Limiter::new(
                    k.concurrency,
                    k.concurrency.saturating_add(extra_wait_slots),
                ));
            }
        }
        t
    }

    /// The slots of the key at `index`.
    pub fn slots(&self, index: usize) -> Option<&Arc<Limiter>> {
        self.slots.get(index)
    }

    /// Every key with its slots.
    pub fn iter(&self) -> impl Iterator<Item = (&KeyConfig, &Arc<Limiter>)> {
        self.keys.iter().zip(self.slots.iter())
    }

    /// Whether any key exists (otherwise the relay runs keyless, loopback only).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The key at `index` (as returned by [`KeyTable::authenticate`]).
    pub fn get(&self, index: usize) -> Option<&KeyConfig> {
        self.keys.get(index)
    }

    /// Authenticates a request from `peer`: `Some(index)` of the matching key, or `None` in
    /// keyless mode (no keys exist and the peer is on loopback).
    pub fn authenticate(&self, headers: &HeaderMap, peer: IpAddr) -> Result<Option<usize>, Error> {
        if self.is_empty() {
            if peer.is_loopback() {
                return Ok(None);
            }
            return Err(Error::unauthorized(
                "no_client_keys",
                "this relay has no client keys and accepts only local requests; create a key with `relay key create NAME`",
            ));
        }
        let Some(presented) = presented_key(headers) else {
            return Err(Error::unauthorized(
                "missing_api_key",
                "missing API key: send your relay key as `Authorization: Bearer rk-...` or `x-api-key: rk-...`",
            ));
        };
        match keys::find_match(presented, &self.digests) {
            Some(i) => Ok(Some(i)),
            None => Err(Error::unauthorized(
                "invalid_api_key",
                "invalid API key: use a key printed by `relay key create` (keys are shown once; revoked keys stop working)",
            )),
        }
    }
}

/// The key a client presented: `Authorization: Bearer`, `x-api-key` or `x-goog-api-key`.
pub fn presented_key(headers: &HeaderMap) -> Option<&str> {
    if let Some(v) = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let v = v.trim();
        if let Some(rest) = v
            .get(..7)
            .filter(|p| p.eq_ignore_ascii_case("bearer "))
            .and(v.get(7..))
        {
            let rest = rest.trim();
            if !rest.is_empty() {
                return Some(rest);
            }
        }
    }
    for name in ["x-api-key", "x-goog-api-key"] {
        if let Some(v) = headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            return Some(v);
        }
    }
    None
}

/// The host part of a `Host` header or URI authority, lowercased, without the port.
pub fn host_without_port(host: &str) -> Option<String> {
    let host = host.trim();
    if host.is_empty() {
        return None;
    }
    let h = if host.starts_with('[') {
        host.find(']').and_then(|end| host.get(..=end))?
    } else {
        match host.rsplit_once(':') {
            Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
            _ => host,
        }
    };
    Some(h.to_ascii_lowercase())
}

/// Checks `Host` against the allowlist and `Origin` (when present) against the allowed
/// origins. Refusals say which header and how to allow it.
pub fn check_host_origin(
    host: Option<&str>,
    origin: Option<&[u8]>,
    allowed_hosts: &[String],
    allowed_origins: &[String],
) -> Result<(), Error> {
    let Some(h) = host.and_then(host_without_port) else {
        return Err(Error::forbidden(
            "host_not_allowed",
            "request has no valid Host header",
        ));
    };
    if !allowed_hosts.iter().any(|a| a.eq_ignore_ascii_case(&h)) {
        return Err(Error::forbidden(
            "host_not_allowed",
            format!(
                "Host `{h}` is not allowed; add it to `server.allowed_hosts` if this is intended"
            ),
        ));
    }
    if let Some(o) = origin {
        let o = std::str::from_utf8(o)
            .unwrap_or("")
            .trim()
            .trim_end_matches('/');
        if !allowed_origins
            .iter()
            .any(|a| a.trim_end_matches('/').eq_ignore_ascii_case(o))
        {
            return Err(Error::forbidden(
                "origin_not_allowed",
                "browser requests are refused: this Origin is not in `server.allowed_origins`",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn hosts() -> Vec<String> {
        vec!["localhost".into(), "127.0.0.1".into(), "[::1]".into()]
    }

    #[test]
    fn host_parsing() {
        assert_eq!(
            host_without_port("LocalHost:8787").as_deref(),
            Some("localhost")
        );
        assert_eq!(host_without_port("[::1]:8787").as_deref(), Some("[::1]"));
        assert_eq!(host_without_port("127.0.0.1").as_deref(), Some("127.0.0.1"));
        assert_eq!(host_without_port("[::1").as_deref(), None);
        assert_eq!(host_without_port(""), None);
    }

    #[test]
    fn host_and_origin_table() {
        let o = vec!["http://localhost:3000".to_owned()];
        assert!(check_host_origin(Some("localhost:8787"), None, &hosts(), &o).is_ok());
        assert!(check_host_origin(Some("[::1]:1"), None, &hosts(), &o).is_ok());
        assert!(check_host_origin(Some("evil.example:8787"), None, &hosts(), &o).is_err());
        assert!(check_host_origin(None, None, &hosts(), &o).is_err());
        assert!(
            check_host_origin(
                Some("localhost"),
                Some(b"http://evil.example"),
                &hosts(),
                &o
            )
            .is_err()
        );
        assert!(check_host_origin(Some("localhost"), Some(b"null"), &hosts(), &o).is_err());
        assert!(check_host_origin(Some("localhost"), Some(b"\xff\xfe"), &hosts(), &o).is_err());
        assert!(
            check_host_origin(
                Some("localhost"),
                Some(b"http://localhost:3000"),
                &hosts(),
                &o
            )
            .is_ok()
        );
    }

    #[test]
    fn keys_from_each_header() {
        let mut h = HeaderMap::new();
        h.insert("authorization", HeaderValue::from_static("Bearer rk-abc"));
        assert_eq!(presented_key(&h), Some("rk-abc"));
        let mut h = HeaderMap::new();
        h.insert("x-api-key", HeaderValue::from_static("rk-x"));
        assert_eq!(presented_key(&h), Some("rk-x"));
        let mut h = HeaderMap::new();
        h.insert("x-goog-api-key", HeaderValue::from_static("rk-g"));
        assert_eq!(presented_key(&h), Some("rk-g"));
        let mut h = HeaderMap::new();
        h.insert("authorization", HeaderValue::from_static("Basic zzz"));
        assert_eq!(presented_key(&h), None);
    }

    #[test]
    fn keyless_only_on_loopback() {
        let t = KeyTable::new(&[], 0);
        let h = HeaderMap::new();
        assert!(matches!(
            t.authenticate(&h, "127.0.0.1".parse().unwrap()),
            Ok(None)
        ));
        assert!(matches!(
            t.authenticate(&h, "::1".parse().unwrap()),
            Ok(None)
        ));
        assert!(t.authenticate(&h, "192.168.1.9".parse().unwrap()).is_err());
    }
}
