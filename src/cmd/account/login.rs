//! Subscription logins: `relay account login` (the provider's public PKCE flow; the tokens
//! go to the secret store) and `relay account import` (an official CLI's credential file,
//! used in place so that the CLI and the relay keep one login).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use relay_core::config::{self, AuthKind, NewAccount, ProcessEnv, SecretRef};
use relay_core::http::client::Client;
use relay_core::oauth::{self, Format, Pkce, Provider, Tokens};
use relay_core::paths::Paths;
use relay_core::secrets::Secret;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::cli::{AccountImportArgs, AccountLoginArgs, ImportSource, LoginPlatform};
use crate::prompt::note;

pub async fn login(paths: &Paths, args: &AccountLoginArgs) -> anyhow::Result<ExitCode> {
    if !config::valid_name(&args.name) {
        anyhow::bail!(
            "account names use a-z, 0-9, `_` and `-` (got `{}`)",
            args.name
        );
    }
    let (provider, platform) = match args.platform {
        LoginPlatform::Anthropic => (Provider::Anthropic, "anthropic"),
        LoginPlatform::Openai => (Provider::OpenAi, "openai"),
    };
    let cfg = super::super::load(paths, None)?;
    let existing = cfg.accounts.iter().find(|a| a.name == args.name);
    if let Some(a) = existing
        && (a.auth != AuthKind::Oauth
            || a.secret != SecretRef::Keyring
            || a.platform.as_str() != platform)
    {
        anyhow::bail!(
            "an account named `{}` exists and is not a {platform} login kept in the keyring; choose another name",
            args.name
        );
    }
    let pkce = Pkce::new()?;
    note(&format!(
        "Open this address in a browser and sign in with your {} account:\n\n  {}\n\n",
        match provider {
            Provider::Anthropic => "Claude",
            Provider::OpenAi => "ChatGPT",
        },
        pkce.authorize_url(provider)
    ));
    let pasted = match provider {
        Provider::Anthropic => {
            tokio::task::spawn_blocking(|| {
                crate::prompt::line("Paste the code shown after signing in: ")
            })
            .await??
        }
        Provider::OpenAi => callback_or_paste().await?,
    };
    let (code, state) = oauth::parse_pasted_code(&pasted);
    if code.is_empty() {
        anyhow::bail!("no code given; run the command again");
    }
    if state.as_deref().is_some_and(|s| s != pkce.state) {
        anyhow::bail!(
            "that code belongs to another sign-in attempt (its state does not match); run the command again"
        );
    }
    let client = Client::new(Duration::from_secs(10))?;
    let tokens = oauth::exchange_code(&client, provider, &code, &pkce, &ProcessEnv).await?;
    let store = super::store(paths)?;
    let warning = store.set(
        &args.name,
        &Secret::new(oauth::creds::to_relay_json(&tokens)),
    )?;
    if existing.is_none() {
        let new = NewAccount {
            name: args.name.clone(),
            platform: platform.to_owned(),
            auth: Some("oauth".to_owned()),
            secret: Some("keyring".to_owned()),
            ..NewAccount::default()
        };
        if let Err(e) = config::add_account(&paths.config, &new) {
            let _ = store.delete(&args.name);
            anyhow::bail!("{e}");
        }
    }
    if let Some(w) = warning {
        note(&format!("warning: {w}\n"));
    }
    note(&format!(
        "signed in{}; account `{}` ({platform}, oauth) {} {}; its tokens are in the {} and are refreshed as needed\n",
        who(&tokens),
        args.name,
        if existing.is_some() {
            "updated in"
        } else {
            "added to"
        },
        paths.config.display(),
        store.describe()
    ));
    Ok(ExitCode::SUCCESS)
}

fn who(tokens: &Tokens) -> String {
    tokens
        .id_token
        .as_ref()
        .and_then(|t| oauth::creds::email(t.expose()))
        .map(|e| format!(" as {e}"))
        .unwrap_or_default()
}

/// The OpenAI flow redirects the browser to `localhost:1455`; take the code from there, or
/// from the address the user pastes when the browser runs elsewhere.
async fn callback_or_paste() -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 1455)).await;
    // A plain thread, not a blocking task: when the browser's redirect wins, the process
    // exits without waiting for a line on stdin.
    let (tx, paste) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = tx.send(crate::prompt::line(
            "Waiting for the browser to come back to localhost:1455 ... \
             (or paste the address it shows and press Enter): ",
        ));
    });
    let pasted = async { paste.await.map_err(|_| anyhow::anyhow!("stdin closed"))? };
    let Ok(listener) = listener else {
        note("(port 1455 is taken, so paste the address)\n");
        return pasted.await;
    };
    tokio::select! {
        pasted = pasted => pasted,
        got = accept_callback(&listener) => {
            note("\n");
            got
        }
    }
}

