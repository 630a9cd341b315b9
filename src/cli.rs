//! The command line, declared with clap's derive API: the single source of `--help`, the man
//! pages and the shell completions.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// A local AI API relay: one endpoint for Claude, GPT and Gemini models.
#[derive(Debug, Parser)]
#[command(
    name = "relay",
    version,
    about = "A local AI API relay: one endpoint for Claude, GPT and Gemini models",
    long_about = "A local AI API relay. Point Claude Code, the Codex CLI, the OpenAI or Anthropic SDKs or any \
OpenAI-compatible tool at http://127.0.0.1:8787; relay checks the client's key, picks one of your upstream \
accounts, streams the answer back and records usage.",
    after_help = "Quick start: `relay demo` runs a relay on simulated accounts (no credentials needed).\n\
Environment: RELAY_CONFIG, RELAY_DATA_DIR, RELAY_LOG (e.g. `debug`, `relay_core=trace`), RELAY_SERVER_*, RELAY_GATEWAY_*."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command accepts.
#[derive(Debug, Args)]
pub struct Global {
    /// Config file [default: ~/.config/relay/config.toml]
    #[arg(long, global = true, env = "RELAY_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Data directory for the ledger, admin token and secrets fallback [default:
    /// ~/.local/share/relay]
    #[arg(long, global = true, env = "RELAY_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the relay (headless)
    #[command(
        long_about = "Run the relay. Prints `relay listening on http://ADDR` to stderr once it accepts \
connections. SIGINT/SIGTERM stop accepting, let in-flight requests and streams finish (bounded by \
`server.shutdown_grace`) and exit 0."
    )]
    Serve(ServeArgs),
    /// Run a relay on simulated accounts and drive demo traffic (no credentials, no network)
    #[command(
        long_about = "Start a relay on built-in simulated (`mock`) accounts and send it a little traffic \
in every API dialect, streaming and not, with some rate limits and failures. One line per request is printed. \
Needs no credentials and no network; your config file is not read."
    )]
    Demo(DemoArgs),
    /// Attach the dashboard to a running relay
    #[command(
        long_about = "Attach the terminal dashboard to a running relay: live slots, failovers, cooldowns, \
accounts, keys, requests and spend. Uses the admin token from the data dir (the relay must use the same \
--data-dir). Reconnects by itself when the relay restarts. Keys: ? help, q quit, Tab panels, ↑↓ select an \
account, p/r pause/resume it, c clear its cooldown, / filter requests, 1-5 toggle panels."
    )]
    Dash(DashArgs),
    /// Upstream accounts: add, list, test, remove, subscription logins, pause and resume
    #[command(subcommand)]
    Account(AccountCommand),
    /// Create, list and revoke client keys
    #[command(subcommand)]
    Key(KeyCommand),
    /// Validate the config, show file locations, write a starter config
    #[command(subcommand)]
    Config(ConfigCommand),
    /// List the models the configured accounts serve
    Models(ModelsArgs),
    /// Usage and cost from the ledger, grouped by model, key, account or day
    #[command(
        long_about = "Usage and cost from the ledger, one line per model, key, account or day, with a \
total. Token columns in the table are rounded (k, M, B); `--format json` and `csv` give exact numbers. Costs \
are computed when each request ends, from the upstream model that served it; requests to models without a \
price count as $0 and are flagged. Times and days follow `ledger.time_zone` (default: the system's).",
        after_help = "Times (D): 7d, 24h, 30m, 2w, today, yesterday, 2026-11-01 (local midnight) or an RFC 3339 time.\n\
Examples:\n  relay usage --since 7d --by day\n  relay usage --since 2026-11-01 --by key --format csv"
    )]
    Usage(UsageArgs),
    /// Recent requests from the ledger, newest first
    #[command(
        long_about = "Recent requests from the ledger, one row each, newest first. The table shows local \
times; `--format json` gives every ledger field (RFC 3339 UTC times).",
        after_help = "Times (D): 7d, 24h, 30m, 2w, today, yesterday, 2026-11-01 (local midnight) or an RFC 3339 time.\n\
Examples:\n  relay requests --limit 50\n  relay requests --status error --since today\n  relay requests --key laptop --format json"
    )]
    Requests(RequestsArgs),
    /// Measure what the relay adds: latency, throughput, first event, CPU, memory
    #[command(
        long_about = "The relay's own benchmark. Starts a zero-delay upstream on a loopback socket (OpenAI \
and Anthropic wire formats), this relay as a child process in front of it, and a load generator, and sends \
the same workload straight to the upstream and through the relay in the same run: non-streaming passthrough \
(closed loop at a fixed concurrency, and an open loop at a fixed rate), streaming passthrough, streaming \
Responses served by an Anthropic account (converted), and many long streams held open. Reports p50/p90/p99/max \
of the added latency, throughput, time to the first streamed event, the relay's CPU time and RSS, as a Markdown \
table or --json, with the design targets. Use a release build (`cargo build --release`) on an idle machine.",
        after_help = "Examples:\n  relay bench --quick\n  relay bench --rate 2000 --seconds 10 --json > bench.json\n  relay bench --pin"
    )]
    Bench(BenchArgs),
    /// Check the setup: config, data dir, ledger, account secrets, upstream reachability
    #[command(
        long_about = "Check the setup and print a pass/fail table: the config file, the data dir (writable, \
not open to other users), the admin token's permissions, the ledger's integrity, each account's secret, and \
whether each upstream accepts connections (no request is sent; skip with --offline). Exit code 1 when a check \
fails."
    )]
    Doctor(DoctorArgs),
    /// Print a shell completion script
    Completions(CompletionsArgs),
    /// Write man pages and completion scripts (for packagers)
    #[command(hide = true)]
    Generate(GenerateArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: server.listen, 127.0.0.1:8787]
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Show the dashboard in this terminal (logs go to the log file only); quitting it stops
    /// the relay
    #[arg(long)]
    pub dash: bool,
}

