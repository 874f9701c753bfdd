//! `GET /api/v1/openapi.json`: the OpenAPI 3 document, derived from the
//! handlers' `#[utoipa::path]` annotations, plus the refusals they share.

use std::collections::BTreeMap;

use axum::Json;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};
use utoipa::{IntoResponses, Modify, OpenApi};

use super::{
    accounts, browse, categories, channels, chat, chat_rules, clips, dashboard, events, follows, health, live, me_live,
    metrics, moderation, notifications, orders, polls, products, raids, reservations, sessions, show_products, shows,
    videos,
};
use crate::error::{ErrorBody, ErrorDetail};

#[derive(OpenApi)]
#[openapi(
    info(title = "Cartcast API", description = "Live shopping: products, reservations, orders and shows."),
    paths(
        health::healthz,
        metrics::metrics,
        openapi_json,
        products::create_product,
        products::get_product,
        products::add_stock,
        reservations::reserve,
        reservations::release,
        reservations::checkout,
        orders::get_order,
        orders::order_history,
        events::events,
        categories::categories,
        shows::create_show,
        browse::list_shows,
        browse::search,
        shows::get_show,
        shows::edit_show,
        shows::cancel_show,
        show_products::attach_products,
        show_products::show_products,
        shows::pin_product,
        shows::unpin_product,
        raids::raid,
        live::live_socket,
        dashboard::show_dashboard,
        chat::chat_replay,
        sessions::create_session,
        accounts::sign_up,
        accounts::sign_in,
        accounts::refresh,
        accounts::set_roles,
        moderation::appoint_moderator,
        moderation::dismiss_moderator,
        moderation::ban,
        moderation::unban,
        moderation::set_banned_words,
        moderation::delete_message,
        moderation::set_chat_settings,
        moderation::highlight,
        chat_rules::chat_settings,
        chat_rules::channel_moderation,
        polls::open_poll,
        polls::close_poll,
        polls::get_poll,
        clips::request_clip,
        clips::get_clip,
        channels::regenerate_stream_key,
        channels::set_channel_profile,
        channels::get_channel,
        videos::channel_videos,
        videos::show_video,
        follows::follow,
        follows::unfollow,
        notifications::my_notifications,
        me_live::my_live_socket,
        notifications::mark_notifications_read,
    ),
    components(schemas(ErrorBody, ErrorDetail)),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "operations",
    responses((status = 200, description = "This document", content_type = "application/json", body = Object)),
)]
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// The document as checked in at `command-api/openapi.json`, which the web
/// UI generates its API types from.
pub fn openapi_document() -> String {
    serde_json::to_string_pretty(&ApiDoc::openapi()).expect("the OpenAPI document serializes") + "\n"
}

/// Declares the `bearer` scheme the paths' `security(("bearer" = []))` refer to.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let scheme = HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build();
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// What any command may be refused with before or instead of its outcome.
pub struct CommandRefusals;

impl IntoResponses for CommandRefusals {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        refusals(&[
            ("400", "`malformed_json` or `invalid_idempotency_key`"),
            ("401", "`missing_token`, `invalid_token` or `token_expired`"),
            ("403", "`forbidden`: the token's role may not send this command"),
            ("413", "`body_too_large`: over 64 KiB"),
            ("415", "`unsupported_media_type`: the body must be `application/json`"),
            ("422", "`invalid_input` (the message names the field) or `unknown_field`"),
            (
                "503",
                "`command_pending`: accepted but not decided in time, retry with the same Idempotency-Key; \
                 or `unavailable`. Both with `Retry-After`",
            ),
        ])
    }
}

/// What any read may be refused with.
pub struct ReadRefusals;

impl IntoResponses for ReadRefusals {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        refusals(&[
            ("401", "`missing_token`, `invalid_token` or `token_expired` (a sent token must be valid)"),
            ("422", "`invalid_input`: `after` is not a position"),
            ("503", "`not_caught_up`: the read models have not reached `after` within 5 s; with `Retry-After`"),
        ])
    }
}

fn refusals(list: &[(&str, &str)]) -> BTreeMap<String, RefOr<Response>> {
    list.iter()
        .map(|(status, description)| {
            let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
            let response = ResponseBuilder::new().description(*description).content("application/json", content);
            (status.to_string(), response.build().into())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_documented_with_its_refusals() {
        let document = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let paths = document["paths"].as_object().unwrap();
        for path in [
            "/healthz",
            "/metrics",
            "/api/v1/openapi.json",
            "/api/v1/products",
            "/api/v1/products/{id}",
            "/api/v1/products/{id}/stock",
            "/api/v1/products/{id}/reservations",
            "/api/v1/reservations/{id}",
            "/api/v1/reservations/{id}/checkout",
            "/api/v1/orders/{id}",
            "/api/v1/orders/{id}/history",
            "/api/v1/shows",
            "/api/v1/shows/{id}",
            "/api/v1/shows/{id}/pin",
        ] {
            assert!(paths.contains_key(path), "{path} is missing");
        }
        let create = &paths["/api/v1/products"]["post"];
        assert!(create["requestBody"].is_object());
        for status in ["201", "401", "403", "422", "503"] {
            assert!(create["responses"][status].is_object(), "POST /api/v1/products lacks {status}");
        }
        assert_eq!(document["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
        assert!(document["components"]["schemas"]["ErrorBody"].is_object());
    }

    /// With `CARTCAST_BLESS=1` it writes the file instead (the web build reads it, so
    /// the binary cannot be what prints it).
    #[test]
    fn the_checked_in_document_is_the_served_one() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
        if std::env::var_os("CARTCAST_BLESS").is_some() {
            std::fs::write(&path, openapi_document()).unwrap();
        }
        let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            checked_in == openapi_document(),
            "{} is not the API's document; write it with \
             `CARTCAST_BLESS=1 cargo test -p cartcast-command-api --lib the_checked_in_document`",
            path.display(),
        );
    }
}
