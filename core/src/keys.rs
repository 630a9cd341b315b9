//! Client keys: generation (`rk-` + 43 url-safe characters from the OS CSPRNG), the stored
//! form (`sha256:` + hex digest; the secret itself is never stored) and constant-time matching.

use sha2::{Digest, Sha256};

/// Prefix of every client key, so keys are recognisable (and findable by secret scanners).
pub const PREFIX: &str = "rk-";

/// A freshly generated key: the secret to show once and the hash to store.
pub struct NewKey {
    /// The secret, shown to the user exactly once.
    pub secret: String,
    /// `sha256:<hex>`, what the config file stores.
    pub hash: String,
}

impl std::fmt::Debug for NewKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewKey")
            .field("secret", &"[REDACTED]")
            .field("hash", &self.hash)
            .finish()
    }
}

/// Generates a new key with 256 bits of entropy.
pub fn generate() -> Result<NewKey, crate::Error> {
    let mut bytes = [0u8; 32];
    crate::ids::random_bytes(&mut bytes)?;
    let secret = format!("{PREFIX}{}", base64url(&bytes));
    let hash = hash(&secret);
    Ok(NewKey { secret, hash })
}

/// The stored form of a secret: `sha256:` + 64 lowercase hex digits.
pub fn hash(secret: &str) -> String {
    format!("sha256:{}", hex(&digest(secret)))
}

/// The raw SHA-256 digest of a presented secret.
pub fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Parses a stored `sha256:<hex>` hash into its digest.
pub fn parse_hash(stored: &str) -> Option<[u8; 32]> {
    let hex = stored.strip_prefix("sha256:")?;
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        let pair = hex.get(2 * i..2 * i + 2)?;
        *byte = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(out)
}

/// Compares two digests in time independent of where they differ.
pub fn digest_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b.iter()) {
        diff |= x ^ y;
    }
    std::hint::black_box(diff) == 0
}

/// Finds which of `stored` digests a presented secret matches. Every stored digest is compared
/// (no early exit), so timing reveals neither which key matched nor how much of it.
pub fn find_match<'a, I>(presented: &str, stored: I) -> Option<usize>
where
    I: IntoIterator<Item = &'a [u8; 32]>,
{
    let d = digest(presented);
    let mut found = None;
    for (i, s) in stored.into_iter().enumerate() {
        if digest_eq(&d, s) && found.is_none() {
            found = Some(i);
        }
    }
    found
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// Unpadded base64url (RFC 4648 §5) of `bytes`.
pub fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            let idx = (n >> (18 - 6 * i)) & 0x3f;
            out.push(char::from(ALPHABET[idx as usize]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_have_the_contract_shape() {
        let k = generate().unwrap();
        assert!(k.secret.starts_with("rk-"));
        assert_eq!(k.secret.len(), 3 + 43);
        assert!(
            k.secret[3..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_eq!(k.hash, hash(&k.secret));
        assert_ne!(generate().unwrap().secret, k.secret);
        assert!(!format!("{k:?}").contains(&k.secret));
    }

    #[test]
    fn hash_is_sha256_hex() {
        // sha256("abc")
        assert_eq!(
            hash("abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let parsed = parse_hash(&hash("abc")).unwrap();
        assert_eq!(parsed, digest("abc"));
        assert!(parse_hash("sha256:zz").is_none());
        assert!(parse_hash("md5:00").is_none());
    }

    #[test]
    fn find_match_checks_all() {
        let a = digest("rk-a");
        let b = digest("rk-b");
        assert_eq!(find_match("rk-b", [&a, &b]), Some(1));
        assert_eq!(find_match("rk-c", [&a, &b]), None);
    }

    #[test]
    fn base64url_known_vectors() {
        assert_eq!(base64url(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }
}
