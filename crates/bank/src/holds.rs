//! Card holds, group-committed.
//!
//! A card authorisation ([`BankStore::authorise_card`], or
//! [`BankStore::decide_card`] to know whose card it is) goes to one writer
//! task, which takes every authorisation waiting (up to [`HOLD_BATCH`]) into
//! one transaction of a fixed number of statements, decides each in order
//! against its account's available balance (each seeing the holds before
//! it), commits once (durably: `synchronous = FULL`) and only then answers
//! each. A failed commit fails the whole batch; a decline writes nothing.
//!
//! What keeps it fast at thousands of authorisations a second: the writer
//! keeps its own connection while busy (a warm page cache), remembers each
//! account's owner (which never changes), reads cards and balances for the
//! whole batch in one statement each, inserts the holds in one, gives holds
//! ids that grow with time (so the key index is appended to), and has the
//! write-ahead log copied back beside it instead of inside its commits.

use anumati_domain::{CardId, Money};
use jiff::Timestamp;
use sqlx::{Row, SqliteConnection};

use crate::ledger::{balances_from_row, check_funds, Balances, LedgerError, BALANCES_SELECT};
use crate::store::{BankStore, StoreError};

/// Most card holds written in one transaction.
pub const HOLD_BATCH: usize = 256;

/// Most account owners the hold writer remembers.
const OWNERS_KEPT: usize = 1_000_000;

/// The sending half of the hold writer's queue.
#[derive(Debug)]
pub(crate) struct HoldQueue(tokio::sync::mpsc::Sender<HoldJob>);

#[derive(Debug)]
pub(crate) struct HoldJob {
    card: String,
    amount: Money,
    merchant: String,
    at: Timestamp,
    reply: tokio::sync::oneshot::Sender<CardDecision>,
}

/// A card, its account, its customer and the customer's time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardOwner {
    pub account: String,
    pub customer: String,
    pub time_zone: String,
}

/// What the hold writer decided for one authorisation: the hold's id or
/// why not, and whose card it is (`None`: no such card).
#[derive(Debug)]
pub struct CardDecision {
    pub hold: Result<String, LedgerError>,
    pub owner: Option<CardOwner>,
}

/// The group-commit loop of [`BankStore::authorise_card`].
///
/// While authorisations keep coming (until [`HOLD_WRITER_IDLE`] passes with
/// none), the writer keeps one connection of the pool for itself, so that
/// its page cache stays warm between batches (a connection's cache is
/// emptied whenever another connection has written), and has the log
/// copied back by another connection (see [`take_connection`]).
async fn hold_writer(store: BankStore, mut jobs: tokio::sync::mpsc::Receiver<HoldJob>) {
    let mut conn: Option<sqlx::pool::PoolConnection<sqlx::Sqlite>> = None;
    // Account → (customer, the customer's time zone), as read.
    let mut owners = std::collections::HashMap::new();
    let mut checkpoints = Checkpoints::default();
    loop {
        let next = if conn.is_some() {
            match tokio::time::timeout(HOLD_WRITER_IDLE, jobs.recv()).await {
                Ok(next) => next,
                Err(_) => {
                    // Idle: the connection goes back (the pool may be closed).
                    give_back(conn.take()).await;
                    continue;
                }
            }
        } else {
            jobs.recv().await
        };
        let Some(first) = next else {
            break;
        };
        let mut batch = vec![first];
        while batch.len() < HOLD_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let written = match conn.as_mut() {
            Some(c) => write_holds(&store, c, &mut owners, &batch).await,
            None => match take_connection(&store).await {
                Ok(c) => write_holds(&store, conn.insert(c), &mut owners, &batch).await,
                Err(e) => Err(e),
            },
        };
        let failed = written.is_err();
        match written {
            Ok(decisions) => {
                for (job, decision) in batch.into_iter().zip(decisions) {
                    let _ = job.reply.send(decision);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, holds = batch.len(), "card holds not written");
                for job in batch {
                    let _ = job.reply.send(CardDecision {
                        hold: Err(LedgerError::Store(StoreError::Corrupt(e.to_string()))),
                        owner: None,
                    });
                }
            }
        }
        if failed {
            // A connection that failed goes back; the next batch takes another.
            give_back(conn.take()).await;
        } else if let Some(c) = conn.as_mut() {
            checkpoints.after_batch(&store, c).await;
        }
    }
    give_back(conn).await;
}

/// How long the hold writer keeps its connection with nothing to write.
const HOLD_WRITER_IDLE: std::time::Duration = std::time::Duration::from_millis(100);

/// Returns the hold writer's connection to the pool as the pool gave it.
async fn give_back(conn: Option<sqlx::pool::PoolConnection<sqlx::Sqlite>>) {
    if let Some(mut c) = conn {
        if let Err(e) = sqlx::query(&format!("PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT}"))
            .execute(&mut *c)
            .await
        {
            // Not given back as it is: closed instead.
            tracing::warn!(error = %e, "hold writer's connection not reset; closing it");
            let _ = c.detach();
        }
    }
}

