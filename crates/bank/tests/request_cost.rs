//! Benchmark, not a test (ignored): the CPU cost of one data request's
//! consent verification plus encryption and decryption, without storage.
//!   cargo test --release -p anumati-bank --test request_cost -- --ignored --nocapture

use anumati_domain::consent::{
    CardDataExtension, ConsentAccount, ConsentArtefact, ConsentMode, ConsentType, DataRequest,
    DateRange, FetchType, Party, Period, Purpose, TimeUnit,
};
use anumati_domain::{AccountId, ConsentId};
use anumati_fi_crypto::EphemeralKeyPair;
use anumati_wire::jws::{KeySet, Signer};
use jiff::{SignedDuration, Timestamp};

#[test]
#[ignore = "benchmark: run with --release --ignored --nocapture"]
fn verify_encrypt_decrypt_cost() {
    let now: Timestamp = "2026-11-01T12:00:00Z".parse().unwrap();
    let day = SignedDuration::from_hours(24);
    let account = AccountId::new("acc_000001_1");
    let artefact = ConsentArtefact {
        ver: "2.0.0".into(),
        consent_id: ConsentId::new("cst_1"),
        created: now,
        start: now,
        expiry: now + day * 365,
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
            id: "cus_000001".into(),
        },
        accounts: vec![ConsentAccount {
            fi_type: "DEPOSIT".into(),
            fip_id: "anumati-bank".into(),
            acc_type: "SAVINGS".into(),
            link_ref_number: account.clone(),
            masked_acc_number: "XXXXXXXXXX1234".into(),
        }],
        purpose: Purpose::from_code("102").unwrap(),
        fi_data_range: DateRange {
            from: now - day * 365,
            to: now + day * 365,
        },
        data_life: Period {
            unit: TimeUnit::Day,
            value: 30,
        },
        frequency: Period {
            unit: TimeUnit::Day,
            value: 100,
        },
        data_filter: vec![],
        extensions: CardDataExtension {
            merchant: true,
            place: true,
        },
    };
    let cm = Signer::generate("cm-1");
    let token = cm.sign(&artefact);
    let mut keys = KeySet::new();
    keys.insert(cm.kid(), cm.verifying_key());
    // About 4 KB: one account's balance and a dozen transactions as JSON.
    let payload = vec![b'x'; 4096];
    let mut times = Vec::with_capacity(10_000);
    for i in 0..10_500 {
        let t0 = std::time::Instant::now();
        let checked: ConsentArtefact = keys.verify(&token).unwrap();
        checked
            .permits(
                &DataRequest {
                    account: &account,
                    consent_type: ConsentType::Transactions,
                    purpose_code: "102",
                    from: now - day,
                    to: now,
                },
                now,
            )
            .unwrap();
        let app = EphemeralKeyPair::generate(now + SignedDuration::from_mins(5));
        let bank = EphemeralKeyPair::generate(now + SignedDuration::from_mins(5));
        let sealed = anumati_fi_crypto::encrypt(&bank, &app.key_material(), &payload, now).unwrap();
        let opened = anumati_fi_crypto::decrypt(&app, &bank.key_material(), &sealed, now).unwrap();
        assert_eq!(opened.len(), payload.len());
        if i >= 500 {
            times.push(t0.elapsed());
        }
    }
    times.sort();
    let us = |p: usize| times[times.len() * p / 100].as_secs_f64() * 1e6;
    println!("verify + permits + 2 key pairs + encrypt + decrypt (4 KB): median {:.0} µs, p99 {:.0} µs over {} runs", us(50), us(99), times.len());
}
