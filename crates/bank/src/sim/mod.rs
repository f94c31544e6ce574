//! The seeded synthetic bank: fills an empty bank database with customers,
//! accounts, cards, merchants and months of transaction history.
//!
//! # What is generated
//!
//! - **Customers**: about 70% in India (INR, `Asia/Kolkata`, Indian names
//!   romanised, surnames leaning to the city's region) and 30% in the US (USD,
//!   `America/New_York`, `America/Chicago`, `America/Denver` or
//!   `America/Los_Angeles` by city). Logins are `first.last` in lower-case
//!   ASCII, numbered on collision in customer order (`priya.sharma2`).
//! - **Accounts**: a savings or current account for everyone, a second
//!   savings account for some (fed by a monthly sweep after payday), and a
//!   `credit_card` account with a limit and an opening balance of zero for
//!   each credit card. Account numbers are numeric and unique.
//! - **Cards**: a debit card on the main account for almost everyone, one or
//!   two credit cards for many. Only the masked PAN is made (`BIN` + `XXXXXX` +
//!   last four; Visa 4…, Mastercard 5…, RuPay 6…); no full PAN ever exists.
//! - **Merchants**: a fixed catalogue (`sim/catalog.rs`, about 3,000
//!   merchants) of chain brands per country (DMart, Swiggy, Apollo
//!   Pharmacy…; Walmart, Target, CVS…) with one merchant per brand and city,
//!   apps (also per city, `online = 1`), web shops and billers (one merchant
//!   each, `online = 1`), local independents per city, and shops, sights and
//!   hotels in travel destinations (Goa, Las Vegas, Dubai, London, Singapore,
//!   Bangkok, Paris, Tokyo, Cancun, Toronto). Every MCC is in the ISO 18245
//!   list shipped in `data/mcc`.
//! - **Transactions** over `months` months ending on `end` (inclusive): monthly
//!   salary from an employer, rent to a landlord, electricity, broadband and
//!   mobile bills by direct debit, subscriptions on a card, everyday card
//!   payments (card present at shops, online at apps and web shops, at times
//!   of day that suit the merchant), trips at home and abroad (tickets, hotel,
//!   meals, rides, sights, booked in the destination's local time), money
//!   sent to and received from friends, and credit-card repayments (a
//!   `card_repayment` debit on the deposit account and the matching credit on
//!   the card account). Amounts are drawn as integers in minor units and
//!   scale with the customer's income; payments a customer cannot afford are
//!   not made, so no deposit balance goes below zero and no credit card
//!   beyond its limit.
//! - **Ledger**: each account's opening balance is a journal entry (by the
//!   trigger on `accounts`), and each customer's lines of one month (of
//!   their local value date) are one `statement` journal entry,
//!   `je_<customer>_<YYYY-MM>`, named by the lines' `entry_id`: per account
//!   the sum of its lines, against card settlement (card payments) and
//!   clearing (the rest). About 13 journal entries and 48 postings per
//!   customer-year, opening balances included, for some 340 lines; one
//!   entry and two postings per line (the trigger's way) made the database
//!   twice as large and simulating 2.5 times slower (BENCHMARKS.md)
//!   ([`crate::ledger::StatementEntries`]).
//! - **Times**: `booked_at` is a Unix second at a local time of day that
//!   suits the payment (salaries early morning, restaurants at lunch or in
//!   the evening); `value_date` is the customer's local date of `booked_at`
//!   in their home zone. Payments on a trip happen at local time in the
//!   destination's zone. Without a system time-zone database the zones' POSIX
//!   rules are used.
//!
//! # Determinism
//!
//! The same `(seed, customers, months, end)` gives byte-identical tables.
//! Each customer draws from their own ChaCha8 stream, seeded with `seed` on
//! stream `index`, so a customer depends only on `(seed, index, months, end)`:
//! not on batch size, thread timing or the customers before them. Only the
//! login numbering looks at earlier customers, and it runs in customer order.
//! The merchant catalogue does not depend on the seed at all.
//!
//! # Volume and speed
//!
//! About 28 transactions per customer per month on average (18 card
//! payments, the rest salary, rent, bills, subscriptions, transfers and
//! repayments). Customers are generated on a blocking thread one batch
//! (500 customers) ahead of the writer; each batch is written in one database
//! transaction with multi-row `INSERT`s whose full-size statements are
//! prepared once and reused; the batch's journal entries and postings are
//! summed in memory and written the same way. 10,000 customers × 12 months
//! (3.4 million transactions, about 920 MB with the ledger) take about 31 s
//! of CPU in release builds (`cargo run --release -p anumati-bank --example
//! simulate`; figures in BENCHMARKS.md).

