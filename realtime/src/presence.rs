//! Who is watching: each live socket of this gateway, per show, with
//! whether its player plays. Changes reach the show's sockets at once and
//! the show's live stats as `ViewersCounted`, at most every [`REPORT_EVERY`].
//! Counts are this gateway's own sockets; summing across gateways is still
//! to come (issue 9).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use cartcast_infra::bus::CommandBus;
use cartcast_infra::envelope::{AppCommand, CommandEnvelope};

/// How often, at most, a show's audience is recorded.
pub const REPORT_EVERY: Duration = Duration::from_secs(2);

/// A show's audience: open sockets, and of those, players that play.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Audience {
    pub connected: u64,
    pub watching: u64,
}

struct ShowSockets {
    /// Socket id → its player is playing.
    sockets: HashMap<u64, bool>,
    audience: watch::Sender<Audience>,
}

impl ShowSockets {
    fn recount(&self) {
        let audience = Audience {
            connected: self.sockets.len() as u64,
            watching: self.sockets.values().filter(|playing| **playing).count() as u64,
        };
        self.audience.send_if_modified(|current| std::mem::replace(current, audience) != audience);
    }
}

#[derive(Default)]
pub struct Presence {
    shows: Mutex<HashMap<String, ShowSockets>>,
    next_socket: std::sync::atomic::AtomicU64,
}

/// One socket's place in a show's audience; leaves it when dropped.
pub struct Seat {
    presence: Arc<Presence>,
    show_id: String,
    socket: u64,
    /// The show's audience as it changes.
    pub audience: watch::Receiver<Audience>,
}

impl Seat {
    /// The player reports playing (or paused, hidden).
    pub fn playing(&self, playing: bool) {
        self.presence.update(&self.show_id, |show| {
            if let Some(state) = show.sockets.get_mut(&self.socket) {
                *state = playing;
            }
        });
    }
}

impl Drop for Seat {
    fn drop(&mut self) {
        self.presence.update(&self.show_id, |show| {
            show.sockets.remove(&self.socket);
        });
    }
}

impl Presence {
    fn update(&self, show_id: &str, change: impl FnOnce(&mut ShowSockets)) {
        let mut shows = self.shows.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(show) = shows.get_mut(show_id) {
            change(show);
            show.recount();
        }
    }

    /// Takes a seat in `show_id`'s audience; the first seat starts the show's
    /// reporter, which records the audience through `bus` until it is empty.
    pub fn join(self: &Arc<Self>, show_id: &str, bus: &Arc<dyn CommandBus>, timeout: Duration) -> Seat {
        let socket = self.next_socket.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut shows = self.shows.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let show = shows.entry(show_id.to_owned()).or_insert_with(|| {
            let (audience, receiver) = watch::channel(Audience::default());
            tokio::spawn(report(self.clone(), show_id.to_owned(), receiver, bus.clone(), timeout));
            ShowSockets { sockets: HashMap::new(), audience }
        });
        show.sockets.insert(socket, false);
        show.recount();
        let audience = show.audience.subscribe();
        Seat { presence: self.clone(), show_id: show_id.to_owned(), socket, audience }
    }

    /// Forgets a show whose audience is gone; false when someone came back.
    fn forget_if_empty(&self, show_id: &str) -> bool {
        let mut shows = self.shows.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let empty = shows.get(show_id).is_none_or(|show| show.sockets.is_empty());
        if empty {
            shows.remove(show_id);
        }
        empty
    }
}

/// Records `show_id`'s audience whenever it changed, at most every
/// [`REPORT_EVERY`], until it is empty and recorded as such.
async fn report(
    presence: Arc<Presence>,
    show_id: String,
    mut audience: watch::Receiver<Audience>,
    bus: Arc<dyn CommandBus>,
    timeout: Duration,
) {
    let mut recorded = Audience::default();
    loop {
        let now = *audience.borrow_and_update();
        if now != recorded {
            let command =
                AppCommand::CountViewers { show_id: show_id.clone(), connected: now.connected, watching: now.watching };
            let envelope = CommandEnvelope::from_system("presence", None, command);
            match bus.dispatch(envelope, timeout).await {
                Ok(_) => recorded = now,
                Err(error) => tracing::warn!(%show_id, %error, "recording the audience"),
            }
        }
        if now == Audience::default() && recorded == now && presence.forget_if_empty(&show_id) {
            return;
        }
        tokio::time::sleep(REPORT_EVERY).await;
        // Unrecorded counts (a failed dispatch) are retried without waiting for news.
        if *audience.borrow() == recorded && audience.changed().await.is_err() {
            return;
        }
    }
}
