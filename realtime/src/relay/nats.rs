//! The distributed shape's relay: a show's room is the NATS subjects
//! `room.<show>.live` (what gateways tell each other, no record kept) and
//! `room.<show>.chat`, which the JetStream stream `CHAT` stores: chat's
//! store of record. A gateway subscribes once per show to `room.<show>.>`
//! and hears both; a message is published to JetStream and acknowledged
//! (stored) before anyone can see it.

use std::time::Duration;

use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, PullConsumer, pull};
use async_nats::jetstream::context::Publish;
use async_nats::jetstream::stream::{Config as StreamConfig, RetentionPolicy, StorageType};
use async_nats::jetstream::{self, Context};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use futures::stream::BoxStream;

use cartcast_infra::bus::jetstream::{BusNames, ensure_stream};

use super::{Relay, RelayError, RoomMessage};
use crate::chat::{ChatMessage, minted_at};

/// How recent "recent" chat is looked for first, before reading a show's whole chat.
const RECENT_WINDOW: Duration = Duration::from_secs(15 * 60);
/// How far apart a message's id and the time the stream stored it may be.
const CLOCK_SLACK: Duration = Duration::from_secs(60);
/// A chat reader the server forgets if it is left behind (its reader crashed).
const READER_IDLE: Duration = Duration::from_secs(30);
/// Messages per fetch when reading chat back.
const FETCH_AT_MOST: u64 = 500;
/// A repeated post of one message id within this window is stored once.
const CHAT_DUPLICATE_WINDOW: Duration = Duration::from_secs(2 * 60);

pub struct NatsRelay {
    client: async_nats::Client,
    js: Context,
    names: BusNames,
}

impl NatsRelay {
    /// Connects to `nats_url` and creates (or updates) the `CHAT` stream.
    /// Chat is kept as long as the show's VOD: the stream has no age limit.
    pub async fn connect(nats_url: &str, names: BusNames) -> Result<Self, RelayError> {
        let client = async_nats::ConnectOptions::new()
            .name("cartcast-gateway")
            .connect(nats_url)
            .await
            .map_err(|error| unavailable("connect", error))?;
        let js = jetstream::new(client.clone());
        let chat = StreamConfig {
            name: names.chat_stream(),
            subjects: vec![names.chat_subjects()],
            storage: StorageType::File,
            retention: RetentionPolicy::Limits,
            duplicate_window: CHAT_DUPLICATE_WINDOW,
            num_replicas: 1,
            ..Default::default()
        };
        ensure_stream(&js, chat).await.map_err(|error| unavailable("create the CHAT stream", error))?;
        Ok(Self { client, js, names })
    }

    /// Each stored message of the show's chat from `start`, with its stream
    /// sequence, oldest first, until `keep_going` says stop or none is left.
    /// An ephemeral consumer counts what is there when it is made, and that
    /// many are fetched: a read never waits for messages yet to come.
    async fn read_chat(
        &self,
        show_id: &str,
        start: DeliverPolicy,
        mut keep_going: impl FnMut(&ChatMessage) -> bool,
    ) -> Result<Vec<(u64, ChatMessage)>, RelayError> {
        let config = pull::Config {
            filter_subject: self.names.chat(show_id),
            deliver_policy: start,
            ack_policy: AckPolicy::None,
            inactive_threshold: READER_IDLE,
            ..Default::default()
        };
        let stream =
            self.js.get_stream(self.names.chat_stream()).await.map_err(|error| unavailable("read chat", error))?;
        let consumer: PullConsumer =
            stream.create_consumer(config).await.map_err(|error| unavailable("read chat", error))?;
        let mut left = consumer.cached_info().num_pending;
        let mut read = Vec::new();
        'fetching: while left > 0 {
            let max = usize::try_from(left.min(FETCH_AT_MOST)).unwrap_or(1);
            let mut batch =
                consumer.fetch().max_messages(max).messages().await.map_err(|error| unavailable("read chat", error))?;
            let mut fetched = 0;
            while let Some(message) = batch.next().await {
                let message = message.map_err(|error| unavailable("read chat", error))?;
                fetched += 1;
                let sequence = message.info().map_err(|error| unavailable("read chat", error))?.stream_sequence;
                match serde_json::from_slice::<ChatMessage>(&message.payload) {
                    Ok(chat) if !keep_going(&chat) => break 'fetching,
                    Ok(chat) => read.push((sequence, chat)),
                    Err(error) => tracing::warn!(sequence, %error, "skipping an unreadable chat message"),
                }
            }
            if fetched == 0 {
                break;
            }
            left = left.saturating_sub(fetched);
        }
        // Best effort: an idle reader is removed by the server anyway.
        let _ = stream.delete_consumer(&consumer.cached_info().name).await;
        Ok(read)
    }
}

