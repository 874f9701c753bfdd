//! Given/when/then tests for the show aggregate: scheduling, its product list,
//! the pin, the scheduled → live → ended lifecycle and clips; what browsing
//! and audiences need (listing, edits, reminders, drops, raids) in
//! [`browsing`].

mod browsing;

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use cqrs_es::test::TestFramework;

use super::{Listing, Show, ShowCommand, ShowError, ShowEvent};
use browsing::fashion;

type ShowTestFramework = TestFramework<Show>;

const CREATOR: &str = "creator-1";

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_750_000_000 + secs, 0).expect("a representable instant")
}

fn ids(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|id| (*id).to_owned()).collect()
}

/// `p-0`, `p-1`, … `p-<n-1>`.
fn numbered(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("p-{i}")).collect()
}

fn schedule(title: &str, product_ids: Vec<String>) -> ShowCommand {
    ShowCommand::Schedule {
        show_id: "s-1".to_owned(),
        creator: CREATOR.to_owned(),
        title: title.to_owned(),
        scheduled_at: Some(at(3_600)),
        product_ids,
        listing: Listing::default(),
        now: at(0),
    }
}

fn scheduled(title: &str, product_ids: Vec<String>) -> ShowEvent {
    ShowEvent::ShowScheduled {
        show_id: "s-1".to_owned(),
        creator: CREATOR.to_owned(),
        title: title.to_owned(),
        scheduled_at: Some(at(3_600)),
        product_ids,
        listing: Listing::default(),
    }
}

/// A scheduled show listing `p-a` and `p-b`.
fn a_show() -> ShowEvent {
    scheduled("Spring drop", ids(&["p-a", "p-b"]))
}

fn attach(actor: &str, product_ids: &[&str]) -> ShowCommand {
    ShowCommand::AttachProducts { actor: actor.to_owned(), product_ids: ids(product_ids) }
}

fn pin(actor: &str, product_id: &str) -> ShowCommand {
    ShowCommand::Pin { actor: actor.to_owned(), product_id: product_id.to_owned(), drop: false }
}

fn too_many() -> ShowError {
    ShowError::Invalid { field: "product_ids", reason: "at most 100 products" }
}

#[test]
fn test_schedule_new_show() {
    let command = schedule("Spring drop", ids(&["p-a", "p-b"]));
    let expected = a_show();

    ShowTestFramework::with(()).given_no_previous_events().when(command).then_expect_events(vec![expected]);
}

#[test]
fn test_schedule_lists_each_product_once() {
    let command = schedule("Spring drop", ids(&["p-a", "p-b", "p-a"]));
    let expected = a_show();

    ShowTestFramework::with(()).given_no_previous_events().when(command).then_expect_events(vec![expected]);
}

#[test]
fn test_schedule_with_most_products_allowed() {
    let command = schedule("Spring drop", numbered(100));
    let expected = scheduled("Spring drop", numbered(100));

    ShowTestFramework::with(()).given_no_previous_events().when(command).then_expect_events(vec![expected]);
}

#[test]
fn test_schedule_with_longest_title() {
    let title = "é".repeat(200);
    let command = schedule(&title, vec![]);
    let expected = scheduled(&title, vec![]);

    ShowTestFramework::with(()).given_no_previous_events().when(command).then_expect_events(vec![expected]);
}

#[test]
fn test_schedule_twice() {
    let previous = a_show();
    let command = schedule("Spring drop", vec![]);

    ShowTestFramework::with(()).given(vec![previous]).when(command).then_expect_error(ShowError::AlreadyExists);
}

#[test]
fn test_schedule_blank_title() {
    let command = schedule("  ", vec![]);

    ShowTestFramework::with(())
        .given_no_previous_events()
        .when(command)
        .then_expect_error(ShowError::Invalid { field: "title", reason: "must be 1 to 200 characters" });
}

#[test]
fn test_schedule_too_long_title() {
    let command = schedule(&"é".repeat(201), vec![]);

    ShowTestFramework::with(())
        .given_no_previous_events()
        .when(command)
        .then_expect_error(ShowError::Invalid { field: "title", reason: "must be 1 to 200 characters" });
}

#[test]
fn test_schedule_more_than_100_products() {
    let command = schedule("Spring drop", numbered(101));

    ShowTestFramework::with(()).given_no_previous_events().when(command).then_expect_error(too_many());
}

#[test]
fn test_attach_products_adds_new_ones() {
    let previous = a_show();
    let command = attach(CREATOR, &["p-c", "p-d"]);
    let expected = ShowEvent::ProductsAttached { product_ids: ids(&["p-c", "p-d"]) };

    ShowTestFramework::with(()).given(vec![previous]).when(command).then_expect_events(vec![expected]);
}

#[test]
fn test_attach_products_dedups() {
    let previous = a_show();
    let command = attach(CREATOR, &["p-b", "p-c", "p-c", "p-a"]);
    let expected = ShowEvent::ProductsAttached { product_ids: ids(&["p-c"]) };

    ShowTestFramework::with(()).given(vec![previous]).when(command).then_expect_events(vec![expected]);
}

