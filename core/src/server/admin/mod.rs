//! The admin API for the dashboard and scripts, on the relay's own port: a status snapshot, a
//! live event stream, operator actions and Prometheus metrics. Only loopback peers holding the
//! admin token (`DATA_DIR/admin.token`, created 0600 on first start) are let in; the Host and
//! Origin checks of the client API apply too.
//!
//! | path | what |
//! |---|---|
//! | `GET /relay/v1/status` | [`wire::Snapshot`] |
//! | `GET /relay/v1/events` | SSE: `snapshot`, then [`wire::WireEvent`]s; a consumer that falls behind gets a fresh `snapshot` instead of the events it missed |
//! | `POST /relay/v1/accounts/{name}/pause`, `/resume`, `/clear-cooldown` | operator actions |
//! | `GET /metrics` | Prometheus text format |

pub mod wire;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http::{HeaderValue, Method, StatusCode, header};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::{Frame, Incoming};
use tokio::sync::broadcast::error::RecvError;

use crate::error::{Error, ErrorKind};
use crate::events::{Event, SlotScope};
use crate::gateway::Shared;
use crate::http::{Body, sse};
use crate::server::auth::check_host_origin;
use wire::{AccountStatus, KeyStatus, Slots, Snapshot, Totals, WireEvent};

/// The admin token's file name in the data dir.
pub const TOKEN_FILE: &str = "admin.token";
/// How often an idle event stream gets a keep-alive comment.
const KEEPALIVE: Duration = Duration::from_secs(15);

/// Whether `path` belongs to the admin API.
pub fn is_admin_path(path: &str) -> bool {
    path.starts_with("/relay/") || path == "/metrics"
}

