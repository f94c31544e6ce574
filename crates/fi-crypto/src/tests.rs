use super::*;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

const NOW: &str = "2025-06-01T10:00:00Z";
const EXPIRY: &str = "2025-06-02T10:00:00Z";

fn pair() -> EphemeralKeyPair {
    EphemeralKeyPair::generate(ts(EXPIRY))
}

const FI: &[u8] =
    br#"{"account":{"maskedAccNumber":"XXXX4321","Summary":{"currentBalance":"25041.50"}}}"#;

#[test]
fn round_trip_app_to_bank_and_back() {
    let now = ts(NOW);
    let app = pair();
    let bank = pair();
    let sealed = encrypt(&bank, &app.key_material(), FI, now).unwrap();
    assert_eq!(sealed.len(), FI.len() + TAG_LEN);
    assert_ne!(&sealed[..FI.len()], FI);
    let opened = decrypt(&app, &bank.key_material(), &sealed, now).unwrap();
    assert_eq!(opened, FI);
}

#[test]
fn round_trip_through_json_and_pem_key_material() {
    let now = ts(NOW);
    let app = pair();
    let bank = pair();
    // The app's request and the bank's answer travel as JSON; the bank
    // answers with the PEM form, as rahasya would.
    let app_km: KeyMaterial =
        serde_json::from_str(&serde_json::to_string(&app.key_material()).unwrap()).unwrap();
    let bank_km: KeyMaterial =
        serde_json::from_str(&serde_json::to_string(&bank.key_material_pem()).unwrap()).unwrap();
    let sealed = encrypt(&bank, &app_km, FI, now).unwrap();
    assert_eq!(decrypt(&app, &bank_km, &sealed, now).unwrap(), FI);
    // Both forms of one key agree.
    assert_eq!(
        parse_public_key(&bank.key_material().dh_public_key.key_value).unwrap(),
        parse_public_key(&bank_km.dh_public_key.key_value).unwrap()
    );
}

#[test]
fn empty_plaintext_round_trips() {
    let now = ts(NOW);
    let (app, bank) = (pair(), pair());
    let sealed = encrypt(&bank, &app.key_material(), b"", now).unwrap();
    assert_eq!(sealed.len(), TAG_LEN);
    assert_eq!(
        decrypt(&app, &bank.key_material(), &sealed, now).unwrap(),
        b""
    );
}

#[test]
fn tampered_ciphertext_fails() {
    let now = ts(NOW);
    let (app, bank) = (pair(), pair());
    let sealed = encrypt(&bank, &app.key_material(), FI, now).unwrap();
    for i in [0, FI.len() / 2, sealed.len() - 1] {
        let mut bad = sealed.clone();
        bad[i] ^= 0x01;
        assert_eq!(
            decrypt(&app, &bank.key_material(), &bad, now),
            Err(CryptoError::Decrypt),
            "flipped byte {i}"
        );
    }
    let truncated = &sealed[..sealed.len() - 1];
    assert_eq!(
        decrypt(&app, &bank.key_material(), truncated, now),
        Err(CryptoError::Decrypt)
    );
    assert_eq!(
        decrypt(&app, &bank.key_material(), &[], now),
        Err(CryptoError::Decrypt)
    );
}

#[test]
fn wrong_nonce_fails() {
    let now = ts(NOW);
    let (app, bank) = (pair(), pair());
    let sealed = encrypt(&bank, &app.key_material(), FI, now).unwrap();
    // The bank's key with another nonce.
    let mut km = bank.key_material();
    let mut nonce = bank.nonce();
    nonce[0] ^= 0x80;
    km.nonce = STANDARD.encode(nonce);
    assert_eq!(decrypt(&app, &km, &sealed, now), Err(CryptoError::Decrypt));
    // The app's key with another nonce.
    let app_other_nonce =
        EphemeralKeyPair::from_secret(app.secret.clone(), [7u8; NONCE_LEN], app.expiry());
    assert_eq!(
        decrypt(&app_other_nonce, &bank.key_material(), &sealed, now),
        Err(CryptoError::Decrypt)
    );
}

#[test]
fn wrong_key_fails() {
    let now = ts(NOW);
    let (app, bank, eve) = (pair(), pair(), pair());
    let sealed = encrypt(&bank, &app.key_material(), FI, now).unwrap();
    // Another private key on the app's side …
    assert_eq!(
        decrypt(&eve, &bank.key_material(), &sealed, now),
        Err(CryptoError::Decrypt)
    );
    // … or another public key claimed for the bank, with the bank's nonce.
    let mut km = bank.key_material();
    km.dh_public_key.key_value = eve.key_material().dh_public_key.key_value;
    assert_eq!(decrypt(&app, &km, &sealed, now), Err(CryptoError::Decrypt));
}

