//! Reading the TOML file: spans, unknown keys, per-entry deserialization into raw structs.

use std::cell::Cell;
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::duration::Dur;
use super::error::{ConfigError, friendly, unknown_key_message};
use super::{Api, AuthKind, ModelMap, ModelPattern, Platform, SecretRef};

/// `[server]` as written. Every key is optional here, even required ones, so that each
/// key can be read on its own to report all errors; `validate` checks required keys.
#[derive(Debug, Default, Deserialize)]
pub(super) struct RawServer {
    pub listen: Option<Listen>,
    pub max_body_bytes: Option<u64>,
    pub allowed_hosts: Option<Vec<String>>,
    pub allowed_origins: Option<Vec<String>>,
    pub shutdown_grace: Option<Dur>,
}

/// `[gateway]` as written.
#[derive(Debug, Default, Deserialize)]
pub(super) struct RawGateway {
    pub max_account_switches: Option<u32>,
    pub sticky_ttl: Option<Dur>,
    pub key_wait_timeout: Option<Dur>,
    pub account_wait_timeout: Option<Dur>,
    pub extra_wait_slots: Option<u32>,
    pub keepalive_interval: Option<Dur>,
    pub stream_idle_timeout: Option<Dur>,
    pub connect_timeout: Option<Dur>,
    pub first_byte_timeout: Option<Dur>,
}

/// `[pricing]` as written.
#[derive(Debug, Default, Deserialize)]
pub(super) struct RawPricing {
    pub file: Option<String>,
}

/// `[ledger]` as written.
#[derive(Debug, Default, Deserialize)]
pub(super) struct RawLedger {
    pub time_zone: Option<String>,
}

/// One `[[accounts]]` entry as written.
#[derive(Debug, Deserialize)]
pub(super) struct RawAccount {
    pub name: Option<String>,
    pub platform: Option<Platform>,
    pub auth: Option<AuthKind>,
    pub secret: Option<SecretRef>,
    pub base_url: Option<String>,
    pub priority: Option<u32>,
    pub concurrency: Option<u32>,
    pub groups: Option<Vec<String>>,
    pub models: Option<Vec<ModelPattern>>,
    pub model_map: Option<ModelMap>,
    pub proxy: Option<String>,
    pub api: Option<Api>,
    pub enabled: Option<bool>,
    pub mock: Option<RawMock>,
}

/// `[accounts.mock]` as written.
#[derive(Debug, Default, Deserialize)]
pub(super) struct RawMock {
    pub latency: Option<Dur>,
    pub chunk_delay: Option<Dur>,
    pub fail_rate: Option<f64>,
    pub rate_limit_every: Option<u32>,
    pub retry_after: Option<Dur>,
    pub overloaded: Option<bool>,
}

/// One `[[groups]]` entry as written.
#[derive(Debug, Deserialize)]
pub(super) struct RawGroup {
    pub name: Option<String>,
    pub models: Option<Vec<ModelPattern>>,
    pub model_map: Option<ModelMap>,
}

/// One `[[keys]]` entry as written.
#[derive(Debug, Deserialize)]
pub(super) struct RawKey {
    pub name: Option<String>,
    pub hash: Option<String>,
    pub group: Option<String>,
    pub concurrency: Option<u32>,
    pub daily_usd: Option<f64>,
    pub monthly_usd: Option<f64>,
    pub models: Option<Vec<ModelPattern>>,
}

/// A socket address such as `127.0.0.1:8787`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Listen(pub std::net::SocketAddr);

impl<'de> Deserialize<'de> for Listen {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        parse_listen(&s)
            .map(Listen)
            .map_err(serde::de::Error::custom)
    }
}

/// Parses a listen address, with a message that shows the expected form.
pub(super) fn parse_listen(s: &str) -> Result<std::net::SocketAddr, String> {
    s.trim().parse().map_err(|_| {
        format!(
            "expected a socket address like `127.0.0.1:8787` or `[::1]:8787` (an IP address and a port), found `{s}`"
        )
    })
}

