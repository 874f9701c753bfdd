//! The event feed on the `EVENTS` stream: the stream sequence is the feed
//! position, `Nats-Msg-Id = <aggregate>:<id>:<sequence>` makes a republish
//! (after a crash) answer with the first publish's sequence.

use std::sync::Arc;

use async_nats::jetstream::consumer::{DeliverPolicy, pull};
use async_nats::jetstream::context::Publish;
use async_trait::async_trait;
use futures::StreamExt;
use futures::stream::BoxStream;

use super::{JetStreamBus, unavailable};
use crate::bus::{BusError, EventFeed, FeedEvent, LiveEvents};
use crate::store::StoredEvent;

#[async_trait]
impl EventFeed for JetStreamBus {
    /// Sends every publish before awaiting any PubAck, so a batch costs one
    /// round trip, not one per event.
    async fn publish(&self, events: &[StoredEvent], _store_positions: &[u64]) -> Result<Vec<u64>, BusError> {
        let mut acks = Vec::with_capacity(events.len());
        for event in events {
            let payload = serde_json::to_vec(event).map_err(|err| unavailable("encode event", err))?;
            let publish = Publish::build().payload(payload.into()).message_id(event.msg_id());
            let subject = self.names.event(&event.aggregate_type, &event.aggregate_id);
            let ack = self.js.send_publish(subject, publish).await.map_err(|err| unavailable("publish event", err))?;
            acks.push(ack);
        }
        let mut positions = Vec::with_capacity(acks.len());
        for ack in acks {
            positions.push(ack.await.map_err(|err| unavailable("publish event", err))?.sequence);
        }
        Ok(positions)
    }

    /// An ordered consumer (ephemeral, recreated by the client on a gap)
    /// from stream sequence `after + 1`.
    async fn subscribe(&self, after: u64) -> Result<BoxStream<'static, Result<FeedEvent, BusError>>, BusError> {
        let deliver_policy = match after {
            0 => DeliverPolicy::All,
            _ => DeliverPolicy::ByStartSequence { start_sequence: after + 1 },
        };
        let consumer = self
            .js
            .create_consumer_on_stream(
                pull::OrderedConfig { deliver_policy, ..Default::default() },
                self.names.events_stream(),
            )
            .await
            .map_err(|err| unavailable("subscribe to events", err))?;
        let messages = consumer.messages().await.map_err(|err| unavailable("subscribe to events", err))?;
        Ok(messages.map(feed_event).boxed())
    }
}

fn feed_event(message: Result<async_nats::jetstream::Message, pull::OrderedError>) -> Result<FeedEvent, BusError> {
    let message = message.map_err(|err| unavailable("read events", err))?;
    let position = message.info().map_err(|err| unavailable("read events", err))?.stream_sequence;
    let event = serde_json::from_slice::<StoredEvent>(&message.payload)
        .map_err(|err| BusError::Unavailable(format!("feed position {position} is not a stored event: {err}")))?
        .upcast()
        .map_err(|err| BusError::Unavailable(format!("feed position {position}: {err}")))?;
    Ok(FeedEvent { position, event: Arc::new(event) })
}

/// One core NATS subscription per followed aggregate, on the subject its
/// events are published to: no consumer, nothing stored for the follower.
#[async_trait]
impl LiveEvents for JetStreamBus {
    async fn follow(&self, aggregates: &[(&str, &str)]) -> Result<BoxStream<'static, StoredEvent>, BusError> {
        let mut followed = Vec::with_capacity(aggregates.len());
        for (kind, id) in aggregates {
            let subject = self.names.event(kind, id);
            let subscriber = self.client.subscribe(subject).await.map_err(|err| unavailable("follow events", err))?;
            let events = subscriber.filter_map(|message| async move {
                let event = serde_json::from_slice::<StoredEvent>(&message.payload)
                    .inspect_err(|error| tracing::warn!(%error, subject = %message.subject, "not a stored event"))
                    .ok()?;
                event
                    .upcast()
                    .inspect_err(
                        |error| tracing::warn!(%error, subject = %message.subject, "an event this build cannot read"),
                    )
                    .ok()
            });
            followed.push(events.boxed());
        }
        Ok(futures::stream::select_all(followed).boxed())
    }
}
