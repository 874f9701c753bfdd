//! Given/when/then tests for a channel's moderation: who may act, and which
//! actions are news.

use cqrs_es::test::TestFramework;

use super::{ModerationAction, ModerationCommand, ModerationError, ModerationEvent};
use crate::moderation::Moderation;

type ModerationTestFramework = TestFramework<Moderation>;

fn by(actor: &str, action: ModerationAction) -> ModerationCommand {
    ModerationCommand { channel: "cara".into(), actor: actor.into(), admin: false, action }
}

fn ban(user: &str) -> ModerationAction {
    ModerationAction::Ban { user: user.into(), until: None, reason: None }
}

#[test]
fn test_the_owner_appoints_moderators_who_may_ban_but_not_appoint() {
    ModerationTestFramework::with(())
        .given_no_previous_events()
        .when(by("cara", ModerationAction::AppointModerator { user: "mo".into() }))
        .then_expect_events(vec![ModerationEvent::ModeratorAppointed { user: "mo".into() }]);
    ModerationTestFramework::with(())
        .given(vec![ModerationEvent::ModeratorAppointed { user: "mo".into() }])
        .when(by("mo", ban("troll")))
        .then_expect_events(vec![ModerationEvent::UserBanned {
            user: "troll".into(),
            until: None,
            reason: None,
            by: "mo".into(),
        }]);
    ModerationTestFramework::with(())
        .given(vec![ModerationEvent::ModeratorAppointed { user: "mo".into() }])
        .when(by("mo", ModerationAction::AppointModerator { user: "pal".into() }))
        .then_expect_error(ModerationError::NotOwner);
    ModerationTestFramework::with(())
        .given_no_previous_events()
        .when(by("ann", ban("troll")))
        .then_expect_error(ModerationError::NotModerator);
    ModerationTestFramework::with(())
        .given_no_previous_events()
        .when(by("cara", ban("cara")))
        .then_expect_error(ModerationError::CannotBanOwner);
}

#[test]
fn test_repeats_are_no_news_and_words_are_kept_normalized() {
    ModerationTestFramework::with(())
        .given_no_previous_events()
        .when(by("cara", ModerationAction::Unban { user: "ann".into() }))
        .then_expect_events(vec![]);
    let words = |list: &[&str]| list.iter().map(|w| (*w).to_owned()).collect::<Vec<_>>();
    ModerationTestFramework::with(())
        .given_no_previous_events()
        .when(by("cara", ModerationAction::SetBannedWords { words: words(&[" Scam ", "scam", "", "fake"]) }))
        .then_expect_events(vec![ModerationEvent::BannedWordsSet { words: words(&["scam", "fake"]) }]);
    ModerationTestFramework::with(())
        .given(vec![ModerationEvent::BannedWordsSet { words: words(&["scam"]) }])
        .when(by("cara", ModerationAction::SetBannedWords { words: words(&["SCAM"]) }))
        .then_expect_events(vec![]);
    ModerationTestFramework::with(())
        .given_no_previous_events()
        .when(by("cara", ModerationAction::SetSlowMode { show_id: "s1".into(), slow_mode_s: 3601 }))
        .then_expect_error(ModerationError::Invalid { field: "slow_mode_s", reason: "is at most 3600" });
}

#[test]
fn chat_settings_set_slow_mode_and_followers_only_together() {
    let settings =
        ModerationAction::SetChatSettings { show_id: "s1".into(), slow_mode_s: Some(30), followers_only: Some(true) };
    let expected = vec![
        ModerationEvent::SlowModeSet { show_id: "s1".into(), slow_mode_s: 30, by: "cara".into() },
        ModerationEvent::FollowersOnlySet { show_id: "s1".into(), followers_only: true, by: "cara".into() },
    ];
    ModerationTestFramework::with(())
        .given_no_previous_events()
        .when(by("cara", settings))
        .then_expect_events(expected);
    let nothing = ModerationAction::SetChatSettings { show_id: "s1".into(), slow_mode_s: None, followers_only: None };
    let refused = ModerationTestFramework::with(()).given_no_previous_events().when(by("cara", nothing));
    refused.then_expect_error_message("invalid `body`: give slow_mode_s, followers_only or both");
}
