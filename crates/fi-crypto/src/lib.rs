//! End-to-end encryption of financial information (FI) from the bank to the
//! data user, the way India's Account Aggregator (AA) ecosystem does it, so
//! that the consent manager in between relays ciphertext it cannot read.
//!
//! # The exchange
//!
//! 1. With each data request the data user (the chat app, an AA "FIU")
//!    generates an [`EphemeralKeyPair`] — an X25519 key with an expiry and a
//!    fresh random 32-byte nonce — and sends its public half as
//!    [`KeyMaterial`] (ReBIT's JSON: `cryptoAlg`, `curve`, `params`,
//!    `DHPublicKey{expiry, Parameters, KeyValue}`, `Nonce`).
//! 2. The bank (an AA "FIP") generates its own ephemeral key pair and nonce,
//!    [`encrypt`]s the data with them and the app's key material, and sends
//!    the ciphertext together with its own key material.
//! 3. The app [`decrypt`]s with its private key and the bank's key material.
//!
//! # The derivation
//!
//! Exactly as Sahamati's reference service *rahasya* performs it
//! (`XCipherService` and `X25519Service` in github.com/Sahamati/rahasya), so
//! ciphertext interoperates with Account Aggregator participants:
//!
//! 1. **Key agreement.** `shared = X25519(our private key, their public key)`
//!    (RFC 7748), used raw — no hashing of the 32-byte secret. An all-zero
//!    result (their key is a low-order point) is refused.
//! 2. **Nonces.** `xored = our nonce XOR their nonce`, both 32 bytes. XOR is
//!    symmetric, so both sides get the same value.
//! 3. **Salt and IV.** `salt = xored[0..20]`, `IV = xored[20..32]` (12 bytes).
//! 4. **Session key.** `key = HKDF-SHA256(IKM = shared, salt, info = empty)`,
//!    32 bytes of output (RFC 5869).
//! 5. **Encryption.** AES-256-GCM with that key and IV, no associated data,
//!    128-bit tag appended to the ciphertext (Java's `AES/GCM/NoPadding`
//!    output, which the reference returns). On the wire the AA puts
//!    `base64(ciphertext || tag)` (standard alphabet, padded) in
//!    `encryptedFI`; [`encrypt`] and [`decrypt`] work on the raw bytes.
//!    (Sahamati's security standards set AES-128-GCM as the minimum; the
//!    reference derives a 32-byte key and so uses AES-256.)
//!
//! [`derive_session_key`] exposes steps 2–4 for tests. The derivation is
//! pinned by `tests/vectors.json`, computed independently with Python's
//! `cryptography` package; its first vector reproduces the session key
//! printed by rahasya's own Node sample (RFC 7748's keys with two fixed
//! nonces).
//!
//! # Key and nonce encodings
//!
//! The nonce is standard base64 of 32 bytes (rahasya's `base64YourNonce` /
//! `base64RemoteNonce`, ReBIT's "256-bit nonce").
//!
//! `KeyValue` is read in either of two forms:
//!
//! * **raw** — standard base64 of the 32-byte X25519 public key. This is the
//!   primary form, and what [`EphemeralKeyPair::key_material`] emits: it is
//!   the key itself, with nothing to parse.
//! * **X.509 PEM** — what rahasya's X25519 service emits and requires: a
//!   `-----BEGIN PUBLIC KEY-----` PEM of the DER SubjectPublicKeyInfo of
//!   RFC 8410 (`30 2a 30 05 06 03 2b 65 6e 03 21 00` + the 32 key bytes).
//!   [`EphemeralKeyPair::key_material_pem`] emits it, for a peer that runs
//!   rahasya. The same DER, base64 without the PEM armour, is read too.
//!
//! `expiry` is emitted as `YYYY-MM-DDTHH:MM:SS.sssZ` (the reference's Java
//! format, which needs exactly three fractional digits) and read as RFC 3339
//! or with a `+hhmm` offset. Key material is refused once `now >= expiry`,
//! as the reference does; the caller passes `now` — there is no clock here.
//!
//! # Differences from the reference, on purpose
//!
//! * Key material is refused when the nonce is not exactly 32 bytes (the
//!   reference XORs nonces of any length, cycling the shorter one) and when
//!   the shared secret is all zeros (the reference's raw scalar
//!   multiplication does not check).
//! * `DHPublicKey.Parameters` is written as ReBIT spells it; rahasya's DTO
//!   spells it `Parameter`, which is accepted when reading.
//! * rahasya's experimental C sample derives the key with BLAKE2b instead of
//!   HKDF; like the rahasya service and its Node sample, this crate uses HKDF.

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce as GcmNonce};
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use hkdf::Hkdf;
use jiff::Timestamp;
use rand::rngs::OsRng;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretBox};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroize;

