//! What can be asked of a channel. Stream keys are drawn by the worker.

use super::Profile;

#[derive(Debug, Clone, PartialEq)]
pub enum ChannelCommand {
    Open {
        channel_id: String,
        owner: String,
        stream_key: String,
    },
    RegenerateKey {
        actor: String,
        stream_key: String,
    },
    /// Set the public profile; its handle must already be claimed for the
    /// channel ([`crate::handle`]), which the worker does first.
    SetProfile {
        actor: String,
        profile: Profile,
    },
}
