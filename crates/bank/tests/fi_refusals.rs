//! No combination of forged signature, altered field, expired, revoked,
//! paused, wrong purpose, wrong account, dates out of range, over-frequency
//! or replay ever returns data; a request with none of them does.

use std::sync::Arc;

use anumati_bank::fi::{FiRange, FiRequest};
use anumati_bank::sim::{self, SimParams};
use anumati_bank::{BankNode, BankStore};
use anumati_domain::consent::{
    CardDataExtension, ConsentAccount, ConsentArtefact, ConsentMode, ConsentType, DateRange,
    FetchType, Party, Period, Purpose, TimeUnit,
};
use anumati_domain::{AccountId, ConsentId, CustomerId};
use anumati_fi_crypto::EphemeralKeyPair;
use anumati_wire::clock::{Clock, ManualClock};
use anumati_wire::jws::{ClientAssertion, KeySet, Signer};
use anumati_wire::Peer;
use axum::http::Method;
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;

const FAULTS: [&str; 10] = [
    "forged",
    "altered",
    "expired",
    "revoked",
    "paused",
    "purpose",
    "account",
    "dates",
    "frequency",
    "replay",
];

struct Bank {
    _dir: tempdir::Dir,
    node: BankNode,
    peer: Peer,
    cm: Signer,
    clock: ManualClock,
    mine: (CustomerId, Vec<AccountId>),
    theirs: AccountId,
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
    let dir =
        std::env::temp_dir().join(format!("anumati-fi-{}", anumati_wire::html::random_token()));
    let pool = anumati_store::open_sqlite(&dir.join("bank.db"), &anumati_bank::store::MIGRATOR)
        .await
        .unwrap();
    let params = SimParams {
        customers: 3,
        months: 2,
        seed: 3,
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
    let customers = store.customers(0, 2).await.unwrap();
    let mine = store
        .accounts_of(&customers[0].id)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    let theirs = store.accounts_of(&customers[1].id).await.unwrap()[0]
        .id
        .clone();
    let peer = Peer::in_process("bank", anumati_bank::api::router(node.clone()));
    Bank {
        _dir: tempdir::Dir(dir),
        node,
        peer,
        cm,
        clock,
        mine: (customers[0].id.clone(), mine),
        theirs,
    }
}

fn artefact(
    b: &Bank,
    consent_id: &str,
    now: Timestamp,
    accounts: &[AccountId],
    frequency: u32,
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
            id: b.mine.0.to_string(),
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
            value: frequency,
        },
        data_filter: vec![],
        extensions: CardDataExtension {
            merchant: true,
            place: true,
        },
    }
}

