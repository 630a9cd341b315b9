//! Subscription logins: the providers' public OAuth clients (Claude, ChatGPT/Codex), PKCE
//! login, the token endpoint calls (code exchange, refresh), the credential forms
//! ([`creds`]) and per-account token sources that refresh single-flight ([`source`]).
//!
//! The relay speaks to the token endpoints as itself (`User-Agent: relay/VERSION`); it never
//! presents another client's identity.

pub mod creds;
pub mod source;

use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use sha2::{Digest, Sha256};

use crate::config::EnvSource;
use crate::http::client::Client;
use crate::secrets::Secret;
pub use creds::{Format, Tokens};
pub use source::{Bearer, Origin, TokenSource};

/// Why a login, a refresh or reading credentials failed. Never contains a token.
#[derive(Debug, Clone, thiserror::Error)]
pub enum OauthError {
    /// The stored credentials cannot be read.
    #[error("credentials: {0}")]
    Credentials(String),
    /// The token endpoint refused.
    #[error("the {provider} token endpoint refused ({status}): {message}")]
    Refused {
        /// Which provider.
        provider: &'static str,
        /// HTTP status.
        status: u16,
        /// `error` and `error_description` from the answer.
        message: String,
    },
    /// The token endpoint could not be reached or answered nonsense.
    #[error("the {provider} token endpoint failed: {message}")]
    Transport {
        /// Which provider.
        provider: &'static str,
        /// What happened.
        message: String,
    },
    /// An expired login with no refresh token (e.g. a setup token).
    #[error(
        "the access token expired and there is no refresh token; log in again (`relay account login`)"
    )]
    NoRefreshToken,
    /// Writing the new tokens back failed.
    #[error("storing refreshed tokens failed: {0}")]
    Store(String),
}

/// A provider's public OAuth client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provider {
    /// Claude (Pro/Max) logins, as Claude Code uses them.
    Anthropic,
    /// ChatGPT logins, as the Codex CLI uses them.
    OpenAi,
}

impl Provider {
    /// For messages.
    pub fn name(self) -> &'static str {
        match self {
            Provider::Anthropic => "Anthropic",
            Provider::OpenAi => "OpenAI",
        }
    }

    /// The public client id of the official CLI's login.
    pub fn client_id(self) -> &'static str {
        match self {
            Provider::Anthropic => "9d1c250a-e61b-44d9-88ed-5944d1962f5e",
            Provider::OpenAi => "app_EMoamEEZ73f0CkXaXp7hrann",
        }
    }

    /// The token endpoint; `RELAY_OAUTH_ANTHROPIC_TOKEN_URL` / `RELAY_OAUTH_OPENAI_TOKEN_URL`
    /// replace it (a corporate gateway, or a test).
    pub fn token_url(self, env: &dyn EnvSource) -> String {
        let (var, default) = match self {
            Provider::Anthropic => (
                "RELAY_OAUTH_ANTHROPIC_TOKEN_URL",
                "https://platform.claude.com/v1/oauth/token",
            ),
            Provider::OpenAi => (
                "RELAY_OAUTH_OPENAI_TOKEN_URL",
                "https://auth.openai.com/oauth/token",
            ),
        };
        env.var(var)
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| default.to_owned())
    }

    /// Where the user signs in.
    pub fn authorize_url(self) -> &'static str {
        match self {
            Provider::Anthropic => "https://claude.ai/oauth/authorize",
            Provider::OpenAi => "https://auth.openai.com/oauth/authorize",
        }
    }

    /// Where the provider sends the browser back. Anthropic shows the code on its own page
    /// for the user to paste; OpenAI redirects to a local port the login command listens on.
    pub fn redirect_uri(self) -> &'static str {
        match self {
            Provider::Anthropic => "https://platform.claude.com/oauth/code/callback",
            Provider::OpenAi => "http://localhost:1455/auth/callback",
        }
    }

    fn scopes(self) -> &'static str {
        match self {
            Provider::Anthropic => "org:create_api_key user:profile user:inference",
            Provider::OpenAi => "openid profile email offline_access",
        }
    }
}

/// A PKCE verifier, its S256 challenge and the `state` of one login.
#[derive(Debug)]
pub struct Pkce {
    /// Sent with the code exchange.
    pub verifier: Secret,
    /// Sent with the authorization request.
    pub challenge: String,
    /// Echoed back by the provider; checked.
    pub state: String,
}

