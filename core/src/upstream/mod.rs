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
use crate::pool::{Account, UpstreamAuth};
use crate::protocol::anthropic;

/// The beta flag Anthropic requires with OAuth access tokens.
pub const OAUTH_BETA: &str = "oauth-2025-04-20";

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

/// Makes sure `anthropic-beta` lists `flag`, keeping the client's flags as they are.
fn add_beta(headers: &mut HeaderMap, flag: &str) {
    let present = headers
        .get_all("anthropic-beta")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|f| f.trim() == flag);
    if present {
        return;
    }
    let joined = match headers.get("anthropic-beta").and_then(|v| v.to_str().ok()) {
        Some(existing) if !existing.trim().is_empty() => format!("{existing},{flag}"),
        _ => flag.to_owned(),
    };
    if let Ok(v) = HeaderValue::try_from(joined) {
        // Several `anthropic-beta` lines fold into the first one plus the flag.
        let rest: Vec<HeaderValue> = headers
            .get_all("anthropic-beta")
            .iter()
            .skip(1)
            .cloned()
            .collect();
        headers.insert(HeaderName::from_static("anthropic-beta"), v);
        for r in rest {
            headers.append(HeaderName::from_static("anthropic-beta"), r);
        }
    }
}

/// Builds the upstream request for `account`: URL, auth, forwarded headers, body.
pub fn prepare(
    account: &Account,
    auth: &UpstreamAuth,
    path: &str,
    query: Option<&str>,
    client_headers: &HeaderMap,
    body: Bytes,
) -> Result<http::Request<Full<Bytes>>, Error> {
    // The Codex backend has no version segment: `/v1/responses` is `<base>/responses`.
    let path = match account.is_codex() {
        true => path.strip_prefix("/v1").unwrap_or(path),
        false => path,
    };
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
    let auth_value = |v: &str| {
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
    let bearer = |headers: &mut HeaderMap, token: &str| -> Result<(), Error> {
        headers.insert(
            header::AUTHORIZATION,
            auth_value(&format!("Bearer {token}")).map_err(bad_secret)?,
        );
        Ok(())
    };
    match (account.platform(), auth) {
        (Platform::Mock, _) | (_, UpstreamAuth::None) => {}
        (Platform::Anthropic, UpstreamAuth::ApiKey(key)) => {
            headers.insert(
                HeaderName::from_static("x-api-key"),
                auth_value(key.expose()).map_err(bad_secret)?,
            );
        }
        (Platform::Anthropic, UpstreamAuth::Bearer { token, .. }) => {
            bearer(headers, token.expose())?;
            add_beta(headers, OAUTH_BETA);
        }
        (Platform::Openai, UpstreamAuth::ApiKey(key)) => bearer(headers, key.expose())?,
        (Platform::Openai, UpstreamAuth::Bearer { token, account_id }) => {
            bearer(headers, token.expose())?;
            if let Some(id) = account_id
                && let Ok(v) = HeaderValue::try_from(id.as_str())
            {
                headers.insert(HeaderName::from_static("chatgpt-account-id"), v);
            }
        }
        (Platform::Gemini, UpstreamAuth::ApiKey(key)) => {
            headers.insert(
                HeaderName::from_static("x-goog-api-key"),
                auth_value(key.expose()).map_err(bad_secret)?,
            );
        }
        (Platform::Gemini, UpstreamAuth::Bearer { token, .. }) => bearer(headers, token.expose())?,
    }
    if account.platform() == Platform::Anthropic && !headers.contains_key("anthropic-version") {
        headers.insert(
            HeaderName::from_static("anthropic-version"),
            HeaderValue::from_static(anthropic::DEFAULT_VERSION),
        );
    }
    builder.body(Full::new(body)).map_err(|_| {
        Error::internal(
            "bad_upstream_url",
            format!("account `{}` has an invalid base_url", account.name()),
        )
    })
}
