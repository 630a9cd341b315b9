//! `relay demo`: a relay on simulated accounts, driven by built-in traffic, printing one line
//! per finished request.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use relay_core::config::ProcessEnv;
use relay_core::events::{Event, UsageEvent};
use relay_core::gateway::Gateway;
use relay_core::paths::Paths;
use tokio::sync::broadcast::error::RecvError;

use crate::cli::DemoArgs;

pub async fn run(_paths: &Paths, args: DemoArgs) -> anyhow::Result<ExitCode> {
    let dash = !args.no_dash && args.requests.is_none() && std::io::stdout().is_terminal();
    if !dash {
        crate::logging::init_stderr();
    }
    let mut config = relay_core::demo::config();
    config.server.listen = args.listen;
    config.server.shutdown_grace = Duration::from_secs(2);
    let listener = super::serve::start(&config).await?;
    let addr = listener.local_addr()?;
    // The dashboard reads the demo relay through the admin API, like `relay dash`; the token
    // lives only in this process.
    let mut raw = [0u8; 16];
    relay_core::ids::random_bytes(&mut raw)?;
    let token: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    let options = relay_core::gateway::Options {
        admin_token: Some(token.clone()),
        ..relay_core::gateway::Options::default()
    };
    let gateway = Gateway::build(config, &ProcessEnv, options)
        .map_err(|e| anyhow::anyhow!("cannot start:\n{e}"))?;
    if dash {
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(relay_core::server::serve(gateway, listener, async {
            let _ = stop_rx.await;
        }));
        let url = format!("http://{addr}");
        let driver = tokio::spawn(relay_core::demo::drive(
            url.clone(),
            Duration::from_millis(400),
        ));
        let result = relay_tui::run(
            relay_tui::Remote::new(&url, &token),
            super::serve::shutdown_signal(),
        )
        .await;
        driver.abort();
        let _ = stop_tx.send(());
        let _ = server.await;
        result?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut events = gateway.bus().subscribe();
    #[expect(clippy::print_stderr, reason = "user-facing banner")]
    {
        eprintln!("relay listening on http://{addr}");
        eprintln!(
            "demo: simulated accounts mock-claude-a, mock-claude-b (rate-limits every 4th request), mock-gpt (fails 10%)"
        );
        eprintln!(
            "demo: try it yourself:  curl -s http://{addr}/v1/chat/completions -H 'authorization: Bearer rk-demo-try-it' \
             -H 'content-type: application/json' -d '{{\"model\":\"gpt-4.1\",\"messages\":[{{\"role\":\"user\",\"content\":\"hi\"}}]}}'"
        );
        eprintln!("demo: Ctrl-C to stop");
    }
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(relay_core::server::serve(gateway, listener, async {
        let _ = stop_rx.await;
    }));
    let driver = tokio::spawn(relay_core::demo::drive(
        format!("http://{addr}"),
        Duration::from_millis(700),
    ));
    let limit = args.requests.unwrap_or(u64::MAX);
    let mut seen = 0u64;
    let ctrl_c = super::serve::shutdown_signal();
    tokio::pin!(ctrl_c);
    while seen < limit {
        tokio::select! {
            () = &mut ctrl_c => break,
            ev = events.recv() => match ev {
                Ok(Event::RequestFinished(e)) => {
                    seen += 1;
                    crate::output::print(&line(&e))?;
                }
                Ok(_) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => break,
            },
        }
    }
    driver.abort();
    let _ = stop_tx.send(());
    let _ = server.await;
    Ok(ExitCode::SUCCESS)
}

/// One line per finished request.
fn line(e: &UsageEvent) -> String {
    let time = relay_core::ids::rfc3339(e.time);
    let clock = time.get(11..19).unwrap_or("");
    let outcome = match (e.error, e.attempts) {
        (Some(code), _) => code.to_owned(),
        (None, n) if n > 1 => format!("ok after {} failover(s)", n - 1),
        (None, _) => "ok".to_owned(),
    };
    format!(
        "{clock}  {status}  {inbound:<16}  {model:<18} -> {account:<13}  {kind:<6}  in {input:>4}  out {output:>3}  {ms:>5} ms  {outcome}\n",
        status = e.status,
        inbound = e.inbound.as_str(),
        model = e.model.as_deref().unwrap_or("-"),
        account = e.account.as_deref().unwrap_or("-"),
        kind = if e.stream { "stream" } else { "json" },
        input = e.usage.input + e.usage.cache_read + e.usage.cache_write,
        output = e.usage.output,
        ms = e.latency_ms,
    )
}
