//! What happened to a channel.

use cqrs_es::DomainEvent;

use super::Profile;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "PascalCase")]
pub enum ChannelEvent {
    ChannelOpened {
        channel_id: String,
        owner: String,
        stream_key: String,
    },
    StreamKeyRegenerated {
        stream_key: String,
    },
    /// The creator set the channel's public profile (handle, name, …).
    ChannelProfileSet {
        profile: Profile,
    },
}

impl DomainEvent for ChannelEvent {
    fn event_type(&self) -> String {
        match self {
            ChannelEvent::ChannelOpened { .. } => "ChannelOpened",
            ChannelEvent::StreamKeyRegenerated { .. } => "StreamKeyRegenerated",
            ChannelEvent::ChannelProfileSet { .. } => "ChannelProfileSet",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        crate::versions::current(&self.event_type()).to_string()
    }
}
