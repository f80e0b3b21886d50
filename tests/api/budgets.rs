//! GET /api/budgets, /api/budgets/{id}, /api/budget-areas, /api/budget-areas/{id}: the
//! original's shapes (plus a budget area's `uid` and `project_id`), its permissions
//! (`budget.view` for the projects the caller leads, `budget.view_other` for all), one
//! company's records only, the filters and paging; and the migration that put every existing
//! area into one budget per project.

use crate::helpers::{ACME, GLOBEX, World, database_at_migration};
use invoices_api::domain::permission::Permission;
use invoices_api::store::admin::{self, NewBudget, NewBudgetArea, Totals};
use rust_decimal::Decimal;
use serde_json::{Value, json};

fn decimal(text: &str) -> Decimal {
    text.parse().expect("a decimal")
}

/// A budget of `project` with totals, version `version`.
async fn budget(w: &World, project: i64, version: i32) -> i64 {
    let new = NewBudget {
        version,
        status: entity::budget::BudgetStatus::Submitted,
        is_baseline: version == 1,
        notes: Some("Second pass".into()),
        currency: "USD".into(),
        is_currency_enabled: true,
        final_net_price: decimal("12500.50"),
        totals: Totals {
            external_cost: decimal("2000"),
            cost: decimal("8000.25"),
            price: decimal("12500.5"),
            days: decimal("25.5"),
        },
        price_list_id: Some(7),
    };
    admin::add_budget(&w.app.db, project, new)
        .await
        .expect("budget added")
}

/// A budget area of `budget` with totals.
async fn area(w: &World, budget: i64, uid: &str) -> i64 {
    let new = NewBudgetArea {
        area_type: entity::budget_area::BudgetAreaType::ContingencyDiscount,
        totals: Totals {
            external_cost: decimal("-150.5"),
            cost: decimal("0"),
            price: decimal("-300"),
            days: decimal("1.25"),
        },
        price_list_id: Some(3),
        ..NewBudgetArea::named(uid, "Discount", true)
    };
    admin::add_budget_area(&w.app.db, budget, new)
        .await
        .expect("area added")
}

fn keys(object: &Value) -> Vec<String> {
    let mut keys: Vec<String> = object
        .as_object()
        .expect("an object")
        .keys()
        .cloned()
        .collect();
    keys.sort();
    keys
}

fn sorted(names: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    names.sort();
    names
}

#[tokio::test]
async fn budgets_and_areas_have_the_original_s_fields_with_exact_totals() {
    let w = World::new().await;
    let reader = w.member("reader", &[Permission::BudgetViewOther]).await;
    let budget_id = budget(&w, w.project, 1).await;
    let area_id = area(&w, budget_id, "discount").await;

    let budgets = w.get("/api/budgets", &reader).await;
    assert_eq!(budgets.status, 200, "{}", budgets.text);
    let listed = budgets.json()[0].clone();
    assert_eq!(
        keys(&listed),
        sorted(&[
            "id",
            "created_at",
            "updated_at",
            "version",
            "status",
            "is_baseline",
            "notes",
            "currency",
            "is_currency_enabled",
            "final_net_price",
            "total_external_cost",
            "total_cost",
            "total_price",
            "total_days",
            "project_id",
            "price_list_id",
        ])
    );
    let mut expected = listed.clone();
    for (field, value) in [
        ("id", json!(budget_id)),
        ("version", json!(1)),
        ("status", json!("SUBMITTED")),
        ("is_baseline", json!(true)),
        ("notes", json!("Second pass")),
        ("currency", json!("USD")),
        ("is_currency_enabled", json!(true)),
        ("project_id", json!(w.project)),
        ("price_list_id", json!(7)),
    ] {
        expected[field] = value;
    }
    assert_eq!(listed, expected);
    // Exact decimals, with the digits they were given.
    let text = budgets.text.clone();
    for number in [
        "\"final_net_price\":12500.5",
        "\"total_cost\":8000.25",
        "\"total_days\":25.5",
    ] {
        assert!(text.contains(number), "{number} in {text}");
    }

    let areas = w.get("/api/budget-areas", &reader).await;
    assert_eq!(areas.status, 200, "{}", areas.text);
    let listed_area = areas.json()[0].clone();
    assert_eq!(
        keys(&listed_area),
        sorted(&[
            "id",
            "created_at",
            "updated_at",
            "name",
            "is_enabled",
            "type",
            "total_external_cost",
            "total_cost",
            "total_price",
            "total_days",
            "budget_id",
            "price_list_id",
            "uid",
            "project_id",
        ])
    );
    assert_eq!(listed_area["id"], area_id);
    assert_eq!(listed_area["type"], "CONTINGENCY-DISCOUNT");
    assert_eq!(listed_area["budget_id"], budget_id);
    assert_eq!(listed_area["project_id"], w.project);
    assert_eq!(listed_area["uid"], "discount");
    assert_eq!(listed_area["price_list_id"], 3);
    assert!(
        areas.text.contains("\"total_external_cost\":-150.5"),
        "{}",
        areas.text
    );

    // One of each reads as the list shows it.
    let one = w.get(&format!("/api/budgets/{budget_id}"), &reader).await;
    assert_eq!(one.status, 200, "{}", one.text);
    assert_eq!(one.json(), listed);
    let one = w
        .get(&format!("/api/budget-areas/{area_id}"), &reader)
        .await;
    assert_eq!(one.status, 200, "{}", one.text);
    assert_eq!(one.json(), listed_area);
}

