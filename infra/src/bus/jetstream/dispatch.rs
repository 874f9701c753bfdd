//! The caller's side of the command log: append a command to `CMD` and wait
//! for its outcome, which the partition owner publishes to this instance's
//! reply subject. A duplicate append (a retry within the de-duplication
//! window, whose first answer went to the first caller) is asked again under a
//! fresh message id: the partition owner finds the command's record,
//! republishes its events and answers this caller with the same outcome and
//! the events' feed positions.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_nats::header::{HeaderMap, NATS_MESSAGE_ID};
use async_trait::async_trait;
use futures::StreamExt;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use uuid::Uuid;

use super::names::{COMMAND_ID_HEADER, REPLY_TO_HEADER};
use super::{JetStreamBus, unavailable};
use crate::bus::{BusError, CommandBus};
use crate::envelope::CommandEnvelope;
use crate::outcome::Outcome;

/// Senders of the dispatches waiting per command id, each tagged by its [`Waiter`].
type WaitingByCommand = HashMap<Uuid, Vec<(u64, oneshot::Sender<Outcome>)>>;

/// Dispatches waiting for an outcome. Two dispatches of one command id on
/// this instance both wait, so each entry is a list, tagged for removal.
#[derive(Default)]
pub(super) struct Waiters {
    next_tag: AtomicU64,
    /// A std mutex: held only to insert or take, never across an await.
    by_command: Mutex<WaitingByCommand>,
}

impl Waiters {
    fn register(&self, command_id: Uuid) -> Waiter<'_> {
        let tag = self.next_tag.fetch_add(1, Ordering::Relaxed);
        let (sender, answer) = oneshot::channel();
        self.lock().entry(command_id).or_default().push((tag, sender));
        Waiter { waiters: self, command_id, tag, answer }
    }

    /// Hands `outcome` to everyone waiting for `command_id`; false if nobody was.
    fn deliver(&self, command_id: Uuid, outcome: &Outcome) -> bool {
        let Some(waiting) = self.lock().remove(&command_id) else {
            return false;
        };
        for (_, sender) in waiting {
            // A receiver gone means its dispatch just gave up; nothing to do.
            let _ = sender.send(outcome.clone());
        }
        true
    }

    fn lock(&self) -> MutexGuard<'_, WaitingByCommand> {
        self.by_command.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One dispatch's place in [`Waiters`]; leaving it (answer, timeout, error) removes it.
struct Waiter<'a> {
    waiters: &'a Waiters,
    command_id: Uuid,
    tag: u64,
    answer: oneshot::Receiver<Outcome>,
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        let mut by_command = self.waiters.lock();
        if let Some(waiting) = by_command.get_mut(&self.command_id) {
            waiting.retain(|(tag, _)| *tag != self.tag);
            if waiting.is_empty() {
                by_command.remove(&self.command_id);
            }
        }
    }
}

/// Routes every outcome arriving on this instance's subject to its waiters
/// until `stop` (the bus is dropped) or the subscription ends.
pub(super) fn spawn_router(mut subscriber: async_nats::Subscriber, waiters: Arc<Waiters>, stop: CancellationToken) {
    let span = tracing::info_span!("outcome_router");
    tokio::spawn(
        async move {
            loop {
                let message = tokio::select! {
                    () = stop.cancelled() => break,
                    message = subscriber.next() => message,
                };
                let Some(message) = message else {
                    tracing::warn!("outcome subscription ended; dispatches will time out");
                    break;
                };
                route(&waiters, &message);
            }
        }
        .instrument(span),
    );
}

fn route(waiters: &Waiters, message: &async_nats::Message) {
    let command_id = message
        .headers
        .as_ref()
        .and_then(|headers| headers.get(COMMAND_ID_HEADER))
        .and_then(|value| Uuid::parse_str(value.as_str()).ok());
    let Some(command_id) = command_id else {
        tracing::warn!(subject = %message.subject, "outcome without a command id; dropped");
        return;
    };
    match serde_json::from_slice::<Outcome>(&message.payload) {
        Ok(outcome) => {
            if !waiters.deliver(command_id, &outcome) {
                tracing::debug!(%command_id, "outcome arrived after its dispatch gave up");
            }
        }
        Err(err) => tracing::warn!(%command_id, error = %err, "outcome is not valid JSON; dropped"),
    }
}

#[async_trait]
impl CommandBus for JetStreamBus {
    async fn dispatch(&self, envelope: CommandEnvelope, timeout: Duration) -> Result<Outcome, BusError> {
        let command_id = envelope.command_id;
        let (kind, _) = envelope.command.route(&envelope.actor);
        let subject = self.names.command(kind, envelope.command.partition(&envelope.actor, self.partitions));
        let payload: bytes::Bytes =
            serde_json::to_vec(&envelope).map_err(|err| unavailable("encode command", err))?.into();

        // Registered before the append: the answer can beat the PubAck.
        let mut waiter = self.waiters.register(command_id);
        let answer = async {
            let appended = self.append(&subject, command_id.to_string(), payload.clone()).await?;
            if appended.duplicate {
                self.append(&subject, format!("{command_id}/again/{}", Uuid::new_v4()), payload).await?;
            }
            (&mut waiter.answer).await.map_err(|_| BusError::Closed)
        };
        tokio::time::timeout(timeout, answer).await.map_err(|_| BusError::Timeout(timeout))?
    }

    fn is_ready(&self) -> bool {
        self.client.connection_state() == async_nats::connection::State::Connected
    }
}

impl JetStreamBus {
    /// Append one command message under `msg_id`, answered on this instance's subject.
    async fn append(
        &self,
        subject: &str,
        msg_id: String,
        payload: bytes::Bytes,
    ) -> Result<async_nats::jetstream::publish::PublishAck, BusError> {
        let mut headers = HeaderMap::new();
        headers.insert(NATS_MESSAGE_ID, msg_id.as_str());
        headers.insert(REPLY_TO_HEADER, self.outcome_subject.as_str());
        self.js
            .publish_with_headers(subject.to_owned(), headers, payload)
            .await
            .map_err(|err| unavailable("append command", err))?
            .await
            .map_err(|err| unavailable("append command", err))
    }
}
