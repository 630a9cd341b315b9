//! `App::update` and `App::key`: every message and key.

use super::*;
use relay_core::server::admin::wire::Slots;

pub(crate) fn account(name: &str, state: &str) -> AccountStatus {
    AccountStatus {
        name: name.into(),
        platform: "anthropic".into(),
        state: state.into(),
        slots: Slots {
            in_use: 1,
            max: 3,
            waiting: 0,
        },
        ..AccountStatus::default()
    }
}

pub(crate) fn snapshot() -> Snapshot {
    Snapshot {
        version: "0.1.0".into(),
        listen: "127.0.0.1:8787".into(),
        time_ms: 1_000,
        accounts: vec![account("claude-a", "active"), account("gpt-b", "active")],
        keys: vec![KeyStatus {
            name: "laptop".into(),
            daily_usd: Some(20.0),
            ..KeyStatus::default()
        }],
        in_flight: vec![LiveRequest {
            id: "req_1".into(),
            model: Some("claude-sonnet-4-5".into()),
            inbound: "anthropic".into(),
            key: Some("laptop".into()),
            account: Some("claude-a".into()),
            stream: true,
            started_ms: 500,
        }],
        totals: Totals::default(),
    }
}

pub(crate) fn finished(id: &str, status: u16, error: Option<&str>) -> WireEvent {
    WireEvent::RequestFinished {
        id: id.into(),
        key: Some("laptop".into()),
        account: Some("claude-a".into()),
        inbound: "openai-chat".into(),
        model: Some("claude-sonnet-4-5".into()),
        status,
        error: error.map(str::to_owned),
        input_tokens: 100,
        output_tokens: 50,
        cache_read_tokens: 1000,
        cache_creation_tokens: 0,
        cost_usd: 0.0123,
        latency_ms: 1500,
        client_disconnected: false,
        time_ms: 2_000,
    }
}

fn ev(e: WireEvent) -> Msg {
    Msg::Event(Box::new(e))
}

#[test]
fn a_snapshot_replaces_the_state_and_marks_the_connection_live() {
    let mut app = App::new("http://x", 0);
    assert_eq!(app.connection, Connection::Connecting);
    app.update(Msg::Snapshot(Box::new(snapshot())));
    assert_eq!(app.connection, Connection::Live);
    assert_eq!(app.accounts.len(), 2);
    assert_eq!(app.in_flight.len(), 1);
    app.selected = 1;
    let mut one = snapshot();
    one.accounts.truncate(1);
    app.update(Msg::Snapshot(Box::new(one)));
    assert_eq!(app.selected, 0, "the selection stays in range");
}

#[test]
fn requests_move_from_in_flight_to_finished() {
    let mut app = App::new("http://x", 0);
    app.update(Msg::Snapshot(Box::new(snapshot())));
    app.update(ev(WireEvent::RequestStarted {
        id: "req_2".into(),
        model: Some("gpt-5".into()),
        inbound: "openai-responses".into(),
        time_ms: 1_000,
    }));
    app.update(ev(WireEvent::AccountSelected {
        id: "req_2".into(),
        account: "gpt-b".into(),
        sticky: false,
        attempt: 2,
        upstream: "anthropic".into(),
    }));
    let r = &app.in_flight["req_2"];
    assert_eq!(
        (r.request.account.as_deref(), r.attempt),
        (Some("gpt-b"), 2)
    );
    app.update(ev(finished("req_2", 200, None)));
    assert!(!app.in_flight.contains_key("req_2"));
    assert_eq!(app.recent.len(), 1);
    assert_eq!(app.recent[0].tokens, (1100, 50));
    assert_eq!(app.by_model["claude-sonnet-4-5"].0, 1);
    // The tick closes the second: one request, 1150 tokens.
    app.update(Msg::Tick(3_000));
    assert_eq!(app.requests_history.back(), Some(&1));
    assert_eq!(app.tokens_history.back(), Some(&1150));
    app.update(Msg::Tick(4_000));
    assert_eq!(app.requests_history.back(), Some(&0));
    for _ in 0..HISTORY + 5 {
        app.update(Msg::Tick(5_000));
    }
    assert_eq!(app.requests_history.len(), HISTORY);
    for i in 0..RECENT + 10 {
        app.update(ev(finished(&format!("r{i}"), 200, None)));
    }
    assert_eq!(app.recent.len(), RECENT);
}

#[test]
fn failovers_and_cooldowns_are_logged_and_change_account_state() {
    let mut app = App::new("http://x", 10_000);
    app.update(Msg::Snapshot(Box::new(snapshot())));
    app.update(ev(WireEvent::Failover {
        id: "req_abcdef123456".into(),
        from: "claude-a".into(),
        status: Some(429),
        reason: "rate_limited".into(),
        time_ms: 10_000,
    }));
    app.update(ev(WireEvent::CooldownSet {
        account: "claude-a".into(),
        until_ms: 70_000,
        reason: "rate_limited".into(),
        time_ms: 10_000,
    }));
    assert_eq!(app.log.len(), 2);
    assert!(
        app.log[1]
            .text
            .contains("claude-a → next  429 rate_limited  (123456)")
    );
    assert!(app.log[0].cooldown && app.log[0].text.contains("cools 1m00s"));
    assert_eq!(app.accounts[0].state, "cooling");
    assert_eq!(app.accounts[0].cooldown_until_ms, Some(70_000));
    app.update(ev(WireEvent::CooldownCleared {
        account: "claude-a".into(),
    }));
    assert_eq!(app.accounts[0].state, "active");
    app.update(ev(WireEvent::AccountState {
        account: "gpt-b".into(),
        state: "auth_error".into(),
    }));
    assert_eq!(app.accounts[1].state, "auth_error");
    for i in 0..LOG + 3 {
        app.update(ev(WireEvent::CooldownCleared {
            account: format!("x{i}"),
        }));
    }
    assert_eq!(app.log.len(), LOG);
}

