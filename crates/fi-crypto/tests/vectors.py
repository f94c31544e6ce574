#!/usr/bin/env python3
"""Independent test vectors for anumati-fi-crypto, computed with Python's
`cryptography` package (OpenSSL underneath), not with the Rust code.

The derivation is the Account Aggregator one, as Sahamati's reference
service "rahasya" performs it:

  1. shared secret  = X25519(our private key, their public key), used raw
  2. xored nonce    = our 32-byte nonce XOR their 32-byte nonce
  3. salt           = xored nonce[0..20]
     IV             = xored nonce[20..32]               (12 bytes)
  4. session key    = HKDF-SHA256(IKM = shared secret, salt, no info) -> 32 bytes
  5. ciphertext     = AES-256-GCM(session key, IV, no AAD), 128-bit tag appended;
                      sent base64 (standard alphabet, padded) as `encryptedFI`

Run from crates/fi-crypto:  python3 tests/vectors.py > tests/vectors.json
The Rust tests check that the crate reproduces every value printed here, and
(`python_agrees`) that this script still prints exactly tests/vectors.json.
"""

import base64
import hashlib
import json
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

EXPIRY = "2030-01-01T00:00:00.000Z"

# RFC 7748 section 6.1: Alice's and Bob's X25519 keys and their shared secret.
RFC7748_ALICE_PRIVATE = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"
RFC7748_BOB_PRIVATE = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"
RFC7748_SHARED = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"

# rahasya's Node sample (Node-X25519/x25519.js) derives, from the RFC 7748 keys
# and these two nonces, the session key it prints as the expected value.
RAHASYA_YOUR_NONCE = "2OZz6xYAnS6a83WcOZFLQH/0YVcl1vWE+zespfGAWFo="
RAHASYA_REMOTE_NONCE = "WY9hFnr4WLFd9mVvItMIdBjFygVDpPpoi/BZ3Z3lBfY="
RAHASYA_SESSION_KEY = "3b434ed3f93ce5ef1115a89955a50c0fa3ef09f449a842fed3bf81c2939f4261"

FI_JSON = (
    '{"account":{"type":"deposit","maskedAccNumber":"XXXXXX4321",'
    '"Summary":{"currentBalance":"25041.50","currency":"INR"},'
    '"Transactions":{"Transaction":[{"txnId":"T1","type":"DEBIT","amount":"9999.00",'
    '"narration":"XYZ ELECTRONICS DUBAI","valueDate":"2024-03-02"},'
    '{"txnId":"T2","type":"DEBIT","amount":"500.00",'
    '"narration":"UPI/priya@okbank/खाना","valueDate":"2024-03-03"}]}}}'
)


def label_bytes(label: str) -> bytes:
    """32 fixed bytes named by a label (so the inputs are reproducible)."""
    return hashlib.sha256(label.encode("utf-8")).digest()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def public_forms(private: X25519PrivateKey):
    public = private.public_key()
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")
    return raw, pem


def key_material(public_raw: bytes, nonce: bytes) -> dict:
    return {
        "cryptoAlg": "ECDH",
        "curve": "Curve25519",
        "params": "",
        "DHPublicKey": {"expiry": EXPIRY, "Parameters": "", "KeyValue": b64(public_raw)},
        "Nonce": b64(nonce),
    }


def vector(name: str, app_private: bytes, bank_private: bytes, app_nonce: bytes,
           bank_nonce: bytes, plaintext: str) -> dict:
    app_key = X25519PrivateKey.from_private_bytes(app_private)
    bank_key = X25519PrivateKey.from_private_bytes(bank_private)
    app_public, app_pem = public_forms(app_key)
    bank_public, bank_pem = public_forms(bank_key)

    # 1. key agreement, both ways
    shared = bank_key.exchange(X25519PublicKey.from_public_bytes(app_public))
    assert shared == app_key.exchange(X25519PublicKey.from_public_bytes(bank_public))

    # 2.-3. nonces
    xored = bytes(a ^ b for a, b in zip(app_nonce, bank_nonce))
    salt, iv = xored[:20], xored[20:]
    assert len(iv) == 12

    # 4. session key
    session_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=None).derive(shared)

    # 5. encryption by the bank; the app decrypts
    data = plaintext.encode("utf-8")
    ciphertext = AESGCM(session_key).encrypt(iv, data, None)
    assert AESGCM(session_key).decrypt(iv, ciphertext, None) == data

    return {
        "name": name,
        "app_private_key_hex": app_private.hex(),
        "app_public_key_b64": b64(app_public),
        "app_public_key_pem": app_pem,
        "app_nonce_b64": b64(app_nonce),
        "bank_private_key_hex": bank_private.hex(),
        "bank_public_key_b64": b64(bank_public),
        "bank_public_key_pem": bank_pem,
        "bank_nonce_b64": b64(bank_nonce),
        "bank_key_material": key_material(bank_public, bank_nonce),
        "shared_secret_hex": shared.hex(),
        "xored_nonce_hex": xored.hex(),
        "salt_hex": salt.hex(),
        "iv_hex": iv.hex(),
        "session_key_hex": session_key.hex(),
        "plaintext": plaintext,
        "ciphertext_b64": b64(ciphertext),
    }


def main() -> None:
    vectors = [
        vector(
            "rfc7748-keys-rahasya-sample-nonces",
            bytes.fromhex(RFC7748_ALICE_PRIVATE),
            bytes.fromhex(RFC7748_BOB_PRIVATE),
            base64.b64decode(RAHASYA_YOUR_NONCE),
            base64.b64decode(RAHASYA_REMOTE_NONCE),
            FI_JSON,
        ),
        vector(
            "labelled-keys-short-text",
            label_bytes("anumati app ephemeral key 2"),
            label_bytes("anumati bank ephemeral key 2"),
            label_bytes("anumati app nonce 2"),
            label_bytes("anumati bank nonce 2"),
            "मैंने पिछले महीने खाने पर कितना खर्च किया?",
        ),
        vector(
            "labelled-keys-empty-plaintext",
            label_bytes("anumati app ephemeral key 3"),
            label_bytes("anumati bank ephemeral key 3"),
            label_bytes("anumati app nonce 3"),
            label_bytes("anumati bank nonce 3"),
            "",
        ),
    ]
    # Cross-checks against published values, so the vectors are anchored to
    # more than this script: RFC 7748's shared secret and the session key
    # printed by rahasya's own sample.
    assert vectors[0]["shared_secret_hex"] == RFC7748_SHARED
    assert vectors[0]["session_key_hex"] == RAHASYA_SESSION_KEY

    out = {
        "description": "anumati-fi-crypto test vectors from tests/vectors.py (Python cryptography); "
        "X25519 -> nonce XOR -> HKDF-SHA256(salt = xor[0..20], no info) -> "
        "AES-256-GCM(iv = xor[20..32], no AAD, tag appended), base64",
        "vectors": vectors,
    }
    json.dump(out, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
