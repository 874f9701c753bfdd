//! The live-stats aggregate: one per show, keyed by the show's id. It
//! records a sample while the show can take it, an audience count only when
//! it changed, and every window of reactions and of chat messages (their
//! totals add up).

use std::collections::BTreeMap;

use cqrs_es::Aggregate;

use super::{LiveStatsCommand, LiveStatsEvent};
use crate::show::{ShowError, ShowStatus};

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct LiveStats {
    /// The last audience count: (connected, watching).
    pub viewers: (u64, u64),
    /// Every reaction counted so far, per emoji.
    pub reactions: BTreeMap<String, u64>,
    /// Every chat message counted so far.
    pub chat_messages: u64,
    /// The most watching at once, and the unique viewers, as sampled so far.
    pub peak: u64,
    pub unique: u64,
}

impl LiveStats {
    fn decide(&self, command: LiveStatsCommand) -> Result<Vec<LiveStatsEvent>, ShowError> {
        match command {
            LiveStatsCommand::ReportStreamHealth { show, health } => match show {
                ShowStatus::Live => Ok(vec![LiveStatsEvent::StreamHealthReported { health }]),
                ShowStatus::New => Err(ShowError::NotFound),
                other => Err(ShowError::WrongStatus(other.as_str())),
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
            LiveStatsCommand::SampleAudience { show, connected, watching, peak, unique } => {
                if show == ShowStatus::New {
                    return Err(ShowError::NotFound);
                }
                if watching > connected {
                    return Err(ShowError::Invalid { field: "watching", reason: "cannot pass connected" });
                }
                // A new leading gateway may know less than the stream: peaks and uniques never go down.
                let (peak, unique) = (peak.max(watching).max(self.peak), unique.max(self.unique));
                Ok(if show == ShowStatus::Ended {
                    vec![]
                } else {
                    vec![LiveStatsEvent::AudienceSampled { connected, watching, peak, unique }]
                })
            }
            LiveStatsCommand::CountReactions { show, mut counts } => {
                if show == ShowStatus::New {
                    return Err(ShowError::NotFound);
                }
                // Reactions are facts whatever the show's status; a window of none is no news.
                counts.retain(|_, count| *count > 0);
                Ok(if counts.is_empty() { vec![] } else { vec![LiveStatsEvent::ReactionsCounted { counts }] })
            }
            LiveStatsCommand::CountChat { show, messages } => {
                if show == ShowStatus::New {
                    return Err(ShowError::NotFound);
                }
                Ok(if messages == 0 { vec![] } else { vec![LiveStatsEvent::ChatCounted { messages }] })
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

    crate::handle_by_deciding!();

    fn apply(&mut self, event: Self::Event) {
        match event {
            LiveStatsEvent::ViewersCounted { connected, watching } => self.viewers = (connected, watching),
            LiveStatsEvent::AudienceSampled { peak, unique, .. } => {
                self.peak = peak;
                self.unique = unique;
            }
            LiveStatsEvent::ReactionsCounted { counts } => {
                for (emoji, count) in counts {
                    *self.reactions.entry(emoji).or_default() += count;
                }
            }
            LiveStatsEvent::ChatCounted { messages } => self.chat_messages += messages,
            LiveStatsEvent::StreamHealthReported { .. } => {}
        }
    }
}
