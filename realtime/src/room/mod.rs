//! One show's room on this gateway: one subscription to the show's relay,
//! fanned out to every local socket. News is gathered for a window
//! ([`WINDOW`]) and sent as one batch of ready-made frames through a
//! bounded ring ([`BACKLOG`] batches) that every socket reads at its own
//! pace; a socket a whole ring behind is too slow and is closed. Under a
//! chat flood the live fan-out samples ordinary messages (every one is
//! stored); creator and moderator messages always go out. The room also
//! follows the show's events as they are published — its pin, its
//! products' stock, its polls — and sends the votes of its sockets as one
//! command a window. While the show's creator has a socket in the room, the
//! room reads the show's dashboard every report and sends it to the
//! creator's sockets alone when it changed.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::ws::Utf8Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use tokio::sync::{broadcast, watch};
use tokio::time::{Instant, MissedTickBehavior};

use cartcast_infra::dashboard::Dashboard;

use crate::chat::{self, ChatMessage, ChatRefusal, Pacer};
use crate::frames::ServerFrame;
use crate::gateway::{Core, Gateway};
use crate::moderation::ChatRules;
use crate::polls::{Cast, VoteRefusal, Votes};
use crate::presence::{Audience, REPORT_EVERY, Reports, Seats};
use crate::products::Shelf;
use crate::reactions::Tally;
use crate::relay::RoomMessage;
use crate::uniques::Uniques;
use periodic::{record_chat, record_reactions, refresh_dashboard, refresh_rules, report_audience};

mod feed;
mod periodic;
mod votes;

/// How long news gathers before it goes out as one batch.
pub const WINDOW: Duration = Duration::from_millis(100);
/// How many batches a socket may fall behind (~25 s) before it is closed as too slow.
pub const BACKLOG: usize = 256;
/// How many recent messages a socket gets when it connects.
pub const HISTORY: usize = 50;
/// Ordinary chat messages per window in the live fan-out; more are sampled down to this.
pub const CHAT_PER_WINDOW: usize = 30;
/// The leading gateway records an audience sample every this many reports (~10 s).
pub const SAMPLE_EVERY: u64 = 5;

/// One window's frames, serialized once for every socket.
#[derive(Debug)]
pub struct Batch {
    pub frames: Vec<Utf8Bytes>,
    /// For the show's creator's sockets alone (their dashboard).
    pub creator_frames: Vec<Utf8Bytes>,
    /// Sessions banned since the last batch: their sockets close (4403).
    pub banned: Vec<String>,
}

/// Who holds a socket, as far as the room is concerned.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// Counts once however many sockets carry it: the token's subject.
    pub session: Arc<str>,
    /// False for anonymous sessions: they watch and are counted, and do not post.
    pub may_post: bool,
    pub badge: Option<chat::Badge>,
}

pub(crate) struct Room {
    pub(crate) show_id: String,
    /// The show's channel (its creator's id), whose chat rules apply.
    pub(crate) channel: String,
    core: Arc<Core>,
    state: Mutex<RoomState>,
    batches: broadcast::Sender<Arc<Batch>>,
    /// True once the room hears its relay and holds the recent history.
    ready: watch::Sender<bool>,
    /// A room leads only after hearing the others for one report interval.
    opened: Instant,
    next_socket: AtomicU64,
}

