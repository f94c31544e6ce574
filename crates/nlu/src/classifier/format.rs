//! The model file: versioned and checked.
//!
//! ```text
//! magic    8 bytes  "ANUMNLU\0"
//! version  u32      FORMAT_VERSION
//! length   u64      bytes of the body
//! body:
//!   spec     word_max_n u8, char_min_n u8, char_max_n u8, reserved u8 (0),
//!            word_weight f32, char_weight f32, temperature f32
//!   labels   count u32, then each: length u32, UTF-8 bytes
//!   features count u32, then the keys (u64 each), then the IDFs (f32 each)
//!   weights  features × labels f32 (feature-major), then labels × f32 biases
//! checksum u64      FNV-1a of the body
//! ```
//!
//! Numbers are little-endian. Anything that does not match (magic, version,
//! lengths, checksum, UTF-8, duplicate keys or labels, non-finite numbers)
//! is a [`ModelError`], never a panic.

use super::features::{FeatureSpec, KeyMap, Vocabulary};
use super::learn::Linear;
use super::Classifier;

const MAGIC: &[u8; 8] = b"ANUMNLU\0";

/// The model file format's version; files of another version are refused.
pub const FORMAT_VERSION: u32 = 1;

/// A model file that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    #[error("not an anumati intent model (bad magic)")]
    BadMagic,
    #[error("model format version {found}, this build reads version {FORMAT_VERSION}")]
    UnsupportedVersion { found: u32 },
    #[error("model file truncated: {0}")]
    Truncated(&'static str),
    #[error("model file has {0} bytes after its end")]
    TrailingBytes(usize),
    #[error("model file checksum mismatch (corrupt)")]
    Checksum,
    #[error("model file invalid: {0}")]
    Invalid(&'static str),
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

impl Classifier {
    /// The model as bytes (see the module documentation of the format).
    pub fn to_bytes(&self) -> Vec<u8> {
        let n = self.vocab.idf.len();
        let k = self.labels.len();
        let mut body = Vec::with_capacity(16 + n * (12 + 4 * k) + 4 * k);
        let s = &self.spec;
        body.extend([s.word_max_n, s.char_min_n, s.char_max_n, 0]);
        body.extend(s.word_weight.to_le_bytes());
        body.extend(s.char_weight.to_le_bytes());
        body.extend(s.temperature.to_le_bytes());
        body.extend((k as u32).to_le_bytes());
        for l in &self.labels {
            body.extend((l.len() as u32).to_le_bytes());
            body.extend(l.as_bytes());
        }
        let mut keys = vec![0u64; n];
        for (&key, &i) in &self.vocab.index {
            keys[i as usize] = key;
        }
        body.extend((n as u32).to_le_bytes());
        for key in keys {
            body.extend(key.to_le_bytes());
        }
        for x in &self.vocab.idf {
            body.extend(x.to_le_bytes());
        }
        for x in self.model.w.iter().chain(&self.model.b) {
            body.extend(x.to_le_bytes());
        }
        let mut out = Vec::with_capacity(body.len() + 28);
        out.extend(MAGIC);
        out.extend(FORMAT_VERSION.to_le_bytes());
        out.extend((body.len() as u64).to_le_bytes());
        out.extend(&body);
        out.extend(fnv1a(&body).to_le_bytes());
        out
    }

    /// Reads a model written by [`Classifier::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Classifier, ModelError> {
        let mut r = Reader(bytes);
        if r.take(8, "magic")? != MAGIC {
            return Err(ModelError::BadMagic);
        }
        let version = r.u32("version")?;
        if version != FORMAT_VERSION {
            return Err(ModelError::UnsupportedVersion { found: version });
        }
        let len = r.u64("length")?;
        let len = usize::try_from(len).map_err(|_| ModelError::Truncated("body"))?;
        let body = r.take(len, "body")?;
        let checksum = r.u64("checksum")?;
        if !r.0.is_empty() {
            return Err(ModelError::TrailingBytes(r.0.len()));
        }
        if fnv1a(body) != checksum {
            return Err(ModelError::Checksum);
        }
        let mut r = Reader(body);
        let head = r.take(4, "spec")?;
        if head[3] != 0 {
            return Err(ModelError::Invalid("reserved byte"));
        }
        let spec = FeatureSpec {
            word_max_n: head[0],
            char_min_n: head[1],
            char_max_n: head[2],
            word_weight: r.f32("spec")?,
            char_weight: r.f32("spec")?,
            temperature: r.f32("spec")?,
        };
        if spec.word_max_n > super::MAX_WORD_N || spec.char_max_n > super::MAX_CHAR_N {
            return Err(ModelError::Invalid("n-gram lengths"));
        }
        let k = r.count(4, "labels")?;
        let mut labels = Vec::with_capacity(k);
        for _ in 0..k {
            let len = r.count(1, "label")?;
            let label = std::str::from_utf8(r.take(len, "label")?)
                .map_err(|_| ModelError::Invalid("label is not UTF-8"))?;
            labels.push(label.to_string());
        }
        if labels.windows(2).any(|w| w[0] >= w[1]) {
            return Err(ModelError::Invalid("labels not sorted and distinct"));
        }
        let n = r.count(12, "features")?;
        let mut index = KeyMap::default();
        index.reserve(n);
        let keys = r.take(n * 8, "feature keys")?;
        for (i, key) in keys.chunks_exact(8).enumerate() {
            let key = u64::from_le_bytes(key.try_into().unwrap_or_default());
            if index.insert(key, i as u32).is_some() {
                return Err(ModelError::Invalid("duplicate feature key"));
            }
        }
        let idf = r.f32s(n, "IDF")?;
        let weights = n
            .checked_mul(k)
            .ok_or(ModelError::Invalid("sizes overflow"))?;
        let w = r.f32s(weights, "weights")?;
        let b = r.f32s(k, "biases")?;
        if !r.0.is_empty() {
            return Err(ModelError::Invalid("body longer than its contents"));
        }
        Ok(Classifier {
            spec,
            vocab: Vocabulary { index, idf },
            labels,
            model: Linear { labels: k, w, b },
        })
    }
}

/// A cursor over bytes that fails instead of panicking.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], ModelError> {
        if n > self.0.len() {
            return Err(ModelError::Truncated(what));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, ModelError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self, what: &'static str) -> Result<u64, ModelError> {
        let b = self.take(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    fn f32(&mut self, what: &'static str) -> Result<f32, ModelError> {
        let x = f32::from_bits(self.u32(what)?);
        if x.is_finite() {
            Ok(x)
        } else {
            Err(ModelError::Invalid("non-finite number"))
        }
    }

    /// A count of items at least `min_size` bytes each, checked against
    /// what is left so a corrupt count cannot ask for a huge allocation.
    fn count(&mut self, min_size: usize, what: &'static str) -> Result<usize, ModelError> {
        let n = self.u32(what)? as usize;
        if n.saturating_mul(min_size) > self.0.len() {
            return Err(ModelError::Truncated(what));
        }
        Ok(n)
    }

    fn f32s(&mut self, n: usize, what: &'static str) -> Result<Vec<f32>, ModelError> {
        let bytes = n
            .checked_mul(4)
            .ok_or(ModelError::Invalid("sizes overflow"))?;
        let raw = self.take(bytes, what)?;
        raw.chunks_exact(4)
            .map(|c| {
                let x = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
                if x.is_finite() {
                    Ok(x)
                } else {
                    Err(ModelError::Invalid("non-finite number"))
                }
            })
            .collect()
    }
}
