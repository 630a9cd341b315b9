//! The pooled upstream HTTP client: HTTP/1.1 and HTTP/2 (by ALPN) over rustls with the `ring`
//! provider and Mozilla's roots, `TCP_NODELAY`, connect and first-byte timeouts, no redirects;
//! optionally through an account's HTTP (CONNECT) or SOCKS5 proxy.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::proxy::{SocksV5, Tunnel};
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

/// An upstream client (the shared one, or one through an account's proxy).
#[derive(Clone)]
pub struct Client {
    inner: Inner,
    /// The proxy, with any password replaced by `***`.
    proxy: Option<String>,
}

impl std::fmt::Debug for Client {
    // The connectors hold proxy credentials: only the redacted proxy URL is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("proxy", &self.proxy)
            .finish()
    }
}

#[derive(Clone)]
enum Inner {
    Direct(HyperClient<HttpsConnector<HttpConnector>, Full<Bytes>>),
    Tunnel(HyperClient<HttpsConnector<Tunnel<HttpConnector>>, Full<Bytes>>),
    Socks(HyperClient<HttpsConnector<SocksV5<HttpConnector>>, Full<Bytes>>),
}

/// Why a proxy URL cannot be used (the URL in it has its password hidden).
#[derive(Debug, thiserror::Error)]
#[error("proxy `{url}`: {message}")]
pub struct ProxyError {
    url: String,
    message: String,
}

fn tcp(connect_timeout: Duration) -> HttpConnector {
    let mut http = HttpConnector::new();
    http.set_nodelay(true);
    http.enforce_http(false);
    http.set_connect_timeout(Some(connect_timeout));
    http.set_keepalive(Some(Duration::from_secs(60)));
    http
}

fn https<C>(inner: C) -> Result<HttpsConnector<C>, crate::Error> {
    Ok(hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
        .map_err(|e| crate::Error::internal("tls_setup", format!("TLS setup failed: {e}")))?
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .wrap_connector(inner))
}

fn pooled<C>(connector: C) -> HyperClient<C, Full<Bytes>>
where
    C: hyper_util::client::legacy::connect::Connect + Clone,
{
    HyperClient::builder(TokioExecutor::new())
        .timer(TokioTimer::new())
        .pool_timer(TokioTimer::new())
        .pool_idle_timeout(Duration::from_secs(90))
        .pool_max_idle_per_host(64)
        .build(connector)
}

impl Client {
    /// Builds the client. `connect_timeout` bounds TCP connect (TLS is bounded by the
    /// first-byte timeout of each request).
    pub fn new(connect_timeout: Duration) -> Result<Self, crate::Error> {
        Ok(Self {
            inner: Inner::Direct(pooled(https(tcp(connect_timeout))?)),
            proxy: None,
        })
    }

    /// A client whose connections go through the proxy at `url`: `http://[user:pass@]host:port`
    /// (HTTP CONNECT), `socks5://` (names resolved here) or `socks5h://` (names resolved by
    /// the proxy).
    pub fn with_proxy(connect_timeout: Duration, url: &str) -> Result<Self, ProxyError> {
        let shown = redact_url(url);
        let fail = |message: String| ProxyError {
            url: shown.clone(),
            message,
        };
        let parts = ProxyUrl::parse(url);
        let scheme = parts
            .scheme
            .ok_or_else(|| fail("expected scheme://host:port".into()))?;
        let hostport = parts.host();
        if hostport.is_empty() || hostport.contains('/') {
            return Err(fail("expected scheme://host:port with no path".into()));
        }
        let userinfo = parts.user;
        let decode = |s: Option<&str>| crate::oauth::percent_decode(s.unwrap_or_default());
        let (user, pass) = (decode(parts.user), decode(parts.password));
        let dst: http::Uri = format!("http://{hostport}")
            .parse()
            .map_err(|_| fail("the host and port do not parse".into()))?;
        if dst.port().is_none() {
            return Err(fail("the port is missing".into()));
        }
        let tls = |e: crate::Error| fail(e.message().to_owned());
        let inner = match scheme.to_ascii_lowercase().as_str() {
            "http" => {
                let mut t = Tunnel::new(dst, tcp(connect_timeout));
                if userinfo.is_some() {
                    let v = format!("Basic {}", base64(format!("{user}:{pass}").as_bytes()));
                    let v = http::HeaderValue::try_from(v)
                        .map_err(|_| fail("the credentials are not valid in a header".into()))?;
                    t = t.with_auth(v);
                }
                Inner::Tunnel(pooled(https(t).map_err(tls)?))
            }
            s @ ("socks5" | "socks5h") => {
                let mut c = SocksV5::new(dst, tcp(connect_timeout)).local_dns(s == "socks5");
                if userinfo.is_some() {
                    c = c.with_auth(user, pass);
                }
                Inner::Socks(pooled(https(c).map_err(tls)?))
            }
            other => {
                return Err(fail(format!(
                    "scheme `{other}` is not supported; use http://, socks5:// or socks5h://"
                )));
            }
        };
        Ok(Self {
            inner,
            proxy: Some(shown),
        })
    }

    /// The proxy in use, password hidden.
    pub fn proxy(&self) -> Option<&str> {
        self.proxy.as_deref()
    }