/// SQLite's own default: a commit that leaves this many pages in the write-
/// ahead log copies them back into the database.
const WAL_AUTOCHECKPOINT: u32 = 1000;

/// While it keeps a connection, the hold writer has the log copied back
/// every this many batches, by another connection.
const CHECKPOINT_EVERY_BATCHES: u64 = 4;

/// How the hold writer keeps the write-ahead log short while it keeps its
/// connection (whose commits do not copy the log back, see
/// [`take_connection`]): every [`CHECKPOINT_EVERY_BATCHES`] another
/// connection copies back what the log holds, beside the writer; once it
/// has, the writer copies back the little written since, between two
/// batches, so that the whole log is in the database and its next commit
/// starts the log afresh. (A copy beside a writer that never stops never
/// catches up with it: the log would grow without end.)
#[derive(Default)]
struct Checkpoints {
    batches: u64,
    /// A copy beside the writer is running.
    running: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// A copy beside the writer has finished: the writer's turn.
    copied: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Checkpoints {
    async fn after_batch(&mut self, store: &BankStore, conn: &mut SqliteConnection) {
        use std::sync::atomic::Ordering;
        self.batches += 1;
        if self.copied.swap(false, Ordering::AcqRel) {
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&mut *conn)
                .await
            {
                tracing::warn!(error = %e, "hold writer's checkpoint failed");
            }
            return;
        }
        if self.batches.is_multiple_of(CHECKPOINT_EVERY_BATCHES)
            && !self.running.swap(true, Ordering::AcqRel)
        {
            let pool = store.pool().clone();
            let (running, copied) = (self.running.clone(), self.copied.clone());
            tokio::spawn(async move {
                match sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                    .execute(&pool)
                    .await
                {
                    Ok(_) => copied.store(true, Ordering::Release),
                    Err(e) => {
                        tracing::warn!(error = %e, "checkpoint beside the hold writer failed")
                    }
                }
                running.store(false, Ordering::Release);
            });
        }
    }
}

/// The hold writer's own connection while authorisations keep coming: it
/// does not copy the write-ahead log back itself (a commit that does waits
/// for it: tens of milliseconds every few batches); the writer has another
/// connection do it beside it.
async fn take_connection(
    store: &BankStore,
) -> Result<sqlx::pool::PoolConnection<sqlx::Sqlite>, LedgerError> {
    let mut conn = store.pool().acquire().await?;
    sqlx::query("PRAGMA wal_autocheckpoint = 0")
        .execute(&mut *conn)
        .await?;
    Ok(conn)
}

/// A card as the hold writer reads it.
struct HeldCard {
    active: bool,
    owner: CardOwner,
}

/// One transaction for a batch of holds, in three statements whatever the
/// batch's size: read the batch's cards (status, account, owner), read
/// their accounts' balances, then insert every approved hold. Each job is
/// decided in order against the balance its account has after the holds
/// before it in the batch, as if each had been its own transaction. Returns
/// each job's decision, or the error that stopped the batch (nothing of it
/// is then written).
async fn write_holds(
    store: &BankStore,
    conn: &mut SqliteConnection,
    owners: &mut std::collections::HashMap<String, (String, String)>,
    batch: &[HoldJob],
) -> Result<Vec<CardDecision>, LedgerError> {
    let _gate = store.write_gate().await;
    let mut tx = sqlx::Connection::begin_with(conn, "BEGIN IMMEDIATE").await?;
    let card_ids: Vec<&str> = batch.iter().map(|j| j.card.as_str()).collect();
    let card_ids =
        serde_json::to_string(&card_ids).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT id, status, account_id FROM cards WHERE id IN (SELECT value FROM json_each(?))",
    )
    .bind(&card_ids)
    .fetch_all(&mut *tx)
    .await?;
    // Whose accounts these are: an account's customer, and the customer's
    // time zone, never change, so each is read once.
    let unknown: Vec<&str> = {
        let mut u: Vec<&str> = rows
            .iter()
            .map(|(_, _, account)| account.as_str())
            .filter(|a| !owners.contains_key(*a))
            .collect();
        u.sort_unstable();
        u.dedup();
        u
    };
    if !unknown.is_empty() {
        let ids =
            serde_json::to_string(&unknown).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let found: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT a.id, c.id, c.time_zone FROM accounts a JOIN customers c ON c.id = a.customer_id
             WHERE a.id IN (SELECT value FROM json_each(?))",
        )
        .bind(ids)
        .fetch_all(&mut *tx)
        .await?;
        if owners.len() + found.len() > OWNERS_KEPT {
            owners.clear();
        }
        for (account, customer, time_zone) in found {
            owners.insert(account, (customer, time_zone));
        }
    }
    let mut cards: std::collections::HashMap<String, HeldCard> =
        std::collections::HashMap::with_capacity(rows.len());
    for (card, status, account) in rows {
        let (customer, time_zone) = owners
            .get(&account)
            .cloned()
            .ok_or(LedgerError::AccountNotFound)?;
        let held = HeldCard {
            active: status == "active",
            owner: CardOwner {
                account,
                customer,
                time_zone,
            },
        };
        cards.insert(card, held);
    }
    let accounts: Vec<&str> = {
        let mut a: Vec<&str> = cards
            .values()
            .filter(|c| c.active)
            .map(|c| c.owner.account.as_str())
            .collect();
        a.sort_unstable();
        a.dedup();
        a
    };
    let mut balances = balances_of(&mut tx, &accounts).await?;

    let mut decisions = Vec::with_capacity(batch.len());
    let mut inserts = Vec::new();
    for job in batch {
        let Some(card) = cards.get(&job.card) else {
            decisions.push(CardDecision {
                hold: Err(LedgerError::CardDeclined),
                owner: None,
            });
            continue;
        };
        let owner = Some(card.owner.clone());
        if !card.active {
            decisions.push(CardDecision {
                hold: Err(LedgerError::CardDeclined),
                owner,
            });
            continue;
        }
        let b = balances
            .get_mut(&card.owner.account)
            .ok_or(LedgerError::AccountNotFound)?;
        if let Err(e) = check_funds(b, job.amount) {
            match e {
                LedgerError::InsufficientFunds { .. } | LedgerError::CurrencyMismatch { .. } => {
                    decisions.push(CardDecision {
                        hold: Err(e),
                        owner,
                    });
                    continue;
                }
                e => return Err(e),
            }
        }
        b.held = b
            .held
            .checked_add(job.amount)
            .map_err(|_| LedgerError::Overflow)?;
        b.available = b
            .available
            .checked_sub(job.amount)
            .map_err(|_| LedgerError::Overflow)?;
        let id = hold_id();
        inserts.push(serde_json::json!([
            id,
            card.owner.account,
            job.card,
            job.amount.minor(),
            job.amount.currency().code(),
            job.merchant,
            job.at.as_second(),
        ]));
        decisions.push(CardDecision {
            hold: Ok(id),
            owner,
        });
    }
    if !inserts.is_empty() {
        let rows = serde_json::Value::Array(inserts).to_string();
        sqlx::query(
            "INSERT INTO holds (id, account_id, card_id, amount_minor, currency, merchant, status, created_at)
             SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, 'pending', value ->> 6
             FROM json_each(?)",
        )
        .bind(rows)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(decisions)
}

