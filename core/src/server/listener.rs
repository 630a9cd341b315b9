//! Accepting connections: HTTP/1.1 and h2c on one port (hyper-util's auto builder),
//! `TCP_NODELAY`, a header-read timeout, and graceful shutdown that stops accepting, lets
//! in-flight requests and streams finish within `server.shutdown_grace`, then returns.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use crate::gateway::{Gateway, Shared};

/// Serves `gateway` on `listener` until `shutdown` resolves, then drains (bounded by
/// `server.shutdown_grace`). Returns when every connection has closed or the grace is over.
pub async fn serve(
    gateway: Gateway,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let shared = Arc::clone(gateway.shared());
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(10))
        .max_buf_size(64 * 1024);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(256);
    let graceful = GracefulShutdown::new();
    let totals = tokio::spawn(publish_totals(Arc::clone(&shared)));
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors and similar: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let shared = Arc::clone(&shared);
                let service = service_fn(move |req| handle(Arc::clone(&shared), req, peer));
                let conn = builder.serve_connection(TokioIo::new(stream), service).into_owned();
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!(error = %e, %peer, "connection ended with an error");
                    }
                });
            }
        }
    }
    drop(listener);
    shared.stopping.send_replace(true);
    let grace = shared.config.server.shutdown_grace;
    tracing::info!(
        in_flight = shared.tracker.in_flight(),
        ?grace,
        "shutting down: no longer accepting"
    );
    let deadline = tokio::time::Instant::now() + grace;
    if tokio::time::timeout_at(deadline, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("shutdown grace elapsed with connections still open; closing them");
    }
    let left = deadline.saturating_duration_since(tokio::time::Instant::now());
    if !shared.tracker.wait_idle(left).await {
        tracing::warn!(
            in_flight = shared.tracker.in_flight(),
            "shutdown grace elapsed with work in flight"
        );
    }
    totals.abort();
    if let Some(ledger) = shared.books.ledger().cloned() {
        let flushed = tokio::task::spawn_blocking(move || ledger.close(LEDGER_FLUSH))
            .await
            .unwrap_or(false);
        if !flushed {
            tracing::error!("the usage ledger could not be flushed in time");
        }
    }
    Ok(())
}

/// How long shutdown waits for the ledger's last commit.
const LEDGER_FLUSH: Duration = Duration::from_secs(10);

/// Publishes the running totals once a second while they change.
async fn publish_totals(shared: Arc<Shared>) {
    let mut last = None;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
        let now = shared.books.snapshot();
        if last.as_ref() != Some(&now) {
            shared
                .bus
                .publish(crate::events::Event::Totals(Arc::new(now.clone())));
            last = Some(now);
        }
    }
}

async fn handle(
    shared: Arc<Shared>,
    req: http::Request<Incoming>,
    peer: SocketAddr,
) -> Result<http::Response<crate::http::Body>, Infallible> {
    Ok(crate::pipeline::handle(shared, req, peer).await)
}
