//! Card locks: a valid artefact relayed by the consent manager locks and
//! unlocks exactly its customer's cards on the consented accounts; a forged,
//! altered, revoked, paused or expired artefact, a caller that is not the
//! consent manager, or an artefact listing someone else's account changes
//! nothing at all.

use std::sync::Arc;

use anumati_bank::cards::{CardLockRequest, CardLockResponse};
use anumati_bank::sim::{self, SimParams};
use anumati_bank::{BankNode, BankStore};
use anumati_domain::consent::{
    CardDataExtension, ConsentAccount, ConsentArtefact, ConsentMode, ConsentType, DateRange,
    FetchType, Party, Period, Purpose, TimeUnit,
};
use anumati_domain::{AccountId, CardId, ConsentId, CustomerId};
use anumati_wire::clock::{Clock, ManualClock};
use anumati_wire::jws::{ClientAssertion, KeySet, Signer};
use anumati_wire::Peer;
use axum::http::Method;
use jiff::{SignedDuration, Timestamp};

struct Bank {
    _dir: tempdir::Dir,
    node: BankNode,
    peer: Peer,
    cm: Signer,
    clock: ManualClock,
    /// A customer with cards, their accounts and their cards.
    mine: (CustomerId, Vec<AccountId>, Vec<CardId>),
    /// Another customer with cards, their accounts and their cards.
    theirs: (CustomerId, Vec<AccountId>, Vec<CardId>),
}

mod tempdir {
    pub struct Dir(pub std::path::PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

async fn bank() -> Bank {
    let dir = std::env::temp_dir().join(format!(
        "anumati-cards-{}",
        anumati_wire::html::random_token()
    ));
    let pool = anumati_store::open_sqlite(&dir.join("bank.db"), &anumati_bank::store::MIGRATOR)
        .await
        .unwrap();
    let params = SimParams {
        customers: 6,
        months: 1,
        seed: 5,
        end: "2026-10-31".parse().unwrap(),
    };
    sim::populate(&pool, &params, "x", &|_| {}).await.unwrap();
    let clock = ManualClock::new("2026-11-01T12:00:00Z".parse().unwrap());
    let store = BankStore::new(pool);
    let node = BankNode::new(
        "anumati-bank",
        store.clone(),
        Signer::generate("bank-1"),
        "anumati-consent",
        Arc::new(clock.clone()),
    );
    let cm = Signer::generate("cm-1");
    let mut keys = KeySet::new();
    keys.insert(cm.kid(), cm.verifying_key());
    node.trust_consent_manager(keys);
    let mut with_cards = Vec::new();
    for customer in store.customers(0, 100).await.unwrap() {
        let accounts: Vec<AccountId> = store
            .accounts_of(&customer.id)
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.id)
            .collect();
        let mut cards = Vec::new();
        for account in &accounts {
            cards.extend(
                store
                    .cards_of(account)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|c| c.id),
            );
        }
        if !cards.is_empty() {
            with_cards.push((customer.id, accounts, cards));
        }
    }
    assert!(with_cards.len() >= 2, "two customers with cards");
    let theirs = with_cards.remove(1);
    let mine = with_cards.remove(0);
    let peer = Peer::in_process("bank", anumati_bank::api::router(node.clone()));
    Bank {
        _dir: tempdir::Dir(dir),
        node,
        peer,
        cm,
        clock,
        mine,
        theirs,
    }
}

