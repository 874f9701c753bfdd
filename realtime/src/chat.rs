//! Chat: what a message is, what the gateway takes from a viewer, and how
//! often one viewer may post. Text is kept exactly as sent and never
//! interpreted as markup: clients show it as text.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use cartcast_infra::rate::TokenBucket;

/// The longest message, in characters (Unicode scalar values).
pub const MAX_CHARS: usize = 500;

/// How often one viewer may post by default: one message per 1.5 s.
pub const DEFAULT_INTERVAL: Duration = Duration::from_millis(1500);

/// One chat message as stored and as sent to clients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ChatMessage {
    /// Unique in the show; time-ordered (a UUIDv7).
    pub id: String,
    /// Who posted it (the token's subject).
    pub user: String,
    /// Exactly as posted: plain text, never markup.
    pub text: String,
    /// When the gateway took it.
    pub ts: DateTime<Utc>,
    /// Set for the show's creator and moderators: their messages always get through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub badge: Option<Badge>,
}

impl ChatMessage {
    /// Whether the message must reach every socket, however busy the room.
    pub fn is_priority(&self) -> bool {
        self.badge.is_some()
    }
}

/// Who speaks with authority in a show's chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Badge {
    Creator,
    Moderator,
}

impl Badge {
    pub fn as_str(self) -> &'static str {
        match self {
            Badge::Creator => "creator",
            Badge::Moderator => "moderator",
        }
    }
}

/// Why a chat frame was not taken; each is an `error` frame's code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ChatRefusal {
    #[error("sign in to chat: an anonymous session may watch, not post")]
    SignInRequired,
    #[error("a message needs some text")]
    Empty,
    #[error("a message is at most 500 characters")]
    TooLong,
    #[error("a message may not hold control characters other than newlines and tabs")]
    BadText,
    #[error("one message per {}: wait a little", humanize(*.0))]
    RateLimited(Duration),
    #[error("you are banned from this channel's chat")]
    Banned,
    #[error("you are timed out of this channel's chat for {}", humanize(*.0))]
    TimedOut(Duration),
    #[error("the message holds a word this channel does not allow")]
    BannedWord,
    #[error("this chat is for the channel's followers: follow it to post")]
    FollowersOnly,
    #[error("chat is unavailable right now; try again")]
    Unavailable,
}

/// Seconds with a tenth under a minute ("1.5 s"), then whole minutes
/// rounded up ("10 min"), then hours and minutes ("2 h 5 min").
fn humanize(interval: Duration) -> String {
    let seconds = interval.as_secs_f64();
    if seconds < 60.0 {
        return format!("{seconds:.1} s");
    }
    let minutes = (seconds / 60.0).ceil() as u64;
    match (minutes / 60, minutes % 60) {
        (0, minutes) => format!("{minutes} min"),
        (hours, 0) => format!("{hours} h"),
        (hours, minutes) => format!("{hours} h {minutes} min"),
    }
}

impl ChatRefusal {
    pub fn code(self) -> &'static str {
        match self {
            ChatRefusal::SignInRequired => "sign_in_required",
            ChatRefusal::Empty => "empty_message",
            ChatRefusal::TooLong => "message_too_long",
            ChatRefusal::BadText => "bad_text",
            ChatRefusal::RateLimited(_) => "rate_limited",
            ChatRefusal::Banned => "banned",
            ChatRefusal::TimedOut(_) => "timed_out",
            ChatRefusal::BannedWord => "banned_word",
            ChatRefusal::FollowersOnly => "followers_only",
            ChatRefusal::Unavailable => "unavailable",
        }
    }
}

/// The message `user` posts as `text` now, if the text is one a message may hold.
pub fn compose(user: &str, badge: Option<Badge>, text: &str, now: DateTime<Utc>) -> Result<ChatMessage, ChatRefusal> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(ChatRefusal::Empty);
    }
    if trimmed.chars().count() > MAX_CHARS {
        return Err(ChatRefusal::TooLong);
    }
    if trimmed.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(ChatRefusal::BadText);
    }
    Ok(ChatMessage {
        id: uuid::Uuid::now_v7().simple().to_string(),
        user: user.to_owned(),
        text: trimmed.to_owned(),
        ts: now,
        badge,
    })
}

