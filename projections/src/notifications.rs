//! The notifications projection: when a channel schedules a show, goes
//! live, sends a show's reminder or pins a drop, every follower of the
//! channel gets a notification, stored per user. Fan-out is one set-based
//! `INSERT … SELECT` over the followers, in this projection's own
//! transaction (never the command's, never the catalog's). It keeps its
//! own copy of who follows whom and of each show's channel, so it fans
//! out against the follows as of the event it applies.

use serde::{Deserialize, Serialize};
use sqlx::{Any, Row, Transaction};
use utoipa::ToSchema;

use cartcast_domain::follow::{Follows, FollowsEvent};
use cartcast_domain::show::{Show, ShowEvent};
use cartcast_infra::store::StoredEvent;
use cqrs_es::Aggregate;

use crate::read_models::{ReadError, ReadModels, bind_all, placeholders};

/// The projection's name in `projection_checkpoints`.
pub const NOTIFICATIONS: &str = "notifications";

/// What a notification says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    ShowScheduled,
    ShowReminder,
    ShowLive,
    DropPinned,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::ShowScheduled => "show_scheduled",
            Kind::ShowReminder => "show_reminder",
            Kind::ShowLive => "show_live",
            Kind::DropPinned => "drop_pinned",
        }
    }
}

/// One notification as its user reads it (`GET /api/v1/me/notifications`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = Notification)]
pub struct NotificationView {
    /// Grows with time: the feed position of what it tells of.
    pub id: u64,
    /// `show_scheduled`, `show_reminder`, `show_live` or `drop_pinned`.
    pub kind: String,
    pub show_id: String,
    pub show_title: Option<String>,
    /// The channel's creator's user id.
    pub channel_id: String,
    /// The channel's handle (its creator's user id until it has one), and its name once set.
    pub channel: String,
    pub channel_name: Option<String>,
    /// The pinned product of a `drop_pinned`.
    pub product_id: Option<String>,
    /// RFC 3339.
    pub at: String,
    pub read: bool,
}

/// A page of a user's notifications, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationPage {
    pub items: Vec<NotificationView>,
    pub unread: u64,
    /// The id to continue before, when more may follow.
    pub next_before: Option<u64>,
}

/// Apply one event at feed `position` inside the projection's transaction.
pub async fn apply(tx: &mut Transaction<'static, Any>, position: u64, event: &StoredEvent) -> Result<(), ReadError> {
    if event.aggregate_type == Follows::TYPE {
        return apply_follows(tx, event.payload_as()?, event).await;
    }
    if event.aggregate_type != Show::TYPE {
        return Ok(());
    }
    // A show's stream also holds samples from before they had their own.
    let Ok(show_event) = event.payload_as::<ShowEvent>() else {
        return Ok(());
    };
    let show_id = event.aggregate_id.as_str();
    let (kind, product_id) = match show_event {
        ShowEvent::ShowScheduled { creator, scheduled_at, .. } => {
            sqlx::query(
                "INSERT INTO rm_notify_shows (show_id, channel_id, status, scheduled_at) \
                 VALUES ($1, $2, 'scheduled', $3) ON CONFLICT (show_id) DO NOTHING",
            )
            .bind(show_id)
            .bind(creator)
            .bind(scheduled_at.map(|at| at.to_rfc3339()))
            .execute(&mut **tx)
            .await?;
            (Kind::ShowScheduled, None)
        }
        ShowEvent::ShowRescheduled { scheduled_at } => {
            return set_show(tx, show_id, "scheduled_at", scheduled_at.to_rfc3339()).await;
        }
        ShowEvent::ShowReminderDue { scheduled_at } => {
            set_show(tx, show_id, "reminded_for", scheduled_at.to_rfc3339()).await?;
            (Kind::ShowReminder, None)
        }
        ShowEvent::ShowWentLive { .. } => {
            set_show(tx, show_id, "status", "live".to_owned()).await?;
            (Kind::ShowLive, None)
        }
        ShowEvent::ProductPinned { product_id, drop: true } => {
            let status: Option<String> = sqlx::query_scalar("SELECT status FROM rm_notify_shows WHERE show_id = $1")
                .bind(show_id)
                .fetch_optional(&mut **tx)
                .await?;
            // A drop pinned before the show starts is news when it goes live, not now.
            if status.as_deref() != Some("live") {
                return Ok(());
            }
            (Kind::DropPinned, Some(product_id))
        }
        ShowEvent::ShowEnded { .. } => return set_show(tx, show_id, "status", "ended".to_owned()).await,
        ShowEvent::ShowCancelled => return set_show(tx, show_id, "status", "cancelled".to_owned()).await,
        _ => return Ok(()),
    };
    fan_out(tx, position, kind, show_id, product_id.as_deref(), event).await
}

