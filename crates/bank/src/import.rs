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

use std::collections::{HashMap, HashSet};

use anumati_domain::{Category, CustomerId, TransactionKind};
use anumati_formats::Statement;
use jiff::Timestamp;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::ledger::{values_sql, LedgerError, StatementEntries};
use crate::store::{BankStore, StoreError};

/// Rows per multi-row insert: 1,000 `transactions` rows bind 11,000
/// values, well under SQLite's limit of 32,766.
const ROWS_PER_INSERT: usize = 1_000;

/// The import connection's page cache: 64 MiB (negative: KiB).
const IMPORT_CACHE: &str = "PRAGMA cache_size = -65536";

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

/// The SHA-256 of an entry's account and fields and its occurrence among
/// identical entries in the file.
fn entry_digest(account: &str, e: &anumati_formats::Entry, occurrence: u32) -> [u8; 32] {
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
    h.finalize().into()
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
        let mut import = self.begin_import(customer, source, now).await?;
        for statement in statements {
            import.add(statement).await?;
        }
        import.commit().await
    }

    /// Starts importing one file for a customer: statements are added one
    /// at a time ([`StatementImport::add`]), so a caller streaming a large
    /// file holds one statement, and [`StatementImport::commit`] makes them
    /// all visible at once. Dropped without a commit (or after an error),
    /// nothing is imported.
    pub async fn begin_import(
        &self,
        customer: &CustomerId,
        source: &str,
        now: Timestamp,
    ) -> Result<StatementImport, ImportError> {
        let mut tx = self.pool().begin().await?;
        // A large file is one transaction whose pages all sit in the WAL:
        // each page the import's page cache lets go is looked up in the
        // WAL's index and read back from it. A larger cache keeps the
        // indexes' working set in memory (allocated as used; the
        // connection keeps it afterwards, in what is a short-lived process
        // for `anumati import`).
        sqlx::query(IMPORT_CACHE).execute(&mut *tx).await?;
        Ok(StatementImport {
            tx,
            customer: customer.clone(),
            source: source.to_owned(),
            now,
            occurrences: HashMap::new(),
            report: ImportReport::default(),
        })
    }
}

/// One file's import in progress: one database transaction. See
/// [`BankStore::begin_import`].
pub struct StatementImport {
    tx: sqlx::Transaction<'static, sqlx::Sqlite>,
    customer: CustomerId,
    source: String,
    now: Timestamp,
    /// How often each entry (by the digest of its account and fields at
    /// occurrence 0) has been met in this file: 36 bytes per distinct
    /// entry, the one thing an import keeps that grows with the file.
    occurrences: HashMap<[u8; 32], u32>,
    report: ImportReport,
}

impl StatementImport {
    /// What has been added so far.
    pub fn report(&self) -> &ImportReport {
        &self.report
    }

    /// Makes every statement added visible, and reports the counts.
    pub async fn commit(self) -> Result<ImportReport, ImportError> {
        self.tx.commit().await?;
        Ok(self.report)
    }

    /// Adds one statement: finds or opens its account, skips the entries
    /// imported before, posts the fresh ones. After an error the import
    /// must be dropped.
    pub async fn add(&mut self, statement: &Statement) -> Result<(), ImportError> {
        let StatementImport {
            tx,
            customer,
            source,
            now,
            occurrences,
            report,
        } = self;
        let (now, source) = (*now, source.as_str());
        report.statements += 1;
        let found: Option<(String, String, String)> =
            sqlx::query_as("SELECT id, customer_id, currency FROM accounts WHERE number = ?")
                .bind(&statement.account)
                .fetch_optional(&mut **tx)
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
                        .fetch_one(&mut **tx)
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
                .execute(&mut **tx)
                .await?;
                report.accounts_opened += 1;
                id
            }
        };
        // Each entry's key, in the file's order.
        let mut rows = Vec::with_capacity(statement.transactions.len());
        for entry in &statement.transactions {
            if entry.amount.currency() != statement.currency {
                return Err(ImportError::EntryCurrency(entry.amount.to_string()));
            }
            let base = entry_digest(&statement.account, entry, 0);
            let n = occurrences.entry(base).or_insert(0);
            let key = if *n == 0 {
                hex::encode(base)
            } else {
                hex::encode(entry_digest(&statement.account, entry, *n))
            };
            *n += 1;
            let transaction_id = format!("imp_{}", &key[..32]);
            rows.push((key, transaction_id, entry));
        }
        // Claim the keys: the rows inserted are the fresh entries, the
        // others were imported before. (Several rows per statement: each
        // statement is a round trip to SQLite's worker thread.)
        let mut fresh = HashSet::with_capacity(rows.len());
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            let sql = values_sql(
                "INSERT INTO imported_entries (entry_key, transaction_id, source, imported_at)",
                "(?, ?, ?, ?)",
                chunk.len(),
            ) + " ON CONFLICT DO NOTHING RETURNING entry_key";
            let mut q = sqlx::query_scalar::<_, String>(&sql);
            for (key, transaction_id, _) in chunk {
                q = q
                    .bind(key.as_str())
                    .bind(transaction_id.as_str())
                    .bind(source)
                    .bind(now.as_second());
            }
            fresh.extend(q.fetch_all(&mut **tx).await?);
        }
        // The statement's fresh lines, posted as one journal entry.
        let mut ledger = StatementEntries::default();
        let mut ledger_entry = None;
        let mut lines = Vec::with_capacity(fresh.len());
        for (key, transaction_id, entry) in &rows {
            if !fresh.contains(key) {
                report.skipped += 1;
                continue;
            }
            let kind = if entry.amount.minor() > 0 {
                TransactionKind::TransferIn
            } else {
                TransactionKind::TransferOut
            };
            let booked_at = entry
                .booking_date
                .to_zoned(jiff::tz::TimeZone::UTC)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?
                .timestamp();
            let journal =
                *ledger_entry.get_or_insert_with(|| ledger.entry(format!("je_{transaction_id}")));
            ledger.line(
                journal,
                &account_id,
                kind,
                entry.amount.minor(),
                entry.amount.currency(),
                now.as_second(),
            )?;
            lines.push((transaction_id, *entry, kind, booked_at, journal));
            report.imported += 1;
        }
        for chunk in lines.chunks(ROWS_PER_INSERT) {
            let sql = values_sql(
                "INSERT INTO transactions (id, account_id, booked_at, value_date, amount_minor, currency, kind, channel, description, counterparty, category, entry_id)",
                "(?, ?, ?, ?, ?, ?, ?, 'transfer', ?, ?, ?, ?)",
                chunk.len(),
            );
            let mut q = sqlx::query(&sql);
            for (transaction_id, entry, kind, booked_at, journal) in chunk {
                q = q
                    .bind(transaction_id.as_str())
                    .bind(account_id.as_str())
                    .bind(booked_at.as_second())
                    .bind(entry.value_date.to_string())
                    .bind(entry.amount.minor())
                    .bind(entry.amount.currency().code().to_owned())
                    .bind(kind.as_str())
                    .bind(entry.description.as_str())
                    .bind(entry.counterparty.as_deref())
                    .bind(Category::Transfers.as_str())
                    .bind(ledger.id(*journal));
            }
            q.execute(&mut **tx).await?;
        }
        ledger.write(tx).await?;
        Ok(())
    }
}
