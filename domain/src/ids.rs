//! Identifiers whose shape carries routing: a reservation id names the product
//! whose units it holds, so any process can find the partition that owns it.

use std::fmt;

/// Longest product id, in bytes, that a reservation id can carry.
pub(crate) const MAX_PRODUCT_ID_LEN: usize = 64;

/// `<product_id>.<n>`: the n-th hold taken on a product.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ReservationId {
    product_id: String,
    number: u64,
}

impl ReservationId {
    pub fn new(product_id: &str, number: u64) -> Self {
        Self { product_id: product_id.to_owned(), number }
    }

    pub fn product_id(&self) -> &str {
        &self.product_id
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("`{0}` is not a reservation id")]
pub struct BadReservationId(pub String);

impl std::str::FromStr for ReservationId {
    type Err = BadReservationId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadReservationId(s.to_owned());
        let (product, number) = s.rsplit_once('.').ok_or_else(bad)?;
        if product.is_empty() || product.len() > MAX_PRODUCT_ID_LEN {
            return Err(bad());
        }
        let number = number.parse().map_err(|_| bad())?;
        Ok(Self::new(product, number))
    }
}

impl TryFrom<String> for ReservationId {
    type Error = BadReservationId;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<ReservationId> for String {
    fn from(id: ReservationId) -> Self {
        id.to_string()
    }
}

impl fmt::Display for ReservationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.product_id, self.number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservation_id_round_trips_through_text() {
        let id = ReservationId::new("0190-abc", 42);
        assert_eq!(id.to_string().parse::<ReservationId>(), Ok(id));
    }

    #[test]
    fn reservation_id_without_number_is_refused() {
        assert!("0190-abc".parse::<ReservationId>().is_err());
        assert!("0190-abc.x".parse::<ReservationId>().is_err());
        assert!(".3".parse::<ReservationId>().is_err());
    }
}