/// Bytes in a nonce of the key material.
pub const NONCE_LEN: usize = 32;
/// Bytes in an X25519 key and in the AES-256 session key.
pub const KEY_LEN: usize = 32;
/// Bytes of the XOR-ed nonces used as the HKDF salt.
pub const SALT_LEN: usize = 20;
/// Bytes of the XOR-ed nonces used as the AES-GCM IV.
pub const IV_LEN: usize = 12;
/// Bytes of the GCM tag appended to the ciphertext.
pub const TAG_LEN: usize = 16;

/// `cryptoAlg` this crate writes (ReBIT's value).
pub const CRYPTO_ALG: &str = "ECDH";
/// `curve` this crate writes (ReBIT's value).
pub const CURVE: &str = "Curve25519";

/// DER prefix of an X25519 SubjectPublicKeyInfo (RFC 8410): SEQUENCE {
/// SEQUENCE { OID 1.3.101.110 }, BIT STRING (0 unused bits) }.
const SPKI_X25519_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00,
];
const PEM_BEGIN: &str = "-----BEGIN PUBLIC KEY-----";
const PEM_END: &str = "-----END PUBLIC KEY-----";

/// Standard base64 that reads values with or without `=` padding, as Java's
/// `Base64.getDecoder()` does.
const BASE64_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// What can go wrong. Messages name the problem, never key bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// `now` is at or after the key material's `expiry`.
    #[error("the peer's key material expired at {expiry}")]
    Expired {
        /// The `expiry` as the peer sent it.
        expiry: String,
    },
    /// `expiry` is not a timestamp.
    #[error("the peer's key material has an unreadable expiry {0:?}")]
    BadExpiry(String),
    /// `curve` names something other than Curve25519.
    #[error("unsupported curve {0:?}: only Curve25519 (X25519) is supported")]
    UnsupportedCurve(String),
    /// `KeyValue` is not a 32-byte X25519 public key in a known form.
    #[error("the peer's public key is unusable: {0}")]
    BadPublicKey(String),
    /// `Nonce` is not base64 of 32 bytes.
    #[error("the nonce is unusable: {0}")]
    BadNonce(String),
    /// Key agreement gave the all-zero secret: the peer's key is a low-order
    /// point, which would make the session key public.
    #[error("key agreement produced an all-zero secret (low-order public key)")]
    LowOrderPoint,
    /// Authentication failed: wrong key, wrong nonce or altered ciphertext.
    #[error("decryption failed: wrong key or nonce, or the ciphertext was altered")]
    Decrypt,
    /// AES-GCM refused the plaintext (longer than GCM allows).
    #[error("encryption failed")]
    Encrypt,
}

/// ReBIT's `KeyMaterial`: an ephemeral public key, its expiry and a nonce.
/// It carries nothing secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyMaterial {
    /// Key agreement algorithm: `ECDH` (rahasya writes `X25519`).
    #[serde(rename = "cryptoAlg")]
    pub crypto_alg: String,
    /// `Curve25519` (rahasya's X25519 service writes an empty string).
    pub curve: String,
    /// Free-form parameters; empty here.
    #[serde(default)]
    pub params: String,
    /// The public key and its expiry.
    #[serde(rename = "DHPublicKey")]
    pub dh_public_key: DhPublicKey,
    /// Standard base64 of 32 random bytes.
    #[serde(rename = "Nonce")]
    pub nonce: String,
}

