//! `relay account add|list|test|remove|import|login` as a user runs them: the secret read from
//! stdin into the secret store (never the config file), a real one-token test request with the
//! rate-limit headers reported, removal deleting the secret, import of the official CLIs'
//! credential files, and the PKCE login against a fake token endpoint.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::{Value, json};

use crate::cli::{relay, text};
use crate::support::fake_oauth::FakeOauth;
use crate::support::fake_upstream::{self, FakeUpstream, Reply, Usage};

struct Env {
    dir: tempfile::TempDir,
    cfg: PathBuf,
    data: PathBuf,
    vars: Vec<(String, String)>,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("config.toml");
        // No relay listens there, so `account list` reads the config.
        std::fs::write(&cfg, "[server]\nlisten = \"127.0.0.1:9\"\n").unwrap();
        let data = dir.path().join("data");
        Env {
            dir,
            cfg,
            data,
            vars: Vec::new(),
        }
    }

    /// Runs `relay --config … --data-dir … ARGS` with `stdin`; (exit code, stdout, stderr).
    fn run(&self, args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
        let mut c = relay(self.dir.path());
        c.arg("--config")
            .arg(&self.cfg)
            .arg("--data-dir")
            .arg(&self.data)
            .args(args)
            .envs(self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
        drop(input);
        let out = child.wait_with_output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            text(&out.stdout),
            text(&out.stderr),
        )
    }

    fn config(&self) -> String {
        std::fs::read_to_string(&self.cfg).unwrap()
    }

    fn secrets_file(&self) -> PathBuf {
        self.data.join("secrets.json")
    }
}

fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

