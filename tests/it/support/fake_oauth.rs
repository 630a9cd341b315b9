//! A fake OAuth token endpoint with the providers' real rules: refresh tokens are single use
//! and rotate on every refresh (a reused one gets `400 invalid_grant`), answers take a moment
//! (so concurrent refreshes would overlap), and every call is recorded.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// One call to the endpoint.
#[derive(Clone, Debug)]
pub struct Call {
    pub content_type: String,
    pub user_agent: String,
    /// The body: JSON as sent, or a form turned into a JSON object.
    pub body: Value,
}

struct State {
    /// The refresh token that works now; `rt-N` after N refreshes.
    valid_refresh: String,
    refreshes: u32,
    calls: Vec<Call>,
    /// Extra fields in every token answer (e.g. an OpenAI `id_token`).
    extra: Value,
}

/// The endpoint, on a loopback port.
pub struct FakeOauth {
    /// `http://127.0.0.1:PORT/token`
    pub url: String,
    state: Arc<Mutex<State>>,
    task: tokio::task::AbortHandle,
}

impl Drop for FakeOauth {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeOauth {
    /// Starts with `initial_refresh` as the one valid refresh token.
    pub async fn start(initial_refresh: &str) -> FakeOauth {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State {
            valid_refresh: initial_refresh.to_owned(),
            refreshes: 0,
            calls: Vec::new(),
            extra: json!({}),
        }));
        let st = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    continue;
                };
                let st = st.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req| handle(st.clone(), req));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(sock), svc)
                        .await;
                });
            }
        });
        FakeOauth {
            url: format!("http://{addr}/token"),
            state,
            task: task.abort_handle(),
        }
    }

    /// Adds `extra` to every successful answer.
    pub fn answer_with(&self, extra: Value) {
        self.state.lock().unwrap().extra = extra;
    }

    /// Makes `token` the valid refresh token (as if another tool had rotated it).
    pub fn rotate_to(&self, token: &str) {
        self.state.lock().unwrap().valid_refresh = token.to_owned();
    }

    /// Successful refreshes so far.
    pub fn refreshes(&self) -> u32 {
        self.state.lock().unwrap().refreshes
    }

    /// Every call so far.
    pub fn calls(&self) -> Vec<Call> {
        self.state.lock().unwrap().calls.clone()
    }
}

async fn handle(
    state: Arc<Mutex<State>>,
    req: http::Request<hyper::body::Incoming>,
) -> Result<http::Response<Full<Bytes>>, std::convert::Infallible> {
    let header = |n: &str| {
        req.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (content_type, user_agent) = (header("content-type"), header("user-agent"));
    let bytes = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let body: Value = if content_type.starts_with("application/x-www-form-urlencoded") {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let map: serde_json::Map<String, Value> = text
            .split('&')
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| {
                (
                    relay_core::oauth::percent_decode(k),
                    Value::from(relay_core::oauth::percent_decode(v)),
                )
            })
            .collect();
        Value::Object(map)
    } else {
        serde_json::from_slice(&bytes).unwrap_or(Value::Null)
    };
    // Long enough that concurrent refreshes would overlap here.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut st = state.lock().unwrap();
    st.calls.push(Call {
        content_type,
        user_agent,
        body: body.clone(),
    });
    let grant = body["grant_type"].as_str().unwrap_or_default();
    let ok = match grant {
        "refresh_token" => body["refresh_token"].as_str() == Some(st.valid_refresh.as_str()),
        "authorization_code" => {
            body["code"].as_str().is_some_and(|c| !c.is_empty())
                && body["code_verifier"]
                    .as_str()
                    .is_some_and(|v| v.len() >= 43)
        }
        _ => false,
    };
    if !ok {
        let b = json!({"error": "invalid_grant", "error_description": "refresh token already used or unknown"});
        return Ok(reply(400, &b));
    }
    st.refreshes += u32::from(grant == "refresh_token");
    let n = st.refreshes;
    st.valid_refresh = format!("rt-{n}");
    let mut answer = json!({
        "access_token": format!("at-{n}"),
        "refresh_token": format!("rt-{n}"),
        "expires_in": 3600,
        "token_type": "Bearer",
    });
    if let (Some(a), Some(extra)) = (answer.as_object_mut(), st.extra.as_object()) {
        for (k, v) in extra {
            a.insert(k.clone(), v.clone());
        }
    }
    Ok(reply(200, &answer))
}

fn reply(status: u16, body: &Value) -> http::Response<Full<Bytes>> {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap()
}
