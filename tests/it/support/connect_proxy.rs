//! A local HTTP CONNECT proxy: it answers `CONNECT host:port`, records the target and the
//! `Proxy-Authorization` it was given, then copies bytes both ways.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One tunnel that was asked for.
#[derive(Clone, Debug)]
pub struct Tunnel {
    pub target: String,
    pub proxy_authorization: Option<String>,
}

/// The proxy, on a loopback port.
pub struct ConnectProxy {
    /// `127.0.0.1:PORT`
    pub addr: String,
    tunnels: Arc<Mutex<Vec<Tunnel>>>,
    task: tokio::task::AbortHandle,
}

impl Drop for ConnectProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ConnectProxy {
    pub async fn start() -> ConnectProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let tunnels = Arc::new(Mutex::new(Vec::new()));
        let t = tunnels.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    continue;
                };
                tokio::spawn(serve(sock, t.clone()));
            }
        });
        ConnectProxy {
            addr,
            tunnels,
            task: task.abort_handle(),
        }
    }

    /// Tunnels opened so far.
    pub fn tunnels(&self) -> Vec<Tunnel> {
        self.tunnels.lock().unwrap().clone()
    }
}

async fn serve(mut client: TcpStream, tunnels: Arc<Mutex<Vec<Tunnel>>>) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match client.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut lines = text.lines();
    let first: Vec<&str> = lines.next().unwrap_or_default().split(' ').collect();
    if first.first() != Some(&"CONNECT") || first.len() < 2 {
        let _ = client
            .write_all(b"HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n")
            .await;
        return;
    }
    let target = first[1].to_owned();
    let proxy_authorization = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.eq_ignore_ascii_case("proxy-authorization"))
        .map(|(_, v)| v.trim().to_owned());
    tunnels.lock().unwrap().push(Tunnel {
        target: target.clone(),
        proxy_authorization,
    });
    let Ok(mut upstream) = TcpStream::connect(&target).await else {
        let _ = client
            .write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n")
            .await;
        return;
    };
    if client
        .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        .await
        .is_err()
    {
        return;
    }
    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
}
