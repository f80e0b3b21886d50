//! Changing an invoice, the one way: read it locked, check, then write in the same transaction.
//!
//! A write whose checks depend on the invoice (its status, its project, that it exists) must
//! act on the state it checked. [`lock`] begins the write transaction *before* reading the
//! row: on PostgreSQL the row is read `FOR UPDATE`, so a concurrent write of it waits until
//! this one commits or rolls back; on SQLite the transaction holds the database's write lock
//! from its first statement (`BEGIN IMMEDIATE`), and on this node it also takes the writers'
//! turn. The checks then read what they need through [`LockedInvoice::connection`], and the
//! change is one of the methods that consume the lock and commit. Dropping the lock writes
//! nothing (the transaction rolls back), which is what a refusal does.
//!
//! Nothing else in `store/` changes an existing invoice, so a new operation can't write from
//! a read that may be stale, and every change records its event (`store::events`) in the
//! transaction that makes it, by the user who locked the invoice.

use super::database::WriteTurns;
use super::events;
use super::invoices::{InvoiceWriteError, insert_error};
use crate::domain::event::EventType;
use crate::domain::invoice::{InvoicePatch, InvoiceStatus};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{ExactDecimal, idempotency_key, invoice};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QuerySelect, Set, Statement,
};
use tokio::sync::SemaphorePermit;

/// An invoice read inside the transaction that will change it; nobody else can change it until
/// that transaction ends.
pub struct LockedInvoice<'t> {
    // Dropped in this order: the transaction rolls back before the turn passes on.
    txn: DatabaseTransaction,
    row: invoice::Model,
    /// The user making the change.
    actor: i64,
    _turn: Option<SemaphorePermit<'t>>,
}

/// How a change is described in its event: the changed fields of the invoice and their
/// previous values, a JSON object, from the invoice before and after.
pub type DescribeChange<'a> =
    &'a (dyn Fn(&invoice::Model, &invoice::Model) -> anyhow::Result<String> + Sync);

/// Locks the invoice with this id in this company for a change by `actor`; `None` when the
/// company has no such invoice (another company's is not found either).
pub async fn lock<'t>(
    db: &DatabaseConnection,
    turns: &'t WriteTurns,
    company_id: i64,
    id: i64,
    actor: i64,
) -> Result<Option<LockedInvoice<'t>>, DbErr> {
    let turn = turns.take().await;
    let txn = super::begin_write(db).await?;
    wait_for_the_invoice(&txn, id).await?;
    // `FOR UPDATE` on PostgreSQL; SQLite has no row locks and needs none (see above).
    let row = invoice::Entity::find_by_id(id)
        .filter(invoice::Column::CompanyId.eq(company_id))
        .lock_exclusive()
        .one(&txn)
        .await?;
    Ok(row.map(|row| LockedInvoice {
        txn,
        row,
        actor,
        _turn: turn,
    }))
}

/// Advisory lock class of the invoice locks (the two-key form: apart from the migrations' lock).
const INVOICE_LOCK_CLASS: i32 = 0x696e_7663; // "invc"

/// On PostgreSQL, waits for the other writers of the invoice before the transaction draws its
/// id. An event's id there derives from its transaction's id (`store::events`), which a
/// transaction draws at its first row lock or write: drawn while waiting for the row's lock, a
/// change that waited longer could commit after another one with a lower id. A transaction
/// holding an advisory lock has drawn no id yet, so each change of an invoice draws its id
/// once the one before it committed, and per invoice the event ids rise in the order of the
/// changes. (Invoices whose ids share the lower 31 bits share the lock: they only wait for
/// each other.) Nothing to do on SQLite, whose one writer commits in id order.
async fn wait_for_the_invoice(txn: &DatabaseTransaction, id: i64) -> Result<(), DbErr> {
    if txn.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    txn.execute_raw(Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        "SELECT pg_advisory_xact_lock($1, ($2 & 2147483647)::int4)",
        [INVOICE_LOCK_CLASS.into(), id.into()],
    ))
    .await?;
    Ok(())
}

