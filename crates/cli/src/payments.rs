//! `anumati bank verify`, `anumati bank outbox` and `anumati bench payments`.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anumati::system::System;
use anumati_bank::BankStore;
use anumati_domain::AccountKind;
use anumati_store::{open_sqlite, DataDir, Role};
use anumati_wire::jws::{ClientAssertion, KeySet, Signer};
use anumati_wire::Peer;
use anyhow::{bail, Context};
use axum::http::Method;
use serde::Serialize;
use serde_json::json;

async fn bank_store(path: &Path) -> anyhow::Result<BankStore> {
    let data = DataDir::open(path)?;
    let pool = open_sqlite(&data.database(Role::Bank), &anumati_bank::store::MIGRATOR).await?;
    Ok(BankStore::new(pool))
}

/// Checks every ledger invariant; an error (non-zero exit) on a violation.
pub async fn verify(path: &Path, json: bool) -> anyhow::Result<()> {
    let store = bank_store(path).await?;
    let started = Instant::now();
    let report = store.verify_ledger().await?;
    let seconds = started.elapsed().as_secs_f64();
    if json {
        println!(
            "{}",
            json!({ "ok": report.ok(), "journal_entries": report.journal_entries, "postings": report.postings,
                    "accounts": report.accounts, "payments": report.payments, "problems": report.problems,
                    "seconds": seconds })
        );
    } else {
        println!(
            "{} journal entries, {} postings, {} accounts, {} payments checked in {seconds:.2} s",
            report.journal_entries, report.postings, report.accounts, report.payments
        );
        for p in &report.problems {
            println!("VIOLATION {p}");
        }
        if report.ok() {
            println!("ledger OK");
        }
    }
    if !report.ok() {
        bail!("the ledger breaks {} invariant(s)", report.problems.len());
    }
    Ok(())
}

/// The SMS the bank sent to a customer (the simulated phone).
pub async fn outbox(path: &Path, login: &str, json: bool) -> anyhow::Result<()> {
    let store = bank_store(path).await?;
    let Some((customer, _)) = store.customer_by_login(login).await? else {
        bail!("unknown login {login:?}");
    };
    let messages = store.outbox(customer.id.as_str()).await?;
    if json {
        println!("{}", serde_json::to_string(&messages)?);
    } else if messages.is_empty() {
        println!("no messages for {login}");
    } else {
        for m in messages {
            println!("{}  {}", m.at, m.body);
        }
    }
    Ok(())
}

#[derive(Debug, Serialize)]
pub struct PaymentsBenchReport {
    pub payments: usize,
    pub concurrency: usize,
    pub errors: usize,
    pub seconds: f64,
    pub payments_per_second: f64,
    /// The whole payment: consent, code, approval, execution.
    pub payment_p50_ms: f64,
    pub payment_p99_ms: f64,
    /// `POST /v1/payments/domestic-payments` alone (the transfer).
    pub transfer_p50_ms: f64,
    pub transfer_p99_ms: f64,
    /// `verify` over the ledger after the run.
    pub ledger_ok: bool,
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// Internal payments of 1.00 through the bank node's HTTP API in the
/// embedded process, `concurrency` payers at once (each task its own payer).
pub async fn bench(
    path: &Path,
    payments: usize,
    concurrency: usize,
) -> anyhow::Result<PaymentsBenchReport> {
    let system = System::open(DataDir::open(path)?).await?;
    let bank = system.bank.clone();
    let store = bank.store().clone();
    let signer = Arc::new(Signer::generate("bench-1"));
    let mut keys = KeySet::new();
    keys.insert(signer.kid(), signer.verifying_key());
    bank.trust_payment_client("bench", keys);
    let peer = Peer::in_process("bank node", anumati_bank::api::router(bank.clone()));

    // Pairs (payer id, payee login) of deposit accounts in one currency.
    let customers = store.customers(0, (concurrency * 2 + 2) as i64).await?;
    let mut parties = Vec::new();
    for c in &customers {
        let accounts = store.accounts_of(&c.id).await?;
        if let Some(a) = accounts
            .iter()
            .find(|a| matches!(a.kind, AccountKind::Savings | AccountKind::Current))
        {
            parties.push((c.id.as_str().to_owned(), c.login.clone(), a.currency));
        }
    }
    let mut pairs = Vec::new();
    for (i, (payer, _, currency)) in parties.iter().enumerate() {
        if let Some((_, login, _)) = parties
            .iter()
            .skip(i + 1)
            .chain(parties.iter())
            .find(|(id, _, c)| c == currency && id != payer)
        {
            pairs.push((payer.clone(), login.clone(), *currency));
        }
        if pairs.len() == concurrency {
            break;
        }
    }
    if pairs.is_empty() {
        bail!("the bank needs at least two customers; run `anumati simulate` first");
    }
    let concurrency = pairs.len();
    let next = Arc::new(AtomicUsize::new(0));
    let run = anumati_wire::html::random_token()[..12].to_owned();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (payer, payee, currency) in pairs {
        let (peer, store, signer, next, run) = (
            peer.clone(),
            store.clone(),
            signer.clone(),
            next.clone(),
            run.clone(),
        );
        let bank = bank.clone();
        tasks.push(tokio::spawn(async move {
            let client = Client {
                peer: &peer,
                store: &store,
                signer: &signer,
                bank: &bank,
            };
            let mut whole = Vec::new();
            let mut transfer = Vec::new();
            let mut errors = 0usize;
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= payments {
                    break;
                }
                match client
                    .pay(&payer, &payee, currency, &format!("{run}-{n}"))
                    .await
                {
                    Ok((w, t)) => {
                        whole.push(w);
                        transfer.push(t);
                    }
                    Err(e) => {
                        if errors == 0 {
                            tracing::error!(error = %e, "payment failed");
                        }
                        errors += 1;
                    }
                }
            }
            (whole, transfer, errors)
        }));
    }
    let (mut whole, mut transfer, mut errors) = (Vec::new(), Vec::new(), 0);
    for t in tasks {
        let (w, tr, e) = t.await.context("bench task")?;
        whole.extend(w);
        transfer.extend(tr);
        errors += e;
    }
    let seconds = started.elapsed().as_secs_f64();
    whole.sort();
    transfer.sort();
    let ledger_ok = store.verify_ledger().await?.ok();
    Ok(PaymentsBenchReport {
        payments: whole.len(),
        concurrency,
        errors,
        seconds,
        payments_per_second: whole.len() as f64 / seconds,
        payment_p50_ms: percentile(&whole, 0.50),
        payment_p99_ms: percentile(&whole, 0.99),
        transfer_p50_ms: percentile(&transfer, 0.50),
        transfer_p99_ms: percentile(&transfer, 0.99),
        ledger_ok,
    })
}

