//! The web UI, embedded: the files `web/app` builds to (see `build.rs`),
//! served at `/` by `cartcast up` and `cartcast api`. Every page path answers
//! the app's `index.html`, which routes on the client; hashed assets are
//! cached for ever; every answer carries a Content-Security-Policy that allows
//! no inline script and nothing from another origin.

use axum::Router;
use axum::extract::Path;
use axum::http::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, VARY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// One built file.
#[derive(Debug)]
struct Asset {
    /// The URL path: `/index.html`, `/assets/index-3f2a….js`.
    path: &'static str,
    content_type: &'static str,
    /// Its name carries a hash of its content, so it may be cached for ever.
    hashed: bool,
    body: &'static [u8],
    /// The same, gzipped, when that is smaller.
    gzip: Option<&'static [u8]>,
}

/// Every file of the build.
static ASSETS: &[Asset] = include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// The pages the app draws (the client's router has the same list). Each
/// answers `index.html`; any other path is the API's 404.
const PAGES: &[&str] = &[
    "/",
    "/shows/{id}",
    "/channels/{channel}",
    "/search",
    "/signin",
    "/signup",
    "/studio",
    "/studio/{*section}",
    "/admin",
    "/audit",
];

/// Scripts, styles, media and connections from this origin only; hls.js
/// runs its demuxer in a worker it starts from a `blob:` URL and plays
/// through MediaSource (`blob:` media).
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; worker-src 'self' blob:; \
object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The routes of the UI: its pages and `/assets/…`.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let page = get(|headers: HeaderMap| async move { serve(index(), &headers) });
    let asset = get(|Path(file): Path<String>, headers: HeaderMap| async move {
        match find(&format!("/assets/{file}")) {
            Some(asset) => serve(asset, &headers),
            None => StatusCode::NOT_FOUND.into_response(),
        }
    });
    PAGES.iter().fold(Router::new().route("/assets/{*file}", asset), |router, path| router.route(path, page.clone()))
}

/// The built file at `path`, if there is one.
fn find(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|asset| asset.path == path)
}

fn index() -> &'static Asset {
    find("/index.html").expect("the web build writes index.html")
}

fn serve(asset: &'static Asset, request: &HeaderMap) -> Response {
    // `gzip` or `gzip;q=…` with a weight above 0.
    let takes_gzip = request.get(ACCEPT_ENCODING).and_then(|value| value.to_str().ok()).is_some_and(|value| {
        value.split(',').map(str::trim).any(|coding| coding.starts_with("gzip") && !coding.ends_with("q=0"))
    });
    let cache = if asset.hashed { "public, max-age=31536000, immutable" } else { "no-cache" };
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if asset.gzip.is_some() {
        headers.insert(VARY, HeaderValue::from_static("Accept-Encoding"));
    }
    match asset.gzip.filter(|_| takes_gzip) {
        Some(gzip) => {
            headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            (headers, gzip).into_response()
        }
        None => (headers, asset.body).into_response(),
    }
}
