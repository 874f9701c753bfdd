//! A user's own commands: follow or unfollow a channel (counted once), and
//! mark their notifications read.

use cartcast_domain::follow::FollowsCommand;
use cartcast_infra::outcome::{Answer, FollowChanged, NotificationsRead};
use cartcast_infra::store::StoreError;

use super::{Aggregates, Deciding, Decision};

impl Aggregates {
    pub(super) async fn follow(
        &mut self,
        at: &mut Deciding<'_>,
        channel_id: String,
        following: bool,
    ) -> Result<Decision, StoreError> {
        let user = at.envelope.actor.sub.clone();
        let command = if following {
            FollowsCommand::Follow { user: user.clone(), channel_id: channel_id.clone() }
        } else {
            FollowsCommand::Unfollow { user: user.clone(), channel_id: channel_id.clone() }
        };
        let executed = self.follows.execute(&user, command, &at.meta, at.staged).await?;
        Ok(Decision::taken(executed, Answer::FollowChanged(FollowChanged { channel_id, following })))
    }

    pub(super) async fn mark_read(&mut self, at: &mut Deciding<'_>, up_to: u64) -> Result<Decision, StoreError> {
        let user = at.envelope.actor.sub.clone();
        let command = FollowsCommand::MarkRead { user: user.clone(), up_to };
        let executed = self.follows.execute(&user, command, &at.meta, at.staged).await?;
        Ok(Decision::taken(executed, Answer::NotificationsRead(NotificationsRead { up_to })))
    }
}
