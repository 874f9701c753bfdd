//! The HTTP application: the router, bound to a listener, served until a
//! shutdown signal.

use std::future::Future;
use std::net::SocketAddr;

use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;
use tokio_util::task::TaskTracker;

use crate::error::{ApiError, NotFound};
use crate::extract::BODY_LIMIT;
use crate::instrument;
use crate::routes;
use crate::state::AppState;

/// A bound, not yet serving, HTTP API.
pub struct Application {
    listener: TcpListener,
    router: Router,
}

impl Application {
    /// Binds `addr` (port 0 picks a free port; see [`Self::local_addr`]) for `router`.
    pub async fn build(addr: SocketAddr, router: Router) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        Ok(Self { listener, router })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound TCP listener has an address")
    }

    /// Serves until `shutdown` resolves, then finishes the requests in flight.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        // The peer's address is each request's `ConnectInfo`, for per-address limits.
        let service = self.router.into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, service).with_graceful_shutdown(shutdown).await
    }
}

/// Every route, behind the body limit and the per-request observability.
pub fn router(state: AppState) -> Router {
    let router = Router::new()
        .route("/healthz", get(routes::healthz))
        .route("/metrics", get(routes::metrics))
        .route("/api/v1/openapi.json", get(routes::openapi_json))
        .route("/api/v1/products", post(routes::create_product))
        .route("/api/v1/products/{id}", get(routes::get_product))
        .route("/api/v1/products/{id}/stock", post(routes::add_stock))
        .route("/api/v1/products/{id}/reservations", post(routes::reserve))
        .route("/api/v1/reservations/{id}", delete(routes::release))
        .route("/api/v1/reservations/{id}/checkout", post(routes::checkout))
        .route("/api/v1/orders/{id}", get(routes::get_order))
        .route("/api/v1/orders/{id}/history", get(routes::order_history))
        .route("/api/v1/events", get(routes::events))
        .route("/api/v1/categories", get(routes::categories))
        .route("/api/v1/shows", get(routes::list_shows).post(routes::create_show))
        .route("/api/v1/search", get(routes::search))
        .route("/api/v1/shows/{id}", get(routes::get_show).patch(routes::edit_show))
        .route("/api/v1/shows/{id}/cancel", post(routes::cancel_show))
        .route("/api/v1/shows/{id}/products", get(routes::show_products).post(routes::attach_products))
        .route("/api/v1/shows/{id}/pin", post(routes::pin_product).delete(routes::unpin_product))
        .route("/api/v1/shows/{id}/raid", post(routes::raid))
        .route("/api/v1/shows/{id}/live", get(routes::live_socket))
        .route("/api/v1/shows/{id}/dashboard", get(routes::show_dashboard))
        .route("/api/v1/shows/{id}/chat", get(routes::chat_replay))
        .route("/api/v1/sessions", post(routes::create_session))
        .route("/api/v1/accounts", post(routes::sign_up))
        .route("/api/v1/accounts/{user}/roles", put(routes::set_roles))
        .route("/api/v1/login", post(routes::sign_in))
        .route("/api/v1/login/refresh", post(routes::refresh))
        .route("/api/v1/shows/{id}/chat/{message_id}", delete(routes::delete_message))
        .route("/api/v1/shows/{id}/chat-settings", get(routes::chat_settings).put(routes::set_chat_settings))
        .route("/api/v1/shows/{id}/highlight", post(routes::highlight))
        .route("/api/v1/shows/{id}/polls", post(routes::open_poll))
        .route("/api/v1/polls/{id}", get(routes::get_poll))
        .route("/api/v1/polls/{id}/close", post(routes::close_poll))
        .route(
            "/api/v1/channels/me/moderators/{user}",
            put(routes::appoint_moderator).delete(routes::dismiss_moderator),
        )
        .route("/api/v1/channels/me/banned-words", put(routes::set_banned_words))
        .route("/api/v1/channels/me/moderation", get(routes::channel_moderation))
        .route("/api/v1/channels/{channel}/bans", post(routes::ban))
        .route("/api/v1/channels/{channel}/bans/{user}", delete(routes::unban))
        .route("/api/v1/clips", post(routes::request_clip))
        .route("/api/v1/clips/{id}", get(routes::get_clip))
        .route("/api/v1/channels/me", put(routes::set_channel_profile))
        .route("/api/v1/channels/{channel}", get(routes::get_channel))
        .route("/api/v1/channels/{channel}/videos", get(routes::channel_videos))
        .route("/api/v1/shows/{id}/video", get(routes::show_video))
        .route("/api/v1/channels/{channel}/follow", put(routes::follow).delete(routes::unfollow))
        .route("/api/v1/me/notifications", get(routes::my_notifications))
        .route("/api/v1/me/live", get(routes::my_live_socket))
        .route("/api/v1/me/notifications/read", post(routes::mark_notifications_read))
        .route("/api/v1/channels/me/stream-key", post(routes::regenerate_stream_key));
    finish(router, state)
}

/// The routes of the `gateway` role: viewers' live sockets and the
/// anonymous sessions they open them with, beside `/healthz` and `/metrics`.
pub fn gateway_router(state: AppState) -> Router {
    let router = Router::new()
        .route("/healthz", get(routes::healthz))
        .route("/metrics", get(routes::metrics))
        .route("/api/v1/sessions", post(routes::create_session))
        .route("/api/v1/shows/{id}/live", get(routes::live_socket))
        .route("/api/v1/me/live", get(routes::my_live_socket));
    finish(router, state)
}

/// What every API router answers unknown routes and methods with, its body
/// limit and its per-request observability.
fn finish(router: Router<AppState>, state: AppState) -> Router {
    router
        .fallback(|| async { ApiError::NotFound(NotFound::Route) })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn(instrument::observe))
        .with_state(state)
}

/// The operations endpoints of the roles that serve no API (`worker`,
/// `projector`): `/healthz` (200 while the role's work runs) and `/metrics`,
/// observed as the API's routes are (a failing `/healthz` is logged there).
pub fn ops_router(metrics: PrometheusHandle, work: TaskTracker) -> Router {
    let healthz = move || {
        let running = !work.is_empty();
        async move {
            if running {
                Ok(Json(routes::Health { status: "ok" }))
            } else {
                Err(ApiError::unavailable("the role's background work has stopped"))
            }
        }
    };
    let metrics = move || {
        let metrics = metrics.clone();
        async move { routes::prometheus_text(&metrics) }
    };
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .layer(middleware::from_fn(instrument::observe))
}