/// Everything read from the file, entry by entry. Entries that failed to deserialize are
/// missing (their errors are recorded); indexes are the positions in the file.
#[derive(Debug, Default)]
pub(super) struct RawDoc {
    pub server: RawServer,
    pub gateway: RawGateway,
    pub pricing: RawPricing,
    pub ledger: RawLedger,
    pub accounts: Vec<(usize, RawAccount)>,
    pub groups: Vec<(usize, RawGroup)>,
    pub keys: Vec<(usize, RawKey)>,
    /// Some `[[groups]]` entry could not be read, so group references cannot be checked.
    pub groups_incomplete: bool,
}

/// The parsed file with its spans, for error locations.
pub(super) struct Source<'t> {
    pub text: &'t str,
    pub file: Option<&'t Path>,
    pub root: DeTable<'t>,
}

impl<'t> Source<'t> {
    /// Parses the TOML syntax. A syntax error is reported with its line.
    pub fn parse(text: &'t str, file: Option<&'t Path>) -> Result<Self, ConfigError> {
        match DeTable::parse(text) {
            Ok(root) => Ok(Self {
                text,
                file,
                root: root.into_inner(),
            }),
            Err(e) => Err(ConfigError {
                file: file.map(Path::to_path_buf),
                line: e.span().map(|s| line_at(text, s.start)),
                path: String::new(),
                message: format!("invalid TOML: {}", e.message().trim()),
            }),
        }
    }

    /// An error at `path`, located by its span or, failing that, by the path.
    pub fn error(&self, path: &str, span: Option<Range<usize>>, message: String) -> ConfigError {
        let line = span
            .map(|s| line_at(self.text, s.start))
            .or_else(|| line_of(self.text, &self.root, path));
        ConfigError {
            file: self.file.map(Path::to_path_buf),
            line,
            path: path.to_owned(),
            message,
        }
    }

    /// Reads every section, collecting errors instead of stopping at the first.
    pub fn read(&self, errors: &mut Vec<ConfigError>) -> RawDoc {
        let mut doc = RawDoc::default();
        let top = [
            "server", "gateway", "pricing", "ledger", "accounts", "groups", "keys",
        ];
        for (key, value) in self.root.iter() {
            let name = key.get_ref().as_ref();
            let path = key_path("", name);
            match name {
                "server" => {
                    self.check_keys(value, &path, &fields_of::<RawServer>(), errors);
                    doc.server = self.entry(value, &path, errors).unwrap_or_default();
                }
                "gateway" => {
                    self.check_keys(value, &path, &fields_of::<RawGateway>(), errors);
                    doc.gateway = self.entry(value, &path, errors).unwrap_or_default();
                }
                "pricing" => {
                    self.check_keys(value, &path, &fields_of::<RawPricing>(), errors);
                    doc.pricing = self.entry(value, &path, errors).unwrap_or_default();
                }
                "ledger" => {
                    self.check_keys(value, &path, &fields_of::<RawLedger>(), errors);
                    doc.ledger = self.entry(value, &path, errors).unwrap_or_default();
                }
                "accounts" => {
                    let required = ["name", "platform"];
                    doc.accounts = self.entries(value, &path, &required, errors, |v, p, errs| {
                        self.check_keys(v, p, &fields_of::<RawAccount>(), errs);
                        if let Some((k, mock)) = table_get(v, "mock") {
                            let mp = key_path(p, k);
                            self.check_keys(mock, &mp, &fields_of::<RawMock>(), errs);
                        }
                    });
                }
                "groups" => {
                    doc.groups = self.entries(value, &path, &["name"], errors, |v, p, errs| {
                        self.check_keys(v, p, &fields_of::<RawGroup>(), errs);
                    });
                    doc.groups_incomplete = !matches!(
                        value.get_ref(),
                        DeValue::Array(items) if items.len() == doc.groups.len()
                    );
                }
                "keys" => {
                    let required = ["name", "hash"];
                    doc.keys = self.entries(value, &path, &required, errors, |v, p, errs| {
                        self.check_keys(v, p, &fields_of::<RawKey>(), errs);
                    });
                }
                _ => errors.push(self.error(
                    &path,
                    Some(key.span()),
                    unknown_key_message(name, &top),
                )),
            }
        }
        doc
    }

