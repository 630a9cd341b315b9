
use builtin;
use str;

set edit:completion:arg-completer[relay] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'relay'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'relay'= {
            cand --config 'Config file [default: ~/.config/relay/config.toml]'
            cand --data-dir 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand serve 'Run the relay (headless)'
            cand demo 'Run a relay on simulated accounts and drive demo traffic (no credentials, no network)'
            cand dash 'Attach the dashboard to a running relay'
            cand account 'Upstream accounts: add, list, test, remove, subscription logins, pause and resume'
            cand key 'Create, list and revoke client keys'
            cand config 'Validate the config, show file locations, write a starter config'
            cand models 'List the models the configured accounts serve'
            cand usage 'Usage and cost from the ledger, grouped by model, key, account or day'
            cand requests 'Recent requests from the ledger, newest first'
            cand bench 'Measure what the relay adds: latency, throughput, first event, CPU, memory'
            cand doctor 'Check the setup: config, data dir, ledger, account secrets, upstream reachability'
            cand completions 'Print a shell completion script'
            cand generate 'Write man pages and completion scripts (for packagers)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'relay;serve'= {
            cand --listen 'Address to listen on [default: server.listen, 127.0.0.1:8787]'
            cand --config 'Config file [default: ~/.config/relay/config.toml]'
            cand --data-dir 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]'
            cand --dash 'Show the dashboard in this terminal (logs go to the log file only); quitting it stops the relay'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'relay;demo'= {
            cand --listen 'Address to listen on'
            cand --requests 'Stop after this many requests (default: run until Ctrl-C)'
            cand --config 'Config file [default: ~/.config/relay/config.toml]'
            cand --data-dir 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]'
            cand --no-dash 'Print one line per request instead of opening the dashboard (the default when stdout is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'relay;dash'= {
            cand --url 'The relay to attach to [default: http:// + server.listen, http://127.0.0.1:8787]'
            cand --config 'Config file [default: ~/.config/relay/config.toml]'
            cand --data-dir 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'relay;account'= {
            cand --config 'Config file [default: ~/.config/relay/config.toml]'
            cand --data-dir 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]'
            cand -h 'Print help'
            cand --help 'Print help'
            cand add 'Add an upstream account; its secret is read from stdin (or a prompt that does not echo) and stored in the OS keyring'
            cand list 'List accounts: live state from the running relay, else what the config says'
            cand remove 'Remove an account from the config and delete its stored secret'
            cand test 'Send one tiny real request through an account; report status, latency and rate limits'
            cand login 'Sign in to your own subscription (OAuth with PKCE); the tokens go to the keyring'
            cand import 'Use the login an official CLI keeps on this machine (Claude Code, the Codex CLI)'
            cand pause 'Pause an account on the running relay (no new requests until resumed)'
            cand resume 'Resume a paused account on the running relay'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'relay;account;add'= {
            cand --platform 'The provider'
            cand --auth 'How the account authenticates (for subscription logins use `account login` or `account import`)'
            cand --base-url 'Another endpoint speaking the platform''s API'
            cand --priority 'Lower is preferred [default: 50]'
            cand --concurrency 'Max requests in flight on this account [default: 3]'
            cand --group 'Groups it serves (repeatable) [default: default]'
            cand --model 'Model patterns it serves (repeatable) [default: the platform''s]'
            cand --proxy 'Send this account''s traffic through a proxy (http://, socks5://, socks5h://)'
            cand --config 'Config file [default: ~/.config/relay/config.toml]'
            cand --data-dir 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'relay;account;list'= {
            cand --url 'The relay to ask [default: http:// + server.listen]'
            cand --config 'Config file [default: ~/.config/relay/config.toml]'
            cand --data-dir 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'relay;account;remove'= {
            cand --config 'Config file [default: ~/.config/relay/config.toml]'
            cand --data-dir 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'relay;account;test'= {
            cand --model 'The model to ask [default: the platform''s cheapest]'
            cand --config 'Config file [default: ~/.config/relay/config.toml]'
            cand --data-dir 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]'
            cand --json 'Print JSON instead of lines'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'relay;account;login'= {
            cand --platform 'Whose login'
            cand --config 'Config file [default: ~/.config/relay/config.toml]'
            cand --data-dir 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'relay;account;import'= {
            cand --name 'Account name [default: claude-code or codex]'
            cand --file 'The credentials file [default: where the CLI keeps it]'
            cand --config 'Config file [default: ~/.config/relay/config.toml]'
            cand --data-dir 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'relay;account;pause'= {
            cand --url 'The relay to act on [default: http:// + server.listen]'
            cand --config 'Config file [default: ~/.config/relay/config.toml]'
            cand --data-dir 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'relay;account;resume'= {
            cand --url 'The relay to act on [default: http:// + server.listen]'
            cand --config 'Config file [default: ~/.config/relay/config.toml]'
            cand --data-dir 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'relay;account;help'= {
            cand add 'Add an upstream account; its secret is read from stdin (or a prompt that does not echo) and stored in the OS keyring'
            cand list 'List accounts: live state from the running relay, else what the config says'
            cand remove 'Remove an account from the config and delete its stored secret'
            cand test 'Send one tiny real request through an account; report status, latency and rate limits'
            cand login 'Sign in to your own subscription (OAuth with PKCE); the tokens go to the keyring'
            cand import 'Use the login an official CLI keeps on this machine (Claude Code, the Codex CLI)'
            cand pause 'Pause an account on the running relay (no new requests until resumed)'
            cand resume 'Resume a paused account on the running relay'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'relay;account;help;add'= {
        }
        &'relay;account;help;list'= {
        }
        &'relay;account;help;remove'= {
        }
        &'relay;account;help;test'= {
        }
        &'relay;account;help;login'= {
        }
        &'relay;account;help;import'= {
        }
        &'relay;account;help;pause'= {
        }
        &'relay;account;help;resume'= {
        }
        &'relay;account;help;help'= {
        }
        &'relay;key'= {
            cand --config 'Config file [default: ~/.config/relay/config.toml]'
            cand --data-dir 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]'
            cand -h 'Print help'
            cand --help 'Print help'
            cand create 'Create a client key; prints the secret as the only line on stdout'
            cand list 'List client keys (never their secrets)'
            cand revoke 'Revoke a client key'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'relay;key;create'= {
            cand --group 'Group whose accounts serve this key'
            cand --concurrency 'Max in-flight requests for this key [default: 5]'
            cand --daily-usd 'Daily budget in USD'
            cand --monthly-usd 'Monthly budget in USD'
            cand --models 'Allowed model patterns (exact or trailing `*`), comma-separated'
            cand --config 'Config file [default: ~/.config/relay/config.toml]'
            cand --data-dir 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'relay;key;list'= {
            cand --config 'Config file [default: ~/.config/relay/config.toml]'
            cand --data-dir 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'relay;key;revoke'= {
            cand --config 'Config file [default: ~/.config/relay/config.toml]'
            cand --data-dir 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'relay;key;help'= {
            cand create 'Create a client key; prints the secret as the only line on stdout'
            cand list 'List client keys (never their secrets)'
            cand revoke 'Revoke a client key'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'relay;key;help;create'= {
        }
        &'relay;key;help;list'= {
        }
        &'relay;key;help;revoke'= {
        }
        &'relay;key;help;help'= {
        }
        &'relay;config'= {
            cand --config 'Config file [default: ~/.config/relay/config.toml]'
            cand --data-dir 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]'
            cand -h 'Print help'
            cand --help 'Print help'
            cand check 'Validate the config; errors name the file, line and key path (exit 1 on errors)'
            cand path 'Print where relay''s files live'
            cand init 'Write a commented starter config'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'relay;config;check'= {
            cand --config 'Config file [default: ~/.config/relay/config.toml]'
            cand --data-dir 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'relay;config;path'= {
            cand --config 'Config file [default: ~/.config/relay/config.toml]'
            cand --data-dir 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'relay;config;init'= {
            cand --config 'Config file [default: ~/.config/relay/config.toml]'
            cand --data-dir 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]'
            cand --force 'Overwrite an existing file'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'relay;config;help'= {
            cand check 'Validate the config; errors name the file, line and key path (exit 1 on errors)'
            cand path 'Print where relay''s files live'
            cand init 'Write a commented starter config'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'relay;config;help;check'= {
        }
        &'relay;config;help;path'= {
        }
        &'relay;config;help;init'= {
        }
        &'relay;config;help;help'= {
        }
        &'relay;models'= {
            cand --group 'Group to list [default: default]'
            cand --config 'Config file [default: ~/.config/relay/config.toml]'
            cand --data-dir 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]'
            cand --json 'Print JSON instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'relay;usage'= {
            cand --since 'From this time [default: 30d]'
            cand --until 'Until this time [default: now]'
            cand --by 'Group by'
            cand --format 'Output format'
            cand --config 'Config file [default: ~/.config/relay/config.toml]'
            cand --data-dir 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'relay;requests'= {
            cand --since 'From this time [default: all]'
            cand --until 'Until this time [default: now]'
            cand --limit 'Show at most this many'
            cand --key 'Only this client key (`-` for keyless requests)'
            cand --account 'Only this account'
            cand --model 'Only this requested model'
            cand --status 'Only these outcomes: ok, error, interrupted, or an HTTP status such as 429'
            cand --format 'Output format'
            cand --config 'Config file [default: ~/.config/relay/config.toml]'
            cand --data-dir 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'relay;bench'= {
            cand --requests 'Non-streaming requests in the closed loop [default: 20000; quick 1000]'
            cand --concurrency 'Closed-loop concurrency [default: 8]'
            cand --rate 'Fixed rate for the open loop, requests/s [default: 2000; quick 500]'
            cand --seconds 'Seconds of the open loop, each way [default: 5; quick 1]'
            cand --stream-runs 'Streams per streaming scenario [default: 500; quick 50]'
            cand --stream-concurrency 'Streams in flight at once [default: 1]'
            cand --events 'Events per stream (at least 6) [default: 20]'
            cand --interval-us 'Microseconds between upstream stream events [default: 0]'
            cand --streams 'Long streams held open at once, for memory [default: 1000; quick 100]'
            cand --warmup 'Warm-up requests each way, discarded [default: 500; quick 50]'
            cand --compare 'Also measure another gateway at URL with the same OpenAI-chat workload (configure it to forward `gpt-4o-mini` to http://127.0.0.1:PORT/v1, see --upstream-port)'
            cand --upstream-port 'Port of the benchmark''s upstream [default: any free port]'
            cand --config 'Config file [default: ~/.config/relay/config.toml]'
            cand --data-dir 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]'
            cand --quick 'A short run (under 30 s): fewer requests, 1 s at 500 req/s, 100 held streams'
            cand --json 'Print JSON instead of a Markdown table'
            cand --pin 'Pin the relay to CPU 0 and the load to CPU 1 (needs `taskset`)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'relay;doctor'= {
            cand --config 'Config file [default: ~/.config/relay/config.toml]'
            cand --data-dir 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]'
            cand --offline 'Skip the upstream reachability checks'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'relay;completions'= {
            cand --config 'Config file [default: ~/.config/relay/config.toml]'
            cand --data-dir 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'relay;generate'= {
            cand --out-dir 'Directory to write `man/` and `completions/` into'
            cand --config 'Config file [default: ~/.config/relay/config.toml]'
            cand --data-dir 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'relay;help'= {
            cand serve 'Run the relay (headless)'
            cand demo 'Run a relay on simulated accounts and drive demo traffic (no credentials, no network)'
            cand dash 'Attach the dashboard to a running relay'
            cand account 'Upstream accounts: add, list, test, remove, subscription logins, pause and resume'
            cand key 'Create, list and revoke client keys'
            cand config 'Validate the config, show file locations, write a starter config'
            cand models 'List the models the configured accounts serve'
            cand usage 'Usage and cost from the ledger, grouped by model, key, account or day'
            cand requests 'Recent requests from the ledger, newest first'
            cand bench 'Measure what the relay adds: latency, throughput, first event, CPU, memory'
            cand doctor 'Check the setup: config, data dir, ledger, account secrets, upstream reachability'
            cand completions 'Print a shell completion script'
            cand generate 'Write man pages and completion scripts (for packagers)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'relay;help;serve'= {
        }
        &'relay;help;demo'= {
        }
        &'relay;help;dash'= {
        }
        &'relay;help;account'= {
            cand add 'Add an upstream account; its secret is read from stdin (or a prompt that does not echo) and stored in the OS keyring'
            cand list 'List accounts: live state from the running relay, else what the config says'
            cand remove 'Remove an account from the config and delete its stored secret'
            cand test 'Send one tiny real request through an account; report status, latency and rate limits'
            cand login 'Sign in to your own subscription (OAuth with PKCE); the tokens go to the keyring'
            cand import 'Use the login an official CLI keeps on this machine (Claude Code, the Codex CLI)'
            cand pause 'Pause an account on the running relay (no new requests until resumed)'
            cand resume 'Resume a paused account on the running relay'
        }
        &'relay;help;account;add'= {
        }
        &'relay;help;account;list'= {
        }
        &'relay;help;account;remove'= {
        }
        &'relay;help;account;test'= {
        }
        &'relay;help;account;login'= {
        }
        &'relay;help;account;import'= {
        }
        &'relay;help;account;pause'= {
        }
        &'relay;help;account;resume'= {
        }
        &'relay;help;key'= {
            cand create 'Create a client key; prints the secret as the only line on stdout'
            cand list 'List client keys (never their secrets)'
            cand revoke 'Revoke a client key'
        }
        &'relay;help;key;create'= {
        }
        &'relay;help;key;list'= {
        }
        &'relay;help;key;revoke'= {
        }
        &'relay;help;config'= {
            cand check 'Validate the config; errors name the file, line and key path (exit 1 on errors)'
            cand path 'Print where relay''s files live'
            cand init 'Write a commented starter config'
        }
        &'relay;help;config;check'= {
        }
        &'relay;help;config;path'= {
        }
        &'relay;help;config;init'= {
        }
        &'relay;help;models'= {
        }
        &'relay;help;usage'= {
        }
        &'relay;help;requests'= {
        }
        &'relay;help;bench'= {
        }
        &'relay;help;doctor'= {
        }
        &'relay;help;completions'= {
        }
        &'relay;help;generate'= {
        }
        &'relay;help;help'= {
        }
    ]
    $completions[$command]
}
