//! The moderation aggregate: decides who may act and keeps what the rules
//! are now (moderators, bans, banned words), so a repeated action is no news.

use std::collections::{BTreeMap, BTreeSet};

use cqrs_es::Aggregate;

use super::{ModerationAction, ModerationCommand, ModerationEvent};
use crate::refusal::{DomainError, RefusalKind};

/// The slowest slow mode: one message per hour.
pub const MAX_SLOW_MODE_S: u32 = 3600;
const MAX_WORDS: usize = 200;
const MAX_WORD_CHARS: usize = 50;
const MAX_REASON_CHARS: usize = 500;
const MAX_HIGHLIGHT_CHARS: usize = 500;

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Moderation {
    pub moderators: BTreeSet<String>,
    /// Banned users, each with the end of their timeout (none: banned).
    pub bans: BTreeMap<String, Option<chrono::DateTime<chrono::Utc>>>,
    pub banned_words: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModerationError {
    #[error("only the channel's owner may do this")]
    NotOwner,
    #[error("only the channel's owner and its moderators may do this")]
    NotModerator,
    #[error("the channel's owner cannot be banned from their own chat")]
    CannotBanOwner,
    #[error("invalid `{field}`: {reason}")]
    Invalid { field: &'static str, reason: &'static str },
}

impl DomainError for ModerationError {
    fn code(&self) -> &'static str {
        match self {
            ModerationError::NotOwner => "not_owner",
            ModerationError::NotModerator => "not_moderator",
            ModerationError::CannotBanOwner => "cannot_ban_owner",
            ModerationError::Invalid { .. } => "invalid_input",
        }
    }

    fn kind(&self) -> RefusalKind {
        match self {
            ModerationError::NotOwner | ModerationError::NotModerator => RefusalKind::NotAllowed,
            ModerationError::CannotBanOwner => RefusalKind::Conflict,
            ModerationError::Invalid { .. } => RefusalKind::Invalid,
        }
    }
}

fn invalid(field: &'static str, reason: &'static str) -> ModerationError {
    ModerationError::Invalid { field, reason }
}

