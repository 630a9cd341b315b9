//! The terminal: raw mode and the alternate screen while the dashboard runs, restored on every
//! way out (return, error, panic), and key events read on their own thread.

use std::io::Stdout;

use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::sync::mpsc;

use crate::app::Key;

/// The terminal in dashboard mode; restored when dropped.
pub struct Screen {
    /// The ratatui terminal.
    pub terminal: Terminal<CrosstermBackend<Stdout>>,
}

impl Screen {
    /// Enters raw mode and the alternate screen, and makes a panic restore the terminal
    /// before the panic message is printed.
    pub fn enter() -> std::io::Result<Self> {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
        crossterm::terminal::enable_raw_mode()?;
        if let Err(e) = crossterm::execute!(std::io::stdout(), EnterAlternateScreen) {
            restore();
            return Err(e);
        }
        let terminal = Terminal::new(CrosstermBackend::new(std::io::stdout()))?;
        Ok(Self { terminal })
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        restore();
        let _ = self.terminal.show_cursor();
    }
}

/// Leaves the alternate screen and raw mode (harmless when not in them).
pub fn restore() {
    let _ = crossterm::execute!(std::io::stdout(), LeaveAlternateScreen);
    let _ = crossterm::terminal::disable_raw_mode();
}

/// Reads key presses on a thread of its own and sends them on `tx` (Ctrl-C as `q`).
pub fn keys(tx: mpsc::Sender<Key>) {
    std::thread::spawn(move || {
        loop {
            let Ok(ev) = event::read() else {
                return;
            };
            let Event::Key(k) = ev else {
                continue;
            };
            if k.kind == KeyEventKind::Release {
                continue;
            }
            let key = match k.code {
                KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => Key::Char('q'),
                KeyCode::Char(c) => Key::Char(c),
                KeyCode::Up => Key::Up,
                KeyCode::Down => Key::Down,
                KeyCode::Tab => Key::Tab,
                KeyCode::BackTab => Key::BackTab,
                KeyCode::Enter => Key::Enter,
                KeyCode::Esc => Key::Esc,
                KeyCode::Backspace => Key::Backspace,
                _ => continue,
            };
            if tx.blocking_send(key).is_err() {
                return;
            }
        }
    });
}
