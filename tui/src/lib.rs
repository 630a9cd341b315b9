//! relay-tui: the relay's terminal dashboard. `app` holds pure state updated from the admin
//! API's snapshot and events and from key presses; `ui` draws it with ratatui; `client` follows
//! a relay's admin API (reconnecting by itself); `terminal` owns the screen. [`run`] ties them
//! together; `relay dash` and `relay serve --dash` both call it.

pub mod app;
pub mod client;
pub mod terminal;
pub mod ui;

use std::time::Duration;

pub use app::App;
use app::Msg;
pub use client::Remote;
use tokio::sync::mpsc;

/// Error from [`run`].
#[derive(Debug, thiserror::Error)]
pub enum DashError {
    /// The terminal could not be set up or drawn.
    #[error("terminal: {0}")]
    Terminal(#[from] std::io::Error),
}

/// Runs the dashboard against `remote` until the user quits (or `stop` resolves).
pub async fn run(
    remote: Remote,
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), DashError> {
    let mut screen = terminal::Screen::enter()?;
    let (msg_tx, mut msgs) = mpsc::channel::<Msg>(1024);
    let (key_tx, mut keys) = mpsc::channel(64);
    terminal::keys(key_tx);
    let follower = tokio::spawn(remote.clone().follow(msg_tx.clone()));
    let mut app = App::new(remote.base(), now_ms());
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut redraw = tokio::time::interval(Duration::from_millis(100));
    tokio::pin!(stop);
    let mut dirty = true;
    loop {
        if dirty {
            screen.terminal.draw(|f| ui::draw(f, &app))?;
            dirty = false;
        }
        tokio::select! {
            () = &mut stop => break,
            Some(msg) = msgs.recv() => {
                app.update(msg);
                // Take whatever else is waiting before drawing again.
                while let Ok(m) = msgs.try_recv() {
                    app.update(m);
                }
                dirty = true;
            }
            Some(key) = keys.recv() => {
                if let Some(action) = app.key(key) {
                    let remote = remote.clone();
                    let tx = msg_tx.clone();
                    tokio::spawn(async move {
                        let notice = remote.act(&action).await;
                        let _ = tx.send(Msg::Notice(notice)).await;
                    });
                }
                if app.quit {
                    break;
                }
                dirty = true;
            }
            _ = tick.tick() => {
                app.update(Msg::Tick(now_ms()));
                dirty = true;
            }
            _ = redraw.tick(), if dirty => {}
        }
    }
    follower.abort();
    drop(screen);
    Ok(())
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}
