//! Shows: schedule one, read it (its stream key only for its creator), edit
//! or cancel it, pin a product on screen.

use std::collections::BTreeMap;

use anyhow::Context;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use cartcast_domain::show::Listing;
use cartcast_infra::envelope::AppCommand;
use cartcast_infra::outcome::{ProductPinned, ProductUnpinned, ShowAnswer, ShowStatusChanged};
use cartcast_projections::ShowView;

use super::openapi::{CommandRefusals, ReadRefusals};
use crate::auth::{Authenticated, Creator};
use crate::command::{CommandContext, new_resource_id};
use crate::error::{ApiError, ErrorBody, NotFound};
use crate::extract::{IdempotencyKey, JsonBody, PathId, ReadAfter};
use crate::outcome::{Answered, CommandReply, ShowCreated};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateShowRequest {
    #[schema(example = "Friday drop")]
    pub title: String,
    pub scheduled_at: Option<DateTime<Utc>>,
    /// Products sold during the show.
    #[serde(default)]
    pub product_ids: Vec<String>,
    /// One of `GET /api/v1/categories`.
    #[schema(example = "fashion")]
    pub category: Option<String>,
    /// At most 5; each 1 to 30 letters, digits, `-` or `_` (lower-cased).
    #[serde(default)]
    #[schema(example = json!(["vintage", "denim"]))]
    pub tags: Vec<String>,
    /// A language tag such as `en` or `pt-BR`.
    #[schema(example = "en")]
    pub language: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/shows",
    tag = "shows",
    request_body = CreateShowRequest,
    params(IdempotencyKey),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Scheduled; stream to `ingest_url` with `stream_key`", body = Answered<ShowCreated>),
        CommandRefusals,
    ),
)]
pub async fn create_show(
    State(state): State<AppState>,
    context: CommandContext<Creator>,
    JsonBody(body): JsonBody<CreateShowRequest>,
) -> Result<CommandReply, ApiError> {
    context
        .send(&state, |command_id| AppCommand::CreateShow {
            show_id: new_resource_id(command_id, "show"),
            title: body.title,
            scheduled_at: body.scheduled_at,
            product_ids: body.product_ids,
            listing: Listing { category: body.category, tags: body.tags, language: body.language },
        })
        .await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Viewers {
    /// Open sockets.
    pub connected: u64,
    /// Of those, players that report playing.
    pub watching: u64,
    /// The most watching at once so far (sampled every ~10 s).
    pub peak: u64,
    /// About how many distinct sessions watched (HyperLogLog, ~3%).
    pub unique: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Show {
    pub show_id: String,
    pub creator: String,
    /// The creator's channel's handle, once set.
    pub channel: Option<String>,
    pub title: String,
    /// `scheduled`, `live`, `ended` or `cancelled`.
    #[schema(example = "scheduled")]
    pub status: String,
    pub scheduled_at: Option<String>,
    /// When it went live and ended (RFC 3339).
    pub live_at: Option<String>,
    pub ended_at: Option<String>,
    pub category: Option<String>,
    pub tags: Vec<String>,
    pub language: Option<String>,
    pub product_ids: Vec<String>,
    pub pinned_product_id: Option<String>,
    /// The HLS master playlist.
    #[schema(example = "/hls/0190b2c4-0000-7000-8000-000000000000/master.m3u8")]
    pub manifest_url: String,
    /// A still of the stream, refreshed every few seconds while live; absent before it starts.
    pub thumbnail_url: Option<String>,
    pub viewers: Viewers,
    /// Every reaction counted in the show, per emoji (a show read alone, not in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reactions: Option<BTreeMap<String, u64>>,
    /// Only for the show's creator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_key: Option<String>,
    /// Only for the show's creator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ingest_url: Option<String>,
}

impl Show {
    /// The public view, plus the ingest details when `creator_view`.
    fn new(view: ShowView, reactions: BTreeMap<String, u64>, creator_view: bool, ingest_url: &str) -> Self {
        let stream_key = view.stream_key.clone().filter(|_| creator_view);
        let ingest_url = creator_view.then(|| ingest_url.to_owned());
        Self { reactions: Some(reactions), stream_key, ingest_url, ..Self::card(view) }
    }

    /// The show as lists carry it: public, without its reactions.
    pub(super) fn card(view: ShowView) -> Self {
        let started = view.live_at.is_some();
        Self {
            reactions: None,
            manifest_url: format!("/hls/{}/master.m3u8", view.show_id),
            thumbnail_url: started.then(|| format!("/hls/{}/thumbs/latest.jpg", view.show_id)),
            viewers: Viewers {
                connected: view.viewers_connected,
                watching: view.viewers_watching,
                peak: view.peak_viewers,
                unique: view.unique_viewers,
            },
            stream_key: None,
            ingest_url: None,
            show_id: view.show_id,
            creator: view.creator,
            channel: view.channel_handle,
            title: view.title,
            status: view.status,
            scheduled_at: view.scheduled_at,
            live_at: view.live_at,
            ended_at: view.ended_at,
            category: view.listing.category,
            tags: view.listing.tags,
            language: view.listing.language,
            product_ids: view.product_ids,
            pinned_product_id: view.pinned_product_id,
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/shows/{id}",
    tag = "shows",
    params(("id" = String, Path, description = "Show id"), ReadAfter),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = Show),
        (status = 404, description = "`show_not_found`", body = ErrorBody),
        ReadRefusals,
    ),
)]
pub async fn get_show(
    State(state): State<AppState>,
    user: Option<Authenticated>,
    PathId(show_id): PathId,
    after: ReadAfter,
) -> Result<Json<Show>, ApiError> {
    after.wait(&state.read_models).await?;
    let show = state.read_models.show(&show_id).await.context("reading a show")?;
    let show = show.ok_or(ApiError::NotFound(NotFound::Show))?;
    let creator_view = user.is_some_and(|user| user.is(&show.creator));
    let reactions = state.read_models.reaction_totals(&show_id).await.context("reading a show's reactions")?;
    Ok(Json(Show::new(show, reactions, creator_view, &state.ingest_url)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PinRequest {
    /// One of the show's products.
    pub product_id: String,
    /// A drop: while the show is live, the channel's followers are notified.
    #[serde(default)]
    pub drop: bool,
}

#[utoipa::path(
    post,
    path = "/api/v1/shows/{id}/pin",
    tag = "shows",
    request_body = PinRequest,
    params(("id" = String, Path, description = "Show id"), IdempotencyKey),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Pinned", body = Answered<ProductPinned>),
        (status = 403, description = "`not_creator`: only the show's creator pins", body = ErrorBody),
        (status = 404, description = "`show_not_found`", body = ErrorBody),
        CommandRefusals,
    ),
)]
pub async fn pin_product(
    State(state): State<AppState>,
    context: CommandContext<Creator>,
    PathId(show_id): PathId,
    JsonBody(body): JsonBody<PinRequest>,
) -> Result<CommandReply, ApiError> {
    context.send(&state, |_| AppCommand::PinProduct { show_id, product_id: body.product_id, drop: body.drop }).await
}

#[utoipa::path(
    delete,
    path = "/api/v1/shows/{id}/pin",
    tag = "shows",
    params(("id" = String, Path, description = "Show id"), IdempotencyKey),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Nothing pinned now (a repeat changes nothing)", body = Answered<ProductUnpinned>),
        (status = 403, description = "`not_creator`: only the show's creator unpins", body = ErrorBody),
        (status = 404, description = "`show_not_found`", body = ErrorBody),
        CommandRefusals,
    ),
)]
pub async fn unpin_product(
    State(state): State<AppState>,
    context: CommandContext<Creator>,
    PathId(show_id): PathId,
) -> Result<CommandReply, ApiError> {
    context.send(&state, |_| AppCommand::UnpinProduct { show_id }).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditShowRequest {
    pub title: Option<String>,
    /// One of `GET /api/v1/categories`.
    pub category: Option<String>,
    /// Replaces the show's tags: at most 5.
    pub tags: Option<Vec<String>>,
    pub language: Option<String>,
    /// A new time for a scheduled show: in the future, at most a year ahead.
    pub scheduled_at: Option<DateTime<Utc>>,
}

#[utoipa::path(
    patch,
    path = "/api/v1/shows/{id}",
    tag = "shows",
    request_body = EditShowRequest,
    params(("id" = String, Path, description = "Show id"), IdempotencyKey),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Edited (or already so)", body = Answered<ShowAnswer>),
        (status = 403, description = "`not_creator`", body = ErrorBody),
        (status = 404, description = "`show_not_found`", body = ErrorBody),
        (status = 409, description = "`wrong_show_status`: only a scheduled show is rescheduled; a cancelled one is not edited", body = ErrorBody),
        CommandRefusals,
    ),
)]
pub async fn edit_show(
    State(state): State<AppState>,
    context: CommandContext<Creator>,
    PathId(show_id): PathId,
    JsonBody(body): JsonBody<EditShowRequest>,
) -> Result<CommandReply, ApiError> {
    context
        .send(&state, |_| AppCommand::EditShow {
            show_id,
            title: body.title,
            category: body.category,
            tags: body.tags,
            language: body.language,
            scheduled_at: body.scheduled_at,
        })
        .await
}

#[utoipa::path(
    post,
    path = "/api/v1/shows/{id}/cancel",
    tag = "shows",
    params(("id" = String, Path, description = "Show id"), IdempotencyKey),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Cancelled: it will not go live", body = Answered<ShowStatusChanged>),
        (status = 403, description = "`not_creator`", body = ErrorBody),
        (status = 404, description = "`show_not_found`", body = ErrorBody),
        (status = 409, description = "`wrong_show_status`: it is live or over", body = ErrorBody),
        CommandRefusals,
    ),
)]
pub async fn cancel_show(
    State(state): State<AppState>,
    context: CommandContext<Creator>,
    PathId(show_id): PathId,
) -> Result<CommandReply, ApiError> {
    context.send(&state, |_| AppCommand::CancelShow { show_id }).await
}
