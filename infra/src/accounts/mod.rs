//! Sign-in accounts: who may be issued a signed token, and with which roles.
//!
//! This is the identity provider's store, not the event log's: the event log
//! only ever names a user by the token's subject (the username) in its actor
//! metadata. The password is kept as an argon2id hash (a PHC string), never in
//! clear; deleting the row forgets it. One table (`accounts`) in the
//! deployment's database — the event store's SQLite file, or PostgreSQL —
//! through one `sqlx::Any` adapter, like the test gateway's ledger.

mod password;

pub use password::{Password, WeakPassword};

use chrono::{DateTime, Utc};
use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;

use cartcast_domain::Role;

/// Every account holds this role; the others are granted by an admin.
pub const BASE_ROLE: Role = Role::Viewer;

/// An account as the API answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Lower-cased, `[a-z0-9_]{3,25}`: the tokens' subject, shown in chat.
    pub username: String,
    /// Sorted, `viewer` first; never empty.
    pub roles: Vec<Role>,
}

impl Account {
    pub fn holds(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("the username is taken")]
    UsernameTaken,
    #[error("accounts database: {0}")]
    Database(#[from] sqlx::Error),
}

/// A username as stored: lower-cased, then checked against `[a-z0-9_]{3,25}`.
pub fn normalize_username(raw: &str) -> Option<String> {
    let username = raw.trim().to_lowercase();
    let valid = (3..=25).contains(&username.len())
        && username.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    valid.then_some(username)
}

#[derive(Debug, Clone)]
pub struct Accounts {
    pool: AnyPool,
}

impl Accounts {
    /// The accounts table in the database at `url` (`sqlite://…/events.sqlite`
    /// or a PostgreSQL URL), migrated by the event store of that shape.
    pub async fn open(url: &str) -> Result<Self, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let pool = AnyPoolOptions::new().max_connections(4).connect(url).await?;
        Ok(Self { pool })
    }

    /// Opens an account; the deployment's first account is its admin.
    pub async fn register(&self, username: &str, hash: &str, now: DateTime<Utc>) -> Result<Account, AccountError> {
        // Two first sign-ups at once: both try `first_account = 1`, one loses
        // on that unique column and tries again as an ordinary account.
        for _ in 0..2 {
            let inserted = sqlx::query(
                "INSERT INTO accounts (username, password_hash, roles, first_account, created_at) \
                 SELECT $1, $2, CASE WHEN EXISTS (SELECT 1 FROM accounts) THEN '' ELSE 'admin' END, \
                        CASE WHEN EXISTS (SELECT 1 FROM accounts) THEN NULL ELSE 1 END, $3",
            )
            .bind(username)
            .bind(hash)
            .bind(now.to_rfc3339())
            .execute(&self.pool)
            .await;
            match inserted {
                Ok(_) => {
                    return self.find(username).await?.map(|found| found.account).ok_or(AccountError::UsernameTaken);
                }
                Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
                    if self.find(username).await?.is_some() {
                        return Err(AccountError::UsernameTaken);
                    }
                }
                Err(error) => return Err(error.into()),
            }
        }
        Err(AccountError::UsernameTaken)
    }

    /// The account and its password hash, if `username` has one.
    pub async fn find(&self, username: &str) -> Result<Option<Credentials>, sqlx::Error> {
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT password_hash, roles FROM accounts WHERE username = $1")
                .bind(username)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(hash, roles)| Credentials {
            account: Account { username: username.to_owned(), roles: with_base(parse_roles(&roles)) },
            hash,
        }))
    }

    /// Replaces the roles an admin granted (`viewer` is always held); None when there is no such account.
    pub async fn set_roles(&self, username: &str, roles: &[Role]) -> Result<Option<Account>, sqlx::Error> {
        let granted = with_base(roles.to_vec());
        let stored = granted.iter().filter(|role| **role != BASE_ROLE).map(|role| role.as_str()).collect::<Vec<_>>();
        let updated = sqlx::query("UPDATE accounts SET roles = $1 WHERE username = $2")
            .bind(stored.join(","))
            .bind(username)
            .execute(&self.pool)
            .await?;
        Ok((updated.rows_affected() == 1).then(|| Account { username: username.to_owned(), roles: granted }))
    }
}

/// An account with what its password must verify against.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub account: Account,
    /// argon2id, PHC string format.
    pub hash: String,
}

fn parse_roles(stored: &str) -> Vec<Role> {
    stored.split(',').filter_map(|role| role.parse().ok()).collect()
}

/// `viewer` plus `roles`, sorted, without repeats.
fn with_base(mut roles: Vec<Role>) -> Vec<Role> {
    roles.push(BASE_ROLE);
    roles.sort();
    roles.dedup();
    roles
}
