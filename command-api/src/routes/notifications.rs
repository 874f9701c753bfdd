//! A signed-in user's notifications from the channels they follow: a page
//! of them newest first with the unread count, and marking them read.

use anyhow::Context;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::Uri;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use cartcast_infra::envelope::AppCommand;
use cartcast_infra::outcome::NotificationsRead;
use cartcast_projections::notifications::{NOTIFICATIONS, NotificationView};

use super::openapi::{CommandRefusals, ReadRefusals};
use crate::auth::{Authenticated, Member, RoleGate};
use crate::command::CommandContext;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{IdempotencyKey, JsonBody, ReadAfter, page_limit};
use crate::outcome::{Answered, CommandReply};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationsQuery {
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 100 (default 20).
    // Read as text so that a bad value is answered as `limit`, not as the whole query.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Notifications {
    /// Newest first.
    pub items: Vec<NotificationView>,
    pub unread: u64,
    /// Pass as `cursor` for older ones; absent on the last page.
    pub next_cursor: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/me/notifications",
    tag = "notifications",
    params(NotificationsQuery, ReadAfter),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Notifications),
        (status = 400, description = "`invalid_cursor`", body = ErrorBody),
        (status = 422, description = "`invalid_input`: `limit` outside 1–100", body = ErrorBody),
        ReadRefusals,
    ),
)]
pub async fn my_notifications(
    State(state): State<AppState>,
    user: Authenticated,
    uri: Uri,
    after: ReadAfter,
) -> Result<Json<Notifications>, ApiError> {
    user.require(Member::ROLES)?;
    let query =
        Query::<NotificationsQuery>::try_from_uri(&uri).map_err(|e| ApiError::invalid("query", e.body_text()))?.0;
    let before = query.cursor.as_deref().map(|c| c.parse::<u64>().map_err(|_| ApiError::InvalidCursor)).transpose()?;
    let limit = page_limit(query.limit.as_deref())?;
    // Notifications name their show and channel from the catalog: both catch up.
    after.wait_on(&state.read_models, NOTIFICATIONS).await?;
    after.wait(&state.read_models).await?;
    let page =
        state.read_models.notifications(&user.actor.sub, before, limit).await.context("reading notifications")?;
    Ok(Json(Notifications {
        items: page.items,
        unread: page.unread,
        next_cursor: page.next_before.map(|id| id.to_string()),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkReadRequest {
    /// The newest notification read: it and every older one are marked read.
    pub up_to: u64,
}

#[utoipa::path(
    post,
    path = "/api/v1/me/notifications/read",
    tag = "notifications",
    request_body = MarkReadRequest,
    params(IdempotencyKey),
    security(("bearer" = [])),
    responses((status = 200, description = "Read up to `up_to`", body = Answered<NotificationsRead>), CommandRefusals),
)]
pub async fn mark_notifications_read(
    State(state): State<AppState>,
    context: CommandContext<Member>,
    JsonBody(body): JsonBody<MarkReadRequest>,
) -> Result<CommandReply, ApiError> {
    context.send(&state, |_| AppCommand::MarkNotificationsRead { up_to: body.up_to }).await
}
