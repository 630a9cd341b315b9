//! Which dialect pairs convert, and dispatch to the pair modules. Pure.

use super::{ConvertError, RequestContext, Transcoder};
use crate::protocol::Dialect;

/// Whether a client speaking `client` can be served by an upstream speaking `upstream`.
pub fn supported(client: Dialect, upstream: Dialect) -> bool {
    client == upstream && client != Dialect::Gemini
}

/// Converts a client request body for the upstream.
pub fn request(
    client: Dialect,
    upstream: Dialect,
    body: &[u8],
    ctx: &RequestContext<'_>,
) -> Result<Vec<u8>, ConvertError> {
    let _ = (body, ctx);
    Err(unsupported(client, upstream))
}

/// Converts a complete upstream answer for the client.
pub fn response(
    upstream: Dialect,
    client: Dialect,
    body: &[u8],
    client_model: &str,
) -> Result<Vec<u8>, ConvertError> {
    let _ = (body, client_model);
    Err(unsupported(client, upstream))
}

/// A transcoder for a stream from `upstream` to `client`.
pub fn transcoder(
    upstream: Dialect,
    client: Dialect,
    client_model: &str,
) -> Option<Box<dyn Transcoder>> {
    let _ = (upstream, client, client_model);
    None
}

fn unsupported(client: Dialect, upstream: Dialect) -> ConvertError {
    ConvertError::new(
        "",
        format!(
            "converting `{}` to `{}` is not supported",
            client.as_str(),
            upstream.as_str()
        ),
    )
}
