//! Dashboard state: what the relay reported (a snapshot, then live events) and what the user
//! is doing (focus, selection, filter, help). Pure: [`App::update`] takes messages and keys,
//! with the time passed in, and returns the operator action a key asks for.

use std::collections::{BTreeMap, VecDeque};

use relay_core::live::LiveRequest;
use relay_core::server::admin::wire::{AccountStatus, KeyStatus, Snapshot, Totals, WireEvent};

/// Finished requests kept for the request list.
pub const RECENT: usize = 200;
/// Failover and cooldown lines kept.
pub const LOG: usize = 100;
/// Seconds of history in the sparklines.
pub const HISTORY: usize = 120;

/// What the dashboard hears from the relay.
#[derive(Clone, Debug, PartialEq)]
pub enum Msg {
    /// Connected (or reconnected): the full state.
    Snapshot(Box<Snapshot>),
    /// A live event.
    Event(Box<WireEvent>),
    /// The connection dropped or could not be made; the client retries by itself.
    Disconnected {
        /// Why, in words.
        reason: String,
        /// Attempts made since the connection was lost.
        attempt: u32,
    },
    /// The result of an operator action, to show in the status line.
    Notice(String),
    /// One second passed (the time is Unix ms).
    Tick(i64),
}

/// A key press, reduced to what the dashboard uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    /// A character.
    Char(char),
    /// Up arrow.
    Up,
    /// Down arrow.
    Down,
    /// Tab.
    Tab,
    /// Shift-Tab.
    BackTab,
    /// Enter.
    Enter,
    /// Escape.
    Esc,
    /// Backspace.
    Backspace,
}

/// Something the user asked the relay to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Pause the account.
    Pause(String),
    /// Resume the account.
    Resume(String),
    /// Clear the account's cooldown.
    ClearCooldown(String),
}

impl Action {
    /// The admin API path of this action.
    pub fn path(&self) -> String {
        let (name, verb) = match self {
            Self::Pause(n) => (n, "pause"),
            Self::Resume(n) => (n, "resume"),
            Self::ClearCooldown(n) => (n, "clear-cooldown"),
        };
        format!("/relay/v1/accounts/{name}/{verb}")
    }
}

/// The panels, in focus order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Panel {
    /// Accounts.
    Accounts,
    /// Client keys.
    Keys,
    /// Requests in flight and recently finished.
    Requests,
    /// Failovers and cooldowns.
    Log,
    /// Traffic and spend over time.
    Usage,
}

impl Panel {
    /// All panels in focus order.
    pub const ALL: [Panel; 5] = [
        Panel::Accounts,
        Panel::Keys,
        Panel::Requests,
        Panel::Log,
        Panel::Usage,
    ];

    /// The panel's title.
    pub fn title(self) -> &'static str {
        match self {
            Panel::Accounts => "accounts",
            Panel::Keys => "keys",
            Panel::Requests => "requests",
            Panel::Log => "failovers & cooldowns",
            Panel::Usage => "usage",
        }
    }
}

/// The connection to the relay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Connection {
    /// Not connected yet.
    Connecting,
    /// Receiving events.
    Live,
    /// Lost; retrying.
    Lost {
        /// Why.
        reason: String,
        /// Attempts so far.
        attempt: u32,
    },
}

/// A request in flight, with what is known so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InFlight {
    /// What the relay said about it.
    pub request: LiveRequest,
    /// Attempts made (1 on the first account).
    pub attempt: u32,
    /// The dialect the current account is spoken to in, once chosen.
    pub upstream: Option<String>,
}

/// A finished request.
#[derive(Clone, Debug, PartialEq)]
pub struct Finished {
    /// Request id.
    pub id: String,
    /// Unix ms when it ended.
    pub time_ms: i64,
    /// Client key.
    pub key: Option<String>,
    /// Requested model.
    pub model: String,
    /// Account that served.
    pub account: String,
    /// Client dialect.
    pub inbound: String,
    /// Status.
    pub status: u16,
    /// Error code.
    pub error: Option<String>,
    /// Input tokens (cache included) and output tokens.
    pub tokens: (u64, u64),
    /// Cost.
    pub cost_usd: f64,
    /// Latency.
    pub latency_ms: u64,
}

