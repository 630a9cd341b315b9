//! The request pipeline: the one place where pure logic (routing, scheduling, protocol facts,
//! failover classification) meets I/O. `handle` runs the checks every request passes
//! (Host/Origin, route, client key), then the request itself in its own task, so a client that
//! hangs up does not cancel the upstream exchange half-way: the answer is still read and its
//! usage recorded. The task answers through a [`Downstream`].

pub mod attempt;
pub mod downstream;
pub mod envelope;
pub mod record;
pub mod relay;

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};
use hyper::body::Incoming;
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::error::{Error, ErrorKind};
use crate::gateway::Shared;
use crate::http::Body;
use crate::ids;
use crate::protocol::{Dialect, json};
use crate::server::auth::check_host_origin;
use crate::server::respond::{self, Timing};
use crate::server::router::{self, Endpoint, Miss};
use downstream::Downstream;
use record::{DisconnectGuard, Recorder};

/// Handles one client request end to end.
pub async fn handle(
    shared: Arc<Shared>,
    req: http::Request<Incoming>,
    peer: SocketAddr,
) -> http::Response<Body> {
    if crate::server::admin::is_admin_path(req.uri().path()) {
        return crate::server::admin::handle(shared, req, peer).await;
    }
    let started = Instant::now();
    let id = ids::request_id();
    let (parts, body) = req.into_parts();
    let path = parts.uri.path();
    let guess = Dialect::guess(path, parts.headers.contains_key("anthropic-version"));
    let route = router::route(&parts.method, path);
    if route == Ok(Endpoint::Health) {
        let mut resp = respond::json(Bytes::from_static(br#"{"status":"ok"}"#));
        respond::stamp(
            &mut resp,
            &id,
            &Timing {
                total: started.elapsed(),
                ..Timing::default()
            },
        );
        return resp;
    }
    let dialect = match route {
        Ok(Endpoint::Generate(d)) => d,
        Ok(Endpoint::CountTokens) => Dialect::Anthropic,
        Ok(Endpoint::Gemini) => Dialect::Gemini,
        _ => guess,
    };
    let mut rec = Recorder::new(
        shared.bus.clone(),
        Arc::clone(&shared.books),
        &id,
        dialect,
        started,
    );
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| parts.uri.authority().map(|a| a.as_str()));
    let origin = parts.headers.get(header::ORIGIN).map(HeaderValue::as_bytes);
    let checked = check_host_origin(host, origin, &shared.allowed_hosts, &shared.config.server.allowed_origins)
        .and_then(|()| match route {
            Ok(e) => Ok(e),
            Err(Miss::NotFound) => Err(Error::not_found(
                "unknown_path",
                format!(
                    "no endpoint `{} {path}`; the relay serves POST /v1/messages, /v1/chat/completions, /v1/responses and GET /v1/models",
                    parts.method
                ),
            )),
            Err(Miss::Method(allowed)) => Err(Error::new(
                ErrorKind::InvalidRequest,
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                format!("`{path}` accepts only {allowed}"),
            )),
        })
        .and_then(|endpoint| Ok((endpoint, shared.keys.authenticate(&parts.headers, peer.ip())?)));
    let (endpoint, key) = match checked {
        Ok(v) => v,
        Err(e) => return reject(&id, dialect, &e, rec),
    };
    let key_cfg = key.and_then(|i| shared.keys.get(i));
    if let Some(ev) = rec.event() {
        ev.key = key_cfg.map(|k| k.name.clone());
    }
    let group = key_cfg.map_or("default", |k| k.group.as_str()).to_owned();
    match endpoint {
        Endpoint::Health | Endpoint::Models => {
            let mut resp = models(
                &shared,
                &group,
                parts.headers.contains_key("anthropic-version"),
            );
            respond::stamp(
                &mut resp,
                &id,
                &Timing {
                    total: started.elapsed(),
                    ..Timing::default()
                },
            );
            rec.finish(200, None);
            resp
        }
        Endpoint::Gemini => {
            let e = Error::not_found(
                "gemini_not_available",
                "the Gemini API surface is not available in this build; use /v1/chat/completions or /v1/responses",
            );
            reject(&id, dialect, &e, rec)
        }
        Endpoint::Generate(_) | Endpoint::CountTokens => {
            let (tx, rx) = oneshot::channel();
            let guard = DisconnectGuard::new(Arc::clone(&rec.disconnected));
            let down = Downstream::new(
                &id,
                dialect,
                tx,
                Arc::clone(&rec.disconnected),
                shared.config.gateway.stream_idle_timeout,
            );
            let ctx = attempt::Ctx {
                shared: Arc::clone(&shared),
                id,
                dialect,
                endpoint,
                key,
                group,
            };
            tokio::spawn(async move {
                let _busy = ctx.shared.tracker.enter();
                attempt::run(&ctx, parts, body, rec, down).await;
            });
            let resp = match rx.await {
                Ok(resp) => resp,
                Err(_) => {
                    tracing::error!("request task ended without an answer");
                    respond::error(
                        dialect,
                        &Error::internal(
                            "internal_error",
                            "the relay failed while handling this request",
                        ),
                    )
                }
            };
            guard.disarm();
            resp
        }
    }
}

/// An error answered before any upstream was involved.
fn reject(id: &str, dialect: Dialect, e: &Error, rec: Recorder) -> http::Response<Body> {
    let mut resp = respond::error(dialect, e);
    if e.status() == StatusCode::METHOD_NOT_ALLOWED {
        let allow = if e.message().ends_with("GET") {
            "GET"
        } else {
            "POST"
        };
        resp.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static(allow));
    }
    respond::stamp(
        &mut resp,
        id,
        &Timing {
            total: rec.started().elapsed(),
            ..Timing::default()
        },
    );
    tracing::debug!(
        id,
        code = e.code(),
        status = e.status().as_u16(),
        "request refused"
    );
    rec.finish(e.status().as_u16(), Some(e.code()));
    resp
}

