//! The floor under the relay's added latency: an HTTP/1 proxy that does nothing but forward
//! (hyper server in, pooled hyper client out, bodies streamed both ways, no parsing, no
//! auth, no ledger). Run it beside `relay bench` to see what one extra loopback hop costs on
//! this machine:
//!
//! ```text
//! cargo build --release --bin relay --example bare_proxy
//! target/release/examples/bare_proxy --listen 127.0.0.1:4000 --upstream 127.0.0.1:18999 &
//! target/release/relay bench --upstream-port 18999 --compare http://127.0.0.1:4000
//! ```

// A measuring tool, not library code: it reports on stderr and gives up on bad arguments.
#![allow(clippy::print_stderr, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};

type Body = BoxBody<Bytes, hyper::Error>;

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| default.to_owned())
}

#[tokio::main]
async fn main() {
    let listen: SocketAddr = arg("--listen", "127.0.0.1:4000").parse().unwrap();
    let upstream = arg("--upstream", "127.0.0.1:18999");
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    let client: Client<HttpConnector, Incoming> =
        Client::builder(TokioExecutor::new()).build(connector);
    let listener = tokio::net::TcpListener::bind(listen).await.unwrap();
    eprintln!("bare proxy: {listen} -> {upstream}");
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        stream.set_nodelay(true).unwrap();
        let (client, upstream) = (client.clone(), upstream.clone());
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                forward(client.clone(), upstream.clone(), req)
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn forward(
    client: Client<HttpConnector, Incoming>,
    upstream: String,
    req: Request<Incoming>,
) -> Result<Response<Body>, hyper::Error> {
    let (mut parts, body) = req.into_parts();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    parts.uri = format!("http://{upstream}{path}").parse().unwrap();
    match client.request(Request::from_parts(parts, body)).await {
        Ok(resp) => Ok(resp.map(BodyExt::boxed)),
        Err(e) => {
            eprintln!("upstream: {e}");
            let body = Empty::new().map_err(|never| match never {}).boxed();
            Ok(Response::builder().status(502).body(body).unwrap())
        }
    }
}
