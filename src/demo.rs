//! `invoices-api demo`: a small company to try the API with, made idempotently. The company
//! is the documented import file `examples/import.json`, imported as `admin import` would.

use crate::store::admin::{self, AdminError, import};
use entity::project;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

const COMPANY: &str = "demo";
const PM: &str = "ann@demo.test";
const TOKEN_NAME: &str = "demo";

/// The demo company, its people, projects and reference data.
const DEMO_COMPANY: &str = include_str!("../examples/import.json");

/// The id of the demo project with this key.
async fn project_with_key(
    db: &DatabaseConnection,
    company_id: i64,
    key: &str,
) -> anyhow::Result<i64> {
    project::Entity::find()
        .filter(project::Column::CompanyId.eq(company_id))
        .filter(project::Column::ExternalId.eq(key))
        .one(db)
        .await?
        .map(|p| p.id)
        .ok_or_else(|| anyhow::anyhow!("the demo file has no project {key:?}"))
}

/// Imports the demo company (creating what is missing), issues a fresh token for Ann
/// (revoking the previous demo token), and says how to use it against a server listening on
/// `bind`: returns those lines.
pub async fn run(db: &DatabaseConnection, bind: &str) -> anyhow::Result<String> {
    import::apply(db, &import::parse(DEMO_COMPANY)?).await?;
    let company = admin::company_by_slug(db, COMPANY).await?;
    let project_id = project_with_key(db, company.id, "website").await?;
    let archived_id = project_with_key(db, company.id, "intranet").await?;
    let budget_id = admin::budget_of_project(db, project_id).await?;

    match admin::revoke_token(db, PM, TOKEN_NAME).await {
        Ok(_) | Err(AdminError::NotFound(_)) => {}
        Err(err) => return Err(err.into()),
    }
    let token = admin::add_token(db, PM, TOKEN_NAME, Some(30)).await?;

    Ok(format!(
        "Demo company '{COMPANY}' is ready: project {project_id} (open, its budget {budget_id} \
         at GET /api/budgets/{budget_id}), project {archived_id} (archived).\n\
         Token for {PM} (valid 30 days): {token}\n\
         curl -i -X POST http://{}/api/invoices -H 'Authorization: Bearer {token}' \
         -H 'Wethod-Company: {COMPANY}' -H 'Wethod-Version: 2024-06-15' \
         -H 'Content-Type: application/json' \
         -d '{{\"project_id\": {project_id}, \"value\": 1250.5, \"issue_date\": \"2026-11-25\"}}'",
        reachable(bind)
    ))
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
