//! The request pipeline: the one place where pure logic (routing, protocol facts) meets I/O.
//! `handle` runs the checks every request passes (Host/Origin, route, client key), then the
//! request itself in its own task, so a client that hangs up does not cancel the upstream
//! exchange half-way: the answer is still read and its usage recorded.

pub mod envelope;
pub mod record;
pub mod relay;

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};
use hyper::body::Incoming;
use tokio::time::Instant;

use crate::config::Platform;
use crate::error::Error;
use crate::gateway::Shared;
use crate::http::{Body, read_bounded};
use crate::ids;
use crate::pool::Candidate;
use crate::protocol::{Dialect, json};
use crate::server::auth::check_host_origin;
use crate::server::respond::{self, Timing};
use crate::server::router::{self, Endpoint, Miss};
use crate::upstream::{self, mock};
use record::{DisconnectGuard, Recorder};

/// Handles one client request end to end.
pub async fn handle(
    shared: Arc<Shared>,
    req: http::Request<Incoming>,
    peer: SocketAddr,
) -> http::Response<Body> {
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
    let mut rec = Recorder::new(shared.bus.clone(), &id, dialect, started);
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
                crate::error::ErrorKind::InvalidRequest,
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                format!("`{path}` accepts only {allowed}"),
            )),
        })
        .and_then(|endpoint| {
            let key = shared.keys.authenticate(&parts.headers, peer.ip())?;
            Ok((endpoint, key))
        });
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
            let guard = DisconnectGuard::new(Arc::clone(&rec.disconnected));
            let ctx = Ctx {
                shared: Arc::clone(&shared),
                id: id.clone(),
                dialect,
                endpoint,
                key,
                group,
            };
            let task = tokio::spawn(async move {
                let _busy = ctx.shared.tracker.enter();
                run(&ctx, parts, body, rec).await
            });
            let resp = match task.await {
                Ok(resp) => resp,
                Err(e) => {
                    tracing::error!(error = %e, "request task failed");
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

/// What a request task knows about its request.
struct Ctx {
    shared: Arc<Shared>,
    id: String,
    dialect: Dialect,
    endpoint: Endpoint,
    key: Option<usize>,
    group: String,
}

async fn run(
    ctx: &Ctx,
    parts: http::request::Parts,
    body: Incoming,
    mut rec: Recorder,
) -> http::Response<Body> {
    let started = rec.started();
    match attempt(ctx, &parts, body, &mut rec).await {
        Ok(Outcome::Streaming(resp)) => resp,
        Ok(Outcome::Done(mut resp, timing)) => {
            respond::stamp(&mut resp, &ctx.id, &timing);
            let status = resp.status().as_u16();
            let code = (!resp.status().is_success()).then(|| upstream_code(status));
            rec.finish(status, code);
            resp
        }
        Err(e) => {
            let mut resp = respond::error(ctx.dialect, &e);
            respond::stamp(
                &mut resp,
                &ctx.id,
                &Timing {
                    total: started.elapsed(),
                    ..Timing::default()
                },
            );
            rec.finish(e.status().as_u16(), Some(e.code()));
            resp
        }
    }
}

enum Outcome {
    /// A stream whose task finishes the record itself.
    Streaming(http::Response<Body>),
    /// A complete response; the record is finished by the caller.
    Done(http::Response<Body>, Timing),
}

/// Stable code for an upstream error status passed through.
fn upstream_code(status: u16) -> &'static str {
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

async fn attempt(
    ctx: &Ctx,
    parts: &http::request::Parts,
    body: Incoming,
    rec: &mut Recorder,
) -> Result<Outcome, Error> {
    let shared = &ctx.shared;
    let started = rec.started();
    let limit = shared.config.server.max_body_bytes;
    let bytes = read_bounded(body, limit).await.map_err(|e| match e {
        crate::http::ReadError::TooLarge { limit } => Error::new(
            crate::error::ErrorKind::TooLarge,
            StatusCode::PAYLOAD_TOO_LARGE,
            "request_too_large",
            format!("request body is larger than the relay's limit of {limit} bytes (`server.max_body_bytes`)"),
        ),
        crate::http::ReadError::Io(m) => Error::invalid("body_read_failed", format!("reading the request body failed: {m}")),
    })?;
    let env = envelope::parse(&bytes, ctx.endpoint == Endpoint::CountTokens)?;
    if let Some(e) = rec.event() {
        e.model = Some(env.model.clone());
        e.stream = env.stream;
    }
    shared.bus.publish(crate::events::Event::RequestStarted {
        id: ctx.id.clone(),
        model: Some(env.model.clone()),
        inbound: ctx.dialect,
    });
    let key_cfg = ctx.key.and_then(|i| shared.keys.get(i));
    let candidates =
        shared
            .pool
            .route(shared.group(&ctx.group), key_cfg, ctx.dialect, &env.model)?;
    let Some(Candidate {
        account,
        upstream_model,
    }) = candidates.into_iter().next()
    else {
        return Err(Error::not_found(
            "model_not_found",
            format!("no account serves model `{}`", env.model),
        ));
    };
    shared.pool.touch(&account);
    if let Some(e) = rec.event() {
        e.account = Some(account.name().to_owned());
        e.platform = Some(account.platform().as_str());
        e.upstream_model = Some(upstream_model.clone());
        e.attempts = 1;
    }
    let restore_model = upstream_model != env.model;
    let mut out = bytes.clone();
    if restore_model {
        out = json::set(&out, &["model"], json::quote(&upstream_model).as_bytes())
            .map(Bytes::from)
            .unwrap_or(out);
    }
    let wants_usage = json::bool_at(&bytes, &["stream_options", "include_usage"]).unwrap_or(false);
    let strip_usage_chunk = ctx.dialect == Dialect::OpenAiChat && env.stream && !wants_usage;
    if strip_usage_chunk {
        out = json::set(&out, &["stream_options", "include_usage"], b"true")
            .map(Bytes::from)
            .unwrap_or(out);
    }
    let (path, op) = match ctx.endpoint {
        Endpoint::CountTokens => ("/v1/messages/count_tokens", mock::Operation::CountTokens),
        Endpoint::Generate(Dialect::Anthropic) => (
            "/v1/messages",
            mock::Operation::Generate(Dialect::Anthropic),
        ),
        Endpoint::Generate(Dialect::OpenAiChat) => (
            "/v1/chat/completions",
            mock::Operation::Generate(Dialect::OpenAiChat),
        ),
        _ => (
            "/v1/responses",
            mock::Operation::Generate(Dialect::OpenAiResponses),
        ),
    };
    let sent_at = Instant::now();
    let upstream_resp = if account.platform() == Platform::Mock {
        mock::respond(&account, op, &out, &upstream_model).await
    } else {
        let req = upstream::prepare(&account, path, parts.uri.query(), &parts.headers, out)?;
        shared.client.send(req, shared.config.gateway.first_byte_timeout).await.map_err(|e| {
            tracing::warn!(account = account.name(), error = %e, "upstream request failed");
            match e {
                crate::http::client::SendError::FirstByteTimeout(d) => Error::new(
                    crate::error::ErrorKind::Upstream,
                    StatusCode::GATEWAY_TIMEOUT,
                    "upstream_timeout",
                    format!("account `{}` sent no response within {}s (`gateway.first_byte_timeout`)", account.name(), d.as_secs()),
                ),
                crate::http::client::SendError::Connect(m) => Error::upstream(
                    "upstream_connect_failed",
                    format!("cannot connect to account `{}`: {m}", account.name()),
                ),
                crate::http::client::SendError::Other(m) => Error::upstream(
                    "upstream_request_failed",
                    format!("request to account `{}` failed: {m}", account.name()),
                ),
            }
        })?
    };
    let upstream_ttfb = sent_at.elapsed();
    let timing = Timing {
        queue: std::time::Duration::ZERO,
        upstream: Some(upstream_ttfb),
        total: started.elapsed(),
    };
    let status = upstream_resp.status();
    let plan = relay::Plan {
        dialect: ctx.dialect,
        client_model: env.model.clone(),
        restore_model,
        strip_usage_chunk,
        idle_timeout: shared.config.gateway.stream_idle_timeout,
        keepalive: shared.config.gateway.keepalive_interval,
    };
    if !status.is_success() {
        tracing::warn!(
            account = account.name(),
            status = status.as_u16(),
            "upstream answered with an error"
        );
        let (head, body) = upstream_resp.into_parts();
        let bytes = read_bounded(body, 4 * 1024 * 1024).await.map_err(|e| {
            Error::upstream(
                "upstream_body_error",
                format!("reading the upstream error failed: {e}"),
            )
        })?;
        let (head, ()) = relay::response_head(&head).into_parts();
        return Ok(Outcome::Done(
            http::Response::from_parts(head, crate::http::full(bytes)),
            timing,
        ));
    }
    let is_sse = upstream_resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"));
    if is_sse {
        let mut resp = relay::stream(
            Arc::clone(shared),
            upstream_resp,
            plan,
            std::mem::replace(rec, Recorder::detached()),
        );
        respond::stamp(&mut resp, &ctx.id, &timing);
        return Ok(Outcome::Streaming(resp));
    }
    let resp = relay::whole(upstream_resp, &plan, rec).await?;
    let timing = Timing {
        total: started.elapsed(),
        ..timing
    };
    Ok(Outcome::Done(resp, timing))
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
