//! Editing the config file (`relay key create` / `revoke`, `relay account add` / `remove`),
//! keeping comments and layout.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use toml_edit::{ArrayOfTables, DocumentMut, InlineTable, Item, Table, Value};

use super::error::{ConfigError, ConfigErrors};
use super::load::{parse, read_error};
use super::raw::line_of;
use super::validate::{bad_name_message, valid_name};

/// A client key to append as a `[[keys]]` entry.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewKey {
    pub name: String,
    /// `sha256:` + 64 lowercase hex digits.
    pub hash: String,
    pub group: Option<String>,
    pub concurrency: Option<u32>,
    pub daily_usd: Option<f64>,
    pub monthly_usd: Option<f64>,
    /// Model patterns (empty = no allowlist).
    pub models: Vec<String>,
}

/// An upstream account to append as an `[[accounts]]` entry (unset fields keep defaults).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewAccount {
    pub name: String,
    pub platform: String,
    pub auth: Option<String>,
    /// `keyring`, `env:VAR` or `file:PATH`.
    pub secret: Option<String>,
    pub base_url: Option<String>,
    pub priority: Option<u32>,
    pub concurrency: Option<u32>,
    pub groups: Vec<String>,
    pub models: Vec<String>,
    pub proxy: Option<String>,
}

/// Appends a `[[keys]]` entry to the config file at `path`, creating the file (and its
/// directory) when missing. Everything already in the file stays byte for byte. Refuses a
/// duplicate name, and writes nothing unless the resulting file is a valid config.
pub fn add_key(path: &Path, key: &NewKey) -> Result<(), ConfigErrors> {
    let exists = |c: &super::Config| c.keys.iter().position(|k| k.name == key.name);
    add_entry(
        path,
        "keys",
        "key",
        &key.name,
        &exists,
        &format!(
            "a key named `{0}` already exists (revoke it first with `relay key revoke {0}`)",
            key.name
        ),
        entries(key),
    )
}

/// Appends an `[[accounts]]` entry, like [`add_key`].
pub fn add_account(path: &Path, account: &NewAccount) -> Result<(), ConfigErrors> {
    let exists = |c: &super::Config| c.accounts.iter().position(|a| a.name == account.name);
    add_entry(
        path,
        "accounts",
        "account",
        &account.name,
        &exists,
        &format!(
            "an account named `{0}` already exists (remove it first with `relay account remove {0}`)",
            account.name
        ),
        account_entries(account),
    )
}