/// A new hold's id: the time in microseconds, then 64 random bits. Ids that
/// grow with time go in at the end of the holds' key index, so a batch
/// dirties a page or two of it instead of one page per hold.
fn hold_id() -> String {
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros());
    format!("hold_{micros:014x}{:016x}", rand::random::<u64>())
}

/// Balances of several accounts in one statement, by account id.
async fn balances_of(
    conn: &mut SqliteConnection,
    accounts: &[&str],
) -> Result<std::collections::HashMap<String, Balances>, LedgerError> {
    let mut out = std::collections::HashMap::with_capacity(accounts.len());
    if accounts.is_empty() {
        return Ok(out);
    }
    let ids = serde_json::to_string(accounts).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let rows = sqlx::query(&format!(
        "{BALANCES_SELECT} WHERE a.id IN (SELECT value FROM json_each(?))"
    ))
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    for row in rows {
        let id: String = row.get("id");
        out.insert(id, balances_from_row(&row)?);
    }
    Ok(out)
}

impl BankStore {
    /// Authorises a card payment: declines a locked or unknown card or one
    /// whose account cannot afford it, otherwise places a hold that lowers
    /// the available balance. Returns the hold's id once it is durable.
    pub async fn authorise_card(
        &self,
        card: &CardId,
        amount: Money,
        merchant: &str,
        at: Timestamp,
    ) -> Result<String, LedgerError> {
        self.decide_card(card, amount, merchant, at).await?.hold
    }

    /// [`Self::authorise_card`], also saying whose card it is.
    ///
    /// Holds are group-committed: one writer task takes every authorisation
    /// waiting (up to [`HOLD_BATCH`]) into one transaction, decides each in
    /// order (each sees the holds before it), commits once and only then
    /// answers each. A failed commit fails the whole batch; a decline
    /// writes nothing.
    pub async fn decide_card(
        &self,
        card: &CardId,
        amount: Money,
        merchant: &str,
        at: Timestamp,
    ) -> Result<CardDecision, LedgerError> {
        if amount.minor() <= 0 {
            return Err(LedgerError::NotPositive);
        }
        let queue = self.holds.get_or_init(|| {
            let (tx, rx) = tokio::sync::mpsc::channel(HOLD_BATCH * 4);
            // The writer's own handle on the store holds no queue, so that it
            // stops (and lets the pool go) once every store handle is dropped.
            let mut writer = self.clone();
            writer.holds = std::sync::Arc::default();
            tokio::spawn(hold_writer(writer, rx));
            HoldQueue(tx)
        });
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job = HoldJob {
            card: card.as_str().to_owned(),
            amount,
            merchant: merchant.to_owned(),
            at,
            reply,
        };
        let stopped = || LedgerError::Store(StoreError::Corrupt("the hold writer stopped".into()));
        queue.0.send(job).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())
    }
}