#[tokio::test]
async fn reading_budgets_needs_budget_view_for_projects_led_and_view_other_for_the_rest() {
    let w = World::new().await;
    // A PM with budget.view leads one project; the World's project is led by others.
    let leader = w.member("leader", &[Permission::BudgetView]).await;
    let led = w
        .app
        .add_project(
            ACME,
            "leader@acme.test",
            "account@acme.test",
            Some("L-1"),
            false,
        )
        .await;
    let led_budget = budget(&w, led, 1).await;
    let led_area = area(&w, led_budget, "led-area").await;
    let other_budget = budget(&w, w.project, 1).await;
    let other_area = area(&w, other_budget, "other-area").await;
    let everyone = w.member("everyone", &[Permission::BudgetViewOther]).await;
    let nobody = w.member("nobody", &[Permission::InvoicesViewOther]).await;

    let ids = |reply: crate::helpers::Reply| -> Vec<i64> {
        assert_eq!(reply.status, 200, "{}", reply.text);
        let list = reply.json();
        let list = list.as_array().expect("a list");
        list.iter().filter_map(|r| r["id"].as_i64()).collect()
    };
    assert_eq!(ids(w.get("/api/budgets", &leader).await), [led_budget]);
    assert_eq!(ids(w.get("/api/budget-areas", &leader).await), [led_area]);
    assert_eq!(
        ids(w.get("/api/budgets", &everyone).await),
        [led_budget, other_budget]
    );
    assert_eq!(
        ids(w.get("/api/budget-areas", &everyone).await),
        [led_area, other_area]
    );
    for path in [
        format!("/api/budgets/{led_budget}"),
        format!("/api/budget-areas/{led_area}"),
    ] {
        assert_eq!(w.get(&path, &leader).await.status, 200, "{path}");
    }
    for path in [
        format!("/api/budgets/{other_budget}"),
        format!("/api/budget-areas/{other_area}"),
    ] {
        let body = w.get(&path, &leader).await.assert_error(403, "forbidden");
        assert!(
            body["message"]
                .as_str()
                .is_some_and(|m| m.contains("budget.view_other")),
            "{path}: {body}"
        );
        assert_eq!(w.get(&path, &everyone).await.status, 200, "{path}");
    }
    for path in [
        "/api/budgets".to_owned(),
        "/api/budget-areas".to_owned(),
        format!("/api/budgets/{led_budget}"),
        format!("/api/budget-areas/{led_area}"),
    ] {
        let body = w.get(&path, &nobody).await.assert_error(403, "forbidden");
        assert_eq!(
            body["message"], "Missing permission: budget.view or budget.view_other.",
            "{path}"
        );
    }
}

