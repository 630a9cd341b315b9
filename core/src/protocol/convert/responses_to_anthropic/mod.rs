//! OpenAI Responses client ↔ Anthropic Messages upstream: the request going up, the complete
//! answer and the stream coming down. Pure: bytes in, bytes out, no I/O (the wall clock is read
//! only for `created_at`).
//!
//! # Request (`input` items and fields → Anthropic)
//! - `instructions`, and `system`/`developer` messages anywhere in `input` → `system` text
//!   blocks, in order (Anthropic has no mid-conversation system turns).
//! - `user`/`assistant` messages → turns; consecutive items of one role are merged into one
//!   turn, `tool_result` blocks first in a user turn and thinking blocks first in an assistant
//!   turn. Empty text is skipped (Anthropic rejects empty text blocks). `input_text`/`text`/
//!   `output_text` → text, `refusal` → text, `input_image` → image (a `data:` URL → base64
//!   source, an `http(s)` URL → url source; `detail` ignored; `file_id` refused), `input_file`
//!   → document (inline PDF or URL; file ids refused), `input_audio` refused.
//! - `function_call` → assistant `tool_use` (`id` = `call_id`, `input` = parsed `arguments`,
//!   empty → `{}`, a non-object refused); `function_call_output` → user `tool_result`
//!   (string or text/image/file parts; empty → no content). Ids are made Anthropic-safe
//!   (`[A-Za-z0-9_-]`, other characters → `_`) on both sides, so pairs still match.
//! - `reasoning` items → the thinking block they came from: `encrypted_content` is the
//!   block's signature, the summary text its thinking text (both byte-exact); an
//!   `encrypted_content` starting `redacted_thinking:` → a `redacted_thinking` block. Items
//!   without `encrypted_content`, or with OpenAI-encrypted content (`gAAAA…`), are dropped:
//!   Anthropic cannot verify them and ignores thinking of earlier turns anyway.
//! - `web_search_call` history items are dropped (a record of a search OpenAI ran; the answer
//!   that used it is in the following message). `item_reference` and other item types are
//!   refused.
//! - Tools: `function` → Anthropic tool (`parameters` → `input_schema`, an empty object schema
//!   when absent; `strict` and `defer_loading` ignored). Codex's `namespace` tools are
//!   flattened: each member function becomes a tool named `<namespace>__ns__<name>` (the
//!   namespace description is prepended to the member's); calls to it come back as a
//!   `function_call` with `namespace` and `name` split again, and a history `function_call`
//!   with `namespace` is flattened the same way. Built-in tools (`web_search*`, `file_search`,
//!   `code_interpreter`, `computer_use*`, `image_generation`, `mcp`, `local_shell`, `shell`,
//!   `apply_patch`, `tool_search`) and `custom` tools are refused, naming `tools[i]`.
//! - `tool_choice`: `auto` → `auto`, `none` → `none`, `required` → `any`, `{type: function,
//!   name}` → `{type: tool, name}`; `allowed_tools` and built-in choices refused. Without
//!   tools `auto`/`none` are dropped and a forced choice is refused. `parallel_tool_calls:
//!   false` → `disable_parallel_tool_use: true`.
//! - `max_output_tokens` → `max_tokens`; absent → 8192 (plus the thinking budget when
//!   thinking is on). `temperature` (0..1; above 1 refused) and `top_p` copied. `stop` (not a
//!   Responses field, accepted anyway) → `stop_sequences`.
//! - `reasoning.effort` → thinking, when Anthropic allows it (no forced tool choice,
//!   temperature absent or 1, top_p absent or ≥ 0.95, and the last assistant turn, if it
//!   called tools, starts with a replayed thinking block); otherwise no thinking is requested.
//!   `none`/`minimal` → none; Claude models before 3.7 (no thinking) → none. For Claude 3.7
//!   to 4.5 (and non-Claude model names):
//!   `thinking: {type: enabled, budget_tokens}` with low 1024, medium 4096, high 16384, xhigh
//!   32768, and `max_tokens` raised to budget + max_tokens when not above the budget. For
//!   Claude 4.6 and later (4.7+ reject `enabled`): `thinking: {type: adaptive}` with
//!   `output_config.effort` low/medium/high/max (xhigh → max). `reasoning.summary` ignored.
//! - Ignored (no effect on the answer): `store`, `include` (encrypted reasoning is always
//!   returned), `prompt_cache_key`, `prompt_cache_retention`, `client_metadata`, `user`,
//!   `safety_identifier`, `metadata`, `service_tier`, `stream_options`, `truncation`,
//!   `max_tool_calls`, `text.verbosity`, `text.format` of type `text`, `background: false`,
//!   `top_logprobs: 0`, and `null` for any field. Inside input items, keys other than those
//!   named here (`id`, `status`, `annotations`, `phase`...) are ignored.
//! - Refused: `previous_response_id` and `conversation` (no stored responses: send the whole
//!   history), `prompt`, `background: true`, `top_logprobs > 0` and the logprobs `include`,
//!   `text.format` other than `text`, unknown efforts, and any unknown top-level field.
//!
//! # Answer and stream (Anthropic → Responses)
//! - Ids: `resp_<id>` from the Anthropic `msg_<id>`; items `msg_<id>_<n>`, `rs_<id>_<n>`,
//!   `fc_<id>_<n>` (n = output index); `call_id` = the `tool_use` id.
//! - `thinking` → `reasoning` item (one `summary_text` part, none when the text is empty;
//!   `encrypted_content` = signature); `redacted_thinking` → `reasoning` item with
//!   `encrypted_content` = `redacted_thinking:<data>`; consecutive `text` blocks → one
//!   `message` item with one `output_text` part each; `tool_use` → `function_call` item
//!   (`arguments` = the input as JSON text, `{}` when empty).
//! - `stop_reason` `max_tokens`/`model_context_window_exceeded` → status `incomplete`
//!   (reason `max_output_tokens`), `refusal` → `incomplete` (`content_filter`), others →
//!   `completed`. A stream ends with `response.completed`, or `response.incomplete` for an
//!   incomplete status, exactly once.
//! - Usage: `input_tokens` = input + cache reads + cache writes (OpenAI counts cached input),
//!   `input_tokens_details.cached_tokens` = cache reads, `total_tokens` = input + output.

pub(in crate::protocol::convert) mod common;
mod request;
mod response;
mod stream;

#[cfg(test)]
mod common_tests;
#[cfg(test)]
mod stream_tests;
#[cfg(test)]
pub(in crate::protocol::convert) mod test_support;
#[cfg(test)]
mod tests;

pub use stream::Stream;

/// Converts a Responses request body into an Anthropic Messages body (`model` =
/// `ctx.upstream_model`, `stream` = `ctx.stream`).
pub fn request(
    body: &[u8],
    ctx: &super::RequestContext<'_>,
) -> Result<Vec<u8>, super::ConvertError> {
    request::convert(body, ctx)
}

/// Converts a complete Anthropic message into a Responses `response` object showing
/// `client_model`.
pub fn response(body: &[u8], client_model: &str) -> Result<Vec<u8>, super::ConvertError> {
    response::convert(body, client_model)
}
