//! Model prices and what a request cost, in integer micro-dollars. Pure: no I/O except reading
//! a user price file when asked.
//!
//! Prices come from the embedded table ([`table`], dated [`PRICES_AS_OF`]) unless a user file
//! in LiteLLM's `model_prices_and_context_window.json` format overrides or extends them. A
//! model is looked up by its exact id, then without a provider prefix (`anthropic/`,
//! `models/` ...), then without a date or `-latest` suffix, so `claude-sonnet-4-5-20250929`
//! and `gpt-5-mini-2025-08-07` find their family. A model found nowhere costs 0 and is
//! reported as unpriced, never guessed from a similar name.
//!
//! Token counts follow Anthropic's convention ([`Usage`]): `input` excludes cache reads and
//! writes, so each token is priced exactly once.

pub mod table;

use std::collections::HashMap;
use std::path::Path;

use crate::protocol::Usage;

pub use table::PRICES_AS_OF;

/// Prices of one model in micro-dollars per million tokens (so `$3.75 / M` is `3_750_000`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Price {
    /// Uncached input.
    pub input: u64,
    /// Output (reasoning included).
    pub output: u64,
    /// Prompt-cache writes with the 5-minute lifetime.
    pub cache_write_5m: u64,
    /// Prompt-cache writes with the 1-hour lifetime.
    pub cache_write_1h: u64,
    /// Prompt-cache reads.
    pub cache_read: u64,
    /// A higher tier for long prompts: above this many prompt tokens (input, cache reads and
    /// writes together) the whole request is priced at the second price.
    pub long_context: Option<(u64, LongPrice)>,
}

/// The long-prompt tier of a [`Price`] (micro-dollars per million tokens).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LongPrice {
    /// Uncached input.
    pub input: u64,
    /// Output.
    pub output: u64,
    /// Cache writes, 5-minute lifetime.
    pub cache_write_5m: u64,
    /// Cache writes, 1-hour lifetime.
    pub cache_write_1h: u64,
    /// Cache reads.
    pub cache_read: u64,
}

impl Price {
    /// The cost of `usage` in micro-dollars, rounded half up once at the end.
    pub fn cost(&self, usage: &Usage) -> u64 {
        let prompt = usage.input + usage.cache_read + usage.cache_write;
        let p = match self.long_context {
            Some((threshold, long)) if prompt > threshold => long,
            _ => LongPrice {
                input: self.input,
                output: self.output,
                cache_write_5m: self.cache_write_5m,
                cache_write_1h: self.cache_write_1h,
                cache_read: self.cache_read,
            },
        };
        let one_hour = usage.cache_write_1h.min(usage.cache_write);
        let five_min = usage.cache_write - one_hour;
        let sum: u128 = [
            (usage.input, p.input),
            (usage.output, p.output),
            (five_min, p.cache_write_5m),
            (one_hour, p.cache_write_1h),
            (usage.cache_read, p.cache_read),
        ]
        .iter()
        .map(|&(tokens, price)| u128::from(tokens) * u128::from(price))
        .sum();
        u64::try_from((sum + 500_000) / 1_000_000).unwrap_or(u64::MAX)
    }
}

/// What a request cost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cost {
    /// Micro-dollars (0 when the model has no price).
    pub micros: u64,
    /// Whether the model had a price. Unpriced requests cost 0 and are flagged in reports.
    pub priced: bool,
}