fn artefact(
    consent_id: &str,
    now: Timestamp,
    customer: &CustomerId,
    accounts: &[AccountId],
) -> ConsentArtefact {
    let day = SignedDuration::from_hours(24);
    ConsentArtefact {
        ver: "2.0.0".into(),
        consent_id: ConsentId::new(consent_id),
        created: now,
        start: now - SignedDuration::from_hours(1),
        expiry: now + day * 30,
        mode: ConsentMode::Store,
        fetch_type: FetchType::Periodic,
        consent_types: vec![ConsentType::Summary, ConsentType::Transactions],
        fi_types: vec!["DEPOSIT".into()],
        data_consumer: Party {
            id: "anumati-chat".into(),
        },
        data_provider: Party {
            id: "anumati-bank".into(),
        },
        customer: Party {
            id: customer.to_string(),
        },
        accounts: accounts
            .iter()
            .map(|a| ConsentAccount {
                fi_type: "DEPOSIT".into(),
                fip_id: "anumati-bank".into(),
                acc_type: "SAVINGS".into(),
                link_ref_number: a.clone(),
                masked_acc_number: "XXXX".into(),
            })
            .collect(),
        purpose: Purpose::from_code("102").unwrap(),
        fi_data_range: DateRange {
            from: now - day * 365,
            to: now + day * 30,
        },
        data_life: Period {
            unit: TimeUnit::Day,
            value: 30,
        },
        frequency: Period {
            unit: TimeUnit::Day,
            value: 1,
        },
        data_filter: vec![],
        extensions: CardDataExtension {
            merchant: true,
            place: true,
        },
    }
}

fn new_consent_id() -> String {
    format!("cst_{}", anumati_wire::html::random_token())
}

/// Sends a lock request as the consent manager (or as `signer`, when given).
async fn send(b: &Bank, consent: &str, lock: bool, signer: Option<&Signer>) -> (u16, String) {
    let assertion = signer.unwrap_or(&b.cm).sign(&ClientAssertion::new(
        "anumati-consent",
        "anumati-bank",
        b.clock.now().as_second(),
    ));
    let request = CardLockRequest {
        consent: consent.to_owned(),
        lock,
    };
    let response = b
        .peer
        .send(
            Method::POST,
            "/v1/cards/lock",
            &[("x-client-assertion", assertion.as_str())],
            Some(&serde_json::to_value(&request).unwrap()),
        )
        .await
        .unwrap();
    (
        response.status.as_u16(),
        String::from_utf8_lossy(&response.body).into_owned(),
    )
}

async fn locked(b: &Bank, cards: &[CardId]) -> Vec<bool> {
    let mut out = Vec::new();
    for card in cards {
        out.push(b.node.store().card_locked(card).await.unwrap().unwrap());
    }
    out
}

/// Every locked card in the bank, in id order.
async fn all_locked(b: &Bank) -> Vec<String> {
    sqlx::query_scalar("SELECT id FROM cards WHERE status = 'locked' ORDER BY id")
        .fetch_all(b.node.store().pool())
        .await
        .unwrap()
}

