//! The gateway: resolved configuration, accounts, the upstream client, the event bus and the
//! in-flight work tracker, shared by every connection. `Gateway::new` validates everything a
//! request will need, so a running relay does not discover broken accounts one request at a
//! time.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

use crate::config::{Config, EnvSource, GroupConfig};
use crate::events::{Bus, Event};
use crate::http::client::Client;
use crate::pool::Pool;
use crate::scheduler::sticky::Sticky;
use crate::server::auth::KeyTable;

/// Most session bindings kept at once (oldest dropped beyond this).
const STICKY_CAPACITY: usize = 100_000;

/// Why the gateway cannot start.
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.join("\n"))]
pub struct StartError(pub Vec<String>);

/// Everything a request needs, shared.
#[derive(Debug)]
pub struct Shared {
    /// The configuration this gateway runs on.
    pub config: Config,
    /// Accounts.
    pub pool: Pool,
    /// Client keys.
    pub keys: KeyTable,
    /// Upstream HTTP client.
    pub client: Client,
    /// Pipeline events.
    pub bus: Bus,
    /// Session → account bindings.
    pub sticky: Sticky,
    /// Work in flight (requests and stream drains), awaited on shutdown.
    pub tracker: Tracker,
    /// Becomes true when the server starts shutting down (long-lived streams such as the admin
    /// event stream end then).
    pub stopping: tokio::sync::watch::Sender<bool>,
    /// The admin API's bearer token (`None`: the admin API is off).
    pub admin_token: Option<String>,
    /// Prices, running totals and budgets, and the usage ledger.
    pub books: Arc<crate::ledger::Books>,
    /// Host names accepted in `Host` (configured plus the listen address itself).
    pub allowed_hosts: Vec<String>,
    default_group: GroupConfig,
}

impl Shared {
    /// The group a key belongs to (`default` when keyless or unset).
    pub fn group(&self, name: &str) -> &GroupConfig {
        self.config
            .groups
            .iter()
            .find(|g| g.name == name)
            .unwrap_or(&self.default_group)
    }
}

/// What a gateway has beyond its configuration.
#[derive(Debug, Default)]
pub struct Options {
    /// Write every request to this ledger (and start budgets from it).
    pub ledger: Option<crate::ledger::Ledger>,
    /// Serve the admin API to loopback clients presenting this bearer token.
    pub admin_token: Option<String>,
    /// Events the bus holds per subscriber before a slow one misses some (default 4096).
    pub bus_capacity: Option<usize>,
    /// Where `secret = "keyring"` secrets are read (default: the store `RELAY_SECRET_STORE`
    /// names, with the fallback file in the default data dir).
    pub secrets: Option<Arc<crate::secrets::Store>>,
}

/// A configured relay, ready to serve on a listener.
#[derive(Clone, Debug)]
pub struct Gateway {
    shared: Arc<Shared>,
}

impl Gateway {
    /// Builds the gateway: resolves account secrets (from `env` and files) and the upstream
    /// client. Errors list every problem found.
    pub fn new(config: Config, env: &dyn EnvSource) -> Result<Self, StartError> {
        Self::build(config, env, Options::default())
    }

    /// [`new`](Self::new) with a usage ledger: every request is written to it, and budgets
    /// start from what it holds for this month.
    pub fn with_ledger(
        config: Config,
        env: &dyn EnvSource,
        ledger: crate::ledger::Ledger,
    ) -> Result<Self, StartError> {
        Self::build(
            config,
            env,
            Options {
                ledger: Some(ledger),
                ..Options::default()
            },
        )
    }

