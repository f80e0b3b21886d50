//! A list page is an index walk in id order, not a read and sort of the whole company: the
//! database's own plan for each list query is held to that, so a later change to a query or a
//! migration cannot undo it silently.

use crate::helpers::{World, fresh_database};
use invoices_api::domain::filter::{Filter, Op};
use invoices_api::store::database;
use invoices_api::store::invoices::{ListQuery, list_select};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, QueryTrait, Statement};

/// The list shapes that have an index of their own today.
fn shapes(project_id: i64) -> Vec<(&'static str, ListQuery)> {
    let page = |offset| ListQuery {
        limit: 100,
        offset,
        ..ListQuery::default()
    };
    vec![
        ("the first page", page(0)),
        ("a deep offset", page(900_000)),
        (
            "one project",
            ListQuery {
                project_id: vec![Filter {
                    op: Op::Eq,
                    value: project_id,
                }],
                ..page(0)
            },
        ),
    ]
}

/// The plan's lines, as the database prints them.
async fn plan(db: &DatabaseConnection, query: &ListQuery) -> String {
    let backend = db.get_database_backend();
    let statement = list_select(1, query).build(backend);
    let explain = match backend {
        DatabaseBackend::Postgres => "EXPLAIN",
        _ => "EXPLAIN QUERY PLAN",
    };
    let sql = format!("{explain} {}", statement.sql);
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            sql,
            statement.values.map(|v| v.0).unwrap_or_default(),
        ))
        .await
        .expect("explain");
    rows.iter()
        .map(|row| {
            let column = if backend == DatabaseBackend::Postgres {
                0
            } else {
                3
            };
            row.try_get_by_index::<String>(column).unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn each_list_shape_walks_an_index_in_id_order() {
    let w = World::new().await;
    let db = &w.app.db;
    if db.get_database_backend() == DatabaseBackend::Postgres {
        // A table shared by companies of different sizes (this one small, the other a hundred
        // times larger), with fresh statistics, for the plan to be the one a real table gets;
        // sequential scans off, so the plan shows which index serves the order.
        db.execute_unprepared(
            "INSERT INTO invoices (company_id, project_id, status, value, issue_date, \
             created_by_user_id, created_at, updated_at) \
             SELECT p.company_id, p.id, 'draft', 1, DATE '2024-01-01', p.pm_user_id, now(), now() \
             FROM projects p, \
             LATERAL generate_series(1, CASE WHEN p.company_id = 1 THEN 200 ELSE 20000 END); \
             ANALYZE invoices",
        )
        .await
        .expect("seeded");
        db.execute_unprepared("SET enable_seqscan = off")
            .await
            .expect("set");
    }
    for (shape, query) in shapes(w.project) {
        let plan = plan(db, &query).await;
        assert!(!plan.contains("SCAN invoices"), "{shape}: {plan}");
        assert!(!plan.contains("TEMP B-TREE"), "{shape}: {plan}");
        assert!(!plan.contains("Sort"), "{shape}: {plan}");
        assert!(plan.contains("ix_invoices_"), "{shape}: {plan}");
    }
}

#[tokio::test]
async fn the_migrations_create_the_list_indexes() {
    let fresh = fresh_database().await;
    let db = database::open_with_pool(&fresh.url, None)
        .await
        .expect("opens and migrates");
    let sql = match db.get_database_backend() {
        DatabaseBackend::Postgres => "SELECT indexname FROM pg_indexes WHERE indexname LIKE 'ix_%'",
        _ => "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'ix_%'",
    };
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("indexes");
    let names: Vec<String> = rows
        .iter()
        .filter_map(|r| r.try_get_by_index::<String>(0).ok())
        .collect();
    for name in [
        "ix_invoices_company_id",
        "ix_invoices_company_project_id",
        "ix_projects_company_id",
        "ix_budget_areas_project_id",
        "ix_vat_rates_company_id",
        "ix_payment_terms_company_id",
    ] {
        assert!(names.iter().any(|n| n == name), "{name} in {names:?}");
    }
    assert!(
        !names.iter().any(|n| n == "ix_invoices_project"),
        "replaced: {names:?}"
    );
}
