//! Responses answer → Chat Completions answer (client Chat, upstream Responses). Pure.
//!
//! One choice: `content` is all `output_text` joined, `refusal` all `refusal` parts,
//! `tool_calls` one entry per `function_call` / `custom_tool_call` item (`id` = `call_id`),
//! `reasoning_content` the reasoning summaries, `annotations` the `url_citation`s.

use serde_json::{Map, Value, json};

use super::{chat_id, finish_reason, usage};
use crate::protocol::convert::ConvertError;

pub(super) fn convert(body: &[u8], client_model: &str) -> Result<Vec<u8>, ConvertError> {
    let root: Value = serde_json::from_slice(body)
        .map_err(|e| ConvertError::new("", format!("the upstream answer is not JSON: {e}")))?;
    // A body that is only `{"response": {...}}` (a terminal stream event) is accepted too.
    let resp = root
        .get("response")
        .filter(|r| r.is_object())
        .unwrap_or(&root);
    let status = resp.get("status").and_then(Value::as_str);
    if status == Some("failed") || resp.get("output").is_none() {
        let message = resp
            .get("error")
            .and_then(|e| e.get("message"))
            .and_then(Value::as_str)
            .unwrap_or("the upstream answer has no output");
        return Err(ConvertError::new("output", message));
    }
    let mut text = String::new();
    let mut refusal = String::new();
    let mut reasoning = Vec::new();
    let mut annotations = Vec::new();
    let mut tool_calls = Vec::new();
    let items = resp.get("output").and_then(Value::as_array);
    for item in items.into_iter().flatten() {
        match item.get("type").and_then(Value::as_str) {
            Some("message") => {
                let parts = item.get("content").and_then(Value::as_array);
                for part in parts.into_iter().flatten() {
                    match part.get("type").and_then(Value::as_str) {
                        Some("output_text") => {
                            let start = text.chars().count() as u64;
                            collect_citations(part, start, &mut annotations);
                            text.push_str(str_of(part, "text"));
                        }
                        Some("refusal") => refusal.push_str(str_of(part, "refusal")),
                        _ => {}
                    }
                }
            }
            Some("reasoning") => {
                let summary = item.get("summary").and_then(Value::as_array);
                let mut texts: Vec<&str> = summary
                    .into_iter()
                    .flatten()
                    .map(|s| str_of(s, "text"))
                    .collect();
                if texts.is_empty() {
                    let content = item.get("content").and_then(Value::as_array);
                    texts = content
                        .into_iter()
                        .flatten()
                        .map(|s| str_of(s, "text"))
                        .collect();
                }
                reasoning.extend(texts.into_iter().filter(|t| !t.is_empty()));
            }
            Some("function_call") => tool_calls.push(json!({
                "id": str_of(item, "call_id"),
                "type": "function",
                "function": {"name": str_of(item, "name"), "arguments": arguments(item)},
            })),
            Some("custom_tool_call") => tool_calls.push(json!({
                "id": str_of(item, "call_id"),
                "type": "custom",
                "custom": {"name": str_of(item, "name"), "input": str_of(item, "input")},
            })),
            // Built-in tool items (web_search_call, ...) have no Chat form.
            _ => {}
        }
    }

    let reason = resp
        .get("incomplete_details")
        .and_then(|d| d.get("reason"))
        .and_then(Value::as_str);
    let finish = finish_reason(status, reason, !tool_calls.is_empty());
    let mut message = Map::new();
    message.insert("role".into(), json!("assistant"));
    let content = if text.is_empty() && !tool_calls.is_empty() {
        Value::Null
    } else {
        json!(text)
    };
    message.insert("content".into(), content);
    message.insert(
        "refusal".into(),
        if refusal.is_empty() {
            Value::Null
        } else {
            json!(refusal)
        },
    );
    if !tool_calls.is_empty() {
        message.insert("tool_calls".into(), Value::Array(tool_calls));
    }
    if !reasoning.is_empty() {
        message.insert("reasoning_content".into(), json!(reasoning.join("\n\n")));
    }
    if !annotations.is_empty() {
        message.insert("annotations".into(), Value::Array(annotations));
    }
    let mut out = Map::new();
    out.insert(
        "id".into(),
        json!(chat_id(resp.get("id").and_then(Value::as_str))),
    );
    out.insert("object".into(), json!("chat.completion"));
    out.insert(
        "created".into(),
        json!(resp.get("created_at").and_then(Value::as_u64).unwrap_or(0)),
    );
    out.insert("model".into(), json!(client_model));
    out.insert(
        "choices".into(),
        json!([{"index": 0, "message": message, "logprobs": null, "finish_reason": finish}]),
    );
    if let Some(u) = resp.get("usage").filter(|u| u.is_object()) {
        out.insert("usage".into(), usage(u));
    }
    if let Some(tier) = resp.get("service_tier").filter(|v| v.is_string()) {
        out.insert("service_tier".into(), tier.clone());
    }
    serde_json::to_vec(&Value::Object(out))
        .map_err(|e| ConvertError::new("", format!("cannot encode the converted answer: {e}")))
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// A call's arguments; empty arguments become `{}` so that they always parse.
fn arguments(item: &Value) -> String {
    match item.get("arguments") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(v @ Value::Object(_)) => v.to_string(),
        _ => "{}".to_owned(),
    }
}

/// `url_citation` annotations of one `output_text` part, re-based on the joined text.
fn collect_citations(part: &Value, offset: u64, out: &mut Vec<Value>) {
    let list = part.get("annotations").and_then(Value::as_array);
    for a in list.into_iter().flatten() {
        if a.get("type").and_then(Value::as_str) != Some("url_citation") {
            continue;
        }
        let index = |key: &str| a.get(key).and_then(Value::as_u64).map(|i| i + offset);
        out.push(json!({"type": "url_citation", "url_citation": {
            "start_index": index("start_index"),
            "end_index": index("end_index"),
            "url": str_of(a, "url"),
            "title": str_of(a, "title"),
        }}));
    }
}
