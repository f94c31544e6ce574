//! Compact JWS (RFC 7515) with `alg: EdDSA` (RFC 8037, Ed25519).
//!
//! Only EdDSA is accepted on verification: a token whose header names any
//! other algorithm (including `none`) is refused before its signature is read.

use std::fmt;
use std::path::Path;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use secrecy::ExposeSecretMut;
use secrecy::{ExposeSecret, SecretBox};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JwsError {
    #[error("not a compact JWS (expected three dot-separated parts)")]
    Malformed,
    #[error("JWS part is not valid base64url")]
    Encoding,
    #[error("JWS header is not acceptable: {0}")]
    Header(String),
    #[error("unknown signing key {0:?}")]
    UnknownKey(String),
    #[error("signature does not verify")]
    BadSignature,
    #[error("payload is not the expected JSON: {0}")]
    Payload(String),
    #[error("key file {0}: {1}")]
    KeyFile(String, String),
}

#[derive(Serialize, Deserialize)]
struct Header {
    alg: String,
    kid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    typ: Option<String>,
}

/// An Ed25519 signing key with a key id. Its `Debug` never shows the key.
pub struct Signer {
    kid: String,
    key: SigningKey,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("kid", &self.kid)
            .field("key", &"[redacted]")
            .finish()
    }
}

impl Signer {
    pub fn from_seed(kid: impl Into<String>, seed: &SecretBox<[u8; 32]>) -> Self {
        Signer {
            kid: kid.into(),
            key: SigningKey::from_bytes(seed.expose_secret()),
        }
    }

    pub fn generate(kid: impl Into<String>) -> Self {
        let seed = SecretBox::new(Box::new(rand::random::<[u8; 32]>()));
        Signer::from_seed(kid, &seed)
    }

    /// Loads the key's seed from `path` (hex), creating it with mode 0600 when absent.
    pub fn load_or_create(kid: impl Into<String>, path: &Path) -> Result<Self, JwsError> {
        let kid = kid.into();
        let err =
            |e: &dyn fmt::Display| JwsError::KeyFile(path.display().to_string(), e.to_string());
        if path.exists() {
            let text = SecretBox::new(Box::new(
                std::fs::read_to_string(path).map_err(|e| err(&e))?,
            ));
            let mut seed = SecretBox::new(Box::new([0u8; 32]));
            let hex = text.expose_secret().trim();
            if hex.len() != 64 {
                return Err(err(&"expected 64 hex digits"));
            }
            for (i, byte) in seed.expose_secret_mut().iter_mut().enumerate() {
                *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|e| err(&e))?;
            }
            return Ok(Signer::from_seed(kid, &seed));
        }
        let signer = Signer::generate(kid);
        let hex: String = signer
            .key
            .to_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        write_private(path, &hex).map_err(|e| err(&e))?;
        Ok(signer)
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// The public half, as a JWK (RFC 8037 OKP).
    pub fn public_jwk(&self) -> PublicJwk {
        PublicJwk::new(&self.kid, &self.verifying_key())
    }

    /// Signs `payload` (serialised as JSON) into a compact JWS.
    pub fn sign<T: Serialize>(&self, payload: &T) -> String {
        let header = Header {
            alg: "EdDSA".into(),
            kid: self.kid.clone(),
            typ: Some("JWT".into()),
        };
        let header = B64.encode(serde_json::to_vec(&header).expect("header serialises"));
        let body = B64.encode(serde_json::to_vec(payload).expect("payload serialises"));
        let signing_input = format!("{header}.{body}");
        let signature = self.key.sign(signing_input.as_bytes());
        format!("{signing_input}.{}", B64.encode(signature.to_bytes()))
    }
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

/// A public key as a JWK: `{"kty":"OKP","crv":"Ed25519","x":…,"kid":…}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicJwk {
    pub kty: String,
    pub crv: String,
    pub x: String,
    pub kid: String,
}

impl PublicJwk {
    pub fn new(kid: &str, key: &VerifyingKey) -> Self {
        PublicJwk {
            kty: "OKP".into(),
            crv: "Ed25519".into(),
            x: B64.encode(key.as_bytes()),
            kid: kid.into(),
        }
    }

