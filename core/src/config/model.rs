//! Model name patterns (`claude-*`) and model maps (`{ "claude-3-5-haiku-*" = "claude-haiku-4-5" }`).

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A model name pattern: an exact name, or a prefix followed by a single trailing `*`.
/// `*` alone matches every model.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModelPattern(String);

impl ModelPattern {
    /// Checks and wraps a pattern. A `*` anywhere but at the end is an error.
    pub fn new(s: impl Into<String>) -> Result<Self, String> {
        let s = s.into();
        if s.is_empty() {
            return Err("empty model pattern".to_owned());
        }
        if s.chars().any(char::is_whitespace) {
            return Err(format!("model pattern `{s}` contains whitespace"));
        }
        if let Some(pos) = s.find('*')
            && pos != s.len() - 1
        {
            return Err(format!(
                "model pattern `{s}`: `*` is only allowed once, at the end (like `claude-*`)"
            ));
        }
        Ok(Self(s))
    }

    /// Whether `model` is this exact name, or starts with this pattern's prefix.
    pub fn matches(&self, model: &str) -> bool {
        match self.0.strip_suffix('*') {
            Some(prefix) => model.starts_with(prefix),
            None => self.0 == model,
        }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the pattern ends in `*` (a prefix match).
    pub fn is_wildcard(&self) -> bool {
        self.0.ends_with('*')
    }

    /// The literal part of the pattern (without the trailing `*`).
    fn literal(&self) -> &str {
        self.0.strip_suffix('*').unwrap_or(&self.0)
    }
}

impl fmt::Display for ModelPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for ModelPattern {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ModelPattern {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        ModelPattern::new(s).map_err(de::Error::custom)
    }
}

/// A mapping from requested model names (exact or trailing-`*` patterns) to the model name
/// sent upstream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelMap(Vec<(ModelPattern, String)>);

impl ModelMap {
    /// Builds a map, checking that targets are plain model names.
    pub fn from_pairs(
        pairs: impl IntoIterator<Item = (ModelPattern, String)>,
    ) -> Result<Self, String> {
        let mut out: Vec<(ModelPattern, String)> = Vec::new();
        for (pattern, target) in pairs {
            if target.is_empty() || target.contains('*') || target.chars().any(char::is_whitespace)
            {
                return Err(format!(
                    "model_map target `{target}` for `{pattern}` must be a plain model name"
                ));
            }
            if out.iter().any(|(p, _)| p == &pattern) {
                return Err(format!("model_map has `{pattern}` twice"));
            }
            out.push((pattern, target));
        }
        Ok(Self(out))
    }

    /// The upstream name for `model`: an exact key wins; otherwise the longest matching
    /// trailing-`*` pattern; `None` when nothing matches (the name is used unchanged).
    pub fn map<'a>(&'a self, model: &str) -> Option<&'a str> {
        if let Some((_, target)) = self
            .0
            .iter()
            .find(|(p, _)| !p.is_wildcard() && p.as_str() == model)
        {
            return Some(target);
        }
        self.0
            .iter()
            .filter(|(p, _)| p.is_wildcard() && p.matches(model))
            .max_by_key(|(p, _)| p.literal().len())
            .map(|(_, target)| target.as_str())
    }

    /// Whether the map has no entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The entries, in file order.
    pub fn iter(&self) -> impl Iterator<Item = (&ModelPattern, &str)> {
        self.0.iter().map(|(p, t)| (p, t.as_str()))
    }
}

impl<'de> Deserialize<'de> for ModelMap {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ModelMapVisitor)
    }
}

struct ModelMapVisitor;

impl<'de> Visitor<'de> for ModelMapVisitor {
    type Value = ModelMap;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(
            "a table of model names, like { \"claude-3-5-haiku-*\" = \"claude-haiku-4-5\" }",
        )
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ModelMap, A::Error> {
        let mut pairs = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, String>()? {
            let pattern = ModelPattern::new(key).map_err(de::Error::custom)?;
            pairs.push((pattern, value));
        }
        ModelMap::from_pairs(pairs).map_err(de::Error::custom)
    }
}

impl Serialize for ModelMap {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (p, t) in &self.0 {
            map.serialize_entry(p.as_str(), t)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::TestResult;
    use super::*;

    fn p(s: &str) -> Result<ModelPattern, String> {
        ModelPattern::new(s)
    }

    #[test]
    fn pattern_semantics() -> TestResult {
        assert!(p("claude-*")?.matches("claude-sonnet-4-5"));
        assert!(!p("claude-*")?.matches("gpt-5"));
        assert!(p("gpt-5")?.matches("gpt-5"));
        assert!(!p("gpt-5")?.matches("gpt-5-mini"));
        assert!(p("*")?.matches("anything"));
        assert!(p("*")?.is_wildcard());
        assert!(!p("gpt-5")?.is_wildcard());
        assert!(p("o1*")?.matches("o1-preview"));
        assert!(ModelPattern::new("claude-*-x").is_err());
        assert!(ModelPattern::new("*claude").is_err());
        assert!(ModelPattern::new("a**").is_err());
        assert!(ModelPattern::new("").is_err());
        assert_eq!(p("x*")?.as_str(), "x*");
        Ok(())
    }

    #[test]
    fn exact_beats_wildcard_and_longest_wildcard_wins() -> TestResult {
        let map = ModelMap::from_pairs([
            (p("*")?, "fallback".to_owned()),
            (p("claude-*")?, "generic".to_owned()),
            (p("claude-3-5-haiku-*")?, "claude-haiku-4-5".to_owned()),
            (p("claude-3-5-haiku-20241022")?, "exact".to_owned()),
        ])?;
        assert_eq!(map.map("claude-3-5-haiku-20241022"), Some("exact"));
        assert_eq!(map.map("claude-3-5-haiku-latest"), Some("claude-haiku-4-5"));
        assert_eq!(map.map("claude-opus-4"), Some("generic"));
        assert_eq!(map.map("gpt-5"), Some("fallback"));
        assert!(!map.is_empty());
        assert_eq!(map.iter().count(), 4);

        let empty = ModelMap::default();
        assert!(empty.is_empty());
        assert_eq!(empty.map("x"), None);
        Ok(())
    }

    #[test]
    fn map_targets_must_be_plain() -> TestResult {
        assert!(ModelMap::from_pairs([(p("a*")?, "b*".to_owned())]).is_err());
        assert!(ModelMap::from_pairs([(p("a*")?, String::new())]).is_err());
        Ok(())
    }
}