#[derive(Default)]
struct RoomState {
    seats: Seats,
    /// The other gateways' audiences of the show.
    reports: Reports,
    /// The last [`HISTORY`] messages sent out, oldest first.
    recent: VecDeque<ChatMessage>,
    /// Heard since the last batch.
    pending_chat: Vec<ChatMessage>,
    pending_deleted: Vec<String>,
    /// The audience the sockets were last told.
    shown: Audience,
    pacer: Pacer,
    tally: Tally,
    /// Chat messages posted through this gateway, not yet recorded as an event.
    chat_unrecorded: u64,
    rules: ChatRules,
    pending_highlight: Option<ChatMessage>,
    pending_banned: Vec<String>,
    /// Every session seen in the show, here and (merged) on the other gateways.
    uniques: Uniques,
    /// The most watching at once since the room opened.
    peak: u64,
    /// Reports sent; every [`SAMPLE_EVERY`]-th is also a sample, when leading.
    reports_sent: u64,
    votes: Votes,
    shelf: Shelf,
    /// Heard on the show's feed for every socket: raids out and in.
    announcements: Vec<ServerFrame>,
    /// Sessions known to follow the channel (for followers-only chat).
    followers: HashSet<String>,
    /// The show's dashboard as last read for its creator's sockets.
    dashboard: Option<Dashboard>,
    /// It changed since they were sent it: it goes with the next batch.
    pending_dashboard: bool,
}

impl RoomState {
    /// The show's audience as gateway `me` counts it.
    fn audience(&self, me: &str) -> Audience {
        self.seats.audience(me) + self.reports.total()
    }
}

/// What a socket gets when it takes its seat: the frames to start with, and
/// every batch after them.
pub struct Greeting {
    pub frames: Vec<ServerFrame>,
    pub batches: broadcast::Receiver<Arc<Batch>>,
    /// The session is banned from the channel's chat: close the socket (4403).
    pub banned: bool,
}

impl Room {
    pub(crate) fn new(show_id: &str, channel: &str, core: Arc<Core>) -> Self {
        Self {
            show_id: show_id.to_owned(),
            channel: channel.to_owned(),
            core,
            state: Mutex::default(),
            batches: broadcast::channel(BACKLOG).0,
            ready: watch::channel(false).0,
            opened: Instant::now(),
            next_socket: AtomicU64::new(0),
        }
    }

    fn state(&self) -> MutexGuard<'_, RoomState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Seats a new socket of `session`; returns its id.
    pub(crate) fn sit(&self, session: Arc<str>) -> u64 {
        let socket = self.next_socket.fetch_add(1, Ordering::Relaxed);
        let mut state = self.state();
        state.uniques.insert(&session);
        state.seats.sit(socket, session);
        socket
    }

    pub(crate) fn leave(&self, socket: u64) {
        self.state().seats.leave(socket);
    }

    pub(crate) fn playing(&self, socket: u64, playing: bool) {
        self.state().seats.playing(socket, playing);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.state().seats.is_empty()
    }

    /// Once the room is ready (or has waited long enough for its relay):
    /// recent history and the audience now, and every batch from here on.
    pub(crate) async fn greet(&self, session: &str) -> Greeting {
        let mut ready = self.ready.subscribe();
        if tokio::time::timeout(self.core.command_timeout, ready.wait_for(|ready| *ready)).await.is_err() {
            tracing::warn!(show_id = %self.show_id, "greeting a socket before the room hears its relay");
        }
        let state = self.state();
        let audience = state.audience(&self.core.id);
        let mut frames = vec![
            ServerFrame::Chat { messages: state.recent.iter().cloned().collect() },
            ServerFrame::Viewers { connected: audience.connected, watching: audience.watching },
            ServerFrame::Reactions { totals: state.tally.totals().clone() },
        ];
        frames.extend(state.rules.highlight.clone().map(|message| ServerFrame::Highlight { message }));
        frames.extend(state.shelf.pinned.clone().map(|product| ServerFrame::Pinned { product }));
        let open_poll = state.votes.poll.clone().filter(|poll| poll.open);
        frames.extend(open_poll.map(|poll| ServerFrame::Poll { poll }));
        if self.is_creator(session) {
            frames.extend(
                state.dashboard.clone().map(|dashboard| ServerFrame::Dashboard { dashboard: Box::new(dashboard) }),
            );
        }
        let banned = state.rules.is_banned(session);
        // Subscribed under the same lock a batch is sent under: nothing between the greeting and the first batch.
        Greeting { frames, batches: self.batches.subscribe(), banned }
    }

    /// Whether `session` is the show's creator's.
    pub(crate) fn is_creator(&self, session: &str) -> bool {
        session == self.channel
    }

