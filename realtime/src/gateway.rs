//! The gateway: this process's rooms, one per show with a local socket, and
//! the seat each socket holds in one.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use cartcast_infra::bus::{CommandBus, LiveEvents};
use cartcast_infra::dashboard::Dashboard;
use cartcast_infra::outcome::{PollState, ProductAnswer};

use crate::chat::ChatRefusal;
use crate::moderation::ChatRules;
use crate::polls::{Cast, VoteRefusal};
use crate::relay::Relay;
use crate::room::{self, Greeting, Room, Viewer};

/// What a room starts from that only the read side knows.
#[async_trait]
pub trait RoomSeed: Send + Sync + 'static {
    /// Every reaction recorded in the show so far, per emoji.
    async fn reaction_totals(&self, show_id: &str) -> anyhow::Result<BTreeMap<String, u64>>;

    /// `channel`'s chat rules as they stand, with `show_id`'s slow mode and highlight.
    async fn chat_rules(&self, channel: &str, show_id: &str) -> anyhow::Result<ChatRules>;

    /// The show's products, the one pinned and its latest poll.
    async fn show_state(&self, show_id: &str) -> anyhow::Result<ShowState>;

    /// One product with its stock.
    async fn product(&self, product_id: &str) -> anyhow::Result<Option<ProductAnswer>>;

    /// Whether `user` follows `channel` (for followers-only chat).
    async fn follows(&self, user: &str, channel: &str) -> anyhow::Result<bool>;

    /// The show's creator dashboard, once the read side has the show.
    async fn dashboard(&self, show_id: &str) -> anyhow::Result<Option<Dashboard>>;
}

/// A show as a room starts from it.
#[derive(Debug, Clone, Default)]
pub struct ShowState {
    pub product_ids: Vec<String>,
    pub pinned: Option<ProductAnswer>,
    pub poll: Option<PollState>,
}

/// What a gateway reaches the rest of Cartcast through.
pub struct Upstream {
    /// Rooms across gateways, and where chat is stored.
    pub relay: Arc<dyn Relay>,
    /// Where audiences, reactions and votes are recorded.
    pub bus: Arc<dyn CommandBus>,
    /// The show's events as they are published: pins, stock, polls.
    pub live: Arc<dyn LiveEvents>,
    pub seed: Arc<dyn RoomSeed>,
}

/// What every room of this gateway shares.
pub(crate) struct Core {
    /// Tells this gateway's reports apart from the others'; random per process.
    pub(crate) id: String,
    pub(crate) relay: Arc<dyn Relay>,
    /// Where audiences, reactions and votes are recorded.
    pub(crate) bus: Arc<dyn CommandBus>,
    pub(crate) live: Arc<dyn LiveEvents>,
    pub(crate) seed: Arc<dyn RoomSeed>,
    pub(crate) command_timeout: Duration,
}

pub struct Gateway {
    core: Arc<Core>,
    rooms: Mutex<HashMap<String, Arc<Room>>>,
}

impl Gateway {
    pub fn new(upstream: Upstream, command_timeout: Duration) -> Arc<Self> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let Upstream { relay, bus, live, seed } = upstream;
        let core = Core { id, relay, bus, live, seed, command_timeout };
        Arc::new(Self { core: Arc::new(core), rooms: Mutex::default() })
    }

    /// The show's room across gateways: its chat store, for the HTTP routes.
    pub fn relay(&self) -> &Arc<dyn Relay> {
        &self.core.relay
    }

    /// The channel of `show_id` if this gateway has its room open: a join
    /// burst need not read the show once per socket.
    pub fn channel_of(&self, show_id: &str) -> Option<String> {
        let rooms = self.rooms.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        rooms.get(show_id).map(|room| room.channel.clone())
    }

    /// Seats a socket of `viewer` in `show_id`'s room (a show of `channel`,
    /// whose rules it follows), opening the room on this gateway if it is the
    /// first; then greets it.
    pub async fn join(self: &Arc<Self>, show_id: &str, channel: &str, viewer: Viewer) -> (Seat, Greeting) {
        let (room, socket) = {
            let mut rooms = self.rooms.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let room = rooms.entry(show_id.to_owned()).or_insert_with(|| {
                let room = Arc::new(Room::new(show_id, channel, self.core.clone()));
                tokio::spawn(room::run(room.clone(), self.clone()));
                room
            });
            // Seated under the rooms' lock, so a room never closes between being found and being sat in.
            let socket = room.sit(viewer.session.clone());
            (room.clone(), socket)
        };
        let greeting = room.greet(&viewer.session).await;
        (Seat { room, socket, viewer }, greeting)
    }

    /// Closes `room` if its last socket has gone; true when closed.
    pub(crate) fn close_if_empty(&self, room: &Room) -> bool {
        let mut rooms = self.rooms.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if !room.is_empty() {
            return false;
        }
        if rooms.get(&room.show_id).is_some_and(|open| std::ptr::eq(Arc::as_ptr(open), room)) {
            rooms.remove(&room.show_id);
        }
        true
    }
}

/// One socket's place in a show's room; leaves it when dropped.
pub struct Seat {
    room: Arc<Room>,
    socket: u64,
    viewer: Viewer,
}

impl Seat {
    /// Who the socket counts as.
    pub fn session(&self) -> &str {
        &self.viewer.session
    }

    /// The player reports playing (or paused, hidden).
    pub fn playing(&self, playing: bool) {
        self.room.playing(self.socket, playing);
    }

    /// Posts a chat message in the show's room.
    pub async fn post(&self, text: &str) -> Result<(), ChatRefusal> {
        self.room.post(&self.viewer, text).await
    }

    /// Counts one reaction in the show's room (the socket checked it and its budget).
    pub fn react(&self, emoji: &'static str) {
        self.room.react(emoji);
    }

    /// Whether the socket is the show's creator's (and gets its dashboard).
    pub fn is_creator(&self) -> bool {
        self.room.is_creator(&self.viewer.session)
    }

    /// Votes in the show's open poll.
    pub fn vote(&self, poll_id: &str, option: u32) -> Result<Cast, VoteRefusal> {
        self.room.vote(&self.viewer, poll_id, option)
    }
}

impl Drop for Seat {
    fn drop(&mut self) {
        self.room.leave(self.socket);
    }
}
