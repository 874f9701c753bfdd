//! What the media worker and the live sockets report about a show. The
//! worker passes the show's status in, as it reads it from the show.

use std::collections::BTreeMap;

use super::StreamHealth;
use crate::show::ShowStatus;

#[derive(Debug, Clone, PartialEq)]
pub enum LiveStatsCommand {
    /// The media worker's periodic measure of the incoming stream.
    ReportStreamHealth { show: ShowStatus, health: StreamHealth },
    /// The live audience as the interaction path counts it.
    CountViewers { show: ShowStatus, connected: u64, watching: u64 },
    /// The audience every ~10 s for dashboards: now, the peak the gateways
    /// saw, and about how many distinct sessions watched.
    SampleAudience { show: ShowStatus, connected: u64, watching: u64, peak: u64, unique: u64 },
    /// Reactions one gateway accepted over its last window, per emoji.
    CountReactions { show: ShowStatus, counts: BTreeMap<String, u64> },
    /// Chat messages one gateway posted over its last window.
    CountChat { show: ShowStatus, messages: u64 },
}
