//! `admin export --company SLUG`: the company as an import file (`store::admin::import`), so
//! that it moves between deployments: export, then import into the other one. Every record
//! carries its id, and a record without a key gets one made of its id (`project-17`), which
//! the import stores: exporting what an export imported gives the same file.

use super::AdminError;
use super::import::{
    BudgetAreaEntry, BudgetAreaTypeName, BudgetEntry, BudgetStatusName, CompanyEntry, ContactEntry,
    ImportFile, MemberEntry, PaymentTermEntry, ProjectEntry, UserEntry, VatRateEntry,
};
use super::import_invoices::InvoiceEntry;
use entity::budget::BudgetStatus;
use entity::budget_area::BudgetAreaType;
use entity::{
    ExactDecimal, budget, budget_area, company, invoice, invoice_contact, membership,
    membership_permission, payment_term, project, user, vat_rate,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

/// The company with this slug, as an import file.
pub async fn export(db: &impl ConnectionTrait, slug: &str) -> Result<ImportFile, AdminError> {
    let company = company::Entity::find()
        .filter(company::Column::Slug.eq(slug))
        .one(db)
        .await?
        .ok_or_else(|| AdminError::NotFound(format!("no company {slug:?}")))?;
    let of_company = company.id;
    let users: BTreeMap<i64, user::Model> = user::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let email = |id: i64| users.get(&id).map(|u| u.email.clone()).unwrap_or_default();
    let mut named: BTreeSet<i64> = BTreeSet::new();

    let memberships = membership::Entity::find()
        .filter(membership::Column::CompanyId.eq(of_company))
        .order_by_asc(membership::Column::Id)
        .all(db)
        .await?;
    let mut members = Vec::new();
    for m in &memberships {
        let mut permissions: Vec<String> = membership_permission::Entity::find()
            .filter(membership_permission::Column::MembershipId.eq(m.id))
            .all(db)
            .await?
            .into_iter()
            .map(|p| p.permission)
            .collect();
        permissions.sort();
        named.insert(m.user_id);
        members.push(MemberEntry {
            user: email(m.user_id),
            permissions,
        });
    }

    let projects = project::Entity::find()
        .filter(project::Column::CompanyId.eq(of_company))
        .order_by_asc(project::Column::Id)
        .all(db)
        .await?;
    let project_keys: BTreeMap<i64, String> = projects
        .iter()
        .map(|p| (p.id, key(&p.external_id, "project", p.id)))
        .collect();
    let budgets = budget::Entity::find()
        .filter(budget::Column::CompanyId.eq(of_company))
        .order_by_asc(budget::Column::Id)
        .all(db)
        .await?;
    let areas = budget_area::Entity::find()
        .filter(budget_area::Column::CompanyId.eq(of_company))
        .order_by_asc(budget_area::Column::Id)
        .all(db)
        .await?;
    let mut project_entries = Vec::new();
    for p in &projects {
        named.extend([p.pm_user_id, p.account_user_id]);
        let areas_of = |budget_id: Option<i64>| -> Vec<BudgetAreaEntry> {
            areas
                .iter()
                .filter(|a| a.project_id == p.id && a.budget_id == budget_id)
                .map(area_entry)
                .collect()
        };
        project_entries.push(ProjectEntry {
            id: Some(p.id),
            key: project_keys[&p.id].clone(),
            name: p.name.clone(),
            job_order: p.job_order.clone(),
            pm: email(p.pm_user_id),
            account: email(p.account_user_id),
            archived: p.archived,
            budget_areas: areas_of(None),
            budgets: budgets
                .iter()
                .filter(|b| b.project_id == p.id)
                .map(|b| budget_entry(b, areas_of(Some(b.id))))
                .collect(),
        });
    }

    let vat_rates = vat_rate::Entity::find()
        .filter(vat_rate::Column::CompanyId.eq(of_company))
        .order_by_asc(vat_rate::Column::Id)
        .all(db)
        .await?;
    let vat_keys: BTreeMap<i64, String> = vat_rates
        .iter()
        .map(|v| (v.id, key(&v.external_id, "vat-rate", v.id)))
        .collect();
    let terms = payment_term::Entity::find()
        .filter(payment_term::Column::CompanyId.eq(of_company))
        .order_by_asc(payment_term::Column::Id)
        .all(db)
        .await?;
    let term_keys: BTreeMap<i64, String> = terms
        .iter()
        .map(|t| (t.id, key(&t.external_id, "payment-term", t.id)))
        .collect();
    let contacts = invoice_contact::Entity::find()
        .filter(invoice_contact::Column::CompanyId.eq(of_company))
        .order_by_asc(invoice_contact::Column::Id)
        .all(db)
        .await?;
    let contact_emails: BTreeMap<i64, String> =
        contacts.iter().map(|c| (c.id, c.email.clone())).collect();

    let invoices = invoice::Entity::find()
        .filter(invoice::Column::CompanyId.eq(of_company))
        .order_by_asc(invoice::Column::Id)
        .all(db)
        .await?;
    let mut invoice_entries = Vec::with_capacity(invoices.len());
    for i in invoices {
        named.insert(i.created_by_user_id);
        invoice_entries.push(InvoiceEntry {
            id: Some(i.id),
            project: project_keys.get(&i.project_id).cloned().unwrap_or_default(),
            status: i.status.into(),
            invoice_number: i.invoice_number,
            purchase_order: i.purchase_order,
            value: number(i.value),
            exchange_rate: i.exchange_rate.map(number),
            issue_date: i.issue_date,
            payment_date: i.payment_date,
            notes: i.notes,
            budget_area_uid: i.budget_area_uid,
            vat_rate: i.vat_rate_id.and_then(|id| vat_keys.get(&id).cloned()),
            payment_term: i.payment_term_id.and_then(|id| term_keys.get(&id).cloned()),
            invoice_contact: i
                .invoice_contact_id
                .and_then(|id| contact_emails.get(&id).cloned()),
            created_by: email(i.created_by_user_id),
            created_at: i.created_at,
            updated_at: i.updated_at,
            version: i.version,
        });
    }

    Ok(ImportFile {
        users: named
            .iter()
            .filter_map(|id| users.get(id))
            .map(|u| UserEntry {
                email: u.email.clone(),
                name: u.name.clone(),
            })
            .collect(),
        companies: vec![CompanyEntry {
            slug: company.slug,
            name: company.name,
            members,
            projects: project_entries,
            vat_rates: vat_rates
                .into_iter()
                .map(|v| VatRateEntry {
                    id: Some(v.id),
                    key: vat_keys[&v.id].clone(),
                    name: v.name,
                    rate: number(v.rate),
                    archived: v.archived,
                })
                .collect(),
            payment_terms: terms
                .into_iter()
                .map(|t| PaymentTermEntry {
                    id: Some(t.id),
                    key: term_keys[&t.id].clone(),
                    name: t.name,
                    days: u16::try_from(t.days).unwrap_or_default(),
                    archived: t.archived,
                })
                .collect(),
            invoice_contacts: contacts
                .into_iter()
                .map(|c| ContactEntry {
                    id: Some(c.id),
                    email: c.email,
                    alias: c.alias,
                })
                .collect(),
            invoices: invoice_entries,
        }],
    })
}

/// A record's key in the file: its stored key, else one made of its id.
fn key(stored: &Option<String>, kind: &str, id: i64) -> String {
    stored.clone().unwrap_or_else(|| format!("{kind}-{id}"))
}

/// An exact decimal as a JSON number, without trailing zeros (`12500`, `0.5`).
fn number(value: ExactDecimal) -> serde_json::Number {
    serde_json::Number::from_str(&value.0.normalize().to_string())
        .unwrap_or_else(|_| serde_json::Number::from(0))
}

fn area_entry(area: &budget_area::Model) -> BudgetAreaEntry {
    BudgetAreaEntry {
        id: Some(area.id),
        uid: area.uid.clone(),
        name: area.name.clone(),
        enabled: area.enabled,
        area_type: match area.area_type {
            BudgetAreaType::Default => BudgetAreaTypeName::Default,
            BudgetAreaType::ContingencyDiscount => BudgetAreaTypeName::ContingencyDiscount,
            BudgetAreaType::TravelCoreCostExpenses => BudgetAreaTypeName::TravelCoreCostExpenses,
            BudgetAreaType::Pm => BudgetAreaTypeName::Pm,
        },
        total_external_cost: Some(number(area.total_external_cost)),
        total_cost: Some(number(area.total_cost)),
        total_price: Some(number(area.total_price)),
        total_days: Some(number(area.total_days)),
        price_list_id: area.price_list_id,
    }
}

fn budget_entry(budget: &budget::Model, budget_areas: Vec<BudgetAreaEntry>) -> BudgetEntry {
    BudgetEntry {
        id: Some(budget.id),
        version: budget.version,
        status: match budget.status {
            BudgetStatus::Draft => BudgetStatusName::Draft,
            BudgetStatus::Submitted => BudgetStatusName::Submitted,
            BudgetStatus::Approved => BudgetStatusName::Approved,
        },
        is_baseline: budget.is_baseline,
        notes: budget.notes.clone(),
        currency: budget.currency.clone(),
        is_currency_enabled: budget.is_currency_enabled,
        final_net_price: Some(number(budget.final_net_price)),
        total_external_cost: Some(number(budget.total_external_cost)),
        total_cost: Some(number(budget.total_cost)),
        total_price: Some(number(budget.total_price)),
        total_days: Some(number(budget.total_days)),
        price_list_id: budget.price_list_id,
        budget_areas,
    }
}