#[test]
fn test_attach_products_all_listed_already() {
    let previous = a_show();
    let command = attach(CREATOR, &["p-a", "p-b"]);

    ShowTestFramework::with(()).given(vec![previous]).when(command).then_expect_events(vec![]);
}

#[test]
fn test_attach_products_past_100() {
    let previous = scheduled("Spring drop", numbered(99));
    let command = attach(CREATOR, &["p-x", "p-y"]);

    ShowTestFramework::with(()).given(vec![previous]).when(command).then_expect_error(too_many());
}

#[test]
fn test_attach_products_not_found() {
    let command = attach(CREATOR, &["p-c"]);

    ShowTestFramework::with(()).given_no_previous_events().when(command).then_expect_error(ShowError::NotFound);
}

#[test]
fn test_attach_products_by_non_creator() {
    let previous = a_show();
    let command = attach("viewer-1", &["p-c"]);

    ShowTestFramework::with(()).given(vec![previous]).when(command).then_expect_error(ShowError::NotCreator);
}

#[test]
fn test_pin_attached_product() {
    let previous = a_show();
    let command = pin(CREATOR, "p-b");
    let expected = ShowEvent::ProductPinned { product_id: "p-b".to_owned(), drop: false };

    ShowTestFramework::with(()).given(vec![previous]).when(command).then_expect_events(vec![expected]);
}

#[test]
fn test_pin_attaches_an_unattached_product() {
    let previous = a_show();
    let command = pin(CREATOR, "p-c");
    let expected = vec![
        ShowEvent::ProductsAttached { product_ids: ids(&["p-c"]) },
        ShowEvent::ProductPinned { product_id: "p-c".to_owned(), drop: false },
    ];

    ShowTestFramework::with(()).given(vec![previous]).when(command).then_expect_events(expected);
}

#[test]
fn test_pin_unattached_product_past_100() {
    let previous = scheduled("Spring drop", numbered(100));
    let command = pin(CREATOR, "p-x");

    ShowTestFramework::with(()).given(vec![previous]).when(command).then_expect_error(too_many());
}

#[test]
fn test_pin_while_live() {
    let previous = vec![a_show(), ShowEvent::ShowWentLive { at: at(3_600) }];
    let command = pin(CREATOR, "p-a");
    let expected = ShowEvent::ProductPinned { product_id: "p-a".to_owned(), drop: false };

    ShowTestFramework::with(()).given(previous).when(command).then_expect_events(vec![expected]);
}

#[test]
fn test_pin_by_non_creator() {
    let previous = a_show();
    let command = pin("moderator-1", "p-a");

    ShowTestFramework::with(()).given(vec![previous]).when(command).then_expect_error(ShowError::NotCreator);
}

#[test]
fn test_pin_not_found() {
    let command = pin(CREATOR, "p-a");

    ShowTestFramework::with(()).given_no_previous_events().when(command).then_expect_error(ShowError::NotFound);
}

#[test]
fn test_pin_after_end() {
    let previous = vec![a_show(), ShowEvent::ShowWentLive { at: at(3_600) }, ShowEvent::ShowEnded { at: at(7_200) }];
    let command = pin(CREATOR, "p-a");

    ShowTestFramework::with(()).given(previous).when(command).then_expect_error(ShowError::WrongStatus("ended"));
}

#[test]
fn test_unpin_takes_the_pinned_product_off_and_a_repeat_does_nothing() {
    let pinned = vec![a_show(), ShowEvent::ProductPinned { product_id: "p-a".to_owned(), drop: false }];
    let unpin = || ShowCommand::Unpin { actor: CREATOR.to_owned() };
    let expected = ShowEvent::ProductUnpinned { product_id: "p-a".to_owned() };
    ShowTestFramework::with(()).given(pinned.clone()).when(unpin()).then_expect_events(vec![expected.clone()]);

    let unpinned = [pinned.clone(), vec![expected]].concat();
    ShowTestFramework::with(()).given(unpinned).when(unpin()).then_expect_events(vec![]);
    let by_someone_else = ShowCommand::Unpin { actor: "viewer-1".to_owned() };
    ShowTestFramework::with(()).given(pinned).when(by_someone_else).then_expect_error(ShowError::NotCreator);
}

#[test]
fn test_go_live_from_scheduled() {
    let previous = a_show();
    let command = ShowCommand::GoLive { at: at(3_600) };
    let expected = ShowEvent::ShowWentLive { at: at(3_600) };

    ShowTestFramework::with(()).given(vec![previous]).when(command).then_expect_events(vec![expected]);
}

#[test]
fn test_go_live_when_live_already() {
    let previous = vec![a_show(), ShowEvent::ShowWentLive { at: at(3_600) }];
    let command = ShowCommand::GoLive { at: at(3_700) };

    ShowTestFramework::with(()).given(previous).when(command).then_expect_events(vec![]);
}

#[test]
fn test_go_live_after_end() {
    let previous = vec![a_show(), ShowEvent::ShowWentLive { at: at(3_600) }, ShowEvent::ShowEnded { at: at(7_200) }];
    let command = ShowCommand::GoLive { at: at(7_300) };

    ShowTestFramework::with(()).given(previous).when(command).then_expect_error(ShowError::WrongStatus("ended"));
}

