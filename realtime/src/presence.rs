//! Who is watching a show: this gateway's own seats, counted once per
//! session however many sockets (tabs, reconnects) it holds; the other
//! gateways' reports, each dropped once silent for two report intervals;
//! and the recorder that writes the summed audience to the show's live
//! stats.
//!
//! A session with sockets on several gateways counts once too: every
//! gateway tells the others which sessions arrive, leave or change whether
//! they play ([`SessionNews`]); a gateway that holds a session it hears of
//! answers, so both learn they share it. A shared session is counted by the
//! holder with the smallest gateway id, as watching if it plays on any.

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

/// What one gateway tells the others of its sessions of a show in one window.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionNews {
    /// Sessions that arrived or changed whether they play: (session, plays).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub present: Vec<(String, bool)>,
    /// Sessions whose last socket here left.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub absent: Vec<String>,
    /// Answers to another gateway's `present`: sessions held here too (not answered again).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<(String, bool)>,
}

impl SessionNews {
    pub fn is_empty(&self) -> bool {
        self.present.is_empty() && self.absent.is_empty() && self.answers.is_empty()
    }
}

/// This gateway's sockets of one show, by session.
#[derive(Debug, Default)]
pub struct Seats {
    /// Socket id → (its session, whether its player plays).
    sockets: HashMap<u64, (Arc<str>, bool)>,
    /// Session → (open sockets, sockets whose player plays).
    sessions: HashMap<Arc<str>, (u32, u32)>,
    /// Sessions held here that other gateways hold too: each with those
    /// gateways and whether a player plays there.
    shared: HashMap<Arc<str>, HashMap<String, bool>>,
    /// What the other gateways have not been told yet.
    news: SessionNews,
}

impl Seats {
    pub fn sit(&mut self, socket: u64, session: Arc<str>) {
        let seats = self.sessions.entry(session.clone()).or_default();
        seats.0 += 1;
        if seats.0 == 1 {
            self.news.present.push((session.to_string(), false));
        }
        self.sockets.insert(socket, (session, false));
    }

    /// Whether a socket of `session` sits on this gateway.
    pub fn holds(&self, session: &str) -> bool {
        self.sessions.contains_key(session)
    }

