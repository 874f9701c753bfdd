//! What can be asked of a channel's moderation, and by whom.

use chrono::{DateTime, Utc};

/// One moderation action by `actor` on the channel `channel` (whose owner is
/// the user of that id); `admin` acts everywhere as a moderator does.
#[derive(Debug, Clone, PartialEq)]
pub struct ModerationCommand {
    pub channel: String,
    pub actor: String,
    pub admin: bool,
    pub action: ModerationAction,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum ModerationAction {
    /// Owner only.
    AppointModerator {
        user: String,
    },
    /// Owner only.
    DismissModerator {
        user: String,
    },
    /// Without `until`, a ban; with it, a timeout that ends then.
    Ban {
        user: String,
        until: Option<DateTime<Utc>>,
        reason: Option<String>,
    },
    Unban {
        user: String,
    },
    /// Owner only: replaces the list.
    SetBannedWords {
        words: Vec<String>,
    },
    /// 0 turns slow mode off.
    SetSlowMode {
        show_id: String,
        slow_mode_s: u32,
    },
    /// A show's chat settings at once: slow mode, and whether only the
    /// channel's followers (and its creator and moderators) may post.
    SetChatSettings {
        show_id: String,
        slow_mode_s: Option<u32>,
        followers_only: Option<bool>,
    },
    DeleteMessage {
        show_id: String,
        message_id: String,
    },
    /// Owner only: a message of the owner's shown above the chat.
    Highlight {
        show_id: String,
        message_id: String,
        text: String,
        at: DateTime<Utc>,
    },
}