/// ReBIT's `DHPublicKey`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DhPublicKey {
    /// Until when the key may be used, e.g. `2030-01-01T00:00:00.000Z`.
    #[serde(alias = "Expiry")]
    pub expiry: String,
    /// Free-form parameters; empty here.
    #[serde(rename = "Parameters", alias = "Parameter", default)]
    pub parameters: String,
    /// The public key: base64 of its 32 bytes, or an X.509 PEM (see the crate
    /// documentation).
    #[serde(rename = "KeyValue")]
    pub key_value: String,
}

impl KeyMaterial {
    /// Checks everything [`encrypt`] and [`decrypt`] check before key
    /// agreement: the curve, the expiry against `now`, the public key and
    /// the nonce. A bank can call it before fetching any data.
    pub fn check(&self, now: Timestamp) -> Result<(), CryptoError> {
        self.parse(now).map(|_| ())
    }

    fn parse(&self, now: Timestamp) -> Result<([u8; KEY_LEN], [u8; NONCE_LEN]), CryptoError> {
        let curve = self.curve.trim();
        if !(curve.is_empty()
            || curve.eq_ignore_ascii_case("curve25519")
            || curve.eq_ignore_ascii_case("x25519"))
        {
            return Err(CryptoError::UnsupportedCurve(self.curve.clone()));
        }
        let expiry = parse_expiry(&self.dh_public_key.expiry)?;
        if now >= expiry {
            return Err(CryptoError::Expired {
                expiry: self.dh_public_key.expiry.clone(),
            });
        }
        let public = parse_public_key(&self.dh_public_key.key_value)?;
        let nonce = parse_nonce(&self.nonce)?;
        Ok((public, nonce))
    }
}

fn parse_expiry(text: &str) -> Result<Timestamp, CryptoError> {
    let text = text.trim();
    text.parse::<Timestamp>()
        .or_else(|_| Timestamp::strptime("%Y-%m-%dT%H:%M:%S%.f%z", text))
        .map_err(|_| CryptoError::BadExpiry(text.to_owned()))
}

fn parse_public_key(key_value: &str) -> Result<[u8; KEY_LEN], CryptoError> {
    let text = key_value.trim();
    let (body, armoured) = match text.strip_prefix(PEM_BEGIN) {
        Some(rest) => {
            let body = rest
                .trim_end()
                .strip_suffix(PEM_END)
                .ok_or_else(|| CryptoError::BadPublicKey(format!("PEM without {PEM_END:?}")))?;
            (body, true)
        }
        None => (text, false),
    };
    let compact: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let bytes = BASE64_LENIENT
        .decode(compact.as_bytes())
        .map_err(|e| CryptoError::BadPublicKey(format!("not base64 ({e})")))?;
    let raw = match bytes.len() {
        KEY_LEN if !armoured => &bytes[..],
        44 if bytes.starts_with(&SPKI_X25519_PREFIX) => &bytes[SPKI_X25519_PREFIX.len()..],
        44 => {
            return Err(CryptoError::BadPublicKey(
                "a SubjectPublicKeyInfo that is not X25519".to_owned(),
            ))
        }
        n => {
            return Err(CryptoError::BadPublicKey(format!(
                "{n} bytes, not a 32-byte X25519 key or its 44-byte X.509 form"
            )))
        }
    };
    let mut key = [0u8; KEY_LEN];
    key.copy_from_slice(raw);
    Ok(key)
}

fn parse_nonce(text: &str) -> Result<[u8; NONCE_LEN], CryptoError> {
    let bytes = BASE64_LENIENT
        .decode(text.trim().as_bytes())
        .map_err(|e| CryptoError::BadNonce(format!("not base64 ({e})")))?;
    bytes
        .as_slice()
        .try_into()
        .map_err(|_| CryptoError::BadNonce(format!("{} bytes, not {NONCE_LEN}", bytes.len())))
}

