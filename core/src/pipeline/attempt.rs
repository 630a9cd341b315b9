//! The attempt loop of one request: client-key slot, session stickiness, account ranking,
//! account slot (a lease), the upstream exchange, and failover with cooldowns until an answer
//! is delivered or `1 + gateway.max_account_switches` attempts have failed.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{StatusCode, header};
use hyper::body::Incoming;
use tokio::time::Instant;

use super::downstream::Downstream;
use super::envelope::{self, Envelope};
use super::record::{Recorder, millis};
use super::relay::{self, Plan, Relayed};
use crate::config::Platform;
use crate::error::{Error, ErrorKind};
use crate::events::{Event, SlotScope};
use crate::failover::{self, Action, Failure, Penalty};
use crate::gateway::Shared;
use crate::http::client::SendError;
use crate::http::read_bounded;
use crate::pool::{Account, AccountState, Candidate, Credential, UpstreamAuth};
use crate::protocol::{Dialect, StreamContext, convert, json};
use crate::scheduler::select;
use crate::scheduler::session::{self, SessionKey};
use crate::server::respond::Timing;
use crate::server::router::Endpoint;
use crate::slots::{Limiter, Permit, SlotError};
use crate::upstream::{self, mock};

/// How long a request waits for its session's busy sticky account before moving on.
const STICKY_WAIT: Duration = Duration::from_secs(3);
/// How often a queued request checks that its client is still there.
const WAIT_STEP: Duration = Duration::from_millis(500);

/// What a request task knows about its request.
pub struct Ctx {
    /// Gateway state.
    pub shared: Arc<Shared>,
    /// Request id.
    pub id: String,
    /// Client dialect.
    pub dialect: Dialect,
    /// What was asked.
    pub endpoint: Endpoint,
    /// Index of the client key (`None` in keyless mode).
    pub key: Option<usize>,
    /// The key's group.
    pub group: String,
}

/// Runs a request to its end and records it.
pub async fn run(
    ctx: &Ctx,
    parts: http::request::Parts,
    body: Incoming,
    mut rec: Recorder,
    mut down: Downstream,
) {
    let mut timing = Timing::default();
    let result = serve(ctx, &parts, body, &mut rec, &mut down, &mut timing).await;
    timing.total = rec.started().elapsed();
    match result {
        Ok(()) => {
            let (status, code) = rec.event().map_or((200, None), |e| (e.status, e.error));
            rec.finish(status, code);
        }
        Err(e) => {
            let model = rec
                .event()
                .and_then(|e| e.model.clone())
                .unwrap_or_default();
            let committed = down.committed();
            down.fail(
                &e,
                &StreamContext {
                    model,
                    ..StreamContext::default()
                },
                &timing,
            )
            .await;
            let status = if committed { 200 } else { e.status().as_u16() };
            rec.finish(status, Some(e.code()));
        }
    }
}