/// Reads the admin token from `data_dir`, creating it (random, mode 0600) on first use.
pub fn load_or_create_token(data_dir: &Path) -> std::io::Result<String> {
    let path = data_dir.join(TOKEN_FILE);
    match std::fs::read_to_string(&path) {
        Ok(t) if !t.trim().is_empty() => return Ok(t.trim().to_owned()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let mut raw = [0u8; 24];
    crate::ids::random_bytes(&mut raw).map_err(|e| std::io::Error::other(e.to_string()))?;
    let token = format!(
        "ra-{}",
        raw.iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
    crate::ledger::create_private_dir(data_dir)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    std::io::Write::write_all(&mut options.open(&path)?, format!("{token}\n").as_bytes())?;
    Ok(token)
}

/// Reads an existing admin token (for `relay dash`).
pub fn read_token(data_dir: &Path) -> std::io::Result<String> {
    Ok(std::fs::read_to_string(data_dir.join(TOKEN_FILE))?
        .trim()
        .to_owned())
}

/// Serves one admin request.
pub async fn handle(
    shared: Arc<Shared>,
    req: http::Request<Incoming>,
    peer: SocketAddr,
) -> http::Response<Body> {
    match check(&shared, &req, peer) {
        Ok(()) => {}
        Err(e) => return error(&e),
    }
    let path = req.uri().path().trim_end_matches('/').to_owned();
    let method = req.method().clone();
    match (method, path.as_str()) {
        (Method::GET, "/relay/v1/status") => json(&snapshot(&shared)),
        (Method::GET, "/relay/v1/events") => events(shared),
        (Method::GET, "/metrics") => metrics(&shared),
        (Method::POST, p) if p.starts_with("/relay/v1/accounts/") => {
            let rest = p.trim_start_matches("/relay/v1/accounts/");
            let Some((name, action)) = rest.rsplit_once('/') else {
                return error(&not_found(p));
            };
            action_on(&shared, name, action)
        }
        (_, p) => error(&not_found(p)),
    }
}

fn check(shared: &Shared, req: &http::Request<Incoming>, peer: SocketAddr) -> Result<(), Error> {
    if !peer.ip().is_loopback() {
        return Err(Error::forbidden(
            "admin_not_loopback",
            "the admin API answers only on loopback",
        ));
    }
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()));
    let origin = req.headers().get(header::ORIGIN).map(HeaderValue::as_bytes);
    check_host_origin(
        host,
        origin,
        &shared.allowed_hosts,
        &shared.config.server.allowed_origins,
    )?;
    let Some(expected) = shared.admin_token.as_deref() else {
        return Err(Error::not_found(
            "admin_disabled",
            "this relay runs without the admin API",
        ));
    };
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !crate::keys::digest_eq(
        &crate::keys::digest(presented),
        &crate::keys::digest(expected),
    ) {
        return Err(Error::unauthorized(
            "invalid_admin_token",
            "send the admin token from DATA_DIR/admin.token as `Authorization: Bearer <token>`",
        ));
    }
    Ok(())
}

fn not_found(path: &str) -> Error {
    Error::not_found(
        "unknown_path",
        format!(
            "no admin endpoint `{path}`; see GET /relay/v1/status, GET /relay/v1/events, POST /relay/v1/accounts/NAME/pause|resume|clear-cooldown, GET /metrics"
        ),
    )
}

fn error(e: &Error) -> http::Response<Body> {
    let body = serde_json::json!({"error": {"code": e.code(), "message": e.message()}});
    let mut resp = json(&body);
    *resp.status_mut() = e.status();
    resp
}

fn json<T: serde::Serialize>(v: &T) -> http::Response<Body> {
    let body = serde_json::to_vec(v).unwrap_or_default();
    crate::server::respond::json(Bytes::from(body))
}

fn action_on(shared: &Shared, name: &str, action: &str) -> http::Response<Body> {
    let Some(account) = shared.pool.get(name) else {
        return error(&Error::not_found(
            "unknown_account",
            format!("no account named `{name}`"),
        ));
    };
    let changed = match action {
        "pause" | "resume" => {
            account.health.set_paused(action == "pause");
            true
        }
        "clear-cooldown" => {
            let had = account.health.clear();
            if had {
                shared.bus.publish(Event::CooldownCleared {
                    account: name.to_owned(),
                });
            }
            had
        }
        other => {
            return error(&Error::new(
                ErrorKind::NotFound,
                StatusCode::NOT_FOUND,
                "unknown_action",
                format!("unknown action `{other}`; use pause, resume or clear-cooldown"),
            ));
        }
    };
    let state = account
        .health
        .state(account.config.enabled, Instant::now())
        .as_str();
    if action != "clear-cooldown" {
        shared.bus.publish(Event::AccountStateChanged {
            account: name.to_owned(),
            state,
        });
    }
    tracing::info!(account = name, action, "operator action");
    json(&serde_json::json!({"account": name, "state": state, "changed": changed}))
}

/// The current state of the relay.
pub fn snapshot(shared: &Shared) -> Snapshot {
    let now = Instant::now();
    let wall = SystemTime::now();
    let totals = shared.books.snapshot();
    let spend = |name: &str| {
        totals
            .accounts
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| *s)
            .unwrap_or_default()
    };
    let accounts = shared
        .pool
        .accounts()
        .iter()
        .map(|a| {
            let s = spend(a.name());
            let occ = a.slots.occupancy();
            let cooling = a
                .health
                .cooling_until(now)
                .map(|u| wall + u.saturating_duration_since(now));
            AccountStatus {
                name: a.name().to_owned(),
                platform: a.platform().as_str().to_owned(),
                state: a.health.state(a.config.enabled, now).as_str().to_owned(),
                cooldown_until: cooling.map(crate::ids::rfc3339),
                cooldown_until_ms: cooling.map(crate::ledger::unix_ms),
                cooldown_reason: a.health.cooldown_reason(now).map(str::to_owned),
                slots: Slots {
                    in_use: occ.in_use,
                    max: occ.max,
                    waiting: occ.waiting,
                },
                requests_today: s.requests_today,
                errors_today: s.errors_today,
                cost_today_usd: usd(s.today_micros),
                last_error: a.health.last_error(),
                priority: a.config.priority,
            }
        })
        .collect();
    let key_spend = |name: &str| {
        totals
            .keys
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| *s)
            .unwrap_or_default()
    };
    let mut keys: Vec<KeyStatus> = shared
        .keys
        .iter()
        .map(|(k, limiter)| {
            let s = key_spend(&k.name);
            let occ = limiter.occupancy();
            KeyStatus {
                name: k.name.clone(),
                slots: Slots {
                    in_use: occ.in_use,
                    max: occ.max,
                    waiting: occ.waiting,
                },
                cost_today_usd: usd(s.today_micros),
                cost_month_usd: usd(s.month_micros),
                requests_today: s.requests_today,
                daily_usd: k.daily_usd,
                monthly_usd: k.monthly_usd,
            }
        })
        .collect();
    if let Some((_, s)) = totals
        .keys
        .iter()
        .find(|(n, _)| n == crate::ledger::totals::KEYLESS)
    {
        keys.push(KeyStatus {
            name: crate::ledger::totals::KEYLESS.to_owned(),
            cost_today_usd: usd(s.today_micros),
            cost_month_usd: usd(s.month_micros),
            requests_today: s.requests_today,
            ..KeyStatus::default()
        });
    }
    Snapshot {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        listen: shared.config.server.listen.to_string(),
        time_ms: crate::ledger::unix_ms(wall),
        accounts,
        keys,
        in_flight: shared.books.live.snapshot(),
        totals: wire_totals(&totals),
    }
}

