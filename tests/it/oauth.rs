//! Subscription logins against a fake token endpoint with single-use, rotating refresh tokens:
//! one refresh for a hundred requests on an expired token, a refresh and one retry after a
//! 401, the official CLI's newer tokens taken instead of refreshing, refreshed tokens written
//! back to the CLI's file with everything else kept, the OAuth headers, a refused refresh
//! failing over, a "Claude Code only" refusal explained, and an account's proxy.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::support::connect_proxy::ConnectProxy;
use crate::support::fake_oauth::FakeOauth;
use crate::support::fake_upstream::{self, FakeUpstream, Reply, Usage};
use crate::support::{KEY, Relay, key_block, post};

const MSG: &str =
    r#"{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}"#;

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Claude Code's credentials file with the given tokens and expiry, plus fields the relay
/// must keep.
fn claude_code_file(access: &str, refresh: &str, expires_at: i64) -> String {
    json!({
        "claudeAiOauth": {
            "accessToken": access,
            "refreshToken": refresh,
            "expiresAt": expires_at,
            "scopes": ["user:inference", "user:profile"],
            "subscriptionType": "max"
        },
        "mcpOAuth": {"kept": true}
    })
    .to_string()
}

/// Claude Code's credentials file in a temp dir (kept alive by the returned guard).
fn login_file(
    access: &str,
    refresh: &str,
    expires_at: i64,
) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(".credentials.json");
    std::fs::write(&file, claude_code_file(access, refresh, expires_at)).unwrap();
    (dir, file)
}

/// `n` requests sent at once; their answers in the order they end.
async fn post_many(url: &str, n: usize) -> Vec<crate::support::Got> {
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..n {
        let url = url.to_owned();
        set.spawn(async move { post(&url, Some(KEY), MSG).await });
    }
    let mut out = Vec::new();
    while let Some(a) = set.join_next().await {
        out.push(a.unwrap());
    }
    out
}

fn login_config(file: &std::path::Path, extra: &str) -> String {
    format!(
        "[[accounts]]\nname = \"sub\"\nplatform = \"anthropic\"\nauth = \"oauth\"\nsecret = \"file:{}\"\nbase_url = \"{{upstream}}\"\nconcurrency = 100\n{extra}\n{}concurrency = 100\n",
        file.display(),
        key_block()
    )
}

fn read_json(path: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test]
async fn an_expired_login_is_refreshed_once_for_a_hundred_requests_and_written_back() {
    let fake = FakeUpstream::start().await;
    let oauth = FakeOauth::start("rt-0").await;
    let (_dir, file) = login_file("at-0", "rt-0", now_ms() - 1000);
    let env = [("RELAY_OAUTH_ANTHROPIC_TOKEN_URL", oauth.url.as_str())];
    let relay = Relay::start(&login_config(&file, ""), &fake.url, &env).await;

    for a in post_many(&format!("{}/v1/messages", relay.url), 100).await {
        assert_eq!(a.status, 200, "{}", a.text());
    }
    assert_eq!(oauth.refreshes(), 1, "exactly one refresh");
    assert_eq!(oauth.calls().len(), 1);
    let call = &oauth.calls()[0];
    assert_eq!(call.body["grant_type"], "refresh_token");
    assert_eq!(
        call.body["client_id"],
        "9d1c250a-e61b-44d9-88ed-5944d1962f5e"
    );
    assert!(call.user_agent.starts_with("relay/"), "{}", call.user_agent);

    // Every upstream request carried the new token the OAuth way, never as an API key.
    let seen = fake.requests();
    assert_eq!(seen.len(), 100);
    for r in &seen {
        assert_eq!(r.header("authorization").as_deref(), Some("Bearer at-1"));
        assert_eq!(r.header("x-api-key"), None);
        assert_eq!(
            r.header("anthropic-beta").as_deref(),
            Some("oauth-2025-04-20")
        );
        assert_eq!(r.body.as_ref(), MSG.as_bytes(), "the body passes unchanged");
    }

    // Written back for Claude Code: new tokens, a later expiry, everything else kept.
    let v = read_json(&file);
    assert_eq!(v["claudeAiOauth"]["accessToken"], "at-1");
    assert_eq!(v["claudeAiOauth"]["refreshToken"], "rt-1");
    assert!(v["claudeAiOauth"]["expiresAt"].as_i64().unwrap() > now_ms() + 3_000_000);
    assert_eq!(v["claudeAiOauth"]["subscriptionType"], "max");
    assert_eq!(v["mcpOAuth"]["kept"], true);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    relay.stop().await;
}