#[tokio::test]
async fn another_company_s_budgets_and_areas_are_not_found_nor_listed() {
    let w = World::new().await;
    let reader = w.member("reader", &[Permission::BudgetViewOther]).await;
    let ours = budget(&w, w.project, 1).await;
    let our_area = area(&w, ours, "ours").await;
    let theirs = budget(&w, w.globex_project, 1).await;
    let their_area = area(&w, theirs, "theirs").await;
    for (path, id) in [("/api/budgets", theirs), ("/api/budget-areas", their_area)] {
        w.get(&format!("{path}/{id}"), &reader)
            .await
            .assert_error(404, "not_found");
        w.get(&format!("{path}/999999"), &reader)
            .await
            .assert_error(404, "not_found");
        let listed = w.get(path, &reader).await.json();
        assert_eq!(listed.as_array().map(Vec::len), Some(1), "{path}: {listed}");
    }
    // Filters naming the other company's records find nothing.
    for path in [
        format!("/api/budgets?project_id={}", w.globex_project),
        format!("/api/budget-areas?budget_id={theirs}"),
        format!("/api/budget-areas?project_id={}", w.globex_project),
    ] {
        assert_eq!(w.get(&path, &reader).await.json(), json!([]), "{path}");
    }
    assert_eq!(
        w.get(&format!("/api/budget-areas?budget_id={ours}"), &reader)
            .await
            .json()[0]["id"],
        our_area
    );
    // A member of another company is refused before anything is read.
    w.get_in(GLOBEX, &format!("/api/budgets/{ours}"), &reader)
        .await
        .assert_error(403, "forbidden");
}

#[tokio::test]
async fn the_lists_filter_on_project_budget_and_update_time_and_page() {
    let w = World::new().await;
    let reader = w.member("reader", &[Permission::BudgetViewOther]).await;
    let second = w.project_with(Some("JO-2"), false).await;
    let first_budget = budget(&w, w.project, 1).await;
    let second_version = budget(&w, w.project, 2).await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let other_project_budget = budget(&w, second, 1).await;
    let a1 = area(&w, first_budget, "a1").await;
    let a2 = area(&w, second_version, "a2").await;
    let a3 = area(&w, other_project_budget, "a3").await;
    let ids = |value: Value| -> Vec<i64> {
        let list = value.as_array().expect("a list").clone();
        list.iter().filter_map(|r| r["id"].as_i64()).collect()
    };
    let get = |path: String| {
        let (w, reader) = (&w, reader.clone());
        async move {
            let reply = w.get(&path, &reader).await;
            assert_eq!(reply.status, 200, "{path}: {}", reply.text);
            reply.json()
        }
    };
    assert_eq!(
        ids(get(format!("/api/budgets?project_id={}", w.project)).await),
        [first_budget, second_version]
    );
    assert_eq!(
        ids(get("/api/budgets?limit=1&offset=1".into()).await),
        [second_version]
    );
    let all = get("/api/budgets".into()).await;
    let last = all[2]["updated_at"].as_str().expect("a time").to_owned();
    assert_eq!(
        ids(get(format!("/api/budgets?updated_at=gte:{last}")).await),
        [other_project_budget]
    );
    assert_eq!(
        ids(get(format!("/api/budget-areas?budget_id={second_version}")).await),
        [a2]
    );
    assert_eq!(
        ids(get(format!("/api/budget-areas?project_id={}", w.project)).await),
        [a1, a2]
    );
    assert_eq!(
        ids(get("/api/budget-areas?limit=2&offset=1".into()).await),
        [a2, a3]
    );
    // A malformed or unknown parameter is a 400 naming it.
    for (path, field) in [
        ("/api/budgets?project_id=abc", "project_id"),
        ("/api/budget-areas?budget_id=0", "budget_id"),
        ("/api/budgets?budget_id=1", "budget_id"),
        ("/api/budgets?limit=101", "limit"),
    ] {
        let reply = w.get(path, &reader).await;
        assert_eq!(reply.failed_fields(), [field], "{path}: {}", reply.text);
    }
}

