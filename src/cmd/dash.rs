//! `relay dash`: the dashboard, attached to a running relay through its admin API.

use std::process::ExitCode;

use anyhow::Context;
use relay_core::paths::Paths;

use crate::cli::DashArgs;

pub async fn run(paths: &Paths, args: &DashArgs) -> anyhow::Result<ExitCode> {
    let url = match &args.url {
        Some(u) => u.clone(),
        None => format!("http://{}", super::load(paths, None)?.server.listen),
    };
    let token = relay_core::server::admin::read_token(&paths.data).with_context(|| {
        format!(
            "no admin token in {} (a relay creates it when it starts; is one running with this data dir? try `relay serve`, or pass --data-dir)",
            paths.data.display()
        )
    })?;
    let remote = relay_tui::Remote::new(&url, &token);
    relay_tui::run(remote, std::future::pending()).await?;
    Ok(ExitCode::SUCCESS)
}
