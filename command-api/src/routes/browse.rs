//! Finding shows: the directory (`GET /api/v1/shows`, filtered, sorted and
//! paged with opaque cursors) and search over shows, channels and products
//! (`GET /api/v1/search`).

use anyhow::Context;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::Uri;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use cartcast_domain::show::CATEGORIES;
use cartcast_projections::views::MAX_QUERY;
use cartcast_projections::{Browse, PageEnd, ProductView, Sort};

use super::channels::ChannelCard;
use super::openapi::ReadRefusals;
use super::shows::Show;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ReadAfter, page_limit};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ShowsQuery {
    /// `live` (default), `scheduled` or `ended`.
    pub status: Option<String>,
    /// One of `GET /api/v1/categories`.
    pub category: Option<String>,
    pub tag: Option<String>,
    /// A language tag such as `en`.
    pub language: Option<String>,
    /// `viewers` (default for live), `starts_at` (default for scheduled) or `recent` (default for ended).
    pub sort: Option<String>,
    /// 1 to 100 (default 20).
    // Read as text so that a bad value is answered as `limit`, not as the whole query.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ShowList {
    pub items: Vec<Show>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/shows",
    tag = "shows",
    params(ShowsQuery, ReadAfter),
    responses(
        (status = 200, body = ShowList),
        (status = 400, description = "`invalid_cursor`", body = ErrorBody),
        (status = 422, description = "`invalid_input`: unknown status, sort or category, `limit` outside 1–100", body = ErrorBody),
        ReadRefusals,
    ),
)]
pub async fn list_shows(State(state): State<AppState>, uri: Uri, after: ReadAfter) -> Result<Json<ShowList>, ApiError> {
    let query = Query::<ShowsQuery>::try_from_uri(&uri).map_err(|e| ApiError::invalid("query", e.body_text()))?.0;
    let browse = browse(query)?;
    after.wait(&state.read_models).await?;
    let page = state.read_models.browse(&browse).await.context("browsing shows")?;
    Ok(Json(ShowList {
        items: page.items.into_iter().map(Show::card).collect(),
        next_cursor: page.next.as_ref().map(encode_cursor),
    }))
}

/// The query, checked.
fn browse(query: ShowsQuery) -> Result<Browse, ApiError> {
    let status = query.status.unwrap_or_else(|| "live".to_owned());
    let default_sort = match status.as_str() {
        "live" => Sort::Viewers,
        "scheduled" => Sort::StartsAt,
        "ended" => Sort::Recent,
        _ => return Err(ApiError::invalid("status", "is live, scheduled or ended")),
    };
    let sort = match query.sort.as_deref() {
        None => default_sort,
        Some("viewers") => Sort::Viewers,
        Some("starts_at") => Sort::StartsAt,
        Some("recent") => Sort::Recent,
        Some(_) => return Err(ApiError::invalid("sort", "is viewers, starts_at or recent")),
    };
    if let Some(category) = &query.category
        && !CATEGORIES.iter().any(|known| known.id == category)
    {
        return Err(ApiError::invalid("category", "is not a known category (GET /api/v1/categories)"));
    }
    let limit = page_limit(query.limit.as_deref())?;
    let after = query.cursor.as_deref().map(decode_cursor).transpose()?;
    if after.as_ref().is_some_and(|end| end.sort != sort) {
        return Err(ApiError::InvalidCursor);
    }
    let lower = |value: Option<String>| value.map(|v| v.trim().to_lowercase());
    Ok(Browse {
        status,
        category: query.category,
        tag: lower(query.tag),
        language: lower(query.language),
        creator: None,
        sort,
        limit,
        after,
    })
}

pub(super) fn encode_cursor(end: &PageEnd) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(end).expect("a page end serializes"))
}

pub(super) fn decode_cursor(cursor: &str) -> Result<PageEnd, ApiError> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| ApiError::InvalidCursor)?;
    serde_json::from_slice(&bytes).map_err(|_| ApiError::InvalidCursor)
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// 1 to 200 characters; each word matches as a prefix.
    pub q: Option<String>,
    /// Most results of each kind: 1 to 100 (default 20).
    // Read as text so that a bad value is answered as `limit`, not as the whole query.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResults {
    /// Best first in each kind.
    pub shows: Vec<Show>,
    pub channels: Vec<ChannelCard>,
    pub products: Vec<ProductView>,
}

#[utoipa::path(
    get,
    path = "/api/v1/search",
    tag = "shows",
    params(SearchQuery),
    responses(
        (status = 200, body = SearchResults),
        (status = 422, description = "`invalid_input`: `q` missing, blank or over 200 characters; `limit` outside 1–100", body = ErrorBody),
        ReadRefusals,
    ),
)]
pub async fn search(State(state): State<AppState>, uri: Uri) -> Result<Json<SearchResults>, ApiError> {
    let query = Query::<SearchQuery>::try_from_uri(&uri).map_err(|e| ApiError::invalid("query", e.body_text()))?.0;
    let q = query.q.unwrap_or_default();
    if q.trim().is_empty() || q.chars().count() > MAX_QUERY {
        return Err(ApiError::invalid("q", "is 1 to 200 characters"));
    }
    let limit = page_limit(query.limit.as_deref())?;
    let found = state.read_models.search(&q, limit).await.context("searching")?;
    Ok(Json(SearchResults {
        shows: found.shows.into_iter().map(Show::card).collect(),
        channels: found.channels.into_iter().map(ChannelCard::from).collect(),
        products: found.products,
    }))
}
