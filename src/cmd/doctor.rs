//! `relay doctor`: checks the setup and prints a pass/fail table (exit 1 on failures): the
//! config, the data dir and its permissions, the admin token, the ledger's integrity, the
//! secret store, each account's secret (and a login's expiry), and (unless `--offline`)
//! whether each upstream, or its proxy, can be reached.

use std::net::ToSocketAddrs;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use relay_core::config::{Platform, ProcessEnv};
use relay_core::paths::Paths;

use crate::cli::DoctorArgs;
use crate::output::{self, Align};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Status {
    Pass,
    Warn,
    Fail,
    Skip,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Pass => "ok",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
            Status::Skip => "skip",
        }
    }
}

struct Checks(Vec<(Status, String, String)>);

impl Checks {
    fn add(&mut self, status: Status, check: impl Into<String>, detail: impl Into<String>) {
        self.0.push((status, check.into(), detail.into()));
    }
}

pub fn run(paths: &Paths, args: &DoctorArgs) -> anyhow::Result<ExitCode> {
    let mut c = Checks(Vec::new());
    let config = match super::load(paths, None) {
        Ok(cfg) => {
            let from = cfg
                .source
                .as_ref()
                .map_or("built-in defaults (no config file)".to_owned(), |p| {
                    p.display().to_string()
                });
            c.add(Status::Pass, "config", from);
            Some(cfg)
        }
        Err(e) => {
            let first = format!("{e:#}");
            c.add(
                Status::Fail,
                "config",
                first.lines().nth(1).unwrap_or(&first).trim().to_owned(),
            );
            None
        }
    };
    data_dir(&mut c, &paths.data);
    let store =
        relay_core::secrets::Store::from_env(&paths.data, &ProcessEnv).map(std::sync::Arc::new);
    let open_store = || match &store {
        Ok(s) => Ok(std::sync::Arc::clone(s)),
        Err(e) => Err(relay_core::secrets::SecretError::KeyringUnavailable(
            e.to_string(),
        )),
    };
    if let Some(cfg) = &config {
        let uses_store = cfg.accounts.iter().any(|a| {
            a.platform != Platform::Mock && a.secret == relay_core::config::SecretRef::Keyring
        });
        match &store {
            Ok(s) if s.fallback_reason().is_some() => c.add(
                if uses_store {
                    Status::Warn
                } else {
                    Status::Pass
                },
                "secret store",
                s.describe(),
            ),
            Ok(s) => c.add(Status::Pass, "secret store", s.describe()),
            Err(e) => c.add(
                if uses_store {
                    Status::Fail
                } else {
                    Status::Warn
                },
                "secret store",
                e.to_string(),
            ),
        }
    }
    if let Some(mut cfg) = config {
        let found = relay_core::pool::discover(&mut cfg, &ProcessEnv);
        if cfg.accounts.is_empty() {
            c.add(
                Status::Warn,
                "accounts",
                "none configured and no provider key in the environment",
            );
        }
        for var in found {
            c.add(
                Status::Pass,
                "accounts",
                format!("using {var} from the environment"),
            );
        }
        for a in &cfg.accounts {
            let check = format!("account {}", a.name);
            if !a.enabled {
                c.add(Status::Skip, check, "disabled");
                continue;
            }
            if a.platform == Platform::Mock {
                c.add(Status::Pass, check, "simulated (mock), needs no secret");
                continue;
            }
            let secret = relay_core::secrets::resolve(&a.secret, &a.name, &ProcessEnv, &open_store);
            match (&secret, a.auth) {
                (Err(e), _) => {
                    c.add(Status::Fail, &check, e.to_string());
                    continue;
                }
                (Ok(_), relay_core::config::AuthKind::Oauth) => {
                    let (status, detail) = login_state(&secret);
                    c.add(status, &check, format!("login from {}: {detail}", a.secret));
                }
                (Ok(_), auth) => c.add(
                    Status::Pass,
                    &check,
                    format!("{} from {}", auth.as_str(), a.secret),
                ),
            }
            if let Some(proxy) = &a.proxy {
                match relay_core::http::client::Client::with_proxy(Duration::from_secs(1), proxy) {
                    Ok(p) => c.add(
                        Status::Pass,
                        format!("{check} proxy"),
                        p.proxy().unwrap_or_default().to_owned(),
                    ),
                    Err(e) => c.add(Status::Fail, format!("{check} proxy"), e.to_string()),
                }
            }
            if args.offline {
                c.add(Status::Skip, format!("{check} reachable"), "--offline");
                continue;
            }
            let target = match &a.proxy {
                // Through a proxy only the proxy is reached directly.
                Some(p) => format!("http://{}", relay_core::http::client::proxy_host(p)),
                None => a.base_url.clone().unwrap_or_else(|| {
                    if a.platform == Platform::Openai
                        && a.auth == relay_core::config::AuthKind::Oauth
                    {
                        relay_core::pool::CODEX_BASE_URL.to_owned()
                    } else {
                        relay_core::pool::default_base_url(a.platform).to_owned()
                    }
                }),
            };
            let (status, detail) = reachable(&target);
            c.add(status, format!("{check} reachable"), detail);
        }
    }
    let failed = c.0.iter().any(|(s, ..)| *s == Status::Fail);
    let rows: Vec<Vec<String>> =
        c.0.iter()
            .map(|(s, check, detail)| vec![s.label().to_owned(), check.clone(), detail.clone()])
            .collect();
    let mut out = output::grid(
        &["STATUS", "CHECK", "DETAIL"],
        &[Align::Left, Align::Left, Align::Left],
        &rows,
        usize::MAX,
    );
    out.push_str(if failed {
        "some checks failed\n"
    } else {
        "all checks passed\n"
    });
    output::print(&out)?;
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn data_dir(c: &mut Checks, dir: &Path) {
    let shown = dir.display().to_string();
    if !dir.exists() {
        c.add(
            Status::Pass,
            "data dir",
            format!("{shown} (created by the first `relay serve`)"),
        );
        return;
    }
    let probe = dir.join(".relay-doctor-probe");
    match std::fs::write(&probe, b"ok") {
        Ok(()) => {
            let _ = std::fs::remove_file(&probe);
        }
        Err(e) => {
            c.add(
                Status::Fail,
                "data dir",
                format!("{shown} is not writable: {e}"),
            );
            return;
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0);
        if mode & 0o022 != 0 {
            c.add(
                Status::Fail,
                "data dir",
                format!("{shown} is writable by others (mode {mode:o}); run: chmod 700 {shown}"),
            );
        } else if mode & 0o077 != 0 {
            c.add(
                Status::Warn,
                "data dir",
                format!("{shown} is readable by others (mode {mode:o}); chmod 700 keeps the ledger private"),
            );
        } else {
            c.add(Status::Pass, "data dir", format!("{shown} (mode {mode:o})"));
        }
        let token = dir.join(relay_core::server::admin::TOKEN_FILE);
        if let Ok(m) = std::fs::metadata(&token) {
            let mode = m.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                c.add(
                    Status::Fail,
                    "admin token",
                    format!(
                        "{} is readable by others (mode {mode:o}); run: chmod 600 {}",
                        token.display(),
                        token.display()
                    ),
                );
            } else {
                c.add(Status::Pass, "admin token", format!("mode {mode:o}"));
            }
        }
    }
    #[cfg(not(unix))]
    c.add(Status::Pass, "data dir", shown);
    match relay_core::ledger::integrity_check(dir) {
        Ok(r) if r == "ok" => {
            let exists = dir.join(relay_core::ledger::FILE_NAME).exists();
            c.add(
                Status::Pass,
                "ledger",
                if exists { "integrity ok" } else { "none yet" },
            );
        }
        Ok(r) => c.add(Status::Fail, "ledger", format!("integrity check: {r}")),
        Err(e) => c.add(Status::Fail, "ledger", e.to_string()),
    }
}

