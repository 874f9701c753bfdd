//! One partition's command source: the durable pull consumer `worker-p<N>`
//! on `CMD`, read as a continuous prefetching stream so an idle partition
//! answers at once and a busy one fills whole batches.

use std::time::Duration;

use async_nats::header::HeaderMap;
use async_nats::jetstream::consumer::pull::{self, MessagesErrorKind};
use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, PullConsumer};
use async_nats::jetstream::context::Context;
use async_nats::jetstream::message::Acker;
use async_nats::jetstream::{self, AckKind};
use async_trait::async_trait;
use futures::{FutureExt, StreamExt};
use tokio::time::Instant;

use super::names::{BusNames, COMMAND_ID_HEADER, REPLY_TO_HEADER};
use super::unavailable;
use crate::bus::{BusError, CommandSource, Delivery, DeliveryHandle};
use crate::envelope::CommandEnvelope;
use crate::outcome::Outcome;

/// An unacknowledged command is redelivered after this long (its owner died).
const ACK_WAIT: Duration = Duration::from_secs(5);
/// Commands delivered but not yet settled; a flash sale's backlog fits.
const MAX_ACK_PENDING: i64 = 20_000;
/// Commands pulled ahead of the worker, so a batch is ready when it asks.
const PREFETCH: usize = 1_000;
/// The server proves an idle pull is alive this often.
const HEARTBEAT: Duration = Duration::from_secs(5);
/// Each pull request lasts this long before the stream renews it.
const PULL_EXPIRES: Duration = Duration::from_secs(30);

/// A partition owner's [`CommandSource`] on JetStream.
pub struct JetStreamSource {
    partition: u32,
    consumer: PullConsumer,
    /// Opened on the first `next_batch`, reopened after a terminal error.
    messages: Option<pull::Stream>,
    /// Publishes outcomes to their callers' reply subjects.
    client: async_nats::Client,
}

impl JetStreamSource {
    pub(super) async fn open(
        js: &Context,
        client: async_nats::Client,
        names: &BusNames,
        partition: u32,
    ) -> Result<Self, BusError> {
        let consumer = js
            .create_consumer_on_stream(
                pull::Config {
                    durable_name: Some(format!("worker-p{partition}")),
                    filter_subject: names.partition_filter(partition),
                    deliver_policy: DeliverPolicy::All,
                    ack_policy: AckPolicy::Explicit,
                    ack_wait: ACK_WAIT,
                    max_ack_pending: MAX_ACK_PENDING,
                    max_deliver: -1,
                    ..Default::default()
                },
                names.cmd_stream(),
            )
            .await
            .map_err(|err| unavailable("create partition consumer", err))?;
        Ok(Self { partition, consumer, messages: None, client })
    }

    async fn messages(&mut self) -> Result<&mut pull::Stream, BusError> {
        let messages = match self.messages.take() {
            Some(messages) => messages,
            None => self
                .consumer
                .stream()
                .max_messages_per_batch(PREFETCH)
                .heartbeat(HEARTBEAT)
                .expires(PULL_EXPIRES)
                .messages()
                .await
                .map_err(|err| unavailable("pull commands", err))?,
        };
        Ok(self.messages.insert(messages))
    }

    /// The delivery of a valid envelope; anything else is logged and
    /// terminated so it never blocks the partition.
    async fn delivery(&self, message: jetstream::Message) -> Option<Delivery> {
        let (message, acker) = message.split();
        match serde_json::from_slice::<CommandEnvelope>(&message.payload) {
            Ok(envelope) => {
                let reply_to = message
                    .headers
                    .as_ref()
                    .and_then(|headers| headers.get(REPLY_TO_HEADER))
                    .map(|value| value.as_str().to_owned());
                let handle =
                    JetStreamDelivery { command_id: envelope.command_id, reply_to, acker, client: self.client.clone() };
                Some(Delivery { envelope, handle: Box::new(handle) })
            }
            Err(err) => {
                tracing::error!(
                    partition = self.partition,
                    subject = %message.subject,
                    error = %err,
                    "command is not a valid envelope; terminated"
                );
                if let Err(err) = acker.ack_with(AckKind::Term).await {
                    tracing::warn!(partition = self.partition, error = %err, "could not terminate a bad command");
                }
                None
            }
        }
    }
}

#[async_trait]
impl CommandSource for JetStreamSource {
    async fn next_batch(&mut self, max: usize, wait: Duration) -> Result<Vec<Delivery>, BusError> {
        let deadline = Instant::now() + wait;
        let mut batch = Vec::new();
        while batch.len() < max {
            let messages = self.messages().await?;
            // Wait (until the deadline) for the first command only; after it,
            // take what is already here and return.
            let next = if batch.is_empty() {
                match tokio::time::timeout_at(deadline, messages.next()).await {
                    Ok(next) => next,
                    Err(_) => break,
                }
            } else {
                match messages.next().now_or_never() {
                    Some(next) => next,
                    None => break,
                }
            };
            let reason = match next {
                Some(Ok(message)) => {
                    batch.extend(self.delivery(message).await);
                    continue;
                }
                // The heartbeat clock also runs while the worker is busy
                // between batches, so one missed beat is not an outage.
                Some(Err(err)) if err.kind() == MessagesErrorKind::MissingHeartbeat => {
                    tracing::debug!(partition = self.partition, "missed a pull heartbeat");
                    continue;
                }
                Some(Err(err)) => err.to_string(),
                None => "the stream ended".to_owned(),
            };
            self.messages = None;
            if batch.is_empty() {
                return Err(BusError::Unavailable(format!("pull commands: {reason}")));
            }
            tracing::warn!(partition = self.partition, %reason, "command stream broke; reopening");
            break;
        }
        Ok(batch)
    }
}

/// How one pulled command is answered and acknowledged.
pub struct JetStreamDelivery {
    command_id: uuid::Uuid,
    /// The caller's outcome subject; absent when nobody waits.
    reply_to: Option<String>,
    acker: Acker,
    client: async_nats::Client,
}

#[async_trait]
impl DeliveryHandle for JetStreamDelivery {
    /// The answer goes out on core NATS (the connection flushes as soon as
    /// its write queue drains), then the ack; a lost answer is harmless,
    /// the caller's retry reads the record.
    async fn settle(self: Box<Self>, outcome: &Outcome) {
        if let Some(reply_to) = self.reply_to {
            let mut headers = HeaderMap::new();
            headers.insert(COMMAND_ID_HEADER, self.command_id.to_string().as_str());
            match serde_json::to_vec(outcome) {
                Ok(payload) => {
                    if let Err(err) = self.client.publish_with_headers(reply_to, headers, payload.into()).await {
                        tracing::warn!(command_id = %self.command_id, error = %err, "could not send an outcome");
                    }
                }
                Err(err) => tracing::error!(command_id = %self.command_id, error = %err, "could not encode an outcome"),
            }
        }
        if let Err(err) = self.acker.ack().await {
            tracing::warn!(command_id = %self.command_id, error = %err, "could not ack a command; it will be redelivered");
        }
    }

    async fn retry(self: Box<Self>) {
        if let Err(err) = self.acker.ack_with(AckKind::Nak(None)).await {
            tracing::warn!(command_id = %self.command_id, error = %err, "could not nak a command; it returns after ack_wait");
        }
    }
}