/// Builds one request with the given faults and returns (status, body).
async fn attempt(b: &Bank, faults: &[&str]) -> (u16, String) {
    let has = |f: &str| faults.contains(&f);
    let now = b.clock.now();
    let consent_id = format!("cst_{}", anumati_wire::html::random_token());
    let mut accounts = b.mine.1.clone();
    if has("account") {
        accounts.push(b.theirs.clone());
    }
    let mut a = artefact(
        b,
        &consent_id,
        now,
        &accounts,
        if has("frequency") { 1 } else { 100 },
    );
    if has("expired") {
        a.start = now - SignedDuration::from_hours(48);
        a.expiry = now - SignedDuration::from_hours(1);
    }
    let mut token = if has("forged") {
        Signer::generate("cm-1").sign(&a)
    } else {
        b.cm.sign(&a)
    };
    if has("altered") {
        // Widen the consent after signing: keep the signature, change the payload.
        let mut changed = a.clone();
        changed.fi_data_range.from = now - SignedDuration::from_hours(24 * 3650);
        let parts: Vec<&str> = token.split('.').collect();
        use base64::Engine;
        let body = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(serde_json::to_vec(&changed).unwrap());
        token = format!("{}.{}.{}", parts[0], body, parts[2]);
    }
    if has("revoked") {
        b.node
            .store()
            .record_consent_notice(&consent_id, "REVOKED", now)
            .await
            .unwrap();
    } else if has("paused") {
        b.node
            .store()
            .record_consent_notice(&consent_id, "PAUSED", now)
            .await
            .unwrap();
    }
    if has("frequency") {
        let used = b
            .node
            .store()
            .try_record_fetch(
                &consent_id,
                &AccountId::new("*"),
                "FI",
                now - SignedDuration::from_hours(1),
                now,
                1,
            )
            .await
            .unwrap();
        assert!(used);
    }
    let keys = EphemeralKeyPair::generate(now + SignedDuration::from_mins(5));
    let key_material = keys.key_material();
    if has("replay") {
        assert!(b
            .node
            .store()
            .first_use_of_nonce(&consent_id, &key_material.nonce, now)
            .await
            .unwrap());
    }
    let range = has("dates").then(|| FiRange {
        from: a.fi_data_range.from - SignedDuration::from_hours(24),
        to: now,
    });
    let request = FiRequest {
        txnid: "t1".into(),
        consent: token,
        purpose: if has("purpose") {
            "101".into()
        } else {
            "102".into()
        },
        range,
        key_material,
        limit: None,
        cursors: Default::default(),
    };
    let assertion = b.cm.sign(&ClientAssertion::new(
        "anumati-consent",
        "anumati-bank",
        now.as_second(),
    ));
    let response = b
        .peer
        .send(
            Method::POST,
            "/v1/fi/fetch",
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

fn assert_refused(faults: &[&str], (status, body): &(u16, String)) {
    assert_ne!(*status, 200, "faults {faults:?} were served");
    assert!(
        !body.contains("encryptedFI") && !body.contains("signed"),
        "faults {faults:?} leaked: {body}"
    );
}

#[tokio::test]
async fn a_clean_request_is_served_and_each_fault_alone_is_refused() {
    let b = bank().await;
    let (status, body) = attempt(&b, &[]).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("signed"));
    for (fault, code) in [
        ("forged", "consent_invalid"),
        ("altered", "consent_invalid"),
        ("expired", "consent_refused"),
        ("revoked", "consent_not_active"),
        ("paused", "consent_not_active"),
        ("purpose", "consent_refused"),
        ("account", "consent_refused"),
        ("dates", "consent_refused"),
        ("frequency", "consent_frequency_exceeded"),
        ("replay", "replayed"),
    ] {
        let outcome = attempt(&b, &[fault]).await;
        assert_refused(&[fault], &outcome);
        assert!(
            outcome.1.contains(&format!("\"code\":\"{code}\"")),
            "{fault}: {}",
            outcome.1
        );
    }
}

#[tokio::test]
async fn only_the_consent_manager_may_ask() {
    let b = bank().await;
    let response = b
        .peer
        .send(
            Method::POST,
            "/v1/fi/fetch",
            &[],
            Some(&serde_json::json!({})),
        )
        .await
        .unwrap();
    assert!(response.status.is_client_error());
    let now = b.clock.now();
    let stranger = Signer::generate("cm-1").sign(&ClientAssertion::new(
        "anumati-consent",
        "anumati-bank",
        now.as_second(),
    ));
    let request = FiRequest {
        txnid: "t".into(),
        consent: b.cm.sign(&artefact(&b, "cst_x", now, &b.mine.1, 10)),
        purpose: "102".into(),
        range: None,
        key_material: EphemeralKeyPair::generate(now + SignedDuration::from_mins(5)).key_material(),
        limit: None,
        cursors: Default::default(),
    };
    let response = b
        .peer
        .send(
            Method::POST,
            "/v1/fi/fetch",
            &[("x-client-assertion", stranger.as_str())],
            Some(&serde_json::to_value(&request).unwrap()),
        )
        .await
        .unwrap();
    assert_eq!(response.status.as_u16(), 401);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn no_combination_of_faults_returns_data(mask in 1u16..(1 << FAULTS.len())) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let b = bank().await;
            let faults: Vec<&str> = FAULTS.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, f)| *f).collect();
            let outcome = attempt(&b, &faults).await;
            assert_refused(&faults, &outcome);
        });
    }
}

