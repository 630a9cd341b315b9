//! Drawing the dashboard: a totals line and a table of recent requests.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Color, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table};

use crate::App;

/// Draws `app` into the whole frame.
pub fn draw(frame: &mut Frame<'_>, app: &App) {
    let [top, body] =
        Layout::vertical([Constraint::Length(3), Constraint::Min(3)]).areas(frame.area());
    let totals = Line::from(format!(
        "requests {}  errors {}  in flight {}  tokens in {} out {}",
        app.requests, app.errors, app.in_flight, app.input_tokens, app.output_tokens
    ));
    frame.render_widget(
        Paragraph::new(totals).block(Block::default().borders(Borders::ALL).title(" relay ")),
        top,
    );
    let rows = app.recent.iter().map(|e| {
        let style = if e.error.is_some() {
            Style::default().fg(Color::Red)
        } else {
            Style::default()
        };
        Row::new(vec![
            e.status.to_string(),
            e.inbound.as_str().to_owned(),
            e.model.clone().unwrap_or_default(),
            e.account.clone().unwrap_or_else(|| "-".into()),
            format!("{} ms", e.latency_ms),
            e.error.unwrap_or("").to_owned(),
        ])
        .style(style)
    });
    let widths = [
        Constraint::Length(4),
        Constraint::Length(17),
        Constraint::Length(20),
        Constraint::Length(16),
        Constraint::Length(9),
        Constraint::Min(8),
    ];
    let table = Table::new(rows, widths)
        .header(Row::new(vec![
            "code", "dialect", "model", "account", "latency", "error",
        ]))
        .block(
            Block::default()
                .borders(Borders::ALL)
                .title(" recent requests "),
        );
    frame.render_widget(table, body);
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use relay_core::events::{Event, UsageEvent};
    use relay_core::protocol::{Dialect, Usage};

    fn finished(status: u16, error: Option<&'static str>) -> Event {
        Event::RequestFinished(Box::new(UsageEvent {
            id: "req_1".into(),
            time: std::time::SystemTime::UNIX_EPOCH,
            key: None,
            account: Some("mock-a".into()),
            platform: Some("mock"),
            inbound: Dialect::Anthropic,
            model: Some("claude-x".into()),
            upstream_model: Some("claude-x".into()),
            stream: true,
            status,
            error,
            attempts: 1,
            usage: Usage {
                input: 10,
                output: 5,
                cache_read: 2,
                cache_write: 1,
                cache_write_1h: 0,
            },
            cost: relay_core::pricing::Cost::default(),
            latency_ms: 42,
            ttft_ms: Some(7),
            client_disconnected: false,
        }))
    }

    #[test]
    fn totals_and_rows_render() {
        let mut app = App::default();
        app.update(&Event::RequestStarted {
            id: "req_1".into(),
            model: None,
            inbound: Dialect::Anthropic,
        });
        app.update(&finished(200, None));
        app.update(&finished(429, Some("upstream_rate_limited")));
        assert_eq!((app.requests, app.errors, app.in_flight), (2, 1, 0));
        assert_eq!((app.input_tokens, app.output_tokens), (26, 10));
        let mut term = Terminal::new(TestBackend::new(100, 10)).unwrap();
        term.draw(|f| draw(f, &app)).unwrap();
        let text: String = term
            .backend()
            .buffer()
            .content()
            .iter()
            .map(|c| c.symbol())
            .collect();
        assert!(
            text.contains("requests 2  errors 1  in flight 0  tokens in 26 out 10"),
            "{text}"
        );
        assert!(text.contains("upstream_rate_limited"));
        assert!(text.contains("mock-a"));
    }
}