/// One line of the failover and cooldown log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    /// Unix ms.
    pub time_ms: i64,
    /// The text.
    pub text: String,
    /// A cooldown (rather than a failover).
    pub cooldown: bool,
}

/// The dashboard's state.
#[derive(Debug)]
pub struct App {
    /// The relay's address, for the title.
    pub url: String,
    /// The connection.
    pub connection: Connection,
    /// Accounts as last reported.
    pub accounts: Vec<AccountStatus>,
    /// Keys as last reported.
    pub keys: Vec<KeyStatus>,
    /// Totals as last reported.
    pub totals: Totals,
    /// Requests in flight by id.
    pub in_flight: BTreeMap<String, InFlight>,
    /// Finished requests, newest first.
    pub recent: VecDeque<Finished>,
    /// Failovers and cooldowns, newest first.
    pub log: VecDeque<LogLine>,
    /// Requests finished per second, oldest first.
    pub requests_history: VecDeque<u64>,
    /// Tokens per second, oldest first.
    pub tokens_history: VecDeque<u64>,
    /// Requests and spend per model since the dashboard started.
    pub by_model: BTreeMap<String, (u64, f64)>,
    /// The focused panel.
    pub focus: Panel,
    /// Panels hidden by the user.
    pub hidden: Vec<Panel>,
    /// The selected account (index into `accounts`).
    pub selected: usize,
    /// Text the request list is filtered by.
    pub filter: String,
    /// Typing into the filter.
    pub filtering: bool,
    /// The help overlay is shown.
    pub help: bool,
    /// The last notice (action results), with when it was set.
    pub notice: Option<(String, i64)>,
    /// Time of the last tick (Unix ms).
    pub now_ms: i64,
    /// The user asked to quit.
    pub quit: bool,
    /// The time zone clock times are shown in (the system's).
    pub tz: jiff::tz::TimeZone,
    second_requests: u64,
    second_tokens: u64,
}

impl App {
    /// An empty dashboard for the relay at `url`.
    pub fn new(url: &str, now_ms: i64) -> Self {
        Self {
            url: url.to_owned(),
            connection: Connection::Connecting,
            accounts: Vec::new(),
            keys: Vec::new(),
            totals: Totals::default(),
            in_flight: BTreeMap::new(),
            recent: VecDeque::new(),
            log: VecDeque::new(),
            requests_history: VecDeque::new(),
            tokens_history: VecDeque::new(),
            by_model: BTreeMap::new(),
            focus: Panel::Accounts,
            hidden: Vec::new(),
            selected: 0,
            filter: String::new(),
            filtering: false,
            help: false,
            notice: None,
            now_ms,
            quit: false,
            tz: jiff::tz::TimeZone::try_system().unwrap_or(jiff::tz::TimeZone::UTC),
            second_requests: 0,
            second_tokens: 0,
        }
    }

    /// Applies a message from the relay.
    pub fn update(&mut self, msg: Msg) {
        match msg {
            Msg::Snapshot(s) => {
                self.connection = Connection::Live;
                self.accounts = s.accounts;
                self.keys = s.keys;
                self.totals = s.totals;
                self.in_flight = s
                    .in_flight
                    .into_iter()
                    .map(|r| {
                        (
                            r.id.clone(),
                            InFlight {
                                request: r,
                                attempt: 1,
                                upstream: None,
                            },
                        )
                    })
                    .collect();
                self.selected = self.selected.min(self.accounts.len().saturating_sub(1));
            }
            Msg::Event(e) => self.event(*e),
            Msg::Disconnected { reason, attempt } => {
                self.connection = Connection::Lost { reason, attempt };
                self.in_flight.clear();
            }
            Msg::Notice(text) => self.notice = Some((text, self.now_ms)),
            Msg::Tick(now) => {
                self.now_ms = now;
                push(&mut self.requests_history, self.second_requests);
                push(&mut self.tokens_history, self.second_tokens);
                self.second_requests = 0;
                self.second_tokens = 0;
                if self.notice.as_ref().is_some_and(|(_, at)| now - at > 5_000) {
                    self.notice = None;
                }
            }
        }
    }

