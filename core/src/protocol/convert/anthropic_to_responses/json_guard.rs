//! An incremental guard over streamed tool-call arguments (shared with `anthropic_to_chat`):
//! it accepts the longest prefix that can still become one JSON object, and at the end
//! supplies the suffix that completes it. So the `partial_json` fragments a client assembles
//! always parse as an object, even when the upstream was cut off mid-arguments, sent nothing
//! (`{}`), or sent garbage (the valid prefix is kept, the rest dropped). Pure.

/// What the guard expects next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Nothing accepted yet: whitespace or `{`.
    Start,
    /// A value (after `:`, or after `,` in an array).
    Value,
    /// After `[`: a value or `]`.
    ArrayFirst,
    /// After `{`: a key or `}`.
    ObjectFirst,
    /// After `,` in an object: a key.
    Key,
    /// Inside a string (`key`: an object key).
    Str { key: bool, escape: Escape },
    /// After a key: `:`.
    Colon,
    /// After a value: `,` or a closing bracket (or the end, at the top level).
    After,
    /// Inside a number.
    Num(Num),
    /// Inside `true` / `false` / `null`: the rest of the word.
    Lit(&'static str),
    /// The top-level object is complete: only whitespace may follow.
    Done,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Escape {
    None,
    Backslash,
    /// Hex digits still expected after `\u`.
    Unicode(u8),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Num {
    Minus,
    Zero,
    Int,
    Dot,
    Frac,
    Exp,
    ExpSign,
    ExpInt,
}

impl Num {
    fn complete(self) -> bool {
        matches!(self, Num::Zero | Num::Int | Num::Frac | Num::ExpInt)
    }

    fn next(self, c: char) -> Option<Num> {
        Some(match (self, c) {
            (Num::Minus, '0') => Num::Zero,
            (Num::Minus, '1'..='9') => Num::Int,
            (Num::Int, '0'..='9') => Num::Int,
            (Num::Zero | Num::Int, '.') => Num::Dot,
            (Num::Dot | Num::Frac, '0'..='9') => Num::Frac,
            (Num::Zero | Num::Int | Num::Frac, 'e' | 'E') => Num::Exp,
            (Num::Exp, '+' | '-') => Num::ExpSign,
            (Num::Exp | Num::ExpSign | Num::ExpInt, '0'..='9') => Num::ExpInt,
            _ => return None,
        })
    }
}

/// See the module docs.
#[derive(Clone, Debug)]
pub(in crate::protocol::convert) struct JsonGuard {
    state: State,
    /// Open containers, innermost last: `b'{'` or `b'['`.
    stack: Vec<u8>,
    /// A character was refused: nothing more is accepted.
    broken: bool,
}

impl Default for JsonGuard {
    fn default() -> Self {
        Self::new()
    }
}

impl JsonGuard {
    /// A guard that has accepted nothing.
    pub fn new() -> Self {
        Self {
            state: State::Start,
            stack: Vec::new(),
            broken: false,
        }
    }

    /// Feeds a fragment; returns the part of it that keeps the accepted text a valid prefix.
    /// Whitespace before the opening `{` is dropped, so the accepted text is never blank (SDKs
    /// parse the assembled input after every fragment, and a blank one does not parse).
    pub fn feed<'a>(&mut self, fragment: &'a str) -> &'a str {
        if self.broken {
            return "";
        }
        let mut from = 0;
        for (at, c) in fragment.char_indices() {
            if self.state == State::Start && c != '{' {
                from = at + c.len_utf8();
            }
            if !self.step(c) {
                self.broken = true;
                return fragment.get(from.min(at)..at).unwrap_or("");
            }
        }
        fragment.get(from..).unwrap_or("")
    }

    /// Whether the accepted text is already one complete object.
    pub fn is_complete(&self) -> bool {
        self.state == State::Done
    }

    /// The text to append to what was accepted so that it parses as a JSON object.
    pub fn completion(&self) -> String {
        let mut out = String::new();
        match self.state {
            State::Start => return "{}".to_owned(),
            State::Done | State::After | State::ArrayFirst | State::ObjectFirst => {}
            State::Value => out.push_str("null"),
            State::Key => out.push_str("\"\":null"),
            State::Colon => out.push_str(":null"),
            State::Str { key, escape } => {
                match escape {
                    Escape::None => {}
                    Escape::Backslash => out.push('\\'),
                    Escape::Unicode(n) => out.extend(std::iter::repeat_n('0', usize::from(n))),
                }
                out.push('"');
                if key {
                    out.push_str(":null");
                }
            }
            State::Num(n) => {
                if !n.complete() {
                    out.push('0');
                }
            }
            State::Lit(rest) => out.push_str(rest),
        }
        for open in self.stack.iter().rev() {
            out.push(if *open == b'{' { '}' } else { ']' });
        }
        out
    }

    fn step(&mut self, c: char) -> bool {
        let ws = matches!(c, ' ' | '\t' | '\n' | '\r');
        match self.state {
            State::Start => {
                if c == '{' {
                    self.stack.push(b'{');
                    self.state = State::ObjectFirst;
                }
                ws || c == '{'
            }
            State::Value => ws || self.value(c),
            State::ArrayFirst => {
                if c == ']' {
                    self.close(b'[')
                } else {
                    ws || self.value(c)
                }
            }
            State::ObjectFirst | State::Key => {
                if c == '"' {
                    self.state = State::Str {
                        key: true,
                        escape: Escape::None,
                    };
                    true
                } else if c == '}' && self.state == State::ObjectFirst {
                    self.close(b'{')
                } else {
                    ws
                }
            }
            State::Str { key, escape } => {
                let escape = match escape {
                    Escape::None => match c {
                        '"' => {
                            self.state = if key { State::Colon } else { State::After };
                            return true;
                        }
                        '\\' => Escape::Backslash,
                        c if u32::from(c) < 0x20 => return false,
                        _ => Escape::None,
                    },
                    Escape::Backslash => match c {
                        '"' | '\\' | '/' | 'b' | 'f' | 'n' | 'r' | 't' => Escape::None,
                        'u' => Escape::Unicode(4),
                        _ => return false,
                    },
                    Escape::Unicode(n) => {
                        if !c.is_ascii_hexdigit() {
                            return false;
                        }
                        if n > 1 {
                            Escape::Unicode(n - 1)
                        } else {
                            Escape::None
                        }
                    }
                };
                self.state = State::Str { key, escape };
                true
            }
            State::Colon => {
                if c == ':' {
                    self.state = State::Value;
                }
                ws || c == ':'
            }
            State::After => match c {
                ',' => {
                    self.state = if self.stack.last() == Some(&b'{') {
                        State::Key
                    } else {
                        State::Value
                    };
                    true
                }
                '}' => self.close(b'{'),
                ']' => self.close(b'['),
                _ => ws,
            },
            State::Num(n) => match n.next(c) {
                Some(next) => {
                    self.state = State::Num(next);
                    true
                }
                None if n.complete() => {
                    self.state = State::After;
                    self.step(c)
                }
                None => false,
            },
            State::Lit(rest) => {
                let mut chars = rest.chars();
                if chars.next() != Some(c) {
                    return false;
                }
                let rest = chars.as_str();
                self.state = if rest.is_empty() {
                    State::After
                } else {
                    State::Lit(rest)
                };
                true
            }
            State::Done => ws,
        }
    }

    /// Starts a value with `c`.
    fn value(&mut self, c: char) -> bool {
        self.state = match c {
            '{' => {
                self.stack.push(b'{');
                State::ObjectFirst
            }
            '[' => {
                self.stack.push(b'[');
                State::ArrayFirst
            }
            '"' => State::Str {
                key: false,
                escape: Escape::None,
            },
            '-' => State::Num(Num::Minus),
            '0' => State::Num(Num::Zero),
            '1'..='9' => State::Num(Num::Int),
            't' => State::Lit("rue"),
            'f' => State::Lit("alse"),
            'n' => State::Lit("ull"),
            _ => return false,
        };
        true
    }

    fn close(&mut self, open: u8) -> bool {
        if self.stack.last() != Some(&open) {
            return false;
        }
        self.stack.pop();
        self.state = if self.stack.is_empty() {
            State::Done
        } else {
            State::After
        };
        true
    }
}