#[tokio::test]
async fn a_401_refreshes_once_and_the_request_is_sent_again() {
    let fake = FakeUpstream::start().await;
    let oauth = FakeOauth::start("rt-0").await;
    let (_dir, file) = login_file("at-0", "rt-0", now_ms() + 3_600_000);
    let env = [("RELAY_OAUTH_ANTHROPIC_TOKEN_URL", oauth.url.as_str())];
    let mut relay = Relay::start(&login_config(&file, ""), &fake.url, &env).await;
    fake.push(Reply::Json {
        status: 401,
        headers: vec![],
        body: fake_upstream::error_json_anthropic(
            "authentication_error",
            "OAuth token has expired. Please obtain a new token or refresh your existing token.",
        ),
    });
    let got = post(&format!("{}/v1/messages", relay.url), Some(KEY), MSG).await;
    assert_eq!(got.status, 200, "{}", got.text());
    let tokens: Vec<Option<String>> = fake
        .requests()
        .iter()
        .map(|r| r.header("authorization"))
        .collect();
    assert_eq!(
        tokens,
        [
            Some("Bearer at-0".to_owned()),
            Some("Bearer at-1".to_owned())
        ]
    );
    assert_eq!(oauth.refreshes(), 1);
    let e = relay.finished().await;
    assert_eq!(
        (e.status, e.attempts),
        (200, 1),
        "the same attempt, sent again"
    );

    // A second 401 on the fresh token is not refreshed again: the account is refused.
    fake.push(Reply::Json {
        status: 401,
        headers: vec![],
        body: fake_upstream::error_json_anthropic("authentication_error", "invalid"),
    });
    fake.push(Reply::Json {
        status: 401,
        headers: vec![],
        body: fake_upstream::error_json_anthropic("authentication_error", "invalid"),
    });
    let got = post(&format!("{}/v1/messages", relay.url), Some(KEY), MSG).await;
    assert_ne!(got.status, 200);
    assert_eq!(
        oauth.refreshes(),
        2,
        "one refresh per 401 on a token, no loop"
    );
    relay.stop().await;
}

#[tokio::test]
async fn tokens_the_official_cli_refreshed_meanwhile_are_used_without_refreshing() {
    let fake = FakeUpstream::start().await;
    let oauth = FakeOauth::start("rt-0").await;
    let (_dir, file) = login_file("at-0", "rt-0", now_ms() - 1000);
    let env = [("RELAY_OAUTH_ANTHROPIC_TOKEN_URL", oauth.url.as_str())];
    let relay = Relay::start(&login_config(&file, ""), &fake.url, &env).await;
    // Claude Code refreshes first: rt-0 is spent, its new tokens are in the file.
    oauth.rotate_to("rt-cli");
    std::fs::write(
        &file,
        claude_code_file("at-cli", "rt-cli", now_ms() + 3_600_000),
    )
    .unwrap();
    let got = post(&format!("{}/v1/messages", relay.url), Some(KEY), MSG).await;
    assert_eq!(got.status, 200, "{}", got.text());
    assert_eq!(oauth.calls().len(), 0, "no refresh with a spent token");
    assert_eq!(
        fake.requests()[0].header("authorization").as_deref(),
        Some("Bearer at-cli")
    );
    assert_eq!(read_json(&file)["claudeAiOauth"]["refreshToken"], "rt-cli");
    relay.stop().await;
}

