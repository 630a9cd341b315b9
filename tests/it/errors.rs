//! Bad input gets a clear error in the client's own dialect, nothing reaches an upstream, and
//! every refused request is still recorded; upstream errors in the same dialect pass through.

use crate::support::fake_upstream::{self, FakeUpstream, Reply};
use crate::support::{KEY, Relay, SECRETS, post, send, two_accounts};

/// Asserts the error shape of `dialect` and returns (type-or-status, message).
fn shape(dialect: &str, v: &serde_json::Value) -> (String, String) {
    match dialect {
        "anthropic" => {
            assert_eq!(v["type"], "error", "{v}");
            (
                v["error"]["type"].as_str().unwrap().to_owned(),
                v["error"]["message"].as_str().unwrap().to_owned(),
            )
        }
        "openai" => {
            assert!(
                v["error"]["type"].is_string() && v["error"]["code"].is_string(),
                "{v}"
            );
            (
                v["error"]["type"].as_str().unwrap().to_owned(),
                v["error"]["message"].as_str().unwrap().to_owned(),
            )
        }
        _ => {
            assert!(v["error"]["code"].is_number(), "{v}");
            (
                v["error"]["status"].as_str().unwrap().to_owned(),
                v["error"]["message"].as_str().unwrap().to_owned(),
            )
        }
    }
}

/// (path, headers, body, status, error type or status name, ledger code, words in the message)
type Case<'a> = (
    &'a str,
    &'a [(&'a str, &'a str)],
    String,
    u16,
    &'a str,
    &'a str,
    &'a str,
);

#[tokio::test]
async fn bad_inputs_get_errors_in_the_client_dialect() {
    let fake = FakeUpstream::start().await;
    let mut relay = Relay::start(
        &format!(
            "[server]\nmax_body_bytes = 2048\n\n[[accounts]]\nname = \"gem\"\nplatform = \"gemini\"\nsecret = \"env:UP_GEMINI\"\nbase_url = \"{{upstream}}\"\n\n{}",
            two_accounts()
        ),
        &fake.url,
        &[SECRETS, &[("UP_GEMINI", "gem-secret")]].concat(),
    )
    .await;
    let big = format!(r#"{{"model":"gpt-4.1","pad":"{}"}}"#, "x".repeat(4096));
    let key_header = format!("Bearer {KEY}");
    let auth: &[(&str, &str)] = &[
        ("authorization", key_header.as_str()),
        ("content-type", "application/json"),
    ];
    // (path, headers, body, expected status, expected error type/status, expected ledger code, words in message)
    let cases: Vec<Case<'_>> = vec![
        (
            "/v1/messages",
            auth,
            "{oops".into(),
            400,
            "invalid_request_error",
            "invalid_json",
            "not valid JSON",
        ),
        (
            "/v1/chat/completions",
            auth,
            "{oops".into(),
            400,
            "invalid_request_error",
            "invalid_json",
            "not valid JSON",
        ),
        (
            "/v1/messages",
            auth,
            String::new(),
            400,
            "invalid_request_error",
            "empty_body",
            "empty",
        ),
        (
            "/v1/responses",
            auth,
            r#"{"input":"hi"}"#.into(),
            400,
            "invalid_request_error",
            "missing_model",
            "`model` is required",
        ),
        (
            "/v1/messages",
            auth,
            r#"{"model":7,"messages":[]}"#.into(),
            400,
            "invalid_request_error",
            "invalid_model",
            "must be a string",
        ),
        (
            "/v1/chat/completions",
            auth,
            r#"{"model":"no-such-model","messages":[]}"#.into(),
            404,
            "invalid_request_error",
            "model_not_found",
            "relay models",
        ),
        (
            "/v1/messages",
            auth,
            r#"{"model":"no-such-model","messages":[]}"#.into(),
            404,
            "not_found_error",
            "model_not_found",
            "no account serves",
        ),
        (
            "/v1/messages",
            auth,
            r#"{"model":"gemini-2.5-pro","messages":[]}"#.into(),
            400,
            "invalid_request_error",
            "dialect_not_served",
            "cannot convert",
        ),
        (
            "/v1/chat/completions",
            auth,
            big.clone(),
            413,
            "invalid_request_error",
            "request_too_large",
            "max_body_bytes",
        ),
        (
            "/v1/messages",
            auth,
            big,
            413,
            "request_too_large",
            "request_too_large",
            "max_body_bytes",
        ),
        (
            "/v1/messages",
            &[("x-api-key", "rk-wrong")],
            "{}".into(),
            401,
            "authentication_error",
            "invalid_api_key",
            "relay key create",
        ),
        (
            "/v1/chat/completions",
            &[],
            "{}".into(),
            401,
            "invalid_request_error",
            "missing_api_key",
            "Authorization: Bearer",
        ),
        (
            "/v1/nope",
            auth,
            "{}".into(),
            404,
            "invalid_request_error",
            "unknown_path",
            "/v1/chat/completions",
        ),
        (
            "/v1/messages/nope",
            auth,
            "{}".into(),
            404,
            "not_found_error",
            "unknown_path",
            "no endpoint",
        ),
        (
            "/v1beta/models/gemini-2.5-pro:generateContent",
            &[("x-goog-api-key", KEY)],
            "{}".into(),
            404,
            "NOT_FOUND",
            "gemini_not_available",
            "Gemini",
        ),
        (
            "/v1beta/models/gemini-2.5-pro:generateContent",
            &[("x-goog-api-key", "bad")],
            "{}".into(),
            401,
            "UNAUTHENTICATED",
            "invalid_api_key",
            "invalid API key",
        ),
    ];
    for (path, headers, body, status, kind, code, words) in cases {
        let got = send("POST", &format!("{}{path}", relay.url), headers, body).await;
        let dialect = if path.starts_with("/v1/messages") {
            "anthropic"
        } else if path.starts_with("/v1beta") {
            "gemini"
        } else {
            "openai"
        };
        assert_eq!(got.status, status, "{path}: {}", got.text());
        assert_eq!(got.header("content-type"), Some("application/json"));
        assert!(got.header("x-relay-request-id").is_some());
        let (k, msg) = shape(dialect, &got.json());
        assert_eq!(k, kind, "{path}: {}", got.text());
        assert!(
            msg.contains(words),
            "{path}: message {msg:?} should mention {words:?}"
        );
        if dialect == "openai" {
            assert_eq!(got.json()["error"]["code"], code);
        }
        let e = relay.finished().await;
        assert_eq!(
            (e.status, e.error),
            (status, Some(code)),
            "{path}: every refused request is recorded"
        );
    }
    assert_eq!(fake.hits(), 0, "nothing reached the upstream");
}

