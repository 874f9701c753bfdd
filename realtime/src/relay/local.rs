//! The embedded shape's relay: one process, so a show's room is a broadcast
//! channel, and its chat is a file in the data dir (`chat/<show>.ndjson`),
//! one line per message and one per deletion. A line is written (to the
//! page cache, no fsync) before the message reaches anyone, so a message a
//! viewer saw outlives a crash of the process.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use super::{Relay, RelayError, RoomMessage};
use crate::chat::ChatMessage;

/// How many room messages a slow room may fall behind before it skips some.
const ROOM_BACKLOG: usize = 4096;

pub struct LocalRelay {
    rooms: Mutex<HashMap<String, broadcast::Sender<RoomMessage>>>,
    chat: ChatFiles,
}

impl LocalRelay {
    /// A relay keeping chat under `data_dir/chat`.
    pub fn open(data_dir: &Path) -> Result<Self, RelayError> {
        let dir = data_dir.join("chat");
        std::fs::create_dir_all(&dir)?;
        Ok(Self { rooms: Mutex::default(), chat: ChatFiles { dir, open: Mutex::default() } })
    }

    fn send(&self, show_id: &str, message: RoomMessage) {
        let mut rooms = self.rooms.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(room) = rooms.get(show_id)
            && room.send(message).is_err()
        {
            // Nobody listens any more.
            rooms.remove(show_id);
        }
    }
}

#[async_trait]
impl Relay for LocalRelay {
    async fn publish(&self, show_id: &str, message: &RoomMessage) -> Result<(), RelayError> {
        self.send(show_id, message.clone());
        Ok(())
    }

    async fn subscribe(&self, show_id: &str) -> Result<BoxStream<'static, RoomMessage>, RelayError> {
        let receiver = {
            let mut rooms = self.rooms.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            rooms.entry(show_id.to_owned()).or_insert_with(|| broadcast::channel(ROOM_BACKLOG).0).subscribe()
        };
        let messages = futures::stream::unfold(receiver, |mut receiver| async move {
            loop {
                match receiver.recv().await {
                    Ok(message) => return Some((message, receiver)),
                    Err(broadcast::error::RecvError::Lagged(skipped)) => {
                        tracing::warn!(skipped, "a room fell behind its relay");
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        });
        Ok(messages.boxed())
    }

    async fn post_chat(&self, show_id: &str, message: &ChatMessage) -> Result<(), RelayError> {
        self.chat.append(show_id, &Line::Message(message.clone()))?;
        self.send(show_id, RoomMessage::Chat { message: message.clone() });
        Ok(())
    }

    async fn recent_chat(&self, show_id: &str, count: usize) -> Result<Vec<ChatMessage>, RelayError> {
        let mut messages = self.chat.read(show_id).await?;
        let skip = messages.len().saturating_sub(count);
        messages.drain(..skip);
        Ok(messages)
    }

    async fn chat_between(
        &self,
        show_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<ChatMessage>, RelayError> {
        let messages = self.chat.read(show_id).await?;
        Ok(messages.into_iter().filter(|message| (from..=to).contains(&message.ts)).take(limit).collect())
    }

    async fn delete_chat(&self, show_id: &str, message_id: &str) -> Result<bool, RelayError> {
        let held = self.chat.read(show_id).await?.iter().any(|message| message.id == message_id);
        if held {
            self.chat.append(show_id, &Line::Deleted(message_id.to_owned()))?;
            self.send(show_id, RoomMessage::ChatDeleted { message_id: message_id.to_owned() });
        }
        Ok(held)
    }
}

/// One line of a show's chat file.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Line {
    Message(ChatMessage),
    /// The id of a message deleted since: it is read as never posted.
    Deleted(String),
}

/// The shows' chat files, each kept open for appending once written to.
struct ChatFiles {
    dir: PathBuf,
    open: Mutex<HashMap<String, File>>,
}

impl ChatFiles {
    fn path(&self, show_id: &str) -> PathBuf {
        self.dir.join(format!("{}.ndjson", file_stem(show_id)))
    }

    /// One `write` of one whole line, so a reader never sees half of it.
    fn append(&self, show_id: &str, line: &Line) -> std::io::Result<()> {
        let mut bytes = serde_json::to_vec(line).map_err(std::io::Error::other)?;
        bytes.push(b'\n');
        let mut open = self.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let file = match open.entry(show_id.to_owned()) {
            std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::hash_map::Entry::Vacant(entry) => {
                entry.insert(OpenOptions::new().create(true).append(true).open(self.path(show_id))?)
            }
        };
        file.write_all(&bytes)
    }

    /// Every message of the show not deleted since, oldest first.
    async fn read(&self, show_id: &str) -> std::io::Result<Vec<ChatMessage>> {
        let path = self.path(show_id);
        tokio::task::spawn_blocking(move || read_lines(&path)).await.map_err(std::io::Error::other)?
    }
}

fn read_lines(path: &Path) -> std::io::Result<Vec<ChatMessage>> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error),
    };
    let mut messages = Vec::new();
    let mut deleted = std::collections::HashSet::new();
    for line in BufReader::new(file).lines() {
        let line = line?;
        // A line cut short by a crash mid-write is the only kind that fails to read.
        match serde_json::from_str::<Line>(&line) {
            Ok(Line::Message(message)) => messages.push(message),
            Ok(Line::Deleted(id)) => {
                deleted.insert(id);
            }
            Err(error) => tracing::warn!(path = %path.display(), %error, "skipping an unreadable chat line"),
        }
    }
    messages.retain(|message| !deleted.contains(&message.id));
    Ok(messages)
}

/// A file name for any show id: letters, digits, `-` and `_` as they are,
/// every other byte as `%XX`, so two ids never share a file.
fn file_stem(show_id: &str) -> String {
    let mut stem = String::with_capacity(show_id.len());
    for byte in show_id.bytes() {
        if byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_' {
            stem.push(char::from(byte));
        } else {
            let _ = write!(stem, "%{byte:02X}");
        }
    }
    stem
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::compose;

    #[tokio::test]
    async fn chat_is_kept_and_a_deleted_message_is_gone_from_history() {
        let dir = std::env::temp_dir().join(format!("cartcast-chat-{}", uuid::Uuid::new_v4().simple()));
        let relay = LocalRelay::open(&dir).unwrap();
        let mut room = relay.subscribe("s/1").await.unwrap();
        let first = compose("ann", None, "first", Utc::now()).unwrap();
        let second = compose("bob", None, "second", Utc::now()).unwrap();
        relay.post_chat("s/1", &first).await.unwrap();
        relay.post_chat("s/1", &second).await.unwrap();
        assert_eq!(room.next().await, Some(RoomMessage::Chat { message: first.clone() }));

        assert!(relay.delete_chat("s/1", &first.id).await.unwrap());
        assert!(!relay.delete_chat("s/1", "no-such-id").await.unwrap());
        let reopened = LocalRelay::open(&dir).unwrap();
        assert_eq!(reopened.recent_chat("s/1", 10).await.unwrap(), vec![second.clone()]);
        let all_day = reopened.chat_between("s/1", first.ts - chrono::Duration::days(1), Utc::now(), 10).await.unwrap();
        assert_eq!(all_day, vec![second]);
        assert!(reopened.recent_chat("s/2", 10).await.unwrap().is_empty());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
