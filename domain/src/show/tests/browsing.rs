//! Given/when/then tests for what browsing and audiences need of a show: its
//! listing, edits, reschedules and cancellation, reminders, drops and raids.

use chrono::{DateTime, Utc};

use super::{CREATOR, ShowTestFramework, a_show, at, ids};
use crate::show::{Listing, ShowCommand, ShowError, ShowEvent, ShowStatus};

/// "Spring drop" with no products, at `scheduled_at` with `listing`, asked at `at(0)`.
fn schedule_with(scheduled_at: Option<DateTime<Utc>>, listing: Listing) -> ShowCommand {
    ShowCommand::Schedule {
        show_id: "s-1".to_owned(),
        creator: CREATOR.to_owned(),
        title: "Spring drop".to_owned(),
        scheduled_at,
        product_ids: vec![],
        listing,
        now: at(0),
    }
}

pub(super) fn fashion(tags: &[&str]) -> Listing {
    Listing { category: Some("fashion".into()), tags: ids(tags), language: Some("en".into()) }
}

fn edit(actor: &str, title: Option<&str>, listing: Listing) -> ShowCommand {
    ShowCommand::Edit {
        actor: actor.to_owned(),
        title: title.map(str::to_owned),
        category: listing.category,
        tags: Some(listing.tags),
        language: listing.language,
        scheduled_at: None,
        now: at(0),
    }
}

#[test]
fn test_schedule_with_a_listing_normalizes_tags_and_language() {
    let raw = Listing {
        category: Some("fashion".into()),
        tags: ids(&[" Vintage", "vintage", "Y2K"]),
        language: Some("pt-BR".into()),
    };
    let command = schedule_with(Some(at(3_600)), raw);
    let listing =
        Listing { category: Some("fashion".into()), tags: ids(&["vintage", "y2k"]), language: Some("pt-br".into()) };
    let expected = ShowEvent::ShowScheduled {
        show_id: "s-1".to_owned(),
        creator: CREATOR.to_owned(),
        title: "Spring drop".to_owned(),
        scheduled_at: Some(at(3_600)),
        product_ids: vec![],
        listing,
    };
    ShowTestFramework::with(()).given_no_previous_events().when(command).then_expect_events(vec![expected]);
}

#[test]
fn test_schedule_refuses_a_bad_listing() {
    let cases = [
        (Listing { category: Some("weapons".into()), ..Listing::default() }, "category"),
        (Listing { tags: ids(&["a", "b", "c", "d", "e", "f"]), ..Listing::default() }, "tags"),
        (Listing { tags: ids(&["two words"]), ..Listing::default() }, "tags"),
        (Listing { language: Some("english".into()), ..Listing::default() }, "language"),
    ];
    for (listing, field) in cases {
        let refused = listing.validated().expect_err("refused");
        assert!(matches!(refused, ShowError::Invalid { field: f, .. } if f == field), "{field}: {refused:?}");
    }
}

#[test]
fn test_schedule_in_the_past_or_over_a_year_ahead() {
    for when in [at(-1), at(0), at(367 * 86_400)] {
        let command = schedule_with(Some(when), Listing::default());
        let refused = ShowTestFramework::with(()).given_no_previous_events().when(command);
        refused.then_expect_error_message(if when > at(0) {
            "scheduled_at: at most a year ahead"
        } else {
            "scheduled_at: must be in the future"
        });
    }
}

#[test]
fn test_edit_changes_only_what_is_given() {
    let command = ShowCommand::Edit {
        actor: CREATOR.into(),
        title: None,
        category: Some("beauty".into()),
        tags: None,
        language: None,
        scheduled_at: None,
        now: at(0),
    };
    let listing = Listing { category: Some("beauty".into()), ..Listing::default() };
    let expected = ShowEvent::ShowDetailsChanged { title: "Spring drop".into(), listing };
    ShowTestFramework::with(()).given(vec![a_show()]).when(command).then_expect_events(vec![expected]);
}

#[test]
fn test_edit_to_the_same_details_is_no_news() {
    let changed = ShowEvent::ShowDetailsChanged { title: "Spring drop".into(), listing: fashion(&["vintage"]) };
    ShowTestFramework::with(())
        .given(vec![a_show(), changed])
        .when(edit(CREATOR, Some("Spring drop"), fashion(&["Vintage"])))
        .then_expect_events(vec![]);
}

#[test]
fn test_edit_by_non_creator() {
    ShowTestFramework::with(())
        .given(vec![a_show()])
        .when(edit("creator-2", Some("Mine now"), Listing::default()))
        .then_expect_error(ShowError::NotCreator);
}

fn reschedule(scheduled_at: DateTime<Utc>) -> ShowCommand {
    ShowCommand::Edit {
        actor: CREATOR.into(),
        title: None,
        category: None,
        tags: None,
        language: None,
        scheduled_at: Some(scheduled_at),
        now: at(60),
    }
}

#[test]
fn test_reschedule_a_scheduled_show() {
    let command = reschedule(at(7_200));
    let expected = ShowEvent::ShowRescheduled { scheduled_at: at(7_200) };
    ShowTestFramework::with(()).given(vec![a_show()]).when(command).then_expect_events(vec![expected]);
}

#[test]
fn test_reschedule_a_live_show() {
    let command = reschedule(at(7_200));
    ShowTestFramework::with(())
        .given(vec![a_show(), ShowEvent::ShowWentLive { at: at(3_600) }])
        .when(command)
        .then_expect_error(ShowError::WrongStatus("live"));
}

