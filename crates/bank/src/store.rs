//! The bank node's store: its own SQLite database, nothing else.

use anumati_domain::{
    mask_account_number, Account, AccountId, AccountKind, Card, CardId, CardKind, CardStatus,
    Category, Channel, Currency, Customer, CustomerId, MerchantId, Money, Place, Transaction,
    TransactionId, TransactionKind, TransactionMerchant,
};
use jiff::civil::Date;
use jiff::Timestamp;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqlitePool};

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error("stored row is corrupt: {0}")]
    Corrupt(String),
}

/// A page of transactions, newest first, and where the next page starts.
#[derive(Debug, Clone)]
pub struct TransactionPage {
    pub transactions: Vec<Transaction>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone)]
pub struct BankStore {
    pool: SqlitePool,
    /// Serialises the ledger's read-then-post writers in this process, so
    /// they queue here instead of spinning on SQLite's busy handler.
    writer: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// The group-commit queue of card holds ([`crate::ledger`]), started on first use.
    pub(crate) holds: std::sync::Arc<std::sync::OnceLock<crate::holds::HoldQueue>>,
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

impl BankStore {
    pub fn new(pool: SqlitePool) -> Self {
        BankStore {
            pool,
            writer: std::sync::Arc::new(tokio::sync::Mutex::new(())),
            holds: std::sync::Arc::default(),
        }
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Taken by every writer that reads balances and then posts (with
    /// `BEGIN IMMEDIATE`), held until its transaction ends.
    pub(crate) async fn write_gate(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.writer.lock().await
    }

    pub async fn customer_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM customers")
            .fetch_one(&self.pool)
            .await?)
    }

