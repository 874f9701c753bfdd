//! Every frame of a show's live socket (and of a user's notification
//! socket), as Rust types: what clients send and what the gateway sends back. Their JSON Schema ([`json_schema`], checked
//! in as `realtime/frames.schema.json`) is what clients generate types from.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use cartcast_infra::dashboard::Dashboard;
use cartcast_infra::outcome::{PollState, ProductAnswer};

use crate::chat::ChatMessage;
use crate::inbox::Notice;

/// What a client sends: one JSON object per text frame, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    /// At least every 30 s: whether the player plays. A socket that has not
    /// said `playing` within that time is connected but not watching.
    Heartbeat { state: PlayerState },
    /// Post a chat message: plain text, at most 500 characters. Needs a
    /// signed-in token; one message per 1.5 s per user unless slow mode says slower.
    Chat { text: String },
    /// One reaction: one of ❤ 🔥 😂 😮 👏 🛒. A burst of 50 at once, then 10 a second.
    React { emoji: String },
    /// Vote in the show's open poll: `option` counts from 0. Needs a
    /// signed-in token; answered with `voted`, or an `error` frame.
    Vote { poll_id: String, option: u32 },
}

/// What the viewer's player is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlayerState {
    Playing,
    Paused,
    /// The page is in the background.
    Hidden,
}

/// What the gateway sends: one JSON object per text frame, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// Chat messages, oldest first: recent history first thing after
    /// connecting, then what was posted in each ~100 ms window.
    Chat { messages: Vec<ChatMessage> },
    /// A moderator deleted this message: remove it from the screen.
    ChatDeleted { message_id: String },
    /// The creator's message, shown above the chat until the next one: in
    /// the greeting when there is one, then whenever the creator highlights.
    Highlight { message: ChatMessage },
    /// Every reaction counted in the show, per emoji: in the greeting, then
    /// whenever they change (at most once a window).
    Reactions { totals: BTreeMap<String, u64> },
    /// The show's audience, first on connect and then whenever it changes.
    Viewers {
        /// Open sockets.
        connected: u64,
        /// Of those, players that said `playing` in their last heartbeat.
        watching: u64,
    },
    /// The show's poll: in the greeting while one is open, then whenever it
    /// opens, its counts move (at most once a window) or it closes.
    Poll {
        #[serde(flatten)]
        poll: PollState,
    },
    /// To the voter's socket: this vote counted (`option` from 0).
    Voted { poll_id: String, option: u8 },
    /// The product the creator pinned, with its live stock: in the greeting
    /// when one is pinned, then whenever the pin changes.
    Pinned { product: ProductAnswer },
    /// The creator took the pinned product off screen.
    Unpinned { product_id: String },
    /// Units of one of the show's products still on sale, at most once a window per product.
    Stock { product_id: String, available: u64 },
    /// The creator sent this show's audience to another live show: go there.
    Raid {
        show_id: String,
        /// The target's channel: its handle (its creator's user id until it has one).
        channel: String,
    },
    /// Another show's audience was sent here.
    Raided {
        /// The raiding channel: its handle (or its creator's user id).
        from: String,
        /// How many were connected to the raiding show.
        viewers: u64,
    },
    /// On a user's socket (`GET /api/v1/me/live`): a notification from a
    /// channel they follow, as it is written.
    Notification {
        #[serde(flatten)]
        notice: Notice,
    },
    /// To the show's creator's sockets alone: the show's dashboard (as `GET
    /// /api/v1/shows/{id}/dashboard` answers), in the greeting when the room
    /// has read it, then whenever it changes (read every ~2 s).
    Dashboard {
        #[serde(flatten)]
        dashboard: Box<Dashboard>,
    },
    /// A frame the gateway did not take; the socket stays open.
    Error {
        /// Stable, snake_case: `bad_frame`, `sign_in_required`,
        /// `empty_message`, `message_too_long`, `bad_text`, `rate_limited`,
        /// `unavailable`, `unknown_emoji`, `banned`, `timed_out` (with
        /// `retry_after_ms`), `banned_word`; for votes `poll_not_found`,
        /// `poll_closed`, `invalid_option`, `already_voted`.
        code: String,
        /// For people; may change.
        message: String,
        /// With `rate_limited`: how long to wait before the next try.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_ms: Option<u64>,
    },
}

impl ServerFrame {
    pub fn error(code: &str, message: impl Into<String>) -> Self {
        ServerFrame::Error { code: code.to_owned(), message: message.into(), retry_after_ms: None }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a server frame serializes")
    }
}

/// One JSON Schema (draft 2020-12) for both directions: `ClientFrame` and
/// `ServerFrame` under `$defs`, and a frame is one or the other.
pub fn json_schema() -> serde_json::Value {
    let mut generator = schemars::SchemaGenerator::default();
    let client = generator.subschema_for::<ClientFrame>();
    let server = generator.subschema_for::<ServerFrame>();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Cartcast live socket frames",
        "description": "Frames of GET /api/v1/shows/{id}/live: ClientFrame from client to gateway, ServerFrame back.",
        "oneOf": [client, server],
        "$defs": generator.take_definitions(true),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_read_and_write_the_documented_json() {
        let heartbeat: ClientFrame = serde_json::from_str(r#"{"type":"heartbeat","state":"hidden"}"#).unwrap();
        assert_eq!(heartbeat, ClientFrame::Heartbeat { state: PlayerState::Hidden });
        let viewers = ServerFrame::Viewers { connected: 3, watching: 2 }.to_json();
        assert_eq!(viewers, r#"{"type":"viewers","connected":3,"watching":2}"#);
        let error = ServerFrame::error("bad_frame", "no").to_json();
        assert_eq!(error, r#"{"type":"error","code":"bad_frame","message":"no"}"#);
    }

    #[test]
    fn the_checked_in_schema_is_the_frames_schema() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("frames.schema.json");
        let generated = serde_json::to_string_pretty(&json_schema()).unwrap() + "\n";
        let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            checked_in == generated,
            "{} is not the frames' schema; write it with `cargo run -p cartcast -- frames-schema > {}`",
            path.display(),
            path.display()
        );
    }
}