impl Moderation {
    fn decide(&self, command: ModerationCommand) -> Result<Vec<ModerationEvent>, ModerationError> {
        let ModerationCommand { channel, actor, admin, action } = command;
        let owner = actor == channel || admin;
        let moderator = owner || self.moderators.contains(&actor);
        let by = actor;
        match action {
            ModerationAction::AppointModerator { user } | ModerationAction::DismissModerator { user }
                if !owner || user.is_empty() =>
            {
                Err(if owner { invalid("user", "names a user") } else { ModerationError::NotOwner })
            }
            ModerationAction::AppointModerator { user } => Ok(if self.moderators.contains(&user) {
                vec![]
            } else {
                vec![ModerationEvent::ModeratorAppointed { user }]
            }),
            ModerationAction::DismissModerator { user } => Ok(if self.moderators.contains(&user) {
                vec![ModerationEvent::ModeratorDismissed { user }]
            } else {
                vec![]
            }),
            _ if !moderator => Err(ModerationError::NotModerator),
            ModerationAction::Ban { user, .. } if user == channel => Err(ModerationError::CannotBanOwner),
            ModerationAction::Ban { reason: Some(reason), .. } if reason.chars().count() > MAX_REASON_CHARS => {
                Err(invalid("reason", "is at most 500 characters"))
            }
            ModerationAction::Ban { user, until, reason } => {
                Ok(vec![ModerationEvent::UserBanned { user, until, reason, by }])
            }
            ModerationAction::Unban { user } => Ok(if self.bans.contains_key(&user) {
                vec![ModerationEvent::UserUnbanned { user, by }]
            } else {
                vec![]
            }),
            ModerationAction::SetBannedWords { .. } if !owner => Err(ModerationError::NotOwner),
            ModerationAction::SetBannedWords { words } => {
                let words = banned_words(words)?;
                Ok(if words == self.banned_words { vec![] } else { vec![ModerationEvent::BannedWordsSet { words }] })
            }
            ModerationAction::SetSlowMode { slow_mode_s, .. } if slow_mode_s > MAX_SLOW_MODE_S => {
                Err(invalid("slow_mode_s", "is at most 3600"))
            }
            ModerationAction::SetSlowMode { show_id, slow_mode_s } => {
                Ok(vec![ModerationEvent::SlowModeSet { show_id, slow_mode_s, by }])
            }
            ModerationAction::SetChatSettings { slow_mode_s: Some(s), .. } if s > MAX_SLOW_MODE_S => {
                Err(invalid("slow_mode_s", "is at most 3600"))
            }
            ModerationAction::SetChatSettings { slow_mode_s: None, followers_only: None, .. } => {
                Err(invalid("body", "give slow_mode_s, followers_only or both"))
            }
            ModerationAction::SetChatSettings { show_id, slow_mode_s, followers_only } => {
                let slow = slow_mode_s.map(|slow_mode_s| ModerationEvent::SlowModeSet {
                    show_id: show_id.clone(),
                    slow_mode_s,
                    by: by.clone(),
                });
                let followers = followers_only.map(|followers_only| ModerationEvent::FollowersOnlySet {
                    show_id,
                    followers_only,
                    by,
                });
                Ok(slow.into_iter().chain(followers).collect())
            }
            ModerationAction::DeleteMessage { show_id, message_id } => {
                Ok(vec![ModerationEvent::ChatMessageDeleted { show_id, message_id, by }])
            }
            ModerationAction::Highlight { .. } if !owner => Err(ModerationError::NotOwner),
            ModerationAction::Highlight { text, .. }
                if text.trim().is_empty() || text.trim().chars().count() > MAX_HIGHLIGHT_CHARS =>
            {
                Err(invalid("text", "is 1 to 500 characters"))
            }
            ModerationAction::Highlight { show_id, message_id, text, at } => {
                Ok(vec![ModerationEvent::MessageHighlighted { show_id, message_id, text: text.trim().to_owned(), at }])
            }
        }
    }
}

/// The list as it is kept: trimmed, lower-cased, without blanks or repeats, in order.
fn banned_words(words: Vec<String>) -> Result<Vec<String>, ModerationError> {
    if words.len() > MAX_WORDS {
        return Err(invalid("words", "at most 200"));
    }
    let mut kept: Vec<String> = Vec::with_capacity(words.len());
    for word in words {
        let word = word.trim().to_lowercase();
        if word.chars().count() > MAX_WORD_CHARS {
            return Err(invalid("words", "each at most 50 characters"));
        }
        if !word.is_empty() && !kept.contains(&word) {
            kept.push(word);
        }
    }
    Ok(kept)
}

impl Aggregate for Moderation {
    const TYPE: &'static str = "Moderation";
    type Command = ModerationCommand;
    type Event = ModerationEvent;
    type Error = ModerationError;
    type Services = ();

    crate::handle_by_deciding!();

    fn apply(&mut self, event: Self::Event) {
        match event {
            ModerationEvent::ModeratorAppointed { user } => {
                self.moderators.insert(user);
            }
            ModerationEvent::ModeratorDismissed { user } => {
                self.moderators.remove(&user);
            }
            ModerationEvent::UserBanned { user, until, .. } => {
                self.bans.insert(user, until);
            }
            ModerationEvent::UserUnbanned { user, .. } => {
                self.bans.remove(&user);
            }
            ModerationEvent::BannedWordsSet { words } => self.banned_words = words,
            ModerationEvent::SlowModeSet { .. }
            | ModerationEvent::FollowersOnlySet { .. }
            | ModerationEvent::ChatMessageDeleted { .. }
            | ModerationEvent::MessageHighlighted { .. } => {}
        }
    }
}