async fn serve(
    ctx: &Ctx,
    parts: &http::request::Parts,
    body: Incoming,
    rec: &mut Recorder,
    down: &mut Downstream,
    timing: &mut Timing,
) -> Result<(), Error> {
    let shared = &ctx.shared;
    let limit = shared.config.server.max_body_bytes;
    let read = tokio::time::timeout(
        shared.config.gateway.stream_idle_timeout,
        read_bounded(body, limit),
    );
    let read = read.await.map_err(|_| {
        Error::new(
            ErrorKind::InvalidRequest,
            StatusCode::REQUEST_TIMEOUT,
            "body_read_timeout",
            "the request body did not arrive in time (`gateway.stream_idle_timeout`)",
        )
    })?;
    let bytes = read.map_err(|e| match e {
        crate::http::ReadError::TooLarge { limit } => Error::new(
            ErrorKind::TooLarge,
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
    rec.open();
    shared.bus.publish(Event::RequestStarted {
        id: ctx.id.clone(),
        model: Some(env.model.clone()),
        inbound: ctx.dialect,
    });
    let key_cfg = ctx.key.and_then(|i| shared.keys.get(i));
    if let Some(k) = key_cfg
        && ctx.endpoint != Endpoint::CountTokens
    {
        shared
            .books
            .check_budget(k)
            .map_err(|hit| budget_error(&k.name, &hit))?;
    }
    let candidates =
        shared
            .pool
            .route(shared.group(&ctx.group), key_cfg, ctx.dialect, &env.model)?;
    let uses_slots = ctx.endpoint != Endpoint::CountTokens;

    // The client key's slot, held until the request ends.
    let _key_permit = match (ctx.key, key_cfg) {
        (Some(i), Some(k)) if uses_slots => {
            let limiter = shared
                .keys
                .slots(i)
                .ok_or_else(|| Error::internal("internal_error", "key slots missing"))?;
            let waited = Instant::now();
            let permit = wait_slot(
                ctx,
                down,
                limiter,
                SlotScope::Key,
                &k.name,
                shared.config.gateway.key_wait_timeout,
                env.stream,
            )
            .await
            .map_err(|w| {
                slot_error(
                    w,
                    SlotScope::Key,
                    &k.name,
                    limiter,
                    shared.config.gateway.key_wait_timeout,
                )
            })?;
            timing.queue += waited.elapsed();
            Some(permit)
        }
        _ => None,
    };

    let key_id = key_cfg.map_or("keyless", |k| k.name.as_str());
    let session = session::session_key(ctx.dialect, &parts.headers, &bytes, key_id);
    let bound = session
        .as_ref()
        .and_then(|s| shared.sticky.get(&ctx.group, s, std::time::Instant::now()));
    let max_attempts = 1 + shared.config.gateway.max_account_switches;
    let mut tried: Vec<String> = Vec::new();
    let mut failures: Vec<(String, Failure, Action)> = Vec::new();
    let mut refused: Option<Error> = None;
    for attempt in 1..=max_attempts {
        let now = std::time::Instant::now();
        let choice = {
            let views: Vec<select::CandidateView<'_>> =
                candidates.iter().map(|c| c.account.view(now)).collect();
            let tried_refs: Vec<&str> = tried.iter().map(String::as_str).collect();
            select::rank(&views, bound.as_deref(), &tried_refs, now)
        };
        if choice.order.is_empty() {
            break;
        }
        let waited = Instant::now();
        let (cand, permit, sticky) =
            lease(ctx, down, &candidates, &choice, uses_slots, env.stream).await?;
        timing.queue += waited.elapsed();
        let account = Arc::clone(&cand.account);
        shared.pool.touch(&account);
        shared.books.live.served_by(&ctx.id, cand.account.name());
        shared.bus.publish(Event::AccountSelected {
            id: ctx.id.clone(),
            account: account.name().to_owned(),
            sticky,
            attempt,
            upstream: cand.upstream_dialect,
        });
        if let Some(e) = rec.event() {
            e.account = Some(account.name().to_owned());
            e.platform = Some(account.platform().as_str());
            e.upstream_model = Some(cand.upstream_model.clone());
            e.attempts = attempt;
        }
        let outcome = exchange(ctx, parts, &bytes, &env, cand, down, rec, timing).await;
        drop(permit);
        match outcome {
            Exchange::Done {
                broken,
                response_id,
            } => {
                if let Some(f) = broken {
                    let action = failover::classify(&f, None, SystemTime::now());
                    penalize(shared, &account, &f, action);
                }
                if let Some(s) = &session {
                    bind(shared, &ctx.group, s, bound.as_deref(), &account);
                }
                if let (Some(rid), Dialect::OpenAiResponses) = (response_id, ctx.dialect) {
                    shared
                        .sticky
                        .pin_response(&rid, account.name(), std::time::Instant::now());
                }
                return Ok(());
            }
            Exchange::Fatal(e) => {
                // This account's dialect cannot express the request; another account may
                // take it as it is. The account itself is fine: no penalty.
                tried.push(account.name().to_owned());
                refused.get_or_insert(e);
            }
            Exchange::Retry(failure, action) => {
                let status = match &failure {
                    Failure::Status { status, .. } => Some(*status),
                    _ => None,
                };
                tracing::info!(id = %ctx.id, account = account.name(), ?status, reason = reason(&failure, action), "failing over");
                shared.bus.publish(Event::Failover {
                    id: ctx.id.clone(),
                    from: account.name().to_owned(),
                    status,
                    reason: reason(&failure, action),
                });
                penalize(shared, &account, &failure, action);
                tried.push(account.name().to_owned());
                failures.push((account.name().to_owned(), failure, action));
                if down.is_gone() {
                    return Err(Error::new(
                        ErrorKind::Upstream,
                        StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST),
                        "client_disconnected",
                        "the client went away",
                    ));
                }
            }
        }
    }
    if failures.is_empty() {
        return Err(refused.unwrap_or_else(|| nothing_eligible(&candidates, &env)));
    }
    Err(failover::exhausted(&failures))
}

/// Stable reason code for events and logs.
fn reason(failure: &Failure, action: Action) -> &'static str {
    match (failure, action) {
        (_, Action::NextAccount(Penalty::RateLimited(_))) => "rate_limited",
        (_, Action::NextAccount(Penalty::Overloaded(_))) => "overloaded",
        (_, Action::NextAccount(Penalty::AuthError)) => "auth_error",
        (Failure::Connect, _) => "connect_failed",
        (Failure::Timeout, _) => "timeout",
        (Failure::StreamError { .. } | Failure::StreamBroken, _) => "stream_error",
        _ => "upstream_error",
    }
}

/// Puts an account in the state a failure calls for, and says so on the bus.
fn penalize(shared: &Shared, account: &Account, failure: &Failure, action: Action) {
    let Action::NextAccount(penalty) = action else {
        return;
    };
    let now = std::time::Instant::now();
    let (duration, why) = match penalty {
        Penalty::RateLimited(d) => (d, "rate_limited"),
        Penalty::Overloaded(d) => (d, "overloaded"),
        Penalty::Faulty(d) => (d, "faulty"),
        Penalty::AuthError => {
            account.health.set_auth_error();
            // A failed refresh already said why, in more words.
            if !matches!(failure, Failure::Credentials) {
                account
                    .health
                    .record_error(format!("credentials refused ({failure})"));
            }
            shared.sticky.unbind_account(account.name());
            tracing::warn!(
                account = account.name(),
                "credentials refused: account marked auth_error"
            );
            shared.bus.publish(Event::AccountStateChanged {
                account: account.name().to_owned(),
                state: AccountState::AuthError.as_str(),
            });
            return;
        }
    };
    let until = account.health.cool(now + duration, why);
    account.health.record_error(format!("{why} ({failure})"));
    let remaining = until.saturating_duration_since(now);
    shared.bus.publish(Event::CooldownSet {
        account: account.name().to_owned(),
        until: SystemTime::now() + remaining,
        reason: why,
    });
}

/// Binds the session to the account that answered, without stealing a live binding from a
/// healthy account (switching accounts loses the prompt cache).
fn bind(
    shared: &Shared,
    group: &str,
    session: &SessionKey,
    bound: Option<&str>,
    account: &Account,
) {
    let now = std::time::Instant::now();
    if matches!(session, SessionKey::PreviousResponse(_)) {
        return;
    }
    match bound {
        Some(b) if b != account.name() => {
            let usable = shared.pool.get(b).is_some_and(|a| {
                matches!(
                    a.health.state(a.config.enabled, now),
                    AccountState::Active | AccountState::Cooling
                )
            });
            if !usable {
                shared.sticky.bind(group, session, account.name(), now);
            }
        }
        _ => {
            shared
                .sticky
                .bind_if_unbound(group, session, account.name(), now);
        }
    }
}

/// Why no account could even be tried.
fn nothing_eligible(candidates: &[Candidate], env: &Envelope) -> Error {
    let now = std::time::Instant::now();
    let mut earliest: Option<Duration> = None;
    let mut states = Vec::new();
    for c in candidates {
        let a = &c.account;
        let state = a.health.state(a.config.enabled, now);
        if let Some(until) = a.health.cooling_until(now) {
            let left = until.saturating_duration_since(now);
            earliest = Some(earliest.map_or(left, |e| e.min(left)));
            let why = a.health.cooldown_reason(now).unwrap_or("cooling");
            states.push(format!(
                "{}: {why}, {}s left",
                a.name(),
                left.as_secs().max(1)
            ));
        } else {
            states.push(format!("{}: {}", a.name(), state.as_str()));
        }
    }
    let list = states.join("; ");
    match earliest {
        Some(d) => Error::new(
            ErrorKind::RateLimit,
            StatusCode::TOO_MANY_REQUESTS,
            "all_accounts_cooling",
            format!(
                "every account serving `{}` is cooling down ({list}); retry after the time given",
                env.model
            ),
        )
        .with_retry_after(d.as_secs().max(1) + u64::from(d.subsec_nanos() > 0)),
        None => Error::new(
            ErrorKind::Upstream,
            StatusCode::SERVICE_UNAVAILABLE,
            "no_usable_account",
            format!(
                "no usable account serves `{}` ({list}); resume or fix the accounts (the dashboard and `relay account` show their state)",
                env.model
            ),
        ),
    }
}

/// Why a wait for a slot ended without one.
enum WaitEnd {
    Slot(SlotError),
    Gone,
}

/// Waits for a slot of `limiter`; a streaming client gets keep-alives meanwhile.
async fn wait_slot(
    ctx: &Ctx,
    down: &mut Downstream,
    limiter: &Limiter,
    scope: SlotScope,
    name: &str,
    timeout: Duration,
    stream: bool,
) -> Result<Permit, WaitEnd> {
    if let Some(p) = limiter.try_acquire() {
        return Ok(p);
    }
    let shared = &ctx.shared;
    shared.bus.publish(Event::SlotWait {
        id: ctx.id.clone(),
        scope,
        name: name.to_owned(),
    });
    let started = Instant::now();
    let fut = limiter.acquire(timeout);
    tokio::pin!(fut);
    let keepalive = shared
        .config
        .gateway
        .keepalive_interval
        .max(Duration::from_millis(10));
    let mut last_ping = Instant::now();
    let step = WAIT_STEP.min(keepalive);
    loop {
        match tokio::time::timeout(step, &mut fut).await {
            Ok(Ok(p)) => {
                shared.bus.publish(Event::SlotAcquired {
                    id: ctx.id.clone(),
                    scope,
                    name: name.to_owned(),
                    waited_ms: millis(started.elapsed()),
                });
                return Ok(p);
            }
            Ok(Err(e)) => return Err(WaitEnd::Slot(e)),
            Err(_) => {
                if down.poll_gone() {
                    return Err(WaitEnd::Gone);
                }
                if stream && last_ping.elapsed() >= keepalive {
                    last_ping = Instant::now();
                    if !down.committed() {
                        down.commit(http::Response::new(()), &Timing::default());
                    }
                    down.ping().await;
                }
            }
        }
    }
}

fn slot_error(
    w: WaitEnd,
    scope: SlotScope,
    name: &str,
    limiter: &Limiter,
    timeout: Duration,
) -> Error {
    let occ = limiter.occupancy();
    let (what, setting, code) = match scope {
        SlotScope::Key => (
            format!("key `{name}`"),
            "gateway.key_wait_timeout",
            "key_concurrency_limit",
        ),
        SlotScope::Account => (
            format!("account `{name}`"),
            "gateway.account_wait_timeout",
            "account_concurrency_limit",
        ),
    };
    let message = match w {
        WaitEnd::Gone => {
            return Error::new(
                ErrorKind::InvalidRequest,
                StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST),
                "client_disconnected",
                "the client went away while queued",
            );
        }
        WaitEnd::Slot(SlotError::QueueFull) => format!(
            "too many requests queued for {what}: {} in flight (its `concurrency`) and {} waiting (`concurrency` + `gateway.extra_wait_slots`); retry later",
            occ.in_use, occ.waiting
        ),
        WaitEnd::Slot(SlotError::Timeout) => format!(
            "{what} had no free slot within {}s (`{setting}`); it allows {} requests in flight (`concurrency`)",
            timeout.as_secs(),
            occ.max
        ),
    };
    Error::new(
        ErrorKind::RateLimit,
        StatusCode::TOO_MANY_REQUESTS,
        code,
        message,
    )
    .with_retry_after(1)
}