#[derive(Debug, Args)]
pub struct DashArgs {
    /// The relay to attach to [default: http:// + server.listen, http://127.0.0.1:8787]
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Address to listen on
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8787")]
    pub listen: SocketAddr,
    /// Stop after this many requests (default: run until Ctrl-C)
    #[arg(long, value_name = "N")]
    pub requests: Option<u64>,
    /// Print one line per request instead of opening the dashboard (the default when stdout
    /// is not a terminal)
    #[arg(long)]
    pub no_dash: bool,
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create a client key; prints the secret as the only line on stdout
    #[command(
        long_about = "Create a client key. The secret (`rk-` + 43 random characters) is printed as the \
only line on stdout and never again; the config file stores only its SHA-256 hash (comments and layout of the \
file are preserved)."
    )]
    Create(KeyCreateArgs),
    /// List client keys (never their secrets)
    List(JsonArgs),
    /// Revoke a client key
    Revoke(KeyRevokeArgs),
}

#[derive(Debug, Args)]
pub struct KeyCreateArgs {
    /// Key name ([a-z0-9_-]+)
    pub name: String,
    /// Group whose accounts serve this key
    #[arg(long, value_name = "G")]
    pub group: Option<String>,
    /// Max in-flight requests for this key [default: 5]
    #[arg(long, value_name = "N")]
    pub concurrency: Option<u32>,
    /// Daily budget in USD
    #[arg(long, value_name = "X")]
    pub daily_usd: Option<f64>,
    /// Monthly budget in USD
    #[arg(long, value_name = "X")]
    pub monthly_usd: Option<f64>,
    /// Allowed model patterns (exact or trailing `*`), comma-separated
    #[arg(long, value_name = "PATTERN,...", value_delimiter = ',')]
    pub models: Vec<String>,
}

#[derive(Debug, Args)]
pub struct KeyRevokeArgs {
    /// Key name
    pub name: String,
}

#[derive(Debug, Args)]
pub struct JsonArgs {
    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the config; errors name the file, line and key path (exit 1 on errors)
    Check,
    /// Print where relay's files live
    Path,
    /// Write a commented starter config
    Init(InitArgs),
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Overwrite an existing file
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ModelsArgs {
    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
    /// Group to list [default: default]
    #[arg(long, value_name = "G", default_value = "default")]
    pub group: String,
}

/// How a report is printed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns for a terminal
    #[default]
    Table,
    /// One JSON array
    Json,
    /// Comma-separated values with a header row
    Csv,
}

