//! Drawing the dashboard with ratatui: a title line with the connection and totals, then the
//! accounts, keys, requests, failover log and usage panels, sized to the terminal (from 80×24
//! up), and a help overlay.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Row, Sparkline, Table};

use crate::app::{App, Connection, Panel, duration};

/// Draws `app` into the whole frame.
pub fn draw(frame: &mut Frame<'_>, app: &App) {
    let area = frame.area();
    let [title, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(4),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(title_line(app, area.width), title);
    frame.render_widget(footer_line(app), footer);

    let wide = body.width >= 120;
    let top_rows = (app.accounts.len() as u16 + 3).clamp(4, 12);
    let mut rows = Vec::new();
    if app.shows(Panel::Accounts) || app.shows(Panel::Keys) {
        rows.push((Constraint::Length(top_rows), 0));
    }
    if app.shows(Panel::Requests) || app.shows(Panel::Log) {
        rows.push((Constraint::Min(5), 1));
    }
    if app.shows(Panel::Usage) {
        rows.push((Constraint::Length(if body.height >= 30 { 8 } else { 5 }), 2));
    }
    let areas = Layout::vertical(rows.iter().map(|r| r.0)).split(body);
    for (i, (_, kind)) in rows.iter().enumerate() {
        let Some(area) = areas.get(i).copied() else {
            continue;
        };
        match kind {
            0 => split(frame, app, area, Panel::Accounts, Panel::Keys, 65),
            1 => split(
                frame,
                app,
                area,
                Panel::Requests,
                Panel::Log,
                if wide { 62 } else { 58 },
            ),
            _ => usage(frame, app, area),
        }
    }
    if app.help {
        help(frame, area);
    }
}

/// Two panels side by side (or one, when the other is hidden).
fn split(frame: &mut Frame<'_>, app: &App, area: Rect, left: Panel, right: Panel, pct: u16) {
    let (l, r) = match (app.shows(left), app.shows(right)) {
        (true, true) => {
            let [l, r] =
                Layout::horizontal([Constraint::Percentage(pct), Constraint::Min(10)]).areas(area);
            (Some(l), Some(r))
        }
        (true, false) => (Some(area), None),
        (false, true) => (None, Some(area)),
        (false, false) => (None, None),
    };
    for (panel, area) in [(left, l), (right, r)] {
        let Some(area) = area else { continue };
        match panel {
            Panel::Accounts => accounts(frame, app, area),
            Panel::Keys => keys(frame, app, area),
            Panel::Requests => requests(frame, app, area),
            Panel::Log => log(frame, app, area),
            Panel::Usage => usage(frame, app, area),
        }
    }
}

fn block(app: &App, panel: Panel, extra: &str) -> Block<'static> {
    let focused = app.focus == panel;
    let style = if focused {
        Style::default()
            .fg(Color::Cyan)
            .add_modifier(Modifier::BOLD)
    } else {
        Style::default().fg(Color::DarkGray)
    };
    let n = Panel::ALL.iter().position(|p| *p == panel).unwrap_or(0) + 1;
    Block::bordered()
        .border_style(style)
        .title(Line::from(format!(" {n} {}{extra} ", panel.title())).style(style))
}

fn title_line(app: &App, width: u16) -> Paragraph<'static> {
    let conn = match &app.connection {
        Connection::Connecting => Span::styled(" connecting… ", Style::default().fg(Color::Yellow)),
        Connection::Live => {
            Span::styled(" live ", Style::default().fg(Color::Black).bg(Color::Green))
        }
        Connection::Lost { reason, attempt } => Span::styled(
            format!(" reconnecting, attempt {attempt}: {reason} "),
            Style::default().fg(Color::White).bg(Color::Red),
        ),
    };
    let t = &app.totals;
    let mut spans = vec![Span::styled(
        " relay ",
        Style::default().add_modifier(Modifier::BOLD),
    )];
    if width >= 120 {
        spans.push(Span::raw(format!("{} ", app.url)));
    }
    spans.push(conn);
    spans.push(Span::raw(format!(
        " ${:.2} today · ${:.2} month · {} req · {} err · {}/min · {} tok/min",
        t.cost_today_usd,
        t.cost_month_usd,
        t.requests_today,
        t.errors_today,
        t.requests_per_minute,
        compact(t.tokens_per_minute),
    )));
    Paragraph::new(Line::from(spans))
}

fn footer_line(app: &App) -> Paragraph<'static> {
    if app.filtering {
        return Paragraph::new(format!(" filter: {}▏  (Enter keep, Esc clear)", app.filter));
    }
    if let Some((notice, _)) = &app.notice {
        return Paragraph::new(Line::from(Span::styled(
            format!(" {notice}"),
            Style::default().fg(Color::Yellow),
        )));
    }
    Paragraph::new(Line::from(Span::styled(
        " q quit  ? help  Tab panel  ↑↓ account  p pause  r resume  c clear cooldown  / filter  1-5 toggle",
        Style::default().fg(Color::DarkGray),
    )))
}