    /// Deserializes each element of an array of tables, after `check` looked at its keys
    /// and the `required` keys were looked for.
    fn entries<T: DeserializeOwned>(
        &self,
        value: &Spanned<DeValue<'t>>,
        path: &str,
        required: &[&str],
        errors: &mut Vec<ConfigError>,
        check: impl Fn(&Spanned<DeValue<'t>>, &str, &mut Vec<ConfigError>),
    ) -> Vec<(usize, T)> {
        let DeValue::Array(items) = value.get_ref() else {
            errors.push(self.error(
                path,
                Some(value.span()),
                format!("expected an array of tables (`[[{path}]]` sections)"),
            ));
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let item_path = format!("{path}[{i}]");
            check(item, &item_path, errors);
            if let DeValue::Table(table) = item.get_ref() {
                for key in required {
                    if !table.keys().any(|k| k.get_ref().as_ref() == *key) {
                        let message = format!("missing required key `{key}`");
                        errors.push(self.error(&item_path, Some(item.span()), message));
                    }
                }
            }
            if let Some(entry) = self.entry(item, &item_path, errors) {
                out.push((i, entry));
            }
        }
        out
    }

    /// Deserializes one table, recording errors (with path and line) on failure. When the
    /// table as a whole fails, each key is read on its own so that every bad key is reported.
    fn entry<T: DeserializeOwned>(
        &self,
        value: &Spanned<DeValue<'t>>,
        path: &str,
        errors: &mut Vec<ConfigError>,
    ) -> Option<T> {
        let DeValue::Table(table) = value.get_ref() else {
            let found = describe(value.get_ref());
            let message = format!("expected a table, found {found}");
            errors.push(self.error(path, Some(value.span()), message));
            return None;
        };
        match self.deserialize::<T>(value, path) {
            Ok(v) => Some(v),
            Err(first) => {
                let before = errors.len();
                for (k, v) in table.iter() {
                    let single = DeTable::from_iter([(k.clone(), v.clone())]);
                    let single = Spanned::new(value.span(), DeValue::Table(single));
                    if let Err(e) = self.deserialize::<T>(&single, path) {
                        errors.push(e);
                    }
                }
                if errors.len() == before {
                    errors.push(first);
                }
                None
            }
        }
    }

    /// Deserializes `value`, turning an error into a located `ConfigError`.
    fn deserialize<T: DeserializeOwned>(
        &self,
        value: &Spanned<DeValue<'t>>,
        path: &str,
    ) -> Result<T, ConfigError> {
        let de = ValueDeserializer::from(value.clone());
        serde_path_to_error::deserialize::<_, T>(de).map_err(|e| {
            let mut full = path.to_owned();
            for segment in e.path().iter() {
                match segment {
                    serde_path_to_error::Segment::Seq { index } => {
                        full.push_str(&format!("[{index}]"));
                    }
                    serde_path_to_error::Segment::Map { key } => full = key_path(&full, key),
                    serde_path_to_error::Segment::Enum { variant } => {
                        full = key_path(&full, variant);
                    }
                    serde_path_to_error::Segment::Unknown => {}
                }
            }
            let inner = e.into_inner();
            // Errors without a span of their own are located by their path.
            let span = inner.span().filter(|s| !s.is_empty());
            self.error(&full, span, friendly(inner.message()))
        })
    }

    /// Reports every key of the table `value` that is not in `known`.
    fn check_keys(
        &self,
        value: &Spanned<DeValue<'t>>,
        path: &str,
        known: &[&str],
        errors: &mut Vec<ConfigError>,
    ) {
        let DeValue::Table(table) = value.get_ref() else {
            return; // the type error is reported by deserialization
        };
        for key in table.keys() {
            let name = key.get_ref().as_ref();
            if !known.contains(&name) {
                errors.push(self.error(
                    &key_path(path, name),
                    Some(key.span()),
                    unknown_key_message(name, known),
                ));
            }
        }
    }
}

/// "a string", "an array"... for messages.
fn describe(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a number",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// The entry `name` of a table value, with the key as written.
fn table_get<'a, 't>(
    value: &'a Spanned<DeValue<'t>>,
    name: &str,
) -> Option<(&'a str, &'a Spanned<DeValue<'t>>)> {
    let DeValue::Table(table) = value.get_ref() else {
        return None;
    };
    table
        .iter()
        .find(|(k, _)| k.get_ref().as_ref() == name)
        .map(|(k, v)| (k.get_ref().as_ref(), v))
}

/// 1-based line of a byte offset.
fn line_at(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Appends `key` to a dotted path, quoting it when it is not a bare TOML key.
pub(super) fn key_path(path: &str, key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    let key = if bare {
        key.to_owned()
    } else {
        format!("\"{}\"", key.replace('\\', "\\\\").replace('"', "\\\""))
    };
    if path.is_empty() {
        key
    } else {
        format!("{path}.{key}")
    }
}

enum Segment {
    Key(String),
    Index(usize),
}

/// Splits `accounts[1].model_map."claude-*"` into keys and indexes.
fn split_path(path: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '.' => {}
            '[' => {
                let digits: String = chars.by_ref().take_while(|c| *c != ']').collect();
                if let Ok(i) = digits.parse() {
                    out.push(Segment::Index(i));
                }
            }
            '"' => {
                let mut key = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => key.extend(chars.next()),
                        '"' => break,
                        c => key.push(c),
                    }
                }
                out.push(Segment::Key(key));
            }
            c => {
                let mut key = String::from(c);
                while let Some(c) = chars.next_if(|c| *c != '.' && *c != '[') {
                    key.push(c);
                }
                out.push(Segment::Key(key));
            }
        }
    }
    out
}