/// Formats a timestamp as the reference's Java code writes and reads it:
/// UTC, exactly three fractional digits, `Z`.
fn format_expiry(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// One side's ephemeral X25519 key pair, its nonce and its expiry. The
/// private key is wiped from memory when the pair is dropped, and `Debug`
/// does not show it. Use a pair for one data exchange only.
pub struct EphemeralKeyPair {
    secret: StaticSecret,
    public: PublicKey,
    nonce: [u8; NONCE_LEN],
    expiry: Timestamp,
}

impl EphemeralKeyPair {
    /// A fresh key pair and a fresh random nonce from the operating system's
    /// generator, valid until `expiry`.
    pub fn generate(expiry: Timestamp) -> Self {
        let secret = StaticSecret::random_from_rng(OsRng);
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        Self::from_secret(secret, nonce, expiry)
    }

    /// A key pair from given private key bytes and nonce: for fixed test
    /// vectors. `secret` is wiped after use. Prefer [`Self::generate`].
    pub fn from_secret_bytes(
        mut secret: [u8; KEY_LEN],
        nonce: [u8; NONCE_LEN],
        expiry: Timestamp,
    ) -> Self {
        let static_secret = StaticSecret::from(secret);
        secret.zeroize();
        Self::from_secret(static_secret, nonce, expiry)
    }

    fn from_secret(secret: StaticSecret, nonce: [u8; NONCE_LEN], expiry: Timestamp) -> Self {
        let public = PublicKey::from(&secret);
        Self {
            secret,
            public,
            nonce,
            expiry,
        }
    }

    /// The 32-byte public key.
    pub fn public_key(&self) -> [u8; KEY_LEN] {
        self.public.to_bytes()
    }

    /// The nonce sent with the public key.
    pub fn nonce(&self) -> [u8; NONCE_LEN] {
        self.nonce
    }

    /// Until when the peer may use the public key.
    pub fn expiry(&self) -> Timestamp {
        self.expiry
    }

    /// The key material to send: `KeyValue` is base64 of the raw 32-byte
    /// public key (the primary form).
    pub fn key_material(&self) -> KeyMaterial {
        self.key_material_with(STANDARD.encode(self.public.as_bytes()))
    }

    /// The key material with `KeyValue` as an X.509 SubjectPublicKeyInfo PEM,
    /// the form rahasya's X25519 service requires of a peer.
    pub fn key_material_pem(&self) -> KeyMaterial {
        let mut der = Vec::with_capacity(SPKI_X25519_PREFIX.len() + KEY_LEN);
        der.extend_from_slice(&SPKI_X25519_PREFIX);
        der.extend_from_slice(self.public.as_bytes());
        let body = STANDARD.encode(der);
        // 44 bytes of DER are 60 base64 characters: one PEM line.
        self.key_material_with(format!("{PEM_BEGIN}\n{body}\n{PEM_END}\n"))
    }

    fn key_material_with(&self, key_value: String) -> KeyMaterial {
        KeyMaterial {
            crypto_alg: CRYPTO_ALG.to_owned(),
            curve: CURVE.to_owned(),
            params: String::new(),
            dh_public_key: DhPublicKey {
                expiry: format_expiry(self.expiry),
                parameters: String::new(),
                key_value,
            },
            nonce: STANDARD.encode(self.nonce),
        }
    }
}

impl fmt::Debug for EphemeralKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EphemeralKeyPair")
            .field("public", &STANDARD.encode(self.public.as_bytes()))
            .field("nonce", &STANDARD.encode(self.nonce))
            .field("expiry", &self.expiry)
            .field("secret", &"[REDACTED]")
            .finish()
    }
}

/// Step 1: the X25519 shared secret of our private key and the public key in
/// `their` key material, after checking that key material (see
/// [`KeyMaterial::check`]). Refuses the all-zero secret.
pub fn shared_secret(
    our: &EphemeralKeyPair,
    their: &KeyMaterial,
    now: Timestamp,
) -> Result<SecretBox<[u8; KEY_LEN]>, CryptoError> {
    let (their_public, _) = their.parse(now)?;
    agree(our, &their_public)
}

