//! `relay key create|list|revoke`: client keys in the config file (only hashes are stored).

use std::process::ExitCode;

use anyhow::Context;
use relay_core::config::{self, NewKey};
use relay_core::paths::Paths;

use crate::cli::KeyCommand;

pub fn run(paths: &Paths, cmd: KeyCommand) -> anyhow::Result<ExitCode> {
    let path = &paths.config;
    match cmd {
        KeyCommand::Create(a) => {
            let generated = relay_core::keys::generate()?;
            let new = NewKey {
                name: a.name.clone(),
                hash: generated.hash.clone(),
                group: a.group.clone(),
                concurrency: a.concurrency,
                daily_usd: a.daily_usd,
                monthly_usd: a.monthly_usd,
                models: a.models.clone(),
            };
            config::add_key(path, &new).map_err(|e| anyhow::anyhow!("{e}"))?;
            crate::output::print(&format!("{}\n", generated.secret))?;
            tracing::info!("created key");
            #[expect(
                clippy::print_stderr,
                reason = "user-facing confirmation, kept off stdout"
            )]
            {
                eprintln!(
                    "created key `{}` in group `{}`; the secret above is shown only once (only its hash is stored in {})",
                    a.name,
                    a.group.as_deref().unwrap_or("default"),
                    path.display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        KeyCommand::List(a) => {
            let cfg = super::load(paths, None)?;
            if a.json {
                let rows: Vec<serde_json::Value> = cfg
                    .keys
                    .iter()
                    .map(|k| {
                        serde_json::json!({
                            "name": k.name,
                            "group": k.group,
                            "concurrency": k.concurrency,
                            "daily_usd": k.daily_usd,
                            "monthly_usd": k.monthly_usd,
                            "models": k.models.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
                        })
                    })
                    .collect();
                crate::output::print(&format!("{}\n", serde_json::to_string_pretty(&rows)?))?;
            } else {
                let rows: Vec<Vec<String>> = cfg
                    .keys
                    .iter()
                    .map(|k| {
                        vec![
                            k.name.clone(),
                            k.group.clone(),
                            k.concurrency.to_string(),
                            k.daily_usd.map_or("-".into(), |v| format!("{v:.2}")),
                            k.monthly_usd.map_or("-".into(), |v| format!("{v:.2}")),
                            if k.models.is_empty() {
                                "*".into()
                            } else {
                                k.models
                                    .iter()
                                    .map(|m| m.as_str())
                                    .collect::<Vec<_>>()
                                    .join(",")
                            },
                        ]
                    })
                    .collect();
                crate::output::print(&crate::output::table(
                    &[
                        "NAME",
                        "GROUP",
                        "CONCURRENCY",
                        "DAILY_USD",
                        "MONTHLY_USD",
                        "MODELS",
                    ],
                    &rows,
                ))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        KeyCommand::Revoke(a) => {
            let removed = config::remove_key(path, &a.name)
                .map_err(|e| anyhow::anyhow!("{e}"))
                .with_context(|| format!("cannot revoke key `{}`", a.name))?;
            if !removed {
                anyhow::bail!(
                    "no key named `{}` in {}; `relay key list` shows the keys",
                    a.name,
                    path.display()
                );
            }
            #[expect(clippy::print_stderr, reason = "user-facing confirmation")]
            {
                eprintln!(
                    "revoked key `{}` (a running relay picks this up when restarted)",
                    a.name
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
