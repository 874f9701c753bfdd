//! The command envelope: what the API appends to the command log and a
//! partition's worker decides (its outcome is in [`crate::outcome`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use cartcast_domain::Role;
use cartcast_domain::channel::Profile;
use cartcast_domain::ids::{PollId, ReservationId};
use cartcast_domain::live_stats::StreamHealth;
use cartcast_domain::moderation::ModerationAction;
use cartcast_domain::poll::Ballot;
use cartcast_domain::show::Listing;

/// Who asked: the token's subject and role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub sub: String,
    pub role: Role,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CommandEnvelope {
    /// Derived from the caller's `Idempotency-Key` (scoped to the actor), else random.
    pub command_id: Uuid,
    pub actor: Actor,
    pub correlation_id: Uuid,
    pub received_at: DateTime<Utc>,
    pub command: AppCommand,
}

/// Namespace for command ids derived from idempotency keys.
const IDEMPOTENCY_NAMESPACE: Uuid = Uuid::from_u128(0x6361_7274_6361_7374_0000_0000_0000_0001);

impl CommandEnvelope {
    /// The command id for `key` sent by `actor`: two actors using the same key
    /// never collide, and the same actor's repeat always maps to the same id.
    pub fn command_id_for_key(actor: &Actor, key: &str) -> Uuid {
        Uuid::new_v5(&IDEMPOTENCY_NAMESPACE, format!("{}\u{0}{}", actor.sub, key).as_bytes())
    }

    /// A command Cartcast sends itself (the media worker, the live sockets'
    /// presence): `system` is its actor, an admin; `key`, when given, makes
    /// the id idempotent like a caller's `Idempotency-Key`.
    pub fn from_system(system: &str, key: Option<&str>, command: AppCommand) -> Self {
        let actor = Actor { sub: system.to_owned(), role: Role::Admin };
        let command_id = key.map_or_else(Uuid::now_v7, |key| Self::command_id_for_key(&actor, key));
        Self { command_id, actor, correlation_id: Uuid::now_v7(), received_at: Utc::now(), command }
    }

    /// A deterministic child id (order ids, internal commands) of this command.
    pub fn derived_id(&self, purpose: &str) -> Uuid {
        derived_id(self.command_id, purpose)
    }
}

/// The id of what command `command_id` creates for `purpose` ("product",
/// "order", …): a repeat of the command names the same thing.
pub fn derived_id(command_id: Uuid, purpose: &str) -> Uuid {
    Uuid::new_v5(&command_id, purpose.as_bytes())
}