/// Takes a slot on the best candidate that has one: the sticky account (waited for briefly
/// when busy), else the first free one in rank order, else a bounded wait on the best.
async fn lease<'c>(
    ctx: &Ctx,
    down: &mut Downstream,
    candidates: &'c [Candidate],
    choice: &select::Choice,
    uses_slots: bool,
    stream: bool,
) -> Result<(&'c Candidate, Option<Permit>, bool), Error> {
    let pick = |i: usize| {
        candidates
            .get(i)
            .ok_or_else(|| Error::internal("internal_error", "scheduler index out of range"))
    };
    let first = pick(
        *choice
            .order
            .first()
            .ok_or_else(|| Error::internal("internal_error", "empty choice"))?,
    )?;
    if !uses_slots {
        return Ok((first, None, choice.sticky));
    }
    let gw = &ctx.shared.config.gateway;
    let skip = usize::from(choice.sticky);
    if choice.sticky {
        // The session's account keeps its prompt cache warm: worth a short wait. With no
        // other candidate, the wait is the whole account wait.
        let a = &first.account;
        let alone = choice.order.len() == 1;
        let limit = if alone {
            gw.account_wait_timeout
        } else {
            STICKY_WAIT.min(gw.account_wait_timeout)
        };
        match wait_slot(
            ctx,
            down,
            &a.slots,
            SlotScope::Account,
            a.name(),
            limit,
            stream,
        )
        .await
        {
            Ok(p) => return Ok((first, Some(p), true)),
            Err(WaitEnd::Slot(_)) if !alone => {}
            Err(w) => return Err(slot_error(w, SlotScope::Account, a.name(), &a.slots, limit)),
        }
    }
    for &i in choice.order.iter().skip(skip) {
        let c = pick(i)?;
        if let Some(p) = c.account.slots.try_acquire() {
            return Ok((c, Some(p), false));
        }
    }
    let best_index = choice
        .order
        .get(skip)
        .or(choice.order.first())
        .copied()
        .unwrap_or_default();
    let best = pick(best_index)?;
    let a = &best.account;
    let p = wait_slot(
        ctx,
        down,
        &a.slots,
        SlotScope::Account,
        a.name(),
        gw.account_wait_timeout,
        stream,
    )
    .await
    .map_err(|w| {
        slot_error(
            w,
            SlotScope::Account,
            a.name(),
            &a.slots,
            gw.account_wait_timeout,
        )
    })?;
    Ok((best, Some(p), skip == 0 && choice.sticky))
}

