//! Test helper for the crash test (`tests/crash.rs`), not a tool: opens a
//! bank database, runs the recovery pass, then makes payments through the
//! payment API (consent, the code from the SMS outbox, approval, execution)
//! from several tasks until it is killed, printing `ACK <payment id>
//! <debtor account> <amount minor> <fee minor>` to stdout after each payment
//! is acknowledged. A fifth of the payments go to another bank (some to a
//! closed account, to be returned); a worker settles them meanwhile.
//!
//!   anumati-bank-storm DB RUN_ID        storm until killed
//!   anumati-bank-storm DB RUN_ID --recover-only

use std::sync::Arc;

use anumati_bank::{BankNode, BankStore};
use anumati_domain::AccountKind;
use anumati_wire::clock::SystemClock;
use anumati_wire::jws::{ClientAssertion, KeySet, Signer};
use anumati_wire::Peer;
use axum::http::Method;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

const TASKS: usize = 4;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(db), Some(run)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: anumati-bank-storm DB RUN_ID [--recover-only]");
        return std::process::ExitCode::from(2);
    };
    match storm(
        db,
        run,
        args.get(3).map(String::as_str) == Some("--recover-only"),
    )
    .await
    {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

type Error = Box<dyn std::error::Error + Send + Sync>;

async fn storm(db: &str, run: &str, recover_only: bool) -> Result<(), Error> {
    let pool = anumati_store::open_sqlite(std::path::Path::new(db), &anumati_bank::store::MIGRATOR)
        .await?;
    let store = BankStore::new(pool);
    let node = BankNode::new(
        "anumati-bank",
        store.clone(),
        Signer::generate("bank-1"),
        "anumati-consent",
        Arc::new(SystemClock),
    );
    let report = node.recover_payments().await?;
    println!(
        "RECOVERED {} {} {}",
        report.consents_expired, report.settled, report.returned
    );
    if recover_only {
        return Ok(());
    }
    let signer = Arc::new(Signer::generate("storm-1"));
    let mut keys = KeySet::new();
    keys.insert(signer.kid(), signer.verifying_key());
    node.trust_payment_client("storm", keys);
    let peer = Peer::in_process("bank node", anumati_bank::api::router(node.clone()));

    // (customer id, login, currency) of everyone with a deposit account.
    let mut people = Vec::new();
    for c in store.customers(0, 1000).await? {
        if let Some(a) = store
            .accounts_of(&c.id)
            .await?
            .into_iter()
            .find(|a| matches!(a.kind, AccountKind::Savings | AccountKind::Current))
        {
            people.push((c.id.as_str().to_owned(), c.login, a.currency));
        }
    }
    let people = Arc::new(people);
    let settler = {
        let node = node.clone();
        tokio::spawn(async move {
            loop {
                let _ = node.settle_outbound().await;
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        })
    };
    let mut tasks = Vec::new();
    for t in 0..TASKS.min(people.len()) {
        let (peer, node, signer, people, run) = (
            peer.clone(),
            node.clone(),
            signer.clone(),
            people.clone(),
            run.to_owned(),
        );
        tasks.push(tokio::spawn(async move {
            let mut rng = rand_chacha::ChaCha8Rng::from_entropy();
            let (payer, _, currency) = people[t].clone();
            for n in 0u64.. {
                let external = rng.gen_ratio(1, 5);
                let creditor = if external {
                    let who = if rng.gen_ratio(1, 4) {
                        "gone.closed@otherbank"
                    } else {
                        "ravi@otherbank"
                    };
                    json!({"SchemeName": "anumati.VPA", "Identification": who, "Name": "Ravi"})
                } else {
                    let candidates: Vec<_> = people
                        .iter()
                        .filter(|(id, _, c)| *c == currency && *id != payer)
                        .collect();
                    if candidates.is_empty() {
                        return;
                    }
                    let (_, login, _) = candidates[rng.gen_range(0..candidates.len())];
                    json!({"SchemeName": "anumati.VPA", "Identification": format!("{login}@anumati")})
                };
                let minor: i64 = rng.gen_range(1..=500);
                let amount = anumati_domain::Money::from_minor(minor, currency);
                let key = format!("{run}-{t}-{n}");
                if let Ok(paid) =
                    pay(&peer, &node, &signer, &payer, amount, creditor, &key).await
                {
                    let d = &paid["Data"];
                    let fee = d["Charges"][0]["Amount"]["Amount"]
                        .as_str()
                        .and_then(|f| anumati_domain::Money::parse(f, currency).ok())
                        .map_or(0, |m| m.minor());
                    let debtor: String = sqlx::query_scalar(
                        "SELECT debtor_account_id FROM payments WHERE id = ?",
                    )
                    .bind(d["DomesticPaymentId"].as_str().unwrap_or_default())
                    .fetch_one(node.store().pool())
                    .await
                    .unwrap_or_default();
                    println!(
                        "ACK {} {debtor} {minor} {fee}",
                        d["DomesticPaymentId"].as_str().unwrap_or_default()
                    );
                }
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    settler.abort();
    Ok(())
}

async fn call(
    peer: &Peer,
    node: &BankNode,
    signer: &Signer,
    path: &str,
    key: Option<&str>,
    body: &Value,
) -> Result<Value, Error> {
    let assertion = signer.sign(&ClientAssertion::new(
        "storm",
        node.id(),
        node.now().as_second(),
    ));
    let mut headers = vec![("x-client-assertion", assertion.as_str())];
    if let Some(key) = key {
        headers.push(("x-idempotency-key", key));
    }
    let r = peer.send(Method::POST, path, &headers, Some(body)).await?;
    if !r.status.is_success() {
        return Err(format!("{path}: {}", r.status).into());
    }
    Ok(serde_json::from_slice(&r.body)?)
}

async fn pay(
    peer: &Peer,
    node: &BankNode,
    signer: &Signer,
    payer: &str,
    amount: anumati_domain::Money,
    creditor: Value,
    key: &str,
) -> Result<Value, Error> {
    let body = json!({"Data": {"CustomerId": payer, "Initiation": {
        "InstructedAmount": {"Amount": amount.to_decimal_string(), "Currency": amount.currency().code()},
        "CreditorAccount": creditor}}});
    let consent = call(
        peer,
        node,
        signer,
        "/v1/payments/domestic-payment-consents",
        Some(&format!("{key}c")),
        &body,
    )
    .await?;
    let id = consent["Data"]["ConsentId"]
        .as_str()
        .ok_or("no consent id")?
        .to_owned();
    let sms = node
        .store()
        .outbox(payer)
        .await?
        .pop()
        .ok_or("no SMS")?
        .body;
    let code = sms
        .split_whitespace()
        .find(|w| w.len() == 6 && w.bytes().all(|b| b.is_ascii_digit()))
        .ok_or("no code")?
        .to_owned();
    call(
        peer,
        node,
        signer,
        &format!("/v1/payments/domestic-payment-consents/{id}/authorise"),
        None,
        &json!({"Otp": code}),
    )
    .await?;
    call(
        peer,
        node,
        signer,
        "/v1/payments/domestic-payments",
        Some(&format!("{key}p")),
        &json!({"Data": {"ConsentId": id}}),
    )
    .await
}
