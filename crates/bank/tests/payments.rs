//! Payments through the bank node's HTTP API: consents approved with a
//! one-time code from the simulated SMS gateway, executed exactly once,
//! idempotent by `x-idempotency-key`; the ledger stays balanced and
//! `verify_ledger` finds a violation when there is one.

use std::borrow::Cow;
use std::sync::Arc;

use anumati_bank::sim::{self, SimParams};
use anumati_bank::{BankNode, BankStore};
use anumati_domain::{Account, AccountKind, CardId, Money};
use anumati_wire::clock::{Clock, ManualClock};
use anumati_wire::jws::{ClientAssertion, KeySet, Signer};
use anumati_wire::Peer;
use axum::http::{Method, StatusCode};
use jiff::SignedDuration;
use serde_json::{json, Value};

struct Bank {
    _dir: Dir,
    node: BankNode,
    store: BankStore,
    peer: Peer,
    clock: ManualClock,
    app: Signer,
    other_app: Signer,
}

struct Dir(std::path::PathBuf);
impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch(name: &str) -> Dir {
    Dir(std::env::temp_dir().join(format!(
        "anumati-pay-{name}-{}",
        anumati_wire::html::random_token()
    )))
}

const PARAMS: SimParams = SimParams {
    customers: 6,
    months: 1,
    seed: 11,
    end: jiff::civil::date(2026, 10, 31),
};

async fn bank() -> Bank {
    let dir = scratch("bank");
    let pool = anumati_store::open_sqlite(&dir.0.join("bank.db"), &anumati_bank::store::MIGRATOR)
        .await
        .unwrap();
    sim::populate(&pool, &PARAMS, "x", &|_| {}).await.unwrap();
    let clock = ManualClock::new("2026-11-01T12:00:00Z".parse().unwrap());
    let store = BankStore::new(pool);
    let node = BankNode::new(
        "anumati-bank",
        store.clone(),
        Signer::generate("bank-1"),
        "anumati-consent",
        Arc::new(clock.clone()),
    );
    let app = Signer::generate("app-1");
    let other_app = Signer::generate("app-2");
    for (id, signer) in [("anumati-chat", &app), ("other-app", &other_app)] {
        let mut keys = KeySet::new();
        keys.insert(signer.kid(), signer.verifying_key());
        node.trust_payment_client(id, keys);
    }
    let peer = Peer::in_process("bank node", anumati_bank::api::router(node.clone()));
    Bank {
        _dir: dir,
        node,
        store,
        peer,
        clock,
        app,
        other_app,
    }
}

impl Bank {
    fn assertion(&self, signer: &Signer, iss: &str) -> String {
        signer.sign(&ClientAssertion::new(
            iss,
            "anumati-bank",
            self.clock.now().as_second(),
        ))
    }

    async fn call_as(
        &self,
        signer: &Signer,
        iss: &str,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        let assertion = self.assertion(signer, iss);
        let mut headers = vec![("x-client-assertion", assertion.as_str())];
        if let Some(key) = key {
            headers.push(("x-idempotency-key", key));
        }
        let r = self.peer.send(method, path, &headers, body).await.unwrap();
        let value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
        (r.status, value)
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        self.call_as(&self.app, "anumati-chat", method, path, key, body)
            .await
    }

    /// Two customers with deposit accounts in the same currency: (login, id, account).
    async fn payer_and_payee(&self) -> ((String, String, Account), (String, String, Account)) {
        let mut found: Vec<(String, String, Account)> = Vec::new();
        for c in self.store.customers(0, 100).await.unwrap() {
            let account = self
                .store
                .accounts_of(&c.id)
                .await
                .unwrap()
                .into_iter()
                .find(|a| matches!(a.kind, AccountKind::Savings | AccountKind::Current))
                .unwrap();
            if let Some(first) = found.first() {
                if first.2.currency != account.currency {
                    continue;
                }
            }
            found.push((c.login, c.id.as_str().to_owned(), account));
            if found.len() == 2 {
                break;
            }
        }
        let payee = found.pop().unwrap();
        let payer = found.pop().unwrap();
        (payer, payee)
    }

    async fn booked(&self, account: &Account) -> i64 {
        self.store.booked_balance(account).await.unwrap().minor()
    }

    /// The code in the customer's newest SMS.
    async fn last_code(&self, customer: &str) -> String {
        let messages = self.store.outbox(customer).await.unwrap();
        let body = &messages.last().expect("an SMS was sent").body;
        body.split_whitespace()
            .find(|w| w.len() == 6 && w.bytes().all(|b| b.is_ascii_digit()))
            .expect("a six-digit code")
            .to_owned()
    }

    async fn assert_ledger_ok(&self) {
        let report = self.store.verify_ledger().await.unwrap();
        assert!(report.ok(), "{:?}", report.problems);
    }
}