fn wire_totals(t: &crate::ledger::totals::TotalsSnapshot) -> Totals {
    Totals {
        day: t.day.clone(),
        requests_today: t.all.requests_today,
        errors_today: t.all.errors_today,
        cost_today_usd: usd(t.all.today_micros),
        cost_month_usd: usd(t.all.month_micros),
        tokens_per_minute: t.tokens_per_minute,
        requests_per_minute: t.requests_per_minute,
    }
}

/// A pipeline event as the admin API sends it (`None` for events it does not forward).
pub fn wire_event(shared: &Shared, event: &Event) -> Option<WireEvent> {
    let now = crate::ledger::unix_ms(SystemTime::now());
    Some(match event {
        Event::RequestStarted { id, model, inbound } => WireEvent::RequestStarted {
            id: id.clone(),
            model: model.clone(),
            inbound: inbound.as_str().to_owned(),
            time_ms: now,
        },
        Event::AccountSelected {
            id,
            account,
            sticky,
            attempt,
            upstream,
        } => WireEvent::AccountSelected {
            id: id.clone(),
            account: account.clone(),
            sticky: *sticky,
            attempt: *attempt,
            upstream: upstream.as_str().to_owned(),
        },
        Event::RequestFinished(e) => WireEvent::RequestFinished {
            id: e.id.clone(),
            key: e.key.clone(),
            account: e.account.clone(),
            inbound: e.inbound.as_str().to_owned(),
            model: e.model.clone(),
            status: e.status,
            error: e.error.map(str::to_owned),
            input_tokens: e.usage.input,
            output_tokens: e.usage.output,
            cache_read_tokens: e.usage.cache_read,
            cache_creation_tokens: e.usage.cache_write,
            cost_usd: usd(e.cost.micros),
            latency_ms: e.latency_ms,
            client_disconnected: e.client_disconnected,
            time_ms: now,
        },
        Event::SlotWait { id, scope, name } => WireEvent::SlotWait {
            id: id.clone(),
            scope: match scope {
                SlotScope::Key => "key",
                SlotScope::Account => "account",
            }
            .to_owned(),
            name: name.clone(),
        },
        Event::Failover {
            id,
            from,
            status,
            reason,
        } => WireEvent::Failover {
            id: id.clone(),
            from: from.clone(),
            status: *status,
            reason: (*reason).to_owned(),
            time_ms: now,
        },
        Event::CooldownSet {
            account,
            until,
            reason,
        } => WireEvent::CooldownSet {
            account: account.clone(),
            until_ms: crate::ledger::unix_ms(*until),
            reason: (*reason).to_owned(),
            time_ms: now,
        },
        Event::CooldownCleared { account } => WireEvent::CooldownCleared {
            account: account.clone(),
        },
        Event::TokenRefreshed { account } => WireEvent::TokenRefreshed {
            account: account.clone(),
            time_ms: now,
        },
        Event::AccountStateChanged { account, state } => WireEvent::AccountState {
            account: account.clone(),
            state: (*state).to_owned(),
        },
        Event::Totals(t) => {
            let snap = snapshot(shared);
            WireEvent::Totals {
                totals: wire_totals(t),
                keys: snap.keys,
                accounts: t
                    .accounts
                    .iter()
                    .map(|(n, s)| {
                        (
                            n.clone(),
                            s.requests_today,
                            s.errors_today,
                            usd(s.today_micros),
                        )
                    })
                    .collect(),
            }
        }
        _ => return None,
    })
}

