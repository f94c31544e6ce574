//! Times the synthetic bank and prints what it made.
//!
//! ```text
//! cargo run --release -p anumati-bank --example simulate -- [customers] [months] [seed] [--keep]
//! ```
//!
//! Writes to a fresh SQLite file in the temporary directory (removed unless
//! `--keep`), with the same pragmas and migrations the bank node uses.
//! `--no-stats` skips the statistics queries after the timing.

use std::time::Instant;

use anumati_bank::sim::{self, SimParams};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let keep = args.iter().any(|a| a == "--keep");
    let numbers: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let customers: u32 = numbers.first().map_or(Ok(10_000), |s| s.parse())?;
    let months: u32 = numbers.get(1).map_or(Ok(12), |s| s.parse())?;
    let seed: u64 = numbers.get(2).map_or(Ok(42), |s| s.parse())?;
    let path = std::env::temp_dir().join(format!(
        "anumati-sim-{customers}x{months}-{}.db",
        std::process::id()
    ));
    let pool = anumati_store::open_sqlite(&path, &MIGRATOR).await?;
    let params = SimParams {
        customers,
        months,
        seed,
        end: jiff::civil::date(2025, 6, 30),
    };
    let started = Instant::now();
    let report = sim::populate(&pool, &params, "$argon2id$bench", &|done| {
        eprint!("\r{done}/{customers} customers");
    })
    .await?;
    let seconds = started.elapsed().as_secs_f64();
    eprintln!();
    let rows =
        report.customers + report.accounts + report.cards + report.merchants + report.transactions;
    println!("{}", serde_json::to_string(&report)?);
    println!(
        "{customers} customers x {months} months: {} transactions in {seconds:.2} s = {:.0} rows/s, {:.1} transactions per customer-month",
        report.transactions,
        rows as f64 / seconds,
        report.transactions as f64 / f64::from(customers.max(1) * months.max(1)),
    );

    if !args.iter().any(|a| a == "--no-stats") {
        stats(&pool, customers, months).await?;
    }
    pool.close().await;
    let size: u64 = ["", "-wal", "-shm"]
        .iter()
        .filter_map(|s| std::fs::metadata(format!("{}{s}", path.display())).ok())
        .map(|m| m.len())
        .sum();
    println!("database: {} ({:.1} MB)", path.display(), size as f64 / 1e6);
    if !keep {
        for s in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{s}", path.display()));
        }
    }
    Ok(())
}

/// What was made: volumes by kind and category, travel, and how savings moved.
async fn stats(pool: &sqlx::SqlitePool, customers: u32, months: u32) -> Result<(), sqlx::Error> {
    let kinds: Vec<(String, i64)> =
        sqlx::query_as("SELECT kind, COUNT(*) FROM transactions GROUP BY kind ORDER BY 2 DESC")
            .fetch_all(pool)
            .await?;
    let per = f64::from(customers.max(1) * months.max(1));
    for (kind, n) in kinds {
        println!("  {kind:<15} {:>6.2} per customer-month", n as f64 / per);
    }
    let categories: Vec<(String, i64)> = sqlx::query_as(
        "SELECT category, COUNT(*) FROM transactions WHERE kind = 'card_payment' GROUP BY category ORDER BY 2 DESC",
    )
    .fetch_all(pool)
    .await?;
    println!("  card payments by category: {categories:?}");
    let (abroad, elsewhere): (i64, i64) = sqlx::query_as(
        "SELECT SUM(t.country <> c.country), SUM(t.country = c.country AND t.city <> c.city)
         FROM transactions t JOIN accounts a ON a.id = t.account_id JOIN customers c ON c.id = a.customer_id
         WHERE t.kind = 'card_payment' AND t.channel = 'card_present'",
    )
    .fetch_one(pool)
    .await?;
    println!("  card-present payments abroad: {abroad}, in another home-country city: {elsewhere}");
    // Deposit accounts: closing balance against opening, in salaries.
    let ratios: Vec<(String, i64, i64, i64)> = sqlx::query_as(
        "SELECT c.country, a.opening_balance_minor,
                a.opening_balance_minor + COALESCE((SELECT SUM(amount_minor) FROM transactions t WHERE t.account_id = a.id), 0),
                COALESCE((SELECT MAX(amount_minor) FROM transactions t WHERE t.account_id = a.id AND t.kind = 'salary'), 0)
         FROM accounts a JOIN customers c ON c.id = a.customer_id
         WHERE a.id LIKE '%\\_1' ESCAPE '\\'",
    )
    .fetch_all(pool)
    .await?;
    let mut growth: Vec<i64> = ratios
        .iter()
        .filter(|r| r.3 > 0)
        .map(|(_, open, close, salary)| (close - open) * 100 / salary)
        .collect();
    growth.sort_unstable();
    if !growth.is_empty() {
        let q = |p: usize| growth[(growth.len() - 1) * p / 100];
        println!(
            "  main account change over the window, in % of a month's salary: p10 {} p50 {} p90 {}",
            q(10),
            q(50),
            q(90)
        );
    }
    Ok(())
}