impl LockedInvoice<'_> {
    /// The invoice as it is, and stays until the change commits.
    pub fn row(&self) -> &invoice::Model {
        &self.row
    }

    /// The transaction, for the reads the checks need: they see the same state.
    pub fn connection(&self) -> &DatabaseTransaction {
        &self.txn
    }

    /// The row to write: the current one, its version raised and `updated_at` stamped.
    fn next_version(&self, now: DateTime<Utc>) -> invoice::ActiveModel {
        let mut row: invoice::ActiveModel = self.row.clone().into();
        row.version = Set(self.row.version + 1);
        row.updated_at = Set(now);
        row
    }

    /// Records the change to `updated` and commits.
    async fn commit(
        self,
        kind: EventType,
        updated: &invoice::Model,
        at: DateTime<Utc>,
        describe: DescribeChange<'_>,
    ) -> Result<(), InvoiceWriteError> {
        let previous = describe(&self.row, updated).map_err(InvoiceWriteError::Render)?;
        events::record(&self.txn, kind, self.actor, at, updated, Some(previous)).await?;
        self.txn.commit().await?;
        Ok(())
    }

    /// Applies a patch; the invoice number stays unique in the company.
    pub async fn update(
        self,
        patch: InvoicePatch,
        now: DateTime<Utc>,
        describe: DescribeChange<'_>,
    ) -> Result<invoice::Model, InvoiceWriteError> {
        let mut row = self.next_version(now);
        if let Some(v) = patch.project_id {
            row.project_id = Set(v);
        }
        if let Some(v) = patch.value {
            row.value = Set(ExactDecimal(v.amount()));
        }
        if let Some(v) = patch.issue_date {
            row.issue_date = Set(v);
        }
        if let Some(v) = patch.invoice_number {
            row.invoice_number = Set(v.map(|n| n.into_inner()));
        }
        if let Some(v) = patch.purchase_order {
            row.purchase_order = Set(v);
        }
        if let Some(v) = patch.exchange_rate {
            row.exchange_rate = Set(v.map(|r| ExactDecimal(r.rate())));
        }
        if let Some(v) = patch.notes {
            row.notes = Set(v);
        }
        if let Some(v) = patch.budget_area_uid {
            row.budget_area_uid = Set(v);
        }
        if let Some(v) = patch.vat_rate_id {
            row.vat_rate_id = Set(v);
        }
        if let Some(v) = patch.payment_term_id {
            row.payment_term_id = Set(v);
        }
        let updated = row.update(&self.txn).await.map_err(insert_error)?;
        self.commit(EventType::Updated, &updated, now, describe)
            .await?;
        Ok(updated)
    }

    /// Moves the invoice to `status` with this payment date; `sent_to` records the invoice
    /// contact it was sent to (the one recorded is kept when `None`).
    pub async fn set_status(
        self,
        status: InvoiceStatus,
        payment_date: Option<NaiveDate>,
        sent_to: Option<i64>,
        now: DateTime<Utc>,
        describe: DescribeChange<'_>,
    ) -> Result<invoice::Model, InvoiceWriteError> {
        let kind = EventType::of_transition(self.row.status, status);
        let mut row = self.next_version(now);
        row.status = Set(status);
        row.payment_date = Set(payment_date);
        if let Some(contact) = sent_to {
            row.invoice_contact_id = Set(Some(contact));
        }
        let updated = row.update(&self.txn).await?;
        self.commit(kind, &updated, now, describe).await?;
        Ok(updated)
    }

    /// Deletes the invoice, and the idempotency records that would replay its creation.
    pub async fn delete(self, now: DateTime<Utc>) -> Result<(), DbErr> {
        idempotency_key::Entity::delete_many()
            .filter(idempotency_key::Column::InvoiceId.eq(self.row.id))
            .exec(&self.txn)
            .await?;
        invoice::Entity::delete_by_id(self.row.id)
            .exec(&self.txn)
            .await?;
        events::record(
            &self.txn,
            EventType::Deleted,
            self.actor,
            now,
            &self.row,
            None,
        )
        .await?;
        self.txn.commit().await
    }
}
