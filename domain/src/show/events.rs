//! What happened to a show. Its samples (audience counts, stream health)
//! are not here: they are [`crate::live_stats`] events, in a stream of their own.

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;

use super::Listing;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "PascalCase")]
pub enum ShowEvent {
    ShowScheduled {
        show_id: String,
        creator: String,
        title: String,
        scheduled_at: Option<DateTime<Utc>>,
        product_ids: Vec<String>,
        /// Absent from shows scheduled before listings existed: read as none.
        #[serde(flatten)]
        listing: Listing,
    },
    /// The creator changed the title or listing; the show's details as they now are.
    ShowDetailsChanged {
        title: String,
        #[serde(flatten)]
        listing: Listing,
    },
    ShowRescheduled {
        scheduled_at: DateTime<Utc>,
    },
    ShowCancelled,
    ProductsAttached {
        product_ids: Vec<String>,
    },
    ProductPinned {
        product_id: String,
        /// Marked by the creator as a drop: followers are told.
        #[serde(default)]
        drop: bool,
    },
    /// The creator took the pinned product off screen.
    ProductUnpinned {
        product_id: String,
    },
    /// The creator sent the show's audience to another live show.
    ShowRaided {
        target_show_id: String,
        target_channel: String,
        viewers: u64,
    },
    /// Another show's audience was sent here.
    RaidArrived {
        from_show_id: String,
        from_channel: String,
        viewers: u64,
    },
    /// Followers are reminded of the show, due at `scheduled_at`.
    ShowReminderDue {
        scheduled_at: DateTime<Utc>,
    },
    ShowWentLive {
        at: DateTime<Utc>,
    },
    ShowEnded {
        at: DateTime<Utc>,
    },
    ClipRequested {
        clip_id: String,
        requested_by: String,
        seconds: u32,
    },
    ClipReady {
        clip_id: String,
        url: String,
    },
    ClipFailed {
        clip_id: String,
        reason: String,
    },
}

impl DomainEvent for ShowEvent {
    fn event_type(&self) -> String {
        match self {
            ShowEvent::ShowScheduled { .. } => "ShowScheduled",
            ShowEvent::ShowDetailsChanged { .. } => "ShowDetailsChanged",
            ShowEvent::ShowRescheduled { .. } => "ShowRescheduled",
            ShowEvent::ShowCancelled => "ShowCancelled",
            ShowEvent::ProductsAttached { .. } => "ProductsAttached",
            ShowEvent::ProductPinned { .. } => "ProductPinned",
            ShowEvent::ProductUnpinned { .. } => "ProductUnpinned",
            ShowEvent::ShowReminderDue { .. } => "ShowReminderDue",
            ShowEvent::ShowRaided { .. } => "ShowRaided",
            ShowEvent::RaidArrived { .. } => "RaidArrived",
            ShowEvent::ShowWentLive { .. } => "ShowWentLive",
            ShowEvent::ShowEnded { .. } => "ShowEnded",
            ShowEvent::ClipRequested { .. } => "ClipRequested",
            ShowEvent::ClipReady { .. } => "ClipReady",
            ShowEvent::ClipFailed { .. } => "ClipFailed",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        crate::versions::current(&self.event_type()).to_string()
    }
}
