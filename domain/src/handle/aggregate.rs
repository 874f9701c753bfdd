//! The handle aggregate: who holds it, its claims and releases.

use cqrs_es::{Aggregate, DomainEvent};

use crate::refusal::{DomainError, RefusalKind};

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Handle {
    /// The channel holding the handle now, if any.
    pub holder: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum HandleCommand {
    /// Give the handle to `channel_id`; no news if it holds it already.
    Claim { channel_id: String },
    /// `channel_id` lets the handle go; no news if it does not hold it.
    Release { channel_id: String },
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "PascalCase")]
pub enum HandleEvent {
    HandleClaimed { channel_id: String },
    HandleReleased { channel_id: String },
}

impl DomainEvent for HandleEvent {
    fn event_type(&self) -> String {
        match self {
            HandleEvent::HandleClaimed { .. } => "HandleClaimed",
            HandleEvent::HandleReleased { .. } => "HandleReleased",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        crate::versions::current(&self.event_type()).to_string()
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HandleError {
    #[error("another channel has this handle")]
    Taken,
}

impl DomainError for HandleError {
    fn code(&self) -> &'static str {
        match self {
            HandleError::Taken => "handle_taken",
        }
    }

    fn kind(&self) -> RefusalKind {
        match self {
            HandleError::Taken => RefusalKind::Conflict,
        }
    }
}

impl Handle {
    fn decide(&self, command: HandleCommand) -> Result<Vec<HandleEvent>, HandleError> {
        match command {
            HandleCommand::Claim { channel_id } => match &self.holder {
                Some(holder) if *holder == channel_id => Ok(vec![]),
                Some(_) => Err(HandleError::Taken),
                None => Ok(vec![HandleEvent::HandleClaimed { channel_id }]),
            },
            HandleCommand::Release { channel_id } => Ok(if self.holder.as_ref() == Some(&channel_id) {
                vec![HandleEvent::HandleReleased { channel_id }]
            } else {
                vec![]
            }),
        }
    }
}

impl Aggregate for Handle {
    const TYPE: &'static str = "Handle";
    type Command = HandleCommand;
    type Event = HandleEvent;
    type Error = HandleError;
    type Services = ();

    crate::handle_by_deciding!();

    fn apply(&mut self, event: Self::Event) {
        match event {
            HandleEvent::HandleClaimed { channel_id } => self.holder = Some(channel_id),
            HandleEvent::HandleReleased { .. } => self.holder = None,
        }
    }
}
