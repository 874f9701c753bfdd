//! What can be asked of a show. Times are passed in by the worker.

use chrono::{DateTime, Utc};

use super::Listing;

#[derive(Debug, Clone, PartialEq)]
pub enum ShowCommand {
    Schedule {
        show_id: String,
        creator: String,
        title: String,
        scheduled_at: Option<DateTime<Utc>>,
        product_ids: Vec<String>,
        listing: Listing,
        /// When the command was received: a schedule must be after it.
        now: DateTime<Utc>,
    },
    /// Change what browsing shows of the show, or move a scheduled show to
    /// another time; each `None` keeps the current value.
    Edit {
        actor: String,
        title: Option<String>,
        category: Option<String>,
        tags: Option<Vec<String>>,
        language: Option<String>,
        scheduled_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    },
    /// Call off a show that has not gone live.
    Cancel {
        actor: String,
    },
    AttachProducts {
        actor: String,
        product_ids: Vec<String>,
    },
    Pin {
        actor: String,
        product_id: String,
        /// A drop: followers are told it is on screen.
        drop: bool,
    },
    /// Take the pinned product off screen (nothing pinned: nothing happens).
    Unpin {
        actor: String,
    },
    /// Send the show's audience to another live show (`target_channel` is how
    /// frames name its channel: its handle, else its id).
    Raid {
        actor: String,
        target_show_id: String,
        target_channel: String,
        viewers: u64,
    },
    /// Another show's audience arrives (the raid's other half, decided in the same batch).
    ReceiveRaid {
        from_show_id: String,
        from_channel: String,
        viewers: u64,
    },
    /// Remind followers of the show due at `scheduled_at` (once per schedule).
    Remind {
        scheduled_at: DateTime<Utc>,
    },
    GoLive {
        at: DateTime<Utc>,
    },
    End {
        at: DateTime<Utc>,
    },
    /// Cut the last `seconds` of the live stream into an MP4.
    RequestClip {
        clip_id: String,
        actor: String,
        seconds: u32,
    },
    /// The media worker made the clip (`Ok(url)`) or could not (`Err(reason)`).
    FinishClip {
        clip_id: String,
        outcome: Result<String, String>,
    },
}