    pub fn leave(&mut self, socket: u64) {
        if let Some((session, playing)) = self.sockets.remove(&socket) {
            self.set_playing_count(&session, playing, false);
            if let Some(seats) = self.sessions.get_mut(&session) {
                seats.0 -= 1;
                if seats.0 == 0 {
                    self.sessions.remove(&session);
                    self.shared.remove(&session);
                    self.news.absent.push(session.to_string());
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
            let played = seats.1 > 0;
            match (was, now) {
                (false, true) => seats.1 += 1,
                (true, false) => seats.1 -= 1,
                _ => {}
            }
            if played != (seats.1 > 0) {
                self.news.present.push((session.to_owned(), seats.1 > 0));
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.sockets.is_empty()
    }

    /// Another gateway's news: sessions held here too become shared (and
    /// are answered, unless the news is itself an answer).
    pub fn heard(&mut self, gateway: &str, news: &SessionNews) {
        for (session, plays, answer) in
            news.present.iter().map(|(s, p)| (s, p, true)).chain(news.answers.iter().map(|(s, p)| (s, p, false)))
        {
            let Some((held, seats)) = self.sessions.get_key_value(session.as_str()) else { continue };
            let holders = self.shared.entry(held.clone()).or_default();
            let known = holders.insert(gateway.to_owned(), *plays).is_some();
            if answer && !known {
                self.news.answers.push((session.clone(), seats.1 > 0));
            }
        }
        for session in &news.absent {
            if let Some(holders) = self.shared.get_mut(session.as_str()) {
                holders.remove(gateway);
                if holders.is_empty() {
                    self.shared.remove(session.as_str());
                }
            }
        }
    }

    /// A gateway that dropped out holds nothing any more.
    pub fn forget(&mut self, gateway: &str) {
        self.shared.retain(|_, holders| {
            holders.remove(gateway);
            !holders.is_empty()
        });
    }

    /// The news since the last call, if any, as things stand now: each
    /// session once, with whether it plays now (what changed twice in a
    /// window is told once, so no stale state follows a newer one).
    pub fn take_news(&mut self) -> Option<SessionNews> {
        if self.news.is_empty() {
            return None;
        }
        let news = std::mem::take(&mut self.news);
        let now = |listed: Vec<(String, bool)>| -> Vec<(String, bool)> {
            let mut seen = std::collections::HashSet::new();
            listed
                .into_iter()
                .filter_map(|(session, _)| {
                    let (_, playing) = self.sessions.get(session.as_str())?;
                    seen.insert(session.clone()).then_some((session, *playing > 0))
                })
                .collect()
        };
        let present = now(news.present);
        let answers = now(news.answers);
        let mut absent = news.absent;
        absent.retain(|session| !self.sessions.contains_key(session.as_str()));
        absent.dedup();
        let news = SessionNews { present, absent, answers };
        (!news.is_empty()).then_some(news)
    }

    /// The sessions this gateway (`me`) counts: each held here, unless a
    /// gateway with a smaller id holds it too.
    pub fn audience(&self, me: &str) -> Audience {
        // The common case, one gateway per show or no session on two: no lookups.
        if self.shared.is_empty() {
            let watching = self.sessions.values().filter(|(_, playing)| *playing > 0).count();
            return Audience { connected: self.sessions.len() as u64, watching: watching as u64 };
        }
        let mut audience = Audience::default();
        for (session, (_, playing)) in &self.sessions {
            let (counted, plays) = match self.shared.get(session) {
                None => (true, *playing > 0),
                Some(holders) => {
                    (holders.keys().all(|other| me < other.as_str()), *playing > 0 || holders.values().any(|p| *p))
                }
            };
            if counted {
                audience.connected += 1;
                audience.watching += u64::from(plays);
            }
        }
        audience
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

    /// Forgets gateways silent for [`SILENT_FOR`] (crashed, cut off); returns them.
    pub fn drop_silent(&mut self, now: Instant) -> Vec<String> {
        let silent: Vec<String> = self
            .latest
            .iter()
            .filter(|(_, (_, at))| now.saturating_duration_since(*at) >= SILENT_FOR)
            .map(|(gateway, _)| gateway.clone())
            .collect();
        for gateway in &silent {
            self.latest.remove(gateway);
        }
        silent
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
        assert_eq!(seats.audience("g"), Audience { connected: 2, watching: 0 });
        seats.playing(0, true);
        seats.playing(3, true);
        assert_eq!(seats.audience("g"), Audience { connected: 2, watching: 1 });
        seats.leave(0);
        assert_eq!(seats.audience("g"), Audience { connected: 2, watching: 1 }, "tab 3 still plays");
        seats.playing(3, false);
        for socket in 1..5 {
            seats.leave(socket);
        }
        assert_eq!(seats.audience("g"), Audience { connected: 1, watching: 0 });
        seats.leave(9);
        assert!(seats.is_empty());
    }

    #[test]
    fn a_session_on_two_gateways_counts_once_on_the_smaller_id() {
        let (mut a, mut b) = (Seats::default(), Seats::default());
        a.sit(1, "ann".into());
        b.sit(1, "ann".into());
        b.playing(1, true);
        b.sit(2, "bob".into());
        // Each tells the other; each answers what it holds too.
        let (from_a, from_b) = (a.take_news().unwrap(), b.take_news().unwrap());
        a.heard("b", &from_b);
        b.heard("a", &from_a);
        let (answer_a, answer_b) = (a.take_news().unwrap(), b.take_news().unwrap());
        a.heard("b", &answer_b);
        b.heard("a", &answer_a);
        assert!(a.take_news().is_none() && b.take_news().is_none(), "answers are not answered");
        let total = a.audience("a") + b.audience("b");
        assert_eq!(total, Audience { connected: 2, watching: 1 }, "ann once, watching on b; bob");
        // Ann leaves b: a counts her, no longer watching.
        b.leave(1);
        a.heard("b", &b.take_news().unwrap());
        assert_eq!(a.audience("a") + b.audience("b"), Audience { connected: 2, watching: 0 });
        // b's own count of ann returns if a drops out.
        b.sit(3, "ann".into());
        a.heard("b", &b.take_news().unwrap());
        b.heard("a", &a.take_news().unwrap());
        assert_eq!(b.audience("b"), Audience { connected: 1, watching: 0 }, "a counts ann");
        b.forget("a");
        assert_eq!(b.audience("b"), Audience { connected: 2, watching: 0 });
        // Joined and started playing in one window: told once, as it is now.
        b.sit(7, "cy".into());
        b.playing(7, true);
        assert_eq!(b.take_news().unwrap().present, vec![("cy".to_owned(), true)]);
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
        assert_eq!(reports.drop_silent(start + SILENT_FOR), vec!["b".to_owned()]);
        assert_eq!(reports.total(), Audience { connected: 5, watching: 5 }, "b went silent");
        reports.heard("c", Audience::default(), true, start + SILENT_FOR);
        assert_eq!(reports.total(), Audience::default(), "c left");
    }
}