    /// Sends a request and waits up to `first_byte` for the response head.
    pub async fn send(
        &self,
        req: http::Request<Full<Bytes>>,
        first_byte: Duration,
    ) -> Result<http::Response<Body>, SendError> {
        let fut = async {
            match &self.inner {
                Inner::Direct(c) => c.request(req).await,
                Inner::Tunnel(c) => c.request(req).await,
                Inner::Socks(c) => c.request(req).await,
            }
        };
        match tokio::time::timeout(first_byte, fut).await {
            Err(_) => Err(SendError::FirstByteTimeout(first_byte)),
            Ok(Err(e)) if e.is_connect() => Err(SendError::Connect(chain(&e))),
            Ok(Err(e)) => Err(SendError::Other(chain(&e))),
            Ok(Ok(resp)) => {
                Ok(resp.map(|b| b.map_err(|e| Box::new(e) as super::BoxError).boxed_unsync()))
            }
        }
    }
}

/// A proxy URL split as the connectors read it: `scheme://[user[:password]@]host:port`. The
/// userinfo runs to the last `@`; a URL without a scheme is read as its authority. The parts are
/// as written (still percent-encoded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyUrl<'a> {
    /// `http`, `socks5`, `socks5h` ...
    pub scheme: Option<&'a str>,
    /// The user, when there is userinfo.
    pub user: Option<&'a str>,
    /// The password, when the userinfo has one.
    pub password: Option<&'a str>,
    raw_host: &'a str,
}

impl<'a> ProxyUrl<'a> {
    /// Splits `url`.
    pub fn parse(url: &'a str) -> Self {
        let (scheme, rest) = match url.split_once("://") {
            Some((scheme, rest)) => (Some(scheme), rest),
            None => (None, url),
        };
        let (userinfo, raw_host) = match rest.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, rest),
        };
        let (user, password) = match userinfo.map(|u| u.split_once(':')) {
            Some(Some((u, p))) => (Some(u), Some(p)),
            Some(None) => (userinfo, None),
            None => (None, None),
        };
        Self {
            scheme,
            user,
            password,
            raw_host,
        }
    }

    /// The `host:port` it points at.
    pub fn host(&self) -> &'a str {
        self.raw_host.trim_end_matches('/')
    }

    /// The URL with `password` (already percent-encoded) in place of any password; `None`
    /// drops it.
    pub fn with_password(&self, password: Option<&str>) -> String {
        let mut out = String::new();
        if let Some(scheme) = self.scheme {
            out.push_str(scheme);
            out.push_str("://");
        }
        if let Some(user) = self.user {
            out.push_str(user);
            if let Some(p) = password {
                out.push(':');
                out.push_str(p);
            }
            out.push('@');
        }
        out.push_str(self.raw_host);
        out
    }
}

/// `url` with the password of its userinfo replaced by `***` (for logs, errors, listings),
/// split as [`ProxyUrl`] does, like the connector.
pub fn redact_url(url: &str) -> String {
    let parts = ProxyUrl::parse(url);
    match parts.user {
        Some(_) => parts.with_password(Some("***")),
        None => url.to_owned(),
    }
}

/// The `host:port` a proxy URL points at (its userinfo left out).
pub fn proxy_host(url: &str) -> &str {
    ProxyUrl::parse(url).host()
}

/// Standard base64 with padding (RFC 4648 §4), for `Proxy-Authorization: Basic`.
fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(A[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_urls_are_redacted_and_checked() {
        assert_eq!(
            redact_url("http://bob:hunter2@proxy.local:3128"),
            "http://bob:***@proxy.local:3128"
        );
        assert_eq!(
            redact_url("socks5h://127.0.0.1:1080"),
            "socks5h://127.0.0.1:1080"
        );
        let t = Duration::from_secs(1);
        let e = Client::with_proxy(t, "ftp://bob:hunter2@h:1")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("ftp://bob:***@h:1") && !e.contains("hunter2"),
            "{e}"
        );
        assert!(
            Client::with_proxy(t, "http://h")
                .unwrap_err()
                .to_string()
                .contains("port")
        );
        let c = Client::with_proxy(t, "http://bob:hunter2@127.0.0.1:3128").unwrap();
        assert_eq!(c.proxy(), Some("http://bob:***@127.0.0.1:3128"));
        assert!(!format!("{c:?}").contains("hunter2"));
        // The userinfo ends at the last `@`, here as in the connector.
        assert_eq!(redact_url("http://bob:pa/ss@h:1"), "http://bob:***@h:1");
        assert_eq!(redact_url("bob:pw@h:1"), "bob:***@h:1");
        assert_eq!(proxy_host("http://bob:pa/ss@h:1"), "h:1");
        assert_eq!(proxy_host("socks5h://127.0.0.1:1080"), "127.0.0.1:1080");
        let p = ProxyUrl::parse("http://bob:pa/ss@h:1/");
        assert_eq!(
            (p.user, p.password, p.host()),
            (Some("bob"), Some("pa/ss"), "h:1")
        );
        assert_eq!(p.with_password(None), "http://bob@h:1/");
        let bare = ProxyUrl::parse("socks5h://h:2");
        assert_eq!(
            (bare.user, bare.with_password(Some("x"))),
            (None, "socks5h://h:2".into())
        );
        let s = Client::with_proxy(t, "socks5h://bob:hunter2@127.0.0.1:1080").unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn basic_auth_base64() {
        assert_eq!(base64(b"user:pass"), "dXNlcjpwYXNz");
        assert_eq!(base64(b"a"), "YQ==");
        assert_eq!(base64(b"ab"), "YWI=");
    }
}
