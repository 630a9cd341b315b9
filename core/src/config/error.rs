//! Config errors: `FILE:LINE: PATH: MESSAGE`, serde message rewording and "did you mean" hints.

use std::fmt;
use std::path::{Path, PathBuf};

/// One problem found in the configuration (file, environment or an edit of the file).
///
/// Displays as `FILE:LINE: PATH: MESSAGE`, leaving out the parts that are unknown, e.g.
/// `config.toml:14: accounts[1].concurency: unknown key (did you mean concurrency?)`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct ConfigError {
    /// The file the problem is in, as given (None for environment variables).
    pub file: Option<PathBuf>,
    /// 1-based line in `file`, when known.
    pub line: Option<usize>,
    /// Dotted key path (`accounts[1].concurrency`) or environment variable name; may be empty.
    pub path: String,
    /// What is wrong, and when possible what to do instead.
    pub message: String,
}

impl ConfigError {
    /// A problem at `path` with no file/line information.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            file: None,
            line: None,
            path: path.into(),
            message: message.into(),
        }
    }

    /// A problem with a whole file (cannot read it, cannot write it...).
    pub fn file(file: &Path, message: impl Into<String>) -> Self {
        Self {
            file: Some(file.to_path_buf()),
            line: None,
            path: String::new(),
            message: message.into(),
        }
    }

    fn render(&self) -> String {
        let mut out = String::new();
        match (&self.file, self.line) {
            (Some(file), Some(line)) => out.push_str(&format!("{}:{line}: ", file.display())),
            (Some(file), None) => out.push_str(&format!("{}: ", file.display())),
            (None, Some(line)) => out.push_str(&format!("line {line}: ")),
            (None, None) => {}
        }
        if !self.path.is_empty() {
            out.push_str(&self.path);
            out.push_str(": ");
        }
        out.push_str(&self.message);
        out
    }
}

/// Every problem found, in file order. Displays one problem per line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl ConfigErrors {
    /// The problems.
    pub fn iter(&self) -> impl Iterator<Item = &ConfigError> {
        self.0.iter()
    }

    /// How many problems.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl From<ConfigError> for ConfigErrors {
    fn from(e: ConfigError) -> Self {
        Self(vec![e])
    }
}

/// Levenshtein distance between two short strings.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = Vec::with_capacity(b.len() + 1);
        cur.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            let del = prev[j + 1] + 1;
            let ins = cur[j] + 1;
            cur.push(sub.min(del).min(ins));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The known word closest to `word`, if it is within edit distance 2.
pub(super) fn suggest<'a>(word: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (edit_distance(word, k), *k))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// The message for an unknown key among `known`.
pub(super) fn unknown_key_message(key: &str, known: &[&str]) -> String {
    match suggest(key, known) {
        Some(k) => format!("unknown key (did you mean {k}?)"),
        None => format!("unknown key (known keys: {})", known.join(", ")),
    }
}

/// Rewords serde's messages (`invalid type: string "x", expected u32`) for people.
pub(super) fn friendly(message: &str) -> String {
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|r| r.strip_suffix('`'))
    {
        return format!("missing required key `{field}`");
    }
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some((found, expected)) = rest.rsplit_once(", expected ")
        {
            return format!(
                "expected {}, found {}",
                expected_word(expected),
                found_word(found)
            );
        }
    }
    message.to_owned()
}

fn expected_word(expected: &str) -> String {
    match expected {
        "u32" => "an integer from 0 to 4294967295".to_owned(),
        "u8" | "u16" | "u64" | "usize" => "a non-negative integer".to_owned(),
        "i8" | "i16" | "i32" | "i64" | "isize" => "an integer".to_owned(),
        "f32" | "f64" => "a number".to_owned(),
        "a sequence" => "an array".to_owned(),
        "a map" => "a table".to_owned(),
        "a borrowed string" => "a string".to_owned(),
        other if other.starts_with("struct ") => "a table".to_owned(),
        other => other.to_owned(),
    }
}

fn found_word(found: &str) -> String {
    match found {
        "map" => "a table".to_owned(),
        "sequence" => "an array".to_owned(),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::TestResult;
    use super::*;

    #[test]
    fn display_omits_unknown_parts() -> TestResult {
        let mut e = ConfigError::new("accounts[1].concurency", "unknown key");
        assert_eq!(e.to_string(), "accounts[1].concurency: unknown key");
        e.file = Some(PathBuf::from("config.toml"));
        e.line = Some(14);
        assert_eq!(
            e.to_string(),
            "config.toml:14: accounts[1].concurency: unknown key"
        );
        let io = ConfigError::file(Path::new("/x/c.toml"), "cannot read: denied");
        assert_eq!(io.to_string(), "/x/c.toml: cannot read: denied");
        let errs = ConfigErrors(vec![e, io]);
        assert_eq!(errs.to_string().lines().count(), 2);
        Ok(())
    }

    #[test]
    fn suggestions() -> TestResult {
        let known = ["name", "concurrency", "priority"];
        assert_eq!(suggest("concurency", &known), Some("concurrency"));
        assert_eq!(suggest("nmae", &known), Some("name"));
        assert_eq!(suggest("zzzzzz", &known), None);
        assert!(unknown_key_message("zzz", &known).contains("known keys: name"));
        Ok(())
    }

    #[test]
    fn friendly_messages() -> TestResult {
        assert_eq!(
            friendly("invalid type: string \"x\", expected u32"),
            "expected an integer from 0 to 4294967295, found string \"x\""
        );
        assert_eq!(
            friendly("missing field `name`"),
            "missing required key `name`"
        );
        assert_eq!(
            friendly("invalid type: map, expected a string"),
            "expected a string, found a table"
        );
        Ok(())
    }
}