async fn locked_at(b: &Bank, card: &CardId) -> Option<i64> {
    sqlx::query_scalar("SELECT locked_at FROM cards WHERE id = ?")
        .bind(card.as_str())
        .fetch_one(b.node.store().pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn lock_then_unlock_changes_card_locked_and_is_idempotent() {
    let b = bank().await;
    let now = b.clock.now();
    let (customer, accounts, cards) = &b.mine;
    let token =
        b.cm.sign(&artefact(&new_consent_id(), now, customer, accounts));
    assert!(locked(&b, cards).await.iter().all(|l| !l));

    let (status, body) = send(&b, &token, true, None).await;
    assert_eq!(status, 200, "{body}");
    let answer: CardLockResponse = serde_json::from_str(&body).unwrap();
    let mut answered: Vec<CardId> = answer.cards.iter().map(|c| c.card_id.clone()).collect();
    answered.sort();
    let mut expected = cards.clone();
    expected.sort();
    assert_eq!(answered, expected, "exactly the customer's cards");
    for card in &answer.cards {
        assert!(card.locked);
        assert!(accounts.contains(&card.account_id));
        let pan = card.masked_pan.as_bytes();
        assert_eq!(pan.len(), 16, "{}", card.masked_pan);
        assert!(
            pan[..6].iter().all(u8::is_ascii_digit),
            "{}",
            card.masked_pan
        );
        assert_eq!(&card.masked_pan[6..12], "XXXXXX");
        assert!(
            pan[12..].iter().all(u8::is_ascii_digit),
            "{}",
            card.masked_pan
        );
    }
    assert!(locked(&b, cards).await.iter().all(|l| *l));
    let first_locked_at = locked_at(&b, &cards[0]).await;
    assert_eq!(first_locked_at, Some(now.as_second()));

    // Locking again changes nothing, not even when the card was locked.
    b.clock.advance(SignedDuration::from_mins(5));
    let (status, again) = send(&b, &token, true, None).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(
        serde_json::from_str::<CardLockResponse>(&again).unwrap(),
        answer
    );
    assert_eq!(locked_at(&b, &cards[0]).await, first_locked_at);
    assert_eq!(all_locked(&b).await.len(), cards.len());

    let (status, body) = send(&b, &token, false, None).await;
    assert_eq!(status, 200, "{body}");
    let answer: CardLockResponse = serde_json::from_str(&body).unwrap();
    assert_eq!(answer.cards.len(), cards.len());
    assert!(answer.cards.iter().all(|c| !c.locked));
    assert!(locked(&b, cards).await.iter().all(|l| !l));
    assert_eq!(locked_at(&b, &cards[0]).await, None);
    assert!(all_locked(&b).await.is_empty());

    // Unlocking an unlocked card is fine too.
    let (status, _) = send(&b, &token, false, None).await;
    assert_eq!(status, 200);
    assert!(all_locked(&b).await.is_empty());
}

#[tokio::test]
async fn a_bad_artefact_changes_nothing() {
    let b = bank().await;
    let now = b.clock.now();
    let (customer, accounts, cards) = &b.mine;
    for (fault, code) in [
        ("forged", "consent_invalid"),
        ("altered", "consent_invalid"),
        ("revoked", "consent_not_active"),
        ("paused", "consent_not_active"),
        ("expired", "consent_refused"),
        ("not started", "consent_refused"),
        ("other provider", "consent_wrong_provider"),
    ] {
        let consent_id = new_consent_id();
        let mut a = artefact(&consent_id, now, customer, accounts);
        match fault {
            "expired" => {
                a.start = now - SignedDuration::from_hours(48);
                a.expiry = now - SignedDuration::from_hours(1);
            }
            "not started" => a.start = now + SignedDuration::from_hours(1),
            "other provider" => a.data_provider.id = "another-bank".into(),
            "revoked" | "paused" => {
                b.node
                    .store()
                    .record_consent_notice(&consent_id, &fault.to_uppercase(), now)
                    .await
                    .unwrap();
            }
            _ => {}
        }
        let mut token = if fault == "forged" {
            Signer::generate("cm-1").sign(&a)
        } else {
            b.cm.sign(&a)
        };
        if fault == "altered" {
            // Point the signed artefact at another customer's accounts.
            let mut changed = a.clone();
            changed.customer.id = b.theirs.0.to_string();
            changed.accounts[0].link_ref_number = b.theirs.1[0].clone();
            use base64::Engine;
            let parts: Vec<&str> = token.split('.').collect();
            let body = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(serde_json::to_vec(&changed).unwrap());
            token = format!("{}.{}.{}", parts[0], body, parts[2]);
        }
        let (status, body) = send(&b, &token, true, None).await;
        assert_eq!(status, 403, "{fault}: {body}");
        assert!(
            body.contains(&format!("\"code\":\"{code}\"")),
            "{fault}: {body}"
        );
        assert!(!body.contains("masked_pan"), "{fault}: {body}");
        assert!(all_locked(&b).await.is_empty(), "{fault} locked a card");
    }

    // A revoked consent cannot unlock either.
    let consent_id = new_consent_id();
    let token = b.cm.sign(&artefact(&consent_id, now, customer, accounts));
    assert_eq!(send(&b, &token, true, None).await.0, 200);
    b.node
        .store()
        .record_consent_notice(&consent_id, "REVOKED", now)
        .await
        .unwrap();
    let (status, body) = send(&b, &token, false, None).await;
    assert_eq!(status, 403, "{body}");
    assert!(locked(&b, cards).await.iter().all(|l| *l));
}

#[tokio::test]
async fn cards_of_another_customer_are_never_touched() {
    let b = bank().await;
    let now = b.clock.now();
    let (customer, accounts, cards) = &b.mine;
    let (other, other_accounts, other_cards) = &b.theirs;

    // An artefact that lists another customer's account is refused whole.
    let mut listed = accounts.clone();
    listed.push(other_accounts[0].clone());
    let token =
        b.cm.sign(&artefact(&new_consent_id(), now, customer, &listed));
    let (status, body) = send(&b, &token, true, None).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("\"code\":\"consent_refused\""), "{body}");
    assert!(all_locked(&b).await.is_empty());

    // So is one naming the other customer over my accounts.
    let token =
        b.cm.sign(&artefact(&new_consent_id(), now, other, accounts));
    let (status, body) = send(&b, &token, true, None).await;
    assert_eq!(status, 403, "{body}");
    assert!(all_locked(&b).await.is_empty());

    // An account the bank does not know.
    let token = b.cm.sign(&artefact(
        &new_consent_id(),
        now,
        customer,
        &[AccountId::new("acc_nobody")],
    ));
    assert_eq!(send(&b, &token, true, None).await.0, 403);
    assert!(all_locked(&b).await.is_empty());

    // A valid lock of one of my accounts locks that account's cards only.
    let token = b.cm.sign(&artefact(
        &new_consent_id(),
        now,
        customer,
        std::slice::from_ref(&accounts[0]),
    ));
    let (status, body) = send(&b, &token, true, None).await;
    assert_eq!(status, 200, "{body}");
    let first_account_cards: Vec<String> = b
        .node
        .store()
        .cards_of(&accounts[0])
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id.to_string())
        .collect();
    let mut expected = first_account_cards.clone();
    expected.sort();
    assert_eq!(all_locked(&b).await, expected);

    // And all of mine with the full artefact; the other customer's stay active.
    let token =
        b.cm.sign(&artefact(&new_consent_id(), now, customer, accounts));
    assert_eq!(send(&b, &token, true, None).await.0, 200);
    assert!(locked(&b, cards).await.iter().all(|l| *l));
    assert!(locked(&b, other_cards).await.iter().all(|l| !l));
    assert_eq!(all_locked(&b).await.len(), cards.len());
}

