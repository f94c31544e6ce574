//! Crash safety: a payment storm (the `anumati-bank-storm` helper, making
//! payments through the payment API) is killed with SIGKILL several times at
//! random moments and restarted. Acknowledgements are recorded here, outside
//! the killed process. Afterwards every acknowledged payment exists exactly
//! once with the acknowledged payer and amount, every payment is in a final
//! state, the customers' total moved only by what left for other banks, and
//! every ledger invariant holds.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;

use anumati_bank::sim::{self, SimParams};
use anumati_bank::BankStore;
use rand::Rng;

const HELPER: &str = env!("CARGO_BIN_EXE_anumati-bank-storm");
const KILLS: usize = 4;

struct Ack {
    payment: String,
    debtor: String,
    amount: i64,
}

fn parse_ack(line: &str) -> Option<Ack> {
    let mut parts = line.strip_prefix("ACK ")?.split(' ');
    Some(Ack {
        payment: parts.next()?.to_owned(),
        debtor: parts.next()?.to_owned(),
        amount: parts.next()?.parse().ok()?,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_a_payment_storm_loses_and_doubles_nothing() {
    let dir = std::env::temp_dir().join(format!(
        "anumati-crash-{}",
        anumati_wire::html::random_token()
    ));
    let db = dir.join("bank.db");
    let pool = anumati_store::open_sqlite(&db, &anumati_bank::store::MIGRATOR)
        .await
        .unwrap();
    let params = SimParams {
        customers: 8,
        months: 1,
        seed: 3,
        end: "2026-10-31".parse().unwrap(),
    };
    sim::populate(&pool, &params, "x", &|_| {}).await.unwrap();
    let store = BankStore::new(pool);
    let before = store.customer_totals().await.unwrap();
    store.pool().close().await;

    let mut rng = rand::thread_rng();
    let mut acks: Vec<Ack> = Vec::new();
    for round in 0..KILLS {
        let mut child = Command::new(HELPER)
            .arg(&db)
            .arg(format!("r{round}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        // Kill after a random number of acknowledgements: at a random point
        // of the storm, whatever each task is doing at that moment.
        let wait_for = rng.gen_range(3..40);
        let mut seen = 0;
        while seen < wait_for {
            let line = rx
                .recv_timeout(std::time::Duration::from_secs(120))
                .expect("the storm makes progress");
            if let Some(ack) = parse_ack(&line) {
                acks.push(ack);
                seen += 1;
            }
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        // Acknowledgements written before the kill still count.
        reader.join().unwrap();
        while let Ok(line) = rx.try_recv() {
            if let Some(ack) = parse_ack(&line) {
                acks.push(ack);
            }
        }
    }
    // The restart: the recovery pass brings everything to a final state.
    let out = Command::new(HELPER)
        .arg(&db)
        .arg("final")
        .arg("--recover-only")
        .output()
        .unwrap();
    assert!(out.status.success());

    let pool = anumati_store::open_sqlite(&db, &anumati_bank::store::MIGRATOR)
        .await
        .unwrap();
    let store = BankStore::new(pool);
    let report = store.verify_ledger().await.unwrap();
    assert!(report.ok(), "{:?}", report.problems);
    assert!(acks.len() >= KILLS * 3);

    // Every acknowledged payment exactly once, as acknowledged.
    let rows: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT id, debtor_account_id, amount_minor FROM payments")
            .fetch_all(store.pool())
            .await
            .unwrap();
    let payments: HashMap<String, (String, i64)> = rows
        .into_iter()
        .map(|(id, debtor, amount)| (id, (debtor, amount)))
        .collect();
    for ack in &acks {
        let (debtor, amount) = payments
            .get(&ack.payment)
            .unwrap_or_else(|| panic!("acknowledged payment {} lost", ack.payment));
        assert_eq!((debtor, *amount), (&ack.debtor, ack.amount));
    }
    let mut ids: Vec<&str> = acks.iter().map(|a| a.payment.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), acks.len(), "a payment acknowledged twice");
    for id in payments.keys() {
        let entries: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM journal_entries e JOIN payments p ON p.entry_id = e.id WHERE p.id = ?",
        )
        .bind(id)
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!(entries, 1);
    }

    // Every payment is final; nothing is waiting in the queue.
    let pending: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM payments WHERE status = 'AcceptedSettlementInProcess'",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(pending, 0);

    // The customers' money moved only by what left for other banks and stayed there.
    let left: Vec<(String, i64)> = sqlx::query_as(
        "SELECT currency, SUM(amount_minor + fee_minor) FROM payments
         WHERE creditor_account_id IS NULL AND status <> 'Rejected' GROUP BY currency",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    let after = store.customer_totals().await.unwrap();
    for (currency, total) in &before {
        let gone = left
            .iter()
            .find(|(c, _)| c == currency)
            .map_or(0, |(_, s)| *s);
        let now = after.iter().find(|(c, _)| c == currency).unwrap().1;
        assert_eq!(now, total - gone, "{currency}");
    }
    for (_, total) in store.ledger_totals().await.unwrap() {
        assert_eq!(total, 0);
    }
    store.pool().close().await;
    let _ = std::fs::remove_dir_all(&dir);
}
