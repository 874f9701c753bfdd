//! Who is calling: signed bearer tokens ([`token`]), their secret
//! ([`secret`]), and the extractors that turn a request's token into an actor.

mod secret;
mod token;

use std::time::SystemTime;

use axum::extract::{FromRequestParts, OptionalFromRequestParts, Query};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use serde::Deserialize;

use cartcast_domain::Role;
use cartcast_infra::envelope::Actor;

use crate::error::ApiError;
use crate::state::AppState;

pub use secret::load_secret;
pub use token::{AuthError, Claims, Signer};

/// A caller whose token verified.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub actor: Actor,
    pub claims: Claims,
}

impl Authenticated {
    /// Refuses with 403 unless the caller has one of `allowed` and is signed
    /// in (an anonymous session only watches).
    pub fn require(&self, allowed: &[Role]) -> Result<(), ApiError> {
        if self.claims.anonymous {
            return Err(ApiError::SignInRequired);
        }
        if allowed.contains(&self.actor.role) { Ok(()) } else { Err(ApiError::Forbidden) }
    }

    pub fn is(&self, sub: &str) -> bool {
        self.actor.sub == sub
    }
}

impl From<Claims> for Authenticated {
    fn from(claims: Claims) -> Self {
        Self { actor: Actor { sub: claims.sub.clone(), role: claims.role }, claims }
    }
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = bearer_token(parts)?.ok_or(AuthError::Missing)?;
        Ok(state.signer.verify(&token, SystemTime::now())?.into())
    }
}

/// `Option<Authenticated>`: anonymous callers are welcome, but a token that
/// is sent must be valid.
impl OptionalFromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Option<Self>, Self::Rejection> {
        match bearer_token(parts)? {
            Some(token) => Ok(Some(state.signer.verify(&token, SystemTime::now())?.into())),
            None => Ok(None),
        }
    }
}

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

/// The token from `Authorization: Bearer …`, else from `?token=` (browsers
/// cannot set headers on a WebSocket upgrade).
fn bearer_token(parts: &Parts) -> Result<Option<String>, AuthError> {
    if let Some(value) = parts.headers.get(AUTHORIZATION) {
        let value = value.to_str().map_err(|_| AuthError::Malformed)?;
        let (scheme, token) = value.split_once(' ').ok_or(AuthError::Malformed)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(AuthError::Malformed);
        }
        return Ok(Some(token.trim().to_owned()));
    }
    Ok(Query::<TokenQuery>::try_from_uri(&parts.uri).ok().and_then(|q| q.0.token))
}

/// The roles a [`crate::command::CommandContext`] admits, as a type so that a
/// handler's signature says who may call it.
pub trait RoleGate: Send + Sync + 'static {
    const ROLES: &'static [Role];
}

/// Creators only.
pub struct Creator;

impl RoleGate for Creator {
    const ROLES: &'static [Role] = &[Role::Creator];
}

/// Anyone taking part in shows: viewers, creators, moderators, admins.
pub struct Member;

impl RoleGate for Member {
    const ROLES: &'static [Role] = &[Role::Viewer, Role::Creator, Role::Moderator, Role::Admin];
}

/// Viewers only: the buyers.
pub struct Viewer;

impl RoleGate for Viewer {
    const ROLES: &'static [Role] = &[Role::Viewer];
}
