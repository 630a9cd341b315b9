//! Render snapshots at 80×24 and 160×48 for representative states (`UPDATE_GOLDEN=1` rewrites
//! them), plus checks that hold at every size.

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::app::tests::{account, finished, snapshot};
use crate::app::{App, Key, Msg};
use relay_core::server::admin::wire::{Totals, WireEvent};

fn render(app: &App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| super::draw(f, app)).unwrap();
    let buf = t.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        let mut line = String::new();
        for x in 0..w {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn app(state: &str) -> App {
    let mut app = App::new("http://127.0.0.1:8787", 100_000);
    app.tz = jiff::tz::TimeZone::UTC;
    if state == "empty" {
        return app;
    }
    let mut snap = snapshot();
    snap.totals = Totals {
        day: "2026-11-27".into(),
        requests_today: 1234,
        errors_today: 17,
        cost_today_usd: 12.34,
        cost_month_usd: 234.5,
        tokens_per_minute: 45_600,
        requests_per_minute: 42,
    };
    snap.accounts.push(account("gemini-c", "paused"));
    app.update(Msg::Snapshot(Box::new(snap)));
    for i in 0..12u16 {
        app.update(Msg::Event(Box::new(finished(&format!("r{i}"), 200, None))));
        app.update(Msg::Tick(100_000));
    }
    if state == "cooldowns" || state == "errors" {
        app.update(Msg::Event(Box::new(WireEvent::Failover {
            id: "req_0000abcdef".into(),
            from: "claude-a".into(),
            status: Some(429),
            reason: "rate_limited".into(),
            time_ms: 99_000,
        })));
        app.update(Msg::Event(Box::new(WireEvent::CooldownSet {
            account: "claude-a".into(),
            until_ms: 190_000,
            reason: "rate_limited".into(),
            time_ms: 100_000,
        })));
    }
    if state == "errors" {
        app.update(Msg::Event(Box::new(WireEvent::AccountState {
            account: "gpt-b".into(),
            state: "auth_error".into(),
        })));
        app.accounts[1].last_error = Some("401 invalid x-api-key".into());
        app.update(Msg::Event(Box::new(finished(
            "bad",
            502,
            Some("upstream_unavailable"),
        ))));
        app.update(Msg::Disconnected {
            reason: "connection refused".into(),
            attempt: 2,
        });
    }
    app
}

#[test]
fn snapshots() {
    for state in ["empty", "busy", "cooldowns", "errors"] {
        for (w, h) in [(80, 24), (160, 48)] {
            let got = render(&app(state), w, h);
            let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("snapshots")
                .join(format!("{state}_{w}x{h}.txt"));
            if std::env::var_os("UPDATE_GOLDEN").is_some() {
                std::fs::create_dir_all(file.parent().unwrap()).unwrap();
                std::fs::write(&file, &got).unwrap();
            }
            let want = std::fs::read_to_string(&file)
                .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 writes it)", file.display()));
            assert_eq!(
                got,
                want,
                "{state} at {w}x{h} differs from {}",
                file.display()
            );
        }
    }
}

#[test]
fn every_panel_shows_what_it_is_about() {
    let s = render(&app("errors"), 160, 48);
    for needle in [
        "claude-a",
        "cool 1m30s",
        "auth_error",
        "paused",
        "401 invalid x-api-key",
        "laptop",
        "$12.34",
        "upstream_unavailable",
        "claude-a → next  429 rate_limited",
        "claude-a cools 1m30s",
        "req/s",
        "tok/s",
        "claude-sonnet-4-5",
        "reconnecting, attempt 2",
    ] {
        assert!(s.contains(needle), "`{needle}` missing:\n{s}");
    }
}

#[test]
fn help_and_filter_are_drawn_and_tiny_terminals_do_not_panic() {
    let mut a = app("busy");
    a.key(Key::Char('?'));
    assert!(render(&a, 80, 24).contains("pause / resume the selected account"));
    a.key(Key::Esc);
    a.key(Key::Char('/'));
    a.key(Key::Char('x'));
    assert!(render(&a, 80, 24).contains("filter: x"));
    for (w, h) in [(1, 1), (10, 5), (40, 12), (79, 23), (300, 100)] {
        render(&a, w, h);
    }
}