/// The bench's payment initiator.
struct Client<'a> {
    peer: &'a Peer,
    store: &'a BankStore,
    signer: &'a Signer,
    bank: &'a anumati_bank::BankNode,
}

impl Client<'_> {
    async fn call(
        &self,
        path: &str,
        key: Option<&str>,
        body: &serde_json::Value,
    ) -> anyhow::Result<serde_json::Value> {
        let assertion = self.signer.sign(&ClientAssertion::new(
            "bench",
            self.bank.id(),
            self.bank.now().as_second(),
        ));
        let mut headers = vec![("x-client-assertion", assertion.as_str())];
        if let Some(key) = key {
            headers.push(("x-idempotency-key", key));
        }
        let r = self
            .peer
            .send(Method::POST, path, &headers, Some(body))
            .await?;
        if !r.status.is_success() {
            bail!("{path}: {} {}", r.status, String::from_utf8_lossy(&r.body));
        }
        Ok(serde_json::from_slice(&r.body)?)
    }

    /// One payment of 1.00: consent, the code from the phone, approval,
    /// execution. Returns the whole payment's time and the execution's.
    async fn pay(
        &self,
        payer: &str,
        payee: &str,
        currency: anumati_domain::Currency,
        key: &str,
    ) -> anyhow::Result<(Duration, Duration)> {
        let t0 = Instant::now();
        let body = json!({"Data": {"CustomerId": payer, "Initiation": {
            "InstructedAmount": {"Amount": "1.00", "Currency": currency.code()},
            "CreditorAccount": {"SchemeName": "anumati.VPA", "Identification": format!("{payee}@anumati")}}}});
        let consent = self
            .call(
                "/v1/payments/domestic-payment-consents",
                Some(&format!("{key}-c")),
                &body,
            )
            .await?;
        let id = consent["Data"]["ConsentId"]
            .as_str()
            .context("no ConsentId")?
            .to_owned();
        let sms = last_sms(self.store, payer).await.context("no SMS")?;
        let code = sms
            .split_whitespace()
            .find(|w| w.len() == 6 && w.bytes().all(|c| c.is_ascii_digit()))
            .context("no code in the SMS")?;
        self.call(
            &format!("/v1/payments/domestic-payment-consents/{id}/authorise"),
            None,
            &json!({"Otp": code}),
        )
        .await?;
        let t1 = Instant::now();
        self.call(
            "/v1/payments/domestic-payments",
            Some(&format!("{key}-p")),
            &json!({"Data": {"ConsentId": id}}),
        )
        .await?;
        Ok((t0.elapsed(), t1.elapsed()))
    }
}

async fn last_sms(store: &BankStore, customer: &str) -> Option<String> {
    store
        .outbox(customer)
        .await
        .ok()
        .and_then(|m| m.into_iter().last().map(|m| m.body))
}
