//! Cost maths against figures computed by hand from the price pages.

use super::*;
use crate::protocol::{anthropic, openai_chat, openai_responses};

fn usage(input: u64, output: u64, cache_read: u64, cache_write: u64, one_hour: u64) -> Usage {
    Usage {
        input,
        output,
        cache_read,
        cache_write,
        cache_write_1h: one_hour,
    }
}

#[test]
fn anthropic_usage_with_both_cache_lifetimes() {
    // Sonnet 4.5: $3 in, $3.75 5-minute write, $6 1-hour write, $0.30 read, $15 out.
    // 1000 in = 3000 µ$; 2000 read = 600; 2000 5m write = 7500; 1000 1h write = 6000;
    // 500 out = 7500. Total 24 600 µ$.
    let body = br#"{"id":"msg_1","usage":{"input_tokens":1000,"cache_read_input_tokens":2000,
        "cache_creation_input_tokens":3000,"cache_creation":{"ephemeral_5m_input_tokens":2000,
        "ephemeral_1h_input_tokens":1000},"output_tokens":500}}"#;
    let u = anthropic::body_usage(body);
    assert_eq!(u, usage(1000, 500, 2000, 3000, 1000));
    let cost = Pricing::builtin().cost("claude-sonnet-4-5-20250929", &u);
    assert_eq!(
        cost,
        Cost {
            micros: 24_600,
            priced: true
        }
    );
    // The same tokens all written for 5 minutes: 3000 × 3.75 = 11 250 instead of 13 500.
    let five = usage(1000, 500, 2000, 3000, 0);
    assert_eq!(
        Pricing::builtin().cost("claude-sonnet-4-5", &five).micros,
        22_350
    );
}

#[test]
fn openai_usage_is_priced_once_per_token() {
    // gpt-5: $1.25 in, $0.125 cached, $10 out. 1000 prompt tokens of which 800 cached:
    // 200 × 1.25 = 250; 800 × 0.125 = 100; 100 out × 10 = 1000. Total 1350 µ$ (not
    // 1000 × 1.25 + 800 × 0.125 + ... with the cached tokens counted twice).
    let chat = br#"{"usage":{"prompt_tokens":1000,"completion_tokens":100,"total_tokens":1100,
        "prompt_tokens_details":{"cached_tokens":800}}}"#;
    let u = openai_chat::body_usage(chat);
    assert_eq!(u, usage(200, 100, 800, 0, 0));
    assert_eq!(Pricing::builtin().cost("gpt-5-2025-08-07", &u).micros, 1350);
    let responses = br#"{"usage":{"input_tokens":1000,"input_tokens_details":{"cached_tokens":800},
        "output_tokens":100,"output_tokens_details":{"reasoning_tokens":60},"total_tokens":1100}}"#;
    assert_eq!(openai_responses::body_usage(responses), u);
}

#[test]
fn long_prompts_switch_the_whole_request_to_the_long_tier() {
    // Gemini 2.5 Pro: up to 200k prompt tokens $1.25 / $10, above $2.50 / $15.
    let p = Pricing::builtin();
    let short = usage(200_000, 1000, 0, 0, 0);
    assert_eq!(p.cost("gemini-2.5-pro", &short).micros, 250_000 + 10_000);
    let long = usage(150_000, 1000, 50_001, 0, 0);
    // 150k × 2.50 = 375 000; 50 001 × 0.25 = 12 500.25; 1000 × 15 = 15 000.
    assert_eq!(p.cost("models/gemini-2.5-pro", &long).micros, 402_500);
}

#[test]
fn rounding_happens_once_at_the_end() {
    // Haiku 3.5 cache reads are $0.08 / M: one token is 0.08 µ$; 7 tokens 0.56 → 1 µ$.
    let u = usage(0, 0, 7, 0, 0);
    assert_eq!(
        Pricing::builtin()
            .cost("claude-3-5-haiku-20241022", &u)
            .micros,
        1
    );
    let u = usage(0, 0, 6, 0, 0);
    assert_eq!(
        Pricing::builtin()
            .cost("claude-3-5-haiku-latest", &u)
            .micros,
        0
    );
}

#[test]
fn dated_and_prefixed_ids_find_their_family_and_unknown_models_are_flagged() {
    let p = Pricing::builtin();
    for id in [
        "claude-sonnet-4-5-20250929",
        "claude-sonnet-4-5@20250929",
        "anthropic/claude-sonnet-4-5",
        "anthropic.claude-sonnet-4-5-20250929-v1:0",
        "Claude-Sonnet-4-5",
    ] {
        assert_eq!(p.price(id), p.price("claude-sonnet-4-5"), "{id}");
        assert!(p.price(id).is_some());
    }
    assert_eq!(p.price("gpt-4.1-mini-2025-04-14"), p.price("gpt-4.1-mini"));
    // An older snapshot with its own price is not folded into the family.
    assert_ne!(p.price("gpt-4o-2024-05-13"), p.price("gpt-4o"));
    // Never guessed from a similar name.
    for unknown in [
        "claude-sonnet-9",
        "gpt-5-turbo-x",
        "mock-fast",
        "claude-sonnet-4-5x",
    ] {
        assert_eq!(
            p.cost(unknown, &usage(10, 10, 0, 0, 0)),
            Cost::default(),
            "{unknown}"
        );
    }
}

#[test]
fn a_litellm_file_overrides_and_extends_the_table() {
    let file = r#"{
        "sample_spec": {"max_tokens": "set to max_output_tokens if provider specifies it"},
        "claude-sonnet-4-5": {"input_cost_per_token": 2e-06, "output_cost_per_token": 1e-05,
            "cache_creation_input_token_cost": 2.5e-06, "cache_read_input_token_cost": 2e-07,
            "litellm_provider": "anthropic", "mode": "chat"},
        "openrouter/acme/my-model": {"input_cost_per_token": 1e-07, "output_cost_per_token": 4e-07},
        "gemini/gemini-9-pro": {"input_cost_per_token": 1e-06, "output_cost_per_token": 8e-06,
            "input_cost_per_token_above_200k_tokens": 2e-06,
            "output_cost_per_token_above_200k_tokens": 1.2e-05},
        "dall-e-3": {"mode": "image_generation", "output_cost_per_image": 0.04}
    }"#;
    let p = Pricing::from_litellm(file).unwrap();
    assert_eq!(p.user_entries(), 4);
    let sonnet = p.price("claude-sonnet-4-5-20250929").unwrap();
    assert_eq!(
        (
            sonnet.input,
            sonnet.output,
            sonnet.cache_write_5m,
            sonnet.cache_write_1h,
            sonnet.cache_read
        ),
        (2_000_000, 10_000_000, 2_500_000, 2_500_000, 200_000)
    );
    assert_eq!(
        p.price("openrouter/acme/my-model").map(|p| p.cache_read),
        Some(100_000)
    );
    let gem = p.price("gemini-9-pro").unwrap();
    assert_eq!(
        gem.long_context.map(|(t, l)| (t, l.input, l.output)),
        Some((200_000, 2_000_000, 12_000_000))
    );
    // Models the file does not mention keep the embedded price.
    assert_eq!(p.price("gpt-5"), Pricing::builtin().price("gpt-5"));
    assert!(p.price("dall-e-3").is_none());
    assert!(Pricing::from_litellm("[1, 2]").is_err());
}
