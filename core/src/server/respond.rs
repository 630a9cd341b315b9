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
        let mut s = String::with_capacity(64);
        push_duration(&mut s, "queue", self.queue);
        if let Some(u) = self.upstream {
            s.push_str(", ");
            push_duration(&mut s, "upstream", u);
        }
        s.push_str(", ");
        push_duration(&mut s, "total", self.total);
        s
    }
}

/// `name;dur=` and `d` in milliseconds with three decimals, from whole microseconds
/// (rounded): every response carries three, and float formatting costs several times more.
fn push_duration(s: &mut String, name: &str, d: Duration) {
    use std::fmt::Write as _;
    let micros = d.as_nanos().saturating_add(500) / 1000;
    let _ = write!(s, "{name};dur={}.{:03}", micros / 1000, micros % 1000);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_timing_reads_as_float_milliseconds_would() {
        let mut seed = 3u64;
        for _ in 0..5_000 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let nanos = (seed >> 20) % 50_000_000_000;
            // Half a microsecond exactly rounds either way in binary floating point.
            if nanos % 1000 == 500 {
                continue;
            }
            let d = Duration::from_nanos(nanos);
            let mut s = String::new();
            push_duration(&mut s, "x", d);
            // What the header said when it was written with float formatting.
            assert_eq!(s, format!("x;dur={:.3}", d.as_secs_f64() * 1000.0));
        }
        let t = Timing {
            queue: Duration::from_micros(1),
            upstream: Some(Duration::from_millis(12)),
            total: Duration::from_micros(12_345_678),
        };
        assert_eq!(
            t.header(),
            "queue;dur=0.001, upstream;dur=12.000, total;dur=12345.678"
        );
        let none = Timing::default();
        assert_eq!(none.header(), "queue;dur=0.000, total;dur=0.000");
    }
}