    fn event(&mut self, e: WireEvent) {
        match e {
            WireEvent::RequestStarted {
                id,
                model,
                inbound,
                time_ms,
            } => {
                self.in_flight.insert(
                    id.clone(),
                    InFlight {
                        request: LiveRequest {
                            id,
                            model,
                            inbound,
                            key: None,
                            account: None,
                            stream: false,
                            started_ms: time_ms,
                        },
                        attempt: 1,
                        upstream: None,
                    },
                );
            }
            WireEvent::AccountSelected {
                id,
                account,
                attempt,
                upstream,
                ..
            } => {
                if let Some(r) = self.in_flight.get_mut(&id) {
                    r.request.account = Some(account);
                    r.attempt = attempt;
                    r.upstream = Some(upstream).filter(|u| !u.is_empty());
                }
            }
            WireEvent::RequestFinished {
                id,
                key,
                account,
                inbound,
                model,
                status,
                error,
                input_tokens,
                output_tokens,
                cache_read_tokens,
                cache_creation_tokens,
                cost_usd,
                latency_ms,
                time_ms,
                ..
            } => {
                self.in_flight.remove(&id);
                let input = input_tokens + cache_read_tokens + cache_creation_tokens;
                self.second_requests += 1;
                self.second_tokens += input + output_tokens;
                let model = model.unwrap_or_else(|| "-".into());
                let m = self.by_model.entry(model.clone()).or_default();
                m.0 += 1;
                m.1 += cost_usd;
                self.recent.push_front(Finished {
                    id,
                    time_ms,
                    key,
                    model,
                    account: account.unwrap_or_else(|| "-".into()),
                    inbound,
                    status,
                    error,
                    tokens: (input, output_tokens),
                    cost_usd,
                    latency_ms,
                });
                self.recent.truncate(RECENT);
            }
            WireEvent::Failover {
                from,
                status,
                reason,
                time_ms,
                id,
            } => {
                let status = status.map_or_else(|| "-".to_owned(), |s| s.to_string());
                self.log(
                    time_ms,
                    format!("{from} → next  {status} {reason}  ({})", short_id(&id)),
                    false,
                );
            }
            WireEvent::CooldownSet {
                account,
                until_ms,
                reason,
                time_ms,
            } => {
                let secs = ((until_ms - time_ms).max(0) + 500) / 1000;
                self.log(
                    time_ms,
                    format!("{account} cools {} ({reason})", duration(secs)),
                    true,
                );
                if let Some(a) = self.accounts.iter_mut().find(|a| a.name == account) {
                    a.state = "cooling".into();
                    a.cooldown_until_ms = Some(until_ms);
                    a.cooldown_reason = Some(reason);
                }
            }
            WireEvent::CooldownCleared { account } => {
                self.log(self.now_ms, format!("{account} cooldown cleared"), true);
                if let Some(a) = self.accounts.iter_mut().find(|a| a.name == account)
                    && a.state == "cooling"
                {
                    a.state = "active".into();
                    a.cooldown_until_ms = None;
                }
            }
            WireEvent::TokenRefreshed { account, time_ms } => {
                self.log(time_ms, format!("{account} login refreshed"), false);
            }
            WireEvent::AccountState { account, state } => {
                if let Some(a) = self.accounts.iter_mut().find(|a| a.name == account) {
                    a.state = state;
                }
            }
            WireEvent::Totals {
                totals,
                keys,
                accounts,
            } => {
                self.totals = totals;
                if !keys.is_empty() {
                    self.keys = keys;
                }
                for (name, requests, errors, cost) in accounts {
                    if let Some(a) = self.accounts.iter_mut().find(|a| a.name == name) {
                        a.requests_today = requests;
                        a.errors_today = errors;
                        a.cost_today_usd = cost;
                    }
                }
            }
            WireEvent::SlotWait { .. } => {}
            _ => {}
        }
    }

