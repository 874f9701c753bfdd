//! Signed bearer tokens: HS256 JWTs (`header.payload.signature`, base64url
//! without padding, HMAC-SHA256) carrying who the caller is and their role.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use cartcast_domain::Role;

/// The only header we issue, and the only algorithm we accept.
const ALGORITHM: &str = "HS256";

/// What a token says about its bearer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    /// The channel a creator or moderator acts for, when the token is scoped to one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Issued at, in seconds since the Unix epoch.
    pub iat: u64,
    /// Expires at, in seconds since the Unix epoch.
    pub exp: u64,
    /// An anonymous session (`POST /api/v1/sessions`): may watch and be counted, not post or buy.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub anonymous: bool,
}

impl Claims {
    fn new(sub: &str, role: Role, channel: Option<&str>, ttl: Duration, anonymous: bool) -> Self {
        let iat = unix_seconds(SystemTime::now());
        Self {
            sub: sub.to_owned(),
            role,
            channel: channel.map(str::to_owned),
            iat,
            exp: iat.saturating_add(ttl.as_secs()),
            anonymous,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    alg: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    typ: Option<String>,
}

/// Why a request's token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("a bearer token is required")]
    Missing,
    #[error("the bearer token is malformed")]
    Malformed,
    #[error("the bearer token's signature does not verify")]
    BadSignature,
    #[error("the bearer token has expired")]
    Expired,
}

impl AuthError {
    /// The API error code; malformed and forged tokens are not told apart to the caller.
    pub fn code(self) -> &'static str {
        match self {
            AuthError::Missing => "missing_token",
            AuthError::Malformed | AuthError::BadSignature => "invalid_token",
            AuthError::Expired => "token_expired",
        }
    }
}

/// Issues and verifies tokens with one shared secret.
#[derive(Clone)]
pub struct Signer {
    /// Keyed once; each signature starts from a clone of this state.
    mac: Hmac<Sha256>,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signer { .. }")
    }
}

impl Signer {
    pub fn new(secret: &[u8]) -> Self {
        Self { mac: Hmac::new_from_slice(secret).expect("HMAC accepts keys of any length") }
    }

    /// A token for `sub` acting as `role`, valid for `ttl` from now.
    pub fn issue(&self, sub: &str, role: Role, channel: Option<&str>, ttl: Duration) -> String {
        self.sign(&Claims::new(sub, role, channel, ttl, false))
    }

    /// An anonymous session's token for `sub`, valid for `ttl` from now, with its claims.
    pub fn issue_anonymous(&self, sub: &str, ttl: Duration) -> (String, Claims) {
        let claims = Claims::new(sub, Role::Viewer, None, ttl, true);
        (self.sign(&claims), claims)
    }

    fn sign(&self, claims: &Claims) -> String {
        let header = Header { alg: ALGORITHM.to_owned(), typ: Some("JWT".to_owned()) };
        let signing_input = format!("{}.{}", encode_json(&header), encode_json(claims));
        let mut mac = self.mac.clone();
        mac.update(signing_input.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{signing_input}.{signature}")
    }

    /// The token's claims if its signature verifies and it has not expired at `now`.
    pub fn verify(&self, token: &str, now: SystemTime) -> Result<Claims, AuthError> {
        let (signing_input, signature) = token.rsplit_once('.').ok_or(AuthError::Malformed)?;
        let (header, payload) = signing_input.split_once('.').ok_or(AuthError::Malformed)?;
        if payload.contains('.') {
            return Err(AuthError::Malformed);
        }
        let header: Header = decode_json(header)?;
        if header.alg != ALGORITHM {
            return Err(AuthError::Malformed);
        }
        let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| AuthError::Malformed)?;
        let mut mac = self.mac.clone();
        mac.update(signing_input.as_bytes());
        // `verify_slice` compares in constant time.
        mac.verify_slice(&signature).map_err(|_| AuthError::BadSignature)?;
        let claims: Claims = decode_json(payload)?;
        if unix_seconds(now) >= claims.exp {
            return Err(AuthError::Expired);
        }
        Ok(claims)
    }
}

fn encode_json(value: &impl Serialize) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).expect("token parts serialize"))
}

fn decode_json<T: for<'de> Deserialize<'de>>(part: &str) -> Result<T, AuthError> {
    let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| AuthError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| AuthError::Malformed)
}

fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    fn signer() -> Signer {
        Signer::new(b"test secret")
    }

    #[test]
    fn an_issued_token_verifies_to_its_claims() {
        let token = signer().issue("ann", Role::Creator, Some("ann-channel"), HOUR);
        let claims = signer().verify(&token, SystemTime::now()).unwrap();
        assert_eq!(claims.sub, "ann");
        assert_eq!(claims.role, Role::Creator);
        assert_eq!(claims.channel.as_deref(), Some("ann-channel"));
        assert_eq!(claims.exp - claims.iat, 3600);
    }

    #[test]
    fn a_token_is_a_three_part_jwt_with_an_hs256_header() {
        let token = signer().issue("ann", Role::Viewer, None, HOUR);
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header, serde_json::json!({"alg": "HS256", "typ": "JWT"}));
        assert!(!token.contains('='));
    }

    #[test]
    fn an_expired_token_is_refused() {
        let token = signer().issue("ann", Role::Viewer, None, Duration::from_secs(60));
        let later = SystemTime::now() + Duration::from_secs(61);
        assert_eq!(signer().verify(&token, later), Err(AuthError::Expired));
    }

    #[test]
    fn a_token_signed_with_another_secret_is_refused() {
        let token = Signer::new(b"other secret").issue("ann", Role::Admin, None, HOUR);
        assert_eq!(signer().verify(&token, SystemTime::now()), Err(AuthError::BadSignature));
    }

    #[test]
    fn a_token_with_forged_claims_is_refused() {
        let token = signer().issue("ann", Role::Viewer, None, HOUR);
        let parts: Vec<&str> = token.split('.').collect();
        let now = unix_seconds(SystemTime::now());
        let forged =
            Claims { sub: "ann".into(), role: Role::Admin, channel: None, iat: now, exp: now + 3600, anonymous: false };
        let forged = format!("{}.{}.{}", parts[0], encode_json(&forged), parts[2]);
        assert_eq!(signer().verify(&forged, SystemTime::now()), Err(AuthError::BadSignature));
    }

    #[test]
    fn an_unsigned_token_is_refused() {
        let now = unix_seconds(SystemTime::now());
        let header = encode_json(&Header { alg: "none".into(), typ: None });
        let claims = encode_json(&Claims {
            sub: "ann".into(),
            role: Role::Admin,
            channel: None,
            iat: now,
            exp: now + 60,
            anonymous: false,
        });
        assert_eq!(signer().verify(&format!("{header}.{claims}."), SystemTime::now()), Err(AuthError::Malformed));
    }

    #[test]
    fn malformed_tokens_are_refused() {
        for token in ["", "abc", "a.b", "a.b.c.d", "!!.??.**", "e30.e30.e30"] {
            assert_eq!(signer().verify(token, SystemTime::now()), Err(AuthError::Malformed), "{token}");
        }
    }

    #[test]
    fn error_codes_match_the_api() {
        assert_eq!(AuthError::Missing.code(), "missing_token");
        assert_eq!(AuthError::Malformed.code(), "invalid_token");
        assert_eq!(AuthError::BadSignature.code(), "invalid_token");
        assert_eq!(AuthError::Expired.code(), "token_expired");
    }
}
