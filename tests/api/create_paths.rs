//! The create has two paths: the one-statement insert that carries every check in its `WHERE`
//! (`store::invoice_checks`), and the checks one by one in the contract's order (taken by
//! every request with an `Idempotency-Key`, and by every request the first path refuses).
//! Both must give the same verdict for every request, and every valid request must be taken
//! by the first: a condition there stricter than its check would only slow valid creates,
//! silently.

use crate::helpers::{ACME, GLOBEX, World, create_with_key};
use chrono::{Duration, Utc};
use entity::api_token;
use invoices_api::domain::invoice::{InvoiceNumber, NewInvoice};
use invoices_api::domain::money::Money;
use invoices_api::domain::permission::Action;
use invoices_api::domain::permission::Permission;
use invoices_api::domain::token;
use invoices_api::store::admin;
use invoices_api::store::invoice_checks::{CreateRequest, TokenInCompany, insert_draft_if_allowed};
use invoices_api::store::invoices::InvoiceWriteError;
use invoices_api::store::invoices::draft;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

/// One request: who sends it, in which company, and what it asks for.
struct Case {
    name: &'static str,
    token: String,
    company: &'static str,
    project_id: i64,
    budget_area_uid: Option<&'static str>,
    vat_rate_id: Option<i64>,
    payment_term_id: Option<i64>,
    invoice_number: Option<&'static str>,
    /// The status the contract gives it.
    expected: u16,
}

impl Case {
    fn new(name: &'static str, token: &str, project_id: i64, expected: u16) -> Self {
        Case {
            name,
            token: token.to_owned(),
            company: ACME,
            project_id,
            budget_area_uid: None,
            vat_rate_id: None,
            payment_term_id: None,
            invoice_number: None,
            expected,
        }
    }

    fn refs(
        mut self,
        budget_area_uid: Option<&'static str>,
        vat_rate_id: Option<i64>,
        payment_term_id: Option<i64>,
    ) -> Self {
        self.budget_area_uid = budget_area_uid;
        self.vat_rate_id = vat_rate_id;
        self.payment_term_id = payment_term_id;
        self
    }

    fn new_invoice(&self) -> NewInvoice {
        NewInvoice {
            project_id: self.project_id,
            value: Money::whole(100),
            issue_date: chrono::NaiveDate::from_ymd_opt(2024, 6, 15).expect("a date"),
            invoice_number: self
                .invoice_number
                .map(|n| InvoiceNumber::parse(n.to_owned()).expect("a number")),
            purchase_order: None,
            exchange_rate: None,
            notes: None,
            budget_area_uid: self.budget_area_uid.map(str::to_owned),
            vat_rate_id: self.vat_rate_id,
            payment_term_id: self.payment_term_id,
        }
    }

    fn body(&self) -> Value {
        json!({
            "project_id": self.project_id,
            "value": 100,
            "issue_date": "2024-06-15",
            "invoice_number": self.invoice_number,
            "budget_area_uid": self.budget_area_uid,
            "vat_rate_id": self.vat_rate_id,
            "payment_term_id": self.payment_term_id,
        })
    }
}

/// The one-statement path's verdict, as a status: 201 when it inserted, 400 for a taken
/// invoice number, `None` when it refused without saying why.
async fn one_statement(w: &World, case: &Case) -> Option<u16> {
    let token_hash = token::hash(&case.token);
    let presented = TokenInCompany {
        token_hash: &token_hash,
        company_slug: case.company,
        now: Utc::now(),
    };
    let draft = draft(0, 0, case.new_invoice(), presented.now);
    let request = CreateRequest {
        token: presented,
        permissions: (
            Action::Create.other().as_str(),
            Action::Create.own().as_str(),
        ),
        draft: &draft,
    };
    match insert_draft_if_allowed(&w.app.db, &request).await {
        Ok(Some(_)) => Some(201),
        Ok(None) => None,
        Err(InvoiceWriteError::DuplicateNumber) => Some(400),
        Err(other) => panic!("{}: {other}", case.name),
    }
}

/// A member of `acme` with these permissions whose token then gets `change`d in the database.
async fn member_whose_token(w: &World, name: &str, change: Expr) -> String {
    let token = w.member(name, &[Permission::InvoicesCreateOther]).await;
    api_token::Entity::update_many()
        .col_expr(api_token::Column::ExpiresAt, change)
        .filter(api_token::Column::TokenHash.eq(token::hash(&token)))
        .exec(&w.app.db)
        .await
        .expect("token changed");
    token
}

