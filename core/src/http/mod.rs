//! HTTP plumbing shared by the server and the upstream client: body types, bounded reads, the
//! pooled upstream client and the SSE codec.

pub mod client;
pub mod sse;

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Empty, Full};

/// Boxed error carried by bodies.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The body type of every response the relay produces and every upstream response it reads.
pub type Body = UnsyncBoxBody<Bytes, BoxError>;

/// A body holding `bytes`.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// An empty body.
pub fn empty() -> Body {
    Empty::new().map_err(|never| match never {}).boxed_unsync()
}

/// Why a bounded body read stopped.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// More than the limit arrived.
    #[error("body larger than {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The peer failed or went away mid-body.
    #[error("body read failed: {0}")]
    Io(String),
}

/// Reads a whole body, refusing more than `limit` bytes (checked against the declared length
/// first, then while reading). A body that arrives in one frame is returned without a copy.
pub async fn read_bounded<B>(mut body: B, limit: u64) -> Result<Bytes, ReadError>
where
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    if body.size_hint().lower() > limit {
        return Err(ReadError::TooLarge { limit });
    }
    let mut first: Option<Bytes> = None;
    let mut rest: Option<bytes::BytesMut> = None;
    let mut total: u64 = 0;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| ReadError::Io(e.to_string()))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        total += data.len() as u64;
        if total > limit {
            return Err(ReadError::TooLarge { limit });
        }
        match (&mut rest, first.take()) {
            (Some(buf), _) => buf.extend_from_slice(&data),
            (None, None) => first = Some(data),
            (None, Some(f)) => {
                let mut buf = bytes::BytesMut::with_capacity(f.len() + data.len());
                buf.extend_from_slice(&f);
                buf.extend_from_slice(&data);
                rest = Some(buf);
            }
        }
    }
    Ok(rest
        .map(bytes::BytesMut::freeze)
        .or(first)
        .unwrap_or_default())
}
