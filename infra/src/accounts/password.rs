//! Passwords: what counts as strong enough, and argon2id hashing (OWASP's
//! first choice: 19 MiB, 2 passes, 1 lane — the crate's defaults) into PHC
//! strings that carry their own salt and parameters.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// The fewest characters a password may have.
pub const MIN_CHARS: usize = 10;
/// The most: hashing cost is bounded, and nobody types more.
pub const MAX_CHARS: usize = 128;
/// The fewest different characters (`aaaaaaaaaa` is not a password).
const MIN_DISTINCT: usize = 5;

/// Why a password was refused at sign-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WeakPassword {
    #[error("use at least {MIN_CHARS} characters")]
    TooShort,
    #[error("use at most {MAX_CHARS} characters")]
    TooLong,
    #[error("use at least {MIN_DISTINCT} different characters")]
    TooRepetitive,
    #[error("do not use your username in your password")]
    ContainsUsername,
}

/// A password in clear, only for as long as it takes to hash or verify it;
/// its `Debug` never prints it.
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

impl Password {
    pub fn new(clear: String) -> Self {
        Self(clear)
    }

    /// Refuses a password a guesser would try early.
    pub fn check_strength(&self, username: &str) -> Result<(), WeakPassword> {
        let chars = self.0.chars().count();
        if chars < MIN_CHARS {
            return Err(WeakPassword::TooShort);
        }
        if chars > MAX_CHARS {
            return Err(WeakPassword::TooLong);
        }
        let mut distinct: Vec<char> = self.0.chars().collect();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() < MIN_DISTINCT {
            return Err(WeakPassword::TooRepetitive);
        }
        if self.0.to_lowercase().contains(username) {
            return Err(WeakPassword::ContainsUsername);
        }
        Ok(())
    }

    /// An argon2id PHC string with a fresh random salt. CPU-bound (tens of ms): call off the async workers.
    pub fn hash(&self) -> String {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(self.0.as_bytes(), &salt)
            .expect("argon2 with default parameters hashes any password up to MAX_CHARS")
            .to_string()
    }

    /// Whether it matches `hash`; with no hash (no such account), it hashes
    /// anyway and answers false, so a guesser cannot tell the two apart by time.
    pub fn verify(&self, hash: Option<&str>) -> bool {
        let Some(parsed) = hash.and_then(|hash| PasswordHash::new(hash).ok()) else {
            let _ = self.hash();
            return false;
        };
        Argon2::default().verify_password(self.0.as_bytes(), &parsed).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let password = Password::new("correct horse battery".to_owned());
        let hash = password.hash();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(!hash.contains("correct horse"));
        assert!(password.verify(Some(&hash)));
        assert!(!Password::new("correct horse battery!".to_owned()).verify(Some(&hash)));
        assert!(!password.verify(None));
        assert_ne!(hash, password.hash(), "each hash has its own salt");
    }

    #[test]
    fn weak_passwords_are_refused_with_their_reason() {
        let check = |clear: &str| Password::new(clear.to_owned()).check_strength("ann");
        assert_eq!(check("short1!"), Err(WeakPassword::TooShort));
        assert_eq!(check("aaaaabbbbbaaaaa"), Err(WeakPassword::TooRepetitive));
        assert_eq!(check("Ann-loves-shopping"), Err(WeakPassword::ContainsUsername));
        assert_eq!(check(&"x1y2z3".repeat(30)), Err(WeakPassword::TooLong));
        assert_eq!(check("glow serum at dawn"), Ok(()));
        assert!(format!("{:?}", Password::new("glow serum at dawn".to_owned())).contains('…'));
    }
}