#[tokio::test]
async fn both_create_paths_give_the_same_verdict_and_every_valid_create_takes_one_statement() {
    let w = World::new().await;
    let app = &w.app;
    let project = w.project;
    let other_project = w.project_with(Some("JO-2"), false).await;
    let archived = w.project_with(Some("JO-3"), true).await;
    let no_job_order = w.project_with(None, false).await;
    let blank_job_order = w.project_with(Some("JO-4"), false).await;
    app.set_job_order_raw(blank_job_order, " \u{2003}\t").await;
    w.app.add_budget_area(project, "ba-on", true).await;
    w.app.add_budget_area(project, "ba-off", false).await;
    w.app
        .add_budget_area(other_project, "ba-elsewhere", true)
        .await;
    let vat = app.add_vat_rate(ACME, false).await;
    let vat_archived = app.add_vat_rate(ACME, true).await;
    let term = app.add_payment_term(ACME, false).await;
    let term_archived = app.add_payment_term(ACME, true).await;
    w.invoice(json!({ "invoice_number": "TAKEN" })).await;

    let both = w
        .member(
            "both",
            &[Permission::InvoicesCreate, Permission::InvoicesCreateOther],
        )
        .await;
    let expiring_later =
        member_whose_token(&w, "later", Expr::value(Utc::now() + Duration::hours(1))).await;
    let expired = member_whose_token(
        &w,
        "expired",
        Expr::value(Utc::now() - Duration::seconds(1)),
    )
    .await;
    let revoked = w
        .member("revoked", &[Permission::InvoicesCreateOther])
        .await;
    admin::revoke_token(&app.db, "revoked@acme.test", "test")
        .await
        .expect("revoked");

    let mut cases = vec![
        // Who: every role and permission.
        Case::new("PM with invoices.create", &w.pm, project, 201),
        Case::new("Account with invoices.create", &w.account, project, 201),
        Case::new("no role, invoices.create only", &w.outsider, project, 403),
        Case::new("no role, invoices.create_other", &w.boss, project, 201),
        Case::new("no role, both permissions", &both, project, 201),
        Case::new("neither permission", &w.viewer, project, 403),
        Case::new(
            "member of another company only",
            &w.globex_member,
            project,
            403,
        ),
        // Tokens.
        Case::new("a token expiring in an hour", &expiring_later, project, 201),
        Case::new("an expired token", &expired, project, 401),
        Case::new("a revoked token", &revoked, project, 401),
        Case::new("an unknown token", &token::generate(), project, 401),
        // Preconditions of the project.
        Case::new("a missing project", &w.boss, 999_999, 412),
        Case::new("another company's project", &w.boss, w.globex_project, 412),
        Case::new("an archived project", &w.pm, archived, 412),
        Case::new("a project without job order", &w.pm, no_job_order, 412),
        Case::new(
            "a project whose job order is blank",
            &w.pm,
            blank_job_order,
            412,
        ),
        Case::new(
            "another project, no role on it",
            &w.outsider,
            other_project,
            403,
        ),
    ];
    let mut unknown_company = Case::new("an unknown company", &w.pm, project, 403);
    unknown_company.company = "nope";
    cases.push(unknown_company);
    let mut in_globex = Case::new(
        "acme's project sent to globex",
        &w.globex_member,
        project,
        412,
    );
    in_globex.company = GLOBEX;
    cases.push(in_globex);
    // References: usable, disabled or archived, missing, another project's or company's.
    let pm = w.pm.as_str();
    cases.extend([
        Case::new("every reference usable", pm, project, 201).refs(
            Some("ba-on"),
            Some(vat),
            Some(term),
        ),
        Case::new("a disabled budget area", pm, project, 412).refs(Some("ba-off"), None, None),
        Case::new("a missing budget area", pm, project, 412).refs(Some("ba-none"), None, None),
        Case::new("another project's budget area", pm, project, 412).refs(
            Some("ba-elsewhere"),
            None,
            None,
        ),
        Case::new("an archived VAT rate", pm, project, 412).refs(None, Some(vat_archived), None),
        Case::new("a missing VAT rate", pm, project, 412).refs(None, Some(999_999), None),
        Case::new("another company's VAT rate", pm, project, 412).refs(
            None,
            Some(w.globex_vat_rate),
            None,
        ),
        Case::new("an archived payment term", pm, project, 412).refs(
            None,
            None,
            Some(term_archived),
        ),
        Case::new("a missing payment term", pm, project, 412).refs(None, None, Some(999_999)),
        Case::new("another company's payment term", pm, project, 412).refs(
            None,
            None,
            Some(w.globex_payment_term),
        ),
    ]);
    let mut taken = Case::new("an invoice number already used", &w.pm, project, 400);
    taken.invoice_number = Some("TAKEN");
    cases.push(taken);
    let mut fresh_number = Case::new("a new invoice number", &w.pm, project, 201);
    fresh_number.invoice_number = Some("FRESH");
    cases.push(fresh_number);

    for (i, case) in cases.iter().enumerate() {
        let fast = one_statement(&w, case).await;
        // With a key, the request takes the checks one by one (`FRESH` was taken just above,
        // by the one-statement insert, so that case gets its number afresh).
        let mut by_steps = case.body();
        if case.invoice_number == Some("FRESH") {
            by_steps["invoice_number"] = json!("FRESH-2");
        }
        let reply = create_with_key(
            &w,
            &case.token,
            case.company,
            &format!("case-{i}"),
            &by_steps.to_string(),
        )
        .await;
        assert_eq!(reply.status, case.expected, "{}: {}", case.name, reply.text);
        match case.expected {
            201 | 400 => assert_eq!(fast, Some(case.expected), "{}", case.name),
            _ => assert_eq!(fast, None, "{}: the one-statement path refuses", case.name),
        }
    }
}
