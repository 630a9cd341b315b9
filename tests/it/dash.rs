//! `relay dash` end to end: the real binary in tmux, attached to a real `relay serve`, shows
//! the accounts and a failover made through the fake upstream, and quits cleanly on `q`.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::fake_upstream::{FakeUpstream, Reply};
use crate::support::{KEY, key_block, post};

use crate::support::BIN;

struct Tmux {
    socket: String,
}

impl Tmux {
    fn cmd(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket]);
        c
    }

    fn screen(&self) -> String {
        let out = self
            .cmd()
            .args(["capture-pane", "-p", "-t", "dash"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn wait_for(&self, what: &[&str]) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let s = self.screen();
            if what.iter().all(|w| s.contains(w)) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "screen never showed {what:?}:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd().arg("kill-server").status();
    }
}

#[tokio::test]
async fn relay_dash_in_tmux_shows_accounts_and_a_failover() {
    assert!(
        Command::new("tmux").arg("-V").output().is_ok(),
        "tmux is needed for this test (.ci/run installs it)"
    );
    let fake = FakeUpstream::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    // A fixed port, so that a restarted relay is found at the same address.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::fs::write(
        &cfg,
        format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\n\n[[accounts]]\nname = \"first-acct\"\nplatform = \"anthropic\"\nsecret = \"env:UP\"\nbase_url = \"{url}\"\npriority = 10\n\n\
             [[accounts]]\nname = \"second-acct\"\nplatform = \"anthropic\"\nsecret = \"env:UP\"\nbase_url = \"{url}\"\npriority = 20\n\n{}",
            key_block(),
            url = fake.url
        ),
    )
    .unwrap();
    let data = dir.path().join("data");
    let served = crate::support::serve_binary(&cfg, &data, &[("UP", "sk-up")], false);
    let url = served.url.clone();

    let tmux = Tmux {
        socket: format!("relay-test-{}", std::process::id()),
    };
    let dash = format!(
        "{BIN} --config {} --data-dir {} dash --url {url}",
        cfg.display(),
        data.display()
    );
    let started = tmux
        .cmd()
        .args([
            "new-session",
            "-d",
            "-s",
            "dash",
            "-x",
            "120",
            "-y",
            "35",
            &dash,
        ])
        .status()
        .unwrap();
    assert!(started.success());
    tmux.wait_for(&["live", "first-acct", "second-acct", "no failovers yet"]);

    // The first account is rate limited: the request fails over to the second.
    fake.push(Reply::Json {
        status: 429,
        headers: vec![("retry-after".into(), "120".into())],
        body: r#"{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}"#
            .into(),
    });
    let body = r#"{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[]}"#;
    assert_eq!(
        post(&format!("{url}/v1/messages"), Some(KEY), body)
            .await
            .status,
        200
    );
    let screen = tmux.wait_for(&[
        "first-acct → next  429 rate_limited",
        "first-acct cools",
        "cool 1m",
        "200 claude-sonnet-4-5",
    ]);
    assert!(screen.contains("second-acct"), "{screen}");

    // `c` clears the selected (first) account's cooldown through the admin API.
    tmux.cmd()
        .args(["send-keys", "-t", "dash", "c"])
        .status()
        .unwrap();
    tmux.wait_for(&["first-acct: active", "first-acct cooldown cleared"]);

    // The relay goes away: the dashboard says so and keeps trying; when a relay is back on
    // the same address, it is live again by itself.
    drop(served);
    tmux.wait_for(&["reconnecting, attempt"]);
    let served = crate::support::serve_binary(&cfg, &data, &[("UP", "sk-up")], false);
    tmux.wait_for(&[" live ", "first-acct"]);

    // `q` quits and gives the terminal back.
    tmux.cmd()
        .args(["send-keys", "-t", "dash", "q"])
        .status()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while tmux
        .cmd()
        .args(["has-session", "-t", "dash"])
        .status()
        .unwrap()
        .success()
    {
        assert!(
            Instant::now() < deadline,
            "dash did not quit:\n{}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(served);
}
