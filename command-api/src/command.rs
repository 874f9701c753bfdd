//! The command path's edge: an authorized caller's request becomes a
//! [`CommandEnvelope`], goes to the command log, and its outcome comes back
//! as a [`CommandReply`] (rendered in [`crate::outcome`]).

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::Utc;
use uuid::Uuid;

use cartcast_infra::envelope::{self, AppCommand, CommandEnvelope};

use crate::auth::{Authenticated, RoleGate};
use crate::error::ApiError;
use crate::extract::{CorrelationId, IdempotencyKey};
use crate::outcome::CommandReply;
use crate::state::AppState;

/// Everything a command needs from its request besides the body: the caller
/// (already checked against `R`), the idempotency key and the correlation id.
/// Extracted before the body, so a refused caller is answered before their
/// body is even read.
pub struct CommandContext<R> {
    user: Authenticated,
    key: IdempotencyKey,
    correlation: CorrelationId,
    gate: PhantomData<R>,
}

impl<R: RoleGate> FromRequestParts<AppState> for CommandContext<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let user = Authenticated::from_request_parts(parts, state).await?;
        user.require(R::ROLES)?;
        let key = IdempotencyKey::from_request_parts(parts, state).await?;
        let Ok(correlation) = CorrelationId::from_request_parts(parts, state).await;
        Ok(Self { user, key, correlation, gate: PhantomData })
    }
}

impl<R> CommandContext<R> {
    /// Who sends the command.
    pub fn actor(&self) -> &envelope::Actor {
        &self.user.actor
    }

    /// Builds the command from its id (new resources derive their ids from
    /// it, so a repeat names the same resource), dispatches it and waits for
    /// its outcome.
    pub async fn send(
        self,
        state: &AppState,
        command: impl FnOnce(Uuid) -> AppCommand,
    ) -> Result<CommandReply, ApiError> {
        let command_id = self.key.command_id(&self.user.actor);
        let command = command(command_id);
        let span = tracing::Span::current();
        span.record("command", command.name());
        span.record("command_id", tracing::field::display(command_id));
        let envelope = CommandEnvelope {
            command_id,
            actor: self.user.actor,
            correlation_id: self.correlation.0,
            received_at: Utc::now(),
            command,
        };
        let outcome = state.bus.dispatch(envelope, state.settings.command_timeout).await?;
        Ok(CommandReply::new(outcome, state.ingest_url.clone()))
    }
}

/// The id of a resource a command creates: `kind` scoped to the command id.
pub fn new_resource_id(command_id: Uuid, kind: &str) -> String {
    envelope::derived_id(command_id, kind).hyphenated().to_string()
}