fn consent_body(customer: &str, amount: &str, currency: &str, creditor: Value) -> Value {
    json!({"Data": {"CustomerId": customer, "Initiation": {
        "InstructedAmount": {"Amount": amount, "Currency": currency},
        "CreditorAccount": creditor,
        "RemittanceInformation": {"Reference": "dinner"}}}})
}

fn vpa(login: &str) -> Value {
    json!({"SchemeName": "anumati.VPA", "Identification": format!("{login}@anumati")})
}

const CONSENTS: &str = "/v1/payments/domestic-payment-consents";
const PAYMENTS: &str = "/v1/payments/domestic-payments";

#[tokio::test]
async fn the_backfill_balances_every_existing_line_and_keeps_every_balance() {
    // A bank made before the ledger existed: migrations up to 0004 only.
    let dir = scratch("backfill");
    let before = sqlx::migrate::Migrator {
        migrations: Cow::Owned(
            anumati_bank::store::MIGRATOR
                .iter()
                .filter(|m| m.version < 5)
                .cloned()
                .collect(),
        ),
        ..sqlx::migrate::Migrator::DEFAULT
    };
    let pool = anumati_store::open_sqlite(&dir.0.join("bank.db"), &before)
        .await
        .unwrap();
    // The simulator writes the ledger now: simulate a current bank and copy
    // everything but the ledger into the old one.
    let sim_path = dir.0.join("sim.db");
    let current = anumati_store::open_sqlite(&sim_path, &anumati_bank::store::MIGRATOR)
        .await
        .unwrap();
    sim::populate(&current, &PARAMS, "x", &|_| {})
        .await
        .unwrap();
    current.close().await;
    let mut conn = pool.acquire().await.unwrap();
    sqlx::query("ATTACH DATABASE ? AS sim")
        .bind(sim_path.to_str().unwrap())
        .execute(&mut *conn)
        .await
        .unwrap();
    for (table, columns) in [
        ("meta", "key, value"),
        ("customers", "id, login, password_hash, name, city, country, time_zone"),
        ("merchants", "id, name, mcc, city, country, online"),
        ("accounts", "id, customer_id, kind, number, currency, limit_minor, opening_balance_minor, opened_on"),
        ("cards", "id, account_id, kind, masked_pan, network, status"),
        (
            "transactions",
            "id, account_id, booked_at, value_date, amount_minor, currency, kind, channel, description, merchant_id, city, country, card_id, counterparty, category",
        ),
    ] {
        sqlx::query(&format!(
            "INSERT INTO main.{table} ({columns}) SELECT {columns} FROM sim.{table}"
        ))
        .execute(&mut *conn)
        .await
        .unwrap();
    }
    sqlx::query("DETACH DATABASE sim")
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    let old: Vec<(String, i64)> = sqlx::query_as(
        "SELECT a.id, a.opening_balance_minor + COALESCE((SELECT SUM(amount_minor) FROM transactions t WHERE t.account_id = a.id), 0)
         FROM accounts a ORDER BY a.id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(old.iter().any(|(_, b)| *b != 0));
    anumati_bank::store::MIGRATOR.run(&pool).await.unwrap();
    let store = BankStore::new(pool);
    let report = store.verify_ledger().await.unwrap();
    assert!(report.ok(), "{:?}", report.problems);
    let lines: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM transactions")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert!(report.journal_entries >= lines);
    for (id, balance) in old {
        let account = store
            .account(&anumati_domain::AccountId::new(id))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            store.booked_balance(&account).await.unwrap().minor(),
            balance
        );
    }
    // Every currency's postings sum to zero.
    for (_, total) in store.ledger_totals().await.unwrap() {
        assert_eq!(total, 0);
    }
}

#[tokio::test]
async fn a_simulated_bank_is_balanced_and_verify_finds_a_tampered_posting() {
    let bank = bank().await;
    bank.assert_ledger_ok().await;
    sqlx::query("UPDATE postings SET amount_minor = amount_minor + 1 WHERE id = (SELECT MIN(id) FROM postings)")
        .execute(bank.store.pool())
        .await
        .unwrap();
    let report = bank.store.verify_ledger().await.unwrap();
    assert!(!report.ok());
    assert!(report
        .problems
        .iter()
        .any(|p| p.starts_with("journal entry does not sum to zero")));
}

