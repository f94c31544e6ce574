//! Webhook authenticity: `X-Hub-Signature-256` (Messenger, WhatsApp) and
//! `X-Telegram-Bot-Api-Secret-Token` (Telegram), both compared in constant
//! time.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The header Meta signs webhook bodies with (header names are
/// case-insensitive; this is the form `http` uses).
pub const HUB_SIGNATURE_HEADER: &str = "x-hub-signature-256";
/// The header Telegram echoes the `secret_token` of `setWebhook` in.
pub const TELEGRAM_SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

const PREFIX: &[u8] = b"sha256=";
const HEX_LEN: usize = 64;

/// Why a webhook was not accepted as authentic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The header is absent.
    #[error("signature header missing")]
    Missing,
    /// The header is present but not `sha256=` followed by 64 hex digits.
    #[error("signature header malformed: {0}")]
    Malformed(&'static str),
    /// Well-formed, but not the signature of this body under our secret.
    #[error("signature does not match")]
    Mismatch,
}

fn mac(key: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length; this never fails.
    HmacSha256::new_from_slice(key).expect("HMAC accepts any key length")
}

/// The `X-Hub-Signature-256` value for `body`: `sha256=` + lowercase hex.
/// Used by tests and mock platforms.
pub fn hub_signature(app_secret: &SecretString, body: &[u8]) -> String {
    let mut m = mac(app_secret.expose_secret().as_bytes());
    m.update(body);
    format!("sha256={}", hex::encode(m.finalize().into_bytes()))
}

/// Checks an `X-Hub-Signature-256` header (`None` when absent) against the
/// HMAC-SHA256 of the raw `body` under `app_secret`, in constant time.
pub fn verify_hub_signature(
    app_secret: &SecretString,
    body: &[u8],
    header: Option<&[u8]>,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let digits = header
        .strip_prefix(PREFIX)
        .ok_or(SignatureError::Malformed("no sha256= prefix"))?;
    if digits.len() != HEX_LEN {
        return Err(SignatureError::Malformed("wrong length"));
    }
    let mut tag = [0u8; HEX_LEN / 2];
    hex::decode_to_slice(digits, &mut tag).map_err(|_| SignatureError::Malformed("not hex"))?;
    let mut m = mac(app_secret.expose_secret().as_bytes());
    m.update(body);
    m.verify_slice(&tag).map_err(|_| SignatureError::Mismatch)
}

/// Checks Telegram's `X-Telegram-Bot-Api-Secret-Token` header against the
/// configured secret. Both values go through HMAC under the expected secret
/// and the fixed-length tags are compared in constant time, so neither the
/// content nor the length of the secret leaks through timing.
pub fn verify_telegram_secret(
    expected: &SecretString,
    header: Option<&[u8]>,
) -> Result<(), SignatureError> {
    let got = header.ok_or(SignatureError::Missing)?;
    let key = expected.expose_secret().as_bytes();
    let mut want = mac(key);
    want.update(key);
    let want = want.finalize().into_bytes();
    let mut m = mac(key);
    m.update(got);
    m.verify_slice(&want).map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> SecretString {
        SecretString::from("app-secret-123")
    }

    #[test]
    fn valid_signature_accepted() {
        let body = br#"{"object":"page","entry":[]}"#;
        let sig = hub_signature(&secret(), body);
        assert!(sig.starts_with("sha256="));
        assert_eq!(sig.len(), 7 + 64);
        assert_eq!(
            verify_hub_signature(&secret(), body, Some(sig.as_bytes())),
            Ok(())
        );
    }

    #[test]
    fn known_answer() {
        // HMAC-SHA256(key = "key", "The quick brown fox jumps over the lazy dog")
        let s = SecretString::from("key");
        assert_eq!(
            hub_signature(&s, b"The quick brown fox jumps over the lazy dog"),
            "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
    }

    #[test]
    fn missing_signature() {
        assert_eq!(
            verify_hub_signature(&secret(), b"x", None),
            Err(SignatureError::Missing)
        );
    }

    #[test]
    fn wrong_prefix_rejected() {
        let body = b"hello";
        let sig = hub_signature(&secret(), body);
        let sha1 = sig.replacen("sha256=", "sha1=", 1);
        assert!(matches!(
            verify_hub_signature(&secret(), body, Some(sha1.as_bytes())),
            Err(SignatureError::Malformed(_))
        ));
        let bare = &sig["sha256=".len()..];
        assert!(matches!(
            verify_hub_signature(&secret(), body, Some(bare.as_bytes())),
            Err(SignatureError::Malformed(_))
        ));
    }

    #[test]
    fn bad_hex_and_wrong_length_rejected() {
        let body = b"hello";
        let not_hex = format!("sha256={}", "zz".repeat(32));
        assert_eq!(
            verify_hub_signature(&secret(), body, Some(not_hex.as_bytes())),
            Err(SignatureError::Malformed("not hex"))
        );
        let sig = hub_signature(&secret(), body);
        let short = &sig[..sig.len() - 2];
        assert_eq!(
            verify_hub_signature(&secret(), body, Some(short.as_bytes())),
            Err(SignatureError::Malformed("wrong length"))
        );
    }

    #[test]
    fn wrong_secret_and_changed_body_rejected() {
        let body = br#"{"object":"page","entry":[{"messaging":[]}]}"#.to_vec();
        let sig = hub_signature(&secret(), &body);
        let other = SecretString::from("another-secret");
        assert_eq!(
            verify_hub_signature(&other, &body, Some(sig.as_bytes())),
            Err(SignatureError::Mismatch)
        );
        for i in 0..body.len() {
            let mut changed = body.clone();
            changed[i] ^= 0x01;
            assert_eq!(
                verify_hub_signature(&secret(), &changed, Some(sig.as_bytes())),
                Err(SignatureError::Mismatch),
                "byte {i} changed"
            );
        }
    }

    #[test]
    fn telegram_secret() {
        let s = SecretString::from("tg_secret-ABC");
        assert_eq!(verify_telegram_secret(&s, Some(b"tg_secret-ABC")), Ok(()));
        assert_eq!(
            verify_telegram_secret(&s, None),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify_telegram_secret(&s, Some(b"tg_secret-ABD")),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_telegram_secret(&s, Some(b"tg_secret-AB")),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_telegram_secret(&s, Some(b"")),
            Err(SignatureError::Mismatch)
        );
    }
}
