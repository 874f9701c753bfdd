//! Given/when/then tests for handles: one holder at a time.

use cqrs_es::test::TestFramework;

use super::{Handle, HandleCommand, HandleError, HandleEvent};

type HandleTestFramework = TestFramework<Handle>;

fn claim(channel_id: &str) -> HandleCommand {
    HandleCommand::Claim { channel_id: channel_id.to_owned() }
}

fn claimed(channel_id: &str) -> HandleEvent {
    HandleEvent::HandleClaimed { channel_id: channel_id.to_owned() }
}

#[test]
fn a_free_handle_goes_to_the_first_claim() {
    HandleTestFramework::with(())
        .given_no_previous_events()
        .when(claim("cara"))
        .then_expect_events(vec![claimed("cara")]);
}

#[test]
fn a_held_handle_is_refused_to_another_channel() {
    HandleTestFramework::with(()).given(vec![claimed("cara")]).when(claim("dan")).then_expect_error(HandleError::Taken);
}

#[test]
fn claiming_ones_own_handle_again_is_no_news() {
    HandleTestFramework::with(()).given(vec![claimed("cara")]).when(claim("cara")).then_expect_events(vec![]);
}

#[test]
fn a_released_handle_can_be_claimed_by_another() {
    let released = HandleEvent::HandleReleased { channel_id: "cara".to_owned() };
    HandleTestFramework::with(())
        .given(vec![claimed("cara"), released])
        .when(claim("dan"))
        .then_expect_events(vec![claimed("dan")]);
}

#[test]
fn only_the_holder_releases() {
    let release = HandleCommand::Release { channel_id: "dan".to_owned() };
    HandleTestFramework::with(()).given(vec![claimed("cara")]).when(release).then_expect_events(vec![]);
}
