//! Building responses: errors in the client's dialect, JSON bodies, and the headers every
//! response carries (`x-relay-request-id`, `Server-Timing`).

use std::time::Duration;

use http::header::{self, HeaderValue};

use crate::error::Error;
use crate::http::{Body, full};
use crate::protocol::Dialect;

/// Header carrying the relay's request id on every response.
pub const REQUEST_ID: &str = "x-relay-request-id";

/// An error response in `dialect`.
pub fn error(dialect: Dialect, err: &Error) -> http::Response<Body> {
    let mut resp = http::Response::new(full(dialect.error_body(err)));
    *resp.status_mut() = err.status();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(secs) = err.retry_after() {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    resp
}

/// A 200 JSON response.
pub fn json(body: impl Into<bytes::Bytes>) -> http::Response<Body> {
    let mut resp = http::Response::new(full(body.into()));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// Time spent in each phase of a request, for `Server-Timing`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Timing {
    /// Waiting for slots.
    pub queue: Duration,
    /// Upstream time to the response head.
    pub upstream: Option<Duration>,
    /// Total until the response head left the relay.
    pub total: Duration,
}

impl Timing {
    /// The `Server-Timing` header value (milliseconds with microsecond precision).
    pub fn header(&self) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let mut s = format!("queue;dur={:.3}", ms(self.queue));
        if let Some(u) = self.upstream {
            s.push_str(&format!(", upstream;dur={:.3}", ms(u)));
        }
        s.push_str(&format!(", total;dur={:.3}", ms(self.total)));
        s
    }
}

/// Adds the headers every response carries.
pub fn stamp(resp: &mut http::Response<Body>, request_id: &str, timing: &Timing) {
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert(REQUEST_ID, v);
    }
    if let Ok(v) = HeaderValue::from_str(&timing.header()) {
        h.insert("server-timing", v);
    }
}
