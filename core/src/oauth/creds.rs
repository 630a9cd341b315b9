//! OAuth credentials and the three forms they are kept in: the relay's own JSON (in the
//! keyring), Claude Code's `.credentials.json` and the Codex CLI's `auth.json`. Writing back
//! changes only the token fields, so everything else the official CLI keeps there survives.

use serde_json::{Map, Value};

use crate::secrets::Secret;

use super::OauthError;

/// Access and refresh tokens of one login.
#[derive(Clone, Debug, Default)]
pub struct Tokens {
    /// Sent upstream as `Authorization: Bearer`.
    pub access: Secret,
    /// Exchanged for a new pair; single use at both providers.
    pub refresh: Option<Secret>,
    /// When the access token expires (Unix ms), when known.
    pub expires_at_ms: Option<i64>,
    /// OpenAI: the ChatGPT account id (`chatgpt-account-id`).
    pub account_id: Option<String>,
    /// OpenAI: the OpenID token (kept for the Codex CLI's file).
    pub id_token: Option<Secret>,
}

impl Tokens {
    /// Whether the access token expires within `margin_ms` of `now_ms` (unknown expiry: no).
    pub fn expiring(&self, now_ms: i64, margin_ms: i64) -> bool {
        self.expires_at_ms
            .is_some_and(|at| at.saturating_sub(margin_ms) <= now_ms)
    }
}

/// Which form a credential file has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `{"type":"oauth","access_token":…}` (the relay's own; also a bare token string).
    Relay,
    /// Claude Code: `{"claudeAiOauth":{"accessToken","refreshToken","expiresAt",…}}`.
    ClaudeCode,
    /// Codex CLI: `{"tokens":{"access_token","refresh_token","id_token","account_id"},"last_refresh"}`.
    Codex,
}

/// Reads credentials in any of the forms. A text that is not JSON is a bare access token
/// (a setup token), with no refresh token and no known expiry.
pub fn parse(text: &str) -> Result<(Format, Tokens), OauthError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(OauthError::Credentials("the credentials are empty".into()));
    }
    if !trimmed.starts_with('{') {
        return Ok((
            Format::Relay,
            Tokens {
                access: Secret::new(trimmed),
                ..Tokens::default()
            },
        ));
    }
    let v: Value = serde_json::from_str(trimmed)
        .map_err(|e| OauthError::Credentials(format!("not valid JSON (line {})", e.line())))?;
    let s = |o: &Value, k: &str| o.get(k).and_then(Value::as_str).map(str::to_owned);
    let secret = |o: &Value, k: &str| s(o, k).filter(|x| !x.is_empty()).map(Secret::new);
    if let Some(c) = v.get("claudeAiOauth") {
        let access = secret(c, "accessToken").ok_or_else(|| {
            OauthError::Credentials("`claudeAiOauth.accessToken` is missing".into())
        })?;
        return Ok((
            Format::ClaudeCode,
            Tokens {
                access,
                refresh: secret(c, "refreshToken"),
                expires_at_ms: c.get("expiresAt").and_then(Value::as_i64),
                account_id: None,
                id_token: None,
            },
        ));
    }
    if let Some(t) = v.get("tokens").filter(|t| t.is_object()) {
        let access = secret(t, "access_token")
            .ok_or_else(|| OauthError::Credentials("`tokens.access_token` is missing".into()))?;
        let id_token = secret(t, "id_token");
        let account_id = s(t, "account_id").or_else(|| {
            id_token
                .as_ref()
                .and_then(|i| chatgpt_account_id(i.expose()))
        });
        let expires_at_ms = jwt_exp_ms(access.expose());
        return Ok((
            Format::Codex,
            Tokens {
                access,
                refresh: secret(t, "refresh_token"),
                expires_at_ms,
                account_id,
                id_token,
            },
        ));
    }
    if v.get("OPENAI_API_KEY").is_some() {
        return Err(OauthError::Credentials(
            "this Codex login holds an API key, not a ChatGPT login; add it with `relay account add NAME --platform openai`".into(),
        ));
    }
    let access = secret(&v, "access_token")
        .ok_or_else(|| OauthError::Credentials("`access_token` is missing".into()))?;
    Ok((
        Format::Relay,
        Tokens {
            access,
            refresh: secret(&v, "refresh_token"),
            expires_at_ms: v.get("expires_at").and_then(Value::as_i64),
            account_id: s(&v, "account_id"),
            id_token: secret(&v, "id_token"),
        },
    ))
}

