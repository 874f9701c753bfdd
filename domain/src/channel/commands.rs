//! What can be asked of a channel. Stream keys are drawn by the worker.

#[derive(Debug, Clone, PartialEq)]
pub enum ChannelCommand {
    Open { channel_id: String, owner: String, stream_key: String },
    RegenerateKey { actor: String, stream_key: String },
}
