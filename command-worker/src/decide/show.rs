//! Show commands: schedule a show (opening the creator's channel on the
//! first), edit, cancel or add products to it, pin a product, go live and
//! end (from the media worker), and clips.

use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;

use cartcast_domain::show::{Listing, Show, ShowCommand, ShowError, ShowStatus};
use cartcast_infra::outcome::{
    Answer, ClipFinished, ClipRequested, ProductPinned, ProductUnpinned, Raided, ShowAnswer, ShowScheduled,
    ShowStatusChanged,
};
use cartcast_infra::store::StoreError;

use super::{Aggregates, Deciding, Decision};

impl Aggregates {
    pub(super) async fn create_show(
        &mut self,
        at: &mut Deciding<'_>,
        show_id: String,
        title: String,
        scheduled_at: Option<DateTime<Utc>>,
        product_ids: Vec<String>,
        listing: Listing,
    ) -> Result<Decision, StoreError> {
        let creator = at.envelope.actor.sub.clone();
        let mut events = match self.open_channel(at, &creator).await? {
            Ok(events) => events,
            Err(refused) => return Ok(refused),
        };
        let schedule = ShowCommand::Schedule {
            show_id: show_id.clone(),
            creator: creator.clone(),
            title: title.clone(),
            scheduled_at,
            product_ids,
            listing,
            now: at.envelope.received_at,
        };
        Ok(match self.shows.execute(&show_id, schedule, &at.meta, at.staged).await? {
            // The channel opening (if any) is staged; it stands on its own.
            Err(e) => Decision::refused(&e, events),
            Ok(keys) => {
                events.extend(keys);
                let stream_key = self.channels.get(&creator).await?.stream_key.clone();
                let scheduled = ShowScheduled { show_id, title, status: "scheduled".to_owned(), stream_key };
                Decision::answer(Answer::ShowScheduled(scheduled), events)
            }
        })
    }

    /// The creator's edit of a show: its details and, while scheduled, its time.
    pub(super) async fn edit_show(
        &mut self,
        at: &mut Deciding<'_>,
        show_id: String,
        edit: ShowCommand,
    ) -> Result<Decision, StoreError> {
        let answer = Answer::ShowUpdated(ShowAnswer { show_id: show_id.clone() });
        self.show_command(at, &show_id, edit, answer).await
    }

    /// The reminder sweep's: followers hear of the show once per schedule.
    pub(super) async fn remind_followers(
        &mut self,
        at: &mut Deciding<'_>,
        show_id: String,
        scheduled_at: DateTime<Utc>,
    ) -> Result<Decision, StoreError> {
        let answer = Answer::ShowUpdated(ShowAnswer { show_id: show_id.clone() });
        self.show_command(at, &show_id, ShowCommand::Remind { scheduled_at }, answer).await
    }

    /// A raid: the source show records where its audience went and the
    /// target that it arrived, in one commit (the target, another partition's
    /// show, is version-checked at the commit like any aggregate).
    pub(super) async fn raid(
        &mut self,
        at: &mut Deciding<'_>,
        show_id: String,
        target: Raid,
    ) -> Result<Decision, StoreError> {
        // The target is another partition's show: read it as committed now,
        // unless this batch already staged events of it (a second raid into it).
        let staged = at.staged.iter().any(|e| e.aggregate_type == Show::TYPE && e.aggregate_id == target.show_id);
        if !staged {
            self.shows.forget(&target.show_id);
        }
        if self.shows.get(&target.show_id).await?.status != ShowStatus::Live {
            return Ok(Decision::refused(&ShowError::TargetNotLive, vec![]));
        }
        let actor = at.envelope.actor.sub.clone();
        let out = ShowCommand::Raid {
            actor,
            target_show_id: target.show_id.clone(),
            target_channel: target.channel,
            viewers: target.viewers,
        };
        let mut events = match self.shows.execute(&show_id, out, &at.meta, at.staged).await? {
            Ok(events) => events,
            Err(e) => return Ok(Decision::refused(&e, vec![])),
        };
        let arrive = ShowCommand::ReceiveRaid {
            from_show_id: show_id.clone(),
            from_channel: target.from_channel,
            viewers: target.viewers,
        };
        match self.shows.execute(&target.show_id, arrive, &at.meta, at.staged).await? {
            Ok(keys) => events.extend(keys),
            // Live a moment ago in the same hot state: not refused.
            Err(e) => return Ok(Decision::refused(&e, events)),
        }
        let answer = Answer::Raided(Raided { show_id, target_show_id: target.show_id, viewers: target.viewers });
        Ok(Decision::answer(answer, events))
    }

