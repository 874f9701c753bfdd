//! The channel aggregate: decides who opens it and who may change its key.

use cqrs_es::Aggregate;

use super::{ChannelCommand, ChannelEvent};
use crate::refusal::{DomainError, RefusalKind};

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Channel {
    pub channel_id: Option<String>,
    pub owner: String,
    pub stream_key: String,
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
}

impl DomainError for ChannelError {
    fn code(&self) -> &'static str {
        match self {
            ChannelError::AlreadyExists => "already_exists",
            ChannelError::NotFound => "channel_not_found",
            ChannelError::NotOwner => "not_owner",
            ChannelError::WeakKey => "invalid_input",
        }
    }

    fn kind(&self) -> RefusalKind {
        match self {
            ChannelError::AlreadyExists => RefusalKind::Conflict,
            ChannelError::NotFound => RefusalKind::NotFound,
            ChannelError::NotOwner => RefusalKind::NotAllowed,
            ChannelError::WeakKey => RefusalKind::Invalid,
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
        }
    }
}