#[tokio::test]
async fn only_the_consent_manager_may_ask() {
    let b = bank().await;
    let now = b.clock.now();
    let (customer, accounts, _) = &b.mine;
    let token =
        b.cm.sign(&artefact(&new_consent_id(), now, customer, accounts));

    let response = b
        .peer
        .send(
            Method::POST,
            "/v1/cards/lock",
            &[],
            Some(&serde_json::json!({ "consent": token, "lock": true })),
        )
        .await
        .unwrap();
    assert_eq!(response.status.as_u16(), 400);

    let stranger = Signer::generate("cm-1");
    let (status, body) = send(&b, &token, true, Some(&stranger)).await;
    assert_eq!(status, 401, "{body}");
    assert!(all_locked(&b).await.is_empty());
}

#[tokio::test]
async fn card_locked_knows_only_real_cards_and_the_route_is_documented() {
    let b = bank().await;
    assert_eq!(
        b.node
            .store()
            .card_locked(&CardId::new("crd_nobody"))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        b.node.store().card_locked(&b.mine.2[0]).await.unwrap(),
        Some(false)
    );
    let response = b
        .peer
        .send(Method::GET, "/openapi.json", &[], None)
        .await
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
    assert!(doc["paths"]["/v1/cards/lock"]["post"].is_object(), "{doc}");
    assert!(doc["components"]["schemas"]["CardLockResponse"].is_object());
}