    pub(super) async fn cancel_show(&mut self, at: &mut Deciding<'_>, show_id: String) -> Result<Decision, StoreError> {
        let command = ShowCommand::Cancel { actor: at.envelope.actor.sub.clone() };
        let answer = Answer::Cancelled(ShowStatusChanged { show_id: show_id.clone(), status: "cancelled".to_owned() });
        self.show_command(at, &show_id, command, answer).await
    }

    pub(super) async fn attach_products(
        &mut self,
        at: &mut Deciding<'_>,
        show_id: String,
        product_ids: Vec<String>,
    ) -> Result<Decision, StoreError> {
        let command = ShowCommand::AttachProducts { actor: at.envelope.actor.sub.clone(), product_ids };
        let answer = Answer::ShowUpdated(ShowAnswer { show_id: show_id.clone() });
        self.show_command(at, &show_id, command, answer).await
    }

    pub(super) async fn pin(
        &mut self,
        at: &mut Deciding<'_>,
        show_id: String,
        product_id: String,
        drop: bool,
    ) -> Result<Decision, StoreError> {
        let command = ShowCommand::Pin { actor: at.envelope.actor.sub.clone(), product_id: product_id.clone(), drop };
        let answer = Answer::ProductPinned(ProductPinned { show_id: show_id.clone(), pinned_product_id: product_id });
        self.show_command(at, &show_id, command, answer).await
    }

    pub(super) async fn unpin(&mut self, at: &mut Deciding<'_>, show_id: String) -> Result<Decision, StoreError> {
        let unpinned_product_id = self.shows.get(&show_id).await?.pinned.clone();
        let command = ShowCommand::Unpin { actor: at.envelope.actor.sub.clone() };
        let answer = Answer::ProductUnpinned(ProductUnpinned { show_id: show_id.clone(), unpinned_product_id });
        self.show_command(at, &show_id, command, answer).await
    }

    pub(super) async fn go_live(&mut self, at: &mut Deciding<'_>, show_id: String) -> Result<Decision, StoreError> {
        let command = ShowCommand::GoLive { at: at.envelope.received_at };
        let answer = Answer::WentLive(ShowStatusChanged { show_id: show_id.clone(), status: "live".to_owned() });
        self.show_command(at, &show_id, command, answer).await
    }

    pub(super) async fn end_show(&mut self, at: &mut Deciding<'_>, show_id: String) -> Result<Decision, StoreError> {
        let command = ShowCommand::End { at: at.envelope.received_at };
        let answer = Answer::Ended(ShowStatusChanged { show_id: show_id.clone(), status: "ended".to_owned() });
        let mut ended = self.show_command(at, &show_id, command, answer).await?;
        if let Decision::Done { outcome, events } = &mut ended
            && outcome.is_answer()
            && !events.is_empty()
        {
            events.extend(self.close_polls_with_show(at, &show_id).await?);
        }
        Ok(ended)
    }

    pub(super) async fn request_clip(
        &mut self,
        at: &mut Deciding<'_>,
        show_id: String,
        clip_id: String,
        seconds: u32,
    ) -> Result<Decision, StoreError> {
        let command =
            ShowCommand::RequestClip { clip_id: clip_id.clone(), actor: at.envelope.actor.sub.clone(), seconds };
        let answer = Answer::ClipRequested(ClipRequested {
            clip_id,
            show_id: show_id.clone(),
            seconds,
            status: "processing".to_owned(),
        });
        self.show_command(at, &show_id, command, answer).await
    }

    pub(super) async fn finish_clip(
        &mut self,
        at: &mut Deciding<'_>,
        show_id: String,
        clip_id: String,
        outcome: Result<String, String>,
    ) -> Result<Decision, StoreError> {
        let answer = Answer::ClipFinished(ClipFinished { clip_id: clip_id.clone() });
        self.show_command(at, &show_id, ShowCommand::FinishClip { clip_id, outcome }, answer).await
    }

    /// A show command whose answer does not depend on the show after it:
    /// `answer` when decided, the show's refusal when not.
    async fn show_command(
        &mut self,
        at: &mut Deciding<'_>,
        show_id: &str,
        command: ShowCommand,
        answer: Answer,
    ) -> Result<Decision, StoreError> {
        Ok(Decision::taken(self.shows.execute(show_id, command, &at.meta, at.staged).await?, answer))
    }
}

/// Where a raid sends its audience, and how its frames name the channels.
pub(super) struct Raid {
    pub show_id: String,
    pub channel: String,
    pub from_channel: String,
    pub viewers: u64,
}
