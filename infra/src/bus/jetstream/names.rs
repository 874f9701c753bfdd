//! Stream names, subjects and headers of the JetStream bus, optionally under
//! a prefix so tests (or two deployments on one server) never share them.

use std::fmt::Write as _;

use uuid::Uuid;

use crate::envelope::RouteKind;

/// On a command: the subject its caller waits on for the outcome.
pub(crate) const REPLY_TO_HEADER: &str = "Cartcast-Reply-To";
/// On an outcome: the command it answers.
pub(crate) const COMMAND_ID_HEADER: &str = "Cartcast-Command-Id";

/// The streams and subjects one bus uses.
///
/// `BusNames::default()` gives streams `CMD` and `EVENTS` and subjects
/// `cmd.…`, `evt.…`, `cartcast.outcome.…`; `BusNames::prefixed("t1")` gives
/// `t1_CMD`, `t1_EVENTS` and `t1.cmd.…`, `t1.evt.…`, `t1.cartcast.outcome.…`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BusNames {
    prefix: Option<String>,
}

impl BusNames {
    /// Names under `prefix`.
    ///
    /// # Panics
    /// If `prefix` is empty or has a character other than ASCII letters,
    /// digits, `_` and `-` (it must be valid in a stream name and a subject).
    pub fn prefixed(prefix: impl Into<String>) -> Self {
        let prefix = prefix.into();
        assert!(
            !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'),
            "bus prefix {prefix:?} must be ASCII letters, digits, `_` or `-`"
        );
        Self { prefix: Some(prefix) }
    }

    /// The command log stream (`CMD`).
    pub fn cmd_stream(&self) -> String {
        self.stream("CMD")
    }

    /// The event feed stream (`EVENTS`).
    pub fn events_stream(&self) -> String {
        self.stream("EVENTS")
    }

    /// Every subject of the command log: `cmd.>`.
    pub(crate) fn cmd_subjects(&self) -> String {
        self.subject("cmd.>")
    }

    /// Every subject of the event feed: `evt.>`.
    pub(crate) fn events_subjects(&self) -> String {
        self.subject("evt.>")
    }

    /// `cmd.<route kind>.<partition>`.
    pub(crate) fn command(&self, kind: RouteKind, partition: u32) -> String {
        self.subject(&format!("cmd.{}.{partition}", kind.as_str()))
    }

    /// `cmd.*.<partition>`: one partition's commands, whatever their kind.
    pub(crate) fn partition_filter(&self, partition: u32) -> String {
        self.subject(&format!("cmd.*.{partition}"))
    }

    /// `evt.<aggregate type, lower case>.<aggregate id>`, each token escaped.
    pub(crate) fn event(&self, aggregate_type: &str, aggregate_id: &str) -> String {
        let kind = token(&aggregate_type.to_lowercase());
        self.subject(&format!("evt.{kind}.{}", token(aggregate_id)))
    }

    /// `cartcast.outcome.<instance>`: where one API instance hears its answers.
    pub(crate) fn outcomes(&self, instance: Uuid) -> String {
        self.subject(&format!("cartcast.outcome.{}", instance.simple()))
    }

    /// The chat stream (`CHAT`): every show's chat, the store of record.
    pub fn chat_stream(&self) -> String {
        self.stream("CHAT")
    }

    /// Every chat subject: `room.*.chat`.
    pub fn chat_subjects(&self) -> String {
        self.subject("room.*.chat")
    }

    /// `room.<show>.chat`: one show's chat, stored in `CHAT`.
    pub fn chat(&self, show_id: &str) -> String {
        self.subject(&format!("room.{}.chat", token(show_id)))
    }

    /// `room.<show>.live`: what a show's gateways tell each other and keep no record of
    /// (audience reports, reaction deltas, deletions).
    pub fn room_live(&self, show_id: &str) -> String {
        self.subject(&format!("room.{}.live", token(show_id)))
    }

    /// `room.<show>.>`: everything of one show's room, chat and live.
    pub fn room(&self, show_id: &str) -> String {
        self.subject(&format!("room.{}.>", token(show_id)))
    }

    fn stream(&self, base: &str) -> String {
        match &self.prefix {
            Some(prefix) => format!("{prefix}_{base}"),
            None => base.to_owned(),
        }
    }

    fn subject(&self, base: &str) -> String {
        match &self.prefix {
            Some(prefix) => format!("{prefix}.{base}"),
            None => base.to_owned(),
        }
    }
}

/// One subject token for an arbitrary string: bytes NATS gives meaning to
/// (`.`, `*`, `>`), whitespace, controls and `%` itself become `%XX`, so
/// distinct ids never share a subject. Filtering only: the event carries the
/// real id.
fn token(raw: &str) -> String {
    if raw.is_empty() {
        return "%".to_owned();
    }
    let mut out = String::with_capacity(raw.len());
    for ch in raw.chars() {
        if matches!(ch, '.' | '*' | '>' | '%') || ch.is_whitespace() || ch.is_control() {
            let mut buf = [0; 4];
            for byte in ch.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "%{byte:02X}");
            }
        } else {
            out.push(ch);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_names_are_the_products() {
        let names = BusNames::default();
        assert_eq!(names.cmd_stream(), "CMD");
        assert_eq!(names.events_stream(), "EVENTS");
        assert_eq!(names.command(RouteKind::Product, 3), "cmd.product.3");
        assert_eq!(names.partition_filter(3), "cmd.*.3");
        assert_eq!(names.event("Product", "p1"), "evt.product.p1");
        assert_eq!(names.chat("s1"), "room.s1.chat");
        assert_eq!(names.room("s1"), "room.s1.>");
    }

    #[test]
    fn prefixed_names_never_meet_the_products() {
        let names = BusNames::prefixed("t1");
        assert_eq!(names.cmd_stream(), "t1_CMD");
        assert_eq!(names.events_subjects(), "t1.evt.>");
        assert_eq!(names.outcomes(Uuid::nil()), format!("t1.cartcast.outcome.{}", Uuid::nil().simple()));
    }

    #[test]
    fn ids_with_subject_syntax_are_escaped_injectively() {
        let names = BusNames::default();
        assert_eq!(names.event("Channel", "ann@example.com"), "evt.channel.ann@example%2Ecom");
        assert_ne!(names.event("Channel", "a.b"), names.event("Channel", "a%2Eb"));
        assert_eq!(names.event("Channel", "a b>*"), "evt.channel.a%20b%3E%2A");
    }
}
