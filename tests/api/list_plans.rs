//! Every list shape reads about as many rows as it returns: the database's own plan for each
//! list query is held to that, so a later change to a query or a migration cannot undo it
//! silently. A shape in its index's order is a walk of that index from the first row it needs,
//! with no sort; a range filter (`issue_date=gte:…` in id order) is a search of the filter's
//! own index by the range, and a sort of only the rows the range matches.

use crate::helpers::{World, fresh_database};
use chrono::{Duration, NaiveDate, Utc};
use entity::{invoice_contact, payment_term, project, vat_rate};
use invoices_api::domain::filter::{Filter, Op};
use invoices_api::domain::invoice_list::{ListOrder, ListQuery};
use invoices_api::domain::paging::Page;
use invoices_api::store::budgets::{Scope, budget_areas_page, budgets_page};
use invoices_api::store::database;
use invoices_api::store::invoices::list_select;
use invoices_api::store::reference::{company_page, members_page};
use sea_orm::{ConnectionTrait, DatabaseBackend, QueryTrait, Statement, TransactionTrait};

/// What a shape's plan must be.
struct Expected {
    /// The index that serves it.
    index: &'static str,
    /// Whether the rows it walks past are read from the index alone (a deep offset); only the
    /// page's own rows are then read whole, and may be sorted.
    index_only: bool,
    /// `Some(column)`: a range of this column is searched in the index and its matches sorted;
    /// `None`: the index is walked in the list's order, with nothing sorted.
    range_of: Option<&'static str>,
}

const fn in_order(index: &'static str) -> Expected {
    Expected {
        index,
        index_only: false,
        range_of: None,
    }
}

const fn index_only(index: &'static str) -> Expected {
    Expected {
        index,
        index_only: true,
        range_of: None,
    }
}

const fn range(index: &'static str, column: &'static str) -> Expected {
    Expected {
        index,
        index_only: false,
        range_of: Some(column),
    }
}

fn filter<T>(op: Op, value: T) -> Filter<T> {
    Filter::Compare(op, value)
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a date")
}

