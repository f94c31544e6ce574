//! Cost of one bank -> app exchange of a ~4 KB FI JSON document: the bank's
//! `encrypt` plus the app's `decrypt`, each doing its own X25519 key
//! agreement, HKDF and AES-256-GCM. Ignored by default; run it optimised:
//!
//! ```text
//! cargo test --release -p anumati-fi-crypto --test bench -- --ignored --nocapture
//! ```

use std::hint::black_box;
use std::time::Instant;

use anumati_fi_crypto::{decrypt, encrypt, EphemeralKeyPair};
use jiff::Timestamp;

const RUNS: usize = 10_000;
const WARMUP: usize = 500;

fn fi_json(target_len: usize) -> String {
    let mut out = String::from(
        r#"{"account":{"type":"deposit","maskedAccNumber":"XXXXXX4321","Summary":{"currentBalance":"25041.50","currency":"INR"},"Transactions":{"Transaction":["#,
    );
    let mut i = 0;
    while out.len() < target_len - 200 {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!(
            r#"{{"txnId":"T{i:05}","type":"DEBIT","mode":"UPI","amount":"{}.{:02}","narration":"UPI/merchant{i}@okbank/groceries","valueDate":"2024-03-{:02}"}}"#,
            100 + i * 37 % 900,
            i % 100,
            1 + i % 28
        ));
        i += 1;
    }
    out.push_str("]}}}");
    out
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank]
}

#[test]
#[ignore = "benchmark: run with --release -- --ignored --nocapture"]
fn bench_encrypt_decrypt_4kb() {
    let payload = fi_json(4096);
    let now: Timestamp = "2025-06-01T10:00:00Z".parse().unwrap();
    let expiry: Timestamp = "2025-06-02T10:00:00Z".parse().unwrap();
    let app = EphemeralKeyPair::generate(expiry);
    let bank = EphemeralKeyPair::generate(expiry);
    let app_km = app.key_material();
    let bank_km = bank.key_material();

    let mut micros = Vec::with_capacity(RUNS);
    for run in 0..WARMUP + RUNS {
        let start = Instant::now();
        let sealed = encrypt(
            &bank,
            black_box(&app_km),
            black_box(payload.as_bytes()),
            now,
        )
        .unwrap();
        let opened = decrypt(&app, black_box(&bank_km), black_box(&sealed), now).unwrap();
        let elapsed = start.elapsed();
        assert_eq!(opened.len(), payload.len());
        if run >= WARMUP {
            micros.push(elapsed.as_secs_f64() * 1e6);
        }
    }
    micros.sort_by(f64::total_cmp);
    println!(
        "encrypt+decrypt of {} bytes of FI JSON (2 key agreements, 2 HKDF, AES-256-GCM both ways), {} runs: \
         median {:.1} µs, p99 {:.1} µs, min {:.1} µs, max {:.1} µs",
        payload.len(),
        RUNS,
        percentile(&micros, 0.5),
        percentile(&micros, 0.99),
        micros[0],
        micros[micros.len() - 1]
    );

    // With a fresh bank key pair per exchange, as the bank does per request.
    let mut micros = Vec::with_capacity(RUNS);
    for run in 0..WARMUP + RUNS {
        let start = Instant::now();
        let bank = EphemeralKeyPair::generate(expiry);
        let sealed = encrypt(
            &bank,
            black_box(&app_km),
            black_box(payload.as_bytes()),
            now,
        )
        .unwrap();
        let bank_km = bank.key_material();
        let opened = decrypt(&app, black_box(&bank_km), black_box(&sealed), now).unwrap();
        let elapsed = start.elapsed();
        assert_eq!(opened.len(), payload.len());
        if run >= WARMUP {
            micros.push(elapsed.as_secs_f64() * 1e6);
        }
    }
    micros.sort_by(f64::total_cmp);
    println!(
        "the same plus generating the bank's key pair and key material each time: \
         median {:.1} µs, p99 {:.1} µs",
        percentile(&micros, 0.5),
        percentile(&micros, 0.99)
    );
}
