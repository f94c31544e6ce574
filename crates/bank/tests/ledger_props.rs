//! Property: under 10,000 concurrent transfers between random accounts
//! (tokio tasks against one SQLite store), every journal entry balances, no
//! account's balance passes its limit, money is neither made nor lost, and
//! each account ends exactly where the accepted transfers put it.

use std::str::FromStr;
use std::sync::Arc;

use anumati_bank::ledger::LedgerError;
use anumati_bank::BankStore;
use anumati_domain::{AccountId, Currency, Money};
use proptest::prelude::*;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

const TRANSFERS: usize = 10_000;

struct Dir(std::path::PathBuf);
impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A store with `accounts` (opening balance, limit), all INR.
async fn store(accounts: &[(i64, i64)]) -> (Dir, BankStore, Vec<AccountId>) {
    let dir = Dir(std::env::temp_dir().join(format!(
        "anumati-ledger-props-{}",
        anumati_wire::html::random_token()
    )));
    std::fs::create_dir_all(&dir.0).unwrap();
    // The durability of each commit is the crash test's subject; here
    // `synchronous = NORMAL` keeps 10,000 commits quick.
    let options = SqliteConnectOptions::from_str("sqlite://")
        .unwrap()
        .filename(dir.0.join("bank.db"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(std::time::Duration::from_secs(30));
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await
        .unwrap();
    anumati_bank::store::MIGRATOR.run(&pool).await.unwrap();
    let mut ids = Vec::new();
    for (i, (opening, limit)) in accounts.iter().enumerate() {
        let customer = format!("cus_{i:03}");
        sqlx::query("INSERT INTO customers (id, login, password_hash, name, city, country, time_zone) VALUES (?, ?, 'x', ?, 'Pune', 'IN', 'Asia/Kolkata')")
            .bind(&customer)
            .bind(format!("user{i}"))
            .bind(format!("User {i}"))
            .execute(&pool)
            .await
            .unwrap();
        let id = format!("acc_{i:03}");
        sqlx::query("INSERT INTO accounts (id, customer_id, kind, number, currency, limit_minor, opening_balance_minor, opened_on) VALUES (?, ?, 'savings', ?, 'INR', ?, ?, '2026-01-01')")
            .bind(&id)
            .bind(&customer)
            .bind(format!("5000{i:06}"))
            .bind(limit)
            .bind(opening)
            .execute(&pool)
            .await
            .unwrap();
        ids.push(AccountId::new(id));
    }
    (dir, BankStore::new(pool), ids)
}

fn accounts() -> impl Strategy<Value = Vec<(i64, i64)>> {
    // Openings from nothing to 500.00; some accounts may go 100.00 overdrawn.
    prop::collection::vec(
        (0i64..=50_000, prop_oneof![Just(0i64), Just(10_000i64)]),
        3..12,
    )
}

fn transfers(n: usize) -> impl Strategy<Value = Vec<(usize, usize, i64)>> {
    // Amounts up to 300.00, so many transfers are refused for want of funds.
    prop::collection::vec((0usize..64, 1usize..64, 1i64..=30_000), n)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2, ..ProptestConfig::default() })]

    #[test]
    fn concurrent_transfers_keep_the_ledger_balanced_and_within_limits(
        accounts in accounts(),
        transfers in transfers(TRANSFERS),
    ) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let (_dir, store, ids) = store(&accounts).await;
            let ids = Arc::new(ids);
            let n = ids.len();
            let at = jiff::Timestamp::from_second(1_800_000_000).unwrap();
            let mut tasks = Vec::with_capacity(transfers.len());
            for &(from, step, amount) in &transfers {
                let (from, to) = (from % n, (from + step % (n - 1).max(1)) % n);
                let (from, to) = if from == to { (from, (to + 1) % n) } else { (from, to) };
                let store = store.clone();
                let ids = ids.clone();
                tasks.push(tokio::spawn(async move {
                    let result = store
                        .transfer(&ids[from], &ids[to], Money::from_minor(amount, Currency::INR), "storm", at)
                        .await;
                    (from, to, amount, result)
                }));
            }
            let mut expected: Vec<i64> = accounts.iter().map(|(o, _)| *o).collect();
            let mut accepted = Vec::new();
            let mut refused = 0;
            for task in tasks {
                let (from, to, amount, result) = task.await.unwrap();
                match result {
                    Ok(entry) => {
                        expected[from] -= amount;
                        expected[to] += amount;
                        accepted.push(entry);
                    }
                    Err(LedgerError::InsufficientFunds { .. }) => refused += 1,
                    Err(other) => panic!("unexpected refusal: {other}"),
                }
            }
            prop_assert_eq!(accepted.len() + refused, TRANSFERS);
            prop_assert!(!accepted.is_empty());

            let report = store.verify_ledger().await.unwrap();
            prop_assert!(report.ok(), "{:?}", report.problems);
            let opening: i64 = accounts.iter().map(|(o, _)| o).sum();
            let totals = store.customer_totals().await.unwrap();
            prop_assert_eq!(totals, vec![("INR".to_owned(), opening)]);
            for (i, id) in ids.iter().enumerate() {
                let b = store.balances(id).await.unwrap();
                prop_assert_eq!(b.booked.minor(), expected[i], "account {}", i);
                prop_assert!(b.available.minor() >= -accounts[i].1, "account {} past its limit", i);
            }
            let entries: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM journal_entries WHERE kind = 'transfer'")
                .fetch_one(store.pool())
                .await
                .unwrap();
            prop_assert_eq!(entries as usize, accepted.len());
            accepted.sort();
            accepted.dedup();
            prop_assert_eq!(accepted.len() as i64, entries);
            Ok(())
        })?;
    }
}