fn accounts(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let rows = app.accounts.iter().enumerate().map(|(i, a)| {
        let state = match (a.state.as_str(), a.cooldown_until_ms) {
            ("cooling", Some(until)) => {
                format!("cool {}", duration((until - app.now_ms).max(0) / 1000))
            }
            (s, _) => s.to_owned(),
        };
        let color = match a.state.as_str() {
            "active" => Color::Green,
            "cooling" => Color::Yellow,
            "paused" | "disabled" => Color::DarkGray,
            _ => Color::Red,
        };
        let slots = if a.slots.waiting > 0 {
            format!("{}/{} +{}", a.slots.in_use, a.slots.max, a.slots.waiting)
        } else {
            format!("{}/{}", a.slots.in_use, a.slots.max)
        };
        let mut style = Style::default();
        if i == app.selected {
            style = style.add_modifier(Modifier::REVERSED);
        }
        Row::new(vec![
            Span::raw(a.name.clone()),
            Span::styled(state, Style::default().fg(color)),
            Span::raw(slots),
            Span::raw(a.requests_today.to_string()),
            Span::raw(format!("${:.2}", a.cost_today_usd)),
            Span::styled(
                a.last_error.clone().unwrap_or_default(),
                Style::default().fg(Color::Red),
            ),
        ])
        .style(style)
    });
    let widths = [
        Constraint::Length(14),
        Constraint::Length(10),
        Constraint::Length(5),
        Constraint::Length(5),
        Constraint::Length(7),
        Constraint::Fill(1),
    ];
    let table = Table::new(rows, widths)
        .header(
            Row::new(["account", "state", "slots", "reqs", "today", "last error"]).style(header()),
        )
        .block(block(app, Panel::Accounts, ""));
    frame.render_widget(table, area);
}

fn keys(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let rows = app.keys.iter().map(|k| {
        let budget = match (k.daily_usd, k.monthly_usd) {
            (Some(d), _) => format!("${:.2}/{} d", k.cost_today_usd, money(d)),
            (None, Some(m)) => format!("${:.2}/{} m", k.cost_month_usd, money(m)),
            (None, None) => format!("${:.2}", k.cost_today_usd),
        };
        let over = k.daily_usd.is_some_and(|d| k.cost_today_usd >= d)
            || k.monthly_usd.is_some_and(|m| k.cost_month_usd >= m);
        Row::new(vec![
            Span::raw(k.name.clone()),
            Span::raw(if k.slots.max > 0 {
                format!("{}/{}", k.slots.in_use, k.slots.max)
            } else {
                "-".to_owned()
            }),
            Span::styled(
                budget,
                Style::default().fg(if over { Color::Red } else { Color::Reset }),
            ),
        ])
    });
    let widths = [
        Constraint::Fill(1),
        Constraint::Length(5),
        Constraint::Length(11),
    ];
    let table = Table::new(rows, widths)
        .header(Row::new(["key", "slots", "spend"]).style(header()))
        .block(block(app, Panel::Keys, ""));
    frame.render_widget(table, area);
}

fn requests(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let mut rows: Vec<Row<'static>> = app
        .in_flight
        .values()
        .map(|r| {
            let elapsed = (app.now_ms - r.request.started_ms).max(0) / 1000;
            Row::new(vec![
                Span::styled("…", Style::default().fg(Color::Cyan)),
                Span::raw(r.request.model.clone().unwrap_or_default()),
                Span::raw(r.request.account.clone().unwrap_or_else(|| "-".into())),
                Span::raw(match r.upstream.as_deref() {
                    Some(up) if up != r.request.inbound => {
                        format!("{}→{}", dialect(&r.request.inbound), dialect(up))
                    }
                    _ => dialect(&r.request.inbound).to_owned(),
                }),
                Span::styled(duration(elapsed), Style::default().fg(Color::Cyan)),
                Span::raw(if r.attempt > 1 {
                    format!("try {}", r.attempt)
                } else {
                    String::new()
                }),
            ])
        })
        .collect();
    rows.extend(app.filtered().map(|r| {
        let style = if r.status >= 400 || r.error.is_some() {
            Style::default().fg(Color::Red)
        } else {
            Style::default()
        };
        Row::new(vec![
            Span::raw(r.status.to_string()),
            Span::raw(r.model.clone()),
            Span::raw(r.account.clone()),
            Span::raw(dialect(&r.inbound).to_owned()),
            Span::raw(format!("{:.1}s", r.latency_ms as f64 / 1000.0)),
            Span::raw(match &r.error {
                Some(e) => e.clone(),
                None => format!(
                    "{}→{} ${:.4}",
                    compact(r.tokens.0),
                    compact(r.tokens.1),
                    r.cost_usd
                ),
            }),
        ])
        .style(style)
    }));
    let widths: Vec<Constraint> = if area.width >= 90 {
        vec![
            Constraint::Length(3),
            Constraint::Length(20),
            Constraint::Length(12),
            Constraint::Length(9),
            Constraint::Length(6),
            Constraint::Fill(1),
        ]
    } else {
        vec![
            Constraint::Length(3),
            Constraint::Fill(3),
            Constraint::Fill(2),
            Constraint::Length(0),
            Constraint::Length(5),
            Constraint::Fill(3),
        ]
    };
    let extra = if app.filter.is_empty() {
        format!(" ({} in flight)", app.in_flight.len())
    } else {
        format!(
            " ({} in flight, filter \"{}\")",
            app.in_flight.len(),
            app.filter
        )
    };
    let table = Table::new(rows, widths)
        .header(
            Row::new(["st", "model", "account", "via", "time", "tokens / error"]).style(header()),
        )
        .block(block(app, Panel::Requests, &extra));
    frame.render_widget(table, area);
}