/// The relay's own form of `tokens` (what the keyring holds).
pub fn to_relay_json(tokens: &Tokens) -> String {
    let mut m = Map::new();
    m.insert("type".into(), "oauth".into());
    m.insert("access_token".into(), tokens.access.expose().into());
    if let Some(r) = &tokens.refresh {
        m.insert("refresh_token".into(), r.expose().into());
    }
    if let Some(at) = tokens.expires_at_ms {
        m.insert("expires_at".into(), at.into());
    }
    if let Some(a) = &tokens.account_id {
        m.insert("account_id".into(), a.as_str().into());
    }
    if let Some(i) = &tokens.id_token {
        m.insert("id_token".into(), i.expose().into());
    }
    Value::Object(m).to_string()
}

/// `original` (a file in `format`) with the token fields replaced by `tokens`; every other
/// field is kept as it was.
pub fn write_back(
    original: &str,
    format: Format,
    tokens: &Tokens,
    now_ms: i64,
) -> Result<String, OauthError> {
    if format == Format::Relay {
        return Ok(to_relay_json(tokens));
    }
    let mut v: Value = serde_json::from_str(original.trim())
        .map_err(|e| OauthError::Credentials(format!("not valid JSON (line {})", e.line())))?;
    let obj = |v: &mut Value, k: &str| -> Result<Map<String, Value>, OauthError> {
        match v.get_mut(k).map(Value::take) {
            Some(Value::Object(m)) => Ok(m),
            _ => Err(OauthError::Credentials(format!("`{k}` is missing"))),
        }
    };
    match format {
        Format::ClaudeCode => {
            let mut c = obj(&mut v, "claudeAiOauth")?;
            c.insert("accessToken".into(), tokens.access.expose().into());
            if let Some(r) = &tokens.refresh {
                c.insert("refreshToken".into(), r.expose().into());
            }
            if let Some(at) = tokens.expires_at_ms {
                c.insert("expiresAt".into(), at.into());
            }
            v["claudeAiOauth"] = Value::Object(c);
        }
        Format::Codex => {
            let mut t = obj(&mut v, "tokens")?;
            t.insert("access_token".into(), tokens.access.expose().into());
            if let Some(r) = &tokens.refresh {
                t.insert("refresh_token".into(), r.expose().into());
            }
            if let Some(i) = &tokens.id_token {
                t.insert("id_token".into(), i.expose().into());
            }
            if let Some(a) = &tokens.account_id {
                t.insert("account_id".into(), a.as_str().into());
            }
            v["tokens"] = Value::Object(t);
            let when = jiff::Timestamp::from_millisecond(now_ms)
                .map(|t| t.to_string())
                .unwrap_or_default();
            v["last_refresh"] = when.into();
        }
        Format::Relay => {}
    }
    let mut out =
        serde_json::to_string_pretty(&v).map_err(|e| OauthError::Credentials(e.to_string()))?;
    out.push('\n');
    Ok(out)
}