#[test]
fn totals_update_keys_and_accounts() {
    let mut app = App::new("http://x", 0);
    app.update(Msg::Snapshot(Box::new(snapshot())));
    app.update(ev(WireEvent::Totals {
        totals: Totals {
            requests_today: 9,
            cost_today_usd: 1.5,
            ..Totals::default()
        },
        keys: vec![KeyStatus {
            name: "laptop".into(),
            cost_today_usd: 1.5,
            ..KeyStatus::default()
        }],
        accounts: vec![("gpt-b".into(), 9, 2, 1.5)],
    }));
    assert_eq!(app.totals.requests_today, 9);
    assert_eq!(app.keys[0].cost_today_usd, 1.5);
    assert_eq!(
        (app.accounts[1].requests_today, app.accounts[1].errors_today),
        (9, 2)
    );
}

#[test]
fn losing_the_connection_is_shown_and_forgets_in_flight_requests() {
    let mut app = App::new("http://x", 0);
    app.update(Msg::Snapshot(Box::new(snapshot())));
    app.update(Msg::Disconnected {
        reason: "connection refused".into(),
        attempt: 3,
    });
    assert_eq!(
        app.connection,
        Connection::Lost {
            reason: "connection refused".into(),
            attempt: 3
        }
    );
    assert!(app.in_flight.is_empty());
    app.update(Msg::Snapshot(Box::new(snapshot())));
    assert_eq!(app.connection, Connection::Live);
}

#[test]
fn notices_expire_after_five_seconds() {
    let mut app = App::new("http://x", 1_000);
    app.update(Msg::Notice("claude-a: paused".into()));
    app.update(Msg::Tick(5_000));
    assert!(app.notice.is_some());
    app.update(Msg::Tick(6_500));
    assert!(app.notice.is_none());
}

#[test]
fn keys_select_accounts_and_ask_for_actions() {
    let mut app = App::new("http://x", 0);
    assert_eq!(app.key(Key::Char('p')), None, "no account, no action");
    app.update(Msg::Snapshot(Box::new(snapshot())));
    assert_eq!(
        app.key(Key::Char('p')),
        Some(Action::Pause("claude-a".into()))
    );
    assert_eq!(app.key(Key::Down), None);
    assert_eq!(app.key(Key::Down), None);
    assert_eq!(app.selected, 1, "stops at the last account");
    assert_eq!(
        app.key(Key::Char('r')),
        Some(Action::Resume("gpt-b".into()))
    );
    assert_eq!(app.key(Key::Char('k')), None);
    assert_eq!(
        app.key(Key::Char('c')),
        Some(Action::ClearCooldown("claude-a".into()))
    );
    assert_eq!(app.key(Key::Up), None);
    assert_eq!(app.selected, 0);
    assert_eq!(app.key(Key::Char('j')), None);
    assert_eq!(app.selected, 1);
    assert_eq!(
        Action::ClearCooldown("a".into()).path(),
        "/relay/v1/accounts/a/clear-cooldown"
    );
}

#[test]
fn keys_move_focus_toggle_panels_filter_help_and_quit() {
    let mut app = App::new("http://x", 0);
    assert_eq!(app.focus, Panel::Accounts);
    app.key(Key::Tab);
    assert_eq!(app.focus, Panel::Keys);
    app.key(Key::BackTab);
    assert_eq!(app.focus, Panel::Accounts);
    app.key(Key::BackTab);
    assert_eq!(app.focus, Panel::Usage);
    // Hiding the focused panel moves the focus; Tab skips hidden panels.
    app.key(Key::Char('5'));
    assert!(!app.shows(Panel::Usage));
    assert_eq!(app.focus, Panel::Accounts);
    app.key(Key::Char('2'));
    app.key(Key::Tab);
    assert_eq!(app.focus, Panel::Requests);
    app.key(Key::Char('2'));
    assert!(app.shows(Panel::Keys));

    app.update(Msg::Snapshot(Box::new(snapshot())));
    app.update(ev(finished("a", 200, None)));
    app.update(ev(finished("b", 429, Some("rate_limited"))));
    app.key(Key::Char('/'));
    assert!(app.filtering);
    for c in "429".chars() {
        app.key(Key::Char(c));
    }
    assert_eq!(app.key(Key::Char('q')), None, "typing, not quitting");
    app.key(Key::Backspace);
    app.key(Key::Enter);
    assert!(!app.filtering);
    assert_eq!(app.filter, "429");
    assert_eq!(app.filtered().count(), 1);
    app.key(Key::Char('/'));
    app.key(Key::Esc);
    assert_eq!(app.filter, "");
    assert_eq!(app.filtered().count(), 2);

    app.key(Key::Char('?'));
    assert!(app.help);
    app.key(Key::Char('q'));
    assert!(!app.help && !app.quit, "any key closes the help");
    app.key(Key::Char('q'));
    assert!(app.quit);
    let mut app = App::new("http://x", 0);
    app.key(Key::Esc);
    assert!(app.quit);
}