    /// Posts `text` as `viewer`, once it passes the chat's rules.
    pub(crate) async fn post(&self, viewer: &Viewer, text: &str) -> Result<(), ChatRefusal> {
        if !viewer.may_post {
            return Err(ChatRefusal::SignInRequired);
        }
        let (badge, followers_only) = {
            let state = self.state();
            (viewer.badge.or_else(|| state.rules.badge(&viewer.session)), state.rules.followers_only)
        };
        if followers_only && badge.is_none() && !self.follows(&viewer.session).await? {
            return Err(ChatRefusal::FollowersOnly);
        }
        let now = chrono::Utc::now();
        let message = {
            let mut state = self.state();
            let badge = viewer.badge.or_else(|| state.rules.badge(&viewer.session));
            let message = chat::compose(&viewer.session, badge, text, now)?;
            let interval = state.rules.check(&viewer.session, badge, &message.text, now)?;
            state.pacer.admit(&viewer.session, interval, Instant::now())?;
            message
        };
        self.core.relay.post_chat(&self.show_id, &message).await.map_err(|error| {
            tracing::warn!(show_id = %self.show_id, %error, "posting chat");
            ChatRefusal::Unavailable
        })?;
        self.state().chat_unrecorded += 1;
        Ok(())
    }

    /// Whether `session` follows the show's channel: once known to, for the
    /// room's life (an unfollow shows at the next join); otherwise asked
    /// again, so a follow made meanwhile counts at once.
    async fn follows(&self, session: &str) -> Result<bool, ChatRefusal> {
        if self.state().followers.contains(session) {
            return Ok(true);
        }
        match self.core.seed.follows(session, &self.channel).await {
            Ok(follows) => {
                if follows {
                    self.state().followers.insert(session.to_owned());
                }
                Ok(follows)
            }
            Err(error) => {
                tracing::warn!(show_id = %self.show_id, %error, "reading a follow");
                Err(ChatRefusal::Unavailable)
            }
        }
    }

    /// Counts one reaction of a socket of this gateway.
    pub(crate) fn react(&self, emoji: &'static str) {
        self.state().tally.accept(emoji);
    }

    /// Takes `viewer`'s vote into this window's ballots, once it passes the poll's checks.
    pub(crate) fn vote(&self, viewer: &Viewer, poll_id: &str, option: u32) -> Result<Cast, VoteRefusal> {
        if !viewer.may_post {
            return Err(VoteRefusal::SignInRequired);
        }
        self.state().votes.cast(&viewer.session, poll_id, option, chrono::Utc::now())
    }

    /// Takes one message heard on the relay into the next batch.
    fn hear(&self, message: RoomMessage) {
        let mut state = self.state();
        match message {
            RoomMessage::Chat { message } => {
                let known = state.recent.iter().chain(&state.pending_chat).any(|seen| seen.id == message.id);
                if !known {
                    state.pending_chat.push(message);
                }
            }
            RoomMessage::Highlight { message } => {
                state.rules.highlight = Some(message.clone());
                state.pending_highlight = Some(message);
            }
            RoomMessage::ChatDeleted { message_id } => {
                state.recent.retain(|message| message.id != message_id);
                state.pending_chat.retain(|message| message.id != message_id);
                state.pending_deleted.push(message_id);
            }
            RoomMessage::Audience { gateway, connected, watching, leaving, uniques } => {
                if gateway != self.core.id {
                    state.reports.heard(&gateway, Audience { connected, watching }, leaving, Instant::now());
                    state.uniques.merge(&uniques);
                    if leaving {
                        state.seats.forget(&gateway);
                    }
                }
            }
            RoomMessage::Sessions { gateway, news } => {
                if gateway != self.core.id {
                    state.seats.heard(&gateway, &news);
                }
            }
            RoomMessage::Reactions { gateway, counts } => {
                if gateway != self.core.id {
                    state.tally.heard(&counts);
                }
            }
        }
    }

