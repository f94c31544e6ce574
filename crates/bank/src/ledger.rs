//! The double-entry ledger.
//!
//! Money moves only as a journal entry: two or more postings that sum to
//! zero in every currency ([`post_entry`] refuses anything else). A customer
//! account's **booked** balance is the sum of its postings, read on every
//! request and never stored; its **available** balance is booked minus its
//! pending card holds. Nothing may take an account's available balance below
//! minus its limit (the overdraft, or a credit card's credit limit).
//!
//! The bank's own side of every movement goes to an internal account
//! (`int_<purpose>_<CUR>`: `opening`, `card_settlement`, `clearing`, `fees`).
//!
//! Every statement line (`transactions`) belongs to one journal entry, and
//! the entry's `kind` says where the line came from: `statement` for lines
//! the bank took from outside its payment engine (the simulator's history,
//! imported statement files), anything else (`transfer`, `outbound`,
//! `return`, `card_capture`) for lines a payment or card capture wrote with
//! its entry. The simulator and the importer post their lines in summary
//! ([`StatementEntries`]): one `statement` entry per customer and month (an
//! import: per statement), with one posting per customer account (the sum of
//! its lines in the entry) and one per internal account (clearing, or card
//! settlement for card payments) that balances them; each line names its
//! entry in `entry_id`. The lines stay the detail, the postings carry the
//! money, and [`BankStore::verify_ledger`] checks that on every customer
//! account each entry's postings equal its lines. A line written with no
//! `entry_id` at all (by any other writer) still becomes its own `statement`
//! entry (id = the line's id) through the trigger of migration
//! `0005_ledger_payments.sql`, so every writer leaves the ledger balanced.
//!
//! Writers that must read a balance and then post (a transfer, an
//! authorisation) take the store's in-process write gate and open the
//! transaction with `BEGIN IMMEDIATE`, so the balance they read is the
//! balance they post against.
//!
//! [`BankStore::verify_ledger`] checks every invariant (see `anumati bank verify`).

use anumati_domain::{AccountId, Category, Channel, Currency, Money, TransactionKind};
use jiff::Timestamp;
use serde::Serialize;
use sqlx::{Row, SqliteConnection};

use crate::store::{BankStore, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("a journal entry needs at least two postings")]
    TooFewPostings,
    #[error("journal entry does not balance in {0}")]
    Unbalanced(Currency),
    #[error("amount overflows")]
    Overflow,
    #[error("amount must be positive")]
    NotPositive,
    #[error("account not found")]
    AccountNotFound,
    #[error("currency mismatch: account in {account}, amount in {amount}")]
    CurrencyMismatch { account: Currency, amount: Currency },
    #[error("insufficient funds: {available} available")]
    InsufficientFunds { available: Money },
    #[error("card is locked or unknown")]
    CardDeclined,
    #[error("hold not found or already closed")]
    HoldNotPending,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for LedgerError {
    fn from(e: sqlx::Error) -> Self {
        LedgerError::Store(StoreError::Database(e))
    }
}

/// What a journal entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Opening,
    Statement,
    Transfer,
    Outbound,
    Return,
    CardCapture,
}

impl EntryKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            EntryKind::Opening => "opening",
            EntryKind::Statement => "statement",
            EntryKind::Transfer => "transfer",
            EntryKind::Outbound => "outbound",
            EntryKind::Return => "return",
            EntryKind::CardCapture => "card_capture",
        }
    }
}

/// The bank's internal accounts, one per purpose and currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Internal {
    Opening,
    CardSettlement,
    Clearing,
    Fees,
}

impl Internal {
    pub fn purpose(&self) -> &'static str {
        match self {
            Internal::Opening => "opening",
            Internal::CardSettlement => "card_settlement",
            Internal::Clearing => "clearing",
            Internal::Fees => "fees",
        }
    }

    /// `int_<purpose>_<CUR>`.
    pub fn account_id(&self, currency: Currency) -> String {
        format!("int_{}_{}", self.purpose(), currency.code())
    }
}

/// One line of a journal entry: an account (a customer's or an internal one)
/// and a signed amount (positive credits the account's balance).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posting {
    pub account: String,
    pub amount: Money,
}