/// The line of the deepest part of the dotted `path` that exists in `doc`: the key's line
/// for a key, the element's line for an index. None when not even the first part exists.
pub(super) fn line_of(text: &str, doc: &DeTable<'_>, path: &str) -> Option<usize> {
    let mut table = Some(doc);
    let mut current: Option<&Spanned<DeValue<'_>>> = None;
    let mut line = None;
    for segment in split_path(path) {
        match segment {
            Segment::Key(k) => {
                let t = match (table, current.map(Spanned::get_ref)) {
                    (Some(t), None) => t,
                    (_, Some(DeValue::Table(t))) => t,
                    _ => break,
                };
                let Some((key, value)) = t.iter().find(|(key, _)| key.get_ref().as_ref() == k)
                else {
                    break;
                };
                line = Some(line_at(text, key.span().start));
                table = None;
                current = Some(value);
            }
            Segment::Index(i) => {
                let Some(DeValue::Array(items)) = current.map(Spanned::get_ref) else {
                    break;
                };
                let Some(item) = items.get(i) else { break };
                line = Some(line_at(text, item.span().start));
                current = Some(item);
            }
        }
    }
    line
}

/// The field names a derived `Deserialize` struct accepts, read from serde itself so the
/// unknown-key check can never drift from the structs.
pub(super) fn fields_of<T: DeserializeOwned>() -> Vec<&'static str> {
    let found = Cell::new(None);
    let _ = T::deserialize(FieldProbe(&found));
    found.get().map(<[&str]>::to_vec).unwrap_or_default()
}

struct FieldProbe<'a>(&'a Cell<Option<&'static [&'static str]>>);

impl<'de> serde::Deserializer<'de> for FieldProbe<'_> {
    type Error = serde::de::value::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(serde::de::Error::custom("probe"))
    }

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.set(Some(fields));
        Err(serde::de::Error::custom("probe"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::TestResult;
    use super::*;

    #[test]
    fn fields_come_from_serde() -> TestResult {
        let fields = fields_of::<RawKey>();
        assert!(fields.contains(&"concurrency") && fields.contains(&"daily_usd"));
        assert_eq!(fields_of::<RawServer>().len(), 5);
        assert_eq!(fields_of::<RawGateway>().len(), 9);
        Ok(())
    }

    #[test]
    fn paths_and_lines() -> TestResult {
        assert_eq!(key_path("a", "b"), "a.b");
        assert_eq!(key_path("a", "claude-*"), "a.\"claude-*\"");
        let text = "[server]\nlisten = \"x\"\n\n[[accounts]]\nname = \"a\"\n\n[[accounts]]\nname = \"b\"\nmodel_map = { \"c-*\" = \"d\" }\n";
        let doc = DeTable::parse(text)?.into_inner();
        assert_eq!(line_of(text, &doc, "server.listen"), Some(2));
        assert_eq!(line_of(text, &doc, "accounts[1].name"), Some(8));
        assert_eq!(
            line_of(text, &doc, "accounts[1].model_map.\"c-*\""),
            Some(9)
        );
        // Missing leaf: the deepest existing part.
        assert_eq!(line_of(text, &doc, "accounts[0].priority"), Some(4));
        assert_eq!(line_of(text, &doc, "gateway.sticky_ttl"), None);
        Ok(())
    }
}