impl Pkce {
    /// Fresh random values.
    pub fn new() -> Result<Self, crate::Error> {
        let mut v = [0u8; 32];
        crate::ids::random_bytes(&mut v)?;
        let verifier = crate::keys::base64url(&v);
        let challenge = crate::keys::base64url(&Sha256::digest(verifier.as_bytes()));
        let mut s = [0u8; 32];
        crate::ids::random_bytes(&mut s)?;
        Ok(Self {
            verifier: Secret::new(verifier),
            challenge,
            state: crate::keys::base64url(&s),
        })
    }

    /// The URL to open in a browser.
    pub fn authorize_url(&self, provider: Provider) -> String {
        let mut params = vec![
            ("response_type", "code"),
            ("client_id", provider.client_id()),
            ("redirect_uri", provider.redirect_uri()),
            ("scope", provider.scopes()),
            ("code_challenge", self.challenge.as_str()),
            ("code_challenge_method", "S256"),
            ("state", self.state.as_str()),
        ];
        match provider {
            Provider::Anthropic => params.insert(0, ("code", "true")),
            Provider::OpenAi => {
                params.push(("id_token_add_organizations", "true"));
                params.push(("codex_cli_simplified_flow", "true"));
            }
        }
        format!("{}?{}", provider.authorize_url(), form(&params))
    }
}

/// Splits what the user pasted (a code, `code#state`, or the whole redirect URL) into the
/// code and the state it carries.
pub fn parse_pasted_code(pasted: &str) -> (String, Option<String>) {
    let p = pasted.trim();
    if let Some((_, query)) = p.split_once('?') {
        let mut code = None;
        let mut state = None;
        for pair in query.split(['&', '#']) {
            match pair.split_once('=') {
                Some(("code", v)) => code = Some(percent_decode(v)),
                Some(("state", v)) => state = Some(percent_decode(v)),
                _ => {}
            }
        }
        if let Some(code) = code {
            return (code, state);
        }
    }
    match p.split_once('#') {
        Some((code, state)) => (code.to_owned(), Some(state.to_owned())),
        None => (p.to_owned(), None),
    }
}

/// Exchanges an authorization code for tokens.
pub async fn exchange_code(
    client: &Client,
    provider: Provider,
    code: &str,
    pkce: &Pkce,
    env: &dyn EnvSource,
) -> Result<Tokens, OauthError> {
    let body = match provider {
        Provider::Anthropic => Body::Json(serde_json::json!({
            "grant_type": "authorization_code",
            "client_id": provider.client_id(),
            "code": code,
            "redirect_uri": provider.redirect_uri(),
            "code_verifier": pkce.verifier.expose(),
            "state": pkce.state,
        })),
        Provider::OpenAi => Body::Form(form(&[
            ("grant_type", "authorization_code"),
            ("client_id", provider.client_id()),
            ("code", code),
            ("redirect_uri", provider.redirect_uri()),
            ("code_verifier", pkce.verifier.expose()),
        ])),
    };
    token_call(client, provider, &provider.token_url(env), body, None).await
}

/// Exchanges a refresh token for new tokens at `token_url` (a rotated refresh token replaces
/// the old one).
pub async fn refresh(
    client: &Client,
    provider: Provider,
    token_url: &str,
    refresh_token: &Secret,
) -> Result<Tokens, OauthError> {
    let body = match provider {
        Provider::Anthropic => Body::Json(serde_json::json!({
            "grant_type": "refresh_token",
            "refresh_token": refresh_token.expose(),
            "client_id": provider.client_id(),
        })),
        Provider::OpenAi => Body::Form(form(&[
            ("grant_type", "refresh_token"),
            ("client_id", provider.client_id()),
            ("refresh_token", refresh_token.expose()),
            ("scope", "openid profile email"),
        ])),
    };
    token_call(client, provider, token_url, body, Some(refresh_token)).await
}

enum Body {
    Json(serde_json::Value),
    Form(String),
}

