//! A signed-in user's notifications pushed to their sockets
//! (`GET /api/v1/me/live`): one hub per process watches how far the
//! notifications projection has written and, when it moves, reads the new
//! notifications of the users connected here (a few queries per move,
//! however many followers a channel has) and hands each to its user's
//! sockets. A socket pushes what is written after it connects; what came
//! before is read from `GET /api/v1/me/notifications`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use axum::extract::ws::{Message, WebSocket};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::warn;

use crate::frames::ServerFrame;
use crate::socket::{LONGEST_STAY, close, close_with, send, text_frame};

/// One notification, as the `notification` frame carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Notice {
    /// Grows with time; `POST /api/v1/me/notifications/read` takes it.
    pub id: u64,
    /// `show_scheduled`, `show_reminder`, `show_live` or `drop_pinned`.
    pub kind: String,
    pub show_id: String,
    pub show_title: Option<String>,
    /// The channel's handle (its creator's user id until it has one).
    pub channel: String,
    pub channel_name: Option<String>,
    /// The pinned product of a `drop_pinned`.
    pub product_id: Option<String>,
    /// RFC 3339.
    pub at: String,
}

/// Where the notifications are read.
#[async_trait]
pub trait NoticeSource: Send + Sync + 'static {
    /// How far notifications are written: every one with an id up to it is readable.
    async fn written_up_to(&self) -> anyhow::Result<u64>;

    /// The notifications of `users` with ids in `(after, up_to]`, oldest first, each with its user.
    async fn notices(&self, users: &[String], after: u64, up_to: u64) -> anyhow::Result<Vec<(String, Notice)>>;
}

/// How often the hub looks for new notifications while anyone is connected.
const EVERY: Duration = Duration::from_millis(250);
/// Users per read.
const USERS_PER_READ: usize = 500;
/// Notifications a socket may have waiting before it is closed as too slow.
const QUEUE: usize = 256;

type Mailboxes = HashMap<String, Vec<(u64, mpsc::Sender<Notice>)>>;

/// This process's user sockets, by user.
pub struct Inbox {
    mailboxes: Mutex<Mailboxes>,
    next: std::sync::atomic::AtomicU64,
}

/// One socket's place in the inbox; leaves it when dropped.
pub struct Mailbox {
    inbox: Arc<Inbox>,
    user: String,
    id: u64,
    notices: mpsc::Receiver<Notice>,
}

impl Inbox {
    /// The hub, and its watch over `source` (which ends with the hub).
    pub fn new(source: Arc<dyn NoticeSource>) -> Arc<Self> {
        let inbox = Arc::new(Self { mailboxes: Mutex::default(), next: Default::default() });
        tokio::spawn(watch(Arc::downgrade(&inbox), source));
        inbox
    }

    /// A mailbox for one socket of `user`.
    pub fn open(self: &Arc<Self>, user: &str) -> Mailbox {
        let id = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (sender, notices) = mpsc::channel(QUEUE);
        self.lock().entry(user.to_owned()).or_default().push((id, sender));
        Mailbox { inbox: self.clone(), user: user.to_owned(), id, notices }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Mailboxes> {
        self.mailboxes.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn users(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }

    /// Hands `notice` to every socket of `user`; a socket whose queue is full is dropped (it closes as too slow).
    fn deliver(&self, user: &str, notice: &Notice) {
        if let Some(sockets) = self.lock().get_mut(user) {
            sockets.retain(|(_, sender)| sender.try_send(notice.clone()).is_ok());
        }
    }
}

impl Drop for Mailbox {
    fn drop(&mut self) {
        let mut mailboxes = self.inbox.lock();
        if let Some(sockets) = mailboxes.get_mut(&self.user) {
            sockets.retain(|(id, _)| *id != self.id);
            if sockets.is_empty() {
                mailboxes.remove(&self.user);
            }
        }
    }
}

/// Watches how far notifications are written (all the time, so a socket
/// that opens misses nothing written after the last look) and, while anyone
/// is connected, delivers what is new; ends when the hub is gone.
async fn watch(inbox: Weak<Inbox>, source: Arc<dyn NoticeSource>) {
    let mut seen: Option<u64> = None;
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(inbox) = inbox.upgrade() else { return };
        let written = match source.written_up_to().await {
            Ok(written) => written,
            Err(e) => {
                warn!(error = %e, "cannot tell how far notifications are written");
                continue;
            }
        };
        let after = *seen.get_or_insert(written);
        let users = inbox.users();
        if written <= after || users.is_empty() {
            seen = Some(written.max(after));
            continue;
        }
        let mut read_all = true;
        for chunk in users.chunks(USERS_PER_READ) {
            match source.notices(chunk, after, written).await {
                Ok(notices) => notices.iter().for_each(|(user, notice)| inbox.deliver(user, notice)),
                Err(e) => {
                    warn!(error = %e, "cannot read new notifications");
                    read_all = false;
                    break;
                }
            }
        }
        if read_all {
            seen = Some(written);
        }
    }
}

/// Serve a user's socket: each notification as it is written, until
/// either side closes or the token expires at `token_expires` (4440).
pub async fn serve(mut socket: WebSocket, mut mailbox: Mailbox, token_expires: SystemTime) {
    let left = token_expires.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO);
    let expiry = tokio::time::sleep_until(Instant::now() + left.min(LONGEST_STAY));
    tokio::pin!(expiry);
    loop {
        tokio::select! {
            () = &mut expiry => return close_with(&mut socket, close::TOKEN_EXPIRED, "token expired").await,
            notice = mailbox.notices.recv() => match notice {
                Some(notice) => {
                    if !send(&mut socket, text_frame(&ServerFrame::Notification { notice })).await {
                        return;
                    }
                }
                None => return close_with(&mut socket, close::TOO_SLOW, "too slow: notifications piled up").await,
            },
            received = socket.recv() => match received {
                None | Some(Ok(Message::Close(_)) | Err(_)) => return,
                // Nothing is asked over this socket; pings are answered by the server itself.
                Some(Ok(_)) => {}
            },
        }
    }
}
