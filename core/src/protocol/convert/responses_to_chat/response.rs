//! Chat Completions answer → Responses answer (client Responses, upstream Chat). Pure.
//!
//! The first choice becomes the `output`: a `reasoning` item (from the non-standard
//! `reasoning_content` / `reasoning` text some Chat servers return), a `message` item with
//! `output_text` (and `refusal`) parts, then one `function_call` / `custom_tool_call` item per
//! tool call. `finish_reason` `length` / `content_filter` give `status: incomplete`.

use serde_json::{Map, Value, json};

use super::{id_base, set_tool_name, status, usage};
use crate::protocol::convert::ConvertError;

pub(super) fn convert(body: &[u8], client_model: &str) -> Result<Vec<u8>, ConvertError> {
    let root: Value = serde_json::from_slice(body)
        .map_err(|e| ConvertError::new("", format!("the upstream answer is not JSON: {e}")))?;
    let Some(choice) = root
        .get("choices")
        .and_then(Value::as_array)
        .and_then(|c| c.first())
    else {
        let message = root
            .get("error")
            .and_then(|e| e.get("message"))
            .and_then(Value::as_str)
            .unwrap_or("the upstream answer has no choices");
        return Err(ConvertError::new("choices", message));
    };
    let base = id_base(root.get("id").and_then(Value::as_str));
    let message = choice.get("message").cloned().unwrap_or(Value::Null);
    let mut output = Vec::new();

    let reasoning = ["reasoning_content", "reasoning"].iter().find_map(|k| {
        message
            .get(*k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    });
    if let Some(text) = reasoning {
        output.push(json!({
            "type": "reasoning",
            "id": format!("rs_{base}"),
            "summary": [{"type": "summary_text", "text": text}],
        }));
    }

    let (text, refusal) = message_text(&message);
    let mut parts = Vec::new();
    if !text.is_empty() {
        let annotations = annotations(&message);
        parts.push(json!({"type": "output_text", "text": text, "annotations": annotations}));
    }
    if !refusal.is_empty() {
        parts.push(json!({"type": "refusal", "refusal": refusal}));
    }
    if !parts.is_empty() {
        output.push(json!({
            "type": "message",
            "id": format!("msg_{base}"),
            "status": "completed",
            "role": "assistant",
            "content": parts,
        }));
    }

    let calls = message.get("tool_calls").and_then(Value::as_array);
    for (i, call) in calls.into_iter().flatten().enumerate() {
        output.push(tool_item(call, &base, i));
    }
    if let Some(legacy) = message.get("function_call").filter(|v| v.is_object()) {
        let call = json!({"id": format!("call_{base}"), "type": "function", "function": legacy});
        output.push(tool_item(&call, &base, output.len()));
    }

    let (status, incomplete) = status(choice.get("finish_reason").and_then(Value::as_str));
    let mut out = Map::new();
    out.insert("id".into(), json!(format!("resp_{base}")));
    out.insert("object".into(), json!("response"));
    out.insert(
        "created_at".into(),
        json!(root.get("created").and_then(Value::as_u64).unwrap_or(0)),
    );
    out.insert("status".into(), json!(status));
    out.insert("error".into(), Value::Null);
    out.insert("incomplete_details".into(), incomplete);
    out.insert("model".into(), json!(client_model));
    out.insert("output".into(), Value::Array(output));
    out.insert(
        "usage".into(),
        root.get("usage")
            .filter(|u| u.is_object())
            .map_or(Value::Null, usage),
    );
    serde_json::to_vec(&Value::Object(out))
        .map_err(|e| ConvertError::new("", format!("cannot encode the converted answer: {e}")))
}

/// (text, refusal) of a Chat assistant message; `content` may be a string or text parts.
fn message_text(message: &Value) -> (String, String) {
    let mut refusal = message
        .get("refusal")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let text = match message.get("content") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => {
            let mut text = String::new();
            for part in parts {
                if let Some(t) = part.get("text").and_then(Value::as_str) {
                    text.push_str(t);
                } else if let Some(r) = part.get("refusal").and_then(Value::as_str) {
                    refusal.push_str(r);
                }
            }
            text
        }
        _ => String::new(),
    };
    (text, refusal)
}

/// Chat `url_citation` annotations as Responses `output_text` annotations.
fn annotations(message: &Value) -> Value {
    let list = message.get("annotations").and_then(Value::as_array);
    let out: Vec<Value> = list
        .into_iter()
        .flatten()
        .filter_map(|a| {
            let c = a.get("url_citation")?;
            let mut m = Map::new();
            m.insert("type".into(), json!("url_citation"));
            for key in ["start_index", "end_index", "url", "title"] {
                if let Some(v) = c.get(key) {
                    m.insert(key.into(), v.clone());
                }
            }
            Some(Value::Object(m))
        })
        .collect();
    Value::Array(out)
}

/// One Chat tool call as a `function_call` or `custom_tool_call` output item.
fn tool_item(call: &Value, base: &str, i: usize) -> Value {
    let call_id = match call.get("id").and_then(Value::as_str) {
        Some(id) if !id.is_empty() => id.to_owned(),
        _ => format!("call_{base}_{i}"),
    };
    let mut item = Map::new();
    if let Some(custom) = call
        .get("custom")
        .filter(|_| call.get("type") == Some(&json!("custom")))
    {
        item.insert("type".into(), json!("custom_tool_call"));
        item.insert("id".into(), json!(format!("ctc_{call_id}")));
        item.insert("status".into(), json!("completed"));
        item.insert("call_id".into(), json!(call_id));
        set_tool_name(
            &mut item,
            custom.get("name").and_then(Value::as_str).unwrap_or(""),
        );
        let input = custom.get("input").and_then(Value::as_str).unwrap_or("");
        item.insert("input".into(), json!(input));
        return Value::Object(item);
    }
    let function = call.get("function").unwrap_or(&Value::Null);
    let args = function
        .get("arguments")
        .and_then(Value::as_str)
        .unwrap_or("");
    item.insert("type".into(), json!("function_call"));
    item.insert("id".into(), json!(format!("fc_{call_id}")));
    item.insert("status".into(), json!("completed"));
    item.insert("call_id".into(), json!(call_id));
    set_tool_name(
        &mut item,
        function.get("name").and_then(Value::as_str).unwrap_or(""),
    );
    item.insert(
        "arguments".into(),
        json!(if args.trim().is_empty() { "{}" } else { args }),
    );
    Value::Object(item)
}
