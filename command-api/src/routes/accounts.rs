//! Accounts: sign up and sign in with a password, refresh a token (or
//! take one for another role the account holds), and, for admins, grant
//! roles. Tokens are the API's usual signed tokens; the account store keeps
//! only an argon2id hash of the password (see `cartcast_infra::accounts`).

use std::time::Duration;

use anyhow::Context;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use cartcast_domain::Role;
use cartcast_infra::accounts::{Account, AccountError, BASE_ROLE, Password, normalize_username};

use crate::auth::Authenticated;
use crate::error::{AccountRefusal, ApiError, ErrorBody, NotFound};
use crate::extract::{JsonBody, PathId};
use crate::limit::ClientAddress;
use crate::state::AppState;

/// How long a signed-in token lasts; the web UI refreshes it before then.
pub const ACCOUNT_TOKEN_TTL: Duration = Duration::from_secs(3600);

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignUpRequest {
    /// 3–25 of `a-z`, `0-9`, `_` (case-insensitive: stored lower-cased).
    pub username: String,
    /// At least 10 characters, 5 of them different, not containing the username.
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    pub username: String,
    pub password: String,
    /// A role the account holds, for the token; `viewer` when absent.
    pub role: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// A role the account holds, for the new token (`{}`: the current token's).
    pub role: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RolesRequest {
    /// The roles granted beside `viewer`, which every account holds.
    pub roles: Vec<String>,
}

/// A signed-in session.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignedIn {
    /// The username: the token's subject.
    pub user: String,
    pub token: String,
    /// RFC 3339.
    pub expires_at: String,
    /// The token's role.
    pub role: String,
    /// Every role the account holds (`viewer` first).
    pub roles: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountRoles {
    pub user: String,
    pub roles: Vec<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/accounts",
    tag = "accounts",
    request_body = SignUpRequest,
    responses(
        (status = 201, description = "Signed up and in, with a `viewer` token; the deployment's first account is its admin", body = SignedIn),
        (status = 409, description = "`username_taken`", body = ErrorBody),
        (status = 422, description = "`invalid_username` or `weak_password` (the message says why)", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many sign-ups from this address; see `Retry-After`", body = ErrorBody),
    ),
)]
pub async fn sign_up(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    JsonBody(request): JsonBody<SignUpRequest>,
) -> Result<(StatusCode, Json<SignedIn>), ApiError> {
    state.limits.sign_ups.take(address)?;
    let username = normalize_username(&request.username).ok_or(AccountRefusal::InvalidUsername)?;
    let password = Password::new(request.password);
    password.check_strength(&username).map_err(AccountRefusal::WeakPassword)?;
    let hash = tokio::task::spawn_blocking(move || password.hash()).await.context("hashing a password")?;
    let account = state.accounts.register(&username, &hash, Utc::now()).await.map_err(|error| match error {
        AccountError::UsernameTaken => ApiError::from(AccountRefusal::UsernameTaken),
        AccountError::Database(error) => ApiError::Unexpected(anyhow::Error::from(error).context("registering")),
    })?;
    tracing::info!(user = %account.username, roles = ?account.roles, "account opened");
    Ok((StatusCode::CREATED, Json(signed_in(&state, &account, BASE_ROLE))))
}

#[utoipa::path(
    post,
    path = "/api/v1/login",
    tag = "accounts",
    request_body = SignInRequest,
    responses(
        (status = 200, description = "Signed in", body = SignedIn),
        (status = 401, description = "`bad_credentials`: no such account, or the wrong password", body = ErrorBody),
        (status = 403, description = "`role_not_held`: the account does not hold the asked role", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many attempts for this account or from this address; see `Retry-After`", body = ErrorBody),
    ),
)]
pub async fn sign_in(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    JsonBody(request): JsonBody<SignInRequest>,
) -> Result<Json<SignedIn>, ApiError> {
    state.limits.sign_ins.take(address)?;
    let username = normalize_username(&request.username).unwrap_or_default();
    state.limits.sign_ins_per_account.take(username.clone())?;
    let found = state.accounts.find(&username).await.context("signing in")?;
    let password = Password::new(request.password);
    let hash = found.as_ref().map(|found| found.hash.clone());
    let verified =
        tokio::task::spawn_blocking(move || password.verify(hash.as_deref())).await.context("verifying a password")?;
    let account = found.filter(|_| verified).map(|found| found.account).ok_or(AccountRefusal::BadCredentials)?;
    let role = wanted_role(request.role.as_deref(), BASE_ROLE, &account)?;
    Ok(Json(signed_in(&state, &account, role)))
}

