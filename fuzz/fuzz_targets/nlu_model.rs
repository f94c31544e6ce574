//! Model files through `Classifier::from_bytes`.
//!
//! The format ends in an FNV-1a checksum of the body, which random mutation
//! almost never gets right, so each input is tried twice: as a whole file,
//! and as a body that this target wraps in a valid header and checksum so
//! the body's own parsing (spec, labels, features, weights) is reached.
//! The wrapped body is tried under every version the build reads (1 to
//! `FORMAT_VERSION`). A model that loads must predict without panicking,
//! and what `to_bytes` writes must load again and write back byte for byte
//! (not necessarily as the input's bytes: an older version is rewritten
//! in the current one).

#![no_main]

use anumati_nlu::classifier::{Classifier, FORMAT_VERSION};
use libfuzzer_sys::fuzz_target;

const MAGIC: &[u8; 8] = b"ANUMNLU\0";

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// A file around `body`: magic, version, length, body, checksum.
fn wrap(version: u32, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 28);
    out.extend(MAGIC);
    out.extend(version.to_le_bytes());
    out.extend((body.len() as u64).to_le_bytes());
    out.extend(body);
    out.extend(fnv1a(body).to_le_bytes());
    out
}

/// The body of a whole file, or the input itself when it is not one.
fn body(data: &[u8]) -> &[u8] {
    if data.len() >= 28 && data.starts_with(MAGIC) {
        &data[20..data.len() - 8]
    } else {
        data
    }
}

fn exercise(file: &[u8]) {
    let Ok(model) = Classifier::from_bytes(file) else {
        return;
    };
    for text in ["", "show my spending last month", "पिछले महीने का खर्च", "a"]
    {
        let p = model.predict(text);
        let _ = p;
        let _ = model.logits(text);
    }
    let written = model.to_bytes();
    let again = Classifier::from_bytes(&written)
        .unwrap_or_else(|e| panic!("a model's own to_bytes does not load: {e}"));
    assert!(
        again.to_bytes() == written,
        "a model written by to_bytes does not write back unchanged"
    );
}

fuzz_target!(|data: &[u8]| {
    exercise(data);
    let body = body(data);
    for version in 1..=FORMAT_VERSION {
        exercise(&wrap(version, body));
    }
});
