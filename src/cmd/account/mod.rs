//! `relay account ...`: adding (secret to the keyring, entry to the config), listing (live
//! from a running relay's admin API when there is one, else from the config), removing,
//! testing with one tiny real request, subscription logins (PKCE login, import from the
//! official CLIs) and the operator actions pause/resume.

mod login;
mod probe;

use std::process::ExitCode;
use std::sync::Arc;

use relay_core::config::{self, AuthKind, NewAccount, ProcessEnv, SecretRef};
use relay_core::paths::Paths;
use relay_core::secrets::{Secret, Store};
use relay_tui::app::Action;

use crate::cli::{
    AccountAddArgs, AccountCommand, AccountListArgs, AccountNameArgs, AccountRemoveArgs, AuthArg,
};
use crate::output::{self, Align};
use crate::prompt::note;

pub async fn run(paths: &Paths, cmd: AccountCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        AccountCommand::Add(args) => add(paths, &args),
        AccountCommand::Remove(args) => remove(paths, &args),
        AccountCommand::Test(args) => probe::run(paths, &args).await,
        AccountCommand::Login(args) => login::login(paths, &args).await,
        AccountCommand::Import(args) => login::import(paths, &args),
        AccountCommand::List(args) => list(paths, &args).await,
        AccountCommand::Pause(args) => act(paths, &args, Action::Pause(args.name.clone())).await,
        AccountCommand::Resume(args) => act(paths, &args, Action::Resume(args.name.clone())).await,
    }
}

/// The running relay this config describes, if its admin API answers.
fn remote(paths: &Paths, url: Option<&str>) -> anyhow::Result<relay_tui::Remote> {
    let url = match url {
        Some(u) => u.to_owned(),
        None => format!("http://{}", super::load(paths, None)?.server.listen),
    };
    let token = relay_core::server::admin::read_token(&paths.data).unwrap_or_default();
    Ok(relay_tui::Remote::new(&url, &token))
}

