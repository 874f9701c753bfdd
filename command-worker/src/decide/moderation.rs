//! Moderation commands: a channel's owner, its moderators or an admin acts
//! in the channel's chat; the channel's moderation aggregate decides who may.

use cartcast_domain::Role;
use cartcast_domain::moderation::{ModerationAction, ModerationCommand};
use cartcast_infra::outcome::{Answer, Moderated};
use cartcast_infra::store::StoreError;

use super::{Aggregates, Deciding, Decision};

impl Aggregates {
    pub(super) async fn moderate(
        &mut self,
        at: &mut Deciding<'_>,
        channel_id: String,
        action: ModerationAction,
    ) -> Result<Decision, StoreError> {
        let actor = &at.envelope.actor;
        let creates = matches!(action, ModerationAction::Ban { .. } | ModerationAction::Highlight { .. });
        let command = ModerationCommand {
            channel: channel_id.clone(),
            actor: actor.sub.clone(),
            admin: actor.role == Role::Admin,
            action,
        };
        Ok(match self.moderation.execute(&channel_id, command, &at.meta, at.staged).await? {
            Err(e) => Decision::refused(&e, vec![]),
            Ok(events) => {
                let moderated = Moderated { channel_id, changed: !events.is_empty() };
                let answer = if creates { Answer::ModerationCreated(moderated) } else { Answer::Moderated(moderated) };
                Decision::answer(answer, events)
            }
        })
    }
}
