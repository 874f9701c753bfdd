//! The live-stats aggregate: one per show, keyed by the show's id. It
//! records a sample while the show can take it, and a count only when it
//! changed.

use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;

use super::{LiveStatsCommand, LiveStatsEvent};
use crate::show::{ShowError, ShowStatus};

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct LiveStats {
    /// The last audience count: (connected, watching).
    pub viewers: (u64, u64),
}

impl LiveStats {
    fn decide(&self, command: LiveStatsCommand) -> Result<Vec<LiveStatsEvent>, ShowError> {
        match command {
            LiveStatsCommand::ReportStreamHealth { show, health } => match show {
                ShowStatus::Live => Ok(vec![LiveStatsEvent::StreamHealthReported { health }]),
                ShowStatus::New => Err(ShowError::NotFound),
                ShowStatus::Scheduled => Err(ShowError::WrongStatus("scheduled")),
                ShowStatus::Ended => Err(ShowError::WrongStatus("ended")),
            },
            LiveStatsCommand::CountViewers { show, connected, watching } => {
                if show == ShowStatus::New {
                    return Err(ShowError::NotFound);
                }
                if watching > connected {
                    return Err(ShowError::Invalid { field: "watching", reason: "cannot pass connected" });
                }
                // Only a change is news; an ended show keeps its final count.
                let unchanged = self.viewers == (connected, watching);
                Ok(if unchanged || show == ShowStatus::Ended {
                    vec![]
                } else {
                    vec![LiveStatsEvent::ViewersCounted { connected, watching }]
                })
            }
        }
    }
}

impl Aggregate for LiveStats {
    const TYPE: &'static str = "LiveStats";
    type Command = LiveStatsCommand;
    type Event = LiveStatsEvent;
    /// A sample is refused for what it says about its show.
    type Error = ShowError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        let decided = self.decide(command);
        crate::record(self, sink, decided).await
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            LiveStatsEvent::ViewersCounted { connected, watching } => self.viewers = (connected, watching),
            LiveStatsEvent::StreamHealthReported { .. } => {}
        }
    }
}