#[tokio::test]
async fn a_refused_refresh_marks_the_login_and_fails_over_without_leaking_tokens() {
    let fake = FakeUpstream::start().await;
    let oauth = FakeOauth::start("rt-valid-elsewhere").await;
    let (_dir, file) = login_file("at-secret-0", "rt-secret-0", now_ms() - 1000);
    let config = format!(
        "{}\n[[accounts]]\nname = \"backup\"\nplatform = \"anthropic\"\nsecret = \"env:BACKUP\"\nbase_url = \"{{upstream}}\"\npriority = 90\n",
        login_config(&file, "priority = 1")
    );
    let env = [
        ("RELAY_OAUTH_ANTHROPIC_TOKEN_URL", oauth.url.as_str()),
        ("BACKUP", "sk-backup"),
    ];
    let mut relay = Relay::start(&config, &fake.url, &env).await;
    let got = post(&format!("{}/v1/messages", relay.url), Some(KEY), MSG).await;
    assert_eq!(got.status, 200, "{}", got.text());
    let e = relay.finished().await;
    assert_eq!((e.account.as_deref(), e.attempts), (Some("backup"), 2));
    let sub = relay.gateway.shared().pool.get("sub").unwrap();
    let state = sub.health.state(true, std::time::Instant::now()).as_str();
    assert_eq!(state, "auth_error");
    let last = sub.health.last_error().unwrap();
    assert!(last.contains("invalid_grant"), "{last}");
    assert!(!last.contains("secret"), "no token in the error: {last}");
    assert_eq!(
        read_json(&file)["claudeAiOauth"]["refreshToken"],
        "rt-secret-0",
        "nothing written on failure"
    );
    relay.stop().await;
}

#[tokio::test]
async fn a_codex_login_calls_the_responses_path_with_its_chatgpt_account() {
    let fake = FakeUpstream::start().await;
    let oauth = FakeOauth::start("rt-0").await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("auth.json");
    let b64 = |v: &Value| relay_core::keys::base64url(v.to_string().as_bytes());
    let jwt = |claims: Value| format!("{}.{}.sig", b64(&json!({"alg": "none"})), b64(&claims));
    let id_token = jwt(
        json!({"email": "me@example.com", "https://api.openai.com/auth": {"chatgpt_account_id": "acct-42"}}),
    );
    let access = jwt(json!({"exp": (now_ms() / 1000) + 3600}));
    std::fs::write(
        &file,
        json!({"OPENAI_API_KEY": null, "tokens": {"id_token": id_token, "access_token": access, "refresh_token": "rt-0", "account_id": "acct-42"}, "last_refresh": "2026-11-01T00:00:00Z"}).to_string(),
    )
    .unwrap();
    let config = format!(
        "[[accounts]]\nname = \"codex\"\nplatform = \"openai\"\nauth = \"oauth\"\nsecret = \"file:{}\"\nbase_url = \"{{upstream}}/backend-api/codex\"\n{}",
        file.display(),
        key_block()
    );
    let env = [("RELAY_OAUTH_OPENAI_TOKEN_URL", oauth.url.as_str())];
    let relay = Relay::start(&config, &fake.url, &env).await;
    let usage = Usage {
        input: 3,
        output: 2,
        cache_read: 0,
        cache_write: 0,
    };
    fake.push(Reply::Sse {
        status: 200,
        headers: vec![],
        events: fake_upstream::paced(
            fake_upstream::responses_sse("gpt-5", &["Hi"], usage),
            Duration::ZERO,
        ),
        end: fake_upstream::End::Close,
    });
    let body = r#"{"model":"gpt-5","stream":true,"store":false,"instructions":"be brief","input":[{"role":"user","content":[{"type":"input_text","text":"hi"}]}]}"#;
    let got = post(&format!("{}/v1/responses", relay.url), Some(KEY), body).await;
    assert_eq!(got.status, 200, "{}", got.text());
    let r = &fake.requests()[0];
    assert_eq!(r.path(), "/backend-api/codex/responses");
    assert_eq!(r.header("chatgpt-account-id").as_deref(), Some("acct-42"));
    assert_eq!(
        r.header("authorization").as_deref(),
        Some(format!("Bearer {access}").as_str())
    );
    assert_eq!(r.body.as_ref(), body.as_bytes());
    // Chat Completions clients are converted to Responses for this account.
    assert!(
        !relay
            .gateway
            .shared()
            .pool
            .get("codex")
            .unwrap()
            .speaks(relay_core::protocol::Dialect::OpenAiChat)
    );
    relay.stop().await;
}