#[test]
fn test_an_edit_with_a_bad_time_changes_nothing() {
    let command = ShowCommand::Edit {
        actor: CREATOR.into(),
        title: Some("New title".into()),
        category: None,
        tags: None,
        language: None,
        scheduled_at: Some(at(-60)),
        now: at(0),
    };
    let refused = ShowTestFramework::with(()).given(vec![a_show()]).when(command);
    refused.then_expect_error_message("scheduled_at: must be in the future");
}

#[test]
fn test_cancel_a_scheduled_show_once_and_it_never_goes_live() {
    let cancel = || ShowCommand::Cancel { actor: CREATOR.into() };
    ShowTestFramework::with(()).given(vec![a_show()]).when(cancel()).then_expect_events(vec![ShowEvent::ShowCancelled]);
    let cancelled = vec![a_show(), ShowEvent::ShowCancelled];
    ShowTestFramework::with(()).given(cancelled.clone()).when(cancel()).then_expect_events(vec![]);
    ShowTestFramework::with(())
        .given(cancelled)
        .when(ShowCommand::GoLive { at: at(3_600) })
        .then_expect_error(ShowError::WrongStatus(ShowStatus::Cancelled.as_str()));
}

#[test]
fn test_cancel_a_live_show() {
    ShowTestFramework::with(())
        .given(vec![a_show(), ShowEvent::ShowWentLive { at: at(3_600) }])
        .when(ShowCommand::Cancel { actor: CREATOR.into() })
        .then_expect_error(ShowError::WrongStatus("live"));
}

#[test]
fn test_a_show_scheduled_before_listings_reads_as_unlisted() {
    let old = serde_json::json!({"type": "ShowScheduled", "show_id": "s-1", "creator": CREATOR, "title": "Old",
                                 "scheduled_at": null, "product_ids": []});
    let ShowEvent::ShowScheduled { listing, .. } = serde_json::from_value(old).expect("an old event reads") else {
        panic!("not a ShowScheduled")
    };
    assert_eq!(listing, Listing::default());
}

#[test]
fn test_a_reminder_is_due_once_per_schedule() {
    let remind = |secs| ShowCommand::Remind { scheduled_at: at(secs) };
    let due = ShowEvent::ShowReminderDue { scheduled_at: at(3_600) };
    ShowTestFramework::with(()).given(vec![a_show()]).when(remind(3_600)).then_expect_events(vec![due.clone()]);
    ShowTestFramework::with(()).given(vec![a_show(), due.clone()]).when(remind(3_600)).then_expect_events(vec![]);
    // An old schedule's reminder is stale; a new schedule is reminded anew.
    ShowTestFramework::with(()).given(vec![a_show()]).when(remind(60)).then_expect_events(vec![]);
    let moved = ShowEvent::ShowRescheduled { scheduled_at: at(7_200) };
    let due_again = ShowEvent::ShowReminderDue { scheduled_at: at(7_200) };
    ShowTestFramework::with(())
        .given(vec![a_show(), due, moved])
        .when(remind(7_200))
        .then_expect_events(vec![due_again]);
    let live = vec![a_show(), ShowEvent::ShowWentLive { at: at(3_500) }];
    ShowTestFramework::with(()).given(live).when(remind(3_600)).then_expect_events(vec![]);
}

#[test]
fn test_a_pinned_drop_says_so_and_an_old_pin_reads_as_none() {
    let command = ShowCommand::Pin { actor: CREATOR.to_owned(), product_id: "p-a".to_owned(), drop: true };
    let expected = ShowEvent::ProductPinned { product_id: "p-a".to_owned(), drop: true };
    ShowTestFramework::with(()).given(vec![a_show()]).when(command).then_expect_events(vec![expected]);
    let old = serde_json::json!({"type": "ProductPinned", "product_id": "p-a"});
    let read: ShowEvent = serde_json::from_value(old).expect("an old pin reads");
    assert_eq!(read, ShowEvent::ProductPinned { product_id: "p-a".to_owned(), drop: false });
}

fn raid(actor: &str, target: &str) -> ShowCommand {
    ShowCommand::Raid { actor: actor.into(), target_show_id: target.into(), target_channel: "dan".into(), viewers: 40 }
}

#[test]
fn test_a_live_show_raids_another_and_the_target_receives_it() {
    let live = vec![a_show(), ShowEvent::ShowWentLive { at: at(3_600) }];
    let raided = ShowEvent::ShowRaided { target_show_id: "s-2".into(), target_channel: "dan".into(), viewers: 40 };
    ShowTestFramework::with(()).given(live.clone()).when(raid(CREATOR, "s-2")).then_expect_events(vec![raided]);
    let receive = ShowCommand::ReceiveRaid { from_show_id: "s-9".into(), from_channel: "eve".into(), viewers: 7 };
    let arrived = ShowEvent::RaidArrived { from_show_id: "s-9".into(), from_channel: "eve".into(), viewers: 7 };
    ShowTestFramework::with(()).given(live).when(receive.clone()).then_expect_events(vec![arrived]);
    ShowTestFramework::with(()).given(vec![a_show()]).when(receive).then_expect_error(ShowError::TargetNotLive);
}

#[test]
fn test_only_the_creator_raids_only_while_live_and_never_itself() {
    let live = vec![a_show(), ShowEvent::ShowWentLive { at: at(3_600) }];
    ShowTestFramework::with(())
        .given(live.clone())
        .when(raid("creator-2", "s-2"))
        .then_expect_error(ShowError::NotCreator);
    ShowTestFramework::with(())
        .given(vec![a_show()])
        .when(raid(CREATOR, "s-2"))
        .then_expect_error(ShowError::WrongStatus("scheduled"));
    let itself = ShowTestFramework::with(()).given(live).when(raid(CREATOR, "s-1"));
    itself.then_expect_error_message("target: a show cannot raid itself");
}
