//! `relay account test NAME`: one tiny real request (a one-token answer from the platform's
//! cheapest model) sent straight to the account's upstream with its credentials and proxy;
//! reports the status, the latency and the rate-limit headers the upstream sent.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::HeaderMap;
use relay_core::config::{Platform, ProcessEnv};
use relay_core::http::client::Client;
use relay_core::paths::Paths;
use relay_core::pool::{Account, Pool};
use relay_core::protocol::Dialect;

use crate::cli::AccountTestArgs;
use crate::output;

const PROMPT: &str = "Reply with OK.";

pub async fn run(paths: &Paths, args: &AccountTestArgs) -> anyhow::Result<ExitCode> {
    let mut cfg = super::super::load(paths, None)?;
    relay_core::pool::discover(&mut cfg, &ProcessEnv);
    let Some(account_cfg) = cfg.accounts.iter().find(|a| a.name == args.name).cloned() else {
        anyhow::bail!(
            "no account named `{}` (see `relay account list`)",
            args.name
        );
    };
    let mut one = cfg.clone();
    one.accounts = vec![account_cfg];
    let store = super::store(paths);
    let open = || match &store {
        Ok(s) => Ok(std::sync::Arc::clone(s)),
        Err(e) => Err(relay_core::secrets::SecretError::KeyringUnavailable(
            e.to_string(),
        )),
    };
    let pool =
        Pool::new(&one, &ProcessEnv, &open).map_err(|e| anyhow::anyhow!("{}", e.join("\n")))?;
    let account = pool
        .accounts()
        .first()
        .ok_or_else(|| anyhow::anyhow!("account `{}` did not load", args.name))?;
    let client = match &account.client {
        Some(c) => c.clone(),
        None => Client::new(cfg.gateway.connect_timeout)?,
    };
    let (path, body, model) = request(account, args.model.as_deref());
    let started = Instant::now();
    let result = send(account, &client, path, body, &model).await;
    let latency = started.elapsed();
    let (status, headers, message) = match result {
        Ok(r) => r,
        Err(e) => (0, HeaderMap::new(), Some(e)),
    };
    let limits: Vec<(String, String)> = headers
        .iter()
        .filter(|(n, _)| {
            let n = n.as_str();
            n.starts_with("anthropic-ratelimit-")
                || n.starts_with("x-ratelimit-")
                || n.starts_with("x-codex-")
                || n == "retry-after"
        })
        .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or("?").to_owned()))
        .collect();
    let ok = (200..300).contains(&status);
    let out = if args.json {
        let mut v = serde_json::json!({
            "account": account.name(),
            "platform": account.platform().as_str(),
            "model": model,
            "ok": ok,
            "status": status,
            "latency_ms": u64::try_from(latency.as_millis()).unwrap_or(u64::MAX),
            "rate_limits": limits
                .iter()
                .map(|(n, v)| (n.clone(), serde_json::Value::from(v.as_str())))
                .collect::<serde_json::Map<String, serde_json::Value>>(),
        });
        if let Some(m) = &message {
            v["error"] = m.clone().into();
        }
        if let Some(p) = account.client.as_ref().and_then(Client::proxy) {
            v["proxy"] = p.into();
        }
        format!("{}\n", serde_json::to_string_pretty(&v)?)
    } else {
        let mut t = format!(
            "{} {} via {}{}: {} in {} ms ({})\n",
            if ok { "ok" } else { "FAILED" },
            account.name(),
            account.base_url,
            account
                .client
                .as_ref()
                .and_then(Client::proxy)
                .map(|p| format!(" through {p}"))
                .unwrap_or_default(),
            if status == 0 {
                "no answer".to_owned()
            } else {
                format!("HTTP {status}")
            },
            latency.as_millis(),
            model
        );
        if let Some(m) = &message {
            t.push_str(&format!("  {m}\n"));
        }
        if limits.is_empty() {
            t.push_str("  no rate-limit headers in the answer\n");
        }
        for (n, v) in &limits {
            t.push_str(&format!("  {n}: {v}\n"));
        }
        t
    };
    output::print(&out)?;
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The cheapest request the account can answer: path, body, model.
fn request(account: &Account, model: Option<&str>) -> (&'static str, Bytes, String) {
    let pick = |default: &str| model.unwrap_or(account.upstream_model(default)).to_owned();
    let (path, body, model) = match account.platform() {
        Platform::Anthropic | Platform::Mock => {
            let m = pick("claude-haiku-4-5");
            let body = serde_json::json!({"model": m, "max_tokens": 1, "messages": [{"role": "user", "content": PROMPT}]});
            ("/v1/messages", body, m)
        }
        Platform::Openai if account.is_codex() => {
            // The Codex backend answers streams only and needs instructions.
            let m = pick("gpt-5");
            let body = serde_json::json!({"model": m, "instructions": PROMPT, "stream": true, "store": false,
                "input": [{"role": "user", "content": [{"type": "input_text", "text": PROMPT}]}]});
            ("/v1/responses", body, m)
        }
        Platform::Openai if account.speaks(Dialect::OpenAiChat) => {
            let m = pick("gpt-4.1-nano");
            let body = serde_json::json!({"model": m, "max_completion_tokens": 1, "messages": [{"role": "user", "content": PROMPT}]});
            ("/v1/chat/completions", body, m)
        }
        Platform::Openai => {
            let m = pick("gpt-4.1-nano");
            let body = serde_json::json!({"model": m, "max_output_tokens": 16, "input": PROMPT});
            ("/v1/responses", body, m)
        }
        Platform::Gemini => {
            let m = pick("gemini-2.5-flash-lite");
            let body = serde_json::json!({"contents": [{"role": "user", "parts": [{"text": PROMPT}]}], "generationConfig": {"maxOutputTokens": 1}});
            ("", body, m)
        }
    };
    (path, Bytes::from(body.to_string()), model)
}

