//! Unit tests (pure, no I/O) of the shared Anthropic-upstream helpers.

use serde_json::json;

use super::common::*;

#[test]
fn thinking_style_by_model_name() {
    for (model, style) in [
        ("claude-3-7-sonnet-20250219", ThinkingStyle::Budget),
        ("claude-sonnet-4-5", ThinkingStyle::Budget),
        ("claude-sonnet-4-5-20250929", ThinkingStyle::Budget),
        ("claude-opus-4-20250514", ThinkingStyle::Budget),
        ("claude-opus-4-1-20250805", ThinkingStyle::Budget),
        (
            "us.anthropic.claude-haiku-4-5-20251001-v1:0",
            ThinkingStyle::Budget,
        ),
        ("claude-sonnet-4-6", ThinkingStyle::Adaptive),
        ("claude-opus-4-7", ThinkingStyle::Adaptive),
        ("claude-sonnet-5", ThinkingStyle::Adaptive),
        ("claude-latest", ThinkingStyle::Adaptive),
        ("glm-4.6", ThinkingStyle::Budget),
        ("claude-3-5-haiku-20241022", ThinkingStyle::Unsupported),
        ("claude-3-opus-latest", ThinkingStyle::Unsupported),
    ] {
        assert_eq!(ThinkingStyle::for_model(model), style, "{model}");
    }
}

#[test]
fn images_from_urls() {
    assert_eq!(
        image_block("data:image/png;base64,iVBOR", "f"),
        Ok(
            json!({"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBOR"}})
        )
    );
    assert_eq!(
        image_block("https://x.test/a.jpg", "f"),
        Ok(json!({"type": "image", "source": {"type": "url", "url": "https://x.test/a.jpg"}}))
    );
    for bad in [
        "data:image/tiff;base64,AAA",
        "data:image/png,raw",
        "data:image/png;base64",
        "ftp://x",
        "file-123",
    ] {
        let Err(e) = image_block(bad, "input[0].content[1]") else {
            panic!("{bad} accepted");
        };
        assert_eq!(e.field, "input[0].content[1]");
    }
}

#[test]
fn turns_merge_and_order() {
    let mut t = Turns::default();
    t.push(Role::User, json!({"type": "text", "text": "a"}));
    t.push(
        Role::User,
        json!({"type": "tool_result", "tool_use_id": "x"}),
    );
    t.push(Role::Assistant, json!({"type": "tool_use", "id": "y"}));
    t.push(
        Role::Assistant,
        json!({"type": "thinking", "thinking": "", "signature": "s"}),
    );
    assert_eq!(
        t.into_messages(),
        vec![
            json!({"role": "user", "content": [{"type": "tool_result", "tool_use_id": "x"}, {"type": "text", "text": "a"}]}),
            json!({"role": "assistant", "content": [{"type": "thinking", "thinking": "", "signature": "s"}, {"type": "tool_use", "id": "y"}]}),
        ]
    );
}

#[test]
fn ids_and_arguments() {
    assert_eq!(tool_id("call.1:a"), "call_1_a");
    assert_eq!(tool_id(""), "toolu_relay");
    assert_eq!(id_base("msg_01AB"), "01AB");
    assert_eq!(id_base(""), "relay");
    assert_eq!(parse_arguments(" ", "f"), Ok(json!({})));
    assert_eq!(parse_arguments("{\"a\":1}", "f"), Ok(json!({"a": 1})));
    assert!(parse_arguments("[1]", "f").is_err());
    assert!(parse_arguments("{", "f").is_err());
    assert_eq!(arguments_text(&json!({})), "{}");
}

#[test]
fn wire_delta_reads_the_canonical_form_and_declines_the_rest() {
    // A fresh reader walks every event.
    let read = |data: &str| {
        WireDeltas::default()
            .read(data)
            .map(|(i, k, p)| (i, k.to_owned(), p.text.into_owned()))
    };
    assert_eq!(
        read(
            r#"{"type":"content_block_delta","index":12,"delta":{"type":"text_delta","text":"a \"q\" \u00e9\n"}}"#
        ),
        Some((12, "text_delta".into(), "a \"q\" é\n".into()))
    );
    assert_eq!(
        read(
            r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"a\":"}}"#
        ),
        Some((1, "input_json_delta".into(), r#"{"a":"#.into()))
    );
    assert_eq!(
        read(
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQB"}}"#
        ),
        Some((0, "signature_delta".into(), "EqQB".into()))
    );
    // Anything else takes the general path: other key orders, extra members, other delta
    // types, a mismatched field, trailing bytes, a bad escape.
    for other in [
        r#"{"index":0,"type":"content_block_delta","delta":{"type":"text_delta","text":"x"}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x","extra":1}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"citations_delta","citation":{}}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","thinking":"x"}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}} "#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\q"}}"#,
        r#"{"type":"content_block_delta","index":,"delta":{"type":"text_delta","text":"x"}}"#,
    ] {
        assert_eq!(read(other), None, "{other}");
        // Nor does a reader that knows the shape of a delta take them.
        let mut known = WireDeltas::default();
        let first =
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a"}}"#;
        assert!(known.read(first).is_some());
        assert_eq!(
            known.read(other).map(|(_, _, p)| p.text.into_owned()),
            None,
            "{other}"
        );
    }
    // A reader that knows the shape reads the next deltas of the block, and the next block.
    let mut r = WireDeltas::default();
    let delta = |i: u32, text: &str| {
        format!(
            r#"{{"type":"content_block_delta","index":{i},"delta":{{"type":"text_delta","text":"{text}"}}}}"#
        )
    };
    // Text without an escape can be written back as it is.
    for (i, text, want, plain) in [
        (0, "a", "a", true),
        (0, r#"b \"c\" \u00e9"#, "b \"c\" é", false),
        (0, "", "", true),
        (3, "d", "d", true),
    ] {
        let got = r
            .read(&delta(i, text))
            .map(|(i, k, p)| (i, k, p.text.into_owned(), p.plain));
        assert_eq!(
            got,
            Some((u64::from(i), "text_delta", want.to_owned(), plain))
        );
    }
}