#[async_trait]
impl Relay for NatsRelay {
    async fn publish(&self, show_id: &str, message: &RoomMessage) -> Result<(), RelayError> {
        let payload = serde_json::to_vec(message).map_err(|error| unavailable("encode", error))?;
        self.client
            .publish(self.names.room_live(show_id), payload.into())
            .await
            .map_err(|error| unavailable("publish to the room", error))
    }

    async fn subscribe(&self, show_id: &str) -> Result<BoxStream<'static, RoomMessage>, RelayError> {
        let subscriber =
            self.client.subscribe(self.names.room(show_id)).await.map_err(|error| unavailable("subscribe", error))?;
        let chat_subject = self.names.chat(show_id);
        let messages = subscriber.filter_map(move |message| {
            let decoded = if message.subject.as_str() == chat_subject {
                serde_json::from_slice(&message.payload).map(|message| RoomMessage::Chat { message })
            } else {
                serde_json::from_slice(&message.payload)
            };
            let decoded = decoded
                .inspect_err(|error| tracing::warn!(subject = %message.subject, %error, "an unreadable room message"))
                .ok();
            async move { decoded }
        });
        Ok(messages.boxed())
    }

    async fn post_chat(&self, show_id: &str, message: &ChatMessage) -> Result<(), RelayError> {
        let payload = serde_json::to_vec(message).map_err(|error| unavailable("encode", error))?;
        let publish = Publish::build().payload(payload.into()).message_id(&message.id);
        let ack = self
            .js
            .send_publish(self.names.chat(show_id), publish)
            .await
            .map_err(|error| unavailable("post chat", error))?;
        ack.await.map_err(|error| unavailable("store chat", error))?;
        Ok(())
    }

    async fn recent_chat(&self, show_id: &str, count: usize) -> Result<Vec<ChatMessage>, RelayError> {
        let since = Utc::now() - RECENT_WINDOW;
        let mut recent = self.read_chat(show_id, by_start_time(since), |_| true).await?;
        if recent.len() < count {
            // A quiet show: its last messages may be older than the window.
            recent = self.read_chat(show_id, DeliverPolicy::All, |_| true).await?;
        }
        let skip = recent.len().saturating_sub(count);
        Ok(recent.into_iter().skip(skip).map(|(_, message)| message).collect())
    }

    async fn chat_between(
        &self,
        show_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<ChatMessage>, RelayError> {
        // The stream's own time is when it stored a message, a little after `ts`.
        let mut taken = 0;
        let in_range = |message: &ChatMessage| {
            taken += usize::from(message.ts >= from);
            message.ts <= to && taken <= limit
        };
        let read = self.read_chat(show_id, by_start_time(from - CLOCK_SLACK), in_range).await?;
        Ok(read.into_iter().map(|(_, message)| message).filter(|message| message.ts >= from).collect())
    }

    async fn delete_chat(&self, show_id: &str, message_id: &str) -> Result<bool, RelayError> {
        let Some(minted) = minted_at(message_id) else {
            return Ok(false);
        };
        let until = minted + CLOCK_SLACK;
        let near = self.read_chat(show_id, by_start_time(minted - CLOCK_SLACK), |message| message.ts <= until).await?;
        let Some((sequence, _)) = near.into_iter().find(|(_, message)| message.id == message_id) else {
            return Ok(false);
        };
        let stream =
            self.js.get_stream(self.names.chat_stream()).await.map_err(|error| unavailable("delete chat", error))?;
        stream.delete_message(sequence).await.map_err(|error| unavailable("delete chat", error))?;
        self.publish(show_id, &RoomMessage::ChatDeleted { message_id: message_id.to_owned() }).await?;
        Ok(true)
    }
}

fn by_start_time(at: DateTime<Utc>) -> DeliverPolicy {
    let nanos = at.timestamp_nanos_opt().unwrap_or(0);
    let start_time =
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(nanos)).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    DeliverPolicy::ByStartTime { start_time }
}

fn unavailable(doing: &str, error: impl std::fmt::Display) -> RelayError {
    RelayError::Unavailable(format!("{doing}: {error}"))
}