#[test]
fn expired_key_material_is_refused() {
    let (app, bank) = (pair(), pair());
    let expiry = app.key_material().dh_public_key.expiry;
    assert_eq!(expiry, "2025-06-02T10:00:00.000Z");
    // At the expiry instant and after it, both ways.
    for now in [
        ts(EXPIRY),
        ts("2025-06-02T10:00:00.001Z"),
        ts("2026-01-01T00:00:00Z"),
    ] {
        assert_eq!(
            encrypt(&bank, &app.key_material(), FI, now),
            Err(CryptoError::Expired {
                expiry: expiry.clone()
            })
        );
        assert!(matches!(
            decrypt(&app, &bank.key_material(), &[0; 32], now),
            Err(CryptoError::Expired { .. })
        ));
        assert!(matches!(
            app.key_material().check(now),
            Err(CryptoError::Expired { .. })
        ));
    }
    // One millisecond before, it is fine.
    assert!(app
        .key_material()
        .check(ts("2025-06-02T09:59:59.999Z"))
        .is_ok());
}

#[test]
fn expiry_forms_are_read() {
    for (text, expect) in [
        ("2025-06-02T10:00:00.000Z", "2025-06-02T10:00:00Z"),
        ("2025-06-02T10:00:00Z", "2025-06-02T10:00:00Z"),
        ("2025-06-02T15:30:00+05:30", "2025-06-02T10:00:00Z"),
        ("2025-06-02T10:00:00.500+0000", "2025-06-02T10:00:00.5Z"),
    ] {
        assert_eq!(parse_expiry(text).unwrap(), ts(expect), "{text}");
    }
    let mut km = pair().key_material();
    km.dh_public_key.expiry = "tomorrow".into();
    assert_eq!(
        km.check(ts(NOW)),
        Err(CryptoError::BadExpiry("tomorrow".into()))
    );
}

#[test]
fn expiry_is_written_with_milliseconds() {
    assert_eq!(
        format_expiry(ts("2030-01-01T00:00:00Z")),
        "2030-01-01T00:00:00.000Z"
    );
    assert_eq!(
        format_expiry(ts("2030-01-01T00:00:00.5Z")),
        "2030-01-01T00:00:00.500Z"
    );
}

#[test]
fn key_not_32_bytes_is_refused() {
    let now = ts(NOW);
    let (app, bank) = (pair(), pair());
    for bytes in [vec![9u8; 31], vec![9u8; 33], vec![], vec![9u8; 44]] {
        let mut km = app.key_material();
        km.dh_public_key.key_value = STANDARD.encode(&bytes);
        assert!(
            matches!(
                encrypt(&bank, &km, FI, now),
                Err(CryptoError::BadPublicKey(_))
            ),
            "{} bytes",
            bytes.len()
        );
    }
    let mut km = app.key_material();
    km.dh_public_key.key_value = "not base64!".into();
    assert!(matches!(km.check(now), Err(CryptoError::BadPublicKey(_))));
    // A PEM around a bare 32-byte key is not X.509.
    km.dh_public_key.key_value =
        format!("{PEM_BEGIN}\n{}\n{PEM_END}\n", STANDARD.encode([9u8; 32]));
    assert!(matches!(km.check(now), Err(CryptoError::BadPublicKey(_))));
}

#[test]
fn nonce_not_32_bytes_is_refused() {
    let now = ts(NOW);
    let (app, bank) = (pair(), pair());
    for bytes in [vec![1u8; 31], vec![1u8; 33], vec![], vec![1u8; 16]] {
        let mut km = app.key_material();
        km.nonce = STANDARD.encode(&bytes);
        assert!(
            matches!(encrypt(&bank, &km, FI, now), Err(CryptoError::BadNonce(_))),
            "{} bytes",
            bytes.len()
        );
    }
    let mut km = app.key_material();
    km.nonce = "***".into();
    assert!(matches!(km.check(now), Err(CryptoError::BadNonce(_))));
}

