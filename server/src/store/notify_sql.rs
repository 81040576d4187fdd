//! The notification tables' SQL, written once for both backends like `sql.rs` (the same
//! `$n` parameters, `ON CONFLICT`, `RETURNING` and window functions work in SQLite and
//! PostgreSQL), instantiated for each store type next to the main body.

/// Selected columns of `notify_deliveries`, in `DeliveryRow` order.
pub const DELIVERY_COLUMNS: &str = "id, message_id, person_id, contact_point_id, kind, state, attempts, next_at, last_error, created_at, delivered_at";

pub type DeliveryTuple = (
    String,
    i64,
    String,
    String,
    String,
    String,
    i64,
    i64,
    Option<String>,
    i64,
    Option<i64>,
);

pub fn delivery_row(t: DeliveryTuple) -> super::notify::DeliveryRow {
    let (
        id,
        message_id,
        person,
        contact_point,
        kind,
        state,
        attempts,
        next_at,
        last_error,
        created_at,
        delivered_at,
    ) = t;
    super::notify::DeliveryRow {
        id,
        message_id,
        person,
        contact_point,
        kind,
        state,
        attempts,
        next_at,
        last_error,
        created_at,
        delivered_at,
    }
}

/// Columns of `inbox` (as `i`) in `InboxRow` order, its message's body (as `m`) last.
pub const INBOX_COLUMNS: &str =
    "i.id, i.person_id, i.delivery_id, i.at, i.severity, i.body, i.read_at, m.body, m.id";

/// An inbox row's message is its delivery's: the row names the delivery, the delivery the
/// message (both keys are primary), so the message's content is stored once.
pub const INBOX_MESSAGE_JOIN: &str = "LEFT JOIN notify_deliveries d ON d.id = i.delivery_id LEFT JOIN notify_messages m ON m.id = d.message_id";

pub type InboxTuple = (
    i64,
    String,
    String,
    i64,
    String,
    String,
    Option<i64>,
    Option<String>,
    Option<i64>,
);

/// An inbox row and its message's id (to read the notices it carries).
pub fn inbox_row(t: InboxTuple) -> (super::notify::InboxRow, Option<i64>) {
    let (id, person, delivery_id, at, severity, body, read_at, message, message_id) = t;
    let row = super::notify::InboxRow {
        id,
        person,
        delivery_id,
        at,
        severity,
        body,
        read_at,
        message,
        notices: Vec::new(),
    };
    (row, message_id)
}

pub type NoticeTuple = (i64, String, String, i64);

pub fn stored_notice(t: NoticeTuple) -> super::notify::StoredNotice {
    let (id, person, severity, at) = t;
    super::notify::StoredNotice {
        id,
        person,
        severity,
        at,
    }
}

