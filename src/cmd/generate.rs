//! `relay completions` and the hidden `relay generate`: completion scripts and man pages
//! rendered from the clap definition (committed under `completions/` and `man/`).

use std::path::Path;
use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::Shell as CShell;

use crate::cli::{Cli, Shell};

/// The clap command tree.
pub fn command() -> clap::Command {
    Cli::command()
}

fn shell(s: Shell) -> CShell {
    match s {
        Shell::Bash => CShell::Bash,
        Shell::Zsh => CShell::Zsh,
        Shell::Fish => CShell::Fish,
        Shell::Elvish => CShell::Elvish,
        Shell::Powershell => CShell::PowerShell,
    }
}

fn render_completion(s: CShell) -> Vec<u8> {
    let mut buf = Vec::new();
    clap_complete::generate(s, &mut command(), "relay", &mut buf);
    buf
}

/// `relay completions SHELL`.
pub fn completions(s: Shell) -> anyhow::Result<ExitCode> {
    let script = render_completion(shell(s));
    crate::output::print(&String::from_utf8_lossy(&script))?;
    Ok(ExitCode::SUCCESS)
}

/// `relay generate --out-dir DIR`: writes `DIR/man/*.1` and `DIR/completions/*`.
pub fn run(out: &Path) -> anyhow::Result<ExitCode> {
    let man = out.join("man");
    let comp = out.join("completions");
    for d in [&man, &comp] {
        std::fs::create_dir_all(d)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", d.display()))?;
    }
    let write = |path: &Path, bytes: &[u8]| {
        std::fs::write(path, bytes)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))
    };
    let mut cmd = command();
    cmd.build();
    write_man(&cmd, "relay", &man, &write)?;
    for (s, file) in [
        (CShell::Bash, "relay.bash"),
        (CShell::Zsh, "_relay"),
        (CShell::Fish, "relay.fish"),
        (CShell::Elvish, "relay.elv"),
        (CShell::PowerShell, "_relay.ps1"),
    ] {
        write(&comp.join(file), &render_completion(s))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// One page per command and visible subcommand: `relay.1`, `relay-key.1`, `relay-key-create.1`.
fn write_man(
    cmd: &clap::Command,
    name: &str,
    dir: &Path,
    write: &dyn Fn(&Path, &[u8]) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut buf = Vec::new();
    let page = cmd.clone().name(name.to_owned());
    clap_mangen::Man::new(page).render(&mut buf)?;
    write(&dir.join(format!("{name}.1")), &buf)?;
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        write_man(sub, &format!("{name}-{}", sub.get_name()), dir, write)?;
    }
    Ok(())
}
