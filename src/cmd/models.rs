//! `relay models`: what the configured accounts serve, after mapping.

use std::process::ExitCode;

use relay_core::config::ProcessEnv;
use relay_core::paths::Paths;

use crate::cli::ModelsArgs;

pub fn run(paths: &Paths, args: &ModelsArgs) -> anyhow::Result<ExitCode> {
    let mut cfg = super::load(paths, None)?;
    relay_core::pool::discover(&mut cfg, &ProcessEnv);
    let ids = relay_core::pool::model_ids(cfg.accounts.iter(), &args.group);
    if args.json {
        let rows: Vec<serde_json::Value> = ids
            .iter()
            .map(|(id, p)| serde_json::json!({"id": id, "platform": p.as_str()}))
            .collect();
        crate::output::print(&format!("{}\n", serde_json::to_string_pretty(&rows)?))?;
    } else if ids.is_empty() {
        crate::output::print(
            "no models: no account serves this group (add [[accounts]] or set ANTHROPIC_API_KEY / OPENAI_API_KEY)\n",
        )?;
    } else {
        let rows: Vec<Vec<String>> = ids
            .iter()
            .map(|(id, p)| vec![id.clone(), p.as_str().to_owned()])
            .collect();
        crate::output::print(&crate::output::table(&["MODEL", "PLATFORM"], &rows))?;
    }
    Ok(ExitCode::SUCCESS)
}
