//! Given/when/then tests for a show's polls: who may open and close them,
//! which ballots count, and how a poll ends.

use chrono::{DateTime, Duration, Utc};
use cqrs_es::test::TestFramework;

use super::{Ballot, CloseReason, PollError, Polls, PollsCommand, PollsEvent};
use crate::ids::PollId;
use crate::poll::aggregate::BallotRefusal;
use crate::show::ShowStatus;

type PollsTestFramework = TestFramework<Polls>;

fn now() -> DateTime<Utc> {
    "2026-11-30T12:00:00Z".parse().unwrap()
}

fn open(owner: bool, show: ShowStatus, duration_s: Option<u32>, changeable: bool) -> PollsCommand {
    PollsCommand::Open {
        show_id: "s1".into(),
        owner,
        show,
        question: " Which colour? ".into(),
        options: vec!["Red".into(), " Blue ".into()],
        duration_s,
        changeable,
        now: now(),
    }
}

fn opened(closes_at: Option<DateTime<Utc>>, changeable: bool) -> PollsEvent {
    PollsEvent::PollOpened {
        poll_id: PollId::new("s1", 1),
        question: "Which colour?".into(),
        options: vec!["Red".into(), "Blue".into()],
        changeable,
        closes_at,
        opened_at: now(),
    }
}

fn ballot(voter: &str, option: u8) -> Ballot {
    Ballot { voter: voter.into(), option }
}

fn vote(ballots: Vec<Ballot>) -> PollsCommand {
    PollsCommand::Vote { number: 1, ballots, now: now() }
}

fn cast(ballots: Vec<Ballot>, counts: Vec<u64>) -> PollsEvent {
    PollsEvent::VotesCast { poll_id: PollId::new("s1", 1), ballots, counts }
}

#[test]
fn test_open_by_the_creator_of_a_show_that_has_not_ended() {
    PollsTestFramework::with(())
        .given_no_previous_events()
        .when(open(true, ShowStatus::Live, Some(60), false))
        .then_expect_events(vec![opened(Some(now() + Duration::seconds(60)), false)]);
    PollsTestFramework::with(())
        .given_no_previous_events()
        .when(open(false, ShowStatus::Live, None, false))
        .then_expect_error(PollError::NotCreator);
    PollsTestFramework::with(())
        .given_no_previous_events()
        .when(open(true, ShowStatus::Ended, None, false))
        .then_expect_error(PollError::ShowEnded);
    PollsTestFramework::with(())
        .given(vec![opened(None, false)])
        .when(open(true, ShowStatus::Live, None, false))
        .then_expect_error(PollError::AlreadyOpen);
}

#[test]
fn test_open_refuses_bad_questions_and_options() {
    let mut bad = open(true, ShowStatus::Live, None, false);
    if let PollsCommand::Open { options, .. } = &mut bad {
        *options = vec!["Red".into(), "red ".into()];
    }
    PollsTestFramework::with(())
        .given_no_previous_events()
        .when(bad)
        .then_expect_error(PollError::Invalid { field: "options", reason: "each is different" });
    PollsTestFramework::with(())
        .given_no_previous_events()
        .when(open(true, ShowStatus::Live, Some(5), false))
        .then_expect_error(PollError::Invalid { field: "duration_s", reason: "is 10 to 3600 seconds" });
}

#[test]
fn test_vote_counts_each_voter_once_unless_the_poll_lets_them_change() {
    PollsTestFramework::with(())
        .given(vec![opened(None, false), cast(vec![ballot("ann", 0)], vec![1, 0])])
        .when(vote(vec![ballot("ann", 1), ballot("bob", 1), ballot("bob", 1), ballot("cy", 0)]))
        .then_expect_events(vec![cast(vec![ballot("bob", 1), ballot("cy", 0)], vec![2, 1])]);
    PollsTestFramework::with(())
        .given(vec![opened(None, true), cast(vec![ballot("ann", 0)], vec![1, 0])])
        .when(vote(vec![ballot("ann", 1), ballot("bob", 0)]))
        .then_expect_events(vec![cast(vec![ballot("ann", 1), ballot("bob", 0)], vec![1, 1])]);
}

#[test]
fn test_judge_says_why_a_ballot_was_refused() {
    let mut polls = Polls::default();
    cqrs_es::Aggregate::apply(&mut polls, opened(None, false));
    cqrs_es::Aggregate::apply(&mut polls, cast(vec![ballot("ann", 0)], vec![1, 0]));
    let (taken, refused) = polls.judge(1, &[ballot("ann", 1), ballot("bob", 7), ballot("ann", 0)]);
    assert!(taken.is_empty(), "a repeat of ann's counted vote is no news");
    assert_eq!(
        refused,
        vec![(ballot("ann", 1), BallotRefusal::AlreadyVoted), (ballot("bob", 7), BallotRefusal::NoSuchOption)]
    );
}

#[test]
fn test_a_closed_or_expired_poll_takes_no_votes_and_closes_with_its_result() {
    let closes_at = now() - Duration::seconds(1);
    PollsTestFramework::with(())
        .given(vec![opened(Some(closes_at), false)])
        .when(vote(vec![ballot("ann", 0)]))
        .then_expect_error(PollError::Closed);
    PollsTestFramework::with(())
        .given(vec![opened(Some(closes_at), false), cast(vec![ballot("ann", 1)], vec![0, 1])])
        .when(PollsCommand::Expire { now: now() })
        .then_expect_events(vec![PollsEvent::PollClosed {
            poll_id: PollId::new("s1", 1),
            counts: vec![0, 1],
            voters: 1,
            leading: vec![1],
            reason: CloseReason::TimeUp,
            closed_at: now(),
        }]);
    PollsTestFramework::with(())
        .given(vec![opened(None, false)])
        .when(PollsCommand::Close { owner: false, number: 1, now: now() })
        .then_expect_error(PollError::NotCreator);
    PollsTestFramework::with(())
        .given(vec![opened(None, false)])
        .when(PollsCommand::EndWithShow { now: now() })
        .then_expect_events(vec![PollsEvent::PollClosed {
            poll_id: PollId::new("s1", 1),
            counts: vec![0, 0],
            voters: 0,
            leading: vec![],
            reason: CloseReason::ShowEnded,
            closed_at: now(),
        }]);
}

#[test]
fn test_closing_a_closed_poll_is_no_news() {
    let closed = PollsEvent::PollClosed {
        poll_id: PollId::new("s1", 1),
        counts: vec![0, 0],
        voters: 0,
        leading: vec![],
        reason: CloseReason::Closed,
        closed_at: now(),
    };
    PollsTestFramework::with(())
        .given(vec![opened(None, false), closed])
        .when(PollsCommand::Close { owner: true, number: 1, now: now() })
        .then_expect_events(vec![]);
    PollsTestFramework::with(())
        .given_no_previous_events()
        .when(PollsCommand::Close { owner: true, number: 1, now: now() })
        .then_expect_error(PollError::NotFound);
}