/// Error reading a user price file.
#[derive(Debug, thiserror::Error)]
pub enum PricingError {
    /// The file could not be read.
    #[error("cannot read price file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a LiteLLM price map.
    #[error("price file {path} is not a LiteLLM model price map: {message}")]
    Format {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// The price list in force: the user's entries, then the embedded table.
#[derive(Clone, Debug, Default)]
pub struct Pricing {
    user: HashMap<String, Price>,
}

impl Pricing {
    /// The embedded table only.
    pub fn builtin() -> Self {
        Self::default()
    }

    /// The embedded table overridden and extended by the LiteLLM-format file at `path`.
    pub fn with_file(path: &Path) -> Result<Self, PricingError> {
        let text = std::fs::read_to_string(path).map_err(|source| PricingError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_litellm(&text).map_err(|message| PricingError::Format {
            path: path.display().to_string(),
            message,
        })
    }

    /// Parses a LiteLLM `model_prices_and_context_window.json` map. Entries without both an
    /// input and an output token price (images, audio, `sample_spec`) are skipped. Absent cache
    /// prices fall back to what the file implies: writes at the input price (OpenAI and Gemini
    /// have no write premium), 1-hour writes at the 5-minute price, reads at the input price.
    pub fn from_litellm(text: &str) -> Result<Self, String> {
        let map: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(text).map_err(|e| e.to_string())?;
        let mut user = HashMap::new();
        for (name, entry) in &map {
            let field = |k: &str| {
                entry
                    .get(k)
                    .and_then(serde_json::Value::as_f64)
                    .filter(|v| v.is_finite() && *v >= 0.0)
                    .map(per_million_micros)
            };
            let (Some(input), Some(output)) = (
                field("input_cost_per_token"),
                field("output_cost_per_token"),
            ) else {
                continue;
            };
            let cache_write_5m = field("cache_creation_input_token_cost").unwrap_or(input);
            let price = Price {
                input,
                output,
                cache_write_5m,
                cache_write_1h: field("cache_creation_input_token_cost_above_1hr")
                    .unwrap_or(cache_write_5m),
                cache_read: field("cache_read_input_token_cost").unwrap_or(input),
                long_context: long_tier(entry, output),
            };
            let name = name.to_ascii_lowercase();
            if let Some(bare) = strip_provider(&name) {
                user.entry(bare.to_owned()).or_insert(price);
            }
            user.insert(name, price);
        }
        Ok(Self { user })
    }

    /// Number of models the user file priced.
    pub fn user_entries(&self) -> usize {
        self.user.len()
    }

    /// The price of `model`, trying the user file before the embedded table at each step of
    /// the lookup (exact id, without provider prefix, without date suffix).
    pub fn price(&self, model: &str) -> Option<Price> {
        let lower = model.trim().to_ascii_lowercase();
        let find = |name: &str| {
            self.user
                .get(name)
                .copied()
                .or_else(|| table::builtin(name))
        };
        let bare = strip_provider(&lower).unwrap_or(&lower);
        find(&lower)
            .or_else(|| find(bare))
            .or_else(|| strip_version(bare).and_then(find))
    }

    /// What `usage` on `model` cost.
    pub fn cost(&self, model: &str, usage: &Usage) -> Cost {
        match self.price(model) {
            Some(p) => Cost {
                micros: p.cost(usage),
                priced: true,
            },
            None => Cost::default(),
        }
    }
}

/// USD per token as micro-dollars per million tokens (`3e-6` → `3_000_000`).
fn per_million_micros(usd_per_token: f64) -> u64 {
    // Prices are far below 2^53 micro-dollars per million tokens, so the float is exact enough
    // and the cast cannot overflow.
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "finite, non-negative, far below u64::MAX"
    )]
    let v = (usd_per_token * 1e12).round() as u64;
    v
}

/// LiteLLM's `*_above_200k_tokens` / `*_above_272k_tokens` prices as a long-context tier.
fn long_tier(entry: &serde_json::Value, output: u64) -> Option<(u64, LongPrice)> {
    let obj = entry.as_object()?;
    let (key, v) = obj
        .iter()
        .find(|(k, _)| k.starts_with("input_cost_per_token_above_") && k.ends_with("k_tokens"))?;
    let threshold: u64 = key
        .strip_prefix("input_cost_per_token_above_")?
        .strip_suffix("k_tokens")?
        .parse()
        .ok()?;
    let suffix = format!("_above_{threshold}k_tokens");
    let field = |k: &str| {
        obj.get(&format!("{k}{suffix}"))
            .and_then(serde_json::Value::as_f64)
            .filter(|v| v.is_finite() && *v >= 0.0)
            .map(per_million_micros)
    };
    let long_input = per_million_micros(v.as_f64().filter(|v| v.is_finite() && *v >= 0.0)?);
    let long_output = field("output_cost_per_token").unwrap_or(output);
    let write = field("cache_creation_input_token_cost").unwrap_or(long_input);
    Some((
        threshold * 1000,
        LongPrice {
            input: long_input,
            output: long_output,
            cache_write_5m: write,
            cache_write_1h: write,
            cache_read: field("cache_read_input_token_cost").unwrap_or(long_input),
        },
    ))
}

/// `model` without a provider prefix, if it has one.
fn strip_provider(model: &str) -> Option<&str> {
    [
        "anthropic/",
        "openai/",
        "gemini/",
        "google/",
        "models/",
        "anthropic.",
    ]
    .iter()
    .find_map(|p| model.strip_prefix(p))
}

/// `model` without a trailing date (`-20250929`, `-2025-08-07`, `@20250929`), `-latest` or a
/// Bedrock revision (`-v1:0`, after which a date may also go).
fn strip_version(model: &str) -> Option<&str> {
    if let Some(base) = model.strip_suffix("-latest") {
        return Some(base);
    }
    if let Some((base, rev)) = model.rsplit_once("-v")
        && let Some((major, minor)) = rev.split_once(':')
        && !major.is_empty()
        && !minor.is_empty()
        && major
            .bytes()
            .chain(minor.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return Some(strip_date(base).unwrap_or(base));
    }
    strip_date(model)
}

/// `model` without a trailing date (`-20250929`, `-2025-08-07`, `@20250929`).
fn strip_date(model: &str) -> Option<&str> {
    let bytes = model.as_bytes();
    let digits_at = |from: usize, n: usize| {
        bytes
            .get(from..from + n)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    let len = bytes.len();
    // -YYYYMMDD or @YYYYMMDD
    if len > 9 && matches!(bytes.get(len - 9), Some(b'-' | b'@')) && digits_at(len - 8, 8) {
        return model.get(..len - 9);
    }
    // -YYYY-MM-DD
    if len > 11
        && bytes.get(len - 11) == Some(&b'-')
        && digits_at(len - 10, 4)
        && bytes.get(len - 6) == Some(&b'-')
        && digits_at(len - 5, 2)
        && bytes.get(len - 3) == Some(&b'-')
        && digits_at(len - 2, 2)
    {
        return model.get(..len - 11);
    }
    None
}

#[cfg(test)]
mod tests;