    /// Customers in id order, `limit` of them from `offset`.
    pub async fn customers(&self, offset: i64, limit: i64) -> Result<Vec<Customer>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, login, name, city, country, time_zone FROM customers ORDER BY id LIMIT ? OFFSET ?",
        )
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(customer_from_row).collect())
    }

    /// The customer with this login and their password hash.
    pub async fn customer_by_login(
        &self,
        login: &str,
    ) -> Result<Option<(Customer, String)>, StoreError> {
        let row = sqlx::query(
            "SELECT id, login, name, city, country, time_zone, password_hash FROM customers WHERE login = ?",
        )
        .bind(login)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| (customer_from_row(&r), r.get::<String, _>("password_hash"))))
    }

    pub async fn accounts_of(&self, customer: &CustomerId) -> Result<Vec<Account>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, customer_id, kind, number, currency, limit_minor, opened_on FROM accounts WHERE customer_id = ? ORDER BY id",
        )
        .bind(customer.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(account_from_row).collect()
    }

    pub async fn account(&self, id: &AccountId) -> Result<Option<Account>, StoreError> {
        let row = sqlx::query(
            "SELECT id, customer_id, kind, number, currency, limit_minor, opened_on FROM accounts WHERE id = ?",
        )
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(account_from_row).transpose()
    }

    pub async fn cards_of(&self, account: &AccountId) -> Result<Vec<Card>, StoreError> {
        let rows = sqlx::query("SELECT id, account_id, kind, masked_pan, network, status FROM cards WHERE account_id = ? ORDER BY id")
            .bind(account.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(card_from_row).collect()
    }

    /// Whether a card is locked; `None` for a card the bank does not know.
    ///
    /// This is what the authorisation path reads: **an authorisation on a
    /// locked card must be declined** (and so must one on an unknown card).
    /// The customer locks and unlocks their cards through a data user and the
    /// consent manager ([`crate::cards`], `POST /v1/cards/lock`).
    pub async fn card_locked(&self, card: &CardId) -> Result<Option<bool>, StoreError> {
        let status: Option<String> = sqlx::query_scalar("SELECT status FROM cards WHERE id = ?")
            .bind(card.as_str())
            .fetch_optional(&self.pool)
            .await?;
        status
            .map(|s| match s.as_str() {
                "active" => Ok(false),
                "locked" => Ok(true),
                other => Err(corrupt(format!("card status {other}"))),
            })
            .transpose()
    }

    /// Locks (`lock`) or unlocks every card on these accounts that belong to
    /// `customer`, in one transaction, and returns those cards as they now are.
    /// Idempotent: a card already in the asked state is left alone (a locked
    /// card keeps the time it was first locked). Cards on an account of
    /// another customer are neither changed nor returned.
    pub async fn set_cards_locked(
        &self,
        customer: &CustomerId,
        accounts: &[AccountId],
        lock: bool,
        at: Timestamp,
    ) -> Result<Vec<Card>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut cards = Vec::new();
        for account in accounts {
            let update = if lock {
                "UPDATE cards SET status = 'locked', locked_at = ?
                 WHERE account_id = ? AND status = 'active'
                   AND account_id IN (SELECT id FROM accounts WHERE id = ? AND customer_id = ?)"
            } else {
                "UPDATE cards SET status = 'active', locked_at = NULL
                 WHERE account_id = ? AND status = 'locked'
                   AND account_id IN (SELECT id FROM accounts WHERE id = ? AND customer_id = ?)"
            };
            let mut query = sqlx::query(update);
            if lock {
                query = query.bind(at.as_second());
            }
            query
                .bind(account.as_str())
                .bind(account.as_str())
                .bind(customer.as_str())
                .execute(&mut *tx)
                .await?;
            let rows = sqlx::query(
                "SELECT c.id, c.account_id, c.kind, c.masked_pan, c.network, c.status
                 FROM cards c JOIN accounts a ON a.id = c.account_id
                 WHERE c.account_id = ? AND a.customer_id = ? ORDER BY c.id",
            )
            .bind(account.as_str())
            .bind(customer.as_str())
            .fetch_all(&mut *tx)
            .await?;
            for row in &rows {
                cards.push(card_from_row(row)?);
            }
        }
        tx.commit().await?;
        Ok(cards)
    }

    /// The booked balance: the sum of the account's postings in the
    /// double-entry ledger ([`crate::ledger`]), opening balance included.
    /// Derived on every read, never stored, so it cannot drift from the postings.
    pub async fn booked_balance(&self, account: &Account) -> Result<Money, StoreError> {
        let sum: Option<i64> =
            sqlx::query_scalar("SELECT SUM(amount_minor) FROM postings WHERE account_id = ?")
                .bind(account.id.as_str())
                .fetch_one(&self.pool)
                .await?;
        Ok(Money::from_minor(sum.unwrap_or(0), account.currency))
    }

    /// The amount of the account's pending card holds.
    pub async fn held_amount(&self, account: &Account) -> Result<Money, StoreError> {
        let sum: Option<i64> = sqlx::query_scalar(
            "SELECT SUM(amount_minor) FROM holds WHERE account_id = ? AND status = 'pending'",
        )
        .bind(account.id.as_str())
        .fetch_one(&self.pool)
        .await?;
        Ok(Money::from_minor(sum.unwrap_or(0), account.currency))
    }

    /// Transactions booked in `[from, to]`, newest first, keyset-paginated.
    pub async fn transactions(
        &self,
        account: &Account,
        from: Timestamp,
        to: Timestamp,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<TransactionPage, StoreError> {
        let (before_at, before_id) = match cursor.and_then(parse_cursor) {
            Some((at, id)) => (at, id),
            None => (i64::MAX, String::new()),
        };
        let rows = sqlx::query(
            "SELECT t.id, t.account_id, t.booked_at, t.value_date, t.amount_minor, t.currency, t.kind, t.channel,
                    t.description, t.merchant_id, m.name AS merchant_name, m.mcc, t.city, t.country, t.card_id,
                    t.counterparty, t.category
             FROM transactions t LEFT JOIN merchants m ON m.id = t.merchant_id
             WHERE t.account_id = ? AND t.booked_at >= ? AND t.booked_at <= ?
               AND (t.booked_at < ? OR (t.booked_at = ? AND t.id < ?) OR ? = '')
             ORDER BY t.booked_at DESC, t.id DESC
             LIMIT ?",
        )
        .bind(account.id.as_str())
        .bind(from.as_second())
        .bind(to.as_second())
        .bind(before_at)
        .bind(before_at)
        .bind(&before_id)
        .bind(&before_id)
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        let mut transactions = rows
            .iter()
            .map(transaction_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let next_cursor = if transactions.len() > limit as usize {
            transactions.truncate(limit as usize);
            transactions
                .last()
                .map(|t| format!("{}_{}", t.booked_at.as_second(), t.id))
        } else {
            None
        };
        Ok(TransactionPage {
            transactions,
            next_cursor,
        })
    }

    pub async fn consent_notice(&self, consent_id: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT status FROM consent_notices WHERE consent_id = ?")
                .bind(consent_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Records a status notice; an older notice never overwrites a newer one and
    /// a final status (revoked, expired, rejected) is never undone.
    pub async fn record_consent_notice(
        &self,
        consent_id: &str,
        status: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO consent_notices (consent_id, status, updated_at) VALUES (?, ?, ?)
             ON CONFLICT (consent_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at
             WHERE excluded.updated_at >= consent_notices.updated_at
               AND consent_notices.status NOT IN ('REVOKED', 'EXPIRED', 'REJECTED')",
        )
        .bind(consent_id)
        .bind(status)
        .bind(at.as_second())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records a fetch under a consent unless `max` fetches were already made
    /// since `since`. One statement, so concurrent requests cannot both pass
    /// the count (a read-then-write transaction would also fail under load
    /// with SQLITE_BUSY_SNAPSHOT when upgrading to a writer).
    pub async fn try_record_fetch(
        &self,
        consent_id: &str,
        account: &AccountId,
        kind: &str,
        since: Timestamp,
        at: Timestamp,
        max: u32,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO data_fetches (consent_id, account_id, kind, at)
             SELECT ?, ?, ?, ?
             WHERE (SELECT COUNT(*) FROM data_fetches WHERE consent_id = ? AND at >= ?) < ?",
        )
        .bind(consent_id)
        .bind(account.as_str())
        .bind(kind)
        .bind(at.as_second())
        .bind(consent_id)
        .bind(since.as_second())
        .bind(i64::from(max))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

impl BankStore {
    /// Remembers a key-material nonce for a consent; false when it was seen before.
    pub async fn first_use_of_nonce(
        &self,
        consent_id: &str,
        nonce: &str,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO fi_nonces (consent_id, nonce, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        )
        .bind(consent_id)
        .bind(nonce)
        .bind(at.as_second())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

fn parse_cursor(cursor: &str) -> Option<(i64, String)> {
    let (at, id) = cursor.split_once('_')?;
    Some((at.parse().ok()?, id.to_owned()))
}

fn customer_from_row(r: &SqliteRow) -> Customer {
    Customer {
        id: CustomerId::new(r.get::<String, _>("id")),
        login: r.get("login"),
        name: r.get("name"),
        city: r.get("city"),
        country: r.get("country"),
        time_zone: r.get("time_zone"),
    }
}

fn account_from_row(r: &SqliteRow) -> Result<Account, StoreError> {
    let currency = Currency::new(r.get::<&str, _>("currency")).map_err(corrupt)?;
    let number: String = r.get("number");
    Ok(Account {
        id: AccountId::new(r.get::<String, _>("id")),
        customer_id: CustomerId::new(r.get::<String, _>("customer_id")),
        kind: AccountKind::parse(r.get("kind")).ok_or_else(|| corrupt("account kind"))?,
        masked_number: mask_account_number(&number),
        number,
        currency,
        limit: Money::from_minor(r.get("limit_minor"), currency),
        opened_on: r
            .get::<&str, _>("opened_on")
            .parse::<Date>()
            .map_err(corrupt)?,
    })
}

fn card_from_row(r: &SqliteRow) -> Result<Card, StoreError> {
    Ok(Card {
        id: CardId::new(r.get::<String, _>("id")),
        account_id: AccountId::new(r.get::<String, _>("account_id")),
        kind: match r.get::<&str, _>("kind") {
            "debit" => CardKind::Debit,
            "credit" => CardKind::Credit,
            other => return Err(corrupt(format!("card kind {other}"))),
        },
        masked_pan: r.get("masked_pan"),
        network: r.get("network"),
        status: match r.get::<&str, _>("status") {
            "active" => CardStatus::Active,
            "locked" => CardStatus::Locked,
            other => return Err(corrupt(format!("card status {other}"))),
        },
    })
}

fn transaction_from_row(r: &SqliteRow) -> Result<Transaction, StoreError> {
    let currency = Currency::new(r.get::<&str, _>("currency")).map_err(corrupt)?;
    let merchant = r
        .get::<Option<String>, _>("merchant_id")
        .map(|id| TransactionMerchant {
            id: MerchantId::new(id),
            name: r
                .get::<Option<String>, _>("merchant_name")
                .unwrap_or_default(),
            mcc: r.get::<Option<String>, _>("mcc").unwrap_or_default(),
            place: Place {
                city: r.get::<Option<String>, _>("city").unwrap_or_default(),
                country: r.get::<Option<String>, _>("country").unwrap_or_default(),
            },
        });
    Ok(Transaction {
        id: TransactionId::new(r.get::<String, _>("id")),
        account_id: AccountId::new(r.get::<String, _>("account_id")),
        booked_at: Timestamp::from_second(r.get("booked_at")).map_err(corrupt)?,
        value_date: r.get::<&str, _>("value_date").parse().map_err(corrupt)?,
        amount: Money::from_minor(r.get("amount_minor"), currency),
        kind: TransactionKind::parse(r.get("kind")).ok_or_else(|| corrupt("transaction kind"))?,
        channel: Channel::parse(r.get("channel")).ok_or_else(|| corrupt("channel"))?,
        description: r.get("description"),
        merchant,
        card_id: r.get::<Option<String>, _>("card_id").map(CardId::new),
        counterparty: r.get("counterparty"),
        category: Category::parse(r.get("category")).unwrap_or(Category::Other),
    })
}