#[tokio::test]
async fn wrong_method_is_405_with_allow() {
    let fake = FakeUpstream::start().await;
    let relay = Relay::start(&two_accounts(), &fake.url, SECRETS).await;
    let got = send(
        "GET",
        &format!("{}/v1/chat/completions", relay.url),
        &[],
        "",
    )
    .await;
    assert_eq!(got.status, 405);
    assert_eq!(got.header("allow"), Some("POST"));
    assert_eq!(got.json()["error"]["code"], "method_not_allowed");
}

#[tokio::test]
async fn host_and_origin_checks_refuse_before_anything_is_forwarded() {
    let fake = FakeUpstream::start().await;
    let config = format!(
        "[server]\nallowed_origins = [\"http://localhost:3000\"]\n{}",
        two_accounts()
    );
    let relay = Relay::start(&config, &fake.url, SECRETS).await;
    let body = r#"{"model":"gpt-4.1","messages":[]}"#;
    let url = format!("{}/v1/chat/completions", relay.url);
    let bearer = format!("Bearer {KEY}");
    let rebinding = send(
        "POST",
        &url,
        &[("host", "evil.example:8787"), ("authorization", &bearer)],
        body,
    )
    .await;
    assert_eq!(rebinding.status, 403);
    assert!(
        rebinding.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("allowed_hosts")
    );
    let cross_site = send(
        "POST",
        &url,
        &[
            ("origin", "https://evil.example"),
            ("authorization", &bearer),
        ],
        body,
    )
    .await;
    assert_eq!(cross_site.status, 403);
    assert_eq!(cross_site.json()["error"]["code"], "origin_not_allowed");
    let anthropic = send(
        "POST",
        &format!("{}/v1/messages", relay.url),
        &[("host", "attacker.test"), ("x-api-key", KEY)],
        r#"{"model":"claude-x"}"#,
    )
    .await;
    assert_eq!(anthropic.status, 403);
    assert_eq!(anthropic.json()["error"]["type"], "permission_error");
    let allowed = send(
        "POST",
        &url,
        &[
            ("origin", "http://localhost:3000"),
            ("authorization", &bearer),
        ],
        body,
    )
    .await;
    assert_eq!(allowed.status, 200);
    let localhost = send(
        "POST",
        &url,
        &[("host", "localhost:1234"), ("authorization", &bearer)],
        body,
    )
    .await;
    assert_eq!(localhost.status, 200);
    assert_eq!(fake.hits(), 2, "only the allowed requests were forwarded");
}

