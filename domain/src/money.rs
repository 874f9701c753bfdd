//! Prices: an integer count of the currency's minor unit (cents) and an ISO
//! 4217 code. Never floating point.

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Currency(String);

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("`{0}` is not an ISO 4217 currency code (three capital letters)")]
pub struct BadCurrency(pub String);

impl Currency {
    pub fn parse(code: &str) -> Result<Self, BadCurrency> {
        if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Self(code.to_owned()))
        } else {
            Err(BadCurrency(code.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currency_accepts_iso_codes_only() {
        assert!(Currency::parse("EUR").is_ok());
        assert!(Currency::parse("eur").is_err());
        assert!(Currency::parse("EURO").is_err());
    }
}