/// The arguments text made into a valid JSON object (see [`JsonGuard`]).
pub(in crate::protocol::convert) fn complete(arguments: &str) -> String {
    let mut guard = JsonGuard::new();
    let mut out = guard.feed(arguments).to_owned();
    out.push_str(&guard.completion());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn completed(s: &str) -> Value {
        let text = complete(s);
        match serde_json::from_str::<Value>(&text) {
            Ok(v) => v,
            Err(e) => panic!("{s:?} -> {text:?}: {e}"),
        }
    }

    #[test]
    fn complete_objects_pass_unchanged() {
        for s in [
            r#"{"a":1}"#,
            r#"{ "a" : [1, 2.5e-3, -0, true, false, null, "x\"\u00e9\n"], "b": {} } "#,
            "{}",
        ] {
            assert_eq!(complete(s), s);
            let mut g = JsonGuard::new();
            assert_eq!(g.feed(s), s);
            assert!(g.is_complete());
        }
    }

    #[test]
    fn truncations_are_completed() {
        let cases = [
            ("", json!({})),
            ("   ", json!({})),
            ("{", json!({})),
            (r#"{"pa"#, json!({"pa": null})),
            (r#"{"path""#, json!({"path": null})),
            (r#"{"path":"#, json!({"path": null})),
            (r#"{"path":"/tm"#, json!({"path": "/tm"})),
            (r#"{"p":"a\"#, json!({"p": "a\\"})),
            (r#"{"p":"\u00"#, json!({"p": "\u{0}"})),
            (r#"{"n":-"#, json!({"n": -0.0})),
            (r#"{"n":1."#, json!({"n": 1.0})),
            (r#"{"n":1e+"#, json!({"n": 1.0})),
            (r#"{"n":12"#, json!({"n": 12})),
            (r#"{"t":tr"#, json!({"t": true})),
            (r#"{"a":[1,"#, json!({"a": [1, null]})),
            (r#"{"a":[{"b":"#, json!({"a": [{"b": null}]})),
            (r#"{"a":1,"#, json!({"a": 1, "": null})),
        ];
        for (s, expected) in cases {
            assert_eq!(completed(s), expected, "{s:?}");
        }
    }

    #[test]
    fn leading_whitespace_is_dropped() {
        let mut g = JsonGuard::new();
        assert_eq!(g.feed(" \n"), "");
        assert_eq!(g.feed("  {\"a\""), "{\"a\"");
        assert_eq!(g.feed(" : 1 }"), " : 1 }");
        assert!(g.is_complete());
        let mut g = JsonGuard::new();
        assert_eq!(g.feed(" x"), "");
        assert_eq!(g.completion(), "{}");
    }

    #[test]
    fn garbage_is_cut_at_the_first_bad_character() {
        let mut g = JsonGuard::new();
        assert_eq!(g.feed(r#"{"a":1}x"#), r#"{"a":1}"#);
        assert_eq!(g.feed("more"), "");
        assert_eq!(g.completion(), "");
        assert_eq!(completed("not json"), json!({}));
        assert_eq!(completed(r#"["a"]"#), json!({}));
        assert_eq!(completed(r#"{"a":1,}"#), json!({"a": 1, "": null}));
        assert_eq!(completed("{\"a\":\"x\ny\"}"), json!({"a": "x"}));
        assert_eq!(completed(r#"{"a" 1}"#), json!({"a": null}));
    }

    #[test]
    fn fragments_split_anywhere_give_the_same_result() {
        let s = r#"{"cmd": "ls -la \"é\"", "n": [1, 2.5, -3e2], "ok": true, "o": {"x": null}}"#;
        let chars: Vec<(usize, char)> = s.char_indices().collect();
        for (cut, _) in chars {
            let mut g = JsonGuard::new();
            let mut out = String::new();
            out.push_str(g.feed(s.get(..cut).unwrap_or("")));
            out.push_str(g.feed(s.get(cut..).unwrap_or("")));
            assert_eq!(out, s);
            assert!(g.is_complete());
        }
    }

    /// xorshift64*.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
    }

    #[test]
    fn random_text_always_completes_to_an_object() {
        let alphabet: Vec<char> = "{}[]\":,\\ u0aE-+.1tfnrul\né".chars().collect();
        let mut rng = Rng(0x5EED);
        for _ in 0..20_000 {
            let len = (rng.next() % 30) as usize;
            let mut s = String::from(if rng.next() & 1 == 0 { "{" } else { "" });
            for _ in 0..len {
                let i = (rng.next() % alphabet.len() as u64) as usize;
                s.push(alphabet.get(i).copied().unwrap_or('x'));
            }
            let v = completed(&s);
            assert!(v.is_object(), "{s:?}");
        }
    }
}
