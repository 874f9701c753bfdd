//! Given/when/then tests for the channel aggregate: opening it and rotating
//! its stream key.

use cqrs_es::DomainEvent;
use cqrs_es::test::TestFramework;

use super::{Channel, ChannelCommand, ChannelError, ChannelEvent, Link, Profile};

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

fn profile(handle: &str) -> Profile {
    Profile {
        handle: handle.to_owned(),
        display_name: " Cara's Closet ".to_owned(),
        description: "Vintage, live on Fridays".to_owned(),
        avatar_url: Some("https://cdn.example/cara.png".to_owned()),
        links: vec![Link { label: "Shop".to_owned(), url: "https://cara.example".to_owned() }],
    }
}

fn set_profile(actor: &str, profile: Profile) -> ChannelCommand {
    ChannelCommand::SetProfile { actor: actor.to_owned(), profile }
}

#[test]
fn test_set_profile_lower_cases_the_handle_and_trims_the_text() {
    let expected =
        Profile { handle: "cara_closet".to_owned(), display_name: "Cara's Closet".to_owned(), ..profile("") };
    ChannelTestFramework::with(())
        .given(vec![opened()])
        .when(set_profile(OWNER, profile("Cara_Closet")))
        .then_expect_events(vec![ChannelEvent::ChannelProfileSet { profile: expected }]);
}

#[test]
fn test_set_the_same_profile_again_is_no_news() {
    let set = ChannelEvent::ChannelProfileSet { profile: profile("cara_closet").validated().unwrap() };
    ChannelTestFramework::with(())
        .given(vec![opened(), set])
        .when(set_profile(OWNER, profile("CARA_CLOSET")))
        .then_expect_events(vec![]);
}

#[test]
fn test_set_profile_refuses_bad_handles() {
    for handle in ["ab", "a-very-long-handle-of-26ch", "has space", "émile", "dash-ed", &"x".repeat(26)] {
        ChannelTestFramework::with(())
            .given(vec![opened()])
            .when(set_profile(OWNER, profile(handle)))
            .then_expect_error(ChannelError::InvalidHandle);
    }
}

#[test]
fn test_set_profile_refuses_bad_fields() {
    let no_name = Profile { display_name: "  ".to_owned(), ..profile("cara") };
    let bad_avatar = Profile { avatar_url: Some("javascript:alert(1)".to_owned()), ..profile("cara") };
    let link = Link { label: "x".to_owned(), url: "https://x.example".to_owned() };
    let many_links = Profile { links: vec![link; 6], ..profile("cara") };
    for (bad, field) in [(no_name, "display_name"), (bad_avatar, "avatar_url"), (many_links, "links")] {
        let refused = bad.validated().expect_err("refused");
        assert!(matches!(refused, ChannelError::Invalid { field: f, .. } if f == field), "{refused:?}");
    }
}

#[test]
fn test_set_profile_by_non_owner() {
    ChannelTestFramework::with(())
        .given(vec![opened()])
        .when(set_profile("creator-2", profile("cara")))
        .then_expect_error(ChannelError::NotOwner);
}

#[test]
fn test_events_are_tagged_with_their_event_type() {
    let events = vec![
        opened(),
        ChannelEvent::StreamKeyRegenerated { stream_key: NEW_KEY.to_owned() },
        ChannelEvent::ChannelProfileSet { profile: profile("cara") },
    ];
    for event in events {
        let json = serde_json::to_value(&event).expect("events serialize");
        assert_eq!(json["type"], event.event_type());
        assert_eq!(serde_json::from_value::<ChannelEvent>(json).expect("events deserialize"), event);
    }
}