#[utoipa::path(
    post,
    path = "/api/v1/login/refresh",
    tag = "accounts",
    request_body = RefreshRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A fresh token, for the same or another role the account holds", body = SignedIn),
        (status = 401, description = "`missing_token`, `invalid_token`, `token_expired`; `bad_credentials` when the account is gone", body = ErrorBody),
        (status = 403, description = "`sign_in_required` (an anonymous session), `role_not_held`", body = ErrorBody),
    ),
)]
pub async fn refresh(
    State(state): State<AppState>,
    user: Authenticated,
    JsonBody(request): JsonBody<RefreshRequest>,
) -> Result<Json<SignedIn>, ApiError> {
    if user.claims.anonymous {
        return Err(ApiError::SignInRequired);
    }
    let found = state.accounts.find(&user.actor.sub).await.context("refreshing")?;
    let account = found.map(|found| found.account).ok_or(AccountRefusal::BadCredentials)?;
    let role = wanted_role(request.role.as_deref(), user.actor.role, &account)?;
    Ok(Json(signed_in(&state, &account, role)))
}

#[utoipa::path(
    put,
    path = "/api/v1/accounts/{user}/roles",
    tag = "accounts",
    params(("user" = String, Path, description = "The username")),
    request_body = RolesRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The account's roles now; its tokens carry them from their next sign-in or refresh", body = AccountRoles),
        (status = 403, description = "`forbidden`: admins only", body = ErrorBody),
        (status = 404, description = "`account_not_found`", body = ErrorBody),
        (status = 422, description = "`invalid_input`: an unknown role", body = ErrorBody),
    ),
)]
pub async fn set_roles(
    State(state): State<AppState>,
    admin: Authenticated,
    PathId(user): PathId,
    JsonBody(request): JsonBody<RolesRequest>,
) -> Result<Json<AccountRoles>, ApiError> {
    admin.require(&[Role::Admin])?;
    let roles = request
        .roles
        .iter()
        .map(|role| role.parse::<Role>().map_err(|_| ApiError::invalid("roles", format!("`{role}` is not a role"))))
        .collect::<Result<Vec<_>, _>>()?;
    let username = normalize_username(&user).ok_or(ApiError::NotFound(NotFound::Account))?;
    let account = state
        .accounts
        .set_roles(&username, &roles)
        .await
        .context("granting roles")?
        .ok_or(ApiError::NotFound(NotFound::Account))?;
    tracing::info!(user = %account.username, roles = ?account.roles, by = %admin.actor.sub, "roles set");
    Ok(Json(AccountRoles { user: account.username, roles: names(&account.roles) }))
}

/// The role asked for (else `default`), if the account holds it.
fn wanted_role(asked: Option<&str>, default: Role, account: &Account) -> Result<Role, ApiError> {
    let role = match asked {
        Some(name) => name.parse().map_err(|_| ApiError::invalid("role", format!("`{name}` is not a role")))?,
        None if account.holds(default) => default,
        None => BASE_ROLE,
    };
    if account.holds(role) { Ok(role) } else { Err(AccountRefusal::RoleNotHeld.into()) }
}

fn signed_in(state: &AppState, account: &Account, role: Role) -> SignedIn {
    let token = state.signer.issue(&account.username, role, None, ACCOUNT_TOKEN_TTL);
    let expires_at = DateTime::<Utc>::from(std::time::SystemTime::now() + ACCOUNT_TOKEN_TTL);
    SignedIn {
        user: account.username.clone(),
        token,
        expires_at: expires_at.to_rfc3339(),
        role: role.as_str().to_owned(),
        roles: names(&account.roles),
    }
}

fn names(roles: &[Role]) -> Vec<String> {
    roles.iter().map(|role| role.as_str().to_owned()).collect()
}