#[test]
fn low_order_points_are_refused() {
    let now = ts(NOW);
    let bank = pair();
    // Points of order 1, 2, 4 and 8 on Curve25519 (and non-canonical
    // encodings of them): the shared secret is all zeros.
    let low_order: [[u8; 32]; 4] = [
        [0; 32],
        {
            let mut p = [0; 32];
            p[0] = 1;
            p
        },
        hex32("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
        hex32("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
    ];
    for point in low_order {
        let mut km = pair().key_material();
        km.dh_public_key.key_value = STANDARD.encode(point);
        assert_eq!(
            encrypt(&bank, &km, FI, now),
            Err(CryptoError::LowOrderPoint)
        );
        assert!(matches!(
            shared_secret(&bank, &km, now),
            Err(CryptoError::LowOrderPoint)
        ));
    }
}

fn hex32(s: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
    }
    out
}

#[test]
fn other_curves_are_refused_and_rahasya_spellings_accepted() {
    let now = ts(NOW);
    let mut km = pair().key_material();
    km.curve = "prime256v1".into();
    assert_eq!(
        km.check(now),
        Err(CryptoError::UnsupportedCurve("prime256v1".into()))
    );
    for curve in ["", "X25519", "curve25519"] {
        km.curve = curve.into();
        assert!(km.check(now).is_ok(), "{curve:?}");
    }
}

#[test]
fn key_material_json_uses_rebit_field_names() {
    let app = pair();
    let json = serde_json::to_value(app.key_material()).unwrap();
    let obj = json.as_object().unwrap();
    let mut keys: Vec<_> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["DHPublicKey", "Nonce", "cryptoAlg", "curve", "params"]
    );
    assert_eq!(obj["cryptoAlg"], "ECDH");
    assert_eq!(obj["curve"], "Curve25519");
    let dh = obj["DHPublicKey"].as_object().unwrap();
    let mut dh_keys: Vec<_> = dh.keys().map(String::as_str).collect();
    dh_keys.sort_unstable();
    assert_eq!(dh_keys, ["KeyValue", "Parameters", "expiry"]);
    assert_eq!(
        STANDARD.decode(dh["KeyValue"].as_str().unwrap()).unwrap(),
        app.public_key()
    );
    assert_eq!(
        STANDARD.decode(obj["Nonce"].as_str().unwrap()).unwrap(),
        app.nonce()
    );
}

#[test]
fn key_material_reads_rahasya_and_minimal_spellings() {
    // rahasya's DTO writes `Parameter`; some clients omit params/Parameters.
    let app = pair();
    let key = STANDARD.encode(app.public_key());
    let nonce = STANDARD.encode(app.nonce());
    let rahasya = format!(
        r#"{{"cryptoAlg":"X25519","curve":"","params":"","DHPublicKey":{{"expiry":"2025-06-02T10:00:00.000Z","Parameter":"","KeyValue":"{key}"}},"Nonce":"{nonce}"}}"#
    );
    let minimal = format!(
        r#"{{"cryptoAlg":"ECDH","curve":"Curve25519","DHPublicKey":{{"Expiry":"2025-06-02T10:00:00.000Z","KeyValue":"{key}"}},"Nonce":"{nonce}"}}"#
    );
    for json in [rahasya, minimal] {
        let km: KeyMaterial = serde_json::from_str(&json).unwrap();
        km.check(ts(NOW)).unwrap();
        assert_eq!(
            parse_public_key(&km.dh_public_key.key_value).unwrap(),
            app.public_key()
        );
    }
}

#[test]
fn pem_and_der_forms_are_read() {
    let app = pair();
    let pem = app.key_material_pem().dh_public_key.key_value;
    assert!(
        pem.starts_with("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VuAyEA"),
        "{pem}"
    );
    assert!(pem.ends_with("\n-----END PUBLIC KEY-----\n"));
    assert_eq!(parse_public_key(&pem).unwrap(), app.public_key());
    // CRLF line ends, the body split over lines, no trailing newline.
    let body = pem.lines().nth(1).unwrap();
    let crlf = format!(
        "{PEM_BEGIN}\r\n{}\r\n{}\r\n{PEM_END}",
        &body[..30],
        &body[30..]
    );
    assert_eq!(parse_public_key(&crlf).unwrap(), app.public_key());
    // The DER without the armour.
    assert_eq!(parse_public_key(body).unwrap(), app.public_key());
    // Unpadded base64 of the raw key.
    let unpadded = STANDARD
        .encode(app.public_key())
        .trim_end_matches('=')
        .to_owned();
    assert_eq!(parse_public_key(&unpadded).unwrap(), app.public_key());
}

#[test]
fn session_key_is_symmetric_in_the_nonces() {
    let shared = [0x42u8; 32];
    let (a, b) = ([1u8; 32], [2u8; 32]);
    let (k1, iv1) = derive_session_key(&shared, &a, &b);
    let (k2, iv2) = derive_session_key(&shared, &b, &a);
    assert_eq!(k1.expose_secret(), k2.expose_secret());
    assert_eq!(iv1, iv2);
    assert_eq!(iv1, [3u8; IV_LEN]);
}

#[test]
fn debug_never_shows_secrets() {
    let app = EphemeralKeyPair::from_secret_bytes([0xAB; 32], [0; 32], ts(EXPIRY));
    let shown = format!("{app:?}");
    assert!(shown.contains("[REDACTED]"), "{shown}");
    assert!(!shown.to_lowercase().contains("abab"), "{shown}");
    // The private key's base64 is not there either.
    assert!(
        !shown.contains(&STANDARD.encode([0xAB; 32])[..20]),
        "{shown}"
    );
    let (key, _) = derive_session_key(&[0xCD; 32], &[0; 32], &[0; 32]);
    let shown = format!("{key:?}");
    assert!(
        !shown.contains("205") && shown.contains("REDACTED"),
        "{shown}"
    );
}
