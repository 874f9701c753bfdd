//! Moderation at the gateway: a channel's rules as the read side last said
//! them — moderators, bans and timeouts, banned words, the show's slow mode,
//! followers-only mode and highlighted message — checked against each message before it is
//! posted. Rooms read them again every report interval, so an action taken
//! over HTTP on any API process reaches every gateway within seconds.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::chat::{Badge, ChatMessage, ChatRefusal, DEFAULT_INTERVAL};

/// What one show's chat enforces now.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChatRules {
    /// The channel's appointed moderators.
    pub moderators: HashSet<String>,
    /// Banned users, each with the end of their timeout (none: banned).
    pub bans: HashMap<String, Option<DateTime<Utc>>>,
    /// Lower-case words (or phrases) a message may not hold.
    pub banned_words: Vec<String>,
    /// One message per this long per user, if longer than the default.
    pub slow_mode: Duration,
    /// The creator's message shown above the chat.
    pub highlight: Option<ChatMessage>,
    /// Only the channel's followers (and badge holders) may post.
    pub followers_only: bool,
}

impl ChatRules {
    /// Banned for good (not timed out): such a user's sockets are closed.
    pub fn is_banned(&self, user: &str) -> bool {
        matches!(self.bans.get(user), Some(None))
    }

    /// The badge the rules give `user`: appointed moderators have one.
    pub fn badge(&self, user: &str) -> Option<Badge> {
        self.moderators.contains(user).then_some(Badge::Moderator)
    }

    /// Whether `user` may post `text` at `now`; if so, how often they may post.
    /// Badge holders are not slowed by slow mode.
    pub fn check(
        &self,
        user: &str,
        badge: Option<Badge>,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<Duration, ChatRefusal> {
        match self.bans.get(user) {
            Some(None) => return Err(ChatRefusal::Banned),
            Some(Some(until)) if *until > now => {
                return Err(ChatRefusal::TimedOut((*until - now).to_std().unwrap_or_default()));
            }
            _ => {}
        }
        if self.holds_banned_word(text) {
            return Err(ChatRefusal::BannedWord);
        }
        Ok(if badge.is_some() { DEFAULT_INTERVAL } else { self.slow_mode.max(DEFAULT_INTERVAL) })
    }

    /// A banned word as a whole word (any case), or a banned phrase anywhere.
    fn holds_banned_word(&self, text: &str) -> bool {
        if self.banned_words.is_empty() {
            return false;
        }
        let lower = text.to_lowercase();
        self.banned_words.iter().any(|banned| {
            if banned.contains(char::is_whitespace) {
                lower.contains(banned.as_str())
            } else {
                lower.split(|c: char| !c.is_alphanumeric()).any(|word| word == banned)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bans_timeouts_words_and_slow_mode_are_checked() {
        let now = Utc::now();
        let rules = ChatRules {
            bans: HashMap::from([
                ("troll".to_owned(), None),
                ("timid".to_owned(), Some(now + chrono::Duration::seconds(60))),
                ("served".to_owned(), Some(now - chrono::Duration::seconds(1))),
            ]),
            banned_words: vec!["scam".to_owned(), "free money".to_owned()],
            slow_mode: Duration::from_secs(10),
            ..ChatRules::default()
        };
        assert_eq!(rules.check("troll", None, "hi", now), Err(ChatRefusal::Banned));
        assert!(
            matches!(rules.check("timid", None, "hi", now), Err(ChatRefusal::TimedOut(left)) if left.as_secs() >= 59)
        );
        assert_eq!(rules.check("served", None, "hi", now), Ok(Duration::from_secs(10)), "a timeout that ended");
        assert_eq!(rules.check("ann", None, "What a SCAM!", now), Err(ChatRefusal::BannedWord));
        assert_eq!(rules.check("ann", None, "get FREE  money", now), Ok(Duration::from_secs(10)), "phrase as typed");
        assert_eq!(rules.check("ann", None, "get free money now", now), Err(ChatRefusal::BannedWord));
        assert_eq!(rules.check("ann", None, "scampi for dinner", now), Ok(Duration::from_secs(10)), "whole words");
        assert_eq!(rules.check("mo", Some(Badge::Moderator), "hi", now), Ok(DEFAULT_INTERVAL), "not slowed");
        assert!(rules.is_banned("troll") && !rules.is_banned("timid"));
    }
}