/// Every list shape, built for `backend`, with the plan it must have.
fn shapes(
    backend: DatabaseBackend,
    project_id: i64,
    pm_user_id: i64,
) -> Vec<(&'static str, Statement, Expected)> {
    let page = Page {
        limit: 100,
        offset: 0,
    };
    let company_scope = Scope {
        company_id: 1,
        ..Scope::default()
    };
    let project_scope = Scope {
        project_id: Some(project_id),
        ..company_scope
    };
    let list = |query: ListQuery| {
        list_select(
            1,
            &ListQuery {
                limit: 100,
                ..query
            },
        )
        .build(backend)
    };
    let recently = Utc::now() - Duration::minutes(10);
    let march = vec![
        filter(Op::Gte, day(2016, 3, 1)),
        filter(Op::Lt, day(2016, 3, 8)),
    ];
    vec![
        (
            "the first page",
            list(ListQuery::default()),
            in_order("ix_invoices_company_id"),
        ),
        (
            "a deep offset",
            list(ListQuery {
                offset: 900_000,
                ..ListQuery::default()
            }),
            index_only("ix_invoices_company_id"),
        ),
        (
            "a deep offset of one project",
            list(ListQuery {
                offset: 900_000,
                project_id: vec![filter(Op::Eq, project_id)],
                ..ListQuery::default()
            }),
            index_only("ix_invoices_company_project_id"),
        ),
        (
            "one project",
            list(ListQuery {
                project_id: vec![filter(Op::Eq, project_id)],
                ..ListQuery::default()
            }),
            in_order("ix_invoices_company_project_id"),
        ),
        (
            "one issue date",
            list(ListQuery {
                issue_date: vec![filter(Op::Eq, day(2016, 3, 1))],
                ..ListQuery::default()
            }),
            in_order("ix_invoices_company_issue_date"),
        ),
        (
            "a week of issue dates",
            list(ListQuery {
                issue_date: march.clone(),
                ..ListQuery::default()
            }),
            range("ix_invoices_company_issue_date", "issue_date"),
        ),
        (
            "a few projects",
            list(ListQuery {
                project_id: vec![Filter::In(vec![project_id, 999_999])],
                ..ListQuery::default()
            }),
            range("ix_invoices_company_project_id", "project_id"),
        ),
        (
            "issue dates between two days",
            list(ListQuery {
                issue_date: vec![Filter::Between(day(2016, 3, 1), day(2016, 3, 8))],
                ..ListQuery::default()
            }),
            range("ix_invoices_company_issue_date", "issue_date"),
        ),
        (
            "payment dates from a day on",
            list(ListQuery {
                payment_date: vec![filter(Op::Gte, day(2016, 6, 1))],
                ..ListQuery::default()
            }),
            range("ix_invoices_company_payment_date", "payment_date"),
        ),
        (
            "payment dates up to a day",
            list(ListQuery {
                payment_date: vec![filter(Op::Lte, day(2016, 2, 1))],
                ..ListQuery::default()
            }),
            range("ix_invoices_company_payment_date", "payment_date"),
        ),
        (
            "the updated_at poll in id order",
            list(ListQuery {
                updated_at: vec![filter(Op::Gt, recently)],
                ..ListQuery::default()
            }),
            range("ix_invoices_company_updated_at", "updated_at"),
        ),
        (
            "the sync walk from its start",
            list(ListQuery {
                order: ListOrder::UpdatedAt,
                ..ListQuery::default()
            }),
            in_order("ix_invoices_company_updated_at"),
        ),
        (
            "the sync walk from a cursor",
            list(ListQuery {
                order: ListOrder::UpdatedAt,
                updated_at: vec![filter(Op::Gte, recently)],
                ..ListQuery::default()
            }),
            in_order("ix_invoices_company_updated_at"),
        ),
        (
            "one project and a week of issue dates",
            list(ListQuery {
                project_id: vec![filter(Op::Eq, project_id)],
                issue_date: march,
                ..ListQuery::default()
            }),
            range("ix_invoices_company_issue_date", "issue_date"),
        ),
        (
            "the invoices of a PM's or Account's projects",
            list(ListQuery {
                only_projects_of: Some(pm_user_id),
                ..ListQuery::default()
            }),
            // Either is bounded by what the caller may see, not by the company: SQLite, with
            // no statistics, walks the company's invoices in id order and keeps those of the
            // caller's projects (a page costs `limit` divided by their share); PostgreSQL
            // reads each of the caller's projects' invoices through the project index and
            // sorts them.
            if backend == DatabaseBackend::Postgres {
                range("ix_invoices_company_project_id", "project_id")
            } else {
                in_order("ix_invoices_company_id")
            },
        ),
        (
            "projects",
            company_page::<project::Entity>(1, &[], page).build(backend),
            in_order("ix_projects_company_id"),
        ),
        (
            "one project's budget areas",
            budget_areas_page(project_scope, None, &[], page).build(backend),
            in_order("ix_budget_areas_project_id"),
        ),
        (
            "the company's budget areas",
            budget_areas_page(company_scope, None, &[], page).build(backend),
            in_order("ix_budget_areas_company_id"),
        ),
        (
            "one budget's budget areas",
            budget_areas_page(company_scope, Some(1), &[], page).build(backend),
            in_order("ix_budget_areas_budget_id"),
        ),
        (
            "the company's budgets",
            budgets_page(company_scope, &[], page).build(backend),
            in_order("ix_budgets_company_id"),
        ),
        (
            "one project's budgets",
            budgets_page(project_scope, &[], page).build(backend),
            in_order("ix_budgets_project_id"),
        ),
        (
            "VAT rates",
            company_page::<vat_rate::Entity>(1, &[], page).build(backend),
            in_order("ix_vat_rates_company_id"),
        ),
        (
            "payment terms",
            company_page::<payment_term::Entity>(1, &[], page).build(backend),
            in_order("ix_payment_terms_company_id"),
        ),
        (
            "invoice contacts",
            company_page::<invoice_contact::Entity>(1, &[], page).build(backend),
            in_order("ix_invoice_contacts_company_id"),
        ),
        (
            "members",
            members_page(1, page).build(backend),
            in_order("ix_memberships_company_user"),
        ),
    ]
}