/// What `relay usage` groups by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum By {
    /// The model the client asked for
    #[default]
    Model,
    /// The client key
    Key,
    /// The account that served
    Account,
    /// The calendar day
    Day,
}

#[derive(Debug, Args)]
pub struct UsageArgs {
    /// From this time [default: 30d]
    #[arg(long, value_name = "D", default_value = "30d")]
    pub since: String,
    /// Until this time [default: now]
    #[arg(long, value_name = "D")]
    pub until: Option<String>,
    /// Group by
    #[arg(long, value_enum, default_value_t)]
    pub by: By,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct RequestsArgs {
    /// From this time [default: all]
    #[arg(long, value_name = "D")]
    pub since: Option<String>,
    /// Until this time [default: now]
    #[arg(long, value_name = "D")]
    pub until: Option<String>,
    /// Show at most this many
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub limit: u32,
    /// Only this client key (`-` for keyless requests)
    #[arg(long, value_name = "NAME")]
    pub key: Option<String>,
    /// Only this account
    #[arg(long, value_name = "NAME")]
    pub account: Option<String>,
    /// Only this requested model
    #[arg(long, value_name = "MODEL")]
    pub model: Option<String>,
    /// Only these outcomes: ok, error, interrupted, or an HTTP status such as 429
    #[arg(long, value_name = "S")]
    pub status: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Add an upstream account; its secret is read from stdin (or a prompt that does not echo)
    /// and stored in the OS keyring
    Add(AccountAddArgs),
    /// List accounts: live state from the running relay, else what the config says
    List(AccountListArgs),
    /// Remove an account from the config and delete its stored secret
    Remove(AccountRemoveArgs),
    /// Send one tiny real request through an account; report status, latency and rate limits
    Test(AccountTestArgs),
    /// Sign in to your own subscription (OAuth with PKCE); the tokens go to the keyring
    Login(AccountLoginArgs),
    /// Use the login an official CLI keeps on this machine (Claude Code, the Codex CLI)
    Import(AccountImportArgs),
    /// Pause an account on the running relay (no new requests until resumed)
    Pause(AccountNameArgs),
    /// Resume a paused account on the running relay
    Resume(AccountNameArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlatformArg {
    Anthropic,
    Openai,
    Gemini,
}

impl PlatformArg {
    pub fn as_str(self) -> &'static str {
        match self {
            PlatformArg::Anthropic => "anthropic",
            PlatformArg::Openai => "openai",
            PlatformArg::Gemini => "gemini",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthArg {
    /// An API key from the provider's console
    ApiKey,
    /// A long-lived token from `claude setup-token` (anthropic)
    SetupToken,
}

#[derive(Debug, Args)]
pub struct AccountAddArgs {
    /// Account name ([a-z0-9_-]+)
    pub name: String,
    /// The provider
    #[arg(long, value_enum)]
    pub platform: PlatformArg,
    /// How the account authenticates (for subscription logins use `account login` or `account
    /// import`)
    #[arg(long, value_enum, default_value = "api-key")]
    pub auth: AuthArg,
    /// Another endpoint speaking the platform's API
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Lower is preferred [default: 50]
    #[arg(long, value_name = "N")]
    pub priority: Option<u32>,
    /// Max requests in flight on this account [default: 3]
    #[arg(long, value_name = "N")]
    pub concurrency: Option<u32>,
    /// Groups it serves (repeatable) [default: default]
    #[arg(long = "group", value_name = "G")]
    pub groups: Vec<String>,
    /// Model patterns it serves (repeatable) [default: the platform's]
    #[arg(long = "model", value_name = "PATTERN")]
    pub models: Vec<String>,
    /// Send this account's traffic through a proxy (http://, socks5://, socks5h://)
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
}

#[derive(Debug, Args)]
pub struct AccountRemoveArgs {
    /// Account name
    pub name: String,
}

#[derive(Debug, Args)]
pub struct AccountTestArgs {
    /// Account name
    pub name: String,
    /// The model to ask [default: the platform's cheapest]
    #[arg(long)]
    pub model: Option<String>,
    /// Print JSON instead of lines
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LoginPlatform {
    /// A Claude Pro/Max login (as Claude Code uses it)
    Anthropic,
    /// A ChatGPT login (as the Codex CLI uses it)
    Openai,
}

#[derive(Debug, Args)]
pub struct AccountLoginArgs {
    /// Account name ([a-z0-9_-]+); an existing login of that name gets new tokens
    pub name: String,
    /// Whose login
    #[arg(long, value_enum)]
    pub platform: LoginPlatform,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportSource {
    /// ~/.claude/.credentials.json (or $CLAUDE_CONFIG_DIR/.credentials.json)
    ClaudeCode,
    /// ~/.codex/auth.json (or $CODEX_HOME/auth.json)
    Codex,
}

#[derive(Debug, Args)]
pub struct AccountImportArgs {
    /// Whose credentials
    #[arg(value_enum)]
    pub source: ImportSource,
    /// Account name [default: claude-code or codex]
    #[arg(long)]
    pub name: Option<String>,
    /// The credentials file [default: where the CLI keeps it]
    #[arg(long, value_name = "PATH")]
    pub file: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct AccountListArgs {
    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
    /// The relay to ask [default: http:// + server.listen]
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
}

#[derive(Debug, Args)]
pub struct AccountNameArgs {
    /// Account name
    pub name: String,
    /// The relay to act on [default: http:// + server.listen]
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Skip the upstream reachability checks
    #[arg(long)]
    pub offline: bool,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// A short run (under 30 s): fewer requests, 1 s at 500 req/s, 100 held streams
    #[arg(long)]
    pub quick: bool,
    /// Print JSON instead of a Markdown table
    #[arg(long)]
    pub json: bool,
    /// Pin the relay to CPU 0 and the load to CPU 1 (needs `taskset`)
    #[arg(long)]
    pub pin: bool,
    /// Non-streaming requests in the closed loop [default: 20000; quick 1000]
    #[arg(long, value_name = "N")]
    pub requests: Option<usize>,
    /// Closed-loop concurrency [default: 8]
    #[arg(long, value_name = "C")]
    pub concurrency: Option<usize>,
    /// Fixed rate for the open loop, requests/s [default: 2000; quick 500]
    #[arg(long, value_name = "R")]
    pub rate: Option<usize>,
    /// Seconds of the open loop, each way [default: 5; quick 1]
    #[arg(long, value_name = "T")]
    pub seconds: Option<usize>,
    /// Streams per streaming scenario [default: 500; quick 50]
    #[arg(long, value_name = "M")]
    pub stream_runs: Option<usize>,
    /// Streams in flight at once [default: 1]
    #[arg(long, value_name = "SC")]
    pub stream_concurrency: Option<usize>,
    /// Events per stream (at least 6) [default: 20]
    #[arg(long, value_name = "K")]
    pub events: Option<usize>,
    /// Microseconds between upstream stream events [default: 0]
    #[arg(long, value_name = "US")]
    pub interval_us: Option<u64>,
    /// Long streams held open at once, for memory [default: 1000; quick 100]
    #[arg(long, value_name = "S")]
    pub streams: Option<usize>,
    /// Warm-up requests each way, discarded [default: 500; quick 50]
    #[arg(long, value_name = "W")]
    pub warmup: Option<usize>,
    /// Also measure another gateway at URL with the same OpenAI-chat workload (configure it to
    /// forward `gpt-4o-mini` to http://127.0.0.1:PORT/v1, see --upstream-port)
    #[arg(long, value_name = "URL")]
    pub compare: Option<String>,
    /// Port of the benchmark's upstream [default: any free port]
    #[arg(long, value_name = "PORT")]
    pub upstream_port: Option<u16>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Elvish,
    Powershell,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// Shell to generate for
    pub shell: Shell,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Directory to write `man/` and `completions/` into
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out_dir: PathBuf,
}
