//! `relay serve`: the relay, headless.

use std::process::ExitCode;

use anyhow::Context;
use relay_core::config::{Config, ProcessEnv};
use relay_core::gateway::Gateway;
use relay_core::paths::Paths;
use tokio::net::TcpListener;

use crate::cli::ServeArgs;

pub async fn run(paths: &Paths, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let _guard = crate::logging::init_file(&paths.logs, !args.dash)?;
    let mut config = super::load(paths, args.listen)?;
    let found = relay_core::pool::discover(&mut config, &ProcessEnv);
    for var in &found {
        tracing::info!("no accounts configured: using `{var}` from the environment");
    }
    let listener = start(&config).await?;
    let ledger = relay_core::ledger::Ledger::open(&paths.data)?;
    let admin_token = relay_core::server::admin::load_or_create_token(&paths.data)
        .with_context(|| format!("cannot create the admin token in {}", paths.data.display()))?;
    // The secret store is opened (and the OS keyring asked) only when an account keeps a
    // secret there
    // (a keyring secret, or a proxy whose password `relay account add --proxy` stored there).
    let uses_store = config.accounts.iter().any(|a| {
        let keyring = a.platform != relay_core::config::Platform::Mock
            && a.secret == relay_core::config::SecretRef::Keyring;
        let proxy_password = a.proxy.as_deref().is_some_and(|p| {
            let parts = relay_core::http::client::ProxyUrl::parse(p);
            parts.user.is_some() && parts.password.is_none()
        });
        keyring || proxy_password
    });
    let secrets = match uses_store {
        true => {
            let store = super::account::store(paths)?;
            if let Some(why) = store.fallback_reason() {
                tracing::warn!(
                    "no OS keyring ({why}): secrets are read from {}",
                    paths
                        .data
                        .join(relay_core::secrets::store::FILE_NAME)
                        .display()
                );
            }
            Some(store)
        }
        false => None,
    };
    let options = relay_core::gateway::Options {
        ledger: Some(ledger),
        admin_token: Some(admin_token),
        secrets,
        ..relay_core::gateway::Options::default()
    };
    let token = options.admin_token.clone().unwrap_or_default();
    let gateway = Gateway::build(config, &ProcessEnv, options)
        .map_err(|e| anyhow::anyhow!("cannot start:\n{e}"))?;
    if args.dash {
        // The dashboard reads this relay through its own admin API, as `relay dash` would.
        let url = format!("http://{}", listener.local_addr()?);
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(relay_core::server::serve(gateway, listener, async {
            tokio::select! {
                () = shutdown_signal() => {}
                _ = stop_rx => {}
            }
        }));
        let dash = relay_tui::run(relay_tui::Remote::new(&url, &token), async {
            shutdown_signal().await;
        })
        .await;
        let _ = stop_tx.send(());
        server
            .await
            .context("server task failed")?
            .context("server failed")?;
        dash?;
    } else {
        announce(gateway.config(), &listener)?;
        relay_core::server::serve(gateway, listener, shutdown_signal())
            .await
            .context("server failed")?;
    }
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// Binds the listen address with a message that says what to do when it is taken.
pub async fn start(config: &Config) -> anyhow::Result<TcpListener> {
    let addr = config.server.listen;
    TcpListener::bind(addr).await.with_context(|| {
        format!("cannot listen on {addr}; is another relay running? choose another address with --listen")
    })
}

/// Warnings about the setup, then the ready line scripts wait for.
pub fn announce(config: &Config, listener: &TcpListener) -> anyhow::Result<()> {
    let addr = listener.local_addr()?;
    if config.accounts.is_empty() {
        tracing::warn!(
            "no upstream accounts: add [[accounts]] to the config (`relay config init` writes an example) \
             or set ANTHROPIC_API_KEY / OPENAI_API_KEY"
        );
    }
    if config.keys.is_empty() {
        tracing::warn!(
            "no client keys: accepting requests from this machine only, without a key; create one with `relay key create NAME`"
        );
    }
    if !addr.ip().is_loopback() {
        tracing::warn!(
            "listening on a non-loopback address ({addr}); other machines can reach this relay"
        );
    }
    #[expect(
        clippy::print_stderr,
        reason = "the ready line is part of the CLI contract"
    )]
    {
        eprintln!("relay listening on http://{addr}");
    }
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("signal received: stopping");
}
