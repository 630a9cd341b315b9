//! Talking to the person at the terminal: notes on stderr, secrets read from a pipe or typed
//! without echo, and single lines (pasted codes).

use std::io::{BufRead, IsTerminal, Read, Write};

/// Writes `text` to stderr (messages for the person; stdout stays for data).
pub fn note(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
}

/// Reads a secret: all of stdin when it is a pipe, else typed at `prompt` without echo.
/// Surrounding whitespace is removed; an empty secret is an error.
pub fn secret(prompt: &str) -> anyhow::Result<String> {
    let value = if std::io::stdin().is_terminal() {
        note(prompt);
        let typed = read_hidden();
        note("\n");
        typed?
    } else {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| anyhow::anyhow!("cannot read the secret from stdin: {e}"))?;
        s
    };
    let value = value.trim().to_owned();
    if value.is_empty() {
        anyhow::bail!(
            "no secret given (pipe it in, e.g. `printenv ANTHROPIC_API_KEY | relay account add ...`, or type it at the prompt)"
        );
    }
    Ok(value)
}

/// One line from stdin after `prompt` (echoed: codes to paste are single-use).
pub fn line(prompt: &str) -> anyhow::Result<String> {
    note(prompt);
    let mut s = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut s)
        .map_err(|e| anyhow::anyhow!("cannot read from stdin: {e}"))?;
    Ok(s.trim().to_owned())
}

fn read_hidden() -> anyhow::Result<String> {
    use crossterm::event::{Event, KeyCode, KeyEventKind, KeyModifiers, read};
    use crossterm::terminal::{disable_raw_mode, enable_raw_mode};
    enable_raw_mode().map_err(|e| anyhow::anyhow!("cannot switch the terminal to no-echo: {e}"))?;
    let mut value = String::new();
    let result = loop {
        match read() {
            Ok(Event::Key(k)) if k.kind != KeyEventKind::Release => match k.code {
                KeyCode::Enter => break Ok(()),
                KeyCode::Char('c' | 'd') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                    break Err(anyhow::anyhow!("cancelled"));
                }
                KeyCode::Backspace => {
                    value.pop();
                }
                KeyCode::Char(c) => value.push(c),
                _ => {}
            },
            Ok(Event::Paste(p)) => value.push_str(&p),
            Ok(_) => {}
            Err(e) => break Err(anyhow::anyhow!("reading the terminal failed: {e}")),
        }
    };
    let _ = disable_raw_mode();
    result.map(|()| value)
}
