//! The pooled upstream HTTP client: HTTP/1.1 and HTTP/2 (by ALPN) over rustls with the `ring`
//! provider and Mozilla's roots, `TCP_NODELAY`, connect and first-byte timeouts, no redirects.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use super::Body;

/// Why an upstream request produced no response head.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// TCP/TLS connect failed or timed out.
    #[error("cannot connect to the upstream: {0}")]
    Connect(String),
    /// No response head within the first-byte timeout.
    #[error("the upstream sent no response within {0:?}")]
    FirstByteTimeout(Duration),
    /// Any other transport failure.
    #[error("upstream request failed: {0}")]
    Other(String),
}

/// The shared upstream client.
#[derive(Clone, Debug)]
pub struct Client {
    inner: HyperClient<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl Client {
    /// Builds the client. `connect_timeout` bounds TCP connect (TLS is bounded by the
    /// first-byte timeout of each request).
    pub fn new(connect_timeout: Duration) -> Result<Self, crate::Error> {
        let mut http = HttpConnector::new();
        http.set_nodelay(true);
        http.enforce_http(false);
        http.set_connect_timeout(Some(connect_timeout));
        http.set_keepalive(Some(Duration::from_secs(60)));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
            .map_err(|e| crate::Error::internal("tls_setup", format!("TLS setup failed: {e}")))?
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(http);
        let inner = HyperClient::builder(TokioExecutor::new())
            .timer(TokioTimer::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(64)
            .build(https);
        Ok(Self { inner })
    }

    /// Sends a request and waits up to `first_byte` for the response head.
    pub async fn send(
        &self,
        req: http::Request<Full<Bytes>>,
        first_byte: Duration,
    ) -> Result<http::Response<Body>, SendError> {
        match tokio::time::timeout(first_byte, self.inner.request(req)).await {
            Err(_) => Err(SendError::FirstByteTimeout(first_byte)),
            Ok(Err(e)) if e.is_connect() => Err(SendError::Connect(chain(&e))),
            Ok(Err(e)) => Err(SendError::Other(chain(&e))),
            Ok(Ok(resp)) => {
                Ok(resp.map(|b| b.map_err(|e| Box::new(e) as super::BoxError).boxed_unsync()))
            }
        }
    }
}

/// An error and its causes on one line (never includes headers or bodies).
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        s.push_str(": ");
        s.push_str(&c.to_string());
        src = c.source();
    }
    s
}
