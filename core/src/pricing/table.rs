//! The embedded price table: list prices of the Anthropic, OpenAI and Gemini models, standard
//! tier, from the providers' public pricing pages (platform.claude.com/docs/en/about-claude/pricing
//! and the model pages, platform.openai.com/docs/pricing and the model pages,
//! ai.google.dev/gemini-api/docs/pricing) as published up to [`PRICES_AS_OF`]. Only prices read
//! on those pages are here; a model whose price could not be confirmed is left out (it is then
//! reported as unpriced) rather than guessed. Batch, priority and regional tiers are not
//! modelled.
//!
//! OpenAI and Gemini have no per-token cache-write price: writes are billed as input (Gemini's
//! hourly cache storage is not a per-request cost and is not included). Where a model offers no
//! cached-input discount, reads are billed as input.

use super::{LongPrice, Price};

/// When the table was last checked against the pricing pages.
pub const PRICES_AS_OF: &str = "2026-11-27";

/// Micro-dollars per million tokens from thousandths of a dollar per million (`3_750` is $3.75).
const fn m(mills: u64) -> u64 {
    mills * 1000
}

/// A price with Anthropic's cache writes and reads given explicitly.
const fn anthropic(input: u64, write_5m: u64, write_1h: u64, read: u64, output: u64) -> Price {
    Price {
        input: m(input),
        output: m(output),
        cache_write_5m: m(write_5m),
        cache_write_1h: m(write_1h),
        cache_read: m(read),
        long_context: None,
    }
}

/// A price without a cache-write premium (OpenAI, Gemini); `read` is the cached-input price.
const fn flat(input: u64, read: u64, output: u64) -> Price {
    Price {
        input: m(input),
        output: m(output),
        cache_write_5m: m(input),
        cache_write_1h: m(input),
        cache_read: m(read),
        long_context: None,
    }
}

/// `base` with a long-prompt tier above `threshold` prompt tokens.
const fn long(base: Price, threshold: u64, tier: Price) -> Price {
    Price {
        long_context: Some((
            threshold,
            LongPrice {
                input: tier.input,
                output: tier.output,
                cache_write_5m: tier.cache_write_5m,
                cache_write_1h: tier.cache_write_1h,
                cache_read: tier.cache_read,
            },
        )),
        ..base
    }
}

/// Claude Sonnet 4 and 4.5: above 200k prompt tokens the whole request costs $6 / $22.50, with
/// the usual cache multipliers (1.25×, 2×, 0.1×) on the higher input price.
const SONNET_4: Price = long(
    anthropic(3_000, 3_750, 6_000, 300, 15_000),
    200_000,
    anthropic(6_000, 7_500, 12_000, 600, 22_500),
);
const OPUS_4: Price = anthropic(15_000, 18_750, 30_000, 1_500, 75_000);
const OPUS_4_5: Price = anthropic(5_000, 6_250, 10_000, 500, 25_000);
const GEMINI_2_5_PRO: Price = long(flat(1_250, 125, 10_000), 200_000, flat(2_500, 250, 15_000));
const GEMINI_3_1_PRO: Price = long(flat(2_000, 200, 12_000), 200_000, flat(4_000, 400, 18_000));

/// The price of a model id as listed (lower case, no date suffix).
pub fn builtin(model: &str) -> Option<Price> {
    Some(match model {
        // Anthropic: input, 5-minute write, 1-hour write, cache read, output.
        "claude-fable-5-1" | "claude-mythos-5-1" => anthropic(10_000, 12_500, 20_000, 250, 50_000),
        "claude-fable-5" | "claude-mythos-5" => anthropic(10_000, 12_500, 20_000, 1_000, 50_000),
        "claude-opus-5-5" => anthropic(4_000, 5_000, 8_000, 200, 20_000),
        "claude-opus-5" => OPUS_4_5,
        "claude-sonnet-5-5" | "claude-sonnet-5" => anthropic(2_000, 2_500, 4_000, 200, 10_000),
        "claude-opus-4-8" | "claude-opus-4-7" | "claude-opus-4-6" | "claude-opus-4-5" => OPUS_4_5,
        "claude-opus-4-1" | "claude-opus-4-0" | "claude-opus-4" => OPUS_4,
        "claude-sonnet-4-6" => anthropic(3_000, 3_750, 6_000, 300, 15_000),
        "claude-sonnet-4-5" | "claude-sonnet-4-0" | "claude-sonnet-4" => SONNET_4,
        "claude-haiku-4-5" => anthropic(1_000, 1_250, 2_000, 100, 5_000),
        "claude-3-7-sonnet" => anthropic(3_000, 3_750, 6_000, 300, 15_000),
        "claude-3-5-haiku" => anthropic(800, 1_000, 1_600, 80, 4_000),
        "claude-3-haiku" => anthropic(250, 300, 500, 30, 1_250),
        // OpenAI: input, cached input, output.
        "gpt-5.5" => flat(5_000, 500, 30_000),
        "gpt-5.5-pro" | "gpt-5.4-pro" => flat(30_000, 30_000, 180_000),
        "gpt-5.4" => flat(2_500, 250, 15_000),
        "gpt-5.4-mini" => flat(750, 75, 4_500),
        "gpt-5.4-nano" => flat(200, 20, 1_250),
        "gpt-5.2" => flat(1_750, 175, 14_000),
        "gpt-5.2-pro" => flat(21_000, 21_000, 168_000),
        "gpt-5.1" | "gpt-5" | "gpt-5-codex" => flat(1_250, 125, 10_000),
        "gpt-5-mini" => flat(250, 25, 2_000),
        "gpt-5-nano" => flat(50, 5, 400),
        "gpt-5-pro" => flat(15_000, 15_000, 120_000),
        "codex-mini-latest" | "codex-mini" => flat(1_500, 375, 6_000),
        "gpt-4.1" => flat(2_000, 500, 8_000),
        "gpt-4.1-mini" => flat(400, 100, 1_600),
        "gpt-4.1-nano" => flat(100, 25, 400),
        "gpt-4o" => flat(2_500, 1_250, 10_000),
        "gpt-4o-2024-05-13" => flat(5_000, 5_000, 15_000),
        "gpt-4o-mini" => flat(150, 75, 600),
        "o3" => flat(2_000, 500, 8_000),
        "o3-pro" => flat(20_000, 20_000, 80_000),
        "o4-mini" => flat(1_100, 275, 4_400),
        "o1" => flat(15_000, 7_500, 60_000),
        // Gemini (text, image and video input): input, context-cache read, output.
        "gemini-3.1-pro-preview" => GEMINI_3_1_PRO,
        "gemini-3-flash-preview" => flat(500, 50, 3_000),
        "gemini-3.1-flash-lite-preview" => flat(250, 25, 1_500),
        "gemini-2.5-pro" => GEMINI_2_5_PRO,
        "gemini-2.5-flash" => flat(300, 30, 2_500),
        "gemini-2.5-flash-lite" => flat(100, 10, 400),
        "gemini-2.0-flash" => flat(100, 25, 400),
        "gemini-2.0-flash-lite" => flat(75, 75, 300),
        _ => return None,
    })
}
