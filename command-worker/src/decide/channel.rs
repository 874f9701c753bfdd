//! Channel commands: a creator's channel opens with their first show or
//! profile, its RTMP stream key can be regenerated (revoking the old one),
//! and its profile set, which claims its handle and lets the old one go.

use cartcast_domain::channel::{ChannelCommand, Profile};
use cartcast_domain::handle::HandleCommand;
use cartcast_infra::outcome::{Answer, ChannelProfileSet, StreamKeyRegenerated};
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

impl Aggregates {
    /// Set the actor's channel profile: open the channel if need be, claim
    /// the new handle (refused when another channel holds it), set the
    /// profile, release the old handle. Nothing is staged for a refused profile
    /// but the channel's opening.
    pub(super) async fn set_channel_profile(
        &mut self,
        at: &mut Deciding<'_>,
        profile: Profile,
    ) -> Result<Decision, StoreError> {
        let owner = at.envelope.actor.sub.clone();
        let mut events = match self.open_channel(at, &owner).await? {
            Ok(events) => events,
            Err(refused) => return Ok(refused),
        };
        let profile = match profile.validated() {
            Ok(profile) => profile,
            Err(e) => return Ok(Decision::refused(&e, events)),
        };
        let old = self.channels.get(&owner).await?.profile.as_ref().map(|p| p.handle.clone());
        if old.as_ref() != Some(&profile.handle) {
            let claim = HandleCommand::Claim { channel_id: owner.clone() };
            match self.handles.execute(&profile.handle, claim, &at.meta, at.staged).await? {
                Ok(keys) => events.extend(keys),
                Err(e) => return Ok(Decision::refused(&e, events)),
            }
        }
        let set = ChannelCommand::SetProfile { actor: owner.clone(), profile: profile.clone() };
        match self.channels.execute(&owner, set, &at.meta, at.staged).await? {
            Ok(keys) => events.extend(keys),
            // Validated above and owned by the actor: not refused.
            Err(e) => return Ok(Decision::refused(&e, events)),
        }
        if let Some(old) = old.filter(|old| *old != profile.handle) {
            let release = HandleCommand::Release { channel_id: owner.clone() };
            if let Ok(keys) = self.handles.execute(&old, release, &at.meta, at.staged).await? {
                events.extend(keys);
            }
        }
        let set = ChannelProfileSet { channel_id: owner, profile };
        Ok(Decision::answer(Answer::ChannelProfileSet(set), events))
    }
}

/// 256 bits from the OS RNG, hex: the RTMP stream name that authenticates a publisher.
fn new_stream_key() -> String {
    format!("sk_{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}
