//! Importing parsed bank statements into the bank node's ledger.
//!
//! One file is one database transaction: all of it or nothing. An entry's
//! key is a SHA-256 of the account and the entry's own fields (plus its
//! occurrence among identical entries in the file), so importing the same
//! file again skips every entry. A statement's account is found by its
//! number among the customer's accounts, or opened for them (a current
//! account whose opening balance is the statement's) when it is new.
//!
//! A statement's new lines are posted to the ledger as one `statement`
//! journal entry (`je_<its first new line's id>`, at the time of the import):
//! the sum of the lines on the account against clearing. Every line names it
//! in `entry_id` ([`crate::ledger::StatementEntries`]).

use std::collections::HashMap;

use anumati_domain::{Category, CustomerId, TransactionKind};
use anumati_formats::Statement;
use jiff::Timestamp;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::ledger::{LedgerError, StatementEntries};
use crate::store::{BankStore, StoreError};

#[derive(Debug, Default, Clone, Serialize, PartialEq, Eq)]
pub struct ImportReport {
    pub statements: u64,
    pub imported: u64,
    pub skipped: u64,
    pub accounts_opened: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("account {0} belongs to another customer")]
    ForeignAccount(String),
    #[error("statement for {account} is in {statement}, but the account is in {account_currency}")]
    CurrencyMismatch {
        account: String,
        statement: String,
        account_currency: String,
    },
    #[error("entry amount {0} is not in the statement's currency")]
    EntryCurrency(String),
    #[error("the statement's amounts overflow")]
    Overflow,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<LedgerError> for ImportError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::Store(e) => ImportError::Store(e),
            LedgerError::Overflow => ImportError::Overflow,
            e => ImportError::Store(StoreError::Corrupt(e.to_string())),
        }
    }
}

impl From<sqlx::Error> for ImportError {
    fn from(e: sqlx::Error) -> Self {
        ImportError::Store(e.into())
    }
}

fn entry_key(account: &str, e: &anumati_formats::Entry, occurrence: u32) -> String {
    let mut h = Sha256::new();
    for part in [
        account,
        &e.booking_date.to_string(),
        &e.value_date.to_string(),
        &e.amount.to_decimal_string(),
        e.amount.currency().code(),
        e.reference.as_deref().unwrap_or(""),
        e.bank_reference.as_deref().unwrap_or(""),
        &e.description,
        e.counterparty.as_deref().unwrap_or(""),
        &occurrence.to_string(),
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

impl BankStore {
    /// Imports one file's statements for a customer, in one transaction.
    pub async fn import_statements(
        &self,
        customer: &CustomerId,
        statements: &[Statement],
        source: &str,
        now: Timestamp,
    ) -> Result<ImportReport, ImportError> {
        let mut report = ImportReport::default();
        let mut tx = self.pool().begin().await?;
        let mut occurrences: HashMap<(String, String), u32> = HashMap::new();
        for statement in statements {
            report.statements += 1;
            let found: Option<(String, String, String)> =
                sqlx::query_as("SELECT id, customer_id, currency FROM accounts WHERE number = ?")
                    .bind(&statement.account)
                    .fetch_optional(&mut *tx)
                    .await?;
            let account_id = match found {
                Some((id, owner, currency)) => {
                    if owner != customer.as_str() {
                        return Err(ImportError::ForeignAccount(statement.account.clone()));
                    }
                    if currency != statement.currency.code() {
                        return Err(ImportError::CurrencyMismatch {
                            account: statement.account.clone(),
                            statement: statement.currency.code().to_owned(),
                            account_currency: currency,
                        });
                    }
                    id
                }
                None => {
                    let n: i64 =
                        sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE customer_id = ?")
                            .bind(customer.as_str())
                            .fetch_one(&mut *tx)
                            .await?;
                    let id = format!(
                        "{}_imp{}",
                        customer.as_str().replacen("cus_", "acc_", 1),
                        n + 1
                    );
                    let opening = statement
                        .opening_balance
                        .as_ref()
                        .map_or(0, |b| b.amount.minor());
                    let opened_on = statement
                        .opening_balance
                        .as_ref()
                        .map(|b| b.date)
                        .or_else(|| statement.transactions.first().map(|t| t.booking_date))
                        .unwrap_or_else(|| now.to_zoned(jiff::tz::TimeZone::UTC).date());
                    sqlx::query(
                        "INSERT INTO accounts (id, customer_id, kind, number, currency, limit_minor, opening_balance_minor, opened_on)
                         VALUES (?, ?, 'current', ?, ?, 0, ?, ?)",
                    )
                    .bind(&id)
                    .bind(customer.as_str())
                    .bind(&statement.account)
                    .bind(statement.currency.code())
                    .bind(opening)
                    .bind(opened_on.to_string())
                    .execute(&mut *tx)
                    .await?;
                    report.accounts_opened += 1;
                    id
                }
            };
            // The statement's fresh lines, posted as one journal entry.
            let mut ledger = StatementEntries::default();
            let mut ledger_entry = None;
            for entry in &statement.transactions {
                if entry.amount.currency() != statement.currency {
                    return Err(ImportError::EntryCurrency(entry.amount.to_string()));
                }
                let base = entry_key(&statement.account, entry, 0);
                let n = occurrences
                    .entry((statement.account.clone(), base))
                    .or_insert(0);
                let key = entry_key(&statement.account, entry, *n);
                *n += 1;
                let transaction_id = format!("imp_{}", &key[..32]);
                let fresh = sqlx::query("INSERT INTO imported_entries (entry_key, transaction_id, source, imported_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING")
                    .bind(&key)
                    .bind(&transaction_id)
                    .bind(source)
                    .bind(now.as_second())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                    == 1;
                if !fresh {
                    report.skipped += 1;
                    continue;
                }
                let incoming = entry.amount.minor() > 0;
                let kind = if incoming {
                    TransactionKind::TransferIn
                } else {
                    TransactionKind::TransferOut
                };
                let booked_at = entry
                    .booking_date
                    .to_zoned(jiff::tz::TimeZone::UTC)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?
                    .timestamp();
                let journal = *ledger_entry
                    .get_or_insert_with(|| ledger.entry(format!("je_{transaction_id}")));
                ledger.line(
                    journal,
                    &account_id,
                    kind,
                    entry.amount.minor(),
                    entry.amount.currency(),
                    now.as_second(),
                )?;
                sqlx::query(
                    "INSERT INTO transactions (id, account_id, booked_at, value_date, amount_minor, currency, kind, channel, description, counterparty, category, entry_id)
                     VALUES (?, ?, ?, ?, ?, ?, ?, 'transfer', ?, ?, ?, ?)",
                )
                .bind(&transaction_id)
                .bind(&account_id)
                .bind(booked_at.as_second())
                .bind(entry.value_date.to_string())
                .bind(entry.amount.minor())
                .bind(entry.amount.currency().code())
                .bind(kind.as_str())
                .bind(&entry.description)
                .bind(&entry.counterparty)
                .bind(Category::Transfers.as_str())
                .bind(ledger.id(journal))
                .execute(&mut *tx)
                .await?;
                report.imported += 1;
            }
            ledger.write(&mut tx).await?;
        }
        tx.commit().await?;
        Ok(report)
    }
}