/// The plan's lines, as the database prints them.
async fn plan(db: &impl ConnectionTrait, statement: Statement) -> String {
    let backend = db.get_database_backend();
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

/// Whether the plan sorts rows (SQLite's temporary B-tree, PostgreSQL's Sort node).
fn sorts(plan: &str) -> bool {
    plan.contains("TEMP B-TREE") || plan.contains("Sort")
}

/// The table an index of ours belongs to (`ix_<table>_…`).
fn table_of(index: &str) -> &'static str {
    [
        "invoices",
        "projects",
        "budget_areas",
        "budgets",
        "vat_rates",
        "payment_terms",
        "invoice_contacts",
        "memberships",
    ]
    .into_iter()
    .find(|table| index.starts_with(&format!("ix_{table}_")))
    .expect("an index of a known table")
}

/// Whether the plan reads the whole `table` (SQLite's SCAN, PostgreSQL's sequential scan).
fn scans(plan: &str, table: &str) -> bool {
    plan.lines().any(|line| {
        line.contains(&format!("Seq Scan on {table}"))
            || line
                .trim_start_matches(['|', '`', '-', ' '])
                .starts_with(&format!("SCAN {table}"))
    })
}

/// Whether the plan searches `index` by a condition on `column` (not only by the company): a
/// range, or each value of a list.
fn searches_by(plan: &str, index: &str, column: &str) -> bool {
    let lines: Vec<&str> = plan.lines().collect();
    lines.iter().enumerate().any(|(i, line)| {
        line.contains(index)
            && (line.contains(&format!("{column}>"))
                || line.contains(&format!("{column}<"))
                // SQLite searches a list (`in:`) value by value.
                || line.contains(&format!("{column}=?"))
                // PostgreSQL prints the index's condition on the next line.
                || lines.get(i + 1).is_some_and(|next| {
                    next.contains("Index Cond") && next.contains(&format!("{column} "))
                }))
    })
}

