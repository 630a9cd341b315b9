# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_relay_global_optspecs
    string join \n config= data-dir= h/help V/version
end

function __fish_relay_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_relay_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_relay_using_subcommand
    set -l cmd (__fish_relay_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c relay -n "__fish_relay_needs_command" -l config -d 'Config file [default: ~/.config/relay/config.toml]' -r -F
complete -c relay -n "__fish_relay_needs_command" -l data-dir -d 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]' -r -F
complete -c relay -n "__fish_relay_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c relay -n "__fish_relay_needs_command" -s V -l version -d 'Print version'
complete -c relay -n "__fish_relay_needs_command" -f -a "serve" -d 'Run the relay (headless)'
complete -c relay -n "__fish_relay_needs_command" -f -a "demo" -d 'Run a relay on simulated accounts and drive demo traffic (no credentials, no network)'
complete -c relay -n "__fish_relay_needs_command" -f -a "dash" -d 'Attach the dashboard to a running relay'
complete -c relay -n "__fish_relay_needs_command" -f -a "account" -d 'Upstream accounts: add, list, test, remove, subscription logins, pause and resume'
complete -c relay -n "__fish_relay_needs_command" -f -a "key" -d 'Create, list and revoke client keys'
complete -c relay -n "__fish_relay_needs_command" -f -a "config" -d 'Validate the config, show file locations, write a starter config'
complete -c relay -n "__fish_relay_needs_command" -f -a "models" -d 'List the models the configured accounts serve'
complete -c relay -n "__fish_relay_needs_command" -f -a "usage" -d 'Usage and cost from the ledger, grouped by model, key, account or day'
complete -c relay -n "__fish_relay_needs_command" -f -a "requests" -d 'Recent requests from the ledger, newest first'
complete -c relay -n "__fish_relay_needs_command" -f -a "bench" -d 'Measure what the relay adds: latency, throughput, first event, CPU, memory'
complete -c relay -n "__fish_relay_needs_command" -f -a "doctor" -d 'Check the setup: config, data dir, ledger, account secrets, upstream reachability'
complete -c relay -n "__fish_relay_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c relay -n "__fish_relay_needs_command" -f -a "generate" -d 'Write man pages and completion scripts (for packagers)'
complete -c relay -n "__fish_relay_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c relay -n "__fish_relay_using_subcommand serve" -l listen -d 'Address to listen on [default: server.listen, 127.0.0.1:8787]' -r
complete -c relay -n "__fish_relay_using_subcommand serve" -l config -d 'Config file [default: ~/.config/relay/config.toml]' -r -F
complete -c relay -n "__fish_relay_using_subcommand serve" -l data-dir -d 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]' -r -F
complete -c relay -n "__fish_relay_using_subcommand serve" -l dash -d 'Show the dashboard in this terminal (logs go to the log file only); quitting it stops the relay'
complete -c relay -n "__fish_relay_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c relay -n "__fish_relay_using_subcommand demo" -l listen -d 'Address to listen on' -r
complete -c relay -n "__fish_relay_using_subcommand demo" -l requests -d 'Stop after this many requests (default: run until Ctrl-C)' -r
complete -c relay -n "__fish_relay_using_subcommand demo" -l config -d 'Config file [default: ~/.config/relay/config.toml]' -r -F
complete -c relay -n "__fish_relay_using_subcommand demo" -l data-dir -d 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]' -r -F
complete -c relay -n "__fish_relay_using_subcommand demo" -l no-dash -d 'Print one line per request instead of opening the dashboard (the default when stdout is not a terminal)'
complete -c relay -n "__fish_relay_using_subcommand demo" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c relay -n "__fish_relay_using_subcommand dash" -l url -d 'The relay to attach to [default: http:// + server.listen, http://127.0.0.1:8787]' -r
complete -c relay -n "__fish_relay_using_subcommand dash" -l config -d 'Config file [default: ~/.config/relay/config.toml]' -r -F
complete -c relay -n "__fish_relay_using_subcommand dash" -l data-dir -d 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]' -r -F
complete -c relay -n "__fish_relay_using_subcommand dash" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c relay -n "__fish_relay_using_subcommand account; and not __fish_seen_subcommand_from add list remove test login import pause resume help" -l config -d 'Config file [default: ~/.config/relay/config.toml]' -r -F
complete -c relay -n "__fish_relay_using_subcommand account; and not __fish_seen_subcommand_from add list remove test login import pause resume help" -l data-dir -d 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]' -r -F
complete -c relay -n "__fish_relay_using_subcommand account; and not __fish_seen_subcommand_from add list remove test login import pause resume help" -s h -l help -d 'Print help'
complete -c relay -n "__fish_relay_using_subcommand account; and not __fish_seen_subcommand_from add list remove test login import pause resume help" -f -a "add" -d 'Add an upstream account; its secret is read from stdin (or a prompt that does not echo) and stored in the OS keyring'
complete -c relay -n "__fish_relay_using_subcommand account; and not __fish_seen_subcommand_from add list remove test login import pause resume help" -f -a "list" -d 'List accounts: live state from the running relay, else what the config says'
complete -c relay -n "__fish_relay_using_subcommand account; and not __fish_seen_subcommand_from add list remove test login import pause resume help" -f -a "remove" -d 'Remove an account from the config and delete its stored secret'
complete -c relay -n "__fish_relay_using_subcommand account; and not __fish_seen_subcommand_from add list remove test login import pause resume help" -f -a "test" -d 'Send one tiny real request through an account; report status, latency and rate limits'
complete -c relay -n "__fish_relay_using_subcommand account; and not __fish_seen_subcommand_from add list remove test login import pause resume help" -f -a "login" -d 'Sign in to your own subscription (OAuth with PKCE); the tokens go to the keyring'
complete -c relay -n "__fish_relay_using_subcommand account; and not __fish_seen_subcommand_from add list remove test login import pause resume help" -f -a "import" -d 'Use the login an official CLI keeps on this machine (Claude Code, the Codex CLI)'
complete -c relay -n "__fish_relay_using_subcommand account; and not __fish_seen_subcommand_from add list remove test login import pause resume help" -f -a "pause" -d 'Pause an account on the running relay (no new requests until resumed)'
complete -c relay -n "__fish_relay_using_subcommand account; and not __fish_seen_subcommand_from add list remove test login import pause resume help" -f -a "resume" -d 'Resume a paused account on the running relay'
complete -c relay -n "__fish_relay_using_subcommand account; and not __fish_seen_subcommand_from add list remove test login import pause resume help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from add" -l platform -d 'The provider' -r -f -a "anthropic\t''
openai\t''
gemini\t''"
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from add" -l auth -d 'How the account authenticates (for subscription logins use `account login` or `account import`)' -r -f -a "api-key\t'An API key from the provider\'s console'
setup-token\t'A long-lived token from `claude setup-token` (anthropic)'"
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from add" -l base-url -d 'Another endpoint speaking the platform\'s API' -r
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from add" -l priority -d 'Lower is preferred [default: 50]' -r
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from add" -l concurrency -d 'Max requests in flight on this account [default: 3]' -r
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from add" -l group -d 'Groups it serves (repeatable) [default: default]' -r
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from add" -l model -d 'Model patterns it serves (repeatable) [default: the platform\'s]' -r
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from add" -l proxy -d 'Send this account\'s traffic through a proxy (http://, socks5://, socks5h://)' -r
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from add" -l config -d 'Config file [default: ~/.config/relay/config.toml]' -r -F
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from add" -l data-dir -d 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]' -r -F
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from list" -l url -d 'The relay to ask [default: http:// + server.listen]' -r
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from list" -l config -d 'Config file [default: ~/.config/relay/config.toml]' -r -F
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from list" -l data-dir -d 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]' -r -F
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from list" -l json -d 'Print JSON instead of a table'
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from remove" -l config -d 'Config file [default: ~/.config/relay/config.toml]' -r -F
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from remove" -l data-dir -d 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]' -r -F
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help'
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from test" -l model -d 'The model to ask [default: the platform\'s cheapest]' -r
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from test" -l config -d 'Config file [default: ~/.config/relay/config.toml]' -r -F
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from test" -l data-dir -d 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]' -r -F
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from test" -l json -d 'Print JSON instead of lines'
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from test" -s h -l help -d 'Print help'
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from login" -l platform -d 'Whose login' -r -f -a "anthropic\t'A Claude Pro/Max login (as Claude Code uses it)'
openai\t'A ChatGPT login (as the Codex CLI uses it)'"
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from login" -l config -d 'Config file [default: ~/.config/relay/config.toml]' -r -F
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from login" -l data-dir -d 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]' -r -F
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from login" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from import" -l name -d 'Account name [default: claude-code or codex]' -r
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from import" -l file -d 'The credentials file [default: where the CLI keeps it]' -r -F
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from import" -l config -d 'Config file [default: ~/.config/relay/config.toml]' -r -F
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from import" -l data-dir -d 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]' -r -F
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from import" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from pause" -l url -d 'The relay to act on [default: http:// + server.listen]' -r
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from pause" -l config -d 'Config file [default: ~/.config/relay/config.toml]' -r -F
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from pause" -l data-dir -d 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]' -r -F
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from pause" -s h -l help -d 'Print help'
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from resume" -l url -d 'The relay to act on [default: http:// + server.listen]' -r
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from resume" -l config -d 'Config file [default: ~/.config/relay/config.toml]' -r -F
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from resume" -l data-dir -d 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]' -r -F
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from resume" -s h -l help -d 'Print help'
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "add" -d 'Add an upstream account; its secret is read from stdin (or a prompt that does not echo) and stored in the OS keyring'
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "list" -d 'List accounts: live state from the running relay, else what the config says'
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Remove an account from the config and delete its stored secret'
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "test" -d 'Send one tiny real request through an account; report status, latency and rate limits'
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "login" -d 'Sign in to your own subscription (OAuth with PKCE); the tokens go to the keyring'
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "import" -d 'Use the login an official CLI keeps on this machine (Claude Code, the Codex CLI)'
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "pause" -d 'Pause an account on the running relay (no new requests until resumed)'
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "resume" -d 'Resume a paused account on the running relay'
complete -c relay -n "__fish_relay_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c relay -n "__fish_relay_using_subcommand key; and not __fish_seen_subcommand_from create list revoke help" -l config -d 'Config file [default: ~/.config/relay/config.toml]' -r -F
complete -c relay -n "__fish_relay_using_subcommand key; and not __fish_seen_subcommand_from create list revoke help" -l data-dir -d 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]' -r -F
complete -c relay -n "__fish_relay_using_subcommand key; and not __fish_seen_subcommand_from create list revoke help" -s h -l help -d 'Print help'
complete -c relay -n "__fish_relay_using_subcommand key; and not __fish_seen_subcommand_from create list revoke help" -f -a "create" -d 'Create a client key; prints the secret as the only line on stdout'
complete -c relay -n "__fish_relay_using_subcommand key; and not __fish_seen_subcommand_from create list revoke help" -f -a "list" -d 'List client keys (never their secrets)'
complete -c relay -n "__fish_relay_using_subcommand key; and not __fish_seen_subcommand_from create list revoke help" -f -a "revoke" -d 'Revoke a client key'
complete -c relay -n "__fish_relay_using_subcommand key; and not __fish_seen_subcommand_from create list revoke help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c relay -n "__fish_relay_using_subcommand key; and __fish_seen_subcommand_from create" -l group -d 'Group whose accounts serve this key' -r
complete -c relay -n "__fish_relay_using_subcommand key; and __fish_seen_subcommand_from create" -l concurrency -d 'Max in-flight requests for this key [default: 5]' -r
complete -c relay -n "__fish_relay_using_subcommand key; and __fish_seen_subcommand_from create" -l daily-usd -d 'Daily budget in USD' -r
complete -c relay -n "__fish_relay_using_subcommand key; and __fish_seen_subcommand_from create" -l monthly-usd -d 'Monthly budget in USD' -r
complete -c relay -n "__fish_relay_using_subcommand key; and __fish_seen_subcommand_from create" -l models -d 'Allowed model patterns (exact or trailing `*`), comma-separated' -r
complete -c relay -n "__fish_relay_using_subcommand key; and __fish_seen_subcommand_from create" -l config -d 'Config file [default: ~/.config/relay/config.toml]' -r -F
complete -c relay -n "__fish_relay_using_subcommand key; and __fish_seen_subcommand_from create" -l data-dir -d 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]' -r -F
complete -c relay -n "__fish_relay_using_subcommand key; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c relay -n "__fish_relay_using_subcommand key; and __fish_seen_subcommand_from list" -l config -d 'Config file [default: ~/.config/relay/config.toml]' -r -F
complete -c relay -n "__fish_relay_using_subcommand key; and __fish_seen_subcommand_from list" -l data-dir -d 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]' -r -F
complete -c relay -n "__fish_relay_using_subcommand key; and __fish_seen_subcommand_from list" -l json -d 'Print JSON instead of a table'
complete -c relay -n "__fish_relay_using_subcommand key; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c relay -n "__fish_relay_using_subcommand key; and __fish_seen_subcommand_from revoke" -l config -d 'Config file [default: ~/.config/relay/config.toml]' -r -F
complete -c relay -n "__fish_relay_using_subcommand key; and __fish_seen_subcommand_from revoke" -l data-dir -d 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]' -r -F
complete -c relay -n "__fish_relay_using_subcommand key; and __fish_seen_subcommand_from revoke" -s h -l help -d 'Print help'
complete -c relay -n "__fish_relay_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "create" -d 'Create a client key; prints the secret as the only line on stdout'
complete -c relay -n "__fish_relay_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "list" -d 'List client keys (never their secrets)'
complete -c relay -n "__fish_relay_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "revoke" -d 'Revoke a client key'
complete -c relay -n "__fish_relay_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c relay -n "__fish_relay_using_subcommand config; and not __fish_seen_subcommand_from check path init help" -l config -d 'Config file [default: ~/.config/relay/config.toml]' -r -F
complete -c relay -n "__fish_relay_using_subcommand config; and not __fish_seen_subcommand_from check path init help" -l data-dir -d 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]' -r -F
complete -c relay -n "__fish_relay_using_subcommand config; and not __fish_seen_subcommand_from check path init help" -s h -l help -d 'Print help'
complete -c relay -n "__fish_relay_using_subcommand config; and not __fish_seen_subcommand_from check path init help" -f -a "check" -d 'Validate the config; errors name the file, line and key path (exit 1 on errors)'
complete -c relay -n "__fish_relay_using_subcommand config; and not __fish_seen_subcommand_from check path init help" -f -a "path" -d 'Print where relay\'s files live'
complete -c relay -n "__fish_relay_using_subcommand config; and not __fish_seen_subcommand_from check path init help" -f -a "init" -d 'Write a commented starter config'
complete -c relay -n "__fish_relay_using_subcommand config; and not __fish_seen_subcommand_from check path init help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c relay -n "__fish_relay_using_subcommand config; and __fish_seen_subcommand_from check" -l config -d 'Config file [default: ~/.config/relay/config.toml]' -r -F
complete -c relay -n "__fish_relay_using_subcommand config; and __fish_seen_subcommand_from check" -l data-dir -d 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]' -r -F
complete -c relay -n "__fish_relay_using_subcommand config; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help'
complete -c relay -n "__fish_relay_using_subcommand config; and __fish_seen_subcommand_from path" -l config -d 'Config file [default: ~/.config/relay/config.toml]' -r -F
complete -c relay -n "__fish_relay_using_subcommand config; and __fish_seen_subcommand_from path" -l data-dir -d 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]' -r -F
complete -c relay -n "__fish_relay_using_subcommand config; and __fish_seen_subcommand_from path" -s h -l help -d 'Print help'
complete -c relay -n "__fish_relay_using_subcommand config; and __fish_seen_subcommand_from init" -l config -d 'Config file [default: ~/.config/relay/config.toml]' -r -F
complete -c relay -n "__fish_relay_using_subcommand config; and __fish_seen_subcommand_from init" -l data-dir -d 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]' -r -F
complete -c relay -n "__fish_relay_using_subcommand config; and __fish_seen_subcommand_from init" -l force -d 'Overwrite an existing file'
complete -c relay -n "__fish_relay_using_subcommand config; and __fish_seen_subcommand_from init" -s h -l help -d 'Print help'
complete -c relay -n "__fish_relay_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "check" -d 'Validate the config; errors name the file, line and key path (exit 1 on errors)'
complete -c relay -n "__fish_relay_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "path" -d 'Print where relay\'s files live'
complete -c relay -n "__fish_relay_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "init" -d 'Write a commented starter config'
complete -c relay -n "__fish_relay_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c relay -n "__fish_relay_using_subcommand models" -l group -d 'Group to list [default: default]' -r
complete -c relay -n "__fish_relay_using_subcommand models" -l config -d 'Config file [default: ~/.config/relay/config.toml]' -r -F
complete -c relay -n "__fish_relay_using_subcommand models" -l data-dir -d 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]' -r -F
complete -c relay -n "__fish_relay_using_subcommand models" -l json -d 'Print JSON instead of a table'
complete -c relay -n "__fish_relay_using_subcommand models" -s h -l help -d 'Print help'
complete -c relay -n "__fish_relay_using_subcommand usage" -l since -d 'From this time [default: 30d]' -r
complete -c relay -n "__fish_relay_using_subcommand usage" -l until -d 'Until this time [default: now]' -r
complete -c relay -n "__fish_relay_using_subcommand usage" -l by -d 'Group by' -r -f -a "model\t'The model the client asked for'
key\t'The client key'
account\t'The account that served'
day\t'The calendar day'"
complete -c relay -n "__fish_relay_using_subcommand usage" -l format -d 'Output format' -r -f -a "table\t'Aligned columns for a terminal'
json\t'One JSON array'
csv\t'Comma-separated values with a header row'"
complete -c relay -n "__fish_relay_using_subcommand usage" -l config -d 'Config file [default: ~/.config/relay/config.toml]' -r -F
complete -c relay -n "__fish_relay_using_subcommand usage" -l data-dir -d 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]' -r -F
complete -c relay -n "__fish_relay_using_subcommand usage" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c relay -n "__fish_relay_using_subcommand requests" -l since -d 'From this time [default: all]' -r
complete -c relay -n "__fish_relay_using_subcommand requests" -l until -d 'Until this time [default: now]' -r
complete -c relay -n "__fish_relay_using_subcommand requests" -l limit -d 'Show at most this many' -r
complete -c relay -n "__fish_relay_using_subcommand requests" -l key -d 'Only this client key (`-` for keyless requests)' -r
complete -c relay -n "__fish_relay_using_subcommand requests" -l account -d 'Only this account' -r
complete -c relay -n "__fish_relay_using_subcommand requests" -l model -d 'Only this requested model' -r
complete -c relay -n "__fish_relay_using_subcommand requests" -l status -d 'Only these outcomes: ok, error, interrupted, or an HTTP status such as 429' -r
complete -c relay -n "__fish_relay_using_subcommand requests" -l format -d 'Output format' -r -f -a "table\t'Aligned columns for a terminal'
json\t'One JSON array'
csv\t'Comma-separated values with a header row'"
complete -c relay -n "__fish_relay_using_subcommand requests" -l config -d 'Config file [default: ~/.config/relay/config.toml]' -r -F
complete -c relay -n "__fish_relay_using_subcommand requests" -l data-dir -d 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]' -r -F
complete -c relay -n "__fish_relay_using_subcommand requests" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c relay -n "__fish_relay_using_subcommand bench" -l requests -d 'Non-streaming requests in the closed loop [default: 20000; quick 1000]' -r
complete -c relay -n "__fish_relay_using_subcommand bench" -l concurrency -d 'Closed-loop concurrency [default: 8]' -r
complete -c relay -n "__fish_relay_using_subcommand bench" -l rate -d 'Fixed rate for the open loop, requests/s [default: 2000; quick 500]' -r
complete -c relay -n "__fish_relay_using_subcommand bench" -l seconds -d 'Seconds of the open loop, each way [default: 5; quick 1]' -r
complete -c relay -n "__fish_relay_using_subcommand bench" -l stream-runs -d 'Streams per streaming scenario [default: 500; quick 50]' -r
complete -c relay -n "__fish_relay_using_subcommand bench" -l stream-concurrency -d 'Streams in flight at once [default: 1]' -r
complete -c relay -n "__fish_relay_using_subcommand bench" -l events -d 'Events per stream (at least 6) [default: 20]' -r
complete -c relay -n "__fish_relay_using_subcommand bench" -l interval-us -d 'Microseconds between upstream stream events [default: 0]' -r
complete -c relay -n "__fish_relay_using_subcommand bench" -l streams -d 'Long streams held open at once, for memory [default: 1000; quick 100]' -r
complete -c relay -n "__fish_relay_using_subcommand bench" -l warmup -d 'Warm-up requests each way, discarded [default: 500; quick 50]' -r
complete -c relay -n "__fish_relay_using_subcommand bench" -l compare -d 'Also measure another gateway at URL with the same OpenAI-chat workload (configure it to forward `gpt-4o-mini` to http://127.0.0.1:PORT/v1, see --upstream-port)' -r
complete -c relay -n "__fish_relay_using_subcommand bench" -l upstream-port -d 'Port of the benchmark\'s upstream [default: any free port]' -r
complete -c relay -n "__fish_relay_using_subcommand bench" -l config -d 'Config file [default: ~/.config/relay/config.toml]' -r -F
complete -c relay -n "__fish_relay_using_subcommand bench" -l data-dir -d 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]' -r -F
complete -c relay -n "__fish_relay_using_subcommand bench" -l quick -d 'A short run (under 30 s): fewer requests, 1 s at 500 req/s, 100 held streams'
complete -c relay -n "__fish_relay_using_subcommand bench" -l json -d 'Print JSON instead of a Markdown table'
complete -c relay -n "__fish_relay_using_subcommand bench" -l pin -d 'Pin the relay to CPU 0 and the load to CPU 1 (needs `taskset`)'
complete -c relay -n "__fish_relay_using_subcommand bench" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c relay -n "__fish_relay_using_subcommand doctor" -l config -d 'Config file [default: ~/.config/relay/config.toml]' -r -F
complete -c relay -n "__fish_relay_using_subcommand doctor" -l data-dir -d 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]' -r -F
complete -c relay -n "__fish_relay_using_subcommand doctor" -l offline -d 'Skip the upstream reachability checks'
complete -c relay -n "__fish_relay_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c relay -n "__fish_relay_using_subcommand completions" -l config -d 'Config file [default: ~/.config/relay/config.toml]' -r -F
complete -c relay -n "__fish_relay_using_subcommand completions" -l data-dir -d 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]' -r -F
complete -c relay -n "__fish_relay_using_subcommand completions" -s h -l help -d 'Print help'
complete -c relay -n "__fish_relay_using_subcommand generate" -l out-dir -d 'Directory to write `man/` and `completions/` into' -r -F
complete -c relay -n "__fish_relay_using_subcommand generate" -l config -d 'Config file [default: ~/.config/relay/config.toml]' -r -F
complete -c relay -n "__fish_relay_using_subcommand generate" -l data-dir -d 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]' -r -F
complete -c relay -n "__fish_relay_using_subcommand generate" -s h -l help -d 'Print help'
complete -c relay -n "__fish_relay_using_subcommand help; and not __fish_seen_subcommand_from serve demo dash account key config models usage requests bench doctor completions generate help" -f -a "serve" -d 'Run the relay (headless)'
complete -c relay -n "__fish_relay_using_subcommand help; and not __fish_seen_subcommand_from serve demo dash account key config models usage requests bench doctor completions generate help" -f -a "demo" -d 'Run a relay on simulated accounts and drive demo traffic (no credentials, no network)'
complete -c relay -n "__fish_relay_using_subcommand help; and not __fish_seen_subcommand_from serve demo dash account key config models usage requests bench doctor completions generate help" -f -a "dash" -d 'Attach the dashboard to a running relay'
complete -c relay -n "__fish_relay_using_subcommand help; and not __fish_seen_subcommand_from serve demo dash account key config models usage requests bench doctor completions generate help" -f -a "account" -d 'Upstream accounts: add, list, test, remove, subscription logins, pause and resume'
complete -c relay -n "__fish_relay_using_subcommand help; and not __fish_seen_subcommand_from serve demo dash account key config models usage requests bench doctor completions generate help" -f -a "key" -d 'Create, list and revoke client keys'
complete -c relay -n "__fish_relay_using_subcommand help; and not __fish_seen_subcommand_from serve demo dash account key config models usage requests bench doctor completions generate help" -f -a "config" -d 'Validate the config, show file locations, write a starter config'
complete -c relay -n "__fish_relay_using_subcommand help; and not __fish_seen_subcommand_from serve demo dash account key config models usage requests bench doctor completions generate help" -f -a "models" -d 'List the models the configured accounts serve'
complete -c relay -n "__fish_relay_using_subcommand help; and not __fish_seen_subcommand_from serve demo dash account key config models usage requests bench doctor completions generate help" -f -a "usage" -d 'Usage and cost from the ledger, grouped by model, key, account or day'
complete -c relay -n "__fish_relay_using_subcommand help; and not __fish_seen_subcommand_from serve demo dash account key config models usage requests bench doctor completions generate help" -f -a "requests" -d 'Recent requests from the ledger, newest first'
complete -c relay -n "__fish_relay_using_subcommand help; and not __fish_seen_subcommand_from serve demo dash account key config models usage requests bench doctor completions generate help" -f -a "bench" -d 'Measure what the relay adds: latency, throughput, first event, CPU, memory'
complete -c relay -n "__fish_relay_using_subcommand help; and not __fish_seen_subcommand_from serve demo dash account key config models usage requests bench doctor completions generate help" -f -a "doctor" -d 'Check the setup: config, data dir, ledger, account secrets, upstream reachability'
complete -c relay -n "__fish_relay_using_subcommand help; and not __fish_seen_subcommand_from serve demo dash account key config models usage requests bench doctor completions generate help" -f -a "completions" -d 'Print a shell completion script'
complete -c relay -n "__fish_relay_using_subcommand help; and not __fish_seen_subcommand_from serve demo dash account key config models usage requests bench doctor completions generate help" -f -a "generate" -d 'Write man pages and completion scripts (for packagers)'
complete -c relay -n "__fish_relay_using_subcommand help; and not __fish_seen_subcommand_from serve demo dash account key config models usage requests bench doctor completions generate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c relay -n "__fish_relay_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "add" -d 'Add an upstream account; its secret is read from stdin (or a prompt that does not echo) and stored in the OS keyring'
complete -c relay -n "__fish_relay_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "list" -d 'List accounts: live state from the running relay, else what the config says'
complete -c relay -n "__fish_relay_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "remove" -d 'Remove an account from the config and delete its stored secret'
complete -c relay -n "__fish_relay_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "test" -d 'Send one tiny real request through an account; report status, latency and rate limits'
complete -c relay -n "__fish_relay_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "login" -d 'Sign in to your own subscription (OAuth with PKCE); the tokens go to the keyring'
complete -c relay -n "__fish_relay_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "import" -d 'Use the login an official CLI keeps on this machine (Claude Code, the Codex CLI)'
complete -c relay -n "__fish_relay_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "pause" -d 'Pause an account on the running relay (no new requests until resumed)'
complete -c relay -n "__fish_relay_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "resume" -d 'Resume a paused account on the running relay'
complete -c relay -n "__fish_relay_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "create" -d 'Create a client key; prints the secret as the only line on stdout'
complete -c relay -n "__fish_relay_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "list" -d 'List client keys (never their secrets)'
complete -c relay -n "__fish_relay_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "revoke" -d 'Revoke a client key'
complete -c relay -n "__fish_relay_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "check" -d 'Validate the config; errors name the file, line and key path (exit 1 on errors)'
complete -c relay -n "__fish_relay_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "path" -d 'Print where relay\'s files live'
complete -c relay -n "__fish_relay_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "init" -d 'Write a commented starter config'