async fn send(
    account: &Account,
    client: &Client,
    path: &str,
    body: Bytes,
    model: &str,
) -> Result<(u16, HeaderMap, Option<String>), String> {
    if account.platform() == Platform::Mock {
        let op = relay_core::upstream::mock::Operation::Generate(Dialect::Anthropic);
        let resp = relay_core::upstream::mock::respond(account, op, &body, model).await;
        return finish(resp).await;
    }
    let gemini_path;
    let path = if account.platform() == Platform::Gemini {
        gemini_path = format!("/v1beta/models/{model}:generateContent");
        gemini_path.as_str()
    } else {
        path
    };
    let (auth, _) = account
        .upstream_auth(client)
        .await
        .map_err(|e| e.to_string())?;
    let req = relay_core::upstream::prepare(account, &auth, path, None, &HeaderMap::new(), body)
        .map_err(|e| e.message().to_owned())?;
    let resp = client
        .send(req, Duration::from_secs(60))
        .await
        .map_err(|e| e.to_string())?;
    finish(resp).await
}

/// Status, headers, and the upstream's error message when it refused.
async fn finish(
    resp: http::Response<relay_core::http::Body>,
) -> Result<(u16, HeaderMap, Option<String>), String> {
    let (head, body) = resp.into_parts();
    let read = tokio::time::timeout(
        Duration::from_secs(60),
        relay_core::http::read_bounded(body, 1024 * 1024),
    )
    .await;
    let message = match read {
        Ok(Ok(b)) if !head.status.is_success() => Some(
            relay_core::protocol::json::str_at(&b, &["error", "message"])
                .map(|m| m.chars().take(300).collect::<String>())
                .unwrap_or_else(|| String::from_utf8_lossy(&b).chars().take(300).collect()),
        ),
        Ok(Ok(_)) => None,
        Ok(Err(_)) | Err(_) => Some("the answer broke off".to_owned()),
    };
    Ok((head.status.as_u16(), head.headers, message))
}