    fn log(&mut self, time_ms: i64, text: String, cooldown: bool) {
        self.log.push_front(LogLine {
            time_ms,
            text,
            cooldown,
        });
        self.log.truncate(LOG);
    }

    /// Applies a key press; returns the operator action it asks for, if any.
    pub fn key(&mut self, key: Key) -> Option<Action> {
        if self.filtering {
            match key {
                Key::Char(c) => self.filter.push(c),
                Key::Backspace => {
                    self.filter.pop();
                }
                Key::Enter => self.filtering = false,
                Key::Esc => {
                    self.filtering = false;
                    self.filter.clear();
                }
                _ => {}
            }
            return None;
        }
        if self.help {
            self.help = false;
            return None;
        }
        match key {
            Key::Char('q') | Key::Esc => self.quit = true,
            Key::Char('?') => self.help = true,
            Key::Tab => self.focus = self.next_panel(1),
            Key::BackTab => self.focus = self.next_panel(Panel::ALL.len() - 1),
            Key::Up | Key::Char('k') => self.selected = self.selected.saturating_sub(1),
            Key::Down | Key::Char('j') => {
                self.selected = (self.selected + 1).min(self.accounts.len().saturating_sub(1));
            }
            Key::Char('/') => {
                self.filtering = true;
                self.focus = Panel::Requests;
            }
            Key::Char(c @ '1'..='5') => {
                let i = usize::from(u8::try_from(c).unwrap_or(b'1') - b'1');
                if let Some(p) = Panel::ALL.get(i).copied() {
                    if let Some(at) = self.hidden.iter().position(|h| *h == p) {
                        self.hidden.remove(at);
                    } else {
                        self.hidden.push(p);
                        if self.focus == p {
                            self.focus = self.next_panel(1);
                        }
                    }
                }
            }
            Key::Char('p') => return self.on_selected(Action::Pause),
            Key::Char('r') => return self.on_selected(Action::Resume),
            Key::Char('c') => return self.on_selected(Action::ClearCooldown),
            _ => {}
        }
        None
    }

    fn on_selected(&self, action: fn(String) -> Action) -> Option<Action> {
        self.accounts
            .get(self.selected)
            .map(|a| action(a.name.clone()))
    }

    fn next_panel(&self, step: usize) -> Panel {
        let at = Panel::ALL
            .iter()
            .position(|p| *p == self.focus)
            .unwrap_or(0);
        (1..=Panel::ALL.len())
            .map(|i| Panel::ALL[(at + i * step) % Panel::ALL.len()])
            .find(|p| !self.hidden.contains(p))
            .unwrap_or(self.focus)
    }

    /// Whether `panel` is shown.
    pub fn shows(&self, panel: Panel) -> bool {
        !self.hidden.contains(&panel)
    }

    /// Finished requests matching the filter (model, account, key, status or error).
    pub fn filtered(&self) -> impl Iterator<Item = &Finished> {
        let f = self.filter.to_lowercase();
        self.recent.iter().filter(move |r| {
            f.is_empty()
                || r.model.to_lowercase().contains(&f)
                || r.account.to_lowercase().contains(&f)
                || r.key
                    .as_deref()
                    .is_some_and(|k| k.to_lowercase().contains(&f))
                || r.status.to_string() == f
                || r.error.as_deref().is_some_and(|e| e.contains(&f))
        })
    }
}

fn push(v: &mut VecDeque<u64>, x: u64) {
    v.push_back(x);
    while v.len() > HISTORY {
        v.pop_front();
    }
}

fn short_id(id: &str) -> &str {
    id.get(id.len().saturating_sub(6)..).unwrap_or(id)
}

/// `secs` as `45s`, `12m`, `3h05m`.
pub fn duration(secs: i64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m{:02}s", s / 60, s % 60),
        s => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(test)]
pub(crate) mod tests;
