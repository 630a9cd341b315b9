//! `relay account list|pause|resume`: the accounts, live from a running relay's admin API when
//! there is one (else from the config), and the operator actions on them.

use std::process::ExitCode;

use relay_core::config::ProcessEnv;
use relay_core::paths::Paths;
use relay_tui::app::Action;

use crate::cli::{AccountCommand, AccountListArgs, AccountNameArgs};
use crate::output::{self, Align};

pub async fn run(paths: &Paths, cmd: AccountCommand) -> anyhow::Result<ExitCode> {
    match cmd {
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
                    "secret": a.secret.to_string(),
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