/// Stable code for an upstream error status passed through.
pub fn upstream_code(status: u16) -> &'static str {
    match status {
        400 => "upstream_bad_request",
        401 => "upstream_unauthorized",
        403 => "upstream_forbidden",
        404 => "upstream_not_found",
        413 => "upstream_too_large",
        422 => "upstream_unprocessable",
        429 => "upstream_rate_limited",
        529 => "upstream_overloaded",
        s if s >= 500 => "upstream_error",
        _ => "upstream_rejected",
    }
}

/// `GET /v1/models`: OpenAI list shape, or Anthropic's when the client sent
/// `anthropic-version`.
fn models(shared: &Shared, group: &str, anthropic: bool) -> http::Response<Body> {
    let ids = shared.pool.model_ids(group);
    let body = if anthropic {
        let data: Vec<String> = ids
            .iter()
            .map(|(id, _)| {
                format!(
                    r#"{{"type":"model","id":{},"display_name":{},"created_at":"2025-01-01T00:00:00Z"}}"#,
                    json::quote(id),
                    json::quote(id)
                )
            })
            .collect();
        let first = ids
            .first()
            .map_or("null".to_owned(), |(id, _)| json::quote(id));
        let last = ids
            .last()
            .map_or("null".to_owned(), |(id, _)| json::quote(id));
        format!(
            r#"{{"data":[{}],"has_more":false,"first_id":{first},"last_id":{last}}}"#,
            data.join(",")
        )
    } else {
        let data: Vec<String> = ids
            .iter()
            .map(|(id, platform)| {
                format!(
                    r#"{{"id":{},"object":"model","created":0,"owned_by":{}}}"#,
                    json::quote(id),
                    json::quote(platform.as_str())
                )
            })
            .collect();
        format!(r#"{{"object":"list","data":[{}]}}"#, data.join(","))
    };
    respond::json(body)
}