fn log(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let lines: Vec<Line<'static>> = app
        .log
        .iter()
        .map(|l| {
            let t = clock(l.time_ms, &app.tz);
            let color = if l.cooldown {
                Color::Yellow
            } else {
                Color::Magenta
            };
            Line::from(vec![
                Span::styled(format!("{t} "), Style::default().fg(Color::DarkGray)),
                Span::styled(l.text.clone(), Style::default().fg(color)),
            ])
        })
        .collect();
    let p = if lines.is_empty() {
        Paragraph::new(Line::from(Span::styled(
            "no failovers yet",
            Style::default().fg(Color::DarkGray),
        )))
    } else {
        Paragraph::new(lines)
    };
    frame.render_widget(p.block(block(app, Panel::Log, "")), area);
}

fn usage(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let outer = block(app, Panel::Usage, "");
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let [spark, models] =
        Layout::horizontal([Constraint::Percentage(60), Constraint::Min(10)]).areas(inner);
    let [req, tok] =
        Layout::vertical([Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)]).areas(spark);
    let last = |v: &std::collections::VecDeque<u64>| v.back().copied().unwrap_or(0);
    for (area, label, data, color) in [
        (req, "req/s", &app.requests_history, Color::Green),
        (tok, "tok/s", &app.tokens_history, Color::Blue),
    ] {
        let [l, s] = Layout::horizontal([Constraint::Length(13), Constraint::Min(5)]).areas(area);
        frame.render_widget(
            Paragraph::new(format!("{label} {:>6}", compact(last(data)))),
            l,
        );
        let width = usize::from(s.width);
        let points: Vec<u64> = data.iter().rev().take(width).rev().copied().collect();
        frame.render_widget(
            Sparkline::default()
                .data(&points)
                .style(Style::default().fg(color)),
            s,
        );
    }
    let mut by: Vec<(&String, &(u64, f64))> = app.by_model.iter().collect();
    by.sort_by(|a, b| b.1.1.total_cmp(&a.1.1).then(b.1.0.cmp(&a.1.0)));
    let lines: Vec<Line<'static>> = by
        .iter()
        .take(usize::from(models.height))
        .map(|(m, (n, cost))| Line::from(format!("{m:<18.18} {n:>5} ${cost:.2}")))
        .collect();
    frame.render_widget(Paragraph::new(lines), models);
}

fn help(frame: &mut Frame<'_>, area: Rect) {
    let text = vec![
        Line::from(Span::styled(
            "relay dashboard",
            Style::default().add_modifier(Modifier::BOLD),
        )),
        Line::from(""),
        Line::from("q, Esc      quit (the relay keeps running)"),
        Line::from("Tab, S-Tab  move between panels"),
        Line::from("↑↓, j k     select an account"),
        Line::from("p / r       pause / resume the selected account"),
        Line::from("c           clear its cooldown"),
        Line::from("/           filter requests (model, account, key, status)"),
        Line::from("1-5         show or hide a panel"),
        Line::from("?           this help (any key closes it)"),
    ];
    let w = 58.min(area.width);
    let h = (text.len() as u16 + 2).min(area.height);
    let r = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    );
    frame.render_widget(Clear, r);
    frame.render_widget(
        Paragraph::new(text).block(Block::bordered().title(" help ")),
        r,
    );
}

fn header() -> Style {
    Style::default().add_modifier(Modifier::BOLD)
}

fn dialect(inbound: &str) -> &'static str {
    match inbound {
        "anthropic" => "msgs",
        "openai-chat" => "chat",
        "openai-responses" => "resp",
        "gemini" => "gem",
        _ => "?",
    }
}

/// A budget: `$20`, `$0.05`.
fn money(usd: f64) -> String {
    if usd >= 1.0 && usd.fract() == 0.0 {
        format!("${usd:.0}")
    } else {
        format!("${usd:.2}")
    }
}

/// A count as `999`, `12.3k`, `4.5M`.
pub fn compact(n: u64) -> String {
    match n {
        0..1_000 => n.to_string(),
        1_000..1_000_000 => format!("{:.1}k", n as f64 / 1e3),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

/// Unix ms as a local `HH:MM:SS`.
fn clock(ms: i64, tz: &jiff::tz::TimeZone) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| {
            t.to_zoned_datetime(tz.clone())
                .strftime("%H:%M:%S")
                .to_string()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