fn agree(
    our: &EphemeralKeyPair,
    their_public: &[u8; KEY_LEN],
) -> Result<SecretBox<[u8; KEY_LEN]>, CryptoError> {
    let shared = our.secret.diffie_hellman(&PublicKey::from(*their_public));
    if !shared.was_contributory() {
        return Err(CryptoError::LowOrderPoint);
    }
    Ok(SecretBox::init_with_mut(|out: &mut [u8; KEY_LEN]| {
        out.copy_from_slice(shared.as_bytes())
    }))
}

/// Step 2: the byte-wise XOR of the two nonces.
pub fn xor_nonces(our_nonce: &[u8; NONCE_LEN], their_nonce: &[u8; NONCE_LEN]) -> [u8; NONCE_LEN] {
    std::array::from_fn(|i| our_nonce[i] ^ their_nonce[i])
}

/// Steps 2–4: the AES-256 session key and the GCM IV from the shared secret
/// and the two nonces (their order does not matter).
pub fn derive_session_key(
    shared_secret: &[u8; KEY_LEN],
    our_nonce: &[u8; NONCE_LEN],
    their_nonce: &[u8; NONCE_LEN],
) -> (SecretBox<[u8; KEY_LEN]>, [u8; IV_LEN]) {
    let xored = xor_nonces(our_nonce, their_nonce);
    let (salt, iv_bytes) = xored.split_at(SALT_LEN);
    let hkdf = Hkdf::<Sha256>::new(Some(salt), shared_secret);
    let key = SecretBox::init_with_mut(|okm: &mut [u8; KEY_LEN]| {
        hkdf.expand(&[], okm)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
    });
    let mut iv = [0u8; IV_LEN];
    iv.copy_from_slice(iv_bytes);
    (key, iv)
}

fn session_cipher(
    our: &EphemeralKeyPair,
    their: &KeyMaterial,
    now: Timestamp,
) -> Result<(Aes256Gcm, [u8; IV_LEN]), CryptoError> {
    let (their_public, their_nonce) = their.parse(now)?;
    let shared = agree(our, &their_public)?;
    let (key, iv) = derive_session_key(shared.expose_secret(), &our.nonce, &their_nonce);
    let cipher = Aes256Gcm::new(key.expose_secret().into());
    Ok((cipher, iv))
}

/// Encrypts `plaintext` for the holder of `their` key material with our key
/// pair and nonce: returns `ciphertext || 16-byte tag` (base64 it for
/// `encryptedFI`). Send `our.key_material()` along with it.
///
/// Fails when their key material has expired at `now`, is on another curve,
/// its key or nonce is not 32 bytes, or the key is a low-order point.
pub fn encrypt(
    our: &EphemeralKeyPair,
    their: &KeyMaterial,
    plaintext: &[u8],
    now: Timestamp,
) -> Result<Vec<u8>, CryptoError> {
    let (cipher, iv) = session_cipher(our, their, now)?;
    cipher
        .encrypt(GcmNonce::from_slice(&iv), plaintext)
        .map_err(|_| CryptoError::Encrypt)
}

/// Decrypts `ciphertext || tag` sent by the holder of `their` key material,
/// with our key pair and nonce. Fails as [`encrypt`] does, and with
/// [`CryptoError::Decrypt`] when the tag does not verify (wrong key, wrong
/// nonce, altered ciphertext).
pub fn decrypt(
    our: &EphemeralKeyPair,
    their: &KeyMaterial,
    ciphertext: &[u8],
    now: Timestamp,
) -> Result<Vec<u8>, CryptoError> {
    let (cipher, iv) = session_cipher(our, their, now)?;
    cipher
        .decrypt(GcmNonce::from_slice(&iv), ciphertext)
        .map_err(|_| CryptoError::Decrypt)
}

#[cfg(test)]
mod tests;