    pub fn verifying_key(&self) -> Result<VerifyingKey, JwsError> {
        if self.kty != "OKP" || self.crv != "Ed25519" {
            return Err(JwsError::Header(format!(
                "unsupported key {}/{}",
                self.kty, self.crv
            )));
        }
        let bytes: [u8; 32] = B64
            .decode(&self.x)
            .map_err(|_| JwsError::Encoding)?
            .try_into()
            .map_err(|_| JwsError::Encoding)?;
        VerifyingKey::from_bytes(&bytes).map_err(|_| JwsError::Encoding)
    }
}

/// Keys a verifier trusts, by key id.
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    keys: Vec<(String, VerifyingKey)>,
}

impl KeySet {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert(&mut self, kid: impl Into<String>, key: VerifyingKey) {
        let kid = kid.into();
        self.keys.retain(|(k, _)| k != &kid);
        self.keys.push((kid, key));
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Verifies a compact JWS and returns its payload's bytes.
    pub fn verify_bytes(&self, token: &str) -> Result<Vec<u8>, JwsError> {
        let mut parts = token.split('.');
        let (Some(header_b64), Some(body_b64), Some(sig_b64), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(JwsError::Malformed);
        };
        let header: Header =
            serde_json::from_slice(&B64.decode(header_b64).map_err(|_| JwsError::Encoding)?)
                .map_err(|e| JwsError::Header(e.to_string()))?;
        if header.alg != "EdDSA" {
            return Err(JwsError::Header(format!(
                "algorithm {:?} is not accepted",
                header.alg
            )));
        }
        let key = self
            .keys
            .iter()
            .find(|(kid, _)| kid == &header.kid)
            .map(|(_, k)| k)
            .ok_or_else(|| JwsError::UnknownKey(header.kid.clone()))?;
        let sig_bytes: [u8; 64] = B64
            .decode(sig_b64)
            .map_err(|_| JwsError::Encoding)?
            .try_into()
            .map_err(|_| JwsError::BadSignature)?;
        let signature = Signature::from_bytes(&sig_bytes);
        let signing_input_len = header_b64.len() + 1 + body_b64.len();
        key.verify_strict(&token.as_bytes()[..signing_input_len], &signature)
            .map_err(|_| JwsError::BadSignature)?;
        B64.decode(body_b64).map_err(|_| JwsError::Encoding)
    }