#[tokio::test]
async fn a_login_that_serves_only_its_official_client_says_so_and_suggests_an_api_key() {
    let fake = FakeUpstream::start().await;
    let (_dir, file) = login_file("at-0", "rt-0", now_ms() + 3_600_000);
    let relay = Relay::start(&login_config(&file, ""), &fake.url, &[]).await;
    fake.push(Reply::Json {
        status: 400,
        headers: vec![],
        body: fake_upstream::error_json_anthropic(
            "invalid_request_error",
            "This credential is only authorized for use with Claude Code and cannot be used for other API requests.",
        ),
    });
    let got = post(&format!("{}/v1/messages", relay.url), Some(KEY), MSG).await;
    assert_eq!(got.status, 403, "{}", got.text());
    let v = got.json();
    assert_eq!(v["type"], "error");
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("account `sub` is a subscription login"),
        "{msg}"
    );
    assert!(
        msg.contains("only authorized for use with Claude Code"),
        "{msg}"
    );
    assert!(
        msg.contains("relay account add NAME --platform anthropic"),
        "{msg}"
    );
    // The login itself is fine: no cooldown, no auth error.
    let sub = relay.gateway.shared().pool.get("sub").unwrap();
    assert_eq!(
        sub.health.state(true, std::time::Instant::now()).as_str(),
        "active"
    );
    relay.stop().await;
}

#[tokio::test]
async fn an_accounts_traffic_goes_through_its_proxy_with_its_credentials() {
    let fake = FakeUpstream::start().await;
    let proxy = ConnectProxy::start().await;
    let config = format!(
        "[[accounts]]\nname = \"via\"\nplatform = \"anthropic\"\nsecret = \"env:K\"\nbase_url = \"{{upstream}}\"\nproxy = \"http://bob:p%40ss@{}\"\n{}",
        proxy.addr,
        key_block()
    );
    let relay = Relay::start(&config, &fake.url, &[("K", "sk-via")]).await;
    for _ in 0..2 {
        let got = post(&format!("{}/v1/messages", relay.url), Some(KEY), MSG).await;
        assert_eq!(got.status, 200, "{}", got.text());
    }
    let tunnels = proxy.tunnels();
    assert_eq!(tunnels.len(), 1, "one tunnel, reused: {tunnels:?}");
    assert_eq!(tunnels[0].target, fake.url.trim_start_matches("http://"));
    // Basic base64("bob:p@ss")
    assert_eq!(
        tunnels[0].proxy_authorization.as_deref(),
        Some("Basic Ym9iOnBAc3M=")
    );
    assert_eq!(fake.requests().len(), 2);
    let account = relay.gateway.shared().pool.get("via").unwrap();
    let shown = format!("{account:?}");
    assert!(
        !shown.contains("p%40ss") && !shown.contains("p@ss"),
        "{shown}"
    );
    relay.stop().await;

    // A proxy that is down fails the account over like any connect failure.
    drop(proxy);
    let config = config.replace("name = \"via\"", "name = \"via\"\npriority = 1")
        + "[[accounts]]\nname = \"direct\"\nplatform = \"anthropic\"\nsecret = \"env:K\"\nbase_url = \"{upstream}\"\npriority = 2\n";
    let mut relay = Relay::start(&config, &fake.url, &[("K", "sk-via")]).await;
    let got = post(&format!("{}/v1/messages", relay.url), Some(KEY), MSG).await;
    assert_eq!(got.status, 200, "{}", got.text());
    let e = relay.finished().await;
    assert_eq!(e.account.as_deref(), Some("direct"));
    relay.stop().await;
}

#[tokio::test]
async fn socks5h_leaves_name_resolution_to_the_proxy_and_sends_its_credentials() {
    let fake = FakeUpstream::start().await;
    let socks = ConnectProxy::start_socks5().await;
    // `localhost` is resolved by the proxy with socks5h (it sees the name, not an address).
    let upstream = fake.url.replace("127.0.0.1", "localhost");
    let config = format!(
        "[[accounts]]\nname = \"via\"\nplatform = \"anthropic\"\nsecret = \"env:K\"\nbase_url = \"{upstream}\"\nproxy = \"socks5h://alice:s3cret@{}\"\n{}",
        socks.addr,
        key_block()
    );
    let relay = Relay::start(&config, &upstream, &[("K", "sk-via")]).await;
    let got = post(&format!("{}/v1/messages", relay.url), Some(KEY), MSG).await;
    assert_eq!(got.status, 200, "{}", got.text());
    let tunnels = socks.tunnels();
    assert_eq!(tunnels.len(), 1);
    assert_eq!(tunnels[0].target, upstream.trim_start_matches("http://"));
    assert_eq!(
        tunnels[0].proxy_authorization.as_deref(),
        Some("alice:s3cret")
    );
    assert_eq!(
        fake.requests()[0].header("x-api-key").as_deref(),
        Some("sk-via")
    );
    relay.stop().await;
}

