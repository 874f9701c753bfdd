//! `GET /hls/…`: master and media playlists with blocking reload
//! (`_HLS_msn`/`_HLS_part`), init segments, segments and parts that wait for
//! the next part to exist; cache headers fit for a CDN in front.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use tokio::time::Instant;

use crate::hls::show::{Fetched, MediaFile, ShowMedia, is_safe_name, read_file};
use crate::hub::MediaHub;

/// The `/hls` routes, for the API's router or the media role's own.
pub fn hls_router(hub: Arc<MediaHub>) -> Router {
    Router::new()
        .route("/hls/{show_id}/master.m3u8", get(master))
        .route("/hls/{show_id}/clips/{file}", get(clip))
        .route("/hls/{show_id}/thumbs/{file}", get(thumbnail))
        .route("/hls/{show_id}/{rendition}/{file}", get(media))
        .with_state(hub)
}

const PLAYLIST: &str = "application/vnd.apple.mpegurl";
/// Parts, segments and init segments never change once served.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Live playlists change with every part.
const LIVE: &str = "public, max-age=1";

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({"error": {"code": code, "message": message}});
    let mut response = (status, axum::Json(body)).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "not_found", "no such show, rendition or media file")
}

fn body(content_type: &'static str, cache: &'static str, data: impl Into<axum::body::Body>) -> Response {
    let mut response = Response::new(data.into());
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    response
}

/// A stored file as is, or 404.
async fn stored(path: std::path::PathBuf, content_type: &'static str, cache: &'static str) -> Response {
    match tokio::fs::read(path).await {
        Ok(data) => body(content_type, cache, data),
        Err(_) => not_found(),
    }
}

/// How long a blocking request may be held: three segment targets, as the
/// draft suggests, then 503.
fn hold_until(hub: &MediaHub) -> Instant {
    Instant::now() + 3 * hub.config().timing.segment_target
}

/// Waits for the show's next change (`changed` is taken before the check it
/// follows, so nothing slips between); false once `deadline` passes.
async fn next_change(mut changed: tokio::sync::watch::Receiver<u64>, deadline: Instant) -> bool {
    tokio::time::timeout_at(deadline, changed.changed()).await.is_ok_and(|changed| changed.is_ok())
}

/// A show this worker holds in memory, or the directory of one it ended earlier.
enum Found {
    Live(Arc<ShowMedia>),
    OnDisk(std::path::PathBuf),
}

fn find(hub: &MediaHub, show_id: &str) -> Option<Found> {
    if let Some(media) = hub.show(show_id) {
        return Some(Found::Live(media));
    }
    hub.show_dir(show_id).filter(|dir| dir.is_dir()).map(Found::OnDisk)
}

async fn master(State(hub): State<Arc<MediaHub>>, Path(show_id): Path<String>) -> Response {
    match find(&hub, &show_id) {
        Some(Found::Live(media)) => match media.master() {
            Some(master) => body(PLAYLIST, if media.ended() { IMMUTABLE } else { "public, max-age=2" }, master),
            None => error(StatusCode::NOT_FOUND, "stream_starting", "the stream has no complete segment yet"),
        },
        Some(Found::OnDisk(dir)) => stored(dir.join("master.m3u8"), PLAYLIST, IMMUTABLE).await,
        None => error(StatusCode::NOT_FOUND, "not_streamed", "this show has not streamed here"),
    }
}

