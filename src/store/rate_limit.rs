//! The rate limit's budget shared by every node on one PostgreSQL: how many requests each
//! token took in each minute, taken by the nodes in leases (see `api::rate_limit`).

use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, Statement};

/// Takes `units` more requests of the token's budget for the minute `window` (minutes since
/// the Unix epoch); returns how many of them fall within `limit` (0: the minute's budget is
/// spent). `None` when no token has this hash: nothing is written, so requests with made-up
/// tokens cost no write (they get their 401).
pub async fn lease(
    db: &impl ConnectionTrait,
    token_hash: &str,
    window: i64,
    units: u32,
    limit: u32,
) -> Result<Option<u32>, DbErr> {
    // Units are counted even past the limit, so the answer is exact without a read first:
    // this lease's units are the last `units` of the count, and those up to `limit` are granted.
    let statement = Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        "INSERT INTO rate_limit_windows (token_hash, window_start, used) \
         SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM api_tokens WHERE token_hash = $1) \
         ON CONFLICT (token_hash, window_start) \
         DO UPDATE SET used = rate_limit_windows.used + EXCLUDED.used \
         RETURNING used",
        [token_hash.into(), window.into(), i64::from(units).into()],
    );
    let Some(row) = db.query_one_raw(statement).await? else {
        return Ok(None);
    };
    let used: i64 = row.try_get("", "used")?;
    let before = used - i64::from(units);
    let granted = (i64::from(limit) - before).clamp(0, i64::from(units));
    Ok(Some(u32::try_from(granted).unwrap_or(0)))
}

/// Deletes the counts of minutes before `window`; returns how many.
pub async fn purge_before(db: &impl ConnectionTrait, window: i64) -> Result<u64, DbErr> {
    let statement = Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        "DELETE FROM rate_limit_windows WHERE window_start < $1",
        [window.into()],
    );
    Ok(db.execute_raw(statement).await?.rows_affected())
}
