//! Channel commands: a creator's channel opens with their first show, and its
//! RTMP stream key can be regenerated (revoking the old one).

use cartcast_domain::channel::ChannelCommand;
use cartcast_infra::outcome::{Answer, StreamKeyRegenerated};
use cartcast_infra::store::{EventKey, StoreError};

use super::{Aggregates, Deciding, Decision};

impl Aggregates {
    /// Open `owner`'s channel if it is not open yet: the staged events, or
    /// the refusal that ends the command.
    pub(super) async fn open_channel(
        &mut self,
        at: &mut Deciding<'_>,
        owner: &str,
    ) -> Result<Result<Vec<EventKey>, Decision>, StoreError> {
        if self.channels.get(owner).await?.channel_id.is_some() {
            return Ok(Ok(vec![]));
        }
        let open = ChannelCommand::Open {
            channel_id: owner.to_owned(),
            owner: owner.to_owned(),
            stream_key: new_stream_key(),
        };
        Ok(self.channels.execute(owner, open, &at.meta, at.staged).await?.map_err(|e| Decision::refused(&e, vec![])))
    }

    pub(super) async fn regenerate_stream_key(&mut self, at: &mut Deciding<'_>) -> Result<Decision, StoreError> {
        let actor = at.envelope.actor.sub.clone();
        let command = ChannelCommand::RegenerateKey { actor: actor.clone(), stream_key: new_stream_key() };
        Ok(match self.channels.execute(&actor, command, &at.meta, at.staged).await? {
            Err(e) => Decision::refused(&e, vec![]),
            Ok(events) => {
                let stream_key = self.channels.get(&actor).await?.stream_key.clone();
                let regenerated = StreamKeyRegenerated { channel_id: actor, stream_key };
                Decision::answer(Answer::StreamKeyRegenerated(regenerated), events)
            }
        })
    }
}

/// 256 bits from the OS RNG, hex: the RTMP stream name that authenticates a publisher.
fn new_stream_key() -> String {
    format!("sk_{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}
