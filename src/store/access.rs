//! Who is calling, and what they may do in a company.

use chrono::{DateTime, Duration, Utc};
use entity::{api_token, company, membership, membership_permission};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};

/// `last_used_at` is refreshed at most this often, so reads don't all become writes.
const LAST_USED_GRANULARITY: Duration = Duration::minutes(1);

/// A live token and the user it belongs to.
#[derive(Clone, Copy, Debug)]
pub struct TokenOwner {
    pub token_id: i64,
    pub user_id: i64,
}

/// The owner of a token, if the token exists, is not revoked and has not expired.
pub async fn token_owner(
    db: &impl ConnectionTrait,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<TokenOwner>, DbErr> {
    let Some(token) = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(token_hash))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let live = token.revoked_at.is_none() && token.expires_at.is_none_or(|at| at > now);
    if !live {
        return Ok(None);
    }
    if token
        .last_used_at
        .is_none_or(|at| now - at >= LAST_USED_GRANULARITY)
    {
        api_token::Entity::update_many()
            .col_expr(api_token::Column::LastUsedAt, Expr::value(now))
            .filter(api_token::Column::Id.eq(token.id))
            .exec(db)
            .await?;
    }
    Ok(Some(TokenOwner {
        token_id: token.id,
        user_id: token.user_id,
    }))
}

/// A user's membership in a company, with the permission names it grants.
pub struct Membership {
    pub company_id: i64,
    pub permissions: Vec<String>,
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
