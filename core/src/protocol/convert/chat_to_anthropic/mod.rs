//! OpenAI Chat Completions client ↔ Anthropic Messages upstream: the request going up, the
//! complete answer and the stream coming down. Pure: bytes in, bytes out, no I/O (the wall
//! clock is read only for `created`). Shares its Anthropic-side helpers with
//! `responses_to_anthropic` (`common`), so the two pairs map tools, thinking, usage and stop
//! reasons identically.
//!
//! # Request (Chat → Anthropic)
//! - `system`/`developer` messages anywhere → `system` text blocks, in order.
//! - `user` content (string or parts): `text` → text (empty skipped), `image_url` (object or
//!   string; a `data:` URL → base64 source, `http(s)` → url source; `detail` ignored) →
//!   image, `file` with inline PDF `file_data` → document (`file_id` refused), `input_audio`
//!   refused.
//! - `assistant`: non-standard `thinking_blocks` (as emitted by this converter and LiteLLM:
//!   `{type: thinking, thinking, signature}` / `{type: redacted_thinking, data}`, extra keys
//!   such as `index` ignored) → thinking blocks first, byte-exact; `content` (string or
//!   `text`/`refusal` parts) and `refusal` → text; `tool_calls` → `tool_use` (`input` = parsed
//!   `arguments`, empty → `{}`, a non-object refused). `reasoning_content` alone is ignored
//!   (thinking cannot be replayed without its signature). `audio` and `function_call` refused.
//! - `tool` messages → `tool_result` (`tool_use_id` = `tool_call_id`; text content; empty →
//!   no content). Tool-call ids are made Anthropic-safe on both sides. Consecutive same-role
//!   turns are merged (`tool_result` blocks first); legacy `function` messages refused.
//! - `tools` (`function` only; `parameters` → `input_schema`, `strict` ignored), `tool_choice`
//!   (`auto`/`none`/`required` → `auto`/`none`/`any`, a named function → `{type: tool}`;
//!   `allowed_tools`/`custom` refused; without tools `auto`/`none` dropped and a forced choice
//!   refused), `parallel_tool_calls: false` → `disable_parallel_tool_use`.
//! - `max_completion_tokens` (else `max_tokens`) → `max_tokens`, default 8192;
//!   `temperature` (0..1), `top_p`, `stop` (string or array) → `stop_sequences`;
//!   `reasoning_effort` → thinking exactly as in `responses_to_anthropic` (budget thinking for
//!   Claude before 4.6 and non-Claude names, adaptive + `output_config.effort` for 4.6+; only
//!   when Anthropic allows it).
//! - Ignored: `stream_options` (the stream always ends with a usage chunk; the relay strips it
//!   when the client did not ask), `user`, `metadata`, `store`, `service_tier`,
//!   `prompt_cache_key`, `prompt_cache_retention`, `safety_identifier`, `seed`, `verbosity`,
//!   `prediction`, `n: 1`, `logprobs: false`, `top_logprobs: 0`, zero penalties, an empty
//!   `logit_bias`, `modalities: ["text"]`, `response_format` of type `text`, and `null`.
//!   Inside messages, keys other than those named here (`name`, `annotations`...) are ignored.
//! - Refused: `n > 1`, `logprobs`, `top_logprobs > 0`, non-zero `frequency_penalty` /
//!   `presence_penalty`, `logit_bias`, `audio` and audio modalities, `response_format` other
//!   than `text`, `web_search_options`, legacy `functions`/`function_call`, and any unknown
//!   top-level field.
//!
//! # Answer and stream (Anthropic → Chat)
//! - `id` = `chatcmpl-<id>` from the Anthropic `msg_<id>`; `model` = the client's model.
//! - Text blocks concatenated into `content` (`null` when there are only tool calls);
//!   `tool_use` → `tool_calls` (`id` = the tool_use id, `arguments` = the input as JSON text,
//!   `{}` when empty); thinking → non-standard `reasoning_content` (text) and
//!   `thinking_blocks` (with signatures, for replay).
//! - `finish_reason`: `end_turn`/`stop_sequence`/`pause_turn` → `stop`, `max_tokens` /
//!   `model_context_window_exceeded` → `length`, `tool_use` → `tool_calls`, `refusal` →
//!   `content_filter`.
//! - Usage: `prompt_tokens` = input + cache reads + cache writes,
//!   `prompt_tokens_details.cached_tokens` = cache reads, `completion_tokens` = output.
//! - Stream: first chunk `delta: {role: assistant}`, tool calls announced once (id, type,
//!   name) then argument fragments only, `finish_reason` on the last choice chunk, then a
//!   usage chunk with `choices: []`, then `data: [DONE]` from `finish`.

mod request;
mod response;
mod stream;

#[cfg(test)]
mod stream_tests;
#[cfg(test)]
mod tests;

pub use stream::Stream;

/// Converts a Chat Completions request body into an Anthropic Messages body (`model` =
/// `ctx.upstream_model`, `stream` = `ctx.stream`).
pub fn request(
    body: &[u8],
    ctx: &super::RequestContext<'_>,
) -> Result<Vec<u8>, super::ConvertError> {
    request::convert(body, ctx)
}

/// Converts a complete Anthropic message into a `chat.completion` showing `client_model`.
pub fn response(body: &[u8], client_model: &str) -> Result<Vec<u8>, super::ConvertError> {
    response::convert(body, client_model)
}