mod catalog;
mod gen;

use std::collections::HashMap;
use std::sync::Arc;

use sqlx::query::Query;
use sqlx::sqlite::{SqliteArguments, SqliteConnection};
use sqlx::{Connection, Sqlite, SqlitePool};

use anumati_domain::Currency;
use catalog::CATALOG;
use gen::{Customer, World};

use crate::ledger::{LedgerError, StatementEntries};
use crate::store::StoreError;

/// What to simulate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimParams {
    pub customers: u32,
    pub months: u32,
    pub seed: u64,
    /// The last day of history (inclusive), in each customer's local calendar.
    pub end: jiff::civil::Date,
}

/// How many rows the simulation wrote.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SimReport {
    pub customers: u64,
    pub accounts: u64,
    pub cards: u64,
    pub merchants: u64,
    pub transactions: u64,
}

/// Customers generated and written per database transaction (about 170,000
/// transactions, some 40 MB of pages, at 12 months).
const BATCH: u32 = 500;

/// The writer connection's page cache while populating, in KiB.
const WRITER_CACHE_KIB: u32 = 64 * 1024;

/// SQLite's limit on bound parameters in one statement.
const MAX_PARAMS: usize = 32_766;

/// Fills an EMPTY bank database. `password_hash` is stored for every customer (the caller hashes the demo password once).
/// `progress(done_customers)` is called after every batch.
pub async fn populate(
    pool: &sqlx::SqlitePool,
    params: &SimParams,
    password_hash: &str,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<SimReport, sqlx::Error> {
    populate_in_batches(pool, params, password_hash, progress, BATCH).await
}

async fn populate_in_batches(
    pool: &SqlitePool,
    params: &SimParams,
    password_hash: &str,
    progress: &(dyn Fn(u64) + Sync),
    batch: u32,
) -> Result<SimReport, sqlx::Error> {
    let existing: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM customers) + (SELECT COUNT(*) FROM merchants) + (SELECT COUNT(*) FROM meta)",
    )
    .fetch_one(pool)
    .await?;
    if existing > 0 {
        return Err(sqlx::Error::InvalidArgument(
            "the simulator fills an empty bank database only; this one has data".into(),
        ));
    }
    let world = World::new(params.seed, params.months, params.end)
        .map_err(|e| sqlx::Error::InvalidArgument(format!("simulation window: {e}")))?;
    // One connection writes everything, with a page cache that holds a whole
    // batch (a smaller one spills to the WAL and reads pages back mid-batch);
    // the pool gets it back with its usual cache size.
    let mut conn = pool.acquire().await?;
    let cache_size: i64 = sqlx::query_scalar("PRAGMA cache_size")
        .fetch_one(&mut *conn)
        .await?;
    sqlx::query(&format!("PRAGMA cache_size = -{WRITER_CACHE_KIB}"))
        .execute(&mut *conn)
        .await?;
    let filled = fill(
        &mut conn,
        Arc::new(world),
        params,
        password_hash,
        progress,
        batch,
    )
    .await;
    let restored = sqlx::query(&format!("PRAGMA cache_size = {cache_size}"))
        .execute(&mut *conn)
        .await;
    let report = filled?;
    restored?;
    Ok(report)
}

