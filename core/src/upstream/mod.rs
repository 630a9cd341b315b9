//! Upstream adapters: how a request for an account is addressed and authenticated. Headers the
//! client sent are forwarded as they are (the relay never dresses up as another client), except
//! hop-by-hop headers, the client's own credentials and `accept-encoding` (the relay must read
//! what it relays, so it asks for `identity`).

pub mod mock;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http_body_util::Full;

use crate::config::Platform;
use crate::error::Error;
use crate::pool::Account;
use crate::protocol::anthropic;

/// Request headers never forwarded upstream.
const DROPPED: &[&str] = &[
    "host",
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authorization",
    "proxy-authenticate",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "accept-encoding",
    "authorization",
    "x-api-key",
    "x-goog-api-key",
    "cookie",
    "openai-organization",
    "openai-project",
    "origin",
    "referer",
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-real-ip",
    "http2-settings",
];

/// Response headers never passed back to the client.
pub const DROPPED_RESPONSE: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "set-cookie",
    "alt-svc",
    "location",
    "openai-organization",
    "openai-project",
    "anthropic-organization-id",
];

/// Builds the upstream request for `account`: URL, auth, forwarded headers, body.
pub fn prepare(
    account: &Account,
    path: &str,
    query: Option<&str>,
    client_headers: &HeaderMap,
    body: Bytes,
) -> Result<http::Request<Full<Bytes>>, Error> {
    let url = account.url(path, query);
    let mut builder = http::Request::post(url.as_str());
    let headers = builder.headers_mut().ok_or_else(|| {
        Error::internal(
            "bad_upstream_url",
            format!("account `{}` has an invalid base_url", account.name()),
        )
    })?;
    for (name, value) in client_headers {
        if !DROPPED.contains(&name.as_str()) {
            headers.append(name.clone(), value.clone());
        }
    }
    headers.insert(
        header::ACCEPT_ENCODING,
        HeaderValue::from_static("identity"),
    );
    if !headers.contains_key(header::CONTENT_TYPE) {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    let secret = account
        .secret
        .as_ref()
        .map(|s| s.expose())
        .unwrap_or_default();
    let auth_value = |v: String| {
        HeaderValue::try_from(v).map(|mut v| {
            v.set_sensitive(true);
            v
        })
    };
    let bad_secret = |_| {
        Error::internal(
            "bad_upstream_secret",
            format!(
                "the secret of account `{}` contains characters not allowed in a header",
                account.name()
            ),
        )
    };
    match account.platform() {
        Platform::Anthropic => {
            headers.insert(
                HeaderName::from_static("x-api-key"),
                auth_value(secret.to_owned()).map_err(bad_secret)?,
            );
            if !headers.contains_key("anthropic-version") {
                headers.insert(
                    HeaderName::from_static("anthropic-version"),
                    HeaderValue::from_static(anthropic::DEFAULT_VERSION),
                );
            }
        }
        Platform::Openai => {
            headers.insert(
                header::AUTHORIZATION,
                auth_value(format!("Bearer {secret}")).map_err(bad_secret)?,
            );
        }
        Platform::Gemini => {
            headers.insert(
                HeaderName::from_static("x-goog-api-key"),
                auth_value(secret.to_owned()).map_err(bad_secret)?,
            );
        }
        Platform::Mock => {}
    }
    builder.body(Full::new(body)).map_err(|_| {
        Error::internal(
            "bad_upstream_url",
            format!("account `{}` has an invalid base_url", account.name()),
        )
    })
}