    /// Verifies a compact JWS and parses its JSON payload.
    pub fn verify<T: DeserializeOwned>(&self, token: &str) -> Result<T, JwsError> {
        let bytes = self.verify_bytes(token)?;
        serde_json::from_slice(&bytes).map_err(|e| JwsError::Payload(e.to_string()))
    }
}

/// Reads a compact JWS's payload WITHOUT checking its signature: only for
/// display or routing, never for a decision.
pub fn peek_unverified<T: DeserializeOwned>(token: &str) -> Result<T, JwsError> {
    let body = token.split('.').nth(1).ok_or(JwsError::Malformed)?;
    let bytes = B64.decode(body).map_err(|_| JwsError::Encoding)?;
    serde_json::from_slice(&bytes).map_err(|e| JwsError::Payload(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keys_for(signer: &Signer) -> KeySet {
        let mut keys = KeySet::new();
        keys.insert(signer.kid(), signer.verifying_key());
        keys
    }

    #[test]
    fn round_trips() {
        let signer = Signer::generate("k1");
        let token = signer.sign(&json!({"consentId": "c1", "n": 5}));
        let value: serde_json::Value = keys_for(&signer).verify(&token).unwrap();
        assert_eq!(value["consentId"], "c1");
    }

    #[test]
    fn refuses_a_changed_payload_or_signature() {
        let signer = Signer::generate("k1");
        let keys = keys_for(&signer);
        let token = signer.sign(&json!({"amount": "100.00"}));
        let parts: Vec<&str> = token.split('.').collect();
        let forged_body = B64.encode(br#"{"amount":"900.00"}"#);
        let forged = format!("{}.{}.{}", parts[0], forged_body, parts[2]);
        assert_eq!(keys.verify_bytes(&forged), Err(JwsError::BadSignature));

        let other = Signer::generate("k1");
        let token_by_other = other.sign(&json!({"amount": "100.00"}));
        assert_eq!(
            keys.verify_bytes(&token_by_other),
            Err(JwsError::BadSignature)
        );

        assert_eq!(keys.verify_bytes("a.b"), Err(JwsError::Malformed));
        assert_eq!(keys.verify_bytes("a.b.c.d"), Err(JwsError::Malformed));
    }

    #[test]
    fn refuses_alg_none_and_unknown_keys() {
        let signer = Signer::generate("k1");
        let keys = keys_for(&signer);
        let header = B64.encode(br#"{"alg":"none","kid":"k1"}"#);
        let body = B64.encode(br#"{}"#);
        assert!(matches!(
            keys.verify_bytes(&format!("{header}.{body}.")),
            Err(JwsError::Header(_))
        ));
        let stranger = Signer::generate("k2");
        assert_eq!(
            keys.verify_bytes(&stranger.sign(&json!({}))),
            Err(JwsError::UnknownKey("k2".into()))
        );
    }

    #[test]
    fn jwk_round_trips_and_debug_hides_the_key() {
        let signer = Signer::generate("k1");
        let jwk = signer.public_jwk();
        assert_eq!(jwk.verifying_key().unwrap(), signer.verifying_key());
        let shown = format!("{signer:?}");
        assert!(shown.contains("redacted"));
        let seed_hex: String = signer
            .key
            .to_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(!shown.contains(&seed_hex));
    }

    #[test]
    fn key_file_is_created_once_and_reloaded() {
        let path = std::env::temp_dir().join(format!("anumati-jws-{}.key", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let a = Signer::load_or_create("k", &path).unwrap();
        let b = Signer::load_or_create("k", &path).unwrap();
        assert_eq!(a.verifying_key(), b.verifying_key());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        std::fs::remove_file(&path).unwrap();
    }
}

/// A short-lived statement by one role that it is calling another
/// (`x-client-assertion`), signed with the caller's key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientAssertion {
    pub iss: String,
    pub aud: String,
    /// Issued at, Unix seconds.
    pub iat: i64,
    /// Expires at, Unix seconds.
    pub exp: i64,
}

/// Longest lifetime a client assertion may claim.
pub const CLIENT_ASSERTION_SECONDS_MAX: i64 = 300;

impl ClientAssertion {
    pub fn new(iss: &str, aud: &str, now_unix: i64) -> Self {
        ClientAssertion {
            iss: iss.to_owned(),
            aud: aud.to_owned(),
            iat: now_unix,
            exp: now_unix + 60,
        }
    }

    /// Verifies a token: signature, audience, issuer and lifetime.
    pub fn verify(
        token: &str,
        keys: &KeySet,
        iss: &str,
        aud: &str,
        now_unix: i64,
    ) -> Result<Self, JwsError> {
        let claim: ClientAssertion = keys.verify(token)?;
        if claim.aud != aud || claim.iss != iss {
            return Err(JwsError::Payload("wrong issuer or audience".into()));
        }
        if claim.exp <= now_unix
            || claim.iat > now_unix + 30
            || claim.exp - claim.iat > CLIENT_ASSERTION_SECONDS_MAX
        {
            return Err(JwsError::Payload(
                "assertion expired or not yet valid".into(),
            ));
        }
        Ok(claim)
    }
}

#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever arrives as a token, verification answers with an error, never a panic.
        #[test]
        fn arbitrary_tokens_never_panic(token in ".{0,300}", parts in proptest::collection::vec("[A-Za-z0-9_-]{0,80}", 0..5)) {
            let signer = Signer::generate("k");
            let mut keys = KeySet::new();
            keys.insert(signer.kid(), signer.verifying_key());
            let _ = keys.verify_bytes(&token);
            let joined = parts.join(".");
            prop_assert!(keys.verify_bytes(&joined).is_err());
            let _ = peek_unverified::<serde_json::Value>(&joined);
            let _ = ClientAssertion::verify(&joined, &keys, "a", "b", 0);
        }
    }
}
