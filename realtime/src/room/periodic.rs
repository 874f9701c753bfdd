//! What a room does every report interval besides hearing and sending: it
//! reads the chat rules again, records its reactions and how many chat
//! messages it posted, reads the dashboard for the creator, reports its audience
//! to the other gateways and, while it leads the show, records the summed
//! audience and a sample of it.

use std::sync::Arc;

use tokio::sync::watch;
use tokio::time::Instant;

use cartcast_infra::envelope::{AppCommand, CommandEnvelope};

use super::{Room, SAMPLE_EVERY};
use crate::gateway::Gateway;
use crate::presence::{self, Audience, REPORT_EVERY};
use crate::relay::RoomMessage;

/// Reads the channel's chat rules again; users banned since are told to go.
pub(super) async fn refresh_rules(room: &Room) {
    let mut rules = match room.core.seed.chat_rules(&room.channel, &room.show_id).await {
        Ok(rules) => rules,
        Err(error) => {
            tracing::warn!(show_id = %room.show_id, %error, "reading the chat rules");
            return;
        }
    };
    let mut state = room.state();
    let newly_banned: Vec<String> =
        rules.bans.keys().filter(|user| rules.is_banned(user) && !state.rules.is_banned(user)).cloned().collect();
    state.pending_banned.extend(newly_banned);
    // A highlight heard on the relay may be newer than the read side yet.
    let heard_later = match (&state.rules.highlight, &rules.highlight) {
        (Some(heard), Some(read)) => heard.ts > read.ts,
        (Some(_), None) => true,
        _ => false,
    };
    if heard_later {
        rules.highlight = state.rules.highlight.take();
    }
    state.rules = rules;
}

/// While the show's creator has a socket here, reads the show's dashboard;
/// one that changed goes to the creator's sockets with the next batch.
pub(super) async fn refresh_dashboard(room: &Room) {
    if !room.state().seats.holds(&room.channel) {
        return;
    }
    let dashboard = match room.core.seed.dashboard(&room.show_id).await {
        Ok(Some(dashboard)) => dashboard,
        Ok(None) => return,
        Err(error) => {
            tracing::warn!(show_id = %room.show_id, %error, "reading the show's dashboard");
            return;
        }
    };
    let mut state = room.state();
    if state.dashboard.as_ref() != Some(&dashboard) {
        state.dashboard = Some(dashboard);
        state.pending_dashboard = true;
    }
}

/// What the leading gateway samples of the show's audience.
struct Sample {
    audience: Audience,
    peak: u64,
    unique: u64,
}

/// Records an audience sample as the show's `AudienceSampled`, beside the
/// room's loop; a sample that fails is simply followed by the next one.
fn record_sample(room: &Room, sample: Sample) {
    let command = AppCommand::SampleAudience {
        show_id: room.show_id.clone(),
        connected: sample.audience.connected,
        watching: sample.audience.watching,
        peak: sample.peak,
        unique: sample.unique,
    };
    let (bus, timeout, show_id) = (room.core.bus.clone(), room.core.command_timeout, room.show_id.clone());
    tokio::spawn(async move {
        let envelope = CommandEnvelope::from_system("presence", None, command);
        if let Err(error) = bus.dispatch(envelope, timeout).await {
            tracing::warn!(%show_id, %error, "sampling the audience");
        }
    });
}

/// Records what this gateway accepted since the last record as the show's
/// `ReactionsCounted`, beside the room's loop; what fails is tried again at
/// the next report.
pub(super) fn record_reactions(room: &Arc<Room>) {
    let Some(counts) = room.state().tally.take_unrecorded() else {
        return;
    };
    let command = AppCommand::CountReactions { show_id: room.show_id.clone(), counts: counts.clone() };
    record(room, "reactions", command, move |room| room.state().tally.restore_unrecorded(&counts));
}

/// Records how many chat messages this gateway posted since the last record
/// as the show's `ChatCounted`, beside the room's loop; what fails is tried
/// again at the next report.
pub(super) fn record_chat(room: &Arc<Room>) {
    let messages = std::mem::take(&mut room.state().chat_unrecorded);
    if messages == 0 {
        return;
    }
    let command = AppCommand::CountChat { show_id: room.show_id.clone(), messages };
    record(room, "chat", command, move |room| room.state().chat_unrecorded += messages);
}

/// Sends `command` from the gateway's `part`, beside the room's loop; if the
/// command log does not take it, `restore` puts back what it carried.
fn record(room: &Arc<Room>, part: &'static str, command: AppCommand, restore: impl FnOnce(&Room) + Send + 'static) {
    let room = room.clone();
    tokio::spawn(async move {
        let envelope = CommandEnvelope::from_system(part, None, command);
        if let Err(error) = room.core.bus.dispatch(envelope, room.core.command_timeout).await {
            tracing::warn!(show_id = %room.show_id, %error, part, "recording the room's counts");
            restore(&room);
        }
    });
}

/// Tells the other gateways this one's audience, and records the summed
/// audience while this gateway leads the room. True once the room is closed.
pub(super) async fn report_audience(
    room: &Room,
    gateway: &Gateway,
    recorder: &mut Option<watch::Sender<Audience>>,
) -> bool {
    let closed = gateway.close_if_empty(room);
    let (own, total, leads, uniques, sample) = {
        let mut state = room.state();
        let now = Instant::now();
        state.pacer.forget_idle(now);
        state.reports_sent += 1;
        let total = state.audience(&room.core.id);
        let heard_the_others = now.saturating_duration_since(room.opened) > REPORT_EVERY;
        let leads = (heard_the_others || closed) && state.reports.leads(&room.core.id);
        let sample = (leads && state.reports_sent.is_multiple_of(SAMPLE_EVERY)).then(|| Sample {
            audience: total,
            peak: state.peak,
            unique: state.uniques.estimate(),
        });
        (state.seats.audience(&room.core.id), total, leads, state.uniques.registers().to_vec(), sample)
    };
    let report = RoomMessage::Audience {
        gateway: room.core.id.clone(),
        connected: own.connected,
        watching: own.watching,
        leaving: closed,
        uniques,
    };
    if let Some(sample) = sample {
        record_sample(room, sample);
    }
    if let Err(error) = room.core.relay.publish(&room.show_id, &report).await {
        tracing::warn!(show_id = %room.show_id, %error, "reporting the audience");
    }
    match (leads, recorder.as_ref()) {
        (true, Some(sender)) => {
            sender.send_replace(total);
        }
        (true, None) => {
            let (sender, receiver) = watch::channel(total);
            let core = &room.core;
            tokio::spawn(presence::record(room.show_id.clone(), receiver, core.bus.clone(), core.command_timeout));
            *recorder = Some(sender);
        }
        // Another gateway leads: the recorder records its last value and stops.
        (false, _) => *recorder = None,
    }
    closed
}
