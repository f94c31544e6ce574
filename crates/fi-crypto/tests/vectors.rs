//! The crate against independent vectors: `tests/vectors.json` was printed by
//! `tests/vectors.py`, which uses Python's `cryptography` package (OpenSSL),
//! not this crate. Its first vector is anchored to RFC 7748's shared secret
//! and to the session key printed by Sahamati rahasya's own Node sample.

use std::path::Path;
use std::process::Command;

use anumati_fi_crypto::{
    decrypt, derive_session_key, encrypt, shared_secret, xor_nonces, EphemeralKeyPair, KeyMaterial,
};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use jiff::Timestamp;
use secrecy::ExposeSecret;
use serde_json::Value;

const VECTORS: &str = include_str!("vectors.json");

fn vectors() -> Vec<Value> {
    let all: Value = serde_json::from_str(VECTORS).expect("vectors.json is JSON");
    all["vectors"].as_array().expect("a vectors array").clone()
}

fn text<'a>(v: &'a Value, field: &str) -> &'a str {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} is a string"))
}

fn bytes32(hex_text: &str) -> [u8; 32] {
    hex::decode(hex_text).unwrap().try_into().unwrap()
}

fn b64_32(b64: &str) -> [u8; 32] {
    STANDARD.decode(b64).unwrap().try_into().unwrap()
}

/// Before the vectors' key material expires (2030-01-01).
fn now() -> Timestamp {
    "2029-12-31T23:59:59Z".parse().unwrap()
}

fn expiry() -> Timestamp {
    "2030-01-01T00:00:00Z".parse().unwrap()
}

#[test]
fn rust_reproduces_every_value_in_vectors_json() {
    let vectors = vectors();
    assert_eq!(vectors.len(), 3);
    for v in &vectors {
        let name = text(v, "name");
        let app = EphemeralKeyPair::from_secret_bytes(
            bytes32(text(v, "app_private_key_hex")),
            b64_32(text(v, "app_nonce_b64")),
            expiry(),
        );
        let bank = EphemeralKeyPair::from_secret_bytes(
            bytes32(text(v, "bank_private_key_hex")),
            b64_32(text(v, "bank_nonce_b64")),
            expiry(),
        );

        // Public keys and the key material, in both KeyValue forms.
        let app_km = app.key_material();
        assert_eq!(
            app_km.dh_public_key.key_value,
            text(v, "app_public_key_b64"),
            "{name}"
        );
        assert_eq!(app_km.nonce, text(v, "app_nonce_b64"), "{name}");
        assert_eq!(
            app.key_material_pem().dh_public_key.key_value,
            text(v, "app_public_key_pem"),
            "{name}"
        );
        assert_eq!(
            bank.key_material_pem().dh_public_key.key_value,
            text(v, "bank_public_key_pem"),
            "{name}"
        );
        let bank_km_json: KeyMaterial =
            serde_json::from_value(v["bank_key_material"].clone()).unwrap();
        assert_eq!(bank.key_material(), bank_km_json, "{name}");
        assert_eq!(
            serde_json::to_value(bank.key_material()).unwrap(),
            v["bank_key_material"],
            "{name}: the key material serialises as Python wrote it"
        );

        // Step 1: key agreement, both ways.
        let shared = shared_secret(&bank, &app_km, now()).unwrap();
        assert_eq!(
            hex::encode(shared.expose_secret()),
            text(v, "shared_secret_hex"),
            "{name}"
        );
        let shared_app = shared_secret(&app, &bank_km_json, now()).unwrap();
        assert_eq!(shared_app.expose_secret(), shared.expose_secret(), "{name}");

        // Steps 2-4: nonces, salt, IV, session key.
        let xored = xor_nonces(&app.nonce(), &bank.nonce());
        assert_eq!(hex::encode(xored), text(v, "xored_nonce_hex"), "{name}");
        assert_eq!(hex::encode(&xored[..20]), text(v, "salt_hex"), "{name}");
        let (key, iv) = derive_session_key(shared.expose_secret(), &bank.nonce(), &app.nonce());
        assert_eq!(
            hex::encode(key.expose_secret()),
            text(v, "session_key_hex"),
            "{name}"
        );
        assert_eq!(hex::encode(iv), text(v, "iv_hex"), "{name}");

        // Step 5: the bank's ciphertext, byte for byte, and the app reads it.
        let plaintext = text(v, "plaintext").as_bytes();
        let sealed = encrypt(&bank, &app_km, plaintext, now()).unwrap();
        assert_eq!(
            STANDARD.encode(&sealed),
            text(v, "ciphertext_b64"),
            "{name}"
        );
        let from_python = STANDARD.decode(text(v, "ciphertext_b64")).unwrap();
        assert_eq!(
            decrypt(&app, &bank_km_json, &from_python, now()).unwrap(),
            plaintext,
            "{name}"
        );

        // The same with the bank's key in the X.509 PEM form.
        let mut bank_km_pem = bank_km_json.clone();
        bank_km_pem.dh_public_key.key_value = text(v, "bank_public_key_pem").to_owned();
        assert_eq!(
            decrypt(&app, &bank_km_pem, &from_python, now()).unwrap(),
            plaintext,
            "{name}"
        );
    }
}

#[test]
fn first_vector_is_the_reference_sample() {
    // RFC 7748 section 6.1 and Sahamati rahasya's Node-X25519 sample.
    let v = &vectors()[0];
    assert_eq!(
        text(v, "shared_secret_hex"),
        "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"
    );
    assert_eq!(
        text(v, "session_key_hex"),
        "3b434ed3f93ce5ef1115a89955a50c0fa3ef09f449a842fed3bf81c2939f4261"
    );
}

fn python_has_cryptography() -> bool {
    Command::new("python3")
        .args(["-c", "import cryptography"])
        .output()
        .map(|out| out.status.success())
        .unwrap_or(false)
}

#[test]
fn python_agrees() {
    if !python_has_cryptography() {
        if std::env::var_os("CI").is_some() {
            panic!(
                "python3 with the `cryptography` package is needed for this test in CI \
                 (pip install cryptography)"
            );
        }
        eprintln!(
            "notice: python_agrees skipped: `python3 -c \"import cryptography\"` fails here \
             (pip install cryptography to run it)"
        );
        return;
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("python3")
        .arg("tests/vectors.py")
        .current_dir(dir)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "tests/vectors.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: Value = serde_json::from_slice(&out.stdout).expect("vectors.py prints JSON");
    let committed: Value = serde_json::from_str(VECTORS).unwrap();
    assert_eq!(
        printed, committed,
        "tests/vectors.py no longer prints tests/vectors.json; regenerate it and review the diff"
    );
}
