//! What a command came to, in domain terms: an [`Answer`] (a typed body per
//! kind of success) or a [`Refusal`] (a domain error's kind, code and
//! message). The worker records it with the command, so every repeat of the
//! command id gets the same one; the API edge alone decides which HTTP status
//! each becomes. With the `openapi` feature the answers carry their OpenAPI
//! schemas, so the schema a client reads is the type its body is written from.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use cartcast_domain::channel::Profile;
use cartcast_domain::product::Stock;
use cartcast_domain::refusal::{DomainError, RefusalKind};

/// A decided command's outcome, and where its events are on the feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    #[serde(flatten)]
    pub verdict: Verdict,
    /// Feed position of the command's last event, for `?after=` reads; not
    /// recorded (a replayed command gets it again from the feed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Answer(Answer),
    Refusal(Refusal),
    /// An outcome recorded before outcomes were typed: an HTTP status and
    /// body, answered as they were recorded.
    #[serde(untagged)]
    Recorded {
        status: u16,
        body: serde_json::Value,
    },
}

impl Outcome {
    pub fn answer(answer: Answer) -> Self {
        Self { verdict: Verdict::Answer(answer), position: None }
    }

    pub fn refusal(refusal: Refusal) -> Self {
        Self { verdict: Verdict::Refusal(refusal), position: None }
    }

    pub fn is_answer(&self) -> bool {
        match &self.verdict {
            Verdict::Answer(_) => true,
            Verdict::Refusal(_) => false,
            Verdict::Recorded { status, .. } => (200..300).contains(status),
        }
    }

    /// A short label for logs and metrics: `answered`, or the refusal's code.
    pub fn label(&self) -> &str {
        match &self.verdict {
            Verdict::Answer(_) => "answered",
            Verdict::Refusal(refusal) => &refusal.code,
            Verdict::Recorded { .. } => "recorded",
        }
    }
}

/// Why a command was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub kind: RefusalKind,
    /// Stable, snake_case; clients branch on this.
    pub code: String,
    /// For people; may change.
    pub message: String,
    /// The order a refused payment belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
}

impl Refusal {
    /// An aggregate's refusal, as it stands.
    pub fn of(error: &impl DomainError) -> Self {
        Self { kind: error.kind(), code: error.code().to_owned(), message: error.to_string(), order_id: None }
    }

    /// A command value the worker itself found wrong.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self { kind: RefusalKind::Invalid, code: "invalid_input".to_owned(), message: message.into(), order_id: None }
    }

    pub fn payment_declined(order_id: &str, reason: &str) -> Self {
        Self {
            kind: RefusalKind::PaymentDeclined,
            code: "payment_declined".to_owned(),
            message: format!("the card was declined ({reason})"),
            order_id: Some(order_id.to_owned()),
        }
    }

    pub fn payment_timed_out(order_id: &str) -> Self {
        Self {
            kind: RefusalKind::PaymentTimedOut,
            code: "payment_timeout".to_owned(),
            message: "the payment gateway did not answer in time; nothing was charged and the order expired".to_owned(),
            order_id: Some(order_id.to_owned()),
        }
    }
}

/// Every kind of success, each with the body its caller gets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    ProductCreated(ProductAnswer),
    StockAdded(ProductAnswer),
    Reserved(ReservationCreated),
    Released(ReservationReleased),
    OrderConfirmed(OrderConfirmed),
    ShowScheduled(ShowScheduled),
    ProductPinned(ProductPinned),
    ProductUnpinned(ProductUnpinned),
    /// The creator edited a show or added products to it (or changed nothing).
    ShowUpdated(ShowAnswer),
    Cancelled(ShowStatusChanged),
    Raided(Raided),
    WentLive(ShowStatusChanged),
    Ended(ShowStatusChanged),
    ClipRequested(ClipRequested),
    ClipFinished(ClipFinished),
    StreamHealthReported(ShowAnswer),
    ViewersCounted(ViewersCounted),
    ReactionsCounted(ShowAnswer),
    ChatCounted(ShowAnswer),
    AudienceSampled(ShowAnswer),
    /// A moderation action taken (or already in force: no news).
    Moderated(Moderated),
    /// A ban or timeout, or a highlighted message: something new in the channel's chat.
    ModerationCreated(Moderated),
    StreamKeyRegenerated(StreamKeyRegenerated),
    ChannelProfileSet(ChannelProfileSet),
    /// A follow or unfollow (or no news: already so).
    FollowChanged(FollowChanged),
    NotificationsRead(NotificationsRead),
    PollOpened(PollOpened),
    /// A poll closed by its creator (or already closed: no news), as it ended.
    PollClosed(PollState),
    /// A gateway's ballots: the counts they leave, and the ballots that did not count.
    VotesCounted(VotesCounted),
}

/// A product as its seller just left it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ProductAnswer {
    pub product_id: String,
    pub seller: String,
    pub sku: String,
    pub title: String,
    /// Price in the currency's minor unit (cents).
    pub price_minor: i64,
    /// ISO 4217 code.
    pub currency: Option<String>,
    pub stock: StockLevels,
}