/// The outcome of one exchange with one account.
enum Exchange {
    Done {
        broken: Option<Failure>,
        response_id: Option<String>,
    },
    Retry(Failure, Action),
    /// The request itself cannot be served this way (e.g. a field the upstream's dialect
    /// cannot express).
    Fatal(Error),
}

/// A local estimate of a request's input tokens (about four characters per token over every
/// string in the body: system prompt, messages and tools included), for upstreams without a
/// counting endpoint in the client's dialect.
fn count_tokens_estimate(body: &[u8]) -> u64 {
    fn chars(v: &serde_json::Value) -> usize {
        match v {
            serde_json::Value::String(s) => s.chars().count(),
            serde_json::Value::Array(a) => a.iter().map(chars).sum(),
            serde_json::Value::Object(o) => o
                .iter()
                .filter(|(k, _)| k.as_str() != "model")
                .map(|(k, v)| k.len() / 2 + chars(v))
                .sum(),
            _ => 1,
        }
    }
    let n = serde_json::from_slice::<serde_json::Value>(body).map_or(body.len(), |v| chars(&v));
    (n as u64).div_ceil(4).max(1)
}

/// One exchange with one account: send, classify the head, relay or fail over.
#[expect(
    clippy::too_many_arguments,
    reason = "the request's pieces, borrowed separately on purpose"
)]
async fn exchange(
    ctx: &Ctx,
    parts: &http::request::Parts,
    bytes: &Bytes,
    env: &Envelope,
    cand: &Candidate,
    down: &mut Downstream,
    rec: &mut Recorder,
    timing: &mut Timing,
) -> Exchange {
    let shared = &ctx.shared;
    let account = &cand.account;
    let upstream = cand.upstream_dialect;
    let converted = upstream != ctx.dialect;
    if converted && ctx.endpoint == Endpoint::CountTokens {
        // No counting endpoint in the upstream's dialect: a local estimate.
        let n = count_tokens_estimate(bytes);
        down.respond(
            crate::server::respond::json(format!(r#"{{"input_tokens":{n}}}"#)),
            timing,
        );
        if let Some(e) = rec.event() {
            e.status = 200;
        }
        return Exchange::Done {
            broken: None,
            response_id: None,
        };
    }
    let restore_model = !converted && cand.upstream_model != env.model;
    let mut out = bytes.clone();
    if converted {
        let rctx = convert::RequestContext {
            upstream_model: &cand.upstream_model,
            stream: env.stream,
        };
        match convert::request(ctx.dialect, upstream, bytes, &rctx) {
            Ok(b) => out = Bytes::from(b),
            Err(e) => {
                return Exchange::Fatal(Error::invalid(
                    "conversion_unsupported",
                    format!(
                        "{e} (this request goes to a `{}` upstream)",
                        upstream.as_str()
                    ),
                ));
            }
        }
    } else if restore_model {
        out = json::set(
            &out,
            &["model"],
            json::quote(&cand.upstream_model).as_bytes(),
        )
        .map(Bytes::from)
        .unwrap_or(out);
    }
    // Only a streaming Chat client's body needs this scan.
    let strip_usage_chunk = ctx.dialect == Dialect::OpenAiChat
        && env.stream
        && !json::bool_at(bytes, &["stream_options", "include_usage"]).unwrap_or(false);
    if strip_usage_chunk && !converted {
        out = json::set(&out, &["stream_options", "include_usage"], b"true")
            .map(Bytes::from)
            .unwrap_or(out);
    }
    let target = if converted {
        Endpoint::Generate(upstream)
    } else {
        ctx.endpoint
    };
    let (path, op) = match target {
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
    let client = account.client.as_ref().unwrap_or(&shared.client);
    let sent = if account.platform() == Platform::Mock {
        Ok(mock::respond(account, op, &out, &cand.upstream_model).await)
    } else {
        let query = if converted { None } else { parts.uri.query() };
        let mut auth = match account.upstream_auth(client).await {
            Ok((auth, refreshed)) => {
                if refreshed {
                    token_refreshed(shared, account);
                }
                auth
            }
            Err(e) => return login_failed(account, &e),
        };
        let mut retried = false;
        loop {
            let r =
                match upstream::prepare(account, &auth, path, query, &parts.headers, out.clone()) {
                    Ok(req) => {
                        client
                            .send(req, shared.config.gateway.first_byte_timeout)
                            .await
                    }
                    Err(e) => Err(SendError::Other(e.message().to_owned())),
                };
            // A 401 on a login: refresh once (single-flight per account) and send again.
            let unauthorized = matches!(&r, Ok(resp) if resp.status() == StatusCode::UNAUTHORIZED);
            match (&account.credential, &auth) {
                (Credential::OAuth(src), UpstreamAuth::Bearer { token, .. })
                    if unauthorized && !retried =>
                {
                    retried = true;
                    drop(r);
                    match src.after_unauthorized(client, token).await {
                        Ok(b) => {
                            if b.refreshed {
                                token_refreshed(shared, account);
                            }
                            auth = UpstreamAuth::Bearer {
                                token: b.token,
                                account_id: b.account_id,
                            };
                        }
                        Err(e) => return login_failed(account, &e),
                    }
                }
                _ => break r,
            }
        }
    };
    let resp = match sent {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(account = account.name(), error = %e, "upstream request failed");
            let failure = match e {
                SendError::FirstByteTimeout(_) => Failure::Timeout,
                SendError::Connect(_) | SendError::Other(_) => Failure::Connect,
            };
            let action = failover::classify(&failure, None, SystemTime::now());
            return Exchange::Retry(failure, action);
        }
    };
    timing.upstream = Some(sent_at.elapsed());
    timing.total = rec.started().elapsed();
    let status = resp.status();
    let is_login = matches!(
        account.credential,
        Credential::OAuth(_) | Credential::SetupToken(_)
    );
    let resp = if is_login && matches!(status.as_u16(), 400 | 403) {
        // A login that only serves its official client says so; that is not the client's
        // fault nor a broken account: another account may serve the request.
        let (head, body) = resp.into_parts();
        let read = tokio::time::timeout(Duration::from_secs(10), read_bounded(body, 256 * 1024));
        let Ok(Ok(b)) = read.await else {
            return Exchange::Retry(
                Failure::StreamBroken,
                Action::NextAccount(Penalty::Faulty(failover::FAULTY_5XX)),
            );
        };
        if let Some(msg) = json::str_at(&b, &["error", "message"]).filter(|m| {
            m.to_ascii_lowercase()
                .contains("only authorized for use with")
        }) {
            return Exchange::Fatal(client_only(account, &msg));
        }
        http::Response::from_parts(head, crate::http::full(b))
    } else {
        resp
    };
    // A redirect is never followed (credentials must not go where an upstream points) nor
    // passed on: the account is misconfigured or faulty.
    let action = if status.is_redirection() {
        Action::NextAccount(Penalty::Faulty(failover::FAULTY_5XX))
    } else {
        failover::classify_status(status.as_u16(), resp.headers(), SystemTime::now())
    };
    if let Action::NextAccount(_) = action {
        let retry_after = failover::reset_after(resp.headers(), SystemTime::now());
        let (_, body) = resp.into_parts();
        let read = tokio::time::timeout(Duration::from_secs(10), read_bounded(body, 64 * 1024));
        if let Ok(Ok(b)) = read.await {
            let msg = json::str_at(&b, &["error", "message"])
                .map(|m| m.chars().take(200).collect::<String>());
            tracing::warn!(
                account = account.name(),
                status = status.as_u16(),
                message = msg.as_deref().unwrap_or("-"),
                "upstream refused"
            );
        }
        return Exchange::Retry(
            Failure::Status {
                status: status.as_u16(),
                retry_after,
            },
            action,
        );
    }
    let plan = Plan {
        dialect: ctx.dialect,
        upstream,
        client_model: env.model.clone(),
        restore_model,
        strip_usage_chunk,
        idle_timeout: shared.config.gateway.stream_idle_timeout,
        keepalive: shared.config.gateway.keepalive_interval,
    };
    let is_sse = status.is_success()
        && resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
    let relayed = if is_sse {
        relay::stream(down, resp, &plan, rec, timing).await
    } else {
        if !status.is_success() {
            tracing::warn!(
                account = account.name(),
                status = status.as_u16(),
                "upstream answered with a client error; passing it on"
            );
            if let Some(e) = rec.event() {
                e.error = Some(super::upstream_code(status.as_u16()));
            }
        }
        relay::whole(down, resp, &plan, rec, timing).await
    };
    match relayed {
        Relayed::Delivered {
            broken,
            response_id,
        } => Exchange::Done {
            broken,
            response_id,
        },
        Relayed::Retry(failure, headers) => {
            let action = failover::classify(&failure, headers.as_ref(), SystemTime::now());
            Exchange::Retry(failure, action)
        }
    }
}

/// The error for a subscription login that refused to serve this client.
fn client_only(account: &Account, upstream_message: &str) -> Error {
    let shown: String = upstream_message.chars().take(200).collect();
    Error::forbidden(
        "subscription_client_only",
        format!(
            "account `{}` is a subscription login, and {} refused this request: \"{shown}\". \
             Subscription logins serve their official client (Claude Code, the Codex CLI); for other \
             clients add an API-key account: `relay account add NAME --platform {}`",
            account.name(),
            match account.platform() {
                Platform::Openai => "OpenAI",
                _ => "Anthropic",
            },
            account.platform().as_str()
        ),
    )
}

/// Says on the bus that an account's login was refreshed.
fn token_refreshed(shared: &Shared, account: &Account) {
    shared.bus.publish(Event::TokenRefreshed {
        account: account.name().to_owned(),
    });
}

/// The login could not be refreshed and the request moves on. A refusal marks the account
/// `auth_error`; an unreachable or failing token endpoint only cools it down briefly.
fn login_failed(account: &Account, e: &crate::oauth::OauthError) -> Exchange {
    use crate::oauth::OauthError;
    tracing::warn!(account = account.name(), error = %e, "OAuth refresh failed");
    account
        .health
        .record_error(format!("login refresh failed: {e}"));
    let transient = match e {
        OauthError::Transport { .. } => true,
        OauthError::Refused { status, .. } => *status >= 500 || *status == 429,
        _ => false,
    };
    if transient {
        return Exchange::Retry(
            Failure::Credentials,
            Action::NextAccount(Penalty::Faulty(failover::FAULTY_5XX)),
        );
    }
    Exchange::Retry(
        Failure::Credentials,
        Action::NextAccount(Penalty::AuthError),
    )
}

/// The 429 for a key over its budget: which budget, what was spent, when it resets.
fn budget_error(key: &str, hit: &crate::ledger::totals::BudgetHit) -> Error {
    let dollars = |micros: u64| {
        #[expect(clippy::cast_precision_loss, reason = "money for display")]
        let usd = micros as f64 / 1e6;
        format!("${usd:.2}")
    };
    let resets = hit.resets_at.strftime("%Y-%m-%d %H:%M %Z");
    let wait = hit
        .resets_at
        .timestamp()
        .duration_since(jiff::Timestamp::now())
        .as_secs()
        .max(1);
    Error::new(
        ErrorKind::RateLimit,
        StatusCode::TOO_MANY_REQUESTS,
        "budget_exceeded",
        format!(
            "client key `{key}` has reached its {} budget of {} ({} spent); it resets at {resets}. Raise `{}_usd` for this key in the config to continue now.",
            hit.period,
            dollars(hit.limit_micros),
            dollars(hit.spent_micros),
            hit.period,
        ),
    )
    .with_retry_after(u64::try_from(wait).unwrap_or(1))
}