/// Checks that postings form a valid entry: two or more, summing to zero per currency.
pub fn check_balanced(postings: &[Posting]) -> Result<(), LedgerError> {
    if postings.len() < 2 {
        return Err(LedgerError::TooFewPostings);
    }
    let mut sums: Vec<(Currency, i64)> = Vec::new();
    for p in postings {
        let currency = p.amount.currency();
        match sums.iter_mut().find(|(c, _)| *c == currency) {
            Some((_, sum)) => {
                *sum = sum
                    .checked_add(p.amount.minor())
                    .ok_or(LedgerError::Overflow)?
            }
            None => sums.push((currency, p.amount.minor())),
        }
    }
    match sums.into_iter().find(|(_, sum)| *sum != 0) {
        Some((currency, _)) => Err(LedgerError::Unbalanced(currency)),
        None => Ok(()),
    }
}

/// Writes a balanced journal entry inside the caller's transaction, creating
/// any internal account it posts to.
pub(crate) async fn post_entry(
    conn: &mut SqliteConnection,
    id: &str,
    kind: EntryKind,
    at: Timestamp,
    postings: &[Posting],
) -> Result<(), LedgerError> {
    check_balanced(postings)?;
    sqlx::query("INSERT INTO journal_entries (id, at, kind) VALUES (?, ?, ?)")
        .bind(id)
        .bind(at.as_second())
        .bind(kind.as_str())
        .execute(&mut *conn)
        .await?;
    for p in postings {
        if let Some(rest) = p.account.strip_prefix("int_") {
            let purpose = rest.rsplit_once('_').map(|(purpose, _)| purpose);
            if let Some(purpose) = purpose {
                sqlx::query(
                    "INSERT INTO internal_accounts (id, purpose, currency) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                )
                .bind(&p.account)
                .bind(purpose)
                .bind(p.amount.currency().code())
                .execute(&mut *conn)
                .await?;
            }
        }
        sqlx::query(
            "INSERT INTO postings (entry_id, account_id, amount_minor, currency) VALUES (?, ?, ?, ?)",
        )
        .bind(id)
        .bind(&p.account)
        .bind(p.amount.minor())
        .bind(p.amount.currency().code())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// A statement line that belongs to a journal entry the caller wrote.
pub(crate) struct StatementLine<'a> {
    pub id: String,
    pub entry_id: &'a str,
    pub account: &'a str,
    pub at: Timestamp,
    pub amount: Money,
    pub kind: TransactionKind,
    pub channel: Channel,
    pub description: String,
    pub counterparty: Option<String>,
    pub category: Category,
}

pub(crate) async fn insert_statement_line(
    conn: &mut SqliteConnection,
    line: &StatementLine<'_>,
) -> Result<(), LedgerError> {
    let value_date = line.at.to_zoned(jiff::tz::TimeZone::UTC).date();
    sqlx::query(
        "INSERT INTO transactions (id, account_id, booked_at, value_date, amount_minor, currency, kind, channel, description, counterparty, category, entry_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&line.id)
    .bind(line.account)
    .bind(line.at.as_second())
    .bind(value_date.to_string())
    .bind(line.amount.minor())
    .bind(line.amount.currency().code())
    .bind(line.kind.as_str())
    .bind(line.channel.as_str())
    .bind(&line.description)
    .bind(&line.counterparty)
    .bind(line.category.as_str())
    .bind(line.entry_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Statement lines posted to the ledger in summary, written in bulk.
///
/// A writer of statement lines (the simulator, the statement importer) opens
/// an entry per group of lines ([`StatementEntries::entry`]), adds every line
/// to it ([`StatementEntries::line`]) and stores each line with the entry's
/// id in `entry_id`; [`StatementEntries::write`] then writes the `statement`
/// journal entries and their postings with a few multi-row `INSERT`s, in the
/// writer's transaction. An entry posts, per customer account, the sum of its
/// lines on that account, and against it, per internal account, the sum of
/// the lines it balances (card payments against card settlement, everything
/// else against clearing): it balances by construction.
#[derive(Debug, Default)]
pub(crate) struct StatementEntries {
    entries: Vec<SummaryEntry>,
    postings: usize,
}

#[derive(Debug)]
struct SummaryEntry {
    id: String,
    at: i64,
    postings: Vec<SummaryPosting>,
}

#[derive(Debug)]
struct SummaryPosting {
    account: SummaryAccount,
    amount: i64,
    currency: Currency,
}

#[derive(Debug)]
enum SummaryAccount {
    Customer(String),
    Internal(Internal),
}

#[derive(Clone, Copy)]
enum AccountRef<'a> {
    Customer(&'a str),
    Internal(Internal),
}

/// Adds `amount` to the posting on `account` in `currency`, or appends one;
/// returns how many postings were appended (0 or 1). Entries post to few
/// accounts: a linear search is cheaper than hashing.
fn add_posting(
    postings: &mut Vec<SummaryPosting>,
    account: AccountRef<'_>,
    amount: i64,
    currency: Currency,
) -> Result<usize, LedgerError> {
    let same = |p: &SummaryPosting| {
        p.currency == currency
            && match (&p.account, account) {
                (SummaryAccount::Customer(a), AccountRef::Customer(b)) => a == b,
                (SummaryAccount::Internal(a), AccountRef::Internal(b)) => *a == b,
                _ => false,
            }
    };
    if let Some(p) = postings.iter_mut().find(|p| same(p)) {
        p.amount = p.amount.checked_add(amount).ok_or(LedgerError::Overflow)?;
        return Ok(0);
    }
    postings.push(SummaryPosting {
        account: match account {
            AccountRef::Customer(a) => SummaryAccount::Customer(a.to_owned()),
            AccountRef::Internal(i) => SummaryAccount::Internal(i),
        },
        amount,
        currency,
    });
    Ok(1)
}

/// Rows per multi-row `INSERT` (4 columns: far below SQLite's 32,766 parameters).
const SUMMARY_ROWS_PER_INSERT: usize = 1_000;

impl StatementEntries {
    /// Opens an entry and returns its handle for [`Self::line`].
    pub fn entry(&mut self, id: String) -> usize {
        self.entries.push(SummaryEntry {
            id,
            at: i64::MIN,
            postings: Vec::new(),
        });
        self.entries.len() - 1
    }

    /// The id of entry `entry`, to store in its lines' `entry_id`.
    pub fn id(&self, entry: usize) -> &str {
        &self.entries[entry].id
    }

    /// Adds a statement line of `amount_minor` (in `currency`, the
    /// account's) on customer `account`, booked at `at` (Unix seconds), to
    /// `entry`. The entry's time is its latest line's.
    pub fn line(
        &mut self,
        entry: usize,
        account: &str,
        kind: TransactionKind,
        amount_minor: i64,
        currency: Currency,
        at: i64,
    ) -> Result<(), LedgerError> {
        let internal = if kind == TransactionKind::CardPayment {
            Internal::CardSettlement
        } else {
            Internal::Clearing
        };
        let neg = amount_minor.checked_neg().ok_or(LedgerError::Overflow)?;
        let e = &mut self.entries[entry];
        e.at = e.at.max(at);
        let mut added = add_posting(
            &mut e.postings,
            AccountRef::Customer(account),
            amount_minor,
            currency,
        )?;
        added += add_posting(
            &mut e.postings,
            AccountRef::Internal(internal),
            neg,
            currency,
        )?;
        self.postings += added;
        Ok(())
    }

    /// Writes the journal entries that have lines, their postings and any
    /// internal account they post to, inside the caller's transaction.
    pub async fn write(&self, conn: &mut SqliteConnection) -> Result<(), LedgerError> {
        let mut internals: Vec<(Internal, Currency)> = Vec::new();
        for p in self.entries.iter().flat_map(|e| &e.postings) {
            if let SummaryAccount::Internal(i) = p.account {
                if !internals.contains(&(i, p.currency)) {
                    internals.push((i, p.currency));
                }
            }
        }
        for (internal, currency) in internals {
            sqlx::query(
                "INSERT INTO internal_accounts (id, purpose, currency) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            )
            .bind(internal.account_id(currency))
            .bind(internal.purpose())
            .bind(currency.code())
            .execute(&mut *conn)
            .await?;
        }
        let entries: Vec<&SummaryEntry> = self
            .entries
            .iter()
            .filter(|e| !e.postings.is_empty())
            .collect();
        for chunk in entries.chunks(SUMMARY_ROWS_PER_INSERT) {
            let sql = values_sql(
                "INSERT INTO journal_entries (id, at, kind)",
                "(?, ?, 'statement')",
                chunk.len(),
            );
            let mut q = sqlx::query(&sql);
            for e in chunk {
                q = q.bind(e.id.as_str()).bind(e.at);
            }
            q.execute(&mut *conn).await?;
        }
        let rows: Vec<(&str, &SummaryPosting)> = entries
            .iter()
            .flat_map(|e| e.postings.iter().map(move |p| (e.id.as_str(), p)))
            .collect();
        for chunk in rows.chunks(SUMMARY_ROWS_PER_INSERT) {
            let sql = values_sql(
                "INSERT INTO postings (entry_id, account_id, amount_minor, currency)",
                "(?, ?, ?, ?)",
                chunk.len(),
            );
            let mut q = sqlx::query(&sql);
            for &(entry, p) in chunk {
                let account = match &p.account {
                    SummaryAccount::Customer(a) => a.clone(),
                    SummaryAccount::Internal(i) => i.account_id(p.currency),
                };
                q = q
                    .bind(entry)
                    .bind(account)
                    .bind(p.amount)
                    .bind(p.currency.code());
            }
            q.execute(&mut *conn).await?;
        }
        Ok(())
    }
}

/// `<head> VALUES <tuple>,<tuple>,…` with `rows` tuples.
pub(crate) fn values_sql(head: &str, tuple: &str, rows: usize) -> String {
    let mut sql = String::with_capacity(head.len() + 8 + rows * (tuple.len() + 1));
    sql.push_str(head);
    sql.push_str(" VALUES ");
    for i in 0..rows {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str(tuple);
    }
    sql
}

/// A customer account as the ledger sees it at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Balances {
    /// Sum of the account's postings.
    pub booked: Money,
    /// Pending card holds.
    pub held: Money,
    /// Booked minus held.
    pub available: Money,
    /// How far below zero the available balance may go.
    pub limit: Money,
}

/// Reads an account's currency, limit, booked and held sums (a row of
/// [`balances_from_row`]); the caller adds the `WHERE`.
pub(crate) const BALANCES_SELECT: &str = "SELECT a.id, a.currency, a.limit_minor,
        (SELECT COALESCE(SUM(p.amount_minor), 0) FROM postings p WHERE p.account_id = a.id) AS booked,
        (SELECT COALESCE(SUM(h.amount_minor), 0) FROM holds h WHERE h.account_id = a.id AND h.status = 'pending') AS held
     FROM accounts a";

pub(crate) fn balances_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<Balances, LedgerError> {
    let currency = Currency::new(row.get::<&str, _>("currency"))
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let booked: i64 = row.get("booked");
    let held: i64 = row.get("held");
    let available = booked.checked_sub(held).ok_or(LedgerError::Overflow)?;
    Ok(Balances {
        booked: Money::from_minor(booked, currency),
        held: Money::from_minor(held, currency),
        available: Money::from_minor(available, currency),
        limit: Money::from_minor(row.get("limit_minor"), currency),
    })
}

/// The balances of a customer account, read inside the caller's transaction.
pub(crate) async fn balances_in(
    conn: &mut SqliteConnection,
    account: &str,
) -> Result<Balances, LedgerError> {
    let row = sqlx::query(&format!("{BALANCES_SELECT} WHERE a.id = ?"))
        .bind(account)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(LedgerError::AccountNotFound)?;
    balances_from_row(&row)
}

/// Fails unless `b`'s account can give `amount` (minor units, in its
/// currency) and keep its available balance at or above minus its limit.
pub(crate) fn check_funds(b: &Balances, amount: Money) -> Result<(), LedgerError> {
    if b.booked.currency() != amount.currency() {
        return Err(LedgerError::CurrencyMismatch {
            account: b.booked.currency(),
            amount: amount.currency(),
        });
    }
    let after = b
        .available
        .minor()
        .checked_sub(amount.minor())
        .ok_or(LedgerError::Overflow)?;
    if after < -b.limit.minor() {
        let spendable = b
            .available
            .minor()
            .checked_add(b.limit.minor())
            .ok_or(LedgerError::Overflow)?;
        return Err(LedgerError::InsufficientFunds {
            available: Money::from_minor(spendable, amount.currency()),
        });
    }
    Ok(())
}

/// Fails unless `account` can give `amount` (see [`check_funds`]); returns
/// its balances.
pub(crate) async fn ensure_funds(
    conn: &mut SqliteConnection,
    account: &str,
    amount: Money,
) -> Result<Balances, LedgerError> {
    let b = balances_in(conn, account).await?;
    check_funds(&b, amount)?;
    Ok(b)
}

/// What [`BankStore::verify_ledger`] found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LedgerReport {
    pub journal_entries: i64,
    pub postings: i64,
    pub accounts: i64,
    pub payments: i64,
    pub problems: Vec<String>,
}

impl LedgerReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Most problems of one kind listed (the count is always given).
const PROBLEMS_SHOWN: i64 = 20;

impl BankStore {
    /// An account's booked balance, held amount and available balance.
    pub async fn balances(&self, account: &AccountId) -> Result<Balances, LedgerError> {
        let mut conn = self.pool().acquire().await?;
        balances_in(&mut conn, account.as_str()).await
    }

    /// Moves `amount` from one customer account to another as one journal
    /// entry (and a statement line on each side), if the payer can afford it.
    /// Returns the entry's id.
    pub async fn transfer(
        &self,
        from: &AccountId,
        to: &AccountId,
        amount: Money,
        description: &str,
        at: Timestamp,
    ) -> Result<String, LedgerError> {
        if amount.minor() <= 0 {
            return Err(LedgerError::NotPositive);
        }
        let _gate = self.write_gate().await;
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        let entry = format!("je_trf_{}", anumati_wire::html::random_token());
        transfer_in(&mut tx, &entry, from, to, amount, description, at).await?;
        tx.commit().await?;
        Ok(entry)
    }

    /// Releases a pending hold (the authorisation lapsed or was reversed).
    pub async fn release_hold(&self, hold: &str, at: Timestamp) -> Result<(), LedgerError> {
        let done = sqlx::query(
            "UPDATE holds SET status = 'released', closed_at = ? WHERE id = ? AND status = 'pending'",
        )
        .bind(at.as_second())
        .bind(hold)
        .execute(self.pool())
        .await?;
        if done.rows_affected() != 1 {
            return Err(LedgerError::HoldNotPending);
        }
        Ok(())
    }

    /// Captures a pending hold: the card payment settles as a journal entry
    /// (the account against card settlement) and a statement line, and the
    /// hold closes, in one transaction. Returns the entry's id.
    pub async fn capture_hold(&self, hold: &str, at: Timestamp) -> Result<String, LedgerError> {
        let _gate = self.write_gate().await;
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        let row: Option<(String, i64, String, String)> = sqlx::query_as(
            "SELECT account_id, amount_minor, currency, merchant FROM holds WHERE id = ? AND status = 'pending'",
        )
        .bind(hold)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((account, amount, currency, merchant)) = row else {
            return Err(LedgerError::HoldNotPending);
        };
        let currency = Currency::new(&currency).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let amount = Money::from_minor(amount, currency);
        let entry = format!("je_{hold}");
        let debit = amount.checked_neg().map_err(|_| LedgerError::Overflow)?;
        post_entry(
            &mut tx,
            &entry,
            EntryKind::CardCapture,
            at,
            &[
                Posting {
                    account: account.clone(),
                    amount: debit,
                },
                Posting {
                    account: Internal::CardSettlement.account_id(currency),
                    amount,
                },
            ],
        )
        .await?;
        insert_statement_line(
            &mut tx,
            &StatementLine {
                id: format!("txn_{hold}"),
                entry_id: &entry,
                account: &account,
                at,
                amount: debit,
                kind: TransactionKind::CardPayment,
                channel: Channel::CardPresent,
                description: merchant.clone(),
                counterparty: Some(merchant),
                category: Category::Other,
            },
        )
        .await?;
        sqlx::query(
            "UPDATE holds SET status = 'captured', closed_at = ?, entry_id = ? WHERE id = ?",
        )
        .bind(at.as_second())
        .bind(&entry)
        .bind(hold)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(entry)
    }

    /// The sum of every posting per currency (zero in a balanced ledger).
    pub async fn ledger_totals(&self) -> Result<Vec<(String, i64)>, LedgerError> {
        Ok(sqlx::query_as(
            "SELECT currency, SUM(amount_minor) FROM postings GROUP BY currency ORDER BY currency",
        )
        .fetch_all(self.pool())
        .await?)
    }

    /// The sum of the customer accounts' booked balances per currency.
    pub async fn customer_totals(&self) -> Result<Vec<(String, i64)>, LedgerError> {
        Ok(sqlx::query_as(
            "SELECT p.currency, SUM(p.amount_minor) FROM postings p JOIN accounts a ON a.id = p.account_id
             GROUP BY p.currency ORDER BY p.currency",
        )
        .fetch_all(self.pool())
        .await?)
    }

    /// Checks every ledger invariant; a report with problems means a violation.
    ///
    /// - every journal entry has at least two postings and sums to zero per currency;
    /// - every posting is on a known account, in that account's currency;
    /// - every statement line belongs to a journal entry; on every customer
    ///   account, each entry's postings (but an opening balance's) equal the
    ///   entry's lines there; and each customer account's statement (opening
    ///   balance plus its lines) equals the sum of its postings, so the
    ///   balance is the sum of the postings;
    /// - no customer account's available balance is below minus its limit;
    /// - every executed payment was applied exactly once: its consent is
    ///   consumed, its entry exists and moves exactly its amount (and fee)
    ///   out of the payer and into the payee (or clearing and fees), a
    ///   returned payment is reversed exactly once, every external payment has
    ///   one queue row, and every payment acknowledged under an idempotency
    ///   key exists.
    pub async fn verify_ledger(&self) -> Result<LedgerReport, LedgerError> {
        let pool = self.pool();
        let mut report = LedgerReport {
            journal_entries: sqlx::query_scalar("SELECT COUNT(*) FROM journal_entries")
                .fetch_one(pool)
                .await?,
            postings: sqlx::query_scalar("SELECT COUNT(*) FROM postings")
                .fetch_one(pool)
                .await?,
            accounts: sqlx::query_scalar("SELECT COUNT(*) FROM accounts")
                .fetch_one(pool)
                .await?,
            payments: sqlx::query_scalar("SELECT COUNT(*) FROM payments")
                .fetch_one(pool)
                .await?,
            problems: Vec::new(),
        };
        let checks: &[(&str, &str)] = &[
            (
                "journal entry with fewer than two postings",
                "SELECT e.id FROM journal_entries e LEFT JOIN postings p ON p.entry_id = e.id
                 GROUP BY e.id HAVING COUNT(p.id) < 2",
            ),
            (
                "journal entry does not sum to zero",
                "SELECT entry_id || ' ' || currency || ' ' || SUM(amount_minor) FROM postings
                 GROUP BY entry_id, currency HAVING SUM(amount_minor) <> 0",
            ),
            (
                "posting on an unknown account",
                "SELECT p.entry_id || ' ' || p.account_id FROM postings p
                 WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = p.account_id)
                   AND NOT EXISTS (SELECT 1 FROM internal_accounts i WHERE i.id = p.account_id)",
            ),
            (
                "posting in another currency than its account",
                "SELECT p.entry_id || ' ' || p.account_id FROM postings p
                 LEFT JOIN accounts a ON a.id = p.account_id
                 LEFT JOIN internal_accounts i ON i.id = p.account_id
                 WHERE p.currency <> COALESCE(a.currency, i.currency)",
            ),
            (
                "statement line without a journal entry",
                "SELECT t.id FROM transactions t
                 WHERE NOT EXISTS (SELECT 1 FROM journal_entries e WHERE e.id = COALESCE(t.entry_id, t.id))",
            ),
            (
                "statement lines differ from their journal entry's postings",
                "SELECT k || ' ' || account_id || ' lines - postings ' || SUM(s) FROM (
                     SELECT COALESCE(entry_id, id) AS k, account_id, amount_minor AS s FROM transactions
                     UNION ALL
                     SELECT p.entry_id, p.account_id, -p.amount_minor FROM postings p
                     JOIN accounts a ON a.id = p.account_id
                     JOIN journal_entries e ON e.id = p.entry_id
                     WHERE e.kind <> 'opening')
                 GROUP BY k, account_id HAVING SUM(s) <> 0",
            ),
            (
                "statement does not equal the sum of postings",
                "SELECT a.id || ' statement ' || (a.opening_balance_minor + COALESCE(t.s, 0)) || ' postings ' || COALESCE(p.s, 0)
                 FROM accounts a
                 LEFT JOIN (SELECT account_id, SUM(amount_minor) AS s FROM transactions GROUP BY account_id) t ON t.account_id = a.id
                 LEFT JOIN (SELECT account_id, SUM(amount_minor) AS s FROM postings GROUP BY account_id) p ON p.account_id = a.id
                 WHERE a.opening_balance_minor + COALESCE(t.s, 0) <> COALESCE(p.s, 0)",
            ),
            (
                "available balance past its limit",
                "SELECT a.id || ' available ' || (COALESCE(p.s, 0) - COALESCE(h.s, 0)) || ' limit ' || a.limit_minor
                 FROM accounts a
                 LEFT JOIN (SELECT account_id, SUM(amount_minor) AS s FROM postings GROUP BY account_id) p ON p.account_id = a.id
                 LEFT JOIN (SELECT account_id, SUM(amount_minor) AS s FROM holds WHERE status = 'pending' GROUP BY account_id) h ON h.account_id = a.id
                 WHERE COALESCE(p.s, 0) - COALESCE(h.s, 0) < -a.limit_minor",
            ),
            (
                "captured hold without its entry",
                "SELECT h.id FROM holds h WHERE h.status = 'captured'
                 AND NOT EXISTS (SELECT 1 FROM journal_entries e WHERE e.id = h.entry_id)",
            ),
            (
                "payment whose consent is not consumed",
                "SELECT p.id FROM payments p JOIN payment_consents c ON c.id = p.consent_id
                 WHERE c.status <> 'Consumed'",
            ),
            (
                "consumed consent without exactly one payment",
                "SELECT c.id FROM payment_consents c WHERE c.status = 'Consumed'
                 AND (SELECT COUNT(*) FROM payments p WHERE p.consent_id = c.id) <> 1",
            ),
            (
                "payment not taken from the payer exactly once",
                "SELECT p.id FROM payments p
                 WHERE COALESCE((SELECT SUM(q.amount_minor) FROM postings q
                                 WHERE q.entry_id = p.entry_id AND q.account_id = p.debtor_account_id), 0)
                       <> -(p.amount_minor + p.fee_minor)
                    OR (SELECT COUNT(*) FROM journal_entries e WHERE e.id = p.entry_id) <> 1",
            ),
            (
                "internal payment not credited to the payee exactly once",
                "SELECT p.id FROM payments p WHERE p.creditor_account_id IS NOT NULL
                 AND COALESCE((SELECT SUM(q.amount_minor) FROM postings q
                               WHERE q.entry_id = p.entry_id AND q.account_id = p.creditor_account_id), 0) <> p.amount_minor",
            ),
            (
                "external payment not sent to clearing exactly once",
                "SELECT p.id FROM payments p WHERE p.creditor_account_id IS NULL
                 AND (COALESCE((SELECT SUM(q.amount_minor) FROM postings q
                                WHERE q.entry_id = p.entry_id AND q.account_id = 'int_clearing_' || p.currency), 0) <> p.amount_minor
                      OR (SELECT COUNT(*) FROM outbound_queue o WHERE o.payment_id = p.id) <> 1)",
            ),
            (
                "returned payment not reversed exactly once",
                "SELECT p.id FROM payments p WHERE p.status = 'Rejected'
                 AND COALESCE((SELECT SUM(q.amount_minor) FROM postings q
                               WHERE q.entry_id = p.return_entry_id AND q.account_id = p.debtor_account_id), 0)
                     <> p.amount_minor + p.fee_minor",
            ),
            (
                "queue row disagrees with its payment",
                "SELECT o.payment_id FROM outbound_queue o JOIN payments p ON p.id = o.payment_id
                 WHERE (o.status = 'queued' AND p.status <> 'AcceptedSettlementInProcess')
                    OR (o.status = 'settled' AND p.status <> 'AcceptedSettlementCompleted')
                    OR (o.status = 'returned' AND p.status <> 'Rejected')",
            ),
            (
                "acknowledged payment missing",
                "SELECT k.client_id || ' ' || k.key FROM idempotency_keys k
                 WHERE k.operation = 'payment' AND k.status_code = 201
                   AND NOT EXISTS (SELECT 1 FROM payments p
                                   WHERE p.id = json_extract(k.response, '$.Data.DomesticPaymentId'))",
            ),
        ];
        for (what, sql) in checks {
            let count: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM ({sql})"))
                .fetch_one(pool)
                .await?;
            if count == 0 {
                continue;
            }
            let shown: Vec<String> = sqlx::query_scalar(&format!("{sql} LIMIT {PROBLEMS_SHOWN}"))
                .fetch_all(pool)
                .await?;
            report
                .problems
                .push(format!("{what}: {count} ({})", shown.join(", ")));
        }
        Ok(report)
    }
}

/// One balanced transfer between two customer accounts, inside the caller's
/// (immediate) transaction.
pub(crate) async fn transfer_in(
    conn: &mut SqliteConnection,
    entry: &str,
    from: &AccountId,
    to: &AccountId,
    amount: Money,
    description: &str,
    at: Timestamp,
) -> Result<(), LedgerError> {
    let payee: Option<String> = sqlx::query_scalar("SELECT currency FROM accounts WHERE id = ?")
        .bind(to.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    let payee = payee.ok_or(LedgerError::AccountNotFound)?;
    if payee != amount.currency().code() {
        return Err(LedgerError::CurrencyMismatch {
            account: Currency::new(&payee).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            amount: amount.currency(),
        });
    }
    ensure_funds(conn, from.as_str(), amount).await?;
    let debit = amount.checked_neg().map_err(|_| LedgerError::Overflow)?;
    post_entry(
        conn,
        entry,
        EntryKind::Transfer,
        at,
        &[
            Posting {
                account: from.as_str().to_owned(),
                amount: debit,
            },
            Posting {
                account: to.as_str().to_owned(),
                amount,
            },
        ],
    )
    .await?;
    for (suffix, account, amount, kind) in [
        ("d", from, debit, TransactionKind::TransferOut),
        ("c", to, amount, TransactionKind::TransferIn),
    ] {
        insert_statement_line(
            conn,
            &StatementLine {
                id: format!("txn_{entry}_{suffix}"),
                entry_id: entry,
                account: account.as_str(),
                at,
                amount,
                kind,
                channel: Channel::Transfer,
                description: description.to_owned(),
                counterparty: None,
                category: Category::Transfers,
            },
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(account: &str, minor: i64, currency: Currency) -> Posting {
        Posting {
            account: account.into(),
            amount: Money::from_minor(minor, currency),
        }
    }

    #[test]
    fn entries_must_balance_per_currency() {
        let inr = Currency::INR;
        let usd = Currency::USD;
        assert!(check_balanced(&[p("a", -5, inr), p("b", 5, inr)]).is_ok());
        assert!(check_balanced(&[p("a", -5, inr), p("b", 2, inr), p("c", 3, inr)]).is_ok());
        assert!(matches!(
            check_balanced(&[p("a", -5, inr)]),
            Err(LedgerError::TooFewPostings)
        ));
        assert!(matches!(
            check_balanced(&[p("a", -5, inr), p("b", 4, inr)]),
            Err(LedgerError::Unbalanced(c)) if c == inr
        ));
        // Zero overall but not per currency.
        assert!(matches!(
            check_balanced(&[p("a", -5, inr), p("b", 5, usd)]),
            Err(LedgerError::Unbalanced(_))
        ));
        assert!(matches!(
            check_balanced(&[p("a", i64::MAX, inr), p("b", 1, inr)]),
            Err(LedgerError::Overflow)
        ));
    }
}