/// Decodes unpadded (or padded) base64url.
pub fn base64url_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes().take_while(|&c| c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The claims of a JWT (not verified: the relay only reads what its own login returned).
fn jwt_claims(jwt: &str) -> Option<Value> {
    let payload = jwt.split('.').nth(1)?;
    serde_json::from_slice(&base64url_decode(payload)?).ok()
}

/// A JWT's `exp` in Unix ms.
pub fn jwt_exp_ms(jwt: &str) -> Option<i64> {
    jwt_claims(jwt)?.get("exp")?.as_i64()?.checked_mul(1000)
}

/// The ChatGPT account id in an OpenAI id token (or access token).
pub fn chatgpt_account_id(jwt: &str) -> Option<String> {
    let claims = jwt_claims(jwt)?;
    claims
        .get("https://api.openai.com/auth")?
        .get("chatgpt_account_id")?
        .as_str()
        .map(str::to_owned)
}

/// The e-mail address in an OpenID token, for display.
pub fn email(jwt: &str) -> Option<String> {
    jwt_claims(jwt)?.get("email")?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn jwt(claims: &Value) -> String {
        let enc = |b: &[u8]| crate::keys::base64url(b);
        format!(
            "{}.{}.sig",
            enc(br#"{"alg":"none"}"#),
            enc(claims.to_string().as_bytes())
        )
    }

    #[test]
    fn claude_code_file_round_trips_and_keeps_other_fields() {
        let file = r#"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-a","refreshToken":"sk-ant-ort01-r","expiresAt":1900000000000,"scopes":["user:inference"],"subscriptionType":"max"},"other":1}"#;
        let (f, t) = parse(file).unwrap();
        assert_eq!(f, Format::ClaudeCode);
        assert_eq!(t.access.expose(), "sk-ant-oat01-a");
        assert_eq!(t.refresh.as_ref().unwrap().expose(), "sk-ant-ort01-r");
        assert_eq!(t.expires_at_ms, Some(1_900_000_000_000));
        let new = Tokens {
            access: Secret::new("A2"),
            refresh: Some(Secret::new("R2")),
            expires_at_ms: Some(5),
            ..Tokens::default()
        };
        let out = write_back(file, f, &new, 0).unwrap();
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["claudeAiOauth"]["accessToken"], "A2");
        assert_eq!(v["claudeAiOauth"]["refreshToken"], "R2");
        assert_eq!(v["claudeAiOauth"]["expiresAt"], 5);
        assert_eq!(v["claudeAiOauth"]["subscriptionType"], "max");
        assert_eq!(v["other"], 1);
    }

    #[test]
    fn codex_file_reads_account_and_expiry_from_the_tokens() {
        let id = jwt(
            &serde_json::json!({"email":"a@b.c","https://api.openai.com/auth":{"chatgpt_account_id":"acc-1"}}),
        );
        let access = jwt(&serde_json::json!({"exp": 1_900_000_000}));
        let file = serde_json::json!({"OPENAI_API_KEY": null, "tokens": {"id_token": id, "access_token": access, "refresh_token": "rt-1"}, "last_refresh": "2026-01-01T00:00:00Z"}).to_string();
        let (f, t) = parse(&file).unwrap();
        assert_eq!(f, Format::Codex);
        assert_eq!(t.account_id.as_deref(), Some("acc-1"));
        assert_eq!(t.expires_at_ms, Some(1_900_000_000_000));
        assert_eq!(
            email(t.id_token.as_ref().unwrap().expose()).as_deref(),
            Some("a@b.c")
        );
        let out = write_back(
            &file,
            f,
            &Tokens {
                access: Secret::new("x"),
                refresh: Some(Secret::new("rt-2")),
                ..t
            },
            0,
        )
        .unwrap();
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["tokens"]["refresh_token"], "rt-2");
        assert_eq!(v["last_refresh"], "1970-01-01T00:00:00Z");
        assert!(v["OPENAI_API_KEY"].is_null());
    }

    #[test]
    fn relay_form_and_bare_tokens() {
        let t = Tokens {
            access: Secret::new("a"),
            refresh: Some(Secret::new("r")),
            expires_at_ms: Some(9),
            account_id: Some("acc".into()),
            id_token: None,
        };
        let (f, back) = parse(&to_relay_json(&t)).unwrap();
        assert_eq!(f, Format::Relay);
        assert_eq!(back.refresh.unwrap().expose(), "r");
        assert_eq!(back.account_id.as_deref(), Some("acc"));
        let (_, bare) = parse("sk-ant-oat01-setup\n").unwrap();
        assert_eq!(bare.access.expose(), "sk-ant-oat01-setup");
        assert!(bare.refresh.is_none() && bare.expires_at_ms.is_none());
        assert!(
            parse("{\"OPENAI_API_KEY\":\"sk\"}")
                .unwrap_err()
                .to_string()
                .contains("relay account add")
        );
        assert!(!parse("{}").unwrap_err().to_string().contains("sk"));
    }

    #[test]
    fn expiry_margin() {
        let t = Tokens {
            expires_at_ms: Some(1000),
            ..Tokens::default()
        };
        assert!(t.expiring(900, 200));
        assert!(!t.expiring(700, 200));
        assert!(!Tokens::default().expiring(i64::MAX, 0));
    }

    #[test]
    fn base64url() {
        assert_eq!(base64url_decode("aGVsbG8").unwrap(), b"hello");
        assert_eq!(base64url_decode("aGVsbG8=").unwrap(), b"hello");
        assert!(base64url_decode("a*b").is_none());
    }
}