async fn list(paths: &Paths, args: &AccountListArgs) -> anyhow::Result<ExitCode> {
    let remote = remote(paths, args.url.as_deref())?;
    if let Ok(snap) = remote.status().await {
        let out = if args.json {
            format!("{}\n", serde_json::to_string_pretty(&snap.accounts)?)
        } else {
            let rows: Vec<Vec<String>> = snap
                .accounts
                .iter()
                .map(|a| {
                    vec![
                        a.name.clone(),
                        a.platform.clone(),
                        a.state.clone(),
                        format!("{}/{} +{}", a.slots.in_use, a.slots.max, a.slots.waiting),
                        output::count(a.requests_today),
                        format!("${:.2}", a.cost_today_usd),
                        a.cooldown_until
                            .clone()
                            .or_else(|| a.last_error.clone())
                            .unwrap_or_default(),
                    ]
                })
                .collect();
            let mut t = format!("live from the relay at {}\n", remote.base());
            t.push_str(&output::grid(
                &[
                    "NAME",
                    "PLATFORM",
                    "STATE",
                    "SLOTS",
                    "TODAY",
                    "SPEND",
                    "COOLDOWN / LAST ERROR",
                ],
                &[
                    Align::Left,
                    Align::Left,
                    Align::Left,
                    Align::Right,
                    Align::Right,
                    Align::Right,
                    Align::Left,
                ],
                &rows,
                output::width(),
            ));
            t
        };
        output::print(&out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut cfg = super::load(paths, None)?;
    relay_core::pool::discover(&mut cfg, &ProcessEnv);
    let out = if args.json {
        let rows: Vec<serde_json::Value> = cfg
            .accounts
            .iter()
            .map(|a| {
                serde_json::json!({
                    "name": a.name,
                    "platform": a.platform.as_str(),
                    "state": if a.enabled { "configured" } else { "disabled" },
                    "priority": a.priority,
                    "concurrency": a.concurrency,
                    "auth": a.auth.as_str(),
                    "secret": a.secret.to_string(),
                    "proxy": a.proxy.as_deref().map(relay_core::http::client::redact_url),
                    "base_url": a.base_url.clone().unwrap_or_else(|| relay_core::pool::default_base_url(a.platform).to_owned()),
                })
            })
            .collect();
        format!("{}\n", serde_json::to_string_pretty(&rows)?)
    } else if cfg.accounts.is_empty() {
        "no accounts: add [[accounts]] to the config or set ANTHROPIC_API_KEY / OPENAI_API_KEY\n"
            .to_owned()
    } else {
        let rows: Vec<Vec<String>> = cfg
            .accounts
            .iter()
            .map(|a| {
                vec![
                    a.name.clone(),
                    a.platform.as_str().to_owned(),
                    if a.enabled { "configured" } else { "disabled" }.to_owned(),
                    a.priority.to_string(),
                    a.concurrency.to_string(),
                    if a.platform == relay_core::config::Platform::Mock {
                        "-".to_owned()
                    } else {
                        a.secret.to_string()
                    },
                ]
            })
            .collect();
        let mut t = "from the config (no relay running; start one for live state)\n".to_owned();
        t.push_str(&output::grid(
            &[
                "NAME",
                "PLATFORM",
                "STATE",
                "PRIORITY",
                "CONCURRENCY",
                "SECRET",
            ],
            &[
                Align::Left,
                Align::Left,
                Align::Left,
                Align::Right,
                Align::Right,
                Align::Left,
            ],
            &rows,
            output::width(),
        ));
        t
    };
    output::print(&out)?;
    Ok(ExitCode::SUCCESS)
}

async fn act(paths: &Paths, args: &AccountNameArgs, action: Action) -> anyhow::Result<ExitCode> {
    let remote = remote(paths, args.url.as_deref())?;
    if let Err(e) = remote.status().await {
        anyhow::bail!(
            "{e}: pausing and resuming act on a running relay (to take an account out for good, set `enabled = false` in the config)"
        );
    }
    let line = remote.act(&action).await;
    if line.starts_with("refused") || line.starts_with("the relay did not answer") {
        anyhow::bail!("{line}");
    }
    output::print(&format!("{line}\n"))?;
    Ok(ExitCode::SUCCESS)
}

/// The secret store (`RELAY_SECRET_STORE`; the fallback file lives in the data dir).
pub fn store(paths: &Paths) -> anyhow::Result<Arc<Store>> {
    Ok(Arc::new(Store::from_env(&paths.data, &ProcessEnv)?))
}

fn add(paths: &Paths, args: &AccountAddArgs) -> anyhow::Result<ExitCode> {
    let cfg = super::load(paths, None)?;
    if cfg.accounts.iter().any(|a| a.name == args.name) {
        anyhow::bail!(
            "an account named `{0}` already exists (remove it first with `relay account remove {0}`)",
            args.name
        );
    }
    if !config::valid_name(&args.name) {
        anyhow::bail!(
            "account names use a-z, 0-9, `_` and `-` (got `{}`)",
            args.name
        );
    }
    if args.auth == AuthArg::SetupToken && args.platform != crate::cli::PlatformArg::Anthropic {
        anyhow::bail!(
            "--auth setup-token is for anthropic accounts (tokens from `claude setup-token`)"
        );
    }
    let proxy = match &args.proxy {
        Some(url) => Some(split_proxy(url)?),
        None => None,
    };
    let what = match args.auth {
        AuthArg::ApiKey => "API key",
        AuthArg::SetupToken => "setup token",
    };
    let value = crate::prompt::secret(&format!(
        "{what} for account `{}` (input hidden): ",
        args.name
    ))?;
    let store = store(paths)?;
    let mut warnings = Vec::new();
    warnings.extend(store.set(&args.name, &Secret::new(value))?);
    if let Some((_, Some(password))) = &proxy {
        warnings.extend(store.set(&relay_core::secrets::proxy_entry(&args.name), password)?);
    }
    let new = NewAccount {
        name: args.name.clone(),
        platform: args.platform.as_str().to_owned(),
        auth: (args.auth == AuthArg::SetupToken).then(|| "setup-token".to_owned()),
        secret: Some("keyring".to_owned()),
        base_url: args.base_url.clone(),
        priority: args.priority,
        concurrency: args.concurrency,
        groups: args.groups.clone(),
        models: args.models.clone(),
        proxy: proxy.as_ref().map(|(u, _)| u.clone()),
    };
    if let Err(e) = config::add_account(&paths.config, &new) {
        let _ = store.delete(&args.name);
        let _ = store.delete(&relay_core::secrets::proxy_entry(&args.name));
        anyhow::bail!("{e}");
    }
    for w in warnings {
        note(&format!("warning: {w}\n"));
    }
    note(&format!(
        "added account `{}` ({}, {}) to {}; its secret is in the {}.\ncheck it with `relay account test {}`; a running relay picks it up when restarted\n",
        args.name,
        args.platform.as_str(),
        what,
        paths.config.display(),
        store.describe(),
        args.name
    ));
    Ok(ExitCode::SUCCESS)
}

/// A proxy URL without its password (that goes to the secret store, not the config file).
fn split_proxy(url: &str) -> anyhow::Result<(String, Option<Secret>)> {
    relay_core::http::client::Client::with_proxy(std::time::Duration::from_secs(1), url)?;
    let parts = relay_core::http::client::ProxyUrl::parse(url);
    Ok(match parts.password {
        Some(pass) => (
            parts.with_password(None),
            Some(Secret::new(relay_core::oauth::percent_decode(pass))),
        ),
        None => (url.to_owned(), None),
    })
}

fn remove(paths: &Paths, args: &AccountRemoveArgs) -> anyhow::Result<ExitCode> {
    let cfg = super::load(paths, None)?;
    let account = cfg.accounts.iter().find(|a| a.name == args.name);
    let removed =
        config::remove_account(&paths.config, &args.name).map_err(|e| anyhow::anyhow!("{e}"))?;
    if account.is_some() && !removed {
        anyhow::bail!(
            "account `{}` is not in {} (it comes from the environment); unset its variable instead",
            args.name,
            paths.config.display()
        );
    }
    let keyring = account.is_none_or(|a| a.secret == SecretRef::Keyring);
    let mut deleted = false;
    if keyring {
        let store = store(paths)?;
        deleted = store.delete(&args.name)?;
        let _ = store.delete(&relay_core::secrets::proxy_entry(&args.name));
    }
    match (removed, deleted) {
        (false, false) => anyhow::bail!(
            "no account named `{}` (see `relay account list`)",
            args.name
        ),
        (true, true) => note(&format!(
            "removed account `{}` and deleted its stored secret\n",
            args.name
        )),
        (true, false) => note(&format!(
            "removed account `{}`{}\n",
            args.name,
            match account.map(|a| (&a.secret, a.auth)) {
                Some((SecretRef::File(p), AuthKind::Oauth)) => format!(
                    " (its login stays in {}, which belongs to the official CLI)",
                    p.display()
                ),
                _ => String::new(),
            }
        )),
        (false, true) => note(&format!(
            "deleted the stored secret of `{}` (it had no config entry)\n",
            args.name
        )),
    }
    Ok(ExitCode::SUCCESS)
}