/// What a login's stored tokens say about its expiry.
fn login_state(
    secret: &Result<relay_core::secrets::Secret, relay_core::secrets::SecretError>,
) -> (Status, String) {
    let Ok(s) = secret else {
        return (Status::Fail, "unreadable".into());
    };
    match relay_core::oauth::creds::parse(s.expose()) {
        Err(e) => (Status::Fail, e.to_string()),
        Ok((_, t)) => {
            let now = relay_core::ledger::unix_ms(std::time::SystemTime::now());
            match (t.expires_at_ms, t.refresh.is_some()) {
                (Some(at), refresh) if at <= now => (
                    if refresh { Status::Pass } else { Status::Fail },
                    if refresh {
                        "access token expired; refreshed at first use".into()
                    } else {
                        "expired, and no refresh token: log in again".into()
                    },
                ),
                (Some(at), _) => (
                    Status::Pass,
                    format!(
                        "access token valid for {} min more",
                        at.saturating_sub(now) / 60_000
                    ),
                ),
                (None, _) => (Status::Pass, "expiry not recorded".into()),
            }
        }
    }
}

/// Whether a TCP connection to the base URL's host and port opens within 3 s (no request is
/// sent, so nothing is spent).
fn reachable(base: &str) -> (Status, String) {
    let rest = base
        .strip_prefix("https://")
        .map(|r| (r, 443))
        .or_else(|| base.strip_prefix("http://").map(|r| (r, 80)));
    let Some((rest, default_port)) = rest else {
        return (Status::Fail, format!("`{base}` is not an http(s) URL"));
    };
    let authority = rest.split('/').next().unwrap_or(rest);
    let target = if authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        authority.to_owned()
    } else {
        format!("{authority}:{default_port}")
    };
    let addrs = match target.to_socket_addrs() {
        Ok(a) => a.collect::<Vec<_>>(),
        Err(e) => return (Status::Fail, format!("{target}: cannot resolve ({e})")),
    };
    for addr in &addrs {
        if std::net::TcpStream::connect_timeout(addr, Duration::from_secs(3)).is_ok() {
            return (Status::Pass, format!("{target} accepts connections"));
        }
    }
    (
        Status::Fail,
        format!("{target}: no connection within 3 s (offline? use --offline)"),
    )
}
