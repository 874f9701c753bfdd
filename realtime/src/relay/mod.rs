//! How a show's room spans gateways: what one gateway tells the others, and
//! where chat is kept. One adapter per shape: [`local`] (one process: a
//! broadcast channel per show, chat in the data dir) and [`nats`] (subjects
//! per show on NATS, chat in the JetStream stream `CHAT`).

pub mod local;
pub mod nats;

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};

use crate::chat::ChatMessage;
use crate::presence::SessionNews;

/// One piece of news in a show's room, from one gateway to all of them (itself included).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RoomMessage {
    /// A chat message, already stored.
    Chat { message: ChatMessage },
    /// A message a moderator deleted, already removed from the store.
    ChatDeleted { message_id: String },
    /// The creator's message to show above the chat (already recorded).
    Highlight { message: ChatMessage },
    /// One gateway's own audience of the show, every report interval;
    /// `leaving` when its last socket of the show closed. `uniques`: the
    /// HyperLogLog registers of every session the gateway has heard of.
    Audience {
        gateway: String,
        connected: u64,
        watching: u64,
        leaving: bool,
        #[serde(default)]
        uniques: Vec<u8>,
    },
    /// Reactions one gateway accepted in its last window, per emoji.
    Reactions { gateway: String, counts: BTreeMap<String, u64> },
    /// Sessions that arrived at, left or changed on one gateway in its last
    /// window, so a session on several gateways counts once.
    Sessions {
        gateway: String,
        #[serde(flatten)]
        news: SessionNews,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("room relay unavailable: {0}")]
    Unavailable(String),
    #[error("chat store: {0}")]
    Store(#[from] std::io::Error),
}

/// A show's room across gateways, and its chat's store of record.
#[async_trait]
pub trait Relay: Send + Sync + 'static {
    /// Tell every gateway of the show (no record is kept).
    async fn publish(&self, show_id: &str, message: &RoomMessage) -> Result<(), RelayError>;

    /// Everything said in the show's room from now on, chat included.
    async fn subscribe(&self, show_id: &str) -> Result<BoxStream<'static, RoomMessage>, RelayError>;

    /// Store a chat message, then tell every gateway of the show. Returns once stored.
    async fn post_chat(&self, show_id: &str, message: &ChatMessage) -> Result<(), RelayError>;

    /// The show's last `count` messages, oldest first.
    async fn recent_chat(&self, show_id: &str, count: usize) -> Result<Vec<ChatMessage>, RelayError>;

    /// The show's first `limit` messages posted from `from` to `to`
    /// (inclusive), oldest first.
    async fn chat_between(
        &self,
        show_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<ChatMessage>, RelayError>;

    /// Remove a message from the store and from every gateway's room; false
    /// when the show has no such message.
    async fn delete_chat(&self, show_id: &str, message_id: &str) -> Result<bool, RelayError>;
}