/// When a message id (a UUIDv7) was made, to find it in a time-ordered store.
pub fn minted_at(message_id: &str) -> Option<DateTime<Utc>> {
    let id = uuid::Uuid::try_parse(message_id).ok()?;
    let (seconds, nanos) = id.get_timestamp()?.to_unix();
    DateTime::from_timestamp(i64::try_from(seconds).ok()?, nanos)
}

/// Each recent speaker's budget in one room, for the per-user rate limit.
#[derive(Debug, Default)]
pub struct Pacer {
    /// Per user: the interval their budget was made for, and the budget.
    speakers: HashMap<String, (Duration, TokenBucket)>,
}

impl Pacer {
    /// Lets `user` post now unless their last post was less than `interval`
    /// ago; then says how long to wait.
    pub fn admit(&mut self, user: &str, interval: Duration, now: Instant) -> Result<(), ChatRefusal> {
        let new_budget = || (interval, TokenBucket::new(1, 1.0 / interval.as_secs_f64().max(0.001), now));
        let speaker = self.speakers.entry(user.to_owned()).or_insert_with(new_budget);
        if speaker.0 != interval {
            // Slow mode changed: the new pace starts now.
            *speaker = new_budget();
        }
        speaker.1.take(now).map_err(ChatRefusal::RateLimited)
    }

    /// Forgets users who may post again anyway, so a room's pacer stays as
    /// small as its recent speakers.
    pub fn forget_idle(&mut self, now: Instant) {
        self.speakers.retain(|_, (_, bucket)| !bucket.is_full(now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_read_as_a_person_would_say_them() {
        let said = |seconds: f64| ChatRefusal::TimedOut(Duration::from_secs_f64(seconds)).to_string();
        assert_eq!(said(1.5), "you are timed out of this channel's chat for 1.5 s");
        assert_eq!(said(597.9), "you are timed out of this channel's chat for 10 min");
        assert_eq!(said(3600.0), "you are timed out of this channel's chat for 1 h");
        assert_eq!(said(7500.0), "you are timed out of this channel's chat for 2 h 5 min");
    }

    #[test]
    fn text_is_kept_as_sent_and_bounded() {
        let now = Utc::now();
        let message = compose("ann", None, "  <b>hi</b> & <script>x</script> ", now).unwrap();
        assert_eq!(message.text, "<b>hi</b> & <script>x</script>");
        assert_eq!(compose("ann", None, " \n ", now), Err(ChatRefusal::Empty));
        assert!(compose("ann", None, &"é".repeat(500), now).is_ok(), "500 characters, 1000 bytes");
        assert_eq!(compose("ann", None, &"é".repeat(501), now), Err(ChatRefusal::TooLong));
        assert_eq!(compose("ann", None, "a\u{7}b", now), Err(ChatRefusal::BadText));
        assert!(compose("ann", None, "two\nlines", now).is_ok());
    }

    #[test]
    fn a_message_id_says_when_it_was_made() {
        let message = compose("ann", None, "hi", Utc::now()).unwrap();
        let minted = minted_at(&message.id).unwrap();
        assert!((Utc::now() - minted).num_seconds().abs() < 5, "{minted}");
        assert_eq!(minted_at("not-an-id"), None);
    }

    #[tokio::test(start_paused = true)]
    async fn one_message_per_interval_with_the_wait_said() {
        let mut pacer = Pacer::default();
        let start = Instant::now();
        assert!(pacer.admit("ann", DEFAULT_INTERVAL, start).is_ok());
        let refused = pacer.admit("ann", DEFAULT_INTERVAL, start + Duration::from_millis(500));
        assert_eq!(refused, Err(ChatRefusal::RateLimited(Duration::from_millis(1000))));
        assert!(pacer.admit("bob", DEFAULT_INTERVAL, start).is_ok(), "per user");
        assert!(pacer.admit("ann", DEFAULT_INTERVAL, start + DEFAULT_INTERVAL).is_ok());
    }
}