const CANARY: &str = "sk-ant-canary-4242-do-not-print";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_list_test_remove_keep_the_secret_out_of_the_config_and_output() {
    let fake = FakeUpstream::start().await;
    let env = Env::new();
    let add = [
        "account",
        "add",
        "up",
        "--platform",
        "anthropic",
        "--base-url",
        fake.url.as_str(),
        "--priority",
        "5",
    ];
    let (code, out, err) = env.run(&add, Some(&format!("{CANARY}\n")));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "");
    assert!(
        err.contains("added account `up` (anthropic, API key)"),
        "{err}"
    );
    assert!(
        err.contains("secrets.json (mode 0600)"),
        "a warning about the file: {err}"
    );
    let config = env.config();
    assert!(
        config.starts_with("[server]\nlisten = \"127.0.0.1:9\"\n"),
        "{config}"
    );
    assert!(config.contains("name = \"up\""), "{config}");
    assert!(config.contains("secret = \"keyring\""), "{config}");
    assert!(config.contains("priority = 5"), "{config}");
    assert!(!config.contains(CANARY));
    let stored = std::fs::read_to_string(env.secrets_file()).unwrap();
    assert!(stored.contains(CANARY));
    assert_eq!(mode(&env.secrets_file()), 0o600);
    assert_eq!(mode(&env.data), 0o700);

    // A second add of the name is refused before any secret is asked for.
    let (code, _, err) = env.run(&add, None);
    assert_eq!(code, 2);
    assert!(err.contains("already exists"), "{err}");
    // An empty secret is refused.
    let (code, _, err) = env.run(&["account", "add", "x", "--platform", "openai"], Some("\n"));
    assert_eq!(code, 2);
    assert!(err.contains("no secret given"), "{err}");

    let (code, out, _) = env.run(&["account", "list", "--json"], None);
    assert_eq!(code, 0);
    let listed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(listed[0]["name"], "up");
    assert_eq!(listed[0]["secret"], "keyring");
    assert!(!out.contains(CANARY));

    // One tiny real request, with the upstream's rate-limit headers reported.
    let usage = Usage {
        input: 9,
        output: 1,
        cache_read: 0,
        cache_write: 0,
    };
    fake.push(Reply::Json {
        status: 200,
        headers: vec![
            ("anthropic-ratelimit-requests-remaining".into(), "49".into()),
            ("anthropic-ratelimit-requests-limit".into(), "50".into()),
        ],
        body: fake_upstream::anthropic_message_json("claude-haiku-4-5", "OK", usage).to_string(),
    });
    let (code, out, err) = env.run(&["account", "test", "up"], None);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.starts_with(&format!("ok up via {}: HTTP 200 in ", fake.url)),
        "{out}"
    );
    assert!(
        out.contains("anthropic-ratelimit-requests-remaining: 49"),
        "{out}"
    );
    assert!(!out.contains(CANARY) && !err.contains(CANARY));
    let sent = &fake.requests()[0];
    assert_eq!(sent.header("x-api-key").as_deref(), Some(CANARY));
    assert_eq!(sent.json()["max_tokens"], 1);
    assert_eq!(sent.json()["model"], "claude-haiku-4-5");

    // A refusal: exit 1, the upstream's words, no secret.
    fake.push(Reply::Json {
        status: 401,
        headers: vec![],
        body: fake_upstream::error_json_anthropic("authentication_error", "invalid x-api-key"),
    });
    let (code, out, _) = env.run(&["account", "test", "up", "--json"], None);
    assert_eq!(code, 1, "{out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (v["ok"].clone(), v["status"].clone()),
        (json!(false), json!(401))
    );
    assert_eq!(v["error"], "invalid x-api-key");
    assert!(!out.contains(CANARY));

    let (code, _, err) = env.run(&["account", "remove", "up"], None);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("removed account `up` and deleted its stored secret"),
        "{err}"
    );
    assert!(!env.config().contains("name = \"up\""));
    assert!(
        !std::fs::read_to_string(env.secrets_file())
            .unwrap()
            .contains(CANARY)
    );
    let (code, _, err) = env.run(&["account", "remove", "up"], None);
    assert_eq!(code, 2);
    assert!(err.contains("no account named `up`"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_password_goes_to_the_secret_store_not_the_config() {
    let env = Env::new();
    let (code, _, err) = env.run(
        &[
            "account",
            "add",
            "px",
            "--platform",
            "openai",
            "--proxy",
            "http://bob:hunter2@127.0.0.1:3128",
        ],
        Some("sk-openai\n"),
    );
    assert_eq!(code, 0, "{err}");
    let config = env.config();
    assert!(
        config.contains("proxy = \"http://bob@127.0.0.1:3128\""),
        "{config}"
    );
    assert!(!config.contains("hunter2"));
    assert!(
        std::fs::read_to_string(env.secrets_file())
            .unwrap()
            .contains("hunter2")
    );
    let (_, out, _) = env.run(&["account", "list", "--json"], None);
    assert!(!out.contains("hunter2"), "{out}");
    let (_, out, _) = env.run(&["doctor", "--offline"], None);
    assert!(out.contains("account px proxy"), "{out}");
    assert!(!out.contains("hunter2"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_the_official_clis_and_log_in_with_pkce() {
    let mut env = Env::new();
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    // Claude Code's file, where Claude Code keeps it under HOME.
    let claude = env.dir.path().join(".claude");
    std::fs::create_dir_all(&claude).unwrap();
    let file = claude.join(".credentials.json");
    std::fs::write(
        &file,
        json!({"claudeAiOauth": {"accessToken": "sk-ant-oat01-x", "refreshToken": "sk-ant-ort01-y", "expiresAt": now_ms + 7_200_000, "subscriptionType": "pro"}}).to_string(),
    )
    .unwrap();
    let (code, out, err) = env.run(&["account", "import", "claude-code"], None);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "");
    assert!(
        err.contains("imported Claude Code's login as account `claude-code`"),
        "{err}"
    );
    assert!(err.contains("share one login"), "{err}");
    let config = env.config();
    assert!(config.contains("auth = \"oauth\""), "{config}");
    assert!(
        config.contains(&format!("secret = \"file:{}\"", file.display())),
        "{config}"
    );
    assert!(!config.contains("sk-ant-o"));
    let (code, _, err) = env.run(&["account", "import", "claude-code"], None);
    assert_eq!(code, 2);
    assert!(err.contains("already exists"), "{err}");

    // Nothing to import: say where it looked and what to do instead.
    let (code, _, err) = env.run(&["account", "import", "codex"], None);
    assert_eq!(code, 2);
    assert!(
        err.contains(".codex/auth.json") && err.contains("codex login"),
        "{err}"
    );
    // A Codex login holding an API key is not a subscription login.
    let codex = env.dir.path().join("auth.json");
    std::fs::write(&codex, r#"{"OPENAI_API_KEY":"sk-proj-abc"}"#).unwrap();
    let (code, _, err) = env.run(
        &[
            "account",
            "import",
            "codex",
            "--file",
            codex.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 2);
    assert!(err.contains("relay account add"), "{err}");
    assert!(!err.contains("sk-proj-abc"), "{err}");

    // The PKCE login: the code the user pastes is exchanged at the token endpoint.
    let oauth = FakeOauth::start("unused").await;
    env.vars
        .push(("RELAY_OAUTH_ANTHROPIC_TOKEN_URL".into(), oauth.url.clone()));
    let login = ["account", "login", "pro", "--platform", "anthropic"];
    let (code, _, err) = env.run(&login, Some("abc#not-this-attempt\n"));
    assert_eq!(code, 2);
    assert!(err.contains("state does not match"), "{err}");
    assert!(oauth.calls().is_empty());
    let (code, out, err) = env.run(&login, Some("the-code\n"));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "");
    assert!(
        err.contains("https://claude.ai/oauth/authorize?code=true&response_type=code&client_id=9d1c250a-e61b-44d9-88ed-5944d1962f5e"),
        "{err}"
    );
    assert!(err.contains("code_challenge_method=S256"), "{err}");
    assert!(
        err.contains("account `pro` (anthropic, oauth) added"),
        "{err}"
    );
    let call = &oauth.calls()[0];
    assert_eq!(call.body["grant_type"], "authorization_code");
    assert_eq!(call.body["code"], "the-code");
    assert_eq!(call.body["code_verifier"].as_str().unwrap().len(), 43);
    assert_eq!(
        call.body["redirect_uri"],
        "https://platform.claude.com/oauth/code/callback"
    );
    assert!(err.contains(&format!(
        "code_challenge={}",
        relay_core::keys::base64url(&sha256(call.body["code_verifier"].as_str().unwrap()))
    )));
    let stored: Value =
        serde_json::from_str(&std::fs::read_to_string(env.secrets_file()).unwrap()).unwrap();
    let tokens: Value = serde_json::from_str(stored["pro"].as_str().unwrap()).unwrap();
    assert_eq!(tokens["access_token"], "at-0");
    assert_eq!(tokens["refresh_token"], "rt-0");
    let config = env.config();
    assert!(config.contains("name = \"pro\""), "{config}");
    assert!(!config.contains("at-0"));

    // The doctor reads both logins' expiry.
    let (_, out, _) = env.run(&["doctor", "--offline"], None);
    let line = |name: &str| {
        out.lines()
            .find(|l| l.contains(&format!("account {name} ")) && !l.contains("reachable"))
            .unwrap_or_default()
            .to_owned()
    };
    assert!(line("pro").starts_with("ok "), "{out}");
    assert!(
        line("pro").contains("login from keyring: access token valid for 59 min more"),
        "{out}"
    );
    assert!(
        line("claude-code").contains("access token valid for 119 min more"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_openai_login_takes_the_code_from_the_browsers_redirect() {
    if std::net::TcpListener::bind("127.0.0.1:1455").is_err() {
        eprintln!("skipped: port 1455 (the OpenAI login's redirect port) is taken here");
        return;
    }
    let env = Env::new();
    let oauth = FakeOauth::start("unused").await;
    let b64 = |v: &Value| relay_core::keys::base64url(v.to_string().as_bytes());
    let id_token = format!(
        "{}.{}.sig",
        b64(&json!({"alg": "none"})),
        b64(
            &json!({"email": "me@example.com", "https://api.openai.com/auth": {"chatgpt_account_id": "acct-7"}})
        )
    );
    oauth.answer_with(json!({ "id_token": id_token }));
    let mut c = relay(env.dir.path());
    c.arg("--config")
        .arg(&env.cfg)
        .arg("--data-dir")
        .arg(&env.data)
        .args(["account", "login", "chatgpt", "--platform", "openai"])
        .env("RELAY_OAUTH_OPENAI_TOKEN_URL", &oauth.url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let _stdin_kept_open = child.stdin.take();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    // The authorize address, as the user would open it; its state comes back with the code.
    let url = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        let mut line = String::new();
        loop {
            line.clear();
            assert!(stderr.read_line(&mut line).unwrap() > 0, "no authorize URL");
            if let Some(i) = line.find("https://auth.openai.com/oauth/authorize?") {
                return (line[i..].trim().to_owned(), stderr);
            }
        }
    })
    .await
    .unwrap();
    let (url, mut stderr) = url;
    assert!(
        url.contains("client_id=app_EMoamEEZ73f0CkXaXp7hrann"),
        "{url}"
    );
    assert!(url.contains("codex_cli_simplified_flow=true"), "{url}");
    let state = url
        .split('&')
        .find_map(|p| p.strip_prefix("state="))
        .unwrap()
        .to_owned();
    // The browser comes back to the local port (once the login listens there).
    let mut listening = false;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect("127.0.0.1:1455")
            .await
            .is_ok()
        {
            listening = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(listening, "the login listens on 127.0.0.1:1455");
    let got = crate::support::send(
        "GET",
        &format!("http://127.0.0.1:1455/auth/callback?code=c-42&state={state}"),
        &[],
        String::new(),
    )
    .await;
    assert_eq!(got.status, 200);
    assert!(got.text().contains("Signed in"), "{}", got.text());
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert!(status.success(), "{rest}");
    assert!(rest.contains("signed in as me@example.com"), "{rest}");
    let call = &oauth.calls()[0];
    assert_eq!(call.content_type, "application/x-www-form-urlencoded");
    assert_eq!(call.body["grant_type"], "authorization_code");
    assert_eq!(call.body["code"], "c-42");
    assert_eq!(
        call.body["redirect_uri"],
        "http://localhost:1455/auth/callback"
    );
    let stored: Value =
        serde_json::from_str(&std::fs::read_to_string(env.secrets_file()).unwrap()).unwrap();
    let tokens: Value = serde_json::from_str(stored["chatgpt"].as_str().unwrap()).unwrap();
    assert_eq!(tokens["account_id"], "acct-7");
    let config = env.config();
    assert!(config.contains("platform = \"openai\""), "{config}");
    assert!(config.contains("auth = \"oauth\""), "{config}");
}

fn sha256(s: &str) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(s.as_bytes()).to_vec()
}