#[tokio::test]
async fn an_internal_payment_needs_the_code_and_moves_money_exactly_once() {
    let bank = bank().await;
    let ((_, payer, payer_acc), (payee_login, _, payee_acc)) = bank.payer_and_payee().await;
    let (payer_before, payee_before) =
        (bank.booked(&payer_acc).await, bank.booked(&payee_acc).await);
    let body = consent_body(&payer, "5.00", payer_acc.currency.code(), vpa(&payee_login));
    let (status, consent) = bank
        .call(Method::POST, CONSENTS, Some("c-1"), Some(&body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{consent}");
    let data = &consent["Data"];
    assert_eq!(data["Status"], "AwaitingAuthorisation");
    assert_eq!(data["Creditor"]["Internal"], true);
    assert!(data["Charges"].as_array().unwrap().is_empty());
    let masked = data["Creditor"]["MaskedIdentification"].as_str().unwrap();
    assert!(masked.contains(&payee_acc.masked_number), "{masked}");
    assert!(!masked.contains(&payee_acc.number));
    let id = data["ConsentId"].as_str().unwrap().to_owned();

    // Not yet authorised: no payment.
    let pay = json!({"Data": {"ConsentId": id}});
    let (status, refused) = bank
        .call(Method::POST, PAYMENTS, Some("p-0"), Some(&pay))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(bank.booked(&payer_acc).await, payer_before);

    // The code is on the customer's phone, and only its hash in the consent.
    let code = bank.last_code(&payer).await;
    let stored: (Option<String>,) =
        sqlx::query_as("SELECT otp_hash FROM payment_consents WHERE id = ?")
            .bind(&id)
            .fetch_one(bank.store.pool())
            .await
            .unwrap();
    assert!(!stored.0.unwrap().contains(&code));
    let (status, authorised) = bank
        .call(
            Method::POST,
            &format!("{CONSENTS}/{id}/authorise"),
            None,
            Some(&json!({"Otp": code})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{authorised}");
    assert_eq!(authorised["Data"]["Status"], "Authorised");

    let (status, paid) = bank
        .call(Method::POST, PAYMENTS, Some("p-1"), Some(&pay))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{paid}");
    assert_eq!(paid["Data"]["Status"], "AcceptedSettlementCompleted");
    assert_eq!(bank.booked(&payer_acc).await, payer_before - 500);
    assert_eq!(bank.booked(&payee_acc).await, payee_before + 500);

    // The same consent cannot be paid again under another key.
    let (status, again) = bank
        .call(Method::POST, PAYMENTS, Some("p-2"), Some(&pay))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    assert_eq!(bank.booked(&payer_acc).await, payer_before - 500);

    // Both statements show it.
    let lines: Vec<(String, i64)> = sqlx::query_as(
        "SELECT account_id, amount_minor FROM transactions
         WHERE entry_id IN (SELECT id FROM journal_entries WHERE kind <> 'statement') ORDER BY amount_minor",
    )
    .fetch_all(bank.store.pool())
    .await
    .unwrap();
    assert_eq!(
        lines,
        vec![
            (payer_acc.id.as_str().to_owned(), -500),
            (payee_acc.id.as_str().to_owned(), 500)
        ]
    );
    let pid = paid["Data"]["DomesticPaymentId"].as_str().unwrap();
    let (status, fetched) = bank
        .call(Method::GET, &format!("{PAYMENTS}/{pid}"), None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fetched["Data"]["Status"], "AcceptedSettlementCompleted");
    bank.assert_ledger_ok().await;
}

#[tokio::test]
async fn an_idempotency_key_replays_the_first_answer_and_refuses_another_body() {
    let bank = bank().await;
    let ((_, payer, payer_acc), (payee_login, _, payee_acc)) = bank.payer_and_payee().await;
    let cur = payer_acc.currency.code();
    let body = consent_body(&payer, "3.00", cur, vpa(&payee_login));
    let (s1, first) = bank
        .call(Method::POST, CONSENTS, Some("k-1"), Some(&body))
        .await;
    let (s2, second) = bank
        .call(Method::POST, CONSENTS, Some("k-1"), Some(&body))
        .await;
    assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(first, second);
    assert_eq!(
        bank.store.outbox(&payer).await.unwrap().len(),
        1,
        "one SMS only"
    );
    let code = bank.last_code(&payer).await;

    // Same key, different body: refused, nothing created.
    let other = consent_body(&payer, "4.00", cur, vpa(&payee_login));
    let (status, refused) = bank
        .call(Method::POST, CONSENTS, Some("k-1"), Some(&other))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(refused["error"]["code"], "idempotency_key_conflict");
    let consents: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM payment_consents")
        .fetch_one(bank.store.pool())
        .await
        .unwrap();
    assert_eq!(consents, 1);

    // Keys are per client: another client's k-1 is its own.
    let (status, theirs) = bank
        .call_as(
            &bank.other_app,
            "other-app",
            Method::POST,
            CONSENTS,
            Some("k-1"),
            Some(&other),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{theirs}");
    assert_ne!(theirs["Data"]["ConsentId"], first["Data"]["ConsentId"]);
    // ... and it cannot see the first client's consent.
    let id = first["Data"]["ConsentId"].as_str().unwrap().to_owned();
    let (status, _) = bank
        .call_as(
            &bank.other_app,
            "other-app",
            Method::GET,
            &format!("{CONSENTS}/{id}"),
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A missing key is refused.
    let (status, _) = bank.call(Method::POST, CONSENTS, None, Some(&body)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Submitting twice with one key pays once and answers the same.
    let (status, _) = bank
        .call(
            Method::POST,
            &format!("{CONSENTS}/{id}/authorise"),
            None,
            Some(&json!({"Otp": code})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let before = bank.booked(&payer_acc).await;
    let pay = json!({"Data": {"ConsentId": id}});
    let (s1, p1) = bank
        .call(Method::POST, PAYMENTS, Some("pay-1"), Some(&pay))
        .await;
    let (s2, p2) = bank
        .call(Method::POST, PAYMENTS, Some("pay-1"), Some(&pay))
        .await;
    assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(p1, p2);
    assert_eq!(bank.booked(&payer_acc).await, before - 300);
    let payee_lines: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM transactions
         WHERE account_id = ? AND entry_id IN (SELECT id FROM journal_entries WHERE kind <> 'statement')",
    )
    .bind(payee_acc.id.as_str())
    .fetch_one(bank.store.pool())
    .await
    .unwrap();
    assert_eq!(payee_lines, 1);
    // The key is bound to that request: another body under it is refused.
    let (status, _) = bank
        .call(
            Method::POST,
            PAYMENTS,
            Some("pay-1"),
            Some(&json!({"Data": {"ConsentId": "pdc_other"}})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    bank.assert_ledger_ok().await;
}

#[tokio::test]
async fn wrong_codes_count_and_the_third_cancels_the_payment() {
    let bank = bank().await;
    let ((_, payer, payer_acc), (payee_login, _, _)) = bank.payer_and_payee().await;
    let body = consent_body(&payer, "1.00", payer_acc.currency.code(), vpa(&payee_login));
    let (_, consent) = bank
        .call(Method::POST, CONSENTS, Some("o-1"), Some(&body))
        .await;
    let id = consent["Data"]["ConsentId"].as_str().unwrap().to_owned();
    let code = bank.last_code(&payer).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let path = format!("{CONSENTS}/{id}/authorise");
    for left in [2, 1] {
        let (status, answer) = bank
            .call(Method::POST, &path, None, Some(&json!({"Otp": wrong})))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(answer["error"]["code"], "otp_wrong");
        let (_, now) = bank
            .call(Method::GET, &format!("{CONSENTS}/{id}"), None, None)
            .await;
        assert_eq!(now["Data"]["Sca"]["AttemptsLeft"], left);
        assert_eq!(now["Data"]["Status"], "AwaitingAuthorisation");
    }
    let (status, answer) = bank
        .call(Method::POST, &path, None, Some(&json!({"Otp": wrong})))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(answer["error"]["code"], "otp_attempts_exhausted");
    // Even the right code is too late now.
    let (status, _) = bank
        .call(Method::POST, &path, None, Some(&json!({"Otp": code})))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, now) = bank
        .call(Method::GET, &format!("{CONSENTS}/{id}"), None, None)
        .await;
    assert_eq!(now["Data"]["Status"], "Rejected");
    let (status, _) = bank
        .call(
            Method::POST,
            PAYMENTS,
            Some("o-p"),
            Some(&json!({"Data": {"ConsentId": id}})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn an_expired_code_cancels_the_payment() {
    let bank = bank().await;
    let ((_, payer, payer_acc), (payee_login, _, _)) = bank.payer_and_payee().await;
    let body = consent_body(&payer, "1.00", payer_acc.currency.code(), vpa(&payee_login));
    let (_, consent) = bank
        .call(Method::POST, CONSENTS, Some("e-1"), Some(&body))
        .await;
    let id = consent["Data"]["ConsentId"].as_str().unwrap().to_owned();
    let code = bank.last_code(&payer).await;
    bank.clock.advance(SignedDuration::from_mins(5));
    let (status, answer) = bank
        .call(
            Method::POST,
            &format!("{CONSENTS}/{id}/authorise"),
            None,
            Some(&json!({"Otp": code})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(answer["error"]["code"], "otp_expired");
    let (_, now) = bank
        .call(Method::GET, &format!("{CONSENTS}/{id}"), None, None)
        .await;
    assert_eq!(now["Data"]["Status"], "Rejected");

    // A code just inside its lifetime works.
    let (_, consent) = bank
        .call(Method::POST, CONSENTS, Some("e-2"), Some(&body))
        .await;
    let id = consent["Data"]["ConsentId"].as_str().unwrap().to_owned();
    let code = bank.last_code(&payer).await;
    bank.clock.advance(SignedDuration::from_secs(299));
    let (status, _) = bank
        .call(
            Method::POST,
            &format!("{CONSENTS}/{id}/authorise"),
            None,
            Some(&json!({"Otp": code})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn external_payments_queue_pay_a_fee_and_settle_or_come_back() {
    let bank = bank().await;
    let ((_, payer, payer_acc), _) = bank.payer_and_payee().await;
    let cur = payer_acc.currency.code();
    let start = bank.booked(&payer_acc).await;
    let mut ids = Vec::new();
    for (n, who) in ["ravi@otherbank", "gone.closed@otherbank"]
        .iter()
        .enumerate()
    {
        let creditor = json!({"SchemeName": "anumati.VPA", "Identification": who, "Name": "Ravi"});
        let body = consent_body(&payer, "10.00", cur, creditor);
        let (status, consent) = bank
            .call(Method::POST, CONSENTS, Some(&format!("x-{n}")), Some(&body))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{consent}");
        assert_eq!(consent["Data"]["Creditor"]["Internal"], false);
        assert_eq!(consent["Data"]["Charges"][0]["Amount"]["Amount"], "2.00");
        let id = consent["Data"]["ConsentId"].as_str().unwrap().to_owned();
        let code = bank.last_code(&payer).await;
        bank.call(
            Method::POST,
            &format!("{CONSENTS}/{id}/authorise"),
            None,
            Some(&json!({"Otp": code})),
        )
        .await;
        let (status, paid) = bank
            .call(
                Method::POST,
                PAYMENTS,
                Some(&format!("xp-{n}")),
                Some(&json!({"Data": {"ConsentId": id}})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{paid}");
        assert_eq!(paid["Data"]["Status"], "AcceptedSettlementInProcess");
        ids.push(
            paid["Data"]["DomesticPaymentId"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(bank.booked(&payer_acc).await, start - 2 * 1200);
    bank.assert_ledger_ok().await;
    let report = bank.node.recover_payments().await.unwrap();
    assert_eq!((report.settled, report.returned), (1, 1));
    let (_, settled) = bank
        .call(Method::GET, &format!("{PAYMENTS}/{}", ids[0]), None, None)
        .await;
    assert_eq!(settled["Data"]["Status"], "AcceptedSettlementCompleted");
    let (_, returned) = bank
        .call(Method::GET, &format!("{PAYMENTS}/{}", ids[1]), None, None)
        .await;
    assert_eq!(returned["Data"]["Status"], "Rejected");
    // The returned payment's money and fee came back.
    assert_eq!(bank.booked(&payer_acc).await, start - 1200);
    bank.assert_ledger_ok().await;
    // Nothing left to do.
    assert_eq!(bank.node.settle_outbound().await.unwrap(), (0, 0));
}

#[tokio::test]
async fn limits_and_funds_are_enforced() {
    let bank = bank().await;
    let ((_, payer, payer_acc), (payee_login, _, _)) = bank.payer_and_payee().await;
    let cur = payer_acc.currency.code();
    let over = consent_body(&payer, "100000.01", cur, vpa(&payee_login));
    let (status, answer) = bank
        .call(Method::POST, CONSENTS, Some("l-1"), Some(&over))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer["error"]["code"], "payment_limit_exceeded");
    // The refusal is the key's answer too.
    let (status, again) = bank
        .call(Method::POST, CONSENTS, Some("l-1"), Some(&over))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(again, answer);

    // More than the account holds (plus its overdraft): authorised, then
    // refused at execution. First leave it 50.00 to spend.
    let ((_, _, _), (_, _, payee_acc)) = bank.payer_and_payee().await;
    let spendable = bank
        .store
        .balances(&payer_acc.id)
        .await
        .unwrap()
        .available
        .minor()
        + payer_acc.limit.minor();
    if spendable > 5000 {
        let drain = Money::from_minor(spendable - 5000, payer_acc.currency);
        bank.store
            .transfer(
                &payer_acc.id,
                &payee_acc.id,
                drain,
                "drain",
                bank.clock.now(),
            )
            .await
            .unwrap();
    }
    let body = consent_body(&payer, "51.00", cur, vpa(&payee_login));
    let (status, consent) = bank
        .call(Method::POST, CONSENTS, Some("l-2"), Some(&body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{consent}");
    let id = consent["Data"]["ConsentId"].as_str().unwrap().to_owned();
    let code = bank.last_code(&payer).await;
    bank.call(
        Method::POST,
        &format!("{CONSENTS}/{id}/authorise"),
        None,
        Some(&json!({"Otp": code})),
    )
    .await;
    let before = bank.booked(&payer_acc).await;
    let (status, answer) = bank
        .call(
            Method::POST,
            PAYMENTS,
            Some("l-3"),
            Some(&json!({"Data": {"ConsentId": id}})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer["error"]["code"], "insufficient_funds");
    assert_eq!(bank.booked(&payer_acc).await, before);
    let (_, now) = bank
        .call(Method::GET, &format!("{CONSENTS}/{id}"), None, None)
        .await;
    assert_eq!(now["Data"]["Status"], "Rejected");
    bank.assert_ledger_ok().await;
}

#[tokio::test]
async fn only_a_trusted_client_may_call_and_a_cancelled_consent_cannot_be_paid() {
    let bank = bank().await;
    let ((_, payer, payer_acc), (payee_login, _, _)) = bank.payer_and_payee().await;
    let body = consent_body(&payer, "1.00", payer_acc.currency.code(), vpa(&payee_login));
    let stranger = Signer::generate("x");
    let (status, _) = bank
        .call_as(
            &stranger,
            "anumati-chat",
            Method::POST,
            CONSENTS,
            Some("s-1"),
            Some(&body),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let r = bank
        .peer
        .send(
            Method::POST,
            CONSENTS,
            &[("x-idempotency-key", "s-2")],
            Some(&body),
        )
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let consents: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM payment_consents")
        .fetch_one(bank.store.pool())
        .await
        .unwrap();
    assert_eq!(consents, 0);

    let (_, consent) = bank
        .call(Method::POST, CONSENTS, Some("s-3"), Some(&body))
        .await;
    let id = consent["Data"]["ConsentId"].as_str().unwrap().to_owned();
    let code = bank.last_code(&payer).await;
    let (status, cancelled) = bank
        .call(Method::DELETE, &format!("{CONSENTS}/{id}"), None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cancelled["Data"]["Status"], "Rejected");
    let (status, _) = bank
        .call(
            Method::POST,
            &format!("{CONSENTS}/{id}/authorise"),
            None,
            Some(&json!({"Otp": code})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn beneficiaries_resolve_and_show_masked_numbers() {
    let bank = bank().await;
    let ((_, payer, payer_acc), (payee_login, _, payee_acc)) = bank.payer_and_payee().await;
    let add =
        |name: &str, account: Value| json!({"CustomerId": payer, "Name": name, "Account": account});
    let (status, saved) = bank
        .call(
            Method::POST,
            "/v1/payments/beneficiaries",
            None,
            Some(&add("Priya", vpa(&payee_login))),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    let by_number =
        json!({"SchemeName": "anumati.AccountNumber", "Identification": payee_acc.number});
    let (status, _) = bank
        .call(
            Method::POST,
            "/v1/payments/beneficiaries",
            None,
            Some(&add("Priya S", by_number)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, list) = bank
        .call(
            Method::GET,
            &format!("/v1/payments/beneficiaries?customer_id={payer}"),
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert!(list.iter().all(|b| b["Internal"] == true));
    assert!(!list
        .iter()
        .any(|b| b.to_string().contains(&payee_acc.number)));
    // Paying a beneficiary by id.
    let id = saved["BeneficiaryId"].as_str().unwrap();
    let creditor = json!({"SchemeName": "anumati.BeneficiaryId", "Identification": id});
    let body = consent_body(&payer, "2.00", payer_acc.currency.code(), creditor);
    let (status, consent) = bank
        .call(Method::POST, CONSENTS, Some("b-1"), Some(&body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{consent}");
    assert_eq!(consent["Data"]["Creditor"]["Internal"], true);
    // An unknown address of this bank is refused.
    let body = consent_body(
        &payer,
        "2.00",
        payer_acc.currency.code(),
        vpa("nobody.here"),
    );
    let (status, answer) = bank
        .call(Method::POST, CONSENTS, Some("b-2"), Some(&body))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer["error"]["code"], "creditor_not_found");
}

#[tokio::test]
async fn holds_lower_the_available_balance_until_released_or_captured() {
    let bank = bank().await;
    let mut card = None;
    for c in bank.store.customers(0, 100).await.unwrap() {
        for a in bank.store.accounts_of(&c.id).await.unwrap() {
            if let Some(k) = bank.store.cards_of(&a.id).await.unwrap().into_iter().next() {
                card = Some((a, k));
            }
        }
    }
    let (account, card) = card.expect("a card");
    let start = bank.store.balances(&account.id).await.unwrap();
    let amount = Money::from_minor(700, account.currency);
    let now = bank.clock.now();
    let hold = bank
        .store
        .authorise_card(&card.id, amount, "Cafe", now)
        .await
        .unwrap();
    let held = bank.store.balances(&account.id).await.unwrap();
    assert_eq!(held.booked, start.booked);
    assert_eq!(held.available.minor(), start.available.minor() - 700);
    bank.store.release_hold(&hold, now).await.unwrap();
    assert_eq!(bank.store.balances(&account.id).await.unwrap(), start);
    assert!(bank.store.release_hold(&hold, now).await.is_err());

    let hold = bank
        .store
        .authorise_card(&card.id, amount, "Cafe", now)
        .await
        .unwrap();
    bank.store.capture_hold(&hold, now).await.unwrap();
    let after = bank.store.balances(&account.id).await.unwrap();
    assert_eq!(after.booked.minor(), start.booked.minor() - 700);
    assert_eq!(after.available.minor(), start.available.minor() - 700);
    assert!(bank.store.capture_hold(&hold, now).await.is_err());

    // More than the account can bear is declined; so is a locked or unknown card.
    let huge = Money::from_minor(
        after.available.minor() + after.limit.minor() + 1,
        account.currency,
    );
    assert!(bank
        .store
        .authorise_card(&card.id, huge, "Cafe", now)
        .await
        .is_err());
    sqlx::query("UPDATE cards SET status = 'locked', locked_at = 0 WHERE id = ?")
        .bind(card.id.as_str())
        .execute(bank.store.pool())
        .await
        .unwrap();
    assert!(bank
        .store
        .authorise_card(&card.id, amount, "Cafe", now)
        .await
        .is_err());
    assert!(bank
        .store
        .authorise_card(&CardId::new("card_nope"), amount, "Cafe", now)
        .await
        .is_err());
    bank.assert_ledger_ok().await;
}

#[tokio::test]
async fn the_phone_page_is_off_unless_turned_on_and_the_routes_are_documented() {
    let bank = bank().await;
    let ((payer_login, payer, payer_acc), (payee_login, _, _)) = bank.payer_and_payee().await;
    let body = consent_body(&payer, "1.00", payer_acc.currency.code(), vpa(&payee_login));
    bank.call(Method::POST, CONSENTS, Some("ph-1"), Some(&body))
        .await;
    let code = bank.last_code(&payer).await;
    let path = format!("/phone?login={payer_login}");
    let r = bank.peer.send(Method::GET, &path, &[], None).await.unwrap();
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    bank.node.enable_phone_page(true);
    let r = bank.peer.send(Method::GET, &path, &[], None).await.unwrap();
    assert_eq!(r.status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&r.body).contains(&code));

    let doc: Value = bank.peer.get("/openapi.json", &[]).await.unwrap();
    for route in [
        "/v1/payments/domestic-payment-consents",
        "/v1/payments/domestic-payment-consents/{consent_id}/authorise",
        "/v1/payments/domestic-payments",
        "/v1/payments/beneficiaries",
    ] {
        assert!(doc["paths"][route].is_object(), "{route} undocumented");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_retries_of_one_key_pay_once() {
    let bank = Arc::new(bank().await);
    let ((_, payer, payer_acc), (payee_login, _, _)) = bank.payer_and_payee().await;
    let body = consent_body(&payer, "7.00", payer_acc.currency.code(), vpa(&payee_login));
    let (_, consent) = bank
        .call(Method::POST, CONSENTS, Some("r-1"), Some(&body))
        .await;
    let id = consent["Data"]["ConsentId"].as_str().unwrap().to_owned();
    let code = bank.last_code(&payer).await;
    bank.call(
        Method::POST,
        &format!("{CONSENTS}/{id}/authorise"),
        None,
        Some(&json!({"Otp": code})),
    )
    .await;
    let before = bank.booked(&payer_acc).await;
    let pay = json!({"Data": {"ConsentId": id}});
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (bank, pay) = (bank.clone(), pay.clone());
        tasks.push(tokio::spawn(async move {
            bank.call(Method::POST, PAYMENTS, Some("r-pay"), Some(&pay))
                .await
        }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    assert!(answers.iter().all(|(s, _)| *s == StatusCode::CREATED));
    assert!(answers.windows(2).all(|w| w[0].1 == w[1].1));
    assert_eq!(bank.booked(&payer_acc).await, before - 700);
    let payments: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM payments")
        .fetch_one(bank.store.pool())
        .await
        .unwrap();
    assert_eq!(payments, 1);
    bank.assert_ledger_ok().await;
}

/// A card of the bank and its account.
async fn some_card(bank: &Bank) -> (Account, anumati_domain::Card) {
    for c in bank.store.customers(0, 100).await.unwrap() {
        for a in bank.store.accounts_of(&c.id).await.unwrap() {
            if let Some(k) = bank.store.cards_of(&a.id).await.unwrap().into_iter().next() {
                return (a, k);
            }
        }
    }
    panic!("no card in the simulated bank");
}

#[tokio::test]
async fn authorisations_decided_together_never_take_an_account_past_its_limit() {
    let bank = bank().await;
    let (account, card) = some_card(&bank).await;
    let start = bank.store.balances(&account.id).await.unwrap();
    let spendable = start.available.minor() + start.limit.minor();
    assert!(spendable > 0, "{start:?}");
    // Thirty at once (one batch of the hold writer): only as many as the
    // account can bear are approved, each seeing the holds before it.
    let amount = Money::from_minor(spendable / 7 + 1, account.currency);
    let fit = spendable / amount.minor();
    assert_eq!(fit, 6);
    let now = bank.clock.now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..30 {
        let store = bank.store.clone();
        let id = card.id.clone();
        tasks.spawn(async move { store.authorise_card(&id, amount, "Cafe", now).await });
    }
    let (mut approved, mut refused) = (0, 0);
    while let Some(r) = tasks.join_next().await {
        match r.unwrap() {
            Ok(hold) => {
                assert!(hold.starts_with("hold_"), "{hold}");
                approved += 1;
            }
            Err(anumati_bank::ledger::LedgerError::InsufficientFunds { .. }) => refused += 1,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!((approved, refused), (fit, 30 - fit));
    let after = bank.store.balances(&account.id).await.unwrap();
    assert_eq!(
        after.held.minor(),
        start.held.minor() + fit * amount.minor()
    );
    assert!(after.available.minor() >= -after.limit.minor());
    bank.assert_ledger_ok().await;
}

#[tokio::test]
async fn a_batch_tells_an_unknown_card_from_a_locked_one_and_says_whose_card_it_is() {
    let bank = bank().await;
    let (account, card) = some_card(&bank).await;
    let (_, other) = {
        let mut found = None;
        for c in bank.store.customers(0, 100).await.unwrap() {
            for a in bank.store.accounts_of(&c.id).await.unwrap() {
                for k in bank.store.cards_of(&a.id).await.unwrap() {
                    if k.id != card.id && a.currency == account.currency {
                        found = Some((a.clone(), k));
                    }
                }
            }
        }
        found.expect("a second card")
    };
    sqlx::query("UPDATE cards SET status = 'locked', locked_at = 0 WHERE id = ?")
        .bind(other.id.as_str())
        .execute(bank.store.pool())
        .await
        .unwrap();
    let amount = Money::from_minor(100, account.currency);
    let now = bank.clock.now();
    let nope = CardId::new("card_nope");
    let (active, locked, unknown) = tokio::join!(
        bank.store.decide_card(&card.id, amount, "Cafe", now),
        bank.store.decide_card(&other.id, amount, "Cafe", now),
        bank.store.decide_card(&nope, amount, "Cafe", now),
    );
    let (active, locked, unknown) = (active.unwrap(), locked.unwrap(), unknown.unwrap());
    assert!(active.hold.is_ok());
    let owner = active.owner.expect("the card's owner");
    assert_eq!(owner.account, account.id.as_str());
    assert_eq!(owner.customer, account.customer_id.as_str());
    assert!(matches!(
        locked.hold,
        Err(anumati_bank::ledger::LedgerError::CardDeclined)
    ));
    assert!(locked.owner.is_some());
    assert!(matches!(
        unknown.hold,
        Err(anumati_bank::ledger::LedgerError::CardDeclined)
    ));
    assert!(unknown.owner.is_none());
}

#[tokio::test]
async fn a_card_networks_assertion_is_refused_once_expired_or_once_its_key_is_no_longer_trusted() {
    let bank = bank().await;
    let (account, card) = some_card(&bank).await;
    let network = Signer::generate("net-1");
    let mut keys = KeySet::new();
    keys.insert(network.kid(), network.verifying_key());
    bank.node.trust_card_network("net", keys);
    let body = json!({
        "card_id": card.id.as_str(),
        "amount": {"amount": "1.00", "currency": account.currency.code()},
        "merchant": "Cafe", "mcc": "5814", "terminal": "t-1",
        "card_present": true, "country": "IN",
    });
    let token = bank.assertion(&network, "net");
    let send = |token: String| {
        let peer = bank.peer.clone();
        let body = body.clone();
        async move {
            peer.send(
                Method::POST,
                "/v1/card-authorisations",
                &[("x-client-assertion", token.as_str())],
                Some(&body),
            )
            .await
            .unwrap()
            .status
        }
    };
    // The same assertion, sent again within its lifetime, is accepted again.
    assert_eq!(send(token.clone()).await, StatusCode::OK);
    assert_eq!(send(token.clone()).await, StatusCode::OK);
    // Expired: refused, though it was accepted before.
    bank.clock.advance(SignedDuration::from_secs(61));
    assert_eq!(send(token).await, StatusCode::UNAUTHORIZED);
    let token = bank.assertion(&network, "net");
    assert_eq!(send(token.clone()).await, StatusCode::OK);
    // The network's key replaced: the old key's assertion is refused at once.
    let replacement = Signer::generate("net-2");
    let mut keys = KeySet::new();
    keys.insert(replacement.kid(), replacement.verifying_key());
    bank.node.trust_card_network("net", keys);
    assert_eq!(send(token).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        send(bank.assertion(&replacement, "net")).await,
        StatusCode::OK
    );
    // Never trusted: refused.
    let stranger = Signer::generate("net-1");
    assert_eq!(
        send(bank.assertion(&stranger, "net")).await,
        StatusCode::UNAUTHORIZED
    );
}
