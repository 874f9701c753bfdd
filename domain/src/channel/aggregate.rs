//! The channel aggregate: decides who opens it, who may change its key and
//! its profile.

use cqrs_es::Aggregate;

use super::{ChannelCommand, ChannelEvent, Profile};
use crate::refusal::{DomainError, RefusalKind};

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Channel {
    pub channel_id: Option<String>,
    pub owner: String,
    pub stream_key: String,
    /// Set by the creator; `None` until the first `PUT /channels/me`.
    pub profile: Option<Profile>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ChannelError {
    #[error("channel already exists")]
    AlreadyExists,
    #[error("channel not found")]
    NotFound,
    #[error("only the channel's owner may do this")]
    NotOwner,
    #[error("stream keys must be at least 24 characters")]
    WeakKey,
    #[error("a handle is 3 to 25 of a-z, 0-9 and _")]
    InvalidHandle,
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: &'static str },
}

impl DomainError for ChannelError {
    fn code(&self) -> &'static str {
        match self {
            ChannelError::AlreadyExists => "already_exists",
            ChannelError::NotFound => "channel_not_found",
            ChannelError::NotOwner => "not_owner",
            ChannelError::WeakKey | ChannelError::Invalid { .. } => "invalid_input",
            ChannelError::InvalidHandle => "invalid_handle",
        }
    }

    fn kind(&self) -> RefusalKind {
        match self {
            ChannelError::AlreadyExists => RefusalKind::Conflict,
            ChannelError::NotFound => RefusalKind::NotFound,
            ChannelError::NotOwner => RefusalKind::NotAllowed,
            ChannelError::WeakKey | ChannelError::InvalidHandle | ChannelError::Invalid { .. } => RefusalKind::Invalid,
        }
    }
}

const MIN_KEY_LEN: usize = 24;

impl Channel {
    fn decide(&self, command: ChannelCommand) -> Result<Vec<ChannelEvent>, ChannelError> {
        match command {
            ChannelCommand::Open { channel_id, owner, stream_key } => {
                if self.channel_id.is_some() {
                    return Err(ChannelError::AlreadyExists);
                }
                if stream_key.len() < MIN_KEY_LEN {
                    return Err(ChannelError::WeakKey);
                }
                Ok(vec![ChannelEvent::ChannelOpened { channel_id, owner, stream_key }])
            }
            ChannelCommand::RegenerateKey { actor, stream_key } => {
                if self.channel_id.is_none() {
                    return Err(ChannelError::NotFound);
                }
                if actor != self.owner {
                    return Err(ChannelError::NotOwner);
                }
                if stream_key.len() < MIN_KEY_LEN {
                    return Err(ChannelError::WeakKey);
                }
                Ok(vec![ChannelEvent::StreamKeyRegenerated { stream_key }])
            }
            ChannelCommand::SetProfile { actor, profile } => {
                if self.channel_id.is_none() {
                    return Err(ChannelError::NotFound);
                }
                if actor != self.owner {
                    return Err(ChannelError::NotOwner);
                }
                let profile = profile.validated()?;
                if self.profile.as_ref() == Some(&profile) {
                    return Ok(vec![]);
                }
                Ok(vec![ChannelEvent::ChannelProfileSet { profile }])
            }
        }
    }
}

impl Aggregate for Channel {
    const TYPE: &'static str = "Channel";
    type Command = ChannelCommand;
    type Event = ChannelEvent;
    type Error = ChannelError;
    type Services = ();

    crate::handle_by_deciding!();

    fn apply(&mut self, event: Self::Event) {
        match event {
            ChannelEvent::ChannelOpened { channel_id, owner, stream_key } => {
                self.channel_id = Some(channel_id);
                self.owner = owner;
                self.stream_key = stream_key;
            }
            ChannelEvent::StreamKeyRegenerated { stream_key } => self.stream_key = stream_key,
            ChannelEvent::ChannelProfileSet { profile } => self.profile = Some(profile),
        }
    }
}
