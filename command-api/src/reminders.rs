//! The reminder sweep: a process manager that reads which scheduled shows
//! are due a reminder (their start, less `CARTCAST_REMINDER_LEAD`, has
//! come, and their followers have not been reminded of this schedule) and
//! sends each a `RemindFollowers` command. The show decides (once per
//! schedule, only while scheduled) and the notifications projection fans
//! the reminder out. Every API process sweeps; the commands' ids are
//! derived from show and schedule, so two sweeps send one command.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;
use tracing::warn;

use cartcast_infra::envelope::{AppCommand, CommandEnvelope};

use crate::state::AppState;

/// How often the sweep looks for due reminders.
const EVERY: Duration = Duration::from_secs(2);

/// Sweep until `stop`.
pub async fn sweep(state: AppState, stop: CancellationToken) {
    while !stop.is_cancelled() {
        if let Err(e) = sweep_once(&state).await {
            warn!(error = %e, "reminder sweep failed; trying again");
        }
        tokio::select! {
            () = stop.cancelled() => {}
            () = tokio::time::sleep(EVERY) => {}
        }
    }
}

async fn sweep_once(state: &AppState) -> anyhow::Result<()> {
    let lead = chrono::Duration::from_std(state.settings.reminder_lead)?;
    let until = (Utc::now() + lead).to_rfc3339();
    for (show_id, scheduled_at) in state.read_models.reminders_due(&until).await? {
        let scheduled_at: DateTime<Utc> = DateTime::parse_from_rfc3339(&scheduled_at)?.to_utc();
        let key = format!("remind/{show_id}/{}", scheduled_at.timestamp_millis());
        let command = AppCommand::RemindFollowers { show_id, scheduled_at };
        let envelope = CommandEnvelope::from_system("reminders", Some(&key), command);
        state.bus.dispatch(envelope, state.settings.command_timeout).await?;
    }
    Ok(())
}
