//! `invoices-api demo`: a small company to try the API with, made idempotently.

use crate::domain::permission::Permission;
use crate::store::admin::{self, AdminError, NewProject};
use entity::{budget_area, invoice_contact, payment_term, project, vat_rate};
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

const COMPANY: &str = "demo";
const PM: &str = "ann@demo.test";
const ACCOUNT: &str = "bob@demo.test";
const TOKEN_NAME: &str = "demo";

/// Runs an `add`, treating "already exists" as done.
fn existing_is_fine<T>(result: Result<T, AdminError>) -> Result<(), AdminError> {
    match result {
        Ok(_) | Err(AdminError::Conflict(_)) => Ok(()),
        Err(err) => Err(err),
    }
}

async fn ensure_project(
    db: &DatabaseConnection,
    company_id: i64,
    name: &str,
    job_order: Option<&str>,
    archived: bool,
) -> Result<i64, AdminError> {
    let found = project::Entity::find()
        .filter(project::Column::CompanyId.eq(company_id))
        .filter(project::Column::Name.eq(name))
        .one(db)
        .await?;
    match found {
        Some(p) => Ok(p.id),
        None => {
            admin::add_project(
                db,
                NewProject {
                    company_slug: COMPANY,
                    name,
                    job_order,
                    pm_email: PM,
                    account_email: ACCOUNT,
                    archived,
                },
            )
            .await
        }
    }
}

/// Creates the demo company, its people, projects and reference data when missing, issues a
/// fresh token for Ann (revoking the previous demo token), and prints how to use it against a
/// server listening on `bind`.
pub async fn run(db: &DatabaseConnection, bind: &str) -> anyhow::Result<()> {
    existing_is_fine(admin::add_company(db, COMPANY, "Demo Company").await)?;
    existing_is_fine(admin::add_user(db, PM, "Ann Demo").await)?;
    existing_is_fine(admin::add_user(db, ACCOUNT, "Bob Demo").await)?;
    existing_is_fine(
        // Ann may do everything, so every operation can be tried with her token.
        admin::add_member(db, COMPANY, PM, &Permission::ALL).await,
    )?;
    existing_is_fine(admin::add_member(db, COMPANY, ACCOUNT, &[Permission::InvoicesCreate]).await)?;
    let company = admin::company_by_slug(db, COMPANY).await?;

    let project_id = ensure_project(
        db,
        company.id,
        "Website redesign",
        Some("JO-2026-001"),
        false,
    )
    .await?;
    let archived_id =
        ensure_project(db, company.id, "Old intranet", Some("JO-2019-007"), true).await?;
    if !any::<budget_area::Entity>(db, budget_area::Column::Uid.eq("area-1")).await? {
        admin::add_budget_area(db, project_id, "area-1", "Design", true).await?;
    }
    if !any::<vat_rate::Entity>(db, vat_rate::Column::CompanyId.eq(company.id)).await? {
        admin::add_vat_rate(db, COMPANY, "Standard", Decimal::from(22), false).await?;
    }
    if !any::<payment_term::Entity>(db, payment_term::Column::CompanyId.eq(company.id)).await? {
        admin::add_payment_term(db, COMPANY, "30 days", 30, false).await?;
    }
    if !any::<invoice_contact::Entity>(db, invoice_contact::Column::CompanyId.eq(company.id))
        .await?
    {
        admin::add_invoice_contact(db, COMPANY, "billing@client.example", "Client billing").await?;
    }

    match admin::revoke_token(db, PM, TOKEN_NAME).await {
        Ok(_) | Err(AdminError::NotFound(_)) => {}
        Err(err) => return Err(err.into()),
    }
    let token = admin::add_token(db, PM, TOKEN_NAME, Some(30)).await?;

    println!(
        "Demo company '{COMPANY}' is ready: project {project_id} (open), project {archived_id} (archived)."
    );
    println!("Token for {PM} (valid 30 days): {token}");
    println!(
        "curl -i -X POST http://{}/api/invoices -H 'Authorization: Bearer {token}' \
         -H 'Wethod-Company: {COMPANY}' -H 'Wethod-Version: 2024-06-15' \
         -H 'Content-Type: application/json' \
         -d '{{\"project_id\": {project_id}, \"value\": 1250.5, \"issue_date\": \"2026-11-25\"}}'",
        reachable(bind)
    );
    Ok(())
}

/// Whether any row of `E` matches `condition` (the demo adds what is missing, once).
async fn any<E: EntityTrait>(
    db: &DatabaseConnection,
    condition: sea_orm::sea_query::SimpleExpr,
) -> Result<bool, sea_orm::DbErr> {
    Ok(E::find().filter(condition).one(db).await?.is_some())
}

/// The address a local client reaches a server bound to `bind` at: a wildcard address
/// (`0.0.0.0`, `[::]`) is reached on the loopback address.
fn reachable(bind: &str) -> String {
    match bind.rsplit_once(':') {
        Some(("0.0.0.0", port)) => format!("127.0.0.1:{port}"),
        Some(("[::]", port)) => format!("[::1]:{port}"),
        _ => bind.to_owned(),
    }
}
