//! Browsing the show directory: shows by status, category, tag and
//! language, sorted by watching count, start or recency, a page at a time.
//! Pages are keyset-paginated: a page ends at a (sort key, show id) pair and
//! the next starts strictly after it, so shows inserted meanwhile never
//! shift a page (no show twice, none skipped that existed at the start).
//! Its rows are the shows view's ([`super::shows`]); this file only reads.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::ShowView;
use super::shows::{SHOW_COLUMNS, SHOW_FROM, show_view};
use crate::read_models::{ReadError, ReadModels};

/// What to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Browse {
    /// `live`, `scheduled` or `ended`.
    pub status: String,
    pub category: Option<String>,
    pub tag: Option<String>,
    pub language: Option<String>,
    /// One channel's shows only: its creator's user id.
    pub creator: Option<String>,
    pub sort: Sort,
    pub limit: u32,
    /// Where the previous page ended.
    pub after: Option<PageEnd>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Most watching first (the summed count over every gateway).
    Viewers,
    /// Soonest start first: a scheduled show's time, a started show's start.
    StartsAt,
    /// Latest first: ended, else started, else scheduled.
    Recent,
}

impl Sort {
    /// The sort key's SQL, its direction and the comparison that continues after a page end.
    fn order(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Sort::Viewers => ("s.viewers_watching", "DESC", "<"),
            Sort::StartsAt => ("COALESCE(s.live_at, s.scheduled_at, '9999')", "ASC", ">"),
            Sort::Recent => ("COALESCE(s.ended_at, s.live_at, s.scheduled_at, '')", "DESC", "<"),
        }
    }
}

/// The last show of a page: its sort key and id. Opaque to clients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageEnd {
    pub sort: Sort,
    pub key: SortKey,
    pub show_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SortKey {
    Count(i64),
    Time(String),
}

/// One page and where it ended, if more may follow.
#[derive(Debug, Clone, PartialEq)]
pub struct ShowPage {
    pub items: Vec<ShowView>,
    pub next: Option<PageEnd>,
}

/// The column the sort key is read from: the first after [`SHOW_COLUMNS`].
const KEY_COLUMN: usize = 18;

impl ReadModels {
    /// One page of the directory.
    pub async fn browse(&self, browse: &Browse) -> Result<ShowPage, ReadError> {
        let (key, direction, beyond) = browse.sort.order();
        let mut filters = vec!["s.status = $1".to_owned()];
        let mut values: Vec<&str> = vec![&browse.status];
        // Each filter given: the clause before its parameter's number, and after.
        let optional = [
            (&browse.category, "s.category = $", ""),
            (&browse.language, "s.language = $", ""),
            (&browse.creator, "s.creator = $", ""),
            (&browse.tag, "EXISTS (SELECT 1 FROM rm_show_tags t WHERE t.show_id = s.show_id AND t.tag = $", ")"),
        ];
        for (value, before, after) in optional {
            if let Some(value) = value {
                values.push(value);
                filters.push(format!("{before}{}{after}", values.len()));
            }
        }
        // A cursor from another sort does not continue this one: start over.
        let after = browse.after.as_ref().filter(|end| end.sort == browse.sort);
        if after.is_some() {
            let (k, id) = (values.len() + 1, values.len() + 2);
            filters.push(format!("({key} {beyond} ${k} OR ({key} = ${k} AND s.show_id {beyond} ${id}))"));
        }
        let sql = format!(
            "SELECT {SHOW_COLUMNS}, {key} FROM {SHOW_FROM} WHERE {} ORDER BY {key} {direction}, s.show_id {direction} \
             LIMIT {}",
            filters.join(" AND "),
            browse.limit + 1,
        );
        let mut query = sqlx::query(&sql);
        for value in values {
            query = query.bind(value);
        }
        if let Some(end) = after {
            query = match &end.key {
                SortKey::Count(count) => query.bind(*count),
                SortKey::Time(time) => query.bind(time.as_str()),
            };
            query = query.bind(end.show_id.as_str());
        }
        let rows = query.fetch_all(self.pool()).await?;
        let more = rows.len() > browse.limit as usize;
        let mut items = Vec::with_capacity(rows.len());
        for row in rows.iter().take(browse.limit as usize) {
            items.push(show_view(row)?);
        }
        let next = match (more, rows.get(items.len().saturating_sub(1)), items.last()) {
            (true, Some(row), Some(last)) => Some(PageEnd {
                sort: browse.sort,
                key: match browse.sort {
                    Sort::Viewers => SortKey::Count(row.get::<i64, _>(KEY_COLUMN)),
                    Sort::StartsAt | Sort::Recent => SortKey::Time(row.get::<String, _>(KEY_COLUMN)),
                },
                show_id: last.show_id.clone(),
            }),
            _ => None,
        };
        Ok(ShowPage { items, next })
    }
}