/// The event stream: a snapshot, then live events; a fresh snapshot whenever this consumer
/// fell behind the bus (it never slows the pipeline: the bus drops what it cannot hold).
pub fn events(shared: Arc<Shared>) -> http::Response<Body> {
    let rx = shared.bus.subscribe();
    let first = frame("snapshot", &snapshot(&shared));
    struct State {
        shared: Arc<Shared>,
        rx: tokio::sync::broadcast::Receiver<Event>,
        stopping: tokio::sync::watch::Receiver<bool>,
        first: Option<Bytes>,
    }
    let state = State {
        stopping: shared.stopping.subscribe(),
        shared,
        rx,
        first: Some(first),
    };
    let frames = futures_util::stream::unfold(state, |mut st| async move {
        if let Some(f) = st.first.take() {
            return Some((Ok::<_, Infallible>(Frame::data(f)), st));
        }
        loop {
            let next = tokio::select! {
                next = tokio::time::timeout(KEEPALIVE, st.rx.recv()) => next,
                _ = st.stopping.wait_for(|stopping| *stopping) => return None,
            };
            match next {
                Err(_) => return Some((Ok(Frame::data(sse::comment("keepalive"))), st)),
                Ok(Ok(ev)) => {
                    if let Some(w) = wire_event(&st.shared, &ev) {
                        let name = event_name(&w);
                        return Some((Ok(Frame::data(frame(name, &w))), st));
                    }
                }
                Ok(Err(RecvError::Lagged(missed))) => {
                    tracing::debug!(missed, "admin event consumer fell behind; resyncing");
                    let snap = snapshot(&st.shared);
                    return Some((Ok(Frame::data(frame("snapshot", &snap))), st));
                }
                Ok(Err(RecvError::Closed)) => return None,
            }
        }
    });
    let mut resp = http::Response::new(
        StreamBody::new(frames)
            .map_err(|n| match n {})
            .boxed_unsync(),
    );
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

fn event_name(w: &WireEvent) -> &'static str {
    match w {
        WireEvent::RequestStarted { .. } => "request_started",
        WireEvent::AccountSelected { .. } => "account_selected",
        WireEvent::RequestFinished { .. } => "request_finished",
        WireEvent::SlotWait { .. } => "slot_wait",
        WireEvent::Failover { .. } => "failover",
        WireEvent::CooldownSet { .. } => "cooldown_set",
        WireEvent::CooldownCleared { .. } => "cooldown_cleared",
        WireEvent::AccountState { .. } => "account_state",
        WireEvent::TokenRefreshed { .. } => "token_refreshed",
        WireEvent::Totals { .. } => "totals",
    }
}

fn frame<T: serde::Serialize>(name: &str, v: &T) -> Bytes {
    sse::encode(Some(name), &serde_json::to_string(v).unwrap_or_default())
}