async fn token_call(
    client: &Client,
    provider: Provider,
    token_url: &str,
    body: Body,
    old_refresh: Option<&Secret>,
) -> Result<Tokens, OauthError> {
    let transport = |message: String| OauthError::Transport {
        provider: provider.name(),
        message,
    };
    let (content_type, bytes) = match body {
        Body::Json(v) => ("application/json", v.to_string()),
        Body::Form(f) => ("application/x-www-form-urlencoded", f),
    };
    let req = http::Request::post(token_url)
        .header(http::header::CONTENT_TYPE, content_type)
        .header(http::header::ACCEPT, "application/json")
        .header(
            http::header::USER_AGENT,
            concat!("relay/", env!("CARGO_PKG_VERSION")),
        )
        .body(Full::new(Bytes::from(bytes)))
        .map_err(|e| transport(format!("bad token URL: {e}")))?;
    let resp = client
        .send(req, Duration::from_secs(30))
        .await
        .map_err(|e| transport(e.to_string()))?;
    let status = resp.status();
    let body = tokio::time::timeout(
        Duration::from_secs(30),
        crate::http::read_bounded(resp.into_body(), 256 * 1024),
    )
    .await
    .map_err(|_| transport("the answer did not arrive within 30 s".into()))?
    .map_err(|e| transport(format!("{e:?}")))?;
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let s = |k: &str| v.get(k).and_then(serde_json::Value::as_str);
    if !status.is_success() {
        let code = s("error")
            .or_else(|| v.pointer("/error/type").and_then(serde_json::Value::as_str))
            .unwrap_or("error");
        let desc = s("error_description")
            .or_else(|| {
                v.pointer("/error/message")
                    .and_then(serde_json::Value::as_str)
            })
            .unwrap_or("");
        return Err(OauthError::Refused {
            provider: provider.name(),
            status: status.as_u16(),
            message: format!("{code} {desc}").trim().chars().take(300).collect(),
        });
    }
    let access = s("access_token")
        .filter(|a| !a.is_empty())
        .ok_or_else(|| transport("the answer has no access_token".into()))?;
    let now = crate::ledger::unix_ms(std::time::SystemTime::now());
    let expires_at_ms = v
        .get("expires_in")
        .and_then(serde_json::Value::as_i64)
        .map(|secs| now.saturating_add(secs.clamp(0, 10 * 365 * 86_400).saturating_mul(1000)))
        .or_else(|| creds::jwt_exp_ms(access));
    let id_token = s("id_token").map(Secret::new);
    let account_id = id_token
        .as_ref()
        .and_then(|i| creds::chatgpt_account_id(i.expose()))
        .or_else(|| creds::chatgpt_account_id(access));
    Ok(Tokens {
        access: Secret::new(access),
        refresh: s("refresh_token")
            .map(Secret::new)
            .or_else(|| old_refresh.cloned()),
        expires_at_ms,
        account_id,
        id_token,
    })
}

/// `application/x-www-form-urlencoded` of `pairs`.
pub fn form(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        percent_encode(k, &mut out);
        out.push('=');
        percent_encode(v, &mut out);
    }
    out
}

fn percent_encode(s: &str, out: &mut String) {
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b));
            }
            _ => {
                out.push('%');
                out.push(char::from(b"0123456789ABCDEF"[usize::from(b >> 4)]));
                out.push(char::from(b"0123456789ABCDEF"[usize::from(b & 15)]));
            }
        }
    }
}

/// Decodes `%XX` and `+` in a query value.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    let hex = |c: u8| {
        char::from(c)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_challenge_is_s256_of_the_verifier() {
        let p = Pkce::new().unwrap();
        assert_eq!(p.verifier.expose().len(), 43);
        let want = crate::keys::base64url(&Sha256::digest(p.verifier.expose().as_bytes()));
        assert_eq!(p.challenge, want);
        let url = p.authorize_url(Provider::OpenAi);
        assert!(url.starts_with(
            "https://auth.openai.com/oauth/authorize?response_type=code&client_id=app_"
        ));
        assert!(url.contains("redirect_uri=http%3A%2F%2Flocalhost%3A1455%2Fauth%2Fcallback"));
        assert!(url.contains(&format!("code_challenge={}", p.challenge)));
        assert!(url.contains("scope=openid%20profile%20email%20offline_access"));
        assert!(!url.contains(p.verifier.expose()));
    }

    #[test]
    fn pasted_codes() {
        assert_eq!(
            parse_pasted_code(" abc#st \n"),
            ("abc".into(), Some("st".into()))
        );
        assert_eq!(parse_pasted_code("abc"), ("abc".into(), None));
        assert_eq!(
            parse_pasted_code("http://localhost:1455/auth/callback?code=a%2Fb&state=s1"),
            ("a/b".into(), Some("s1".into()))
        );
    }

    #[test]
    fn form_encoding() {
        assert_eq!(form(&[("a b", "x&y=z/")]), "a%20b=x%26y%3Dz%2F");
        assert_eq!(percent_decode("a%2Fb+c%"), "a/b c%");
    }
}
