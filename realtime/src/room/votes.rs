//! The room's ballots of one window, sent as one `CountVotes` command
//! beside the room's loop; each voter's socket gets the answer for its
//! ballot: `voted`, or an `error` frame saying why it did not count.

use std::sync::Arc;

use cartcast_infra::envelope::{AppCommand, CommandEnvelope};
use cartcast_infra::outcome::{Answer, Verdict};

use super::Room;
use crate::frames::ServerFrame;
use crate::polls::{PendingBallot, VoteRefusal};

/// Sends the window's ballots, if any.
pub(super) fn record(room: &Arc<Room>) {
    let Some((poll_id, pending)) = room.state().votes.take_pending() else {
        return;
    };
    let room = room.clone();
    tokio::spawn(async move {
        let ballots = pending.iter().map(|p| p.ballot.clone()).collect();
        let command = AppCommand::CountVotes { poll_id: poll_id.clone(), ballots };
        let envelope = CommandEnvelope::from_system("votes", None, command);
        let answered = room.core.bus.dispatch(envelope, room.core.command_timeout).await;
        let refused: Result<Vec<(String, u8, String)>, VoteRefusal> = match answered.map(|outcome| outcome.verdict) {
            Ok(Verdict::Answer(Answer::VotesCounted(counted))) => {
                Ok(counted.refused.into_iter().map(|r| (r.voter, r.option, r.code)).collect())
            }
            Ok(Verdict::Refusal(refusal)) => Err(VoteRefusal::from_code(&refusal.code)),
            Ok(other) => {
                tracing::warn!(show_id = %room.show_id, ?other, "votes answered with something else");
                Err(VoteRefusal::Unavailable)
            }
            Err(error) => {
                tracing::warn!(show_id = %room.show_id, %error, "counting votes");
                Err(VoteRefusal::Unavailable)
            }
        };
        let poll_id = poll_id.to_string();
        for PendingBallot { ballot, answer } in pending {
            let frame = match &refused {
                Err(refusal) => refusal.frame(),
                Ok(refused) => {
                    match refused.iter().find(|(voter, option, _)| *voter == ballot.voter && *option == ballot.option) {
                        Some((_, _, code)) => VoteRefusal::from_code(code).frame(),
                        None => {
                            room.state().votes.counted(&poll_id, &ballot);
                            ServerFrame::Voted { poll_id: poll_id.clone(), option: ballot.option }
                        }
                    }
                }
            };
            // The socket may have gone: nobody to tell.
            let _ = answer.send(frame);
        }
    });
}
