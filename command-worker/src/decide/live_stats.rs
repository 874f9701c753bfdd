//! A live show's samples: stream-health reports from the media worker,
//! audience counts and reaction windows from the live sockets, recorded in the show's live-stats
//! stream — decided against the show's status, read from the show.

use std::collections::BTreeMap;

use cartcast_domain::live_stats::{LiveStatsCommand, StreamHealth};
use cartcast_infra::outcome::{Answer, ShowAnswer, ViewersCounted};
use cartcast_infra::store::StoreError;

use super::{Aggregates, Deciding, Decision};

/// An audience sample as the recording gateway sends it.
pub(super) struct Sample {
    pub connected: u64,
    pub watching: u64,
    pub peak: u64,
    pub unique: u64,
}

impl Aggregates {
    pub(super) async fn report_stream_health(
        &mut self,
        at: &mut Deciding<'_>,
        show_id: String,
        health: StreamHealth,
    ) -> Result<Decision, StoreError> {
        let show = self.shows.get(&show_id).await?.status;
        let answer = Answer::StreamHealthReported(ShowAnswer { show_id: show_id.clone() });
        self.record_sample(at, &show_id, LiveStatsCommand::ReportStreamHealth { show, health }, answer).await
    }

    pub(super) async fn count_viewers(
        &mut self,
        at: &mut Deciding<'_>,
        show_id: String,
        connected: u64,
        watching: u64,
    ) -> Result<Decision, StoreError> {
        let show = self.shows.get(&show_id).await?.status;
        let answer = Answer::ViewersCounted(ViewersCounted { show_id: show_id.clone(), connected, watching });
        self.record_sample(at, &show_id, LiveStatsCommand::CountViewers { show, connected, watching }, answer).await
    }

    pub(super) async fn sample_audience(
        &mut self,
        at: &mut Deciding<'_>,
        show_id: String,
        sample: Sample,
    ) -> Result<Decision, StoreError> {
        let show = self.shows.get(&show_id).await?.status;
        let Sample { connected, watching, peak, unique } = sample;
        let command = LiveStatsCommand::SampleAudience { show, connected, watching, peak, unique };
        let answer = Answer::AudienceSampled(ShowAnswer { show_id: show_id.clone() });
        self.record_sample(at, &show_id, command, answer).await
    }

    pub(super) async fn count_reactions(
        &mut self,
        at: &mut Deciding<'_>,
        show_id: String,
        counts: BTreeMap<String, u64>,
    ) -> Result<Decision, StoreError> {
        let show = self.shows.get(&show_id).await?.status;
        let answer = Answer::ReactionsCounted(ShowAnswer { show_id: show_id.clone() });
        self.record_sample(at, &show_id, LiveStatsCommand::CountReactions { show, counts }, answer).await
    }

    pub(super) async fn count_chat(
        &mut self,
        at: &mut Deciding<'_>,
        show_id: String,
        messages: u64,
    ) -> Result<Decision, StoreError> {
        let show = self.shows.get(&show_id).await?.status;
        let answer = Answer::ChatCounted(ShowAnswer { show_id: show_id.clone() });
        self.record_sample(at, &show_id, LiveStatsCommand::CountChat { show, messages }, answer).await
    }

    async fn record_sample(
        &mut self,
        at: &mut Deciding<'_>,
        show_id: &str,
        command: LiveStatsCommand,
        answer: Answer,
    ) -> Result<Decision, StoreError> {
        Ok(Decision::taken(self.live_stats.execute(show_id, command, &at.meta, at.staged).await?, answer))
    }
}
