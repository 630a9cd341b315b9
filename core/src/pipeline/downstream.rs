//! The client side of a request, owned by the request task: either a complete response not yet
//! sent, or, once committed, an SSE body fed event by event. Knows when the client went away.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, header};
use http_body::Frame;
use http_body_util::{BodyExt, StreamBody};
use tokio::sync::{mpsc, oneshot};

use crate::error::Error;
use crate::http::Body;
use crate::protocol::{Dialect, StreamContext};
use crate::server::respond::{self, Timing};

/// Frames buffered between the request task and a slow client.
const CHANNEL_FRAMES: usize = 16;

/// Where a request's answer goes.
#[derive(Debug)]
pub struct Downstream {
    id: String,
    dialect: Dialect,
    head: Option<oneshot::Sender<http::Response<Body>>>,
    body: Option<mpsc::Sender<Bytes>>,
    /// A streaming head was sent (the body may since have been abandoned).
    was_committed: bool,
    /// How long a write may wait for a client that stopped reading.
    write_timeout: Duration,
    gone: Arc<AtomicBool>,
}

impl Downstream {
    /// A downstream answering through `head` in `dialect`; `gone` is set when the client leaves.
    pub fn new(
        id: &str,
        dialect: Dialect,
        head: oneshot::Sender<http::Response<Body>>,
        gone: Arc<AtomicBool>,
        write_timeout: Duration,
    ) -> Self {
        Self {
            id: id.to_owned(),
            dialect,
            head: Some(head),
            body: None,
            was_committed: false,
            write_timeout,
            gone,
        }
    }

    /// The client's dialect.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Whether a streaming response head was already sent (only SSE events can follow).
    pub fn committed(&self) -> bool {
        self.was_committed
    }

    /// Whether the client went away.
    pub fn is_gone(&self) -> bool {
        self.gone.load(Ordering::Relaxed)
    }

    fn mark_gone(&self) {
        self.gone.store(true, Ordering::Relaxed);
    }

    /// Checks (without waiting) whether the client went away.
    pub fn poll_gone(&mut self) -> bool {
        let closed = match (self.head.as_ref(), self.body.as_ref()) {
            (Some(h), _) => h.is_closed(),
            (None, Some(b)) => b.is_closed(),
            (None, None) => false,
        };
        if closed {
            self.mark_gone();
        }
        self.is_gone()
    }

    /// Sends a complete response (when nothing was committed).
    pub fn respond(&mut self, mut resp: http::Response<Body>, timing: &Timing) {
        respond::stamp(&mut resp, &self.id, timing);
        if let Some(tx) = self.head.take()
            && tx.send(resp).is_err()
        {
            self.mark_gone();
        }
    }

    /// Commits a streaming response with the status and headers of `head` (upstream headers
    /// worth passing on, or none); everything after goes through [`Downstream::send`].
    pub fn commit(&mut self, head: http::Response<()>, timing: &Timing) {
        if self.committed() {
            return;
        }
        let (tx, rx) = mpsc::channel::<Bytes>(CHANNEL_FRAMES);
        let frames = futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv()
                .await
                .map(|b| (Ok::<_, Infallible>(Frame::data(b)), rx))
        });
        let (mut parts, ()) = head.into_parts();
        parts.headers.remove(header::CONTENT_LENGTH);
        parts.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream"),
        );
        parts
            .headers
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        parts
            .headers
            .insert("x-accel-buffering", HeaderValue::from_static("no"));
        let resp = http::Response::from_parts(
            parts,
            StreamBody::new(frames)
                .map_err(|never| match never {})
                .boxed_unsync(),
        );
        self.body = Some(tx);
        self.was_committed = true;
        self.respond(resp, timing);
    }

    /// Sends bytes on a committed stream; false when the client is gone.
    pub async fn send(&mut self, bytes: Bytes) -> bool {
        if self.is_gone() {
            return false;
        }
        let sent = match self.body.as_ref() {
            Some(tx) => tx.send_timeout(bytes, self.write_timeout).await.is_ok(),
            None => false,
        };
        if !sent {
            // Closed, or the client stopped reading: stop writing (dropping the sender ends
            // the body) and let the caller drain the upstream for usage.
            self.body = None;
            self.mark_gone();
        }
        sent
    }

    /// A keep-alive on a committed stream.
    pub async fn ping(&mut self) -> bool {
        let k = self.dialect.keepalive();
        self.send(k).await
    }

    /// Ends the request with `err`: an error response, or on a committed stream the dialect's
    /// terminal error event.
    pub async fn fail(&mut self, err: &Error, ctx: &StreamContext, timing: &Timing) {
        if self.committed() {
            let ev = self.dialect.stream_error(err, ctx);
            self.send(ev).await;
        } else {
            self.respond(respond::error(self.dialect, err), timing);
        }
    }
}
