//! What the public board reads of citizens' ratings: counts by service and score over a time
//! range, and the newest comments that passed screening. The `PublicStore` interface and its
//! SQL, written once for both backends like `sql.rs`; reads only (ratings are written with the
//! events that carry them).

use super::StoreError;
use crate::domain::Ts;
use async_trait::async_trait;

/// How many ratings gave `score` to `service` in a range.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RatingCount {
    pub service: String,
    pub score: i64,
    pub n: i64,
}

/// A comment that passed screening, without anything about who wrote it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ShownComment {
    pub service: String,
    pub score: i64,
    pub comment: String,
    pub at: Ts,
}

/// How many ratings gave `score` to `service` in a time bucket: `bucket` is the index of the
/// last of the given starts the rating is at or after (-1 before the first).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct BucketCount {
    pub service: String,
    pub score: i64,
    pub bucket: i64,
    pub n: i64,
}

#[async_trait]
pub trait PublicStore: Send + Sync {
    /// Every rating of `unit`, counted by service, score and bucket of `starts` (ascending, at
    /// most 12; bucket `i` from `starts[i]` to the next start, -1 before the first): the board's
    /// months and its totals, or a month and the one before, in one read.
    async fn rating_buckets(
        &self,
        unit: &str,
        starts: &[Ts],
    ) -> Result<Vec<BucketCount>, StoreError>;

    /// Every rating of 1 or 2 stars at or after `from`, as (unit, at): what the rule engine
    /// counts as dissatisfied in the last 24 hours when it starts.
    async fn low_ratings_since(&self, from: Ts) -> Result<Vec<(String, Ts)>, StoreError>;

    /// The newest `limit` comments of `unit` that may be shown, newest first.
    async fn shown_comments(&self, unit: &str, limit: i64)
        -> Result<Vec<ShownComment>, StoreError>;
}

/// The `PublicStore` implementation for a store type.
macro_rules! public_store_impl {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::public::PublicStore for $store {
            async fn low_ratings_since(
                &self,
                from: $crate::domain::Ts,
            ) -> Result<Vec<(String, $crate::domain::Ts)>, $crate::store::StoreError> {
                Ok(
                    sqlx::query_as("SELECT unit_id, at FROM ratings WHERE at >= $1 AND score <= 2")
                        .bind(from)
                        .fetch_all(&self.pool)
                        .await?,
                )
            }

            async fn rating_buckets(
                &self,
                unit: &str,
                starts: &[$crate::domain::Ts],
            ) -> Result<Vec<$crate::store::public::BucketCount>, $crate::store::StoreError> {
                // A CASE over the starts, newest first: one pass over the unit's ratings in
                // either dialect, whatever the number of months asked.
                let mut case = String::from("CASE");
                for i in (0..starts.len()).rev() {
                    case.push_str(&format!(" WHEN at >= ${} THEN {i}", i + 2));
                }
                case.push_str(" ELSE -1 END");
                let sql = format!(
                    "SELECT service, CAST(score AS BIGINT) AS score, CAST({case} AS BIGINT) AS bucket, COUNT(*) AS n \
                     FROM ratings WHERE unit_id = $1 GROUP BY service, score, bucket"
                );
                let mut q = sqlx::query_as(&sql).bind(unit);
                for s in starts {
                    q = q.bind(*s);
                }
                Ok(q.fetch_all(&self.pool).await?)
            }

            async fn shown_comments(
                &self,
                unit: &str,
                limit: i64,
            ) -> Result<Vec<$crate::store::public::ShownComment>, $crate::store::StoreError> {
                Ok(sqlx::query_as(
                    "SELECT service, CAST(score AS BIGINT) AS score, comment, at FROM ratings \
                     WHERE unit_id = $1 AND comment_shown = $2 AND comment IS NOT NULL \
                     ORDER BY at DESC, seq DESC LIMIT $3",
                )
                .bind(unit)
                .bind(true)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?)
            }
        }
    };
}
pub(crate) use public_store_impl;