async fn fill(
    conn: &mut SqliteConnection,
    world: Arc<World>,
    params: &SimParams,
    password_hash: &str,
    progress: &(dyn Fn(u64) + Sync),
    batch: u32,
) -> Result<SimReport, sqlx::Error> {
    let mut report = SimReport::default();
    let mut tx = conn.begin().await?;
    report.merchants = insert_merchants(&mut tx).await?;
    tx.commit().await?;

    let batch = batch.max(1);
    let generate = |from: u32, to: u32| {
        let world = Arc::clone(&world);
        tokio::task::spawn_blocking(move || {
            (from..to)
                .map(|i| gen::customer(&world, i))
                .collect::<Vec<Customer>>()
        })
    };
    let mut logins = Logins::default();
    let mut writer = Writer::default();
    let mut next = (params.customers > 0).then(|| generate(0, batch.min(params.customers)));
    let mut done = 0u32;
    while let Some(handle) = next.take() {
        let customers = match handle.await {
            Ok(customers) => customers,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => return Err(sqlx::Error::WorkerCrashed),
        };
        done += customers.len() as u32;
        if done < params.customers {
            // Generate the next batch while this one is written.
            next = Some(generate(
                done,
                done.saturating_add(batch).min(params.customers),
            ));
        }
        let names: Vec<String> = customers
            .iter()
            .map(|c| logins.assign(&c.login_base))
            .collect();
        let mut tx = conn.begin().await?;
        writer
            .customers(&mut tx, &customers, &names, password_hash)
            .await?;
        writer.accounts(&mut tx, &customers).await?;
        writer.cards(&mut tx, &customers).await?;
        writer.transactions(&mut tx, &customers, &world).await?;
        tx.commit().await?;
        report.customers += customers.len() as u64;
        for c in &customers {
            report.accounts += c.accounts.len() as u64;
            report.cards += c.cards.len() as u64;
            report.transactions += c.txns.len() as u64;
        }
        progress(u64::from(done));
    }

    let meta = [
        ("sim.seed", params.seed.to_string()),
        ("sim.customers", params.customers.to_string()),
        ("sim.months", params.months.to_string()),
        ("sim.end", params.end.to_string()),
    ];
    let mut tx = conn.begin().await?;
    for (key, value) in &meta {
        sqlx::query("INSERT INTO meta (key, value) VALUES (?, ?)")
            .bind(key)
            .bind(value)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(report)
}

/// Numbers repeated logins in the order they are assigned: `a.b`, `a.b2`, `a.b3`.
#[derive(Default)]
struct Logins {
    seen: HashMap<String, u32>,
}

impl Logins {
    fn assign(&mut self, base: &str) -> String {
        let n = self.seen.entry(base.to_owned()).or_insert(0);
        *n += 1;
        if *n == 1 {
            base.to_owned()
        } else {
            format!("{base}{n}")
        }
    }
}

type Q<'q> = Query<'q, Sqlite, SqliteArguments<'q>>;

/// `INSERT ... VALUES (?,..),(?,..)` for `rows` rows of `cols` columns.
fn insert_sql(head: &str, cols: usize, rows: usize) -> String {
    crate::ledger::values_sql(head, &format!("({})", vec!["?"; cols].join(",")), rows)
}

/// Writes rows in statements of as many rows as SQLite's parameter limit
/// allows; the full-size statement text is kept so SQLite's prepared
/// statement is reused from batch to batch.
async fn insert_rows<T>(
    conn: &mut SqliteConnection,
    cache: &mut HashMap<&'static str, String>,
    head: &'static str,
    cols: usize,
    rows: &[T],
    bind: impl for<'a> Fn(Q<'a>, &'a T) -> Q<'a>,
) -> Result<(), sqlx::Error> {
    let per_statement = (MAX_PARAMS / cols).min(2_000);
    for chunk in rows.chunks(per_statement) {
        let partial;
        let sql: &str = if chunk.len() == per_statement {
            cache
                .entry(head)
                .or_insert_with(|| insert_sql(head, cols, per_statement))
        } else {
            partial = insert_sql(head, cols, chunk.len());
            &partial
        };
        let mut query = sqlx::query(sql);
        for row in chunk {
            query = bind(query, row);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

async fn insert_merchants(conn: &mut SqliteConnection) -> Result<u64, sqlx::Error> {
    let merchants = &CATALOG.merchants;
    insert_rows(
        conn,
        &mut HashMap::new(),
        "INSERT INTO merchants (id, name, mcc, city, country, online)",
        6,
        merchants,
        |q, m| {
            q.bind(m.id.as_str())
                .bind(m.name.as_str())
                .bind(m.mcc)
                .bind(m.city)
                .bind(m.country)
                .bind(i64::from(m.online))
        },
    )
    .await?;
    Ok(merchants.len() as u64)
}

/// Writes batches, keeping the full-size statement texts between them.
#[derive(Default)]
struct Writer {
    sql: HashMap<&'static str, String>,
}

impl Writer {
    async fn customers(
        &mut self,
        conn: &mut SqliteConnection,
        customers: &[Customer],
        logins: &[String],
        password_hash: &str,
    ) -> Result<(), sqlx::Error> {
        let rows: Vec<(&Customer, &str, &str)> = customers
            .iter()
            .zip(logins)
            .map(|(c, login)| (c, login.as_str(), password_hash))
            .collect();
        insert_rows(
            conn,
            &mut self.sql,
            "INSERT INTO customers (id, login, password_hash, name, city, country, time_zone)",
            7,
            &rows,
            |q, &(c, login, password_hash)| {
                q.bind(c.id.as_str())
                    .bind(login)
                    .bind(password_hash)
                    .bind(c.name.as_str())
                    .bind(c.city)
                    .bind(c.country)
                    .bind(c.time_zone)
            },
        )
        .await
    }

    async fn accounts(
        &mut self,
        conn: &mut SqliteConnection,
        customers: &[Customer],
    ) -> Result<(), sqlx::Error> {
        let rows: Vec<(&Customer, &gen::AccountRow)> = customers
            .iter()
            .flat_map(|c| c.accounts.iter().map(move |a| (c, a)))
            .collect();
        insert_rows(
            conn,
            &mut self.sql,
            "INSERT INTO accounts (id, customer_id, kind, number, currency, limit_minor, opening_balance_minor, opened_on)",
            8,
            &rows,
            |q, &(c, a)| {
                q.bind(a.id.as_str())
                    .bind(c.id.as_str())
                    .bind(a.kind.as_str())
                    .bind(a.number.as_str())
                    .bind(c.currency)
                    .bind(a.limit)
                    .bind(a.opening)
                    .bind(a.opened_on.as_str())
            },
        )
        .await
    }

    async fn cards(
        &mut self,
        conn: &mut SqliteConnection,
        customers: &[Customer],
    ) -> Result<(), sqlx::Error> {
        let rows: Vec<(&Customer, &gen::CardRow)> = customers
            .iter()
            .flat_map(|c| c.cards.iter().map(move |k| (c, k)))
            .collect();
        insert_rows(
            conn,
            &mut self.sql,
            "INSERT INTO cards (id, account_id, kind, masked_pan, network, status)",
            6,
            &rows,
            |q, &(c, k)| {
                q.bind(k.id.as_str())
                    .bind(c.accounts[k.account].id.as_str())
                    .bind(if k.credit { "credit" } else { "debit" })
                    .bind(k.masked_pan.as_str())
                    .bind(k.network)
                    .bind("active")
            },
        )
        .await
    }

    /// The customers' statement lines, and the ledger's `statement` journal
    /// entries for them: one per customer and month (of the line's local
    /// value date), `je_<customer>_<YYYY-MM>`, posting the sum of the month's
    /// lines per account against clearing and card settlement
    /// ([`StatementEntries`]).
    async fn transactions(
        &mut self,
        conn: &mut SqliteConnection,
        customers: &[Customer],
        world: &World,
    ) -> Result<(), sqlx::Error> {
        let mut entries = StatementEntries::default();
        let mut line_entries: Vec<usize> = Vec::new();
        for c in customers {
            let currency = Currency::new(c.currency)
                .map_err(|e| sqlx::Error::InvalidArgument(format!("currency: {e}")))?;
            // (month, entry) of this customer's entries opened so far.
            let mut months: Vec<(&str, usize)> = Vec::new();
            for t in &c.txns {
                let month = &world.days[t.day].iso[..7];
                let entry = match months.iter().find(|(m, _)| *m == month) {
                    Some(&(_, entry)) => entry,
                    None => {
                        let entry = entries.entry(format!("je_{}_{month}", c.id));
                        months.push((month, entry));
                        entry
                    }
                };
                entries
                    .line(
                        entry,
                        &c.accounts[t.account].id,
                        t.kind,
                        t.amount,
                        currency,
                        t.booked_at,
                    )
                    .map_err(|e| sqlx::Error::InvalidArgument(format!("ledger: {e}")))?;
                line_entries.push(entry);
            }
        }
        entries.write(conn).await.map_err(|e| match e {
            LedgerError::Store(StoreError::Database(e)) => e,
            e => sqlx::Error::InvalidArgument(format!("ledger: {e}")),
        })?;
        let rows: Vec<(&Customer, &gen::TxnRow, &str, &str)> = customers
            .iter()
            .flat_map(|c| {
                c.txns
                    .iter()
                    .map(move |t| (c, t, world.days[t.day].iso.as_str()))
            })
            .zip(&line_entries)
            .map(|((c, t, value_date), &entry)| (c, t, value_date, entries.id(entry)))
            .collect();
        insert_rows(
            conn,
            &mut self.sql,
            "INSERT INTO transactions (id, account_id, booked_at, value_date, amount_minor, currency, kind, channel, \
             description, merchant_id, city, country, card_id, counterparty, category, entry_id)",
            16,
            &rows,
            |q, &(c, t, value_date, entry)| {
                let merchant = t.merchant.map(|m| &CATALOG.merchants[m as usize]);
                q.bind(t.id.as_str())
                    .bind(c.accounts[t.account].id.as_str())
                    .bind(t.booked_at)
                    .bind(value_date)
                    .bind(t.amount)
                    .bind(c.currency)
                    .bind(t.kind.as_str())
                    .bind(t.channel.as_str())
                    .bind(&*t.description)
                    .bind(merchant.map(|m| m.id.as_str()))
                    .bind(merchant.map(|m| m.city))
                    .bind(merchant.map(|m| m.country))
                    .bind(t.card.map(|k| c.cards[k].id.as_str()))
                    .bind(t.counterparty.as_deref())
                    .bind(t.category.as_str())
                    .bind(entry)
            },
        )
        .await
    }
}

#[cfg(test)]
mod tests;