#[tokio::test]
async fn a_login_kept_in_the_secret_store_is_refreshed_there() {
    let fake = FakeUpstream::start().await;
    let oauth = FakeOauth::start("rt-0").await;
    let store = std::sync::Arc::new(relay_core::secrets::Store::memory());
    let stored = json!({"type": "oauth", "access_token": "at-0", "refresh_token": "rt-0", "expires_at": now_ms() + 60_000});
    store
        .set("pro", &relay_core::secrets::Secret::new(stored.to_string()))
        .unwrap();
    let config = format!(
        "[[accounts]]\nname = \"pro\"\nplatform = \"anthropic\"\nauth = \"oauth\"\nbase_url = \"{{upstream}}\"\n{}",
        key_block()
    );
    let options = relay_core::gateway::Options {
        secrets: Some(store.clone()),
        ..Default::default()
    };
    let env = [("RELAY_OAUTH_ANTHROPIC_TOKEN_URL", oauth.url.as_str())];
    let mut relay = Relay::start_with(&config, &fake.url, &env, options).await;
    // One minute left: within the refresh margin, so it is refreshed before it is used.
    let got = post(&format!("{}/v1/messages", relay.url), Some(KEY), MSG).await;
    assert_eq!(got.status, 200, "{}", got.text());
    assert_eq!(
        fake.requests()[0].header("authorization").as_deref(),
        Some("Bearer at-1")
    );
    let now: Value = serde_json::from_str(store.get("pro").unwrap().unwrap().expose()).unwrap();
    assert_eq!(now["access_token"], "at-1");
    assert_eq!(now["refresh_token"], "rt-1");
    // The refresh was announced on the event bus (the dashboard logs it).
    let mut refreshed = false;
    while let Ok(e) = relay.events.try_recv() {
        refreshed |= matches!(e, relay_core::events::Event::TokenRefreshed { ref account } if account == "pro");
    }
    assert!(refreshed);
    relay.stop().await;
}

#[tokio::test]
async fn a_refused_refresh_is_tried_once_however_many_requests_wait_for_it() {
    let fake = FakeUpstream::start().await;
    let oauth = FakeOauth::start("rt-elsewhere").await;
    let (_dir, file) = login_file("at-0", "rt-0", now_ms() - 1000);
    let env = [("RELAY_OAUTH_ANTHROPIC_TOKEN_URL", oauth.url.as_str())];
    let relay = Relay::start(&login_config(&file, ""), &fake.url, &env).await;
    for a in post_many(&format!("{}/v1/messages", relay.url), 20).await {
        assert_ne!(a.status, 200);
    }
    assert_eq!(oauth.calls().len(), 1, "one call to the token endpoint");
    assert!(fake.requests().is_empty());
    relay.stop().await;
}