fn metrics(shared: &Shared) -> http::Response<Body> {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(4096);
    shared.books.metrics.render(&mut out);
    let now = Instant::now();
    out.push_str("# HELP relay_account_slots_in_use Requests in flight per account.\n# TYPE relay_account_slots_in_use gauge\n");
    for a in shared.pool.accounts() {
        let o = a.slots.occupancy();
        let _ = writeln!(
            out,
            "relay_account_slots_in_use{{account=\"{}\"}} {}",
            crate::metrics::escape(a.name()),
            o.in_use
        );
    }
    out.push_str("# HELP relay_account_slots_max Concurrency limit per account.\n# TYPE relay_account_slots_max gauge\n");
    for a in shared.pool.accounts() {
        let _ = writeln!(
            out,
            "relay_account_slots_max{{account=\"{}\"}} {}",
            crate::metrics::escape(a.name()),
            a.slots.occupancy().max
        );
    }
    out.push_str("# HELP relay_account_slots_waiting Requests queued per account.\n# TYPE relay_account_slots_waiting gauge\n");
    for a in shared.pool.accounts() {
        let _ = writeln!(
            out,
            "relay_account_slots_waiting{{account=\"{}\"}} {}",
            crate::metrics::escape(a.name()),
            a.slots.occupancy().waiting
        );
    }
    out.push_str("# HELP relay_account_cooling Whether the account is cooling down (1) or not (0).\n# TYPE relay_account_cooling gauge\n");
    for a in shared.pool.accounts() {
        let cooling = u8::from(a.health.cooling_until(now).is_some());
        let _ = writeln!(
            out,
            "relay_account_cooling{{account=\"{}\"}} {cooling}",
            crate::metrics::escape(a.name())
        );
    }
    out.push_str("# HELP relay_key_slots_in_use Requests in flight per client key.\n# TYPE relay_key_slots_in_use gauge\n");
    for (k, limiter) in shared.keys.iter() {
        let _ = writeln!(
            out,
            "relay_key_slots_in_use{{key=\"{}\"}} {}",
            crate::metrics::escape(&k.name),
            limiter.occupancy().in_use
        );
    }
    out.push_str("# HELP relay_requests_in_flight Requests accepted and not finished.\n# TYPE relay_requests_in_flight gauge\n");
    let _ = writeln!(
        out,
        "relay_requests_in_flight {}",
        shared.books.live.snapshot().len()
    );
    let mut resp = http::Response::new(crate::http::full(out));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    resp
}

fn usd(micros: u64) -> f64 {
    #[expect(clippy::cast_precision_loss, reason = "dollars for display")]
    let v = micros as f64 / 1e6;
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::{Gateway, Options};

    async fn next_event(body: &mut Body) -> (String, String) {
        let frame = tokio::time::timeout(Duration::from_secs(5), body.frame())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let data = frame.into_data().unwrap();
        let mut out = Vec::new();
        let mut d = sse::Decoder::new(1 << 20);
        d.push(&data, &mut out).unwrap();
        let ev = out.pop().unwrap();
        (ev.event.unwrap_or_default(), ev.data)
    }

    #[test]
    fn the_admin_token_is_created_private_once_and_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let first = load_or_create_token(&data).unwrap();
        assert!(first.starts_with("ra-") && first.len() == 3 + 48, "{first}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(data.join(TOKEN_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(load_or_create_token(&data).unwrap(), first);
        assert_eq!(read_token(&data).unwrap(), first);
        assert_ne!(
            load_or_create_token(&dir.path().join("other")).unwrap(),
            first
        );
    }

    #[tokio::test]
    async fn a_consumer_that_falls_behind_gets_a_fresh_snapshot_then_live_events() {
        let options = Options {
            bus_capacity: Some(8),
            admin_token: Some("t".into()),
            ..Options::default()
        };
        let env = std::collections::HashMap::<String, String>::new();
        let gw = Gateway::build(crate::config::Config::default(), &env, options).unwrap();
        let shared = Arc::clone(gw.shared());
        let mut body = events(Arc::clone(&shared)).into_body();
        let (name, data) = next_event(&mut body).await;
        assert_eq!(name, "snapshot");
        let snap: Snapshot = serde_json::from_str(&data).unwrap();
        assert!(snap.in_flight.is_empty());
        // Far more events than the bus holds for this consumer, while it is not reading.
        for i in 0..50 {
            shared.bus.publish(Event::CooldownCleared {
                account: format!("a{i}"),
            });
        }
        let (name, data) = next_event(&mut body).await;
        assert_eq!(name, "snapshot", "resync instead of a gap: {data}");
        let _: Snapshot = serde_json::from_str(&data).unwrap();
        // The events still buffered after the lag, then new ones, arrive as they are.
        let mut last = String::new();
        for _ in 0..8 {
            let (name, data) = next_event(&mut body).await;
            assert_eq!(name, "cooldown_cleared");
            last = data;
        }
        assert!(last.contains("\"a49\""), "{last}");
        shared.bus.publish(Event::AccountStateChanged {
            account: "x".into(),
            state: "paused",
        });
        let (name, data) = next_event(&mut body).await;
        assert_eq!(name, "account_state");
        let w: WireEvent = serde_json::from_str(&data).unwrap();
        assert_eq!(
            w,
            WireEvent::AccountState {
                account: "x".into(),
                state: "paused".into()
            }
        );
    }
}