    /// Sends what gathered in the last window as one batch; returns what
    /// the other gateways are to hear of this one's window: its reactions
    /// and its sessions' news.
    fn flush(&self) -> Vec<RoomMessage> {
        let mut state = self.state();
        let mut frames = Vec::new();
        if !state.pending_chat.is_empty() {
            let heard = std::mem::take(&mut state.pending_chat);
            for message in &heard {
                if state.recent.len() == HISTORY {
                    state.recent.pop_front();
                }
                state.recent.push_back(message.clone());
            }
            let heard_count = heard.len();
            let sent = sample(heard, CHAT_PER_WINDOW);
            metrics::counter!("cartcast_chat_sampled_out_total").increment((heard_count - sent.len()) as u64);
            frames.push(ServerFrame::Chat { messages: sent });
        }
        for message_id in std::mem::take(&mut state.pending_deleted) {
            frames.push(ServerFrame::ChatDeleted { message_id });
        }
        // Checked every window, so a gateway that went silent drops out on time.
        for gone in state.reports.drop_silent(Instant::now()) {
            state.seats.forget(&gone);
        }
        let audience = state.audience(&self.core.id);
        state.peak = state.peak.max(audience.watching);
        if audience != state.shown {
            state.shown = audience;
            frames.push(ServerFrame::Viewers { connected: audience.connected, watching: audience.watching });
        }
        if let Some(totals) = state.tally.take_changed_totals() {
            frames.push(ServerFrame::Reactions { totals });
        }
        if let Some(message) = state.pending_highlight.take() {
            frames.push(ServerFrame::Highlight { message });
        }
        if std::mem::take(&mut state.shelf.pin_changed) {
            match (state.shelf.pinned.clone(), state.shelf.unpinned.take()) {
                (Some(product), _) => frames.push(ServerFrame::Pinned { product }),
                (None, Some(product_id)) => frames.push(ServerFrame::Unpinned { product_id }),
                (None, None) => {}
            }
        }
        for (product_id, available) in state.shelf.take_changed() {
            frames.push(ServerFrame::Stock { product_id, available });
        }
        if std::mem::take(&mut state.votes.changed)
            && let Some(poll) = state.votes.poll.clone()
        {
            frames.push(ServerFrame::Poll { poll });
        }
        frames.append(&mut state.announcements);
        let banned = std::mem::take(&mut state.pending_banned);
        let creator_frames: Vec<Utf8Bytes> = match (std::mem::take(&mut state.pending_dashboard), &state.dashboard) {
            (true, Some(dashboard)) => {
                vec![ServerFrame::Dashboard { dashboard: Box::new(dashboard.clone()) }.to_json().into()]
            }
            _ => Vec::new(),
        };
        if !frames.is_empty() || !banned.is_empty() || !creator_frames.is_empty() {
            let frames = frames.iter().map(|frame| Utf8Bytes::from(frame.to_json())).collect();
            // No receiver is fine: nobody to tell.
            let _ = self.batches.send(Arc::new(Batch { frames, creator_frames, banned }));
        }
        let gateway = &self.core.id;
        let reactions =
            state.tally.take_unsent().map(|counts| RoomMessage::Reactions { gateway: gateway.clone(), counts });
        let sessions = state.seats.take_news().map(|news| RoomMessage::Sessions { gateway: gateway.clone(), news });
        reactions.into_iter().chain(sessions).collect()
    }
}

/// At most `keep` ordinary messages, evenly spread over the window, and every
/// priority message, in their order.
fn sample(messages: Vec<ChatMessage>, keep: usize) -> Vec<ChatMessage> {
    let ordinary = messages.iter().filter(|message| !message.is_priority()).count();
    if ordinary <= keep {
        return messages;
    }
    let mut seen = 0;
    messages
        .into_iter()
        .filter(|message| {
            if message.is_priority() {
                return true;
            }
            seen += 1;
            // The n-th ordinary message goes out when it crosses a multiple of ordinary/keep.
            (seen * keep).div_ceil(ordinary) != ((seen - 1) * keep).div_ceil(ordinary)
        })
        .collect()
}

