//! Who is calling, and what they may do in a company.
//!
//! The hot path asks once: the token, its user's membership in the company the request names,
//! and that membership's permissions come back from a single query.

use chrono::{DateTime, Duration, Utc};
use entity::{api_token, company, membership, membership_permission};
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, JoinType, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryResult, QuerySelect,
};

/// `last_used_at` is refreshed at most this often, so reads don't all become writes.
pub const LAST_USED_GRANULARITY: Duration = Duration::minutes(1);

/// A live token and the user it belongs to.
#[derive(Clone, Copy, Debug)]
pub struct TokenOwner {
    pub token_id: i64,
    pub user_id: i64,
}

/// A user's membership in a company, with the permission names it grants.
#[derive(Clone, Debug)]
pub struct Membership {
    pub company_id: i64,
    pub permissions: Vec<String>,
}

/// A live token's owner and, when a company was named, the owner's membership there (`None`
/// when not a member, or no such company).
#[derive(Clone, Debug)]
pub struct Access {
    pub owner: TokenOwner,
    pub membership: Option<Membership>,
}

fn token_query(token_hash: &str, company_slug: Option<&str>) -> SelectStatement {
    let mut query = Query::select();
    query
        .column((api_token::Entity, api_token::Column::Id))
        .column((api_token::Entity, api_token::Column::UserId))
        .column((api_token::Entity, api_token::Column::LastUsedAt))
        .column((api_token::Entity, api_token::Column::ExpiresAt))
        .column((api_token::Entity, api_token::Column::RevokedAt))
        .from(api_token::Entity)
        .and_where(Expr::col((api_token::Entity, api_token::Column::TokenHash)).eq(token_hash));
    match company_slug {
        Some(slug) => {
            query
                .column((membership::Entity, membership::Column::CompanyId))
                .column((
                    membership_permission::Entity,
                    membership_permission::Column::Permission,
                ))
                .join(
                    JoinType::LeftJoin,
                    company::Entity,
                    Expr::col((company::Entity, company::Column::Slug)).eq(slug),
                )
                .join(
                    JoinType::LeftJoin,
                    membership::Entity,
                    Condition::all()
                        .add(
                            Expr::col((membership::Entity, membership::Column::UserId))
                                .equals((api_token::Entity, api_token::Column::UserId)),
                        )
                        .add(
                            Expr::col((membership::Entity, membership::Column::CompanyId))
                                .equals((company::Entity, company::Column::Id)),
                        ),
                )
                .join(
                    JoinType::LeftJoin,
                    membership_permission::Entity,
                    Expr::col((
                        membership_permission::Entity,
                        membership_permission::Column::MembershipId,
                    ))
                    .equals((membership::Entity, membership::Column::Id)),
                );
        }
        None => {
            query
                .expr_as(Expr::val(Option::<i64>::None), Alias::new("company_id"))
                .expr_as(Expr::val(Option::<String>::None), Alias::new("permission"));
        }
    }
    query
}

/// The live token with this hash and, for `company_slug`, its owner's membership there; and
/// with `record_use`, the token's use recorded (`last_used_at`, at most once per
/// [`LAST_USED_GRANULARITY`]). `None` when the token doesn't exist, is revoked or has expired.
pub async fn identify(
    db: &impl ConnectionTrait,
    token_hash: &str,
    company_slug: Option<&str>,
    now: DateTime<Utc>,
    record_use: bool,
) -> Result<Option<Access>, DbErr> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(backend.build(&token_query(token_hash, company_slug)))
        .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let get = |row: &QueryResult, i: usize| row.try_get_by_index::<Option<DateTime<Utc>>>(i);
    let token_id: i64 = first.try_get_by_index(0)?;
    let user_id: i64 = first.try_get_by_index(1)?;
    let (last_used_at, expires_at, revoked_at) = (get(first, 2)?, get(first, 3)?, get(first, 4)?);
    if revoked_at.is_some() || expires_at.is_some_and(|at| at <= now) {
        return Ok(None);
    }
    let company_id: Option<i64> = first.try_get_by_index(5)?;
    let membership = match company_id {
        Some(company_id) => {
            let mut permissions = Vec::with_capacity(rows.len());
            for row in &rows {
                if let Some(name) = row.try_get_by_index::<Option<String>>(6)? {
                    permissions.push(name);
                }
            }
            Some(Membership {
                company_id,
                permissions,
            })
        }
        None => None,
    };
    if record_use && last_used_at.is_none_or(|at| now - at >= LAST_USED_GRANULARITY) {
        touch(db, token_hash, now).await?;
    }
    Ok(Some(Access {
        owner: TokenOwner { token_id, user_id },
        membership,
    }))
}

/// Records that the token with this hash (unique) was used at `now`.
pub async fn touch(
    db: &impl ConnectionTrait,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    api_token::Entity::update_many()
        .col_expr(api_token::Column::LastUsedAt, Expr::value(now))
        .filter(api_token::Column::TokenHash.eq(token_hash))
        .exec(db)
        .await
        .map(|_| ())
}

/// The user's membership in the company with this slug; `None` when either doesn't exist.
pub async fn membership(
    db: &impl ConnectionTrait,
    user_id: i64,
    company_slug: &str,
) -> Result<Option<Membership>, DbErr> {
    let found: Option<(i64, i64)> = membership::Entity::find()
        .select_only()
        .column(membership::Column::Id)
        .column(membership::Column::CompanyId)
        .inner_join(company::Entity)
        .filter(membership::Column::UserId.eq(user_id))
        .filter(company::Column::Slug.eq(company_slug))
        .into_tuple()
        .one(db)
        .await?;
    let Some((membership_id, company_id)) = found else {
        return Ok(None);
    };
    let permissions: Vec<String> = membership_permission::Entity::find()
        .select_only()
        .column(membership_permission::Column::Permission)
        .filter(membership_permission::Column::MembershipId.eq(membership_id))
        .into_tuple()
        .all(db)
        .await?;
    Ok(Some(Membership {
        company_id,
        permissions,
    }))
}
