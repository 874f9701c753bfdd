//! Given/when/then tests for follows: counted once, never one's own channel.

use cqrs_es::test::TestFramework;

use super::{FollowError, Follows, FollowsCommand, FollowsEvent};

type FollowsTestFramework = TestFramework<Follows>;

fn follow(channel_id: &str) -> FollowsCommand {
    FollowsCommand::Follow { user: "ann".to_owned(), channel_id: channel_id.to_owned() }
}

fn followed(channel_id: &str) -> FollowsEvent {
    FollowsEvent::ChannelFollowed { user: "ann".to_owned(), channel_id: channel_id.to_owned() }
}

#[test]
fn a_follow_is_recorded_once() {
    FollowsTestFramework::with(())
        .given_no_previous_events()
        .when(follow("cara"))
        .then_expect_events(vec![followed("cara")]);
    FollowsTestFramework::with(()).given(vec![followed("cara")]).when(follow("cara")).then_expect_events(vec![]);
}

#[test]
fn an_unfollow_only_undoes_a_follow() {
    let unfollow = || FollowsCommand::Unfollow { user: "ann".to_owned(), channel_id: "cara".to_owned() };
    let unfollowed = FollowsEvent::ChannelUnfollowed { user: "ann".to_owned(), channel_id: "cara".to_owned() };
    FollowsTestFramework::with(())
        .given(vec![followed("cara")])
        .when(unfollow())
        .then_expect_events(vec![unfollowed.clone()]);
    FollowsTestFramework::with(())
        .given(vec![followed("cara"), unfollowed])
        .when(unfollow())
        .then_expect_events(vec![]);
    FollowsTestFramework::with(())
        .given(vec![followed("cara")])
        .when(follow("dan"))
        .then_expect_events(vec![followed("dan")]);
}

#[test]
fn nobody_follows_their_own_channel() {
    FollowsTestFramework::with(())
        .given_no_previous_events()
        .when(follow("ann"))
        .then_expect_error(FollowError::OwnChannel);
}

#[test]
fn follows_are_capped() {
    let many = (0..super::aggregate::MAX_FOLLOWS).map(|i| followed(&format!("c{i}"))).collect();
    FollowsTestFramework::with(()).given(many).when(follow("one_more")).then_expect_error(FollowError::TooMany);
}

#[test]
fn reading_only_moves_forwards() {
    let read = |up_to| FollowsCommand::MarkRead { user: "ann".to_owned(), up_to };
    let was_read = FollowsEvent::NotificationsRead { user: "ann".to_owned(), up_to: 40 };
    FollowsTestFramework::with(()).given_no_previous_events().when(read(40)).then_expect_events(vec![was_read.clone()]);
    FollowsTestFramework::with(()).given(vec![was_read]).when(read(12)).then_expect_events(vec![]);
}