#[tokio::test]
async fn upstream_errors_in_the_same_dialect_pass_through_unchanged() {
    let fake = FakeUpstream::start().await;
    let mut relay = Relay::start(&two_accounts(), &fake.url, SECRETS).await;
    let body = fake_upstream::error_json_anthropic(
        "invalid_request_error",
        "messages: at least one message is required",
    );
    fake.push(Reply::Json {
        status: 400,
        headers: vec![("x-upstream-note".into(), "kept".into())],
        body: body.clone(),
    });
    let got = post(
        &format!("{}/v1/messages", relay.url),
        Some(KEY),
        r#"{"model":"claude-x","messages":[]}"#,
    )
    .await;
    assert_eq!(got.status, 400);
    assert_eq!(got.text(), body);
    assert_eq!(got.header("x-upstream-note"), Some("kept"));
    let e = relay.finished().await;
    assert_eq!((e.status, e.error), (400, Some("upstream_bad_request")));

    let body = fake_upstream::error_json_openai("rate_limit_error", "slow down");
    fake.push(Reply::Json {
        status: 429,
        headers: vec![("retry-after".into(), "7".into())],
        body: body.clone(),
    });
    let got = post(
        &format!("{}/v1/chat/completions", relay.url),
        Some(KEY),
        r#"{"model":"gpt-4.1","messages":[]}"#,
    )
    .await;
    // A 429 is the account's problem, not the request's: with no other account to try, the
    // client learns when to retry and which account was limited.
    assert_eq!(got.status, 429);
    assert_ne!(got.text(), body);
    assert_eq!(got.json()["error"]["type"], "rate_limit_error");
    assert!(
        got.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("gpt: rate limited"),
        "{}",
        got.text()
    );
    assert_eq!(got.header("retry-after"), Some("7"));
}

#[tokio::test]
async fn unreachable_upstream_is_a_502_in_the_client_dialect() {
    // A port that was just free: nothing listens there.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let mut relay = Relay::start(&two_accounts(), &dead, SECRETS).await;
    let got = post(
        &format!("{}/v1/messages", relay.url),
        Some(KEY),
        r#"{"model":"claude-x","messages":[]}"#,
    )
    .await;
    assert_eq!(got.status, 502);
    assert_eq!(got.json()["error"]["type"], "api_error");
    let msg = got.json()["error"]["message"].as_str().unwrap().to_owned();
    assert!(msg.contains("claude: connection failed"), "{msg}");
    assert!(!msg.contains("canary"), "no secret in errors: {msg}");
    let e = relay.finished().await;
    assert_eq!(e.error, Some("upstream_unavailable"));
}

#[tokio::test]
async fn keyless_mode_serves_loopback_without_a_key() {
    let fake = FakeUpstream::start().await;
    let config = r#"
[[accounts]]
name = "gpt"
platform = "openai"
secret = "env:UP_OPENAI"
base_url = "{upstream}"
"#;
    let mut relay = Relay::start(config, &fake.url, SECRETS).await;
    let got = post(
        &format!("{}/v1/chat/completions", relay.url),
        None,
        r#"{"model":"gpt-4.1","messages":[]}"#,
    )
    .await;
    assert_eq!(got.status, 200);
    let e = relay.finished().await;
    assert_eq!(e.key, None);
    // A presented key is not forwarded upstream either.
    let _ = post(
        &format!("{}/v1/chat/completions", relay.url),
        Some("rk-client-secret"),
        r#"{"model":"gpt-4.1","messages":[]}"#,
    )
    .await;
    let r = &fake.requests()[1];
    assert_eq!(
        r.header("authorization").as_deref(),
        Some("Bearer sk-openai-upstream-canary")
    );
}

#[tokio::test]
async fn key_model_allowlist_refuses_other_models() {
    let fake = FakeUpstream::start().await;
    let config = format!("{}models = [\"gpt-4.1*\"]\n", two_accounts());
    let relay = Relay::start(&config, &fake.url, SECRETS).await;
    let got = post(
        &format!("{}/v1/messages", relay.url),
        Some(KEY),
        r#"{"model":"claude-x","messages":[]}"#,
    )
    .await;
    assert_eq!(got.status, 403);
    assert_eq!(got.json()["error"]["type"], "permission_error");
    let ok = post(
        &format!("{}/v1/chat/completions", relay.url),
        Some(KEY),
        r#"{"model":"gpt-4.1-mini","messages":[]}"#,
    )
    .await;
    assert_eq!(ok.status, 200);
}
