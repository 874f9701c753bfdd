//! The follows aggregate: the channels one user follows, and how far they
//! have read the notifications those channels sent.

use std::collections::BTreeSet;

use cqrs_es::{Aggregate, DomainEvent};

use crate::refusal::{DomainError, RefusalKind};

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Follows {
    pub channels: BTreeSet<String>,
    /// The newest notification id the user marked read.
    pub read_up_to: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FollowsCommand {
    /// `user` follows `channel_id` (the channel exists: the caller checked); no news if they do already.
    Follow { user: String, channel_id: String },
    /// No news if they do not follow it.
    Unfollow { user: String, channel_id: String },
    /// Every notification up to id `up_to` is read; no news if they were.
    MarkRead { user: String, up_to: u64 },
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "PascalCase")]
pub enum FollowsEvent {
    ChannelFollowed { user: String, channel_id: String },
    ChannelUnfollowed { user: String, channel_id: String },
    NotificationsRead { user: String, up_to: u64 },
}

impl DomainEvent for FollowsEvent {
    fn event_type(&self) -> String {
        match self {
            FollowsEvent::ChannelFollowed { .. } => "ChannelFollowed",
            FollowsEvent::ChannelUnfollowed { .. } => "ChannelUnfollowed",
            FollowsEvent::NotificationsRead { .. } => "NotificationsRead",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        crate::versions::current(&self.event_type()).to_string()
    }
}

/// Most channels one user may follow.
pub const MAX_FOLLOWS: usize = 2000;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FollowError {
    #[error("a creator cannot follow their own channel")]
    OwnChannel,
    #[error("you follow 2000 channels already; unfollow one first")]
    TooMany,
}

impl DomainError for FollowError {
    fn code(&self) -> &'static str {
        match self {
            FollowError::OwnChannel => "cannot_follow_self",
            FollowError::TooMany => "too_many_follows",
        }
    }

    fn kind(&self) -> RefusalKind {
        match self {
            FollowError::OwnChannel => RefusalKind::Invalid,
            FollowError::TooMany => RefusalKind::Conflict,
        }
    }
}

impl Follows {
    fn decide(&self, command: FollowsCommand) -> Result<Vec<FollowsEvent>, FollowError> {
        match command {
            FollowsCommand::Follow { user, channel_id } => {
                if user == channel_id {
                    return Err(FollowError::OwnChannel);
                }
                if self.channels.contains(&channel_id) {
                    return Ok(vec![]);
                }
                if self.channels.len() >= MAX_FOLLOWS {
                    return Err(FollowError::TooMany);
                }
                Ok(vec![FollowsEvent::ChannelFollowed { user, channel_id }])
            }
            FollowsCommand::Unfollow { user, channel_id } => Ok(if self.channels.contains(&channel_id) {
                vec![FollowsEvent::ChannelUnfollowed { user, channel_id }]
            } else {
                vec![]
            }),
            FollowsCommand::MarkRead { user, up_to } => {
                Ok(if up_to > self.read_up_to { vec![FollowsEvent::NotificationsRead { user, up_to }] } else { vec![] })
            }
        }
    }
}

impl Aggregate for Follows {
    const TYPE: &'static str = "Follows";
    type Command = FollowsCommand;
    type Event = FollowsEvent;
    type Error = FollowError;
    type Services = ();

    crate::handle_by_deciding!();

    fn apply(&mut self, event: Self::Event) {
        match event {
            FollowsEvent::ChannelFollowed { channel_id, .. } => {
                self.channels.insert(channel_id);
            }
            FollowsEvent::ChannelUnfollowed { channel_id, .. } => {
                self.channels.remove(&channel_id);
            }
            FollowsEvent::NotificationsRead { up_to, .. } => self.read_up_to = up_to,
        }
    }
}
