
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'relay' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'relay'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'relay' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: ~/.config/relay/config.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run the relay (headless)')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'Run a relay on simulated accounts and drive demo traffic (no credentials, no network)')
            [CompletionResult]::new('dash', 'dash', [CompletionResultType]::ParameterValue, 'Attach the dashboard to a running relay')
            [CompletionResult]::new('account', 'account', [CompletionResultType]::ParameterValue, 'Upstream accounts: add, list, test, remove, subscription logins, pause and resume')
            [CompletionResult]::new('key', 'key', [CompletionResultType]::ParameterValue, 'Create, list and revoke client keys')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Validate the config, show file locations, write a starter config')
            [CompletionResult]::new('models', 'models', [CompletionResultType]::ParameterValue, 'List the models the configured accounts serve')
            [CompletionResult]::new('usage', 'usage', [CompletionResultType]::ParameterValue, 'Usage and cost from the ledger, grouped by model, key, account or day')
            [CompletionResult]::new('requests', 'requests', [CompletionResultType]::ParameterValue, 'Recent requests from the ledger, newest first')
            [CompletionResult]::new('bench', 'bench', [CompletionResultType]::ParameterValue, 'Measure what the relay adds: latency, throughput, first event, CPU, memory')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check the setup: config, data dir, ledger, account secrets, upstream reachability')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Write man pages and completion scripts (for packagers)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'relay;serve' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to listen on [default: server.listen, 127.0.0.1:8787]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: ~/.config/relay/config.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]')
            [CompletionResult]::new('--dash', '--dash', [CompletionResultType]::ParameterName, 'Show the dashboard in this terminal (logs go to the log file only); quitting it stops the relay')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'relay;demo' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to listen on')
            [CompletionResult]::new('--requests', '--requests', [CompletionResultType]::ParameterName, 'Stop after this many requests (default: run until Ctrl-C)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: ~/.config/relay/config.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]')
            [CompletionResult]::new('--no-dash', '--no-dash', [CompletionResultType]::ParameterName, 'Print one line per request instead of opening the dashboard (the default when stdout is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'relay;dash' {
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'The relay to attach to [default: http:// + server.listen, http://127.0.0.1:8787]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: ~/.config/relay/config.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'relay;account' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: ~/.config/relay/config.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add an upstream account; its secret is read from stdin (or a prompt that does not echo) and stored in the OS keyring')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List accounts: live state from the running relay, else what the config says')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove an account from the config and delete its stored secret')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Send one tiny real request through an account; report status, latency and rate limits')
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Sign in to your own subscription (OAuth with PKCE); the tokens go to the keyring')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Use the login an official CLI keeps on this machine (Claude Code, the Codex CLI)')
            [CompletionResult]::new('pause', 'pause', [CompletionResultType]::ParameterValue, 'Pause an account on the running relay (no new requests until resumed)')
            [CompletionResult]::new('resume', 'resume', [CompletionResultType]::ParameterValue, 'Resume a paused account on the running relay')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'relay;account;add' {
            [CompletionResult]::new('--platform', '--platform', [CompletionResultType]::ParameterName, 'The provider')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'How the account authenticates (for subscription logins use `account login` or `account import`)')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Another endpoint speaking the platform''s API')
            [CompletionResult]::new('--priority', '--priority', [CompletionResultType]::ParameterName, 'Lower is preferred [default: 50]')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Max requests in flight on this account [default: 3]')
            [CompletionResult]::new('--group', '--group', [CompletionResultType]::ParameterName, 'Groups it serves (repeatable) [default: default]')
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'Model patterns it serves (repeatable) [default: the platform''s]')
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'Send this account''s traffic through a proxy (http://, socks5://, socks5h://)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: ~/.config/relay/config.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'relay;account;list' {
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'The relay to ask [default: http:// + server.listen]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: ~/.config/relay/config.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'relay;account;remove' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: ~/.config/relay/config.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'relay;account;test' {
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'The model to ask [default: the platform''s cheapest]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: ~/.config/relay/config.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of lines')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'relay;account;login' {
            [CompletionResult]::new('--platform', '--platform', [CompletionResultType]::ParameterName, 'Whose login')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: ~/.config/relay/config.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'relay;account;import' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Account name [default: claude-code or codex]')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'The credentials file [default: where the CLI keeps it]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: ~/.config/relay/config.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'relay;account;pause' {
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'The relay to act on [default: http:// + server.listen]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: ~/.config/relay/config.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'relay;account;resume' {
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'The relay to act on [default: http:// + server.listen]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: ~/.config/relay/config.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'relay;account;help' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add an upstream account; its secret is read from stdin (or a prompt that does not echo) and stored in the OS keyring')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List accounts: live state from the running relay, else what the config says')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove an account from the config and delete its stored secret')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Send one tiny real request through an account; report status, latency and rate limits')
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Sign in to your own subscription (OAuth with PKCE); the tokens go to the keyring')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Use the login an official CLI keeps on this machine (Claude Code, the Codex CLI)')
            [CompletionResult]::new('pause', 'pause', [CompletionResultType]::ParameterValue, 'Pause an account on the running relay (no new requests until resumed)')
            [CompletionResult]::new('resume', 'resume', [CompletionResultType]::ParameterValue, 'Resume a paused account on the running relay')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'relay;account;help;add' {
            break
        }
        'relay;account;help;list' {
            break
        }
        'relay;account;help;remove' {
            break
        }
        'relay;account;help;test' {
            break
        }
        'relay;account;help;login' {
            break
        }
        'relay;account;help;import' {
            break
        }
        'relay;account;help;pause' {
            break
        }
        'relay;account;help;resume' {
            break
        }
        'relay;account;help;help' {
            break
        }
        'relay;key' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: ~/.config/relay/config.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a client key; prints the secret as the only line on stdout')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List client keys (never their secrets)')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke a client key')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'relay;key;create' {
            [CompletionResult]::new('--group', '--group', [CompletionResultType]::ParameterName, 'Group whose accounts serve this key')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Max in-flight requests for this key [default: 5]')
            [CompletionResult]::new('--daily-usd', '--daily-usd', [CompletionResultType]::ParameterName, 'Daily budget in USD')
            [CompletionResult]::new('--monthly-usd', '--monthly-usd', [CompletionResultType]::ParameterName, 'Monthly budget in USD')
            [CompletionResult]::new('--models', '--models', [CompletionResultType]::ParameterName, 'Allowed model patterns (exact or trailing `*`), comma-separated')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: ~/.config/relay/config.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'relay;key;list' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: ~/.config/relay/config.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'relay;key;revoke' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: ~/.config/relay/config.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'relay;key;help' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a client key; prints the secret as the only line on stdout')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List client keys (never their secrets)')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke a client key')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'relay;key;help;create' {
            break
        }
        'relay;key;help;list' {
            break
        }
        'relay;key;help;revoke' {
            break
        }
        'relay;key;help;help' {
            break
        }
        'relay;config' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: ~/.config/relay/config.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Validate the config; errors name the file, line and key path (exit 1 on errors)')
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print where relay''s files live')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Write a commented starter config')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'relay;config;check' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: ~/.config/relay/config.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'relay;config;path' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: ~/.config/relay/config.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'relay;config;init' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: ~/.config/relay/config.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Overwrite an existing file')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'relay;config;help' {
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Validate the config; errors name the file, line and key path (exit 1 on errors)')
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print where relay''s files live')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Write a commented starter config')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'relay;config;help;check' {
            break
        }
        'relay;config;help;path' {
            break
        }
        'relay;config;help;init' {
            break
        }
        'relay;config;help;help' {
            break
        }
        'relay;models' {
            [CompletionResult]::new('--group', '--group', [CompletionResultType]::ParameterName, 'Group to list [default: default]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: ~/.config/relay/config.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'relay;usage' {
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'From this time [default: 30d]')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Until this time [default: now]')
            [CompletionResult]::new('--by', '--by', [CompletionResultType]::ParameterName, 'Group by')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: ~/.config/relay/config.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'relay;requests' {
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'From this time [default: all]')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Until this time [default: now]')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Show at most this many')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Only this client key (`-` for keyless requests)')
            [CompletionResult]::new('--account', '--account', [CompletionResultType]::ParameterName, 'Only this account')
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'Only this requested model')
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'Only these outcomes: ok, error, interrupted, or an HTTP status such as 429')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: ~/.config/relay/config.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'relay;bench' {
            [CompletionResult]::new('--requests', '--requests', [CompletionResultType]::ParameterName, 'Non-streaming requests in the closed loop [default: 20000; quick 1000]')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Closed-loop concurrency [default: 8]')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Fixed rate for the open loop, requests/s [default: 2000; quick 500]')
            [CompletionResult]::new('--seconds', '--seconds', [CompletionResultType]::ParameterName, 'Seconds of the open loop, each way [default: 5; quick 1]')
            [CompletionResult]::new('--stream-runs', '--stream-runs', [CompletionResultType]::ParameterName, 'Streams per streaming scenario [default: 500; quick 50]')
            [CompletionResult]::new('--stream-concurrency', '--stream-concurrency', [CompletionResultType]::ParameterName, 'Streams in flight at once [default: 1]')
            [CompletionResult]::new('--events', '--events', [CompletionResultType]::ParameterName, 'Events per stream (at least 6) [default: 20]')
            [CompletionResult]::new('--interval-us', '--interval-us', [CompletionResultType]::ParameterName, 'Microseconds between upstream stream events [default: 0]')
            [CompletionResult]::new('--streams', '--streams', [CompletionResultType]::ParameterName, 'Long streams held open at once, for memory [default: 1000; quick 100]')
            [CompletionResult]::new('--warmup', '--warmup', [CompletionResultType]::ParameterName, 'Warm-up requests each way, discarded [default: 500; quick 50]')
            [CompletionResult]::new('--compare', '--compare', [CompletionResultType]::ParameterName, 'Also measure another gateway at URL with the same OpenAI-chat workload (configure it to forward `gpt-4o-mini` to http://127.0.0.1:PORT/v1, see --upstream-port)')
            [CompletionResult]::new('--upstream-port', '--upstream-port', [CompletionResultType]::ParameterName, 'Port of the benchmark''s upstream [default: any free port]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: ~/.config/relay/config.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]')
            [CompletionResult]::new('--quick', '--quick', [CompletionResultType]::ParameterName, 'A short run (under 30 s): fewer requests, 1 s at 500 req/s, 100 held streams')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a Markdown table')
            [CompletionResult]::new('--pin', '--pin', [CompletionResultType]::ParameterName, 'Pin the relay to CPU 0 and the load to CPU 1 (needs `taskset`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'relay;doctor' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: ~/.config/relay/config.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Skip the upstream reachability checks')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'relay;completions' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: ~/.config/relay/config.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'relay;generate' {
            [CompletionResult]::new('--out-dir', '--out-dir', [CompletionResultType]::ParameterName, 'Directory to write `man/` and `completions/` into')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: ~/.config/relay/config.toml]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Data directory for the ledger, admin token and secrets fallback [default: ~/.local/share/relay]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'relay;help' {
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run the relay (headless)')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'Run a relay on simulated accounts and drive demo traffic (no credentials, no network)')
            [CompletionResult]::new('dash', 'dash', [CompletionResultType]::ParameterValue, 'Attach the dashboard to a running relay')
            [CompletionResult]::new('account', 'account', [CompletionResultType]::ParameterValue, 'Upstream accounts: add, list, test, remove, subscription logins, pause and resume')
            [CompletionResult]::new('key', 'key', [CompletionResultType]::ParameterValue, 'Create, list and revoke client keys')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Validate the config, show file locations, write a starter config')
            [CompletionResult]::new('models', 'models', [CompletionResultType]::ParameterValue, 'List the models the configured accounts serve')
            [CompletionResult]::new('usage', 'usage', [CompletionResultType]::ParameterValue, 'Usage and cost from the ledger, grouped by model, key, account or day')
            [CompletionResult]::new('requests', 'requests', [CompletionResultType]::ParameterValue, 'Recent requests from the ledger, newest first')
            [CompletionResult]::new('bench', 'bench', [CompletionResultType]::ParameterValue, 'Measure what the relay adds: latency, throughput, first event, CPU, memory')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check the setup: config, data dir, ledger, account secrets, upstream reachability')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Write man pages and completion scripts (for packagers)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'relay;help;serve' {
            break
        }
        'relay;help;demo' {
            break
        }
        'relay;help;dash' {
            break
        }
        'relay;help;account' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add an upstream account; its secret is read from stdin (or a prompt that does not echo) and stored in the OS keyring')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List accounts: live state from the running relay, else what the config says')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove an account from the config and delete its stored secret')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Send one tiny real request through an account; report status, latency and rate limits')
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Sign in to your own subscription (OAuth with PKCE); the tokens go to the keyring')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Use the login an official CLI keeps on this machine (Claude Code, the Codex CLI)')
            [CompletionResult]::new('pause', 'pause', [CompletionResultType]::ParameterValue, 'Pause an account on the running relay (no new requests until resumed)')
            [CompletionResult]::new('resume', 'resume', [CompletionResultType]::ParameterValue, 'Resume a paused account on the running relay')
            break
        }
        'relay;help;account;add' {
            break
        }
        'relay;help;account;list' {
            break
        }
        'relay;help;account;remove' {
            break
        }
        'relay;help;account;test' {
            break
        }
        'relay;help;account;login' {
            break
        }
        'relay;help;account;import' {
            break
        }
        'relay;help;account;pause' {
            break
        }
        'relay;help;account;resume' {
            break
        }
        'relay;help;key' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a client key; prints the secret as the only line on stdout')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List client keys (never their secrets)')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke a client key')
            break
        }
        'relay;help;key;create' {
            break
        }
        'relay;help;key;list' {
            break
        }
        'relay;help;key;revoke' {
            break
        }
        'relay;help;config' {
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Validate the config; errors name the file, line and key path (exit 1 on errors)')
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print where relay''s files live')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Write a commented starter config')
            break
        }
        'relay;help;config;check' {
            break
        }
        'relay;help;config;path' {
            break
        }
        'relay;help;config;init' {
            break
        }
        'relay;help;models' {
            break
        }
        'relay;help;usage' {
            break
        }
        'relay;help;requests' {
            break
        }
        'relay;help;bench' {
            break
        }
        'relay;help;doctor' {
            break
        }
        'relay;help;completions' {
            break
        }
        'relay;help;generate' {
            break
        }
        'relay;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
