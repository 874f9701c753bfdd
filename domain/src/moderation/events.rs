//! What moderators did.

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "PascalCase")]
pub enum ModerationEvent {
    ModeratorAppointed {
        user: String,
    },
    ModeratorDismissed {
        user: String,
    },
    /// `until`: a timeout's end; none for a ban.
    UserBanned {
        user: String,
        until: Option<DateTime<Utc>>,
        reason: Option<String>,
        by: String,
    },
    UserUnbanned {
        user: String,
        by: String,
    },
    BannedWordsSet {
        words: Vec<String>,
    },
    SlowModeSet {
        show_id: String,
        slow_mode_s: u32,
        by: String,
    },
    FollowersOnlySet {
        show_id: String,
        followers_only: bool,
        by: String,
    },
    ChatMessageDeleted {
        show_id: String,
        message_id: String,
        by: String,
    },
    MessageHighlighted {
        show_id: String,
        message_id: String,
        text: String,
        at: DateTime<Utc>,
    },
}

impl DomainEvent for ModerationEvent {
    fn event_type(&self) -> String {
        match self {
            ModerationEvent::ModeratorAppointed { .. } => "ModeratorAppointed",
            ModerationEvent::ModeratorDismissed { .. } => "ModeratorDismissed",
            ModerationEvent::UserBanned { .. } => "UserBanned",
            ModerationEvent::UserUnbanned { .. } => "UserUnbanned",
            ModerationEvent::BannedWordsSet { .. } => "BannedWordsSet",
            ModerationEvent::SlowModeSet { .. } => "SlowModeSet",
            ModerationEvent::FollowersOnlySet { .. } => "FollowersOnlySet",
            ModerationEvent::ChatMessageDeleted { .. } => "ChatMessageDeleted",
            ModerationEvent::MessageHighlighted { .. } => "MessageHighlighted",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        crate::versions::current(&self.event_type()).to_string()
    }
}