#[test]
fn test_go_live_not_found() {
    let command = ShowCommand::GoLive { at: at(0) };

    ShowTestFramework::with(()).given_no_previous_events().when(command).then_expect_error(ShowError::NotFound);
}

#[test]
fn test_end_live_show() {
    let previous = vec![a_show(), ShowEvent::ShowWentLive { at: at(3_600) }];
    let command = ShowCommand::End { at: at(7_200) };
    let expected = ShowEvent::ShowEnded { at: at(7_200) };

    ShowTestFramework::with(()).given(previous).when(command).then_expect_events(vec![expected]);
}

#[test]
fn test_end_when_ended_already() {
    let previous = vec![a_show(), ShowEvent::ShowWentLive { at: at(3_600) }, ShowEvent::ShowEnded { at: at(7_200) }];
    let command = ShowCommand::End { at: at(7_300) };

    ShowTestFramework::with(()).given(previous).when(command).then_expect_events(vec![]);
}

#[test]
fn test_end_before_going_live() {
    let previous = a_show();
    let command = ShowCommand::End { at: at(7_200) };

    ShowTestFramework::with(())
        .given(vec![previous])
        .when(command)
        .then_expect_error(ShowError::WrongStatus("scheduled"));
}

#[test]
fn test_end_not_found() {
    let command = ShowCommand::End { at: at(0) };

    ShowTestFramework::with(()).given_no_previous_events().when(command).then_expect_error(ShowError::NotFound);
}

#[test]
fn test_events_are_tagged_with_their_event_type() {
    let events = vec![
        a_show(),
        ShowEvent::ShowDetailsChanged { title: "Spring drop".into(), listing: fashion(&["vintage"]) },
        ShowEvent::ShowRescheduled { scheduled_at: at(7_200) },
        ShowEvent::ShowCancelled,
        ShowEvent::ProductsAttached { product_ids: ids(&["p-c"]) },
        ShowEvent::ProductPinned { product_id: "p-c".to_owned(), drop: true },
        ShowEvent::ShowReminderDue { scheduled_at: at(3_600) },
        ShowEvent::ShowRaided { target_show_id: "s-2".into(), target_channel: "dan".into(), viewers: 40 },
        ShowEvent::RaidArrived { from_show_id: "s-2".into(), from_channel: "dan".into(), viewers: 40 },
        ShowEvent::ShowWentLive { at: at(3_600) },
        ShowEvent::ShowEnded { at: at(7_200) },
        ShowEvent::ClipRequested { clip_id: "c-1".into(), requested_by: "ann".into(), seconds: 30 },
        ShowEvent::ClipReady { clip_id: "c-1".into(), url: "/hls/s-1/clips/c-1.mp4".into() },
        ShowEvent::ClipFailed { clip_id: "c-2".into(), reason: "no media".into() },
    ];
    for event in events {
        let json = serde_json::to_value(&event).expect("events serialize");
        assert_eq!(json["type"], event.event_type());
        assert_eq!(serde_json::from_value::<ShowEvent>(json).expect("events deserialize"), event);
    }
}

fn clip_request(seconds: u32) -> ShowCommand {
    ShowCommand::RequestClip { clip_id: "c-1".to_owned(), actor: "ann".to_owned(), seconds }
}

#[test]
fn test_a_clip_of_a_live_show_is_requested_then_made_once() {
    let live = vec![a_show(), ShowEvent::ShowWentLive { at: at(3_600) }];
    let requested = ShowEvent::ClipRequested { clip_id: "c-1".into(), requested_by: "ann".into(), seconds: 45 };
    ShowTestFramework::with(()).given(live.clone()).when(clip_request(45)).then_expect_events(vec![requested.clone()]);

    let finish = || ShowCommand::FinishClip { clip_id: "c-1".into(), outcome: Ok("/clip.mp4".into()) };
    let mut pending = live;
    pending.push(requested);
    ShowTestFramework::with(())
        .given(pending.clone())
        .when(finish())
        .then_expect_events(vec![ShowEvent::ClipReady { clip_id: "c-1".into(), url: "/clip.mp4".into() }]);
    pending.push(ShowEvent::ClipReady { clip_id: "c-1".into(), url: "/clip.mp4".into() });
    ShowTestFramework::with(()).given(pending).when(finish()).then_expect_events(vec![]);
}

#[test]
fn test_clips_last_30_to_60_seconds_of_a_live_show() {
    let live = vec![a_show(), ShowEvent::ShowWentLive { at: at(3_600) }];
    for seconds in [29, 61] {
        ShowTestFramework::with(())
            .given(live.clone())
            .when(clip_request(seconds))
            .then_expect_error(ShowError::Invalid { field: "seconds", reason: "a clip lasts 30 to 60 seconds" });
    }
    ShowTestFramework::with(())
        .given(vec![a_show()])
        .when(clip_request(30))
        .then_expect_error(ShowError::WrongStatus("scheduled"));
}