/// A product's four stock counters: `available + reserved + sold = total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StockLevels {
    pub total: u64,
    pub available: u64,
    pub reserved: u64,
    pub sold: u64,
}

impl From<Stock> for StockLevels {
    fn from(stock: Stock) -> Self {
        Self { total: stock.total, available: stock.available, reserved: stock.reserved, sold: stock.sold }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReservationCreated {
    /// `<product_id>.<n>`.
    pub reservation_id: String,
    pub product_id: String,
    pub quantity: u64,
    /// When the hold lapses and its units go back on sale.
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReservationReleased {
    pub reservation_id: String,
    #[cfg_attr(feature = "openapi", schema(example = "released"))]
    pub status: String,
    pub product_id: String,
    /// The product's stock with the units back on sale.
    pub stock: StockLevels,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderConfirmed {
    pub order_id: String,
    #[cfg_attr(feature = "openapi", schema(example = "confirmed"))]
    pub status: String,
    pub reservation_id: String,
    pub amount_minor: i64,
    pub currency: String,
    /// The payment gateway's capture.
    pub capture_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShowScheduled {
    pub show_id: String,
    pub title: String,
    #[cfg_attr(feature = "openapi", schema(example = "scheduled"))]
    pub status: String,
    /// The RTMP stream name; keep it secret.
    pub stream_key: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProductPinned {
    pub show_id: String,
    pub pinned_product_id: String,
}

/// The pinned product taken off screen (none when nothing was pinned).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProductUnpinned {
    pub show_id: String,
    pub unpinned_product_id: Option<String>,
}

/// A show went live, ended (the media worker's commands) or was cancelled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShowStatusChanged {
    pub show_id: String,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClipRequested {
    pub clip_id: String,
    pub show_id: String,
    pub seconds: u32,
    #[cfg_attr(feature = "openapi", schema(example = "processing"))]
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClipFinished {
    pub clip_id: String,
}

/// A raid sent: the show's audience is on its way to `target_show_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Raided {
    pub show_id: String,
    pub target_show_id: String,
    pub viewers: u64,
}

/// A report about a show was recorded, or the show was edited.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShowAnswer {
    pub show_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ViewersCounted {
    pub show_id: String,
    pub connected: u64,
    pub watching: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Moderated {
    pub channel_id: String,
    /// False when the action changed nothing (a repeat, an unban of no one).
    pub changed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StreamKeyRegenerated {
    pub channel_id: String,
    /// The new RTMP stream name; the previous one no longer authenticates.
    pub stream_key: String,
}

/// A channel's profile as its creator just set it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelProfileSet {
    pub channel_id: String,
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", schema(inline, value_type = Object))]
    pub profile: Profile,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotificationsRead {
    /// Every notification with an id up to this one is read.
    pub up_to: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowChanged {
    pub channel_id: String,
    pub following: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PollOpened {
    /// `<show_id>.<n>`: the show's n-th poll.
    pub poll_id: String,
    pub show_id: String,
}

/// A poll as its creator and viewers see it (and the live socket's `poll` frame).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PollState {
    pub poll_id: String,
    pub question: String,
    pub options: Vec<String>,
    /// Votes per option, in the options' order.
    pub counts: Vec<u64>,
    pub open: bool,
    /// Whether a viewer may change their vote while it is open.
    pub changeable: bool,
    /// When it closes by itself, if it has a duration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closes_at: Option<DateTime<Utc>>,
    /// The polls stream's sequence this state reflects: newer is larger.
    #[serde(skip)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    #[cfg_attr(feature = "schema", schemars(skip))]
    pub version: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VotesCounted {
    pub poll_id: String,
    pub counts: Vec<u64>,
    /// Ballots that did not count, each with why (`already_voted`, `invalid_option`).
    pub refused: Vec<RefusedBallot>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefusedBallot {
    pub voter: String,
    pub option: u8,
    pub code: String,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_outcome_reads_back_as_it_was_written() {
        let pinned = ProductPinned { show_id: "s1".into(), pinned_product_id: "p1".into() };
        let outcome = Outcome { position: Some(9), ..Outcome::answer(Answer::ProductPinned(pinned)) };
        let written = serde_json::to_value(&outcome).unwrap();
        assert_eq!(
            written,
            json!({"answer": {"product_pinned": {"show_id": "s1", "pinned_product_id": "p1"}}, "position": 9})
        );
        assert_eq!(serde_json::from_value::<Outcome>(written).unwrap(), outcome);
        let refused = Outcome::refusal(Refusal::payment_timed_out("o1"));
        assert_eq!(serde_json::from_value::<Outcome>(serde_json::to_value(&refused).unwrap()).unwrap(), refused);
    }

    #[test]
    fn an_outcome_recorded_before_outcomes_were_typed_is_answered_as_recorded() {
        let old = json!({"status": 409, "body": {"error": {"code": "sold_out", "message": "only 0 units available"}}});
        let outcome: Outcome = serde_json::from_value(old).unwrap();
        let Verdict::Recorded { status, body } = &outcome.verdict else { panic!("{outcome:?}") };
        assert_eq!((*status, body["error"]["code"].as_str()), (409, Some("sold_out")));
        assert!(!outcome.is_answer());
    }
}
