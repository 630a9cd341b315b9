//! Writing to stdout without panicking on a closed pipe, and simple aligned tables.

use std::io::Write;

/// Writes `text` to stdout; a closed pipe (`relay key list | head`) is not an error.
pub fn print(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Renders rows as left-aligned columns separated by two spaces.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(c.chars().count());
            }
        }
    }
    let line = |cells: Vec<String>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            let w = widths.get(i).copied().unwrap_or(0);
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}  "));
            }
        }
        s.trim_end().to_owned() + "\n"
    };
    let mut out = line(header.iter().map(|h| (*h).to_owned()).collect());
    for r in rows {
        out.push_str(&line(r.clone()));
    }
    out
}

/// Column alignment for [`grid`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    /// Text, left-aligned; may be shortened with `…` to fit the width.
    Left,
    /// Numbers, right-aligned; never shortened.
    Right,
}

/// Renders rows as columns separated by two spaces, numbers right-aligned, shortening the text
/// columns (widest first) so that lines fit `max_width` where that is possible.
pub fn grid(header: &[&str], align: &[Align], rows: &[Vec<String>], max_width: usize) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(c.chars().count());
            }
        }
    }
    let total = |w: &[usize]| w.iter().sum::<usize>() + 2 * w.len().saturating_sub(1);
    while total(&widths) > max_width {
        let widest = widths
            .iter()
            .enumerate()
            .filter(|(i, w)| {
                align.get(*i) == Some(&Align::Left)
                    && **w > header.get(*i).map_or(1, |h| h.chars().count().max(6))
            })
            .max_by_key(|(_, w)| **w)
            .map(|(i, _)| i);
        match widest.and_then(|i| widths.get_mut(i)) {
            Some(w) => *w -= 1,
            None => break,
        }
    }
    let line = |cells: &[String]| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            let w = widths.get(i).copied().unwrap_or(0);
            let c = shorten(c, w);
            if i > 0 {
                s.push_str("  ");
            }
            match align.get(i) {
                Some(Align::Right) => s.push_str(&format!("{c:>w$}")),
                _ => s.push_str(&format!("{c:<w$}")),
            }
        }
        s.trim_end().to_owned() + "\n"
    };
    let mut out = line(&header.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>());
    for r in rows {
        out.push_str(&line(r));
    }
    out
}

/// `s` cut to `width` characters, the last one an ellipsis when cut.
fn shorten(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_owned();
    }
    let mut cut: String = s.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// The width tables should fit: `COLUMNS` when set and wider than 80, else 80.
pub fn width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|w| *w > 80)
        .unwrap_or(80)
}

/// Rows as CSV (RFC 4180: fields with commas, quotes or line breaks are quoted).
pub fn csv(header: &[&str], rows: &[Vec<String>]) -> String {
    let field = |f: &str| {
        if f.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", f.replace('"', "\"\""))
        } else {
            f.to_owned()
        }
    };
    let mut out = header
        .iter()
        .map(|h| field(h))
        .collect::<Vec<_>>()
        .join(",")
        + "\n";
    for r in rows {
        out.push_str(&(r.iter().map(|c| field(c)).collect::<Vec<_>>().join(",") + "\n"));
    }
    out
}

/// A token count for a table: exact below 10 000, then 12.3k / 4.56M / 1.23B.
pub fn tokens(n: u64) -> String {
    #[expect(clippy::cast_precision_loss, reason = "rounded for display")]
    let f = n as f64;
    match n {
        0..10_000 => n.to_string(),
        10_000..1_000_000 => format!("{:.1}k", f / 1e3),
        1_000_000..1_000_000_000 => format!("{:.2}M", f / 1e6),
        _ => format!("{:.2}B", f / 1e9),
    }
}

/// A count with thousands separators: `1,234,567`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Micro-dollars as dollars and cents: `$1,234.57` (rounded half up).
pub fn dollars(micros: u64) -> String {
    let cents = (micros + 5_000) / 10_000;
    format!("${}.{:02}", count(cents / 100), cents % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_for_tables() {
        assert_eq!(tokens(9_999), "9999");
        assert_eq!(tokens(12_345), "12.3k");
        assert_eq!(tokens(4_560_000), "4.56M");
        assert_eq!(tokens(1_234_000_000), "1.23B");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(count(999), "999");
        assert_eq!(dollars(1_234_565_000), "$1,234.57");
        assert_eq!(dollars(4_999), "$0.00");
        assert_eq!(dollars(5_000), "$0.01");
    }

    #[test]
    fn grids_fit_the_width_and_align_numbers() {
        let rows = vec![
            vec![
                "claude-sonnet-4-5-20250929-with-a-long-suffix".to_owned(),
                "12".to_owned(),
            ],
            vec!["gpt-5".to_owned(), "3,456".to_owned()],
        ];
        let out = grid(&["MODEL", "REQS"], &[Align::Left, Align::Right], &rows, 30);
        assert_eq!(
            out,
            "MODEL                     REQS\nclaude-sonnet-4-5-2025…     12\ngpt-5                    3,456\n"
        );
        assert!(out.lines().all(|l| l.chars().count() <= 30));
        assert_eq!(
            csv(&["a", "b"], &[vec!["x,y".into(), "say \"hi\"".into()]]),
            "a,b\n\"x,y\",\"say \"\"hi\"\"\"\n"
        );
    }
}