async fn media(
    State(hub): State<Arc<MediaHub>>,
    Path((show_id, rendition, file)): Path<(String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if !is_safe_name(&rendition) {
        return not_found();
    }
    let Some(found) = find(&hub, &show_id) else { return not_found() };
    let content_type = if rendition == crate::ingest::pipeline::AUDIO { "audio/mp4" } else { "video/mp4" };
    if file == "index.m3u8" {
        return match found {
            Found::Live(media) => playlist(&hub, &media, &rendition, &query).await,
            Found::OnDisk(dir) => stored(dir.join(&rendition).join("index.m3u8"), PLAYLIST, IMMUTABLE).await,
        };
    }
    let Some(file) = MediaFile::parse(&file) else { return not_found() };
    match found {
        Found::Live(media) => {
            let deadline = hold_until(&hub);
            loop {
                let changed = media.subscribe();
                match media.file(&rendition, file).await {
                    Fetched::Ready(data) => return body(content_type, IMMUTABLE, data),
                    Fetched::Missing => return not_found(),
                    Fetched::Soon => {
                        if !next_change(changed, deadline).await {
                            return error(
                                StatusCode::SERVICE_UNAVAILABLE,
                                "part_late",
                                "the part did not arrive in time",
                            );
                        }
                    }
                }
            }
        }
        Found::OnDisk(dir) => match read_file(&dir, &rendition, file).await {
            Fetched::Ready(data) => body(content_type, IMMUTABLE, data),
            _ => not_found(),
        },
    }
}

/// A finished clip's MP4.
async fn clip(State(hub): State<Arc<MediaHub>>, Path((show_id, file)): Path<(String, String)>) -> Response {
    let Some(clip_id) = file.strip_suffix(".mp4").filter(|id| is_safe_name(id)) else { return not_found() };
    let Some(dir) = hub.show_dir(&show_id) else { return not_found() };
    stored(dir.join("clips").join(format!("{clip_id}.mp4")), "video/mp4", IMMUTABLE).await
}

/// A thumbnail: `<second>.jpg` (immutable) or `latest.jpg` (changes every few seconds).
async fn thumbnail(State(hub): State<Arc<MediaHub>>, Path((show_id, file)): Path<(String, String)>) -> Response {
    let Some(stem) = file.strip_suffix(".jpg") else { return not_found() };
    let cache = match stem {
        "latest" => "public, max-age=2",
        _ if stem.parse::<u64>().is_ok() => IMMUTABLE,
        _ => return not_found(),
    };
    let Some(dir) = hub.show_dir(&show_id) else { return not_found() };
    stored(dir.join("thumbs").join(&file), "image/jpeg", cache).await
}

/// A media playlist; with `_HLS_msn` (and `_HLS_part`) it is held until that
/// segment (part) is listed; with `_HLS_skip=YES` it is a delta update.
async fn playlist(hub: &MediaHub, media: &ShowMedia, rendition: &str, query: &HashMap<String, String>) -> Response {
    let number = |name: &str| query.get(name).map(|v| v.parse::<u64>());
    let (msn, part) = match (number("_HLS_msn"), number("_HLS_part")) {
        (Some(Err(_)), _) | (_, Some(Err(_))) => {
            return error(StatusCode::BAD_REQUEST, "bad_directive", "_HLS_msn and _HLS_part are whole numbers");
        }
        (None, Some(_)) => return error(StatusCode::BAD_REQUEST, "bad_directive", "_HLS_part needs _HLS_msn"),
        (Some(Ok(msn)), part) => (Some(msn), part.and_then(Result::ok)),
        (None, None) => (None, None),
    };
    let skip = match query.get("_HLS_skip").map(String::as_str) {
        None => false,
        Some("YES") => true,
        Some(_) => return error(StatusCode::BAD_REQUEST, "bad_directive", "_HLS_skip takes YES"),
    };
    let Some(next_msn) = media.next_msn(rendition) else { return not_found() };
    if let Some(msn) = msn {
        if msn > next_msn + 2 {
            return error(StatusCode::BAD_REQUEST, "msn_too_far", "_HLS_msn is more than two segments ahead");
        }
        let deadline = hold_until(hub);
        loop {
            let changed = media.subscribe();
            if media.has(rendition, msn, part) == Some(true) {
                break;
            }
            if !next_change(changed, deadline).await {
                return error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "playlist_late",
                    "the asked segment did not arrive in time",
                );
            }
        }
    }
    let Some(text) = media.playlist(rendition, skip) else { return not_found() };
    // A delivery-directive URL names one state of the playlist: cacheable for longer.
    let cache = if media.ended() {
        IMMUTABLE
    } else if msn.is_some() {
        "public, max-age=6"
    } else {
        LIVE
    };
    body(PLAYLIST, cache, Bytes::from(text))
}
