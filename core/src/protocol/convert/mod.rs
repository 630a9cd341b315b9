//! Conversion between API dialects, pairwise (`<client>_to_<upstream>`): the request going up,
//! the complete response coming down, and a stateful transcoder for streams. Pure: bytes in,
//! bytes out, no I/O. Same-dialect traffic never comes here (it is passed through).

mod registry;

use bytes::Bytes;

use crate::http::sse;
pub use registry::{request, response, supported, transcoder};

/// Something in a request that the target dialect cannot express, or a malformed body.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ConvertError {
    /// The JSON path of the offending field in the client's request, e.g. `tools[2].type`.
    pub field: String,
    /// What is wrong and what to do instead.
    pub message: String,
}

impl ConvertError {
    /// A new error for `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// What the converter needs to know about the request besides its body.
#[derive(Clone, Debug)]
pub struct RequestContext<'a> {
    /// The model name to put in the upstream request.
    pub upstream_model: &'a str,
    /// Whether the upstream call streams (a non-streaming client may be served by a
    /// streaming upstream call).
    pub stream: bool,
}

/// A stream transcoder: upstream events in, client SSE bytes out. One per stream; it keeps
/// whatever state the client dialect needs (block indices, tool-call ids, sequence numbers,
/// accumulated text for `*.done` events).
pub trait Transcoder: Send {
    /// Converts one upstream event (in upstream order); appends zero or more encoded client
    /// events (`sse::encode(..)`) to `out`. Keep-alives (`ping`, comments) may be dropped.
    fn push(&mut self, event: &sse::Event, out: &mut Vec<Bytes>);
    /// [`push`](Self::push) for an event the stream's [`StreamTap`](super::StreamTap) has
    /// observed: what it learned (`info`) may spare the transcoder reading the event again.
    fn push_observed(&mut self, event: &sse::Event, info: &super::EventInfo, out: &mut Vec<Bytes>) {
        let _ = info;
        self.push(event, out);
    }
    /// The upstream stream ended after its own terminal event: append the client dialect's
    /// closing events if they were not sent yet (e.g. `data: [DONE]`). Not called when the
    /// stream was cut off; then the relay ends the stream with [`super::Dialect::stream_error`]
    /// using [`Transcoder::context`].
    fn finish(&mut self, out: &mut Vec<Bytes>);
    /// Ids and counters the relay needs to write a terminal error event in the client
    /// dialect (response id, next `sequence_number`, the client's model).
    fn context(&self) -> super::StreamContext;
}
/// A JSON object of `members`, moved in (`json!` copies a `Value` it is given, through
/// serialization: for a closing event that holds the whole answer, several times).
pub(crate) fn object<const N: usize>(members: [(&str, serde_json::Value); N]) -> serde_json::Value {
    serde_json::Value::Object(
        members
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
}

pub mod anthropic_to_chat;
pub mod anthropic_to_responses;
pub mod chat_to_anthropic;
pub mod chat_to_responses;
pub mod responses_to_anthropic;
pub mod responses_to_chat;