async fn apply_follows(
    tx: &mut Transaction<'static, Any>,
    event: FollowsEvent,
    stored: &StoredEvent,
) -> Result<(), ReadError> {
    match event {
        FollowsEvent::ChannelFollowed { user, channel_id } => {
            sqlx::query(
                "INSERT INTO rm_followers (channel_id, user_id, since) VALUES ($1, $2, $3) \
                 ON CONFLICT (channel_id, user_id) DO NOTHING",
            )
            .bind(channel_id)
            .bind(user)
            .bind(stored.metadata.occurred_at.to_rfc3339())
            .execute(&mut **tx)
            .await?;
        }
        FollowsEvent::ChannelUnfollowed { user, channel_id } => {
            sqlx::query("DELETE FROM rm_followers WHERE channel_id = $1 AND user_id = $2")
                .bind(channel_id)
                .bind(user)
                .execute(&mut **tx)
                .await?;
        }
        FollowsEvent::NotificationsRead { user, up_to } => {
            sqlx::query("UPDATE rm_notifications SET read = 1 WHERE user_id = $1 AND id <= $2 AND read = 0")
                .bind(user)
                .bind(up_to as i64)
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

/// Set one column (`status`, `scheduled_at`, `reminded_for`) of the show's row.
async fn set_show(
    tx: &mut Transaction<'static, Any>,
    show_id: &str,
    column: &'static str,
    value: String,
) -> Result<(), ReadError> {
    sqlx::query(&format!("UPDATE rm_notify_shows SET {column} = $1 WHERE show_id = $2"))
        .bind(value)
        .bind(show_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A `kind` notification about `show_id` for every follower of its channel.
async fn fan_out(
    tx: &mut Transaction<'static, Any>,
    position: u64,
    kind: Kind,
    show_id: &str,
    product_id: Option<&str>,
    event: &StoredEvent,
) -> Result<(), ReadError> {
    let written = sqlx::query(
        "INSERT INTO rm_notifications (user_id, id, kind, show_id, channel_id, product_id, at, read) \
         SELECT f.user_id, $1, $2, s.show_id, s.channel_id, $3, $4, 0 \
         FROM rm_notify_shows s JOIN rm_followers f ON f.channel_id = s.channel_id WHERE s.show_id = $5 \
         ON CONFLICT (user_id, id) DO NOTHING",
    )
    .bind(position as i64)
    .bind(kind.as_str())
    .bind(product_id)
    .bind(event.metadata.occurred_at.to_rfc3339())
    .bind(show_id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    metrics::counter!("notifications_written_total", "kind" => kind.as_str()).increment(written);
    Ok(())
}

/// A notification with its show's title and its channel's handle and name
/// (from the catalog); [`notification_view`] reads it, its user is column 10.
const NOTIFICATION_SELECT: &str = "SELECT n.id, n.kind, n.show_id, s.title, n.channel_id, \
     COALESCE(c.handle, n.channel_id), c.display_name, \
     n.product_id, n.at, n.read, n.user_id FROM rm_notifications n \
     LEFT JOIN rm_shows s ON s.show_id = n.show_id LEFT JOIN rm_channels c ON c.channel_id = n.channel_id";
const NOTIFICATION_USER: usize = 10;

fn notification_view(r: &sqlx::any::AnyRow) -> NotificationView {
    NotificationView {
        id: r.get::<i64, _>(0) as u64,
        kind: r.get(1),
        show_id: r.get(2),
        show_title: r.get(3),
        channel_id: r.get(4),
        channel: r.get(5),
        channel_name: r.get(6),
        product_id: r.get(7),
        at: r.get(8),
        read: r.get::<i64, _>(9) != 0,
    }
}

impl ReadModels {
    /// `user`'s notifications newest first, before id `before` (all when
    /// `None`), at most `limit`, with their unread count.
    pub async fn notifications(
        &self,
        user: &str,
        before: Option<u64>,
        limit: u32,
    ) -> Result<NotificationPage, ReadError> {
        let sql = format!("{NOTIFICATION_SELECT} WHERE n.user_id = $1 AND n.id < $2 ORDER BY n.id DESC LIMIT $3");
        let rows = sqlx::query(&sql)
            .bind(user)
            .bind(before.map_or(i64::MAX, |id| id as i64))
            .bind(i64::from(limit) + 1)
            .fetch_all(self.pool())
            .await?;
        let more = rows.len() > limit as usize;
        let items: Vec<NotificationView> = rows.iter().take(limit as usize).map(notification_view).collect();
        let unread: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM rm_notifications WHERE user_id = $1 AND read = 0")
            .bind(user)
            .fetch_one(self.pool())
            .await?;
        let next_before = items.last().map(|n| n.id).filter(|_| more);
        Ok(NotificationPage { items, unread: unread as u64, next_before })
    }

    /// The notifications of `users` with ids in `(after, up_to]`, oldest first, each with its user.
    pub async fn notifications_between(
        &self,
        users: &[String],
        after: u64,
        up_to: u64,
    ) -> Result<Vec<(String, NotificationView)>, ReadError> {
        let n = users.len();
        let sql = format!(
            "{NOTIFICATION_SELECT} WHERE n.user_id IN ({}) AND n.id > ${} AND n.id <= ${} ORDER BY n.id",
            placeholders(n),
            n + 1,
            n + 2
        );
        let rows =
            bind_all(sqlx::query(&sql), users).bind(after as i64).bind(up_to as i64).fetch_all(self.pool()).await?;
        Ok(rows.iter().map(|row| (row.get(NOTIFICATION_USER), notification_view(row))).collect())
    }

    /// Scheduled shows whose reminder is due by `until` (their start minus
    /// the lead) and not sent for their current schedule: each id with its schedule.
    pub async fn reminders_due(&self, until: &str) -> Result<Vec<(String, String)>, ReadError> {
        let rows = sqlx::query(
            "SELECT show_id, scheduled_at FROM rm_notify_shows WHERE status = 'scheduled' \
             AND scheduled_at IS NOT NULL AND scheduled_at <= $1 \
             AND (reminded_for IS NULL OR reminded_for <> scheduled_at) LIMIT 500",
        )
        .bind(until)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// Whether `user` follows `channel_id`, as the notifications projection knows it.
    pub async fn follows(&self, user: &str, channel_id: &str) -> Result<bool, ReadError> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM rm_followers WHERE channel_id = $1 AND user_id = $2")
                .bind(channel_id)
                .bind(user)
                .fetch_optional(self.pool())
                .await?;
        Ok(found.is_some())
    }
}