#[tokio::test]
async fn an_unreachable_token_endpoint_cools_the_login_down_and_a_valid_token_keeps_working() {
    let fake = FakeUpstream::start().await;
    // Nothing listens on port 9.
    let env = [(
        "RELAY_OAUTH_ANTHROPIC_TOKEN_URL",
        "http://127.0.0.1:9/token",
    )];
    // Two minutes left: inside the early-refresh margin, still valid.
    let (_dir, file) = login_file("at-0", "rt-0", now_ms() + 120_000);
    let relay = Relay::start(&login_config(&file, ""), &fake.url, &env).await;
    let got = post(&format!("{}/v1/messages", relay.url), Some(KEY), MSG).await;
    assert_eq!(got.status, 200, "{}", got.text());
    assert_eq!(
        fake.requests()[0].header("authorization").as_deref(),
        Some("Bearer at-0")
    );
    relay.stop().await;

    // Expired, the endpoint still down: the login cools down (it is not marked refused) and
    // the request goes to another account.
    std::fs::write(&file, claude_code_file("at-0", "rt-0", now_ms() - 1000)).unwrap();
    let config = format!(
        "{}\n[[accounts]]\nname = \"backup\"\nplatform = \"anthropic\"\nsecret = \"env:BACKUP\"\nbase_url = \"{{upstream}}\"\npriority = 90\n",
        login_config(&file, "priority = 1")
    );
    let env = [
        (
            "RELAY_OAUTH_ANTHROPIC_TOKEN_URL",
            "http://127.0.0.1:9/token",
        ),
        ("BACKUP", "sk-backup"),
    ];
    let mut relay = Relay::start(&config, &fake.url, &env).await;
    let got = post(&format!("{}/v1/messages", relay.url), Some(KEY), MSG).await;
    assert_eq!(got.status, 200, "{}", got.text());
    assert_eq!(relay.finished().await.account.as_deref(), Some("backup"));
    let sub = relay.gateway.shared().pool.get("sub").unwrap();
    assert_eq!(
        sub.health.state(true, std::time::Instant::now()).as_str(),
        "cooling"
    );
    assert!(
        sub.health
            .last_error()
            .unwrap()
            .contains("login refresh failed")
    );
    relay.stop().await;
}

#[tokio::test]
async fn two_processes_sharing_a_stored_login_refresh_it_once() {
    use relay_core::oauth::{Origin, Provider, TokenSource};
    use relay_core::secrets::{Choice, Secret, Store};
    let oauth = FakeOauth::start("rt-0").await;
    let dir = tempfile::tempdir().unwrap();
    let expired = json!({"type": "oauth", "access_token": "at-0", "refresh_token": "rt-0", "expires_at": now_ms() - 1000}).to_string();
    Store::open(dir.path(), Choice::File)
        .unwrap()
        .set("pro", &Secret::new(expired.clone()))
        .unwrap();
    // Two stores and two sources over the same data dir, as two relay processes have.
    let source = || {
        let store = std::sync::Arc::new(Store::open(dir.path(), Choice::File).unwrap());
        TokenSource::new(
            "pro",
            Provider::Anthropic,
            Origin::Store(store),
            &expired,
            oauth.url.clone(),
        )
        .unwrap()
    };
    let (a, b) = (source(), source());
    let client = relay_core::http::client::Client::new(Duration::from_secs(5)).unwrap();
    let (x, y) = tokio::join!(a.bearer(&client), b.bearer(&client));
    assert_eq!(oauth.refreshes(), 1, "{:?}", oauth.calls());
    assert_eq!(x.unwrap().token.expose(), "at-1");
    assert_eq!(y.unwrap().token.expose(), "at-1");
}

#[tokio::test]
async fn a_setup_token_is_sent_as_a_bearer_with_the_oauth_beta_added_to_the_clients_own() {
    let fake = FakeUpstream::start().await;
    let config = format!(
        "[[accounts]]\nname = \"st\"\nplatform = \"anthropic\"\nauth = \"setup-token\"\nsecret = \"env:TOK\"\nbase_url = \"{{upstream}}\"\n{}",
        key_block()
    );
    let relay = Relay::start(&config, &fake.url, &[("TOK", "sk-ant-oat01-setup")]).await;
    let auth = format!("Bearer {KEY}");
    let headers = [
        ("content-type", "application/json"),
        ("authorization", auth.as_str()),
        (
            "anthropic-beta",
            "claude-code-20250219,interleaved-thinking-2025-05-14",
        ),
    ];
    let got =
        crate::support::send("POST", &format!("{}/v1/messages", relay.url), &headers, MSG).await;
    assert_eq!(got.status, 200, "{}", got.text());
    let r = &fake.requests()[0];
    assert_eq!(
        r.header("authorization").as_deref(),
        Some("Bearer sk-ant-oat01-setup")
    );
    assert_eq!(r.header("x-api-key"), None);
    assert_eq!(
        r.header("anthropic-beta").as_deref(),
        Some("claude-code-20250219,interleaved-thinking-2025-05-14,oauth-2025-04-20")
    );
    assert_eq!(r.body.as_ref(), MSG.as_bytes());
    relay.stop().await;
}
