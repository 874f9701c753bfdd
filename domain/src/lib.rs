//! Cartcast's business rules: aggregates, their commands and events, and the
//! refusals they can answer with. Pure: no I/O, no clocks, no randomness that
//! is not passed in — the worker hands every command the time it was decided at.
//!
//! # Layout
//! - [`product`]: a product for sale and its stock; reservations (holds with a
//!   deadline) live here because they spend the product's units.
//! - [`order`]: an order placed from a reservation, its payment and outcome.
//! - [`show`]: a live show: scheduled → live → ended, its products and pin.
//! - [`live_stats`]: a live show's samples — audience counts and stream
//!   health — in a stream of their own, so a show's history stays short.
//! - [`channel`]: a creator's channel: its regenerable RTMP stream key and
//!   its public profile.
//! - [`handle`]: a channel's unique handle, one aggregate per handle.
//! - [`follow`]: the channels a user follows, one aggregate per user.
//! - [`moderation`]: a channel's chat moderation — moderators, bans and
//!   timeouts, banned words, slow mode, deleted and highlighted messages.
//! - [`poll`]: a show's polls — opened and closed by its creator, one
//!   counted vote per viewer, the result when it closes.
//! - [`ids`]: identifiers that carry routing (a reservation names its product,
//!   a poll its show).
//! - [`money`]: prices in minor units with an ISO currency.
//! - [`versions`]: each event type's current version and the upcasters that
//!   read older ones.
//! - [`refusal`]: the [`refusal::DomainError`] every aggregate's error
//!   implements — a stable code and a [`refusal::RefusalKind`].

/// The `handle` of an aggregate that decides with a pure
/// `fn decide(&self, command) -> Result<Vec<Event>, Error>`: each decided
/// event is applied as it is written, so `decide` decides and `apply` alone
/// changes state.
macro_rules! handle_by_deciding {
    () => {
        async fn handle(
            &mut self,
            command: Self::Command,
            _services: &Self::Services,
            sink: &cqrs_es::event_sink::EventSink<Self>,
        ) -> Result<(), Self::Error> {
            for event in self.decide(command)? {
                sink.write(event, self).await;
            }
            Ok(())
        }
    };
}
pub(crate) use handle_by_deciding;

pub mod channel;
pub mod follow;
pub mod handle;
pub mod ids;
pub mod live_stats;
pub mod moderation;
pub mod money;
pub mod order;
pub mod poll;
pub mod product;
pub mod refusal;
pub mod show;
pub mod versions;

/// The kind of actor a command is decided for; roles come from signed tokens.
/// Ordered as declared (`viewer` first), so a list of roles sorts the same everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Viewer,
    Creator,
    Moderator,
    Admin,
    Auditor,
    /// Reads the event feed (`GET /api/v1/events`) to study sales.
    Analyst,
}

impl std::str::FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "viewer" => Role::Viewer,
            "creator" => Role::Creator,
            "moderator" => Role::Moderator,
            "admin" => Role::Admin,
            "auditor" => Role::Auditor,
            "analyst" => Role::Analyst,
            _ => return Err(UnknownRole(s.to_owned())),
        })
    }
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Creator => "creator",
            Role::Moderator => "moderator",
            Role::Admin => "admin",
            Role::Auditor => "auditor",
            Role::Analyst => "analyst",
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("unknown role `{0}` (expected viewer, creator, moderator, admin, auditor or analyst)")]
pub struct UnknownRole(pub String);
