//! Given/when/then tests for the channel aggregate: opening it and rotating
//! its stream key.

use cqrs_es::DomainEvent;
use cqrs_es::test::TestFramework;

use super::{Channel, ChannelCommand, ChannelError, ChannelEvent};

type ChannelTestFramework = TestFramework<Channel>;

const OWNER: &str = "creator-1";
/// The shortest key accepted: 24 characters.
const KEY: &str = "k3y-0123456789abcdefghij";
const NEW_KEY: &str = "n3w-0123456789abcdefghij";

fn open(stream_key: &str) -> ChannelCommand {
    ChannelCommand::Open { channel_id: "c-1".to_owned(), owner: OWNER.to_owned(), stream_key: stream_key.to_owned() }
}

fn opened() -> ChannelEvent {
    ChannelEvent::ChannelOpened { channel_id: "c-1".to_owned(), owner: OWNER.to_owned(), stream_key: KEY.to_owned() }
}

fn regenerate(actor: &str, stream_key: &str) -> ChannelCommand {
    ChannelCommand::RegenerateKey { actor: actor.to_owned(), stream_key: stream_key.to_owned() }
}

#[test]
fn test_open_new_channel() {
    let command = open(KEY);
    let expected = opened();

    ChannelTestFramework::with(()).given_no_previous_events().when(command).then_expect_events(vec![expected]);
}

#[test]
fn test_open_twice() {
    let previous = opened();
    let command = open(KEY);

    ChannelTestFramework::with(()).given(vec![previous]).when(command).then_expect_error(ChannelError::AlreadyExists);
}

#[test]
fn test_open_weak_key() {
    let command = open(&KEY[..23]);

    ChannelTestFramework::with(()).given_no_previous_events().when(command).then_expect_error(ChannelError::WeakKey);
}

#[test]
fn test_regenerate_key_replaces_it() {
    let previous = opened();
    let command = regenerate(OWNER, NEW_KEY);
    let expected = ChannelEvent::StreamKeyRegenerated { stream_key: NEW_KEY.to_owned() };

    ChannelTestFramework::with(()).given(vec![previous]).when(command).then_expect_events(vec![expected]);
}

#[test]
fn test_regenerate_key_by_non_owner() {
    let previous = opened();
    let command = regenerate("creator-2", NEW_KEY);

    ChannelTestFramework::with(()).given(vec![previous]).when(command).then_expect_error(ChannelError::NotOwner);
}

#[test]
fn test_regenerate_key_weak_key() {
    let previous = opened();
    let command = regenerate(OWNER, "short");

    ChannelTestFramework::with(()).given(vec![previous]).when(command).then_expect_error(ChannelError::WeakKey);
}

#[test]
fn test_regenerate_key_not_found() {
    let command = regenerate(OWNER, NEW_KEY);

    ChannelTestFramework::with(()).given_no_previous_events().when(command).then_expect_error(ChannelError::NotFound);
}

#[test]
fn test_events_are_tagged_with_their_event_type() {
    let events = vec![opened(), ChannelEvent::StreamKeyRegenerated { stream_key: NEW_KEY.to_owned() }];
    for event in events {
        let json = serde_json::to_value(&event).expect("events serialize");
        assert_eq!(json["type"], event.event_type());
        assert_eq!(serde_json::from_value::<ChannelEvent>(json).expect("events deserialize"), event);
    }
}
