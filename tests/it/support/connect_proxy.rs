//! Local proxies for tests: an HTTP CONNECT proxy (records the target and the
//! `Proxy-Authorization` it was given) and a SOCKS5 proxy (records the target as named, a
//! host name when the client left resolving to the proxy, and the user/password); both then
//! copy bytes both ways.

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
        Self::listen(|sock, t| {
            tokio::spawn(serve(sock, t));
        })
        .await
    }

    async fn listen(handle: fn(TcpStream, Arc<Mutex<Vec<Tunnel>>>)) -> ConnectProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let tunnels = Arc::new(Mutex::new(Vec::new()));
        let t = tunnels.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    continue;
                };
                handle(sock, t.clone());
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

    /// A SOCKS5 proxy (RFC 1928, with RFC 1929 user/password when offered) instead.
    pub async fn start_socks5() -> ConnectProxy {
        Self::listen(|sock, t| {
            tokio::spawn(socks5(sock, t));
        })
        .await
    }
}

async fn socks5(mut c: TcpStream, tunnels: Arc<Mutex<Vec<Tunnel>>>) -> std::io::Result<()> {
    let mut head = [0u8; 2];
    c.read_exact(&mut head).await?;
    let mut methods = vec![0u8; usize::from(head[1])];
    c.read_exact(&mut methods).await?;
    let mut auth = None;
    if methods.contains(&2) {
        c.write_all(&[5, 2]).await?;
        let mut v = [0u8; 2];
        c.read_exact(&mut v).await?;
        let mut user = vec![0u8; usize::from(v[1])];
        c.read_exact(&mut user).await?;
        let mut len = [0u8; 1];
        c.read_exact(&mut len).await?;
        let mut pass = vec![0u8; usize::from(len[0])];
        c.read_exact(&mut pass).await?;
        auth = Some(format!(
            "{}:{}",
            String::from_utf8_lossy(&user),
            String::from_utf8_lossy(&pass)
        ));
        c.write_all(&[1, 0]).await?;
    } else {
        c.write_all(&[5, 0]).await?;
    }
    let mut req = [0u8; 4];
    c.read_exact(&mut req).await?;
    let host = match req[3] {
        1 => {
            let mut ip = [0u8; 4];
            c.read_exact(&mut ip).await?;
            std::net::Ipv4Addr::from(ip).to_string()
        }
        3 => {
            let mut len = [0u8; 1];
            c.read_exact(&mut len).await?;
            let mut name = vec![0u8; usize::from(len[0])];
            c.read_exact(&mut name).await?;
            String::from_utf8_lossy(&name).into_owned()
        }
        _ => return Ok(()),
    };
    let mut port = [0u8; 2];
    c.read_exact(&mut port).await?;
    let target = format!("{host}:{}", u16::from_be_bytes(port));
    tunnels.lock().unwrap().push(Tunnel {
        target: target.clone(),
        proxy_authorization: auth,
    });
    let connect_to = target.replacen("localhost:", "127.0.0.1:", 1);
    let Ok(mut up) = TcpStream::connect(&connect_to).await else {
        c.write_all(&[5, 5, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
        return Ok(());
    };
    c.write_all(&[5, 0, 0, 1, 127, 0, 0, 1, 0, 0]).await?;
    let _ = tokio::io::copy_bidirectional(&mut c, &mut up).await;
    Ok(())
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
