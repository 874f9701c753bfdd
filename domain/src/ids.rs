//! Identifiers whose shape carries routing: a reservation id names the product
//! whose units it holds, a poll id the show it is asked in, so any process can
//! find the partition that owns it.

use std::fmt;
use std::marker::PhantomData;

/// Longest product id, in bytes, that a reservation id can carry.
pub(crate) const MAX_PRODUCT_ID_LEN: usize = 64;

/// `<parent>.<n>`: the n-th thing of kind `K` numbered under a parent id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Numbered<K: Kind> {
    parent: String,
    number: u64,
    kind: PhantomData<K>,
}

/// What is numbered, for error messages.
pub trait Kind: fmt::Debug + Clone + PartialEq + Eq + std::hash::Hash + PartialOrd + Ord {
    const WHAT: &'static str;
}

/// The n-th hold taken on a product: `<product_id>.<n>`.
pub type ReservationId = Numbered<Hold>;
/// The n-th poll asked in a show: `<show_id>.<n>`.
pub type PollId = Numbered<Question>;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Hold {}
impl Kind for Hold {
    const WHAT: &'static str = "reservation";
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Question {}
impl Kind for Question {
    const WHAT: &'static str = "poll";
}

impl<K: Kind> Numbered<K> {
    pub fn new(parent: &str, number: u64) -> Self {
        Self { parent: parent.to_owned(), number, kind: PhantomData }
    }

    pub fn number(&self) -> u64 {
        self.number
    }
}

impl ReservationId {
    pub fn product_id(&self) -> &str {
        &self.parent
    }
}

impl PollId {
    pub fn show_id(&self) -> &str {
        &self.parent
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("`{id}` is not a {what} id")]
pub struct BadId {
    pub what: &'static str,
    pub id: String,
}

impl<K: Kind> std::str::FromStr for Numbered<K> {
    type Err = BadId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadId { what: K::WHAT, id: s.to_owned() };
        let (parent, number) = s.rsplit_once('.').ok_or_else(bad)?;
        if parent.is_empty() || parent.len() > MAX_PRODUCT_ID_LEN {
            return Err(bad());
        }
        let number = number.parse().map_err(|_| bad())?;
        Ok(Self::new(parent, number))
    }
}

impl<K: Kind> TryFrom<String> for Numbered<K> {
    type Error = BadId;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl<K: Kind> From<Numbered<K>> for String {
    fn from(id: Numbered<K>) -> Self {
        id.to_string()
    }
}

impl<K: Kind> fmt::Display for Numbered<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.parent, self.number)
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

    #[test]
    fn a_poll_id_names_its_show_and_says_what_it_is_not() {
        let id: PollId = "show.1.2".parse().unwrap();
        assert_eq!((id.show_id(), id.number()), ("show.1", 2));
        assert_eq!("show".parse::<PollId>().unwrap_err().to_string(), "`show` is not a poll id");
    }
}