    /// A gateway with the given extras.
    pub fn build(
        config: Config,
        env: &dyn EnvSource,
        options: Options,
    ) -> Result<Self, StartError> {
        let Options {
            ledger,
            admin_token,
            bus_capacity,
            secrets,
        } = options;
        let pricing = match &config.pricing.file {
            Some(path) => crate::pricing::Pricing::with_file(path)
                .map_err(|e| StartError(vec![e.to_string()]))?,
            None => crate::pricing::Pricing::builtin(),
        };
        let tz = config.ledger.time_zone();
        let books = match ledger {
            Some(l) => crate::ledger::Books::with_ledger(pricing, tz, l)
                .map_err(|e| StartError(vec![e.to_string()]))?,
            None => crate::ledger::Books::in_memory(pricing, tz),
        };
        // Opened at most once (asking the OS keyring can take seconds), and only if an account
        // needs it.
        let opened: std::cell::OnceCell<Arc<crate::secrets::Store>> = std::cell::OnceCell::new();
        let open_secrets = || {
            if let Some(s) = opened.get() {
                return Ok(Arc::clone(s));
            }
            let store = match &secrets {
                Some(s) => Arc::clone(s),
                None => {
                    let data = crate::paths::Paths::resolve(None, None).data;
                    Arc::new(crate::secrets::Store::from_env(&data, env)?)
                }
            };
            Ok(Arc::clone(opened.get_or_init(|| store)))
        };
        let pool = Pool::new(&config, env, &open_secrets).map_err(StartError)?;
        let client = Client::new(config.gateway.connect_timeout)
            .map_err(|e| StartError(vec![e.to_string()]))?;
        let keys = KeyTable::new(&config.keys, config.gateway.extra_wait_slots);
        let sticky = Sticky::new(config.gateway.sticky_ttl, STICKY_CAPACITY);
        let mut allowed_hosts = config.server.allowed_hosts.clone();
        let ip = config.server.listen.ip();
        if !ip.is_unspecified() {
            allowed_hosts.push(match ip {
                std::net::IpAddr::V4(v4) => v4.to_string(),
                std::net::IpAddr::V6(v6) => format!("[{v6}]"),
            });
        }
        let default_group = GroupConfig {
            name: "default".to_owned(),
            ..GroupConfig::default()
        };
        Ok(Self {
            shared: Arc::new(Shared {
                config,
                pool,
                keys,
                client,
                bus: bus_capacity.map_or_else(Bus::default, Bus::new),
                sticky,
                tracker: Tracker::default(),
                books: Arc::new(books),
                stopping: tokio::sync::watch::Sender::new(false),
                admin_token,
                allowed_hosts,
                default_group,
            }),
        })
    }

    /// The shared state.
    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// The event bus (subscribe to see every request finish).
    pub fn bus(&self) -> &Bus {
        &self.shared.bus
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// Operator action: clears an account's cooldown and credential error. `None` when no
    /// such account exists, else whether anything was set.
    pub fn clear_cooldown(&self, account: &str) -> Option<bool> {
        let a = self.shared.pool.get(account)?;
        let had = a.health.clear();
        if had {
            self.shared.bus.publish(Event::CooldownCleared {
                account: account.to_owned(),
            });
        }
        Some(had)
    }

    /// Operator action: pauses (or resumes) an account. `None` when no such account exists.
    pub fn set_paused(&self, account: &str, paused: bool) -> Option<()> {
        let a = self.shared.pool.get(account)?;
        a.health.set_paused(paused);
        let state = a.health.state(a.config.enabled, std::time::Instant::now());
        self.shared.bus.publish(Event::AccountStateChanged {
            account: account.to_owned(),
            state: state.as_str(),
        });
        Some(())
    }
}

/// Counts work in flight so shutdown can wait for it.
#[derive(Debug, Default)]
pub struct Tracker {
    count: AtomicUsize,
    idle: Notify,
}

/// Held while a piece of work is in flight.
#[derive(Debug)]
pub struct Busy<'a>(&'a Tracker);

impl Tracker {
    /// Marks one piece of work as started until the guard drops.
    pub fn enter(&self) -> Busy<'_> {
        self.count.fetch_add(1, Ordering::AcqRel);
        Busy(self)
    }

    /// Work in flight now.
    pub fn in_flight(&self) -> usize {
        self.count.load(Ordering::Acquire)
    }

    /// Waits until nothing is in flight or `limit` passes; true when idle.
    pub async fn wait_idle(&self, limit: Duration) -> bool {
        let wait = async {
            loop {
                let notified = self.idle.notified();
                if self.in_flight() == 0 {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(limit, wait).await.is_ok()
    }
}

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}
