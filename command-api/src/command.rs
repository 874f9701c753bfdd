//! The command path's edge: an authorized caller's request becomes a
//! [`CommandEnvelope`], goes to the command log, and its [`Outcome`] becomes
//! the HTTP answer.

use std::marker::PhantomData;

use axum::Json;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use uuid::Uuid;

use cartcast_infra::envelope::{self, AppCommand, CommandEnvelope, Outcome};

use crate::auth::{Authenticated, RoleGate};
use crate::error::ApiError;
use crate::extract::{CorrelationId, IdempotencyKey};
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
        Ok(CommandReply(state.bus.dispatch(envelope, state.settings.command_timeout).await?))
    }
}

/// The id of a resource a command creates: `kind` scoped to the command id.
pub fn new_resource_id(command_id: Uuid, kind: &str) -> String {
    envelope::derived_id(command_id, kind).hyphenated().to_string()
}

/// A command's recorded outcome, answered as is (plus its feed `position`).
#[derive(Debug)]
pub struct CommandReply(Outcome);

impl CommandReply {
    /// Adds a field to a successful answer that the edge knows and the worker does not.
    pub fn with_field(mut self, name: &str, value: impl Into<serde_json::Value>) -> Self {
        if self.0.is_success()
            && let Some(body) = self.0.body.as_object_mut()
        {
            body.insert(name.to_owned(), value.into());
        }
        self
    }
}

impl IntoResponse for CommandReply {
    fn into_response(self) -> Response {
        let Outcome { status, mut body, position } = self.0;
        let Ok(status) = StatusCode::from_u16(status) else {
            return ApiError::Unexpected(anyhow::anyhow!("the outcome has no valid HTTP status: {status}"))
                .into_response();
        };
        if let (Some(position), Some(object)) = (position, body.as_object_mut()) {
            object.insert("position".to_owned(), position.into());
        }
        (status, Json(body)).into_response()
    }
}