/// Serves one `GET /auth/callback?code=…&state=…` and returns its URL.
async fn accept_callback(listener: &tokio::net::TcpListener) -> anyhow::Result<String> {
    loop {
        let (mut sock, _) = listener.accept().await?;
        let mut buf = vec![0u8; 16 * 1024];
        let mut n = 0;
        while n < buf.len() {
            let r = tokio::time::timeout(Duration::from_secs(10), sock.read(&mut buf[n..])).await;
            match r {
                Ok(Ok(0)) | Err(_) => break,
                Ok(Ok(k)) => n += k,
                Ok(Err(e)) => return Err(e.into()),
            }
            if buf[..n].windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
        let head = String::from_utf8_lossy(&buf[..n]);
        let target = head
            .lines()
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or("")
            .to_owned();
        if !target.starts_with("/auth/callback") {
            let _ = sock
                .write_all(
                    b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                )
                .await;
            continue;
        }
        let page = "<!doctype html><title>relay</title><p>Signed in. You can close this tab and return to the terminal.</p>";
        let resp = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
            page.len()
        );
        let _ = sock.write_all(resp.as_bytes()).await;
        return Ok(format!("http://localhost:1455{target}"));
    }
}

pub fn import(paths: &Paths, args: &AccountImportArgs) -> anyhow::Result<ExitCode> {
    let (platform, default_name, want, cli) = match args.source {
        ImportSource::ClaudeCode => (
            "anthropic",
            "claude-code",
            Format::ClaudeCode,
            "Claude Code",
        ),
        ImportSource::Codex => ("openai", "codex", Format::Codex, "the Codex CLI"),
    };
    let name = args.name.clone().unwrap_or_else(|| default_name.to_owned());
    let path = match &args.file {
        Some(p) => p.clone(),
        None => default_file(args.source)?,
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let hint = match args.source {
                ImportSource::ClaudeCode => {
                    "log in with `claude` first; where Claude Code keeps its login in the system keychain (macOS) there is no file: \
                     run `claude setup-token` and add the token with `relay account add NAME --platform anthropic --auth setup-token`"
                }
                ImportSource::Codex => "log in with `codex login` first, or pass --file",
            };
            anyhow::bail!(
                "{} has no credentials file at {}: {hint}",
                cli,
                path.display()
            );
        }
        Err(e) => anyhow::bail!("cannot read {}: {e}", path.display()),
    };
    let (format, tokens) =
        oauth::creds::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    if format != want {
        anyhow::bail!("{} is not {}'s credentials file", path.display(), cli);
    }
    if tokens.refresh.is_none() {
        anyhow::bail!(
            "{} holds no refresh token, so the login could not be kept fresh; log in again with {cli}",
            path.display()
        );
    }
    let path = std::path::absolute(&path).unwrap_or(path);
    let cfg = super::super::load(paths, None)?;
    if cfg.accounts.iter().any(|a| a.name == name) {
        anyhow::bail!(
            "an account named `{name}` already exists; pick another with --name, or remove it with `relay account remove {name}`"
        );
    }
    let new = NewAccount {
        name: name.clone(),
        platform: platform.to_owned(),
        auth: Some("oauth".to_owned()),
        secret: Some(format!("file:{}", path.display())),
        ..NewAccount::default()
    };
    config::add_account(&paths.config, &new).map_err(|e| anyhow::anyhow!("{e}"))?;
    let expiry = match tokens.expires_at_ms {
        Some(at) => {
            let left = at.saturating_sub(relay_core::ledger::unix_ms(std::time::SystemTime::now()));
            if left <= 0 {
                "its access token has expired and will be refreshed at first use".to_owned()
            } else {
                format!("its access token is good for {} more", human(left / 1000))
            }
        }
        None => "its expiry is not recorded".to_owned(),
    };
    note(&format!(
        "imported {cli}'s login as account `{name}` ({platform}, oauth) in {}.\n\
         The relay uses {} in place: before a refresh it re-reads the file (taking {cli}'s tokens when they are newer) and \
         writes new tokens back, so {cli} and the relay share one login. {expiry}.\n\
         Subscription logins serve {cli} itself: point it at the relay; other clients need an API-key account.\n",
        paths.config.display(),
        path.display(),
    ));
    Ok(ExitCode::SUCCESS)
}

fn default_file(source: ImportSource) -> anyhow::Result<PathBuf> {
    let home =
        || std::env::home_dir().ok_or_else(|| anyhow::anyhow!("no home directory; pass --file"));
    Ok(match source {
        ImportSource::ClaudeCode => match std::env::var_os("CLAUDE_CONFIG_DIR") {
            Some(d) if !d.is_empty() => PathBuf::from(d),
            _ => home()?.join(".claude"),
        }
        .join(".credentials.json"),
        ImportSource::Codex => match std::env::var_os("CODEX_HOME") {
            Some(d) if !d.is_empty() => PathBuf::from(d),
            _ => home()?.join(".codex"),
        }
        .join("auth.json"),
    })
}

fn human(secs: i64) -> String {
    match secs {
        s if s >= 86_400 => format!("{} days", s / 86_400),
        s if s >= 3_600 => format!("{} h", s / 3_600),
        s => format!("{} min", (s / 60).max(1)),
    }
}