/// Every command the outside world can send, already validated for shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AppCommand {
    CreateProduct {
        product_id: String,
        sku: String,
        title: String,
        price_minor: i64,
        currency: String,
        stock: u64,
    },
    AddStock {
        product_id: String,
        add: u64,
    },
    Reserve {
        product_id: String,
        quantity: u64,
    },
    Release {
        reservation_id: ReservationId,
    },
    Checkout {
        reservation_id: ReservationId,
        card: String,
    },
    CreateShow {
        show_id: String,
        title: String,
        scheduled_at: Option<DateTime<Utc>>,
        product_ids: Vec<String>,
        #[serde(default)]
        listing: Listing,
    },
    /// The creator changes a show's title, listing or (while scheduled) time;
    /// each `None` keeps what it is.
    EditShow {
        show_id: String,
        title: Option<String>,
        category: Option<String>,
        tags: Option<Vec<String>>,
        language: Option<String>,
        scheduled_at: Option<DateTime<Utc>>,
    },
    /// The creator calls off a show that has not gone live.
    CancelShow {
        show_id: String,
    },
    /// The creator adds products to a show (before it starts, or while live).
    AttachProducts {
        show_id: String,
        product_ids: Vec<String>,
    },
    PinProduct {
        show_id: String,
        product_id: String,
        /// A drop: the channel's followers are told.
        #[serde(default)]
        drop: bool,
    },
    /// The creator takes the pinned product off screen.
    UnpinProduct {
        show_id: String,
    },
    /// The creator sends the live show's audience to `target_show_id`, live
    /// on another channel; the channels are named as frames show them.
    Raid {
        show_id: String,
        target_show_id: String,
        target_channel: String,
        from_channel: String,
        viewers: u64,
    },
    /// From the reminder sweep: remind the show's followers of its start at `scheduled_at`.
    RemindFollowers {
        show_id: String,
        scheduled_at: DateTime<Utc>,
    },
    RegenerateStreamKey,
    /// The user follows a channel (an existing one; the API checked).
    Follow {
        channel_id: String,
    },
    Unfollow {
        channel_id: String,
    },
    /// The user has read their notifications up to id `up_to`.
    MarkNotificationsRead {
        up_to: u64,
    },
    /// The creator sets their channel's public profile, claiming its handle.
    SetChannelProfile {
        profile: Profile,
    },
    /// From the media worker: the show's first media arrived.
    GoLive {
        show_id: String,
    },
    /// From the media worker: the publisher left and did not come back.
    EndShow {
        show_id: String,
    },
    /// Cut the last `seconds` of a live show into an MP4.
    RequestClip {
        show_id: String,
        clip_id: String,
        seconds: u32,
    },
    /// From the media worker: the clip's URL, or why it could not be made.
    FinishClip {
        show_id: String,
        clip_id: String,
        outcome: Result<String, String>,
    },
    /// From the media worker: how the incoming stream fares.
    ReportStreamHealth {
        show_id: String,
        health: StreamHealth,
    },
    /// From the API's live sockets: the show's audience now.
    CountViewers {
        show_id: String,
        connected: u64,
        watching: u64,
    },
    /// A moderation action in `channel_id`'s chat (its owner, a moderator or an admin).
    Moderate {
        channel_id: String,
        action: ModerationAction,
    },
    /// From the gateway that records a show's audience: its ~10 s sample.
    SampleAudience {
        show_id: String,
        connected: u64,
        watching: u64,
        peak: u64,
        unique: u64,
    },
    /// From a gateway: the reactions it accepted over its last window, per emoji.
    CountReactions {
        show_id: String,
        counts: BTreeMap<String, u64>,
    },
    /// From a gateway: the chat messages it posted over its last window.
    CountChat {
        show_id: String,
        messages: u64,
    },
    /// The show's creator asks a question of its viewers.
    OpenPoll {
        show_id: String,
        question: String,
        options: Vec<String>,
        duration_s: Option<u32>,
        changeable: bool,
    },
    /// The show's creator closes a poll (its result is recorded).
    ClosePoll {
        poll_id: PollId,
    },
    /// From a gateway: the ballots its sockets cast over one window, in order.
    CountVotes {
        poll_id: PollId,
        ballots: Vec<Ballot>,
    },
}

/// Which aggregate family a command is ordered with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RouteKind {
    /// Products, their reservations and the orders placed from them.
    Product,
    Show,
    Channel,
    /// What one user does for themselves: their follows.
    User,
}

impl RouteKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RouteKind::Product => "product",
            RouteKind::Show => "show",
            RouteKind::Channel => "channel",
            RouteKind::User => "user",
        }
    }
}

