//! Migrations applied to a database that already holds data, as an operator upgrading meets
//! them: a database at migration 7 with reference data, brought up to date.

use crate::helpers::database_at_migration;
use chrono::{DateTime, TimeZone, Utc};
use entity::{budget_area, payment_term, project, vat_rate};
use migration::{Migrator, MigratorTrait};
use sea_orm::sea_query::{Expr, Query, SimpleExpr};
use sea_orm::{ConnectionTrait, EntityTrait};

/// Inserts one row through the query builder, so each database gets its own placeholders.
async fn insert(db: &impl ConnectionTrait, table: &str, row: Vec<(&str, SimpleExpr)>) {
    let (columns, values): (Vec<&str>, Vec<SimpleExpr>) = row.into_iter().unzip();
    let mut statement = Query::insert();
    statement
        .into_table(sea_orm::sea_query::Alias::new(table))
        .columns(columns.into_iter().map(sea_orm::sea_query::Alias::new))
        .values_panic(values);
    db.execute(&statement).await.expect("row inserted");
}

/// Reference data written before migration 8 takes its `created_at` as its `updated_at`.
#[tokio::test]
async fn reference_data_written_before_updated_at_existed_takes_its_creation_time() {
    // The database lives as long as `_database` (a SQLite file in its temporary directory).
    let (_database, db) = database_at_migration(7).await;

    let at: DateTime<Utc> = Utc
        .with_ymd_and_hms(2025, 3, 4, 5, 6, 7)
        .single()
        .expect("a time");
    let at = || Expr::value(at);
    let text = |s: &str| Expr::value(s.to_owned());
    insert(
        &db,
        "companies",
        vec![
            ("slug", text("old")),
            ("name", text("Old")),
            ("created_at", at()),
        ],
    )
    .await;
    insert(
        &db,
        "users",
        vec![
            ("email", text("pm@old.test")),
            ("name", text("PM")),
            ("created_at", at()),
        ],
    )
    .await;
    insert(
        &db,
        "projects",
        vec![
            ("company_id", Expr::value(1)),
            ("name", text("Site")),
            ("pm_user_id", Expr::value(1)),
            ("account_user_id", Expr::value(1)),
            ("archived", Expr::value(false)),
            ("created_at", at()),
        ],
    )
    .await;
    insert(
        &db,
        "budget_areas",
        vec![
            ("project_id", Expr::value(1)),
            ("uid", text("area-1")),
            ("name", text("Design")),
            ("enabled", Expr::value(true)),
            ("created_at", at()),
        ],
    )
    .await;
    insert(
        &db,
        "vat_rates",
        vec![
            ("company_id", Expr::value(1)),
            ("name", text("Standard")),
            ("rate", Expr::cust("22")),
            ("archived", Expr::value(false)),
            ("created_at", at()),
        ],
    )
    .await;
    insert(
        &db,
        "payment_terms",
        vec![
            ("company_id", Expr::value(1)),
            ("name", text("30 days")),
            ("days", Expr::value(30)),
            ("archived", Expr::value(false)),
            ("created_at", at()),
        ],
    )
    .await;

    Migrator::up(&db, None).await.expect("the rest");
    let project = project::Entity::find().one(&db).await.expect("reads");
    let area = budget_area::Entity::find().one(&db).await.expect("reads");
    let rate = vat_rate::Entity::find().one(&db).await.expect("reads");
    let term = payment_term::Entity::find().one(&db).await.expect("reads");
    let times = [
        project.map(|r| (r.created_at, r.updated_at)),
        area.map(|r| (r.created_at, r.updated_at)),
        rate.map(|r| (r.created_at, r.updated_at)),
        term.map(|r| (r.created_at, r.updated_at)),
    ];
    // Migration 9: a budget area carries its project's company, the scope of its uid.
    let area = budget_area::Entity::find().one(&db).await.expect("reads");
    assert_eq!(
        area.map(|a| (a.company_id, a.uid)),
        Some((1, "area-1".to_owned()))
    );
    for (i, pair) in times.into_iter().enumerate() {
        let (created, updated) = pair.unwrap_or_else(|| panic!("row {i} is there"));
        assert_eq!(created, updated, "row {i}");
        assert_eq!(updated.timestamp(), 1_741_064_767, "row {i}");
    }
}

/// Migration 16 counts each webhook endpoint's delivered rows into its `delivered`, and leaves
/// pending and failed ones out of it.
#[tokio::test]
async fn an_endpoint_s_delivered_count_starts_from_its_delivered_rows() {
    use entity::webhook_endpoint;
    let (_database, db) = database_at_migration(15).await;
    let now = || Expr::value(Utc::now());
    let text = |s: &str| Expr::value(s.to_owned());
    insert(
        &db,
        "companies",
        vec![
            ("slug", text("old")),
            ("name", text("Old")),
            ("created_at", now()),
        ],
    )
    .await;
    for url in ["http://one.test/hook", "http://two.test/hook"] {
        insert(
            &db,
            "webhook_endpoints",
            vec![
                ("company_id", Expr::value(1)),
                ("url", text(url)),
                ("secret", text("whsec_c2VjcmV0")),
                ("event_types", text("")),
                ("created_at", now()),
                ("next_event_id", Expr::value(0)),
            ],
        )
        .await;
    }
    // Endpoint 1: three delivered, one pending, one failed; endpoint 2: none delivered.
    let deliveries = [
        (1, "delivered"),
        (1, "delivered"),
        (1, "pending"),
        (1, "delivered"),
        (1, "failed"),
        (2, "pending"),
    ];
    for (event_id, (endpoint_id, status)) in (1_i64..).zip(deliveries) {
        insert(
            &db,
            "webhook_deliveries",
            vec![
                ("endpoint_id", Expr::value(endpoint_id)),
                ("event_id", Expr::value(event_id)),
                ("status", text(status)),
                ("attempts", Expr::value(1)),
                ("next_attempt_at", now()),
            ],
        )
        .await;
    }

    Migrator::up(&db, None).await.expect("the rest");
    let endpoints = webhook_endpoint::Entity::find()
        .all(&db)
        .await
        .expect("reads");
    let counts: Vec<(i64, i64, bool)> = endpoints
        .iter()
        .map(|e| (e.id, e.delivered, e.streamed_until.is_none()))
        .collect();
    assert_eq!(counts, vec![(1, 3, true), (2, 0, true)]);
}