fn add_entry(
    path: &Path,
    table: &str,
    what: &str,
    name: &str,
    exists: &dyn Fn(&super::Config) -> Option<usize>,
    duplicate: &str,
    fields: Vec<(&'static str, Value)>,
) -> Result<(), ConfigErrors> {
    if !valid_name(name) {
        return Err(ConfigError::new(table, bad_name_message(what, name)).into());
    }
    let target = resolve(path);
    let old = read_existing(&target)?.unwrap_or_default();
    let current = parse(&old, Some(path))?;
    if let Some(i) = exists(&current) {
        let item = format!("{table}[{i}].name");
        let line = toml::de::DeTable::parse(&old)
            .ok()
            .and_then(|doc| line_of(&old, doc.get_ref(), &item));
        return Err(ConfigError {
            file: Some(path.to_path_buf()),
            line,
            path: item,
            message: duplicate.to_owned(),
        }
        .into());
    }

    let mut doc: DocumentMut = old.parse().map_err(|e| syntax_error(path, &old, &e))?;
    let new_text = match doc.get_mut(table) {
        // `keys = [ {...} ]` written inline: extend that array.
        Some(Item::Value(Value::Array(array))) => {
            array.push(Value::InlineTable(inline_entry(&fields)));
            doc.to_string()
        }
        // Otherwise append a `[[table]]` section after everything else.
        _ => {
            let sep = if old.is_empty() || old.ends_with("\n\n") {
                ""
            } else if old.ends_with('\n') {
                "\n"
            } else {
                "\n\n"
            };
            format!("{old}{sep}{}", section(table, &fields))
        }
    };
    parse(&new_text, Some(path))?;
    write_atomic(&target, &new_text).map_err(|e| write_error(path, &e))?;
    Ok(())
}

/// Removes the `[[keys]]` entry named `name`; returns false when there is none (or no file).
/// Everything else in the file stays byte for byte, apart from comments directly above the
/// removed entry's header, which go with it.
pub fn remove_key(path: &Path, name: &str) -> Result<bool, ConfigErrors> {
    remove_entry(path, "keys", name)
}

/// Removes the `[[accounts]]` entry named `name`, like [`remove_key`].
pub fn remove_account(path: &Path, name: &str) -> Result<bool, ConfigErrors> {
    remove_entry(path, "accounts", name)
}

fn remove_entry(path: &Path, table: &str, name: &str) -> Result<bool, ConfigErrors> {
    let target = resolve(path);
    let Some(old) = read_existing(&target)? else {
        return Ok(false);
    };
    let mut doc: DocumentMut = old.parse().map_err(|e| syntax_error(path, &old, &e))?;
    let named = |t: &dyn toml_edit::TableLike| t.get("name").and_then(Item::as_str) == Some(name);
    let removed = match doc.get_mut(table) {
        Some(Item::ArrayOfTables(tables)) => {
            let pos = tables.iter().position(|t| named(t));
            pos.map(|i| {
                let table = tables.remove(i);
                let prefix = table.decor().prefix().and_then(|p| p.as_str());
                (table.position(), detached(prefix.unwrap_or("")).to_owned())
            })
        }
        Some(Item::Value(Value::Array(array))) => {
            let pos = array
                .iter()
                .position(|v| v.as_inline_table().is_some_and(|t| named(t)));
            pos.map(|i| {
                array.remove(i);
                (None, String::new())
            })
        }
        _ => None,
    };
    let Some((position, kept)) = removed else {
        return Ok(false);
    };
    if let Some(position) = position.filter(|_| !kept.trim().is_empty()) {
        keep_comments(&mut doc, position, &kept);
    }
    write_atomic(&target, &doc.to_string()).map_err(|e| write_error(path, &e))?;
    Ok(true)
}

/// The part of a header's prefix that is separated from the header by a blank line: comments
/// there are about something else and survive the removal of the table.
fn detached(prefix: &str) -> &str {
    let mut end = 0;
    let mut offset = 0;
    for line in prefix.split_inclusive('\n') {
        offset += line.len();
        if line.ends_with('\n') && line.trim().is_empty() {
            end = offset;
        }
    }
    &prefix[..end]
}

/// Puts `text` (comments) where the removed table at `position` was: before the next table,
/// or at the end of the document.
fn keep_comments(doc: &mut DocumentMut, position: isize, text: &str) {
    let mut next: Option<isize> = None;
    visit_tables(doc.as_table_mut(), &mut |t| {
        if let Some(p) = t.position().filter(|p| *p > position) {
            next = Some(next.map_or(p, |n| n.min(p)));
        }
    });
    let mut placed = false;
    if let Some(next) = next {
        visit_tables(doc.as_table_mut(), &mut |t| {
            if !placed && t.position() == Some(next) {
                let old = t.decor().prefix().and_then(|p| p.as_str()).unwrap_or("");
                let new = format!("{text}{old}");
                t.decor_mut().set_prefix(new);
                placed = true;
            }
        });
    }
    if !placed {
        let trailing = doc.trailing().as_str().unwrap_or("").to_owned();
        doc.set_trailing(format!("{text}{trailing}"));
    }
}

/// Calls `f` on every table below `table` (sub-tables and arrays of tables), depth first.
fn visit_tables(table: &mut Table, f: &mut dyn FnMut(&mut Table)) {
    for (_, item) in table.iter_mut() {
        match item {
            Item::Table(t) => {
                f(t);
                visit_tables(t, f);
            }
            Item::ArrayOfTables(tables) => {
                for t in tables.iter_mut() {
                    f(t);
                    visit_tables(t, f);
                }
            }
            _ => {}
        }
    }
}

/// The `[[keys]]` section for `key`, rendered by `toml_edit` (so strings are escaped right).
fn section(name: &str, fields: &[(&'static str, Value)]) -> String {
    let mut table = Table::new();
    for (k, v) in fields {
        table.insert(k, Item::Value(v.clone()));
    }
    let mut tables = ArrayOfTables::new();
    tables.push(table);
    let mut doc = DocumentMut::new();
    doc.insert(name, Item::ArrayOfTables(tables));
    doc.to_string()
}

fn inline_entry(fields: &[(&'static str, Value)]) -> InlineTable {
    let mut table = InlineTable::new();
    for (k, v) in fields {
        table.insert(*k, v.clone());
    }
    table.fmt();
    table
}

fn account_entries(a: &NewAccount) -> Vec<(&'static str, Value)> {
    let mut out = vec![
        ("name", Value::from(a.name.as_str())),
        ("platform", Value::from(a.platform.as_str())),
    ];
    let strings = [
        ("auth", &a.auth),
        ("secret", &a.secret),
        ("base_url", &a.base_url),
    ];
    for (k, v) in strings {
        if let Some(v) = v {
            out.push((k, Value::from(v.as_str())));
        }
    }
    if let Some(n) = a.priority {
        out.push(("priority", Value::from(i64::from(n))));
    }
    if let Some(n) = a.concurrency {
        out.push(("concurrency", Value::from(i64::from(n))));
    }
    for (k, list) in [("groups", &a.groups), ("models", &a.models)] {
        if !list.is_empty() {
            let arr: toml_edit::Array = list.iter().map(String::as_str).collect();
            out.push((k, Value::Array(arr)));
        }
    }
    if let Some(p) = &a.proxy {
        out.push(("proxy", Value::from(p.as_str())));
    }
    out
}

fn entries(key: &NewKey) -> Vec<(&'static str, Value)> {
    let mut out = vec![
        ("name", Value::from(key.name.as_str())),
        ("hash", Value::from(key.hash.as_str())),
    ];
    if let Some(group) = &key.group {
        out.push(("group", Value::from(group.as_str())));
    }
    if let Some(n) = key.concurrency {
        out.push(("concurrency", Value::from(i64::from(n))));
    }
    if let Some(x) = key.daily_usd {
        out.push(("daily_usd", Value::from(x)));
    }
    if let Some(x) = key.monthly_usd {
        out.push(("monthly_usd", Value::from(x)));
    }
    if !key.models.is_empty() {
        let models: toml_edit::Array = key.models.iter().map(String::as_str).collect();
        out.push(("models", Value::Array(models)));
    }
    out
}

/// Follows a symlinked config file so the edit replaces its target, not the link.
fn resolve(path: &Path) -> PathBuf {
    fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The file's text, or None when it does not exist.
fn read_existing(path: &Path) -> Result<Option<String>, ConfigErrors> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(read_error(path, &e).into()),
    }
}

fn syntax_error(path: &Path, text: &str, e: &toml_edit::TomlError) -> ConfigErrors {
    ConfigError {
        file: Some(path.to_path_buf()),
        line: e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1),
        path: String::new(),
        message: format!("invalid TOML: {}", e.message().trim()),
    }
    .into()
}

fn write_error(path: &Path, e: &io::Error) -> ConfigErrors {
    ConfigError::file(path, format!("cannot write config file: {e}")).into()
}

/// Replaces `path` with `text` atomically (the new file takes the old one's permissions),
/// creating its directory when missing.
fn write_atomic(path: &Path, text: &str) -> io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir)?;
    }
    crate::paths::write_atomic(path, text.as_bytes(), crate::paths::Mode::KeepExisting)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{TestResult, hash};
    use super::super::{parse, starter};
    use super::*;

    fn new_key(name: &str) -> NewKey {
        NewKey {
            name: name.to_owned(),
            hash: hash('e'),
            group: None,
            concurrency: Some(2),
            daily_usd: Some(1.5),
            monthly_usd: None,
            models: vec!["claude-*".to_owned()],
        }
    }

    #[test]
    fn add_and_remove_keys_preserve_the_file() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("sub").join("config.toml");

        // Creates the file and its directory.
        add_key(&path, &new_key("first"))?;
        let c = parse(&std::fs::read_to_string(&path)?, None)?;
        assert_eq!(c.keys[0].concurrency, 2);
        assert_eq!(c.keys[0].daily_usd, Some(1.5));
        assert_eq!(c.keys[0].models[0].as_str(), "claude-*");

        let original = format!(
            "# my relay\n[server]\nlisten = \"127.0.0.1:8787\"   # keep me\n\n# the key\n[[keys]]\nname = \"old\"\nhash = \"{}\"\n\n[[accounts]]  # trailing comment\nname   =   \"a\"\nplatform = 'openai'\n# end of file comment",
            hash('f')
        );
        std::fs::write(&path, &original)?;
        add_key(&path, &new_key("laptop"))?;
        let after = std::fs::read_to_string(&path)?;
        assert!(
            after.starts_with(&original),
            "original text changed:\n{after}"
        );
        assert!(
            after[original.len()..].starts_with("\n\n[[keys]]\nname = \"laptop\"\n"),
            "{after}"
        );
        let c = parse(&after, None)?;
        assert_eq!(
            c.keys.iter().map(|k| k.name.as_str()).collect::<Vec<_>>(),
            ["old", "laptop"]
        );

        // Duplicate: refused, file untouched.
        let e = add_key(&path, &new_key("laptop"))
            .err()
            .ok_or("expected an error")?
            .to_string();
        assert!(
            e.contains("keys[1].name: a key named `laptop` already exists"),
            "{e}"
        );
        // Invalid result (unknown group): refused, file untouched.
        let mut bad = new_key("other");
        bad.group = Some("nope".into());
        assert!(
            add_key(&path, &bad)
                .err()
                .ok_or("expected an error")?
                .to_string()
                .contains("unknown group `nope`")
        );
        assert!(add_key(&path, &new_key("Bad Name")).is_err());
        assert_eq!(std::fs::read_to_string(&path)?, after);

        // Removing the new key restores the original text exactly.
        assert!(remove_key(&path, "laptop")?);
        let removed = std::fs::read_to_string(&path)?;
        assert_eq!(removed.trim_end(), original.trim_end());
        assert!(!remove_key(&path, "laptop")?);

        // Removing a key in the middle keeps every other byte.
        assert!(remove_key(&path, "old")?);
        let text = std::fs::read_to_string(&path)?;
        assert_eq!(
            text.trim_end(),
            "# my relay\n[server]\nlisten = \"127.0.0.1:8787\"   # keep me\n\n[[accounts]]  # trailing comment\nname   =   \"a\"\nplatform = 'openai'\n# end of file comment"
        );
        assert!(!remove_key(&dir.path().join("absent.toml"), "x")?);
        // No temp files left behind.
        let leftovers = std::fs::read_dir(path.parent().ok_or("no parent")?)?.count();
        assert_eq!(leftovers, 1);
        Ok(())
    }

    #[test]
    fn add_key_to_starter_and_inline_keys() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("config.toml");
        std::fs::write(&path, starter())?;
        add_key(&path, &new_key("laptop"))?;
        let after = std::fs::read_to_string(&path)?;
        assert!(after.starts_with(starter()));
        assert_eq!(parse(&after, None)?.keys.len(), 1);

        let inline = format!(
            "keys = [ {{ name = \"a\", hash = \"{}\" }} ]  # inline\n",
            hash('1')
        );
        std::fs::write(&path, &inline)?;
        add_key(&path, &new_key("b"))?;
        let after = std::fs::read_to_string(&path)?;
        assert!(after.ends_with("]  # inline\n"), "{after}");
        let c = parse(&after, None)?;
        assert_eq!(
            c.keys.iter().map(|k| k.name.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert!(remove_key(&path, "a")?);
        assert_eq!(
            parse(&std::fs::read_to_string(&path)?, None)?.keys[0].name,
            "b"
        );
        Ok(())
    }

    #[test]
    fn remove_key_keeps_detached_comments() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("config.toml");
        let text = format!(
            "[[keys]]\nname = \"a\"\nhash = \"{h}\"\n\n# about the accounts below\n\n# key b\n[[keys]]\nname = \"b\"\nhash = \"{h}\"\n# about accounts\n[[accounts]]\nname = \"x\"\nplatform = \"gemini\"\n",
            h = hash('9')
        );
        std::fs::write(&path, &text)?;
        assert!(remove_key(&path, "b")?);
        assert_eq!(
            std::fs::read_to_string(&path)?,
            format!(
                "[[keys]]\nname = \"a\"\nhash = \"{h}\"\n\n# about the accounts below\n\n# about accounts\n[[accounts]]\nname = \"x\"\nplatform = \"gemini\"\n",
                h = hash('9')
            )
        );
        Ok(())
    }
}