#[tokio::test]
async fn each_list_shape_reads_what_it_returns() {
    let w = World::new().await;
    let db = &w.app.db;
    let backend = db.get_database_backend();
    if backend == DatabaseBackend::Postgres {
        // A table shared by companies of different sizes (this one small, the other a hundred
        // times larger) whose rows spread over dates and update times, with fresh statistics,
        // for the plan to be the one a real table gets; sequential scans off, so the plan
        // shows which index serves the order.
        db.execute_unprepared(
            "INSERT INTO invoices (company_id, project_id, status, value, issue_date, \
             payment_date, created_by_user_id, created_at, updated_at) \
             SELECT p.company_id, p.id, 'draft', 1, DATE '2016-01-01' + g % 3650, \
             CASE WHEN g % 3 = 0 THEN DATE '2016-01-31' + g % 3650 END, p.pm_user_id, \
             now() - g * interval '1 minute', now() - g * interval '1 minute' \
             FROM projects p, \
             LATERAL generate_series(1, CASE WHEN p.company_id = 1 THEN 200 ELSE 20000 END) g",
        )
        .await
        .expect("seeded");
        // Members likewise: a hundredth of 20,000 users in this company, the rest in the other.
        db.execute_unprepared(
            "INSERT INTO users (email, name, created_at) \
             SELECT 'seed' || g || '@example.test', 'Seed', now() FROM generate_series(1, 20000) g",
        )
        .await
        .expect("users seeded");
        db.execute_unprepared(
            "INSERT INTO memberships (company_id, user_id, created_at) \
             SELECT CASE WHEN id % 100 = 0 THEN 1 ELSE 2 END, id, now() FROM users \
             WHERE email LIKE 'seed%'",
        )
        .await
        .expect("members seeded");
        // Budgets likewise (versions of each project's plan), two areas each.
        db.execute_unprepared(
            "INSERT INTO budgets (company_id, project_id, version, status, is_baseline, \
             currency, is_currency_enabled, final_net_price, total_external_cost, total_cost, \
             total_price, total_days, created_at, updated_at) \
             SELECT p.company_id, p.id, g, 'DRAFT', g = 1, 'EUR', FALSE, 0, 0, 0, 0, 0, \
             now() - g * interval '1 minute', now() - g * interval '1 minute' \
             FROM projects p, \
             LATERAL generate_series(1, CASE WHEN p.company_id = 1 THEN 50 ELSE 5000 END) g",
        )
        .await
        .expect("budgets seeded");
        db.execute_unprepared(
            "INSERT INTO budget_areas (project_id, company_id, budget_id, uid, name, enabled, \
             created_at, updated_at) \
             SELECT b.project_id, b.company_id, b.id, 'seed-' || b.id || '-' || g, 'Seed', TRUE, \
             b.created_at, b.updated_at FROM budgets b, generate_series(1, 2) g",
        )
        .await
        .expect("budget areas seeded");
        db.execute_unprepared("VACUUM ANALYZE invoices, users, memberships, budgets, budget_areas")
            .await
            .expect("vacuumed");
    }
    // One connection for the setting and the plans.
    let txn = db.begin().await.expect("a transaction");
    if backend == DatabaseBackend::Postgres {
        txn.execute_unprepared("SET LOCAL enable_seqscan = off")
            .await
            .expect("set");
    }
    let pm_user_id = db
        .query_one_raw(Statement::from_string(
            backend,
            format!("SELECT pm_user_id FROM projects WHERE id = {}", w.project),
        ))
        .await
        .expect("query")
        .and_then(|row| row.try_get_by_index::<i64>(0).ok())
        .expect("the project's PM");
    for (shape, statement, expected) in shapes(backend, w.project, pm_user_id) {
        let plan = plan(&txn, statement).await;
        let table = table_of(expected.index);
        assert!(!scans(&plan, table), "{shape} reads all {table}: {plan}");
        assert!(plan.contains(expected.index), "{shape}: {plan}");
        if expected.index_only {
            assert!(
                plan.contains(&format!("COVERING INDEX {}", expected.index))
                    || plan.contains(&format!("Index Only Scan using {}", expected.index)),
                "{shape} reads the rows it skips: {plan}"
            );
        }
        match expected.range_of {
            // A deep page's own rows, found by id, may be put in order (PostgreSQL sorts them).
            None if expected.index_only => {}
            None => assert!(!sorts(&plan), "{shape} sorts: {plan}"),
            Some(column) => assert!(
                searches_by(&plan, expected.index, column),
                "{shape} walks the company instead of searching {column}: {plan}"
            ),
        }
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
        "ix_budget_areas_company_id",
        "ix_budget_areas_budget_id",
        "ix_budgets_company_id",
        "ix_budgets_project_id",
        "ix_vat_rates_company_id",
        "ix_payment_terms_company_id",
        "ix_invoices_company_issue_date",
        "ix_invoices_company_payment_date",
        "ix_invoices_company_updated_at",
        "ix_invoice_contacts_company_id",
        "ix_invoice_contacts_company_updated_at",
        "ix_memberships_company_user",
    ] {
        assert!(names.iter().any(|n| n == name), "{name} in {names:?}");
    }
    assert!(
        !names.iter().any(|n| n == "ix_invoices_project"),
        "replaced: {names:?}"
    );
}
