//! Full-text search over show titles, channel handles and names, and product
//! titles, with the database's own engine: PostgreSQL `tsvector` (ranked by
//! `ts_rank`) or SQLite FTS5 (ranked by `bm25`), each word of the query a
//! prefix. The documents are kept by triggers the search migrations put on
//! the read models (postgres/0014, sqlite/read_models/0011), so nothing here writes.

use sqlx::Row;

use super::{ChannelView, ProductView, ShowView};
use crate::read_models::{Dialect, ReadError, ReadModels};

/// The most characters a query may have.
pub const MAX_QUERY: usize = 200;

/// What a search found, best first in each kind.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Found {
    pub shows: Vec<ShowView>,
    pub channels: Vec<ChannelView>,
    pub products: Vec<ProductView>,
}

/// The query's words: runs of letters and digits, lower-cased (at most 16).
pub fn words(query: &str) -> Vec<String> {
    query.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).take(16).map(str::to_lowercase).collect()
}

impl ReadModels {
    /// Shows (a cancelled one is dropped from the index), channels and
    /// products matching every word of `query` as a prefix, at most `limit` of each.
    pub async fn search(&self, query: &str, limit: u32) -> Result<Found, ReadError> {
        let words = words(query);
        if words.is_empty() {
            return Ok(Found::default());
        }
        Ok(Found {
            shows: self.shows(&self.matching("show", &words, limit).await?).await?,
            channels: self.channels(&self.matching("channel", &words, limit).await?).await?,
            products: self.products(&self.matching("product", &words, limit).await?).await?,
        })
    }

    /// The ids of the `kind` documents matching all `words` as prefixes, best first.
    async fn matching(&self, kind: &str, words: &[String], limit: u32) -> Result<Vec<String>, ReadError> {
        let (sql, expression) = match self.dialect() {
            Dialect::Postgres => (
                "SELECT id FROM rm_search WHERE kind = $1 AND doc @@ to_tsquery('simple', $2) \
                 ORDER BY ts_rank(doc, to_tsquery('simple', $2)) DESC, id LIMIT $3",
                words.iter().map(|w| format!("{w}:*")).collect::<Vec<_>>().join(" & "),
            ),
            Dialect::Sqlite => (
                "SELECT id FROM rm_search WHERE rm_search MATCH $2 AND kind = $1 ORDER BY bm25(rm_search), id LIMIT $3",
                words.iter().map(|w| format!("\"{w}\"*")).collect::<Vec<_>>().join(" AND "),
            ),
        };
        let rows = sqlx::query(sql).bind(kind).bind(expression).bind(i64::from(limit)).fetch_all(self.pool()).await?;
        Ok(rows.iter().map(|row| row.get::<String, _>(0)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::words;

    #[test]
    fn a_query_is_split_into_lower_cased_words_without_operators() {
        assert_eq!(words("Denim DR*"), ["denim", "dr"]);
        assert_eq!(words("caras_closet \"OR\" -x"), ["caras", "closet", "or", "x"]);
        assert!(words(" *:& ").is_empty());
    }
}
