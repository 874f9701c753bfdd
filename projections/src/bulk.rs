//! Many rows in one statement: what a page of events writes to a table —
//! rows inserted, or rows updated each by its own values — goes in a few
//! round trips instead of one per row. Rows go in chunks of a few
//! fixed sizes, so each statement has a handful of shapes at most and they
//! stay prepared.

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, Transaction};

use crate::read_models::ReadError;

/// A query of the read-model database, before its values are bound.
pub(crate) type AnyQuery<'q> = Query<'q, Any, AnyArguments<'q>>;

/// Rows per statement: the largest that fits what is left, so a page of a
/// thousand rows takes about a dozen statements. (SQLite finds a `$n`
/// value's slot by walking the statement's list of names, so binding `$n`
/// values costs the square of their number: on SQLite, rows take `?`.)
const CHUNKS: [usize; 4] = [256, 32, 4, 1];

/// `INSERT INTO {into} VALUES (…), (…) {tail}` for all of `rows`, each row
/// `width` values bound by `bind`. Within one statement the rows must not
/// share a key when `tail` updates on conflict (PostgreSQL refuses that).
pub(crate) async fn insert<R>(
    tx: &mut Transaction<'static, Any>,
    into: &str,
    width: usize,
    tail: &str,
    rows: &[R],
    bind: impl for<'q> Fn(AnyQuery<'q>, &'q R) -> AnyQuery<'q>,
) -> Result<(), ReadError> {
    in_chunks(tx, |values| format!("INSERT INTO {into} VALUES {values} {tail}"), width, rows, bind).await
}

/// `{update} FROM (VALUES (…), (…)) AS v {filter}` for all of `rows`, each
/// row `width` values bound by `bind`, which `update` and `filter` name
/// `v.column1`, `v.column2`, …: one statement updates many rows, each by
/// its own values. The rows must not share a key (which of two would win
/// is not said).
pub(crate) async fn update<R>(
    tx: &mut Transaction<'static, Any>,
    update: &str,
    filter: &str,
    width: usize,
    rows: &[R],
    bind: impl for<'q> Fn(AnyQuery<'q>, &'q R) -> AnyQuery<'q>,
) -> Result<(), ReadError> {
    in_chunks(tx, |values| format!("{update} FROM (VALUES {values}) AS v {filter}"), width, rows, bind).await
}

/// Run the statement `sql` makes of a chunk's `(…), (…)` once per chunk of
/// `rows`, each row `width` values bound by `bind`. SQLite binds anonymous
/// `?` values by their place, at no cost per value.
async fn in_chunks<R>(
    tx: &mut Transaction<'static, Any>,
    sql: impl Fn(&str) -> String,
    width: usize,
    rows: &[R],
    bind: impl for<'q> Fn(AnyQuery<'q>, &'q R) -> AnyQuery<'q>,
) -> Result<(), ReadError> {
    let anonymous = tx.backend_name() == "SQLite";
    for chunk in chunks(rows) {
        let values = (0..chunk.len())
            .map(|row| if anonymous { tuple_anonymous(width) } else { tuple(row * width, width) })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = sql(&values);
        let query = chunk.iter().fold(sqlx::query(&sql), &bind);
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// `{head} IN (…)` run once per chunk of `keys` (`head` may bind `$1…$fixed`
/// itself, through `bind_head`); the rows every chunk returns.
pub(crate) async fn fetch_in(
    tx: &mut Transaction<'static, Any>,
    head: &str,
    fixed: usize,
    bind_head: impl for<'q> Fn(AnyQuery<'q>) -> AnyQuery<'q>,
    keys: &[&str],
) -> Result<Vec<sqlx::any::AnyRow>, ReadError> {
    let mut rows = Vec::new();
    for chunk in chunks(keys) {
        let sql = format!("{head} IN {}", tuple(fixed, chunk.len()));
        let query = chunk.iter().fold(bind_head(sqlx::query(&sql)), |query, key| query.bind(*key));
        rows.extend(query.fetch_all(&mut **tx).await?);
    }
    Ok(rows)
}

/// `rows` cut into chunks of the sizes of [`CHUNKS`], largest first.
fn chunks<R>(mut rows: &[R]) -> impl Iterator<Item = &[R]> {
    std::iter::from_fn(move || {
        let size = CHUNKS.into_iter().find(|size| *size <= rows.len())?;
        let (chunk, rest) = rows.split_at(size);
        rows = rest;
        Some(chunk)
    })
}

/// `($n+1, $n+2, …)` of `width` placeholders after the first `after`.
fn tuple(after: usize, width: usize) -> String {
    let placeholders = (after + 1..=after + width).map(|i| format!("${i}")).collect::<Vec<_>>();
    format!("({})", placeholders.join(", "))
}

/// `(?, ?, …)` of `width` placeholders.
fn tuple_anonymous(width: usize) -> String {
    format!("({})", vec!["?"; width].join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_go_in_a_few_chunks_of_fixed_sizes() {
        let rows: Vec<usize> = (0..1000).collect();
        let sizes: Vec<usize> = chunks(&rows).map(<[usize]>::len).collect();
        assert_eq!(sizes, [[256; 3].as_slice(), &[32; 7], &[4; 2]].concat());
        assert_eq!(chunks(&rows).flatten().copied().collect::<Vec<_>>(), rows);
        assert_eq!(chunks::<usize>(&[]).count(), 0);
    }

    #[test]
    fn placeholders_number_on_from_those_before() {
        assert_eq!(tuple(0, 3), "($1, $2, $3)");
        assert_eq!(tuple(3, 2), "($4, $5)");
        assert_eq!(tuple_anonymous(3), "(?, ?, ?)");
    }
}