impl AppCommand {
    /// The aggregate family and key that orders this command; all commands with
    /// the same key go to the same partition, hence the same single writer.
    pub fn route<'a>(&'a self, actor: &'a Actor) -> (RouteKind, &'a str) {
        match self {
            AppCommand::CreateProduct { product_id, .. }
            | AppCommand::AddStock { product_id, .. }
            | AppCommand::Reserve { product_id, .. } => (RouteKind::Product, product_id),
            AppCommand::Release { reservation_id } | AppCommand::Checkout { reservation_id, .. } => {
                (RouteKind::Product, reservation_id.product_id())
            }
            // A show's creation also opens the creator's channel, so shows are
            // ordered by their creator's channel.
            AppCommand::CreateShow { .. } | AppCommand::RegenerateStreamKey | AppCommand::SetChannelProfile { .. } => {
                (RouteKind::Channel, &actor.sub)
            }
            AppCommand::Moderate { channel_id, .. } => (RouteKind::Channel, channel_id),
            AppCommand::Follow { .. } | AppCommand::Unfollow { .. } | AppCommand::MarkNotificationsRead { .. } => {
                (RouteKind::User, &actor.sub)
            }
            AppCommand::PinProduct { show_id, .. }
            | AppCommand::UnpinProduct { show_id }
            | AppCommand::EditShow { show_id, .. }
            | AppCommand::RemindFollowers { show_id, .. }
            | AppCommand::Raid { show_id, .. }
            | AppCommand::CancelShow { show_id }
            | AppCommand::AttachProducts { show_id, .. }
            | AppCommand::GoLive { show_id }
            | AppCommand::EndShow { show_id }
            | AppCommand::CountViewers { show_id, .. }
            | AppCommand::CountReactions { show_id, .. }
            | AppCommand::CountChat { show_id, .. }
            | AppCommand::SampleAudience { show_id, .. }
            | AppCommand::ReportStreamHealth { show_id, .. }
            | AppCommand::RequestClip { show_id, .. }
            | AppCommand::FinishClip { show_id, .. }
            | AppCommand::OpenPoll { show_id, .. } => (RouteKind::Show, show_id),
            // A poll is decided with its show: the show says who may close it.
            AppCommand::ClosePoll { poll_id } | AppCommand::CountVotes { poll_id, .. } => {
                (RouteKind::Show, poll_id.show_id())
            }
        }
    }

    /// The partition (0..partitions) that owns this command.
    pub fn partition(&self, actor: &Actor, partitions: u32) -> u32 {
        let (kind, key) = self.route(actor);
        partition_of(kind, key, partitions)
    }

    /// A short name for logs and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            AppCommand::CreateProduct { .. } => "create_product",
            AppCommand::AddStock { .. } => "add_stock",
            AppCommand::Reserve { .. } => "reserve",
            AppCommand::Release { .. } => "release",
            AppCommand::Checkout { .. } => "checkout",
            AppCommand::CreateShow { .. } => "create_show",
            AppCommand::PinProduct { .. } => "pin_product",
            AppCommand::UnpinProduct { .. } => "unpin_product",
            AppCommand::EditShow { .. } => "edit_show",
            AppCommand::RemindFollowers { .. } => "remind_followers",
            AppCommand::Raid { .. } => "raid",
            AppCommand::CancelShow { .. } => "cancel_show",
            AppCommand::AttachProducts { .. } => "attach_products",
            AppCommand::RegenerateStreamKey => "regenerate_stream_key",
            AppCommand::SetChannelProfile { .. } => "set_channel_profile",
            AppCommand::Follow { .. } => "follow",
            AppCommand::Unfollow { .. } => "unfollow",
            AppCommand::MarkNotificationsRead { .. } => "mark_notifications_read",
            AppCommand::GoLive { .. } => "go_live",
            AppCommand::EndShow { .. } => "end_show",
            AppCommand::CountViewers { .. } => "count_viewers",
            AppCommand::CountReactions { .. } => "count_reactions",
            AppCommand::CountChat { .. } => "count_chat",
            AppCommand::SampleAudience { .. } => "sample_audience",
            AppCommand::Moderate { .. } => "moderate",
            AppCommand::ReportStreamHealth { .. } => "report_stream_health",
            AppCommand::RequestClip { .. } => "request_clip",
            AppCommand::FinishClip { .. } => "finish_clip",
            AppCommand::OpenPoll { .. } => "open_poll",
            AppCommand::ClosePoll { .. } => "close_poll",
            AppCommand::CountVotes { .. } => "count_votes",
        }
    }
}

/// Stable FNV-1a hash of `kind/key`, so every process agrees on ownership.
pub fn partition_of(kind: RouteKind, key: &str, partitions: u32) -> u32 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in kind.as_str().bytes().chain([b'/']).chain(key.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    (hash % u64::from(partitions.max(1))) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn viewer(sub: &str) -> Actor {
        Actor { sub: sub.to_owned(), role: Role::Viewer }
    }

    #[test]
    fn the_same_key_from_two_actors_gives_two_command_ids() {
        let a = CommandEnvelope::command_id_for_key(&viewer("ann"), "k1");
        let b = CommandEnvelope::command_id_for_key(&viewer("bob"), "k1");
        assert_ne!(a, b);
        assert_eq!(a, CommandEnvelope::command_id_for_key(&viewer("ann"), "k1"));
    }

    #[test]
    fn a_reservation_is_ordered_with_its_product() {
        let actor = viewer("ann");
        let reserve = AppCommand::Reserve { product_id: "p1".into(), quantity: 1 };
        let release = AppCommand::Release { reservation_id: ReservationId::new("p1", 7) };
        assert_eq!(reserve.partition(&actor, 16), release.partition(&actor, 16));
    }
}
