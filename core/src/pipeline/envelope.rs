//! The request envelope: the few facts the relay needs from a client body (`model`, `stream`),
//! read without building a JSON tree, with errors that say exactly what is wrong. Pure.

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::Error;

/// What the relay reads from a request body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// The requested model.
    pub model: String,
    /// Whether the client asked for a stream.
    pub stream: bool,
}

#[derive(Deserialize)]
struct Wire<'a> {
    #[serde(borrow)]
    model: Option<&'a RawValue>,
    #[serde(borrow)]
    stream: Option<&'a RawValue>,
}

/// Validates the body as one JSON object and reads `model` and `stream`.
pub fn parse(body: &[u8], count_tokens: bool) -> Result<Envelope, Error> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::invalid(
            "empty_body",
            "request body is empty; send a JSON object with at least `model` and `messages`",
        ));
    }
    let starts_object = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    let wire: Wire<'_> = serde_json::from_slice(body).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            Category::Syntax | Category::Eof | Category::Io => Error::invalid(
                "invalid_json",
                format!(
                    "request body is not valid JSON (line {}, column {}); send a JSON object",
                    e.line(),
                    e.column()
                ),
            ),
            Category::Data => {
                let msg = e.to_string();
                if msg.starts_with("duplicate field") {
                    Error::invalid(
                        "invalid_request",
                        "request body has a duplicate `model` or `stream` field",
                    )
                } else {
                    Error::invalid(
                        "invalid_request",
                        "request body must be a JSON object, not an array or a scalar",
                    )
                }
            }
        }
    })?;
    if !starts_object {
        return Err(Error::invalid(
            "invalid_request",
            "request body must be a JSON object, not an array or a scalar",
        ));
    }
    let model = match wire.model.map(RawValue::get) {
        None | Some("null") => {
            return Err(Error::invalid(
                "missing_model",
                "`model` is required: name the model to use, e.g. \"claude-sonnet-4-5\" or \"gpt-4.1\"",
            ));
        }
        Some(raw) => serde_json::from_str::<String>(raw).map_err(|_| {
            Error::invalid("invalid_model", "`model` must be a string naming the model")
        })?,
    };
    if model.trim().is_empty() {
        return Err(Error::invalid("missing_model", "`model` must not be empty"));
    }
    let stream = match wire.stream.map(RawValue::get) {
        None | Some("null") => false,
        Some("true") => true,
        Some("false") => false,
        Some(_) => {
            return Err(Error::invalid(
                "invalid_stream",
                "`stream` must be true or false",
            ));
        }
    };
    if count_tokens && stream {
        return Err(Error::invalid(
            "invalid_stream",
            "`count_tokens` does not stream; remove `stream`",
        ));
    }
    Ok(Envelope { model, stream })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_bodies() {
        let e = parse(
            br#"{"model":"claude-x","stream":true,"messages":[{"model":"inner"}]}"#,
            false,
        )
        .unwrap();
        assert_eq!(
            e,
            Envelope {
                model: "claude-x".into(),
                stream: true
            }
        );
        let e = parse(br#" {"messages":[],"model":"gpt\u002d4"} "#, false).unwrap();
        assert_eq!(
            e,
            Envelope {
                model: "gpt-4".into(),
                stream: false
            }
        );
    }

    #[test]
    fn bad_bodies_say_what_is_wrong() {
        let cases: &[(&[u8], &str)] = &[
            (b"", "empty_body"),
            (b"  \n", "empty_body"),
            (b"{not json", "invalid_json"),
            (b"{\"model\":\"a\"} trailing", "invalid_json"),
            (b"[1,2]", "invalid_request"),
            (b"\"str\"", "invalid_request"),
            (br#"{"messages":[]}"#, "missing_model"),
            (br#"{"model":null}"#, "missing_model"),
            (br#"{"model":""}"#, "missing_model"),
            (br#"{"model":42}"#, "invalid_model"),
            (br#"{"model":["a"]}"#, "invalid_model"),
            (br#"{"model":"a","stream":"yes"}"#, "invalid_stream"),
            (br#"{"model":"a","model":"b"}"#, "invalid_request"),
        ];
        for (body, code) in cases {
            let err = parse(body, false).unwrap_err();
            assert_eq!(err.code(), *code, "{}", String::from_utf8_lossy(body));
            assert_eq!(err.status(), http::StatusCode::BAD_REQUEST);
        }
    }
}