#[tokio::test]
async fn pages_of_transactions_join_up_exactly() {
    let b = bank().await;
    let now = b.clock.now();
    let account = b.mine.1[0].clone();
    let a = artefact(&b, "cst_pages", now, std::slice::from_ref(&account), 1_000);
    let token = b.cm.sign(&a);
    let store_account = b.node.store().account(&account).await.unwrap().unwrap();
    let all = b
        .node
        .store()
        .transactions(&store_account, a.fi_data_range.from, now, 5_000, None)
        .await
        .unwrap()
        .transactions;
    assert!(all.len() > 20, "enough history to page through");
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let keys = EphemeralKeyPair::generate(now + SignedDuration::from_mins(5));
        let request = FiRequest {
            txnid: "p".into(),
            consent: token.clone(),
            purpose: "102".into(),
            range: None,
            key_material: keys.key_material(),
            limit: Some(7),
            cursors: cursor
                .iter()
                .map(|c| (account.to_string(), c.clone()))
                .collect(),
        };
        let assertion = b.cm.sign(&ClientAssertion::new(
            "anumati-consent",
            "anumati-bank",
            now.as_second(),
        ));
        let response = b
            .peer
            .send(
                Method::POST,
                "/v1/fi/fetch",
                &[("x-client-assertion", assertion.as_str())],
                Some(&serde_json::to_value(&request).unwrap()),
            )
            .await
            .unwrap();
        assert_eq!(response.status.as_u16(), 200);
        let signed: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
        let body = String::from_utf8_lossy(&response.body);
        let mut bank_keys = KeySet::new();
        bank_keys.insert("bank-1", b.node.public_jwk().verifying_key().unwrap());
        let fi: anumati_bank::fi::FiResponse = bank_keys
            .verify(signed["signed"].as_str().unwrap())
            .unwrap();
        use base64::Engine;
        let sealed = base64::engine::general_purpose::STANDARD
            .decode(&fi.fi[0].encrypted_fi)
            .unwrap();
        let plain = anumati_fi_crypto::decrypt(&keys, &fi.key_material, &sealed, now).unwrap();
        let data: anumati_domain::fi::AccountData = serde_json::from_slice(&plain).unwrap();
        assert!(data.transactions.as_ref().unwrap().len() <= 7);
        seen.extend(data.transactions.unwrap());
        if let Some(next) = &data.next_cursor {
            assert!(
                !body.contains(next.as_str()),
                "the cursor travels only encrypted"
            );
        }
        match data.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, all);

    // A cursor from one consent is worthless under another.
    let other = b.cm.sign(&artefact(
        &b,
        "cst_other",
        now,
        std::slice::from_ref(&account),
        10,
    ));
    let keys = EphemeralKeyPair::generate(now + SignedDuration::from_mins(5));
    let first = {
        let request = FiRequest {
            txnid: "q".into(),
            consent: token.clone(),
            purpose: "102".into(),
            range: None,
            key_material: keys.key_material(),
            limit: Some(3),
            cursors: Default::default(),
        };
        b.node.fi_fetch(&request).await.unwrap()
    };
    let mut bank_keys = KeySet::new();
    bank_keys.insert("bank-1", b.node.public_jwk().verifying_key().unwrap());
    let fi: anumati_bank::fi::FiResponse = bank_keys.verify(&first.signed).unwrap();
    use base64::Engine;
    let plain = anumati_fi_crypto::decrypt(
        &keys,
        &fi.key_material,
        &base64::engine::general_purpose::STANDARD
            .decode(&fi.fi[0].encrypted_fi)
            .unwrap(),
        now,
    )
    .unwrap();
    let data: anumati_domain::fi::AccountData = serde_json::from_slice(&plain).unwrap();
    let request = FiRequest {
        txnid: "r".into(),
        consent: other,
        purpose: "102".into(),
        range: None,
        key_material: EphemeralKeyPair::generate(now + SignedDuration::from_mins(5)).key_material(),
        limit: Some(3),
        cursors: [(account.to_string(), data.next_cursor.unwrap())]
            .into_iter()
            .collect(),
    };
    assert!(matches!(
        b.node.fi_fetch(&request).await,
        Err(anumati_bank::BankError::BadRequest(_))
    ));
}