/// The room's task: hears the relay, sends a batch every window, reports
/// this gateway's audience every [`REPORT_EVERY`], and closes the room once
/// its last socket has gone.
pub(crate) async fn run(room: Arc<Room>, gateway: Arc<Gateway>) {
    let Some(mut upstream) = connect(&room, &gateway).await else {
        return;
    };
    // Followed before the show is read, so no event falls between the two.
    let mut events = feed::follow(&room).await;
    feed::seed(&room, &mut events).await;
    match room.core.relay.recent_chat(&room.show_id, HISTORY).await {
        Ok(recent) => room.state().recent = recent.into(),
        Err(error) => tracing::warn!(show_id = %room.show_id, %error, "loading recent chat"),
    }
    match room.core.seed.reaction_totals(&room.show_id).await {
        Ok(recorded) => room.state().tally.seed(&recorded),
        Err(error) => tracing::warn!(show_id = %room.show_id, %error, "loading reaction totals"),
    }
    refresh_rules(&room).await;
    room.ready.send_replace(true);
    let mut window = tokio::time::interval(WINDOW);
    window.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut report = tokio::time::interval(REPORT_EVERY);
    report.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut recorder: Option<watch::Sender<Audience>> = None;
    loop {
        tokio::select! {
            heard = upstream.next() => match heard {
                Some(message) => room.hear(message),
                None => match connect(&room, &gateway).await {
                    Some(again) => upstream = again,
                    None => return,
                },
            },
            Some(event) = events.next(), if !events.is_empty() => feed::hear(&room, &mut events, event).await,
            _ = window.tick() => {
                votes::record(&room);
                for news in room.flush() {
                    if let Err(error) = room.core.relay.publish(&room.show_id, &news).await {
                        tracing::warn!(show_id = %room.show_id, %error, "telling the other gateways of the window");
                    }
                }
            }
            _ = report.tick() => {
                if events.is_empty() {
                    events = feed::follow(&room).await;
                    feed::seed(&room, &mut events).await;
                } else if room.state().reports_sent < feed::RESEED_REPORTS {
                    feed::seed(&room, &mut events).await;
                }
                record_reactions(&room);
                record_chat(&room);
                refresh_rules(&room).await;
                refresh_dashboard(&room).await;
                if report_audience(&room, &gateway, &mut recorder).await {
                    return;
                }
            }
        }
    }
}

/// Subscribes to the room's relay, retrying every second while the room has
/// sockets; `None` once it has none (and is closed).
async fn connect(room: &Room, gateway: &Gateway) -> Option<BoxStream<'static, RoomMessage>> {
    loop {
        match room.core.relay.subscribe(&room.show_id).await {
            Ok(upstream) => return Some(upstream),
            Err(error) => tracing::warn!(show_id = %room.show_id, %error, "subscribing to the room"),
        }
        room.ready.send_replace(true);
        tokio::time::sleep(Duration::from_secs(1)).await;
        if gateway.close_if_empty(room) {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(n: usize, badge: Option<chat::Badge>) -> ChatMessage {
        chat::compose(&format!("u{n}"), badge, &format!("m{n}"), chrono::Utc::now()).unwrap()
    }

    #[test]
    fn a_flood_is_sampled_and_priority_messages_all_go_out() {
        let mut flood: Vec<_> = (0..300).map(|n| message(n, None)).collect();
        flood.insert(150, message(1000, Some(chat::Badge::Creator)));
        flood.push(message(1001, Some(chat::Badge::Moderator)));
        let sent = sample(flood, 30);
        assert_eq!(sent.iter().filter(|m| !m.is_priority()).count(), 30);
        assert_eq!(sent.iter().filter(|m| m.is_priority()).count(), 2);
        assert_eq!(sent.last().unwrap().text, "m1001", "order kept");
        let calm: Vec<_> = (0..10).map(|n| message(n, None)).collect();
        assert_eq!(sample(calm.clone(), 30), calm);
    }
}
