//! The gateway's error type: what went wrong, which HTTP status the client gets, and a stable
//! snake_case code for the ledger and logs. Messages are safe to show: never a secret, never
//! prompt text.

use http::StatusCode;

/// The client-facing category of an error; each dialect renders it with its own type names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Malformed or unacceptable request (400).
    InvalidRequest,
    /// Missing or unknown client key (401).
    Authentication,
    /// Refused by policy: Host/Origin checks, model not allowed (403).
    Permission,
    /// Unknown path or model (404).
    NotFound,
    /// Request body over the limit (413).
    TooLarge,
    /// A limit of the relay or of every upstream was hit (429).
    RateLimit,
    /// Upstreams overloaded (503).
    Overloaded,
    /// The upstream failed or could not be reached (502/504).
    Upstream,
    /// A bug or an environment problem inside the relay (500).
    Internal,
}

/// An error answered to a client in its own dialect.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    kind: ErrorKind,
    status: StatusCode,
    code: &'static str,
    message: String,
    retry_after: Option<u64>,
}

impl Error {
    /// A new error with an explicit status.
    pub fn new(
        kind: ErrorKind,
        status: StatusCode,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 400 `invalid_request_error`.
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(
            ErrorKind::InvalidRequest,
            StatusCode::BAD_REQUEST,
            code,
            message,
        )
    }

    /// 401 `authentication_error`.
    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(
            ErrorKind::Authentication,
            StatusCode::UNAUTHORIZED,
            code,
            message,
        )
    }

    /// 403 `permission_error`.
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Permission, StatusCode::FORBIDDEN, code, message)
    }

    /// 404 `not_found_error`.
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, StatusCode::NOT_FOUND, code, message)
    }

    /// 502 upstream failure.
    pub fn upstream(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Upstream, StatusCode::BAD_GATEWAY, code, message)
    }

    /// 500 internal error.
    pub fn internal(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(
            ErrorKind::Internal,
            StatusCode::INTERNAL_SERVER_ERROR,
            code,
            message,
        )
    }

    /// Adds a `retry-after` hint in seconds.
    #[must_use]
    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    /// The client-facing category.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The HTTP status the client gets.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Stable snake_case code for the ledger, logs and dashboard.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The human message (says what to do).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Seconds the client should wait before retrying, if known.
    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }
}
