//! Why a command was refused, in the domain's terms: every aggregate's error
//! has a stable code and a kind. What a kind becomes on the wire (an HTTP
//! status, a socket frame) is the edge's decision, not the domain's.

use serde::{Deserialize, Serialize};

/// What sort of refusal an error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalKind {
    /// What the command names does not exist.
    NotFound,
    /// The actor may not do this to it.
    NotAllowed,
    /// A value of the command breaks a rule.
    Invalid,
    /// It clashes with the current state: exists already, sold out, wrong status.
    Conflict,
    /// It existed but is gone for good: an expired or released hold.
    Gone,
    /// The card was declined.
    PaymentDeclined,
    /// The payment gateway did not answer in time.
    PaymentTimedOut,
}

/// An aggregate's refusal: a message for people, a code for programs.
pub trait DomainError: std::error::Error {
    /// Stable and snake_case: clients branch on it.
    fn code(&self) -> &'static str;
    fn kind(&self) -> RefusalKind;
}