/// ` IN (...)` of these values (an empty list matches nothing).
pub fn push_in<DB, T>(qb: &mut sqlx::QueryBuilder<'_, DB>, values: &[T])
where
    DB: sqlx::Database,
    T: Clone + Send + for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB> + 'static,
{
    qb.push(" IN (");
    if values.is_empty() {
        qb.push("NULL");
    }
    let mut sep = qb.separated(", ");
    for v in values {
        sep.push_bind(v.clone());
    }
    qb.push(")");
}

/// The `NotifyStore` implementation and the notice insert the main body's transactions use.
macro_rules! notify_store_impl {
    ($store:ty, $db:ty) => {
        impl $store {
            /// The bodies of the notices each of these messages carries, oldest first.
            async fn message_notices(
                &self,
                ids: &[i64],
            ) -> Result<std::collections::HashMap<i64, Vec<String>>, $crate::store::StoreError> {
                let mut out: std::collections::HashMap<i64, Vec<String>> = std::collections::HashMap::new();
                for chunk in ids.chunks($crate::store::sql::CHUNK) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("SELECT n.message_id, b.body FROM notices n JOIN notice_bodies b ON b.id = n.id WHERE n.message_id");
                    $crate::store::notify_sql::push_in(&mut qb, chunk);
                    qb.push(" ORDER BY n.id");
                    let rows: Vec<(i64, String)> = qb.build_query_as().fetch_all(&self.pool).await?;
                    for (m, body) in rows {
                        out.entry(m).or_default().push(body);
                    }
                }
                Ok(out)
            }

            /// Inbox rows with the notices of their messages.
            async fn with_notices(
                &self,
                rows: Vec<$crate::store::notify_sql::InboxTuple>,
            ) -> Result<Vec<$crate::store::notify::InboxRow>, $crate::store::StoreError> {
                let rows: Vec<_> = rows.into_iter().map($crate::store::notify_sql::inbox_row).collect();
                let mut ids: Vec<i64> = rows.iter().filter_map(|(_, m)| *m).collect();
                ids.sort_unstable();
                ids.dedup();
                let notices = self.message_notices(&ids).await?;
                Ok(rows
                    .into_iter()
                    .map(|(mut row, m)| {
                        if let Some(n) = m.and_then(|m| notices.get(&m)) {
                            row.notices = n.clone();
                        }
                        row
                    })
                    .collect())
            }

            /// Makes one message inside the caller's transaction (see `create_messages`); `None`
            /// when it is not to be made (the caller then rolls back).
            async fn create_one(
                tx: &mut sqlx::Transaction<'_, $db>,
                message: &$crate::store::notify::MessageRow,
                sent: &[i64],
                dropped: &[i64],
                deliveries: &[(String, String)],
                now_wall: $crate::domain::Ts,
            ) -> Result<Option<i64>, $crate::store::StoreError> {
                let id: Option<i64> = sqlx::query_scalar(
                    "INSERT INTO notify_messages (person_id, kind, created_at, dedup, body) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (dedup) DO NOTHING RETURNING id",
                )
                .bind(message.person.clone())
                .bind(message.kind.clone())
                .bind(message.created_at)
                .bind(message.dedup.clone())
                .bind(message.body.clone())
                .fetch_optional(&mut **tx)
                .await?;
                let Some(id) = id else {
                    return Ok(None);
                };
                for (state, ids) in [("sent", sent), ("dropped", dropped)] {
                    for chunk in ids.chunks($crate::store::sql::CHUNK) {
                        let mut qb = sqlx::QueryBuilder::<$db>::new("UPDATE notices SET state = ");
                        qb.push_bind(state);
                        if state == "sent" {
                            qb.push(", message_id = ").push_bind(id);
                        }
                        qb.push(" WHERE state = 'waiting' AND id");
                        $crate::store::notify_sql::push_in(&mut qb, chunk);
                        let done = qb.build().execute(&mut **tx).await?.rows_affected();
                        // Another worker took some of them first: this message is not to be made.
                        if done != chunk.len() as u64 {
                            return Ok(None);
                        }
                    }
                }
                for (contact_point, kind) in deliveries {
                    sqlx::query("INSERT INTO notify_deliveries (id, message_id, person_id, contact_point_id, kind, state, attempts, next_at, created_at) VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6)")
                        .bind(format!("ioc-{id}-{contact_point}"))
                        .bind(id)
                        .bind(message.person.clone())
                        .bind(contact_point.clone())
                        .bind(kind.clone())
                        .bind(now_wall)
                        .execute(&mut **tx)
                        .await?;
                }
                Ok(Some(id))
            }

            /// Records one attempt's outcome inside the caller's transaction (see
            /// `finish_deliveries`).
            async fn finish_one(
                tx: &mut sqlx::Transaction<'_, $db>,
                d: &$crate::store::notify::DeliveryRow,
                outcome: &$crate::store::notify::Outcome,
                inbox: Option<&$crate::store::notify::InboxRow>,
            ) -> Result<Option<i64>, $crate::store::StoreError> {
                use $crate::store::notify::Outcome;
                let (state, next_at, error, delivered_at) = match outcome {
                    Outcome::Delivered { at } => ("delivered", d.next_at, None, Some(*at)),
                    Outcome::Failed { error, next_at, .. } => ("pending", *next_at, Some(error.clone()), None),
                    Outcome::Dead { error, .. } => ("dead", d.next_at, Some(error.clone()), None),
                };
                let changed = sqlx::query("UPDATE notify_deliveries SET state = $1, attempts = attempts + 1, next_at = $2, last_error = COALESCE($3, last_error), delivered_at = $4 WHERE id = $5 AND state = 'pending'")
                    .bind(state)
                    .bind(next_at)
                    .bind(error.clone())
                    .bind(delivered_at)
                    .bind(d.id.clone())
                    .execute(&mut **tx)
                    .await?
                    .rows_affected();
                if changed == 0 {
                    // Finished already (by another worker): nothing to record twice.
                    return Ok(None);
                }
                let (delivered, failures, dead, error_at, success_at) = match outcome {
                    Outcome::Delivered { at } => (1i64, 0i64, 0i64, None, Some(*at)),
                    Outcome::Failed { at, .. } => (0, 1, 0, Some(*at), None),
                    Outcome::Dead { at, .. } => (0, 1, 1, Some(*at), None),
                };
                sqlx::query(
                    "INSERT INTO contact_point_health (contact_point_id, person_id, kind, delivered, failures, consecutive_failures, dead, last_error, last_error_at, last_success_at) \
                     VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9) \
                     ON CONFLICT (person_id, contact_point_id) DO UPDATE SET \
                     delivered = contact_point_health.delivered + excluded.delivered, \
                     failures = contact_point_health.failures + excluded.failures, \
                     consecutive_failures = CASE WHEN excluded.delivered > 0 THEN 0 ELSE contact_point_health.consecutive_failures + excluded.failures END, \
                     dead = contact_point_health.dead + excluded.dead, \
                     last_error = COALESCE(excluded.last_error, contact_point_health.last_error), \
                     last_error_at = COALESCE(excluded.last_error_at, contact_point_health.last_error_at), \
                     last_success_at = COALESCE(excluded.last_success_at, contact_point_health.last_success_at)",
                )
                .bind(d.contact_point.clone())
                .bind(d.person.clone())
                .bind(d.kind.clone())
                .bind(delivered)
                .bind(failures)
                .bind(dead)
                .bind(error)
                .bind(error_at)
                .bind(success_at)
                .execute(&mut **tx)
                .await?;
                let mut added = None;
                if let (Some(row), Outcome::Delivered { .. }) = (inbox, outcome) {
                    added = sqlx::query_scalar(
                        "INSERT INTO inbox (person_id, delivery_id, at, severity, body) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (delivery_id) DO NOTHING RETURNING id",
                    )
                    .bind(row.person.clone())
                    .bind(row.delivery_id.clone())
                    .bind(row.at)
                    .bind(row.severity.clone())
                    .bind(row.body.clone())
                    .fetch_optional(&mut **tx)
                    .await?;
                }
                Ok(added)
            }


            /// Inserts notices inside the caller's transaction; a notice whose `history` names a
            /// history row of the same call gets that row's seq as its source. The content goes
            /// to `notice_bodies` under the id the notice got (a notice already there, same
            /// cause and person, gets neither).
            async fn insert_notices(
                tx: &mut sqlx::Transaction<'_, $db>,
                notices: &[$crate::store::notify::NoticeRow],
                history_seqs: &[i64],
            ) -> Result<Vec<$crate::store::notify::AddedNotice>, $crate::store::StoreError> {
                let mut added = Vec::new();
                for (c, chunk) in notices.chunks($crate::store::sql::CHUNK).enumerate() {
                    let sources: Vec<String> = chunk
                        .iter()
                        .map(|n| match n.history.and_then(|i| history_seqs.get(i)) {
                            Some(seq) => format!("alert:{seq}"),
                            None => n.source.clone(),
                        })
                        .collect();
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO notices (source, person_id, group_key, severity, kind, at) ",
                    );
                    qb.push_values(chunk.iter().zip(&sources), |mut b, (n, source)| {
                        b.push_bind(source.clone())
                            .push_bind(n.person.clone())
                            .push_bind(n.group_key.clone())
                            .push_bind(n.severity.clone())
                            .push_bind(n.kind.clone())
                            .push_bind(n.at);
                    });
                    // RETURNING's order is not the VALUES' order: each id is matched back to its
                    // notice by (source, person), the key the conflict is on.
                    qb.push(" ON CONFLICT (source, person_id) DO NOTHING RETURNING id, source, person_id");
                    let ids: Vec<(i64, String, String)> = qb.build_query_as().fetch_all(&mut **tx).await?;
                    if ids.is_empty() {
                        continue;
                    }
                    // The first of a cause repeated within the chunk is the one inserted.
                    let mut first: std::collections::HashMap<(&str, &str), usize> = std::collections::HashMap::new();
                    for (i, (n, source)) in chunk.iter().zip(&sources).enumerate() {
                        first.entry((source.as_str(), n.person.as_str())).or_insert(i);
                    }
                    let start = added.len();
                    for (id, source, person) in &ids {
                        if let Some(i) = first.get(&(source.as_str(), person.as_str())) {
                            added.push($crate::store::notify::AddedNotice { id: *id, index: c * $crate::store::sql::CHUNK + i });
                        }
                    }
                    if added.len() == start {
                        continue;
                    }
                    let mut qb = sqlx::QueryBuilder::<$db>::new("INSERT INTO notice_bodies (id, body) ");
                    qb.push_values(&added[start..], |mut b, a| {
                        b.push_bind(a.id).push_bind(notices[a.index].body.clone());
                    });
                    qb.build().execute(&mut **tx).await?;
                }
                Ok(added)
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::notify::NotifyStore for $store {
            async fn contact_points(
                &self,
                persons: &[String],
            ) -> Result<Vec<$crate::store::notify::ContactPointRow>, $crate::store::StoreError> {
                let mut out = Vec::new();
                for chunk in persons.chunks($crate::store::sql::CHUNK) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("SELECT id, person_id, kind, body FROM contact_points WHERE person_id");
                    $crate::store::notify_sql::push_in(&mut qb, chunk);
                    qb.push(" ORDER BY person_id, position");
                    let rows: Vec<(String, String, String, String)> = qb.build_query_as().fetch_all(&self.pool).await?;
                    out.extend(rows.into_iter().map(|(id, person, kind, body)| $crate::store::notify::ContactPointRow { id, person, kind, body }));
                }
                Ok(out)
            }

            async fn policies(&self, persons: &[String]) -> Result<Vec<(String, String)>, $crate::store::StoreError> {
                let mut out = Vec::new();
                for chunk in persons.chunks($crate::store::sql::CHUNK) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("SELECT person_id, body FROM notify_policies WHERE person_id");
                    $crate::store::notify_sql::push_in(&mut qb, chunk);
                    let rows: Vec<(String, String)> = qb.build_query_as().fetch_all(&self.pool).await?;
                    out.extend(rows);
                }
                Ok(out)
            }

            async fn put_contact_points(
                &self,
                person: &str,
                points: &[$crate::store::notify::ContactPointRow],
                policy: Option<&str>,
                at: $crate::domain::Ts,
                audit: &$crate::audit::Entry,
            ) -> Result<(), $crate::store::StoreError> {
                let mut tx = self.begin_write().await?;
                sqlx::query("DELETE FROM contact_points WHERE person_id = $1").bind(person.to_string()).execute(&mut *tx).await?;
                for (i, p) in points.iter().enumerate() {
                    sqlx::query("INSERT INTO contact_points (id, person_id, kind, position, body, updated_at) VALUES ($1, $2, $3, $4, $5, $6)")
                        .bind(p.id.clone())
                        .bind(person.to_string())
                        .bind(p.kind.clone())
                        .bind(i as i64)
                        .bind(p.body.clone())
                        .bind(at)
                        .execute(&mut *tx)
                        .await?;
                }
                match policy {
                    Some(body) => {
                        sqlx::query("INSERT INTO notify_policies (person_id, body, updated_at) VALUES ($1, $2, $3) ON CONFLICT (person_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at")
                            .bind(person.to_string())
                            .bind(body.to_string())
                            .bind(at)
                            .execute(&mut *tx)
                            .await?;
                    }
                    None => {
                        sqlx::query("DELETE FROM notify_policies WHERE person_id = $1").bind(person.to_string()).execute(&mut *tx).await?;
                    }
                }
                Self::insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn add_notices(&self, notices: &[$crate::store::notify::NoticeRow]) -> Result<u64, $crate::store::StoreError> {
                if notices.is_empty() {
                    return Ok(0);
                }
                let mut tx = self.begin_write().await?;
                let added = Self::insert_notices(&mut tx, notices, &[]).await?;
                tx.commit().await?;
                Ok(added.len() as u64)
            }

            async fn waiting(&self) -> Result<Vec<$crate::store::notify::WaitingRow>, $crate::store::StoreError> {
                let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
                    "SELECT person_id, severity, MIN(at), COUNT(*) FROM notices WHERE state = 'waiting' GROUP BY person_id, severity ORDER BY person_id",
                )
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(person, severity, first_at, count)| $crate::store::notify::WaitingRow { person, severity, first_at, count })
                    .collect())
            }

            async fn waiting_notices(&self, persons: &[String]) -> Result<Vec<$crate::store::notify::StoredNotice>, $crate::store::StoreError> {
                let mut out = Vec::new();
                for chunk in persons.chunks($crate::store::sql::CHUNK) {
                    // Only what the waiting index holds: a month-end burst is ~21,000 rows.
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "SELECT id, person_id, severity, at FROM notices WHERE state = 'waiting' AND person_id",
                    );
                    $crate::store::notify_sql::push_in(&mut qb, chunk);
                    qb.push(" ORDER BY person_id, id");
                    let rows: Vec<$crate::store::notify_sql::NoticeTuple> = qb.build_query_as().fetch_all(&self.pool).await?;
                    out.extend(rows.into_iter().map($crate::store::notify_sql::stored_notice));
                }
                Ok(out)
            }

            async fn notice_bodies(&self, ids: &[i64]) -> Result<Vec<(i64, String)>, $crate::store::StoreError> {
                let mut out = Vec::with_capacity(ids.len());
                for chunk in ids.chunks($crate::store::sql::CHUNK) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("SELECT id, body FROM notice_bodies WHERE id");
                    $crate::store::notify_sql::push_in(&mut qb, chunk);
                    let rows: Vec<(i64, String)> = qb.build_query_as().fetch_all(&self.pool).await?;
                    out.extend(rows);
                }
                Ok(out)
            }

            async fn create_messages(
                &self,
                messages: &[$crate::store::notify::NewMessage],
                now_wall: $crate::domain::Ts,
            ) -> Result<Vec<Option<i64>>, $crate::store::StoreError> {
                use sqlx::Acquire;
                let mut tx = self.begin_write().await?;
                let mut out = Vec::with_capacity(messages.len());
                for m in messages {
                    // A savepoint each: a message refused (its dedup exists, its notices were
                    // taken) leaves the others whole.
                    let mut sp = tx.begin().await?;
                    let id = Self::create_one(&mut sp, &m.message, &m.sent, &m.dropped, &m.deliveries, now_wall).await?;
                    if id.is_some() {
                        sp.commit().await?;
                    }
                    out.push(id);
                }
                tx.commit().await?;
                Ok(out)
            }

            async fn drop_notices(&self, ids: &[i64]) -> Result<(), $crate::store::StoreError> {
                for chunk in ids.chunks($crate::store::sql::CHUNK) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("UPDATE notices SET state = 'dropped' WHERE state = 'waiting' AND id");
                    $crate::store::notify_sql::push_in(&mut qb, chunk);
                    qb.build().execute(&self.pool).await?;
                }
                Ok(())
            }

            async fn due_deliveries(&self, now: $crate::domain::Ts, limit: i64) -> Result<Vec<$crate::store::notify::DeliveryRow>, $crate::store::StoreError> {
                let sql = format!(
                    "SELECT {} FROM notify_deliveries WHERE state = 'pending' AND next_at <= $1 ORDER BY next_at, id LIMIT $2",
                    $crate::store::notify_sql::DELIVERY_COLUMNS
                );
                let rows: Vec<$crate::store::notify_sql::DeliveryTuple> = sqlx::query_as(&sql).bind(now).bind(limit).fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map($crate::store::notify_sql::delivery_row).collect())
            }

            async fn next_delivery_at(&self) -> Result<Option<$crate::domain::Ts>, $crate::store::StoreError> {
                Ok(sqlx::query_scalar("SELECT MIN(next_at) FROM notify_deliveries WHERE state = 'pending'").fetch_one(&self.pool).await?)
            }

            async fn message(&self, id: i64) -> Result<Option<$crate::store::notify::MessageRow>, $crate::store::StoreError> {
                let row: Option<(i64, String, String, i64, Option<String>, String)> = sqlx::query_as(
                    "SELECT id, person_id, kind, created_at, dedup, body FROM notify_messages WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                let Some((id, person, kind, created_at, dedup, body)) = row else {
                    return Ok(None);
                };
                let notices = self.message_notices(&[id]).await?.remove(&id).unwrap_or_default();
                Ok(Some($crate::store::notify::MessageRow { id, person, kind, created_at, dedup, body, notices }))
            }

            async fn last_message_at(&self, person: &str, kind: &str) -> Result<Option<$crate::domain::Ts>, $crate::store::StoreError> {
                Ok(sqlx::query_scalar("SELECT MAX(created_at) FROM notify_messages WHERE person_id = $1 AND kind = $2")
                    .bind(person.to_string())
                    .bind(kind.to_string())
                    .fetch_one(&self.pool)
                    .await?)
            }

            async fn finish_deliveries(
                &self,
                done: &[($crate::store::notify::DeliveryRow, $crate::store::notify::Outcome, Option<$crate::store::notify::InboxRow>)],
            ) -> Result<Vec<Option<i64>>, $crate::store::StoreError> {
                let mut tx = self.begin_write().await?;
                let mut out = Vec::with_capacity(done.len());
                let mut people = Vec::new();
                for (d, outcome, inbox) in done {
                    let added = Self::finish_one(&mut tx, d, outcome, inbox.as_ref()).await?;
                    if let (Some(_), Some(row)) = (added, inbox) {
                        if !people.contains(&row.person) {
                            people.push(row.person.clone());
                        }
                    }
                    out.push(added);
                }
                if !people.is_empty() {
                    let reload = [$crate::store::bus_log::Reload::Inbox(people)];
                    self.append_log(&mut tx, &$crate::store::bus_log::Outgoing::reload(&reload)).await?;
                }
                tx.commit().await?;
                Ok(out)
            }

            async fn deliveries(
                &self,
                state: &str,
                persons: &[String],
                limit: i64,
            ) -> Result<Vec<$crate::store::notify::DeliveryRow>, $crate::store::StoreError> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(format!("SELECT {} FROM notify_deliveries WHERE state = ", $crate::store::notify_sql::DELIVERY_COLUMNS));
                qb.push_bind(state.to_string());
                if !persons.is_empty() {
                    qb.push(" AND person_id");
                    $crate::store::notify_sql::push_in(&mut qb, persons);
                }
                qb.push(" ORDER BY created_at DESC, id DESC LIMIT ").push_bind(limit);
                let rows: Vec<$crate::store::notify_sql::DeliveryTuple> = qb.build_query_as().fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map($crate::store::notify_sql::delivery_row).collect())
            }

            async fn pending_count(&self) -> Result<i64, $crate::store::StoreError> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM notify_deliveries WHERE state = 'pending'").fetch_one(&self.pool).await?)
            }

            async fn inbox(
                &self,
                person: &str,
                before: Option<i64>,
                limit: i64,
            ) -> Result<Vec<$crate::store::notify::InboxRow>, $crate::store::StoreError> {
                let sql = format!(
                    "SELECT {} FROM inbox i {} WHERE i.person_id = $1 AND i.id < $2 ORDER BY i.id DESC LIMIT $3",
                    $crate::store::notify_sql::INBOX_COLUMNS,
                    $crate::store::notify_sql::INBOX_MESSAGE_JOIN
                );
                let rows: Vec<$crate::store::notify_sql::InboxTuple> = sqlx::query_as(&sql)
                    .bind(person.to_string())
                    .bind(before.unwrap_or(i64::MAX))
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                self.with_notices(rows).await
            }

            async fn inbox_recent(&self, per_person: i64) -> Result<Vec<$crate::store::notify::InboxRow>, $crate::store::StoreError> {
                // The newest rows first, then their messages.
                let sql = format!(
                    "SELECT {c} FROM (SELECT id, person_id, delivery_id, at, severity, body, read_at, ROW_NUMBER() OVER (PARTITION BY person_id ORDER BY id DESC) AS rn FROM inbox) i {j} WHERE i.rn <= $1 ORDER BY i.person_id, i.id DESC",
                    c = $crate::store::notify_sql::INBOX_COLUMNS,
                    j = $crate::store::notify_sql::INBOX_MESSAGE_JOIN
                );
                let rows: Vec<$crate::store::notify_sql::InboxTuple> = sqlx::query_as(&sql).bind(per_person).fetch_all(&self.pool).await?;
                self.with_notices(rows).await
            }

            async fn inbox_unread(&self) -> Result<Vec<(String, i64)>, $crate::store::StoreError> {
                Ok(sqlx::query_as("SELECT person_id, COUNT(*) FROM inbox WHERE read_at IS NULL GROUP BY person_id").fetch_all(&self.pool).await?)
            }

            async fn inbox_unread_of(&self, person: &str) -> Result<i64, $crate::store::StoreError> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM inbox WHERE read_at IS NULL AND person_id = $1")
                    .bind(person.to_string())
                    .fetch_one(&self.pool)
                    .await?)
            }

            async fn inbox_mark_read(
                &self,
                person: &str,
                ids: Option<&[i64]>,
                at: $crate::domain::Ts,
            ) -> Result<Vec<i64>, $crate::store::StoreError> {
                let mut qb = sqlx::QueryBuilder::<$db>::new("UPDATE inbox SET read_at = ");
                qb.push_bind(at).push(" WHERE read_at IS NULL AND person_id = ").push_bind(person.to_string());
                if let Some(ids) = ids {
                    if ids.is_empty() {
                        return Ok(Vec::new());
                    }
                    qb.push(" AND id");
                    $crate::store::notify_sql::push_in(&mut qb, ids);
                }
                qb.push(" RETURNING id");
                let mut tx = self.begin_write().await?;
                let mut marked: Vec<i64> = qb.build_query_scalar().fetch_all(&mut *tx).await?;
                if !marked.is_empty() {
                    let reload = [$crate::store::bus_log::Reload::Inbox(vec![person.to_string()])];
                    self.append_log(&mut tx, &$crate::store::bus_log::Outgoing::reload(&reload)).await?;
                }
                tx.commit().await?;
                marked.sort_unstable();
                Ok(marked)
            }

            async fn health(&self, persons: &[String]) -> Result<Vec<$crate::store::notify::HealthRow>, $crate::store::StoreError> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT contact_point_id, person_id, kind, delivered, failures, consecutive_failures, dead, last_error, last_error_at, last_success_at FROM contact_point_health",
                );
                if !persons.is_empty() {
                    qb.push(" WHERE person_id");
                    $crate::store::notify_sql::push_in(&mut qb, persons);
                }
                qb.push(" ORDER BY person_id, contact_point_id");
                let rows: Vec<(String, String, String, i64, i64, i64, i64, Option<String>, Option<i64>, Option<i64>)> =
                    qb.build_query_as().fetch_all(&self.pool).await?;
                Ok(rows
                    .into_iter()
                    .map(|(contact_point, person, kind, delivered, failures, consecutive_failures, dead, last_error, last_error_at, last_success_at)| {
                        $crate::store::notify::HealthRow {
                            contact_point,
                            person,
                            kind,
                            delivered,
                            failures,
                            consecutive_failures,
                            dead,
                            last_error,
                            last_error_at,
                            last_success_at,
                        }
                    })
                    .collect())
            }

            async fn server_key(&self, name: &str) -> Result<Option<(String, $crate::domain::Ts)>, $crate::store::StoreError> {
                Ok(sqlx::query_as("SELECT secret, created_at FROM server_keys WHERE name = $1")
                    .bind(name.to_string())
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn init_server_key(
                &self,
                name: &str,
                secret: &str,
                at: $crate::domain::Ts,
            ) -> Result<(String, $crate::domain::Ts), $crate::store::StoreError> {
                sqlx::query("INSERT INTO server_keys (name, secret, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING")
                    .bind(name.to_string())
                    .bind(secret.to_string())
                    .bind(at)
                    .execute(&self.pool)
                    .await?;
                let row: (String, i64) = sqlx::query_as("SELECT secret, created_at FROM server_keys WHERE name = $1")
                    .bind(name.to_string())
                    .fetch_one(&self.pool)
                    .await?;
                Ok(row)
            }

            async fn rotate_link_key(
                &self,
                secret: &str,
                at: $crate::domain::Ts,
                audit: &$crate::audit::Entry,
            ) -> Result<(), $crate::store::StoreError> {
                let mut tx = self.begin_write().await?;
                sqlx::query("DELETE FROM server_keys WHERE name = 'link_previous'").execute(&mut *tx).await?;
                sqlx::query("UPDATE server_keys SET name = 'link_previous' WHERE name = 'link'").execute(&mut *tx).await?;
                sqlx::query("INSERT INTO server_keys (name, secret, created_at) VALUES ('link', $1, $2)")
                    .bind(secret.to_string())
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                Self::insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
                tx.commit().await?;
                Ok(())
            }
        }
    };
}
pub(crate) use notify_store_impl;
