//! Sticky sessions: a conversation stays on its account (prompt caches stay warm), different
//! conversations spread, a failover does not steal the binding, and Responses follow-ups go to
//! the account that produced the previous response.

use crate::support::fake_upstream::{self, FakeUpstream, Reply};
use crate::support::{
    KEY, Relay, account_secrets, anthropic_accounts, env_refs, post, send, served_by,
};

fn claude_code_body(session: &str, turn: usize) -> String {
    let user_id =
        format!(r#"{{\"device_id\":\"d7c1\",\"account_uuid\":\"\",\"session_id\":\"{session}\"}}"#);
    format!(
        r#"{{"model":"claude-x","max_tokens":5,"metadata":{{"user_id":"{user_id}"}},"messages":[{{"role":"user","content":"turn {turn}"}}]}}"#
    )
}

#[tokio::test]
async fn a_session_stays_on_its_account_and_sessions_spread() {
    let fake = FakeUpstream::start().await;
    let secrets = account_secrets(3);
    let relay = Relay::start(&anthropic_accounts(3, ""), &fake.url, &env_refs(&secrets)).await;
    for turn in 0..20 {
        let got = post(
            &format!("{}/v1/messages", relay.url),
            Some(KEY),
            &claude_code_body("0b9e4f5c-1111-4c1e-9a8b-000000000001", turn),
        )
        .await;
        assert_eq!(got.status, 200);
    }
    let served = served_by(&fake);
    assert!(
        served.iter().all(|a| a == &served[0]),
        "one session, one account: {served:?}"
    );
    for s in 0..30 {
        post(
            &format!("{}/v1/messages", relay.url),
            Some(KEY),
            &claude_code_body(&format!("0b9e4f5c-2222-4c1e-9a8b-{s:012}"), 0),
        )
        .await;
    }
    let mut used: Vec<String> = served_by(&fake)[20..].to_vec();
    used.sort();
    used.dedup();
    assert_eq!(
        used.len(),
        3,
        "different sessions spread over the accounts: {used:?}"
    );
}

#[tokio::test]
async fn digest_sessions_stick_across_turns() {
    let fake = FakeUpstream::start().await;
    let secrets = account_secrets(3);
    let relay = Relay::start(&anthropic_accounts(3, ""), &fake.url, &env_refs(&secrets)).await;
    let mut history = String::from(r#"{"role":"user","content":"plan the refactor"}"#);
    for turn in 0..6 {
        let body = format!(
            r#"{{"model":"claude-x","max_tokens":5,"system":"you are terse","messages":[{history}]}}"#
        );
        assert_eq!(
            post(&format!("{}/v1/messages", relay.url), Some(KEY), &body)
                .await
                .status,
            200
        );
        history.push_str(&format!(r#",{{"role":"assistant","content":"ok {turn}"}},{{"role":"user","content":"next {turn}"}}"#));
    }
    let served = served_by(&fake);
    assert!(served.iter().all(|a| a == &served[0]), "{served:?}");
}

#[tokio::test]
async fn a_failover_does_not_steal_the_binding() {
    let fake = FakeUpstream::start().await;
    let secrets = account_secrets(2);
    let relay = Relay::start(&anthropic_accounts(2, ""), &fake.url, &env_refs(&secrets)).await;
    let body = claude_code_body("5e55e55e-0000-4000-8000-000000000001", 0);
    post(&format!("{}/v1/messages", relay.url), Some(KEY), &body).await;
    let home = served_by(&fake)[0].clone();
    fake.push(Reply::Json {
        status: 503,
        headers: vec![],
        body: fake_upstream::error_json_anthropic("api_error", "blip"),
    });
    let got = post(&format!("{}/v1/messages", relay.url), Some(KEY), &body).await;
    assert_eq!(got.status, 200);
    let served = served_by(&fake);
    assert_eq!(served[1], home, "the bound account is tried first");
    assert_ne!(served[2], home, "then another serves this request");
    let key = relay_core::scheduler::session::SessionKey::ClaudeSession(
        "5e55e55e-0000-4000-8000-000000000001".into(),
    );
    let bound = relay
        .gateway
        .shared()
        .sticky
        .get("default", &key, std::time::Instant::now());
    assert_eq!(
        bound.as_deref(),
        Some(home.as_str()),
        "the session stays bound to its (briefly faulty) home account"
    );
}

#[tokio::test]
async fn responses_follow_ups_go_to_the_account_that_produced_the_response() {
    let fake = FakeUpstream::start().await;
    let config = r#"
[[accounts]]
name = "o0"
platform = "openai"
secret = "env:SECRET_0"
base_url = "{upstream}"

[[accounts]]
name = "o1"
platform = "openai"
secret = "env:SECRET_1"
base_url = "{upstream}"
"#;
    let secrets = account_secrets(2);
    let relay = Relay::start(config, &fake.url, &env_refs(&secrets)).await;
    let first = post(
        &format!("{}/v1/responses", relay.url),
        None,
        r#"{"model":"gpt-4.1","input":"one"}"#,
    )
    .await;
    let id = first.json()["id"].as_str().unwrap().to_owned();
    let producer = fake.requests()[0].header("authorization").unwrap();
    for i in 0..4 {
        // Unrelated traffic moves the least-recently-used pointer around.
        post(
            &format!("{}/v1/responses", relay.url),
            None,
            &format!(r#"{{"model":"gpt-4.1","input":"other {i}"}}"#),
        )
        .await;
    }
    let follow = format!(r#"{{"model":"gpt-4.1","previous_response_id":"{id}","input":"two"}}"#);
    let got = send(
        "POST",
        &format!("{}/v1/responses", relay.url),
        &[("content-type", "application/json")],
        follow,
    )
    .await;
    assert_eq!(got.status, 200);
    let last = fake
        .requests()
        .last()
        .unwrap()
        .header("authorization")
        .unwrap();
    assert_eq!(last, producer, "previous_response_id pins the follow-up");
}
