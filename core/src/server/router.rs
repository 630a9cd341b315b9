//! Maps method and path to an [`Endpoint`]. Pure.

use http::Method;

use crate::protocol::Dialect;

/// What a client request asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `GET /health`.
    Health,
    /// `GET /v1/models`.
    Models,
    /// A generation in a dialect (`/v1/messages`, `/v1/chat/completions`, `/v1/responses`).
    Generate(Dialect),
    /// `POST /v1/messages/count_tokens`.
    CountTokens,
    /// `POST /v1beta/models/{model}:{action}`.
    Gemini,
}

/// Why a request matched no endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Miss {
    /// No such path.
    NotFound,
    /// The path exists with another method; the value is the allowed method.
    Method(&'static str),
}

/// Routes a request.
pub fn route(method: &Method, path: &str) -> Result<Endpoint, Miss> {
    let (endpoint, allowed) = match path.trim_end_matches('/') {
        "/health" => (Endpoint::Health, Method::GET),
        "/v1/models" => (Endpoint::Models, Method::GET),
        "/v1/messages" => (Endpoint::Generate(Dialect::Anthropic), Method::POST),
        "/v1/messages/count_tokens" => (Endpoint::CountTokens, Method::POST),
        "/v1/chat/completions" => (Endpoint::Generate(Dialect::OpenAiChat), Method::POST),
        "/v1/responses" => (Endpoint::Generate(Dialect::OpenAiResponses), Method::POST),
        p if p.starts_with("/v1beta/models/") && p.contains(':') => {
            (Endpoint::Gemini, Method::POST)
        }
        _ => return Err(Miss::NotFound),
    };
    if *method == allowed || (allowed == Method::GET && *method == Method::HEAD) {
        Ok(endpoint)
    } else {
        Err(Miss::Method(if allowed == Method::GET {
            "GET"
        } else {
            "POST"
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_table() {
        let cases: &[(&Method, &str, Result<Endpoint, Miss>)] = &[
            (&Method::GET, "/health", Ok(Endpoint::Health)),
            (
                &Method::POST,
                "/v1/messages",
                Ok(Endpoint::Generate(Dialect::Anthropic)),
            ),
            (
                &Method::POST,
                "/v1/messages/",
                Ok(Endpoint::Generate(Dialect::Anthropic)),
            ),
            (
                &Method::POST,
                "/v1/messages/count_tokens",
                Ok(Endpoint::CountTokens),
            ),
            (
                &Method::POST,
                "/v1/chat/completions",
                Ok(Endpoint::Generate(Dialect::OpenAiChat)),
            ),
            (
                &Method::POST,
                "/v1/responses",
                Ok(Endpoint::Generate(Dialect::OpenAiResponses)),
            ),
            (&Method::GET, "/v1/models", Ok(Endpoint::Models)),
            (
                &Method::POST,
                "/v1beta/models/gemini-2.5-pro:generateContent",
                Ok(Endpoint::Gemini),
            ),
            (&Method::GET, "/v1/messages", Err(Miss::Method("POST"))),
            (&Method::POST, "/v1/models", Err(Miss::Method("GET"))),
            (&Method::POST, "/v2/messages", Err(Miss::NotFound)),
            (&Method::GET, "/", Err(Miss::NotFound)),
        ];
        for (m, p, want) in cases {
            assert_eq!(&route(m, p), want, "{m} {p}");
        }
    }
}