/// A database whose budget areas and invoices an earlier release wrote: the migration puts
/// every area into one budget per project and changes no invoice.
#[tokio::test]
async fn the_migration_puts_each_project_s_areas_into_one_budget_and_keeps_every_invoice() {
    use sea_orm::ConnectionTrait;
    // Rows of the schema before budgets, as the release before wrote them (by SQL: this
    // build's code writes the schema after).
    let (fresh, db) = database_at_migration(12).await;
    let at = "'2026-11-30 10:00:00+00:00'";
    for sql in [
        format!("INSERT INTO companies (slug, name, created_at) VALUES ('acme', 'Acme', {at})"),
        format!("INSERT INTO users (email, name, created_at) VALUES ('pm@acme.test', 'PM', {at})"),
        format!(
            "INSERT INTO projects (company_id, name, job_order, pm_user_id, account_user_id, \
             archived, created_at, updated_at) VALUES (1, 'P1', 'JO-1', 1, 1, FALSE, {at}, {at}), \
             (1, 'P2', 'JO-2', 1, 1, FALSE, {at}, {at}), (1, 'P3', 'JO-3', 1, 1, FALSE, {at}, {at})"
        ),
        format!(
            "INSERT INTO budget_areas (project_id, company_id, uid, name, enabled, created_at, \
             updated_at) VALUES (1, 1, 'a1', 'A1', TRUE, {at}, {at}), \
             (1, 1, 'a2', 'A2', FALSE, {at}, {at}), (2, 1, 'b1', 'B1', TRUE, {at}, {at})"
        ),
        format!(
            "INSERT INTO invoices (company_id, project_id, status, value, issue_date, \
             budget_area_uid, created_by_user_id, created_at, updated_at, version) VALUES \
             (1, 1, 'draft', '100.50', '2026-11-30', 'a1', 1, {at}, {at}, 1), \
             (1, 2, 'sent', '7', '2026-11-30', 'b1', 1, {at}, {at}, 2)"
        ),
    ] {
        db.execute_unprepared(&sql).await.expect(&sql);
    }
    db.close().await.expect("closes");
    let db = invoices_api::store::database::open(&fresh.url)
        .await
        .expect("migrates");
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT a.uid, a.budget_id, b.project_id, b.version, b.status, b.is_baseline, \
             a.type FROM budget_areas a JOIN budgets b ON b.id = a.budget_id ORDER BY a.uid",
        ))
        .await
        .expect("areas");
    let found: Vec<(String, i64, i64, String, String)> = rows
        .iter()
        .map(|r| {
            (
                r.try_get_by_index(0).expect("uid"),
                r.try_get_by_index(1).expect("budget"),
                r.try_get_by_index(2).expect("project"),
                r.try_get_by_index(4).expect("status"),
                r.try_get_by_index(6).expect("type"),
            )
        })
        .collect();
    let budget_of = |uid: &str| found.iter().find(|f| f.0 == uid).map(|f| f.1);
    assert_eq!(found.len(), 3, "every area has a budget: {found:?}");
    assert_eq!(budget_of("a1"), budget_of("a2"), "one budget per project");
    assert_ne!(budget_of("a1"), budget_of("b1"));
    for (uid, _, project, status, area_type) in &found {
        assert_eq!(
            *project,
            if uid.starts_with('a') { 1 } else { 2 },
            "{uid}'s budget is of its project"
        );
        assert_eq!(status, "APPROVED");
        assert_eq!(area_type, "DEFAULT");
    }
    let budgets = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT count(*) FROM budgets",
        ))
        .await
        .expect("count")
        .and_then(|r| r.try_get_by_index::<i64>(0).ok());
    assert_eq!(budgets, Some(2), "no budget for a project without areas");

    // Every invoice reads as it did, and still passes the budget area's rule when changed.
    admin::add_member(
        &db,
        ACME,
        "pm@acme.test",
        &[
            Permission::InvoicesViewOther,
            Permission::InvoicesEditOther,
            Permission::InvoicesEditSent,
        ],
    )
    .await
    .expect("member");
    let token = admin::add_token(&db, "pm@acme.test", "t", None)
        .await
        .expect("token");
    let base = crate::cli::serve(db).await;
    let client = reqwest::Client::new();
    let call = |method: reqwest::Method, path: String, body: Option<Value>| {
        let mut request = client
            .request(method, format!("{base}{path}"))
            .bearer_auth(&token)
            .header("Wethod-Company", ACME)
            .header("Wethod-Version", crate::helpers::VERSION);
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move {
            let reply = request.send().await.expect("sent");
            let status = reply.status().as_u16();
            (status, reply.json::<Value>().await.expect("JSON"))
        }
    };
    for (id, uid, value) in [(1, "a1", "100.5"), (2, "b1", "7")] {
        let (status, invoice) =
            call(reqwest::Method::GET, format!("/api/invoices/{id}"), None).await;
        assert_eq!(status, 200, "{invoice}");
        assert_eq!(invoice["budget_area_uid"], uid);
        assert_eq!(invoice["value"].to_string(), value);
        assert_eq!(invoice["updated_at"], "2026-11-30T10:00:00.000Z");
    }
    let (status, changed) = call(
        reqwest::Method::PATCH,
        "/api/invoices/1".into(),
        Some(json!({"budget_area_uid": "a1", "notes": "after the migration"})),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["budget_area_uid"], "a1");
}
