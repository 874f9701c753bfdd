//! Who is watching a show: this gateway's own seats, counted once per
//! session however many sockets (tabs, reconnects) it holds; the other
//! gateways' reports, each dropped once silent for two report intervals;
//! and the recorder that writes the summed audience to the show's live
//! stats.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use cartcast_infra::bus::CommandBus;
use cartcast_infra::envelope::{AppCommand, CommandEnvelope};

/// How often each gateway reports its audience of a show, and how often,
/// at most, the summed audience is recorded.
pub const REPORT_EVERY: Duration = Duration::from_secs(2);

/// A gateway whose last report is older than this is gone (two intervals).
pub const SILENT_FOR: Duration = Duration::from_secs(4);

/// A show's audience: sessions with a socket open, and of those, sessions
/// with a player that plays.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Audience {
    pub connected: u64,
    pub watching: u64,
}

impl std::ops::Add for Audience {
    type Output = Audience;
    fn add(self, other: Audience) -> Audience {
        Audience { connected: self.connected + other.connected, watching: self.watching + other.watching }
    }
}

/// This gateway's sockets of one show, by session.
#[derive(Debug, Default)]
pub struct Seats {
    /// Socket id → (its session, whether its player plays).
    sockets: HashMap<u64, (Arc<str>, bool)>,
    /// Session → (open sockets, sockets whose player plays).
    sessions: HashMap<Arc<str>, (u32, u32)>,
}

impl Seats {
    pub fn sit(&mut self, socket: u64, session: Arc<str>) {
        self.sessions.entry(session.clone()).or_default().0 += 1;
        self.sockets.insert(socket, (session, false));
    }

    pub fn leave(&mut self, socket: u64) {
        if let Some((session, playing)) = self.sockets.remove(&socket) {
            self.set_playing_count(&session, playing, false);
            if let Some(seats) = self.sessions.get_mut(&session) {
                seats.0 -= 1;
                if seats.0 == 0 {
                    self.sessions.remove(&session);
                }
            }
        }
    }

    pub fn playing(&mut self, socket: u64, now_playing: bool) {
        if let Some((session, playing)) = self.sockets.get_mut(&socket) {
            let (session, was) = (session.clone(), std::mem::replace(playing, now_playing));
            self.set_playing_count(&session, was, now_playing);
        }
    }

    fn set_playing_count(&mut self, session: &str, was: bool, now: bool) {
        if let Some(seats) = self.sessions.get_mut(session) {
            match (was, now) {
                (false, true) => seats.1 += 1,
                (true, false) => seats.1 -= 1,
                _ => {}
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.sockets.is_empty()
    }

    pub fn audience(&self) -> Audience {
        Audience {
            connected: self.sessions.len() as u64,
            watching: self.sessions.values().filter(|(_, playing)| *playing > 0).count() as u64,
        }
    }
}

/// The other gateways' latest reports of one show.
#[derive(Debug, Default)]
pub struct Reports {
    latest: HashMap<String, (Audience, Instant)>,
}

impl Reports {
    /// A gateway's report, heard `now`; a leaving gateway is forgotten at once.
    pub fn heard(&mut self, gateway: &str, audience: Audience, leaving: bool, now: Instant) {
        if leaving {
            self.latest.remove(gateway);
        } else {
            self.latest.insert(gateway.to_owned(), (audience, now));
        }
    }

    /// Forgets gateways silent for [`SILENT_FOR`] (crashed, cut off).
    pub fn drop_silent(&mut self, now: Instant) {
        self.latest.retain(|_, (_, at)| now.saturating_duration_since(*at) < SILENT_FOR);
    }

    /// The live gateways' audience together.
    pub fn total(&self) -> Audience {
        self.latest.values().fold(Audience::default(), |sum, (audience, _)| sum + *audience)
    }

    /// Whether `gateway` records the show's audience: of the gateways that
    /// serve the show, the one with the smallest id does. After a leader
    /// goes silent the next one takes over.
    pub fn leads(&self, gateway: &str) -> bool {
        self.latest.keys().all(|other| gateway <= other.as_str())
    }
}

/// Records `show_id`'s summed audience as the show's live stats whenever it
/// changed, at most every [`REPORT_EVERY`], until the room stops leading
/// (the sender is dropped) and the last value is recorded.
pub async fn record(
    show_id: String,
    mut audience: watch::Receiver<Audience>,
    bus: Arc<dyn CommandBus>,
    timeout: Duration,
) {
    let mut recorded = None;
    loop {
        let now = *audience.borrow_and_update();
        if recorded != Some(now) {
            let command =
                AppCommand::CountViewers { show_id: show_id.clone(), connected: now.connected, watching: now.watching };
            let envelope = CommandEnvelope::from_system("presence", None, command);
            match bus.dispatch(envelope, timeout).await {
                Ok(_) => recorded = Some(now),
                Err(error) => tracing::warn!(%show_id, %error, "recording the audience"),
            }
        }
        tokio::time::sleep(REPORT_EVERY).await;
        // Unrecorded counts (a failed dispatch) are retried without waiting for news.
        if recorded == Some(*audience.borrow()) && audience.changed().await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_counts_once_however_many_sockets_it_holds() {
        let mut seats = Seats::default();
        let ann: Arc<str> = "ann".into();
        for socket in 0..5 {
            seats.sit(socket, ann.clone());
        }
        seats.sit(9, "bob".into());
        assert_eq!(seats.audience(), Audience { connected: 2, watching: 0 });
        seats.playing(0, true);
        seats.playing(3, true);
        assert_eq!(seats.audience(), Audience { connected: 2, watching: 1 });
        seats.leave(0);
        assert_eq!(seats.audience(), Audience { connected: 2, watching: 1 }, "tab 3 still plays");
        seats.playing(3, false);
        for socket in 1..5 {
            seats.leave(socket);
        }
        assert_eq!(seats.audience(), Audience { connected: 1, watching: 0 });
        seats.leave(9);
        assert!(seats.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_gateway_drops_out_after_two_intervals() {
        let mut reports = Reports::default();
        let start = Instant::now();
        reports.heard("b", Audience { connected: 300, watching: 200 }, false, start);
        reports.heard("c", Audience { connected: 5, watching: 5 }, false, start);
        assert_eq!(reports.total(), Audience { connected: 305, watching: 205 });
        assert!(reports.leads("a") && !reports.leads("c"));
        reports.heard("c", Audience { connected: 5, watching: 5 }, false, start + REPORT_EVERY * 2);
        reports.drop_silent(start + SILENT_FOR);
        assert_eq!(reports.total(), Audience { connected: 5, watching: 5 }, "b went silent");
        reports.heard("c", Audience::default(), true, start + SILENT_FOR);
        assert_eq!(reports.total(), Audience::default(), "c left");
    }
}
