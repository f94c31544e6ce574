//! The model file: versioned and checked.
//!
//! ```text
//! magic    8 bytes  "ANUMNLU\0"
//! version  u32      FORMAT_VERSION (4; versions 1 to 3 are still read)
//! length   u64      bytes of the body
//! body:
//!   spec     word_max_n u8, char_min_n u8, char_max_n u8, reserved u8 (0),
//!            word_weight f32, char_weight f32, temperature f32
//!   embeddings (not in version 1: none)
//!            dims u32 (0: none), block weight f32, FNV-1a checksum u64 of
//!            the static-embeddings file trained with (weight and checksum
//!            0 when none)
//!   encoder  (version 4; not in 1 to 3: none) dims u32 (0: none), block
//!            weight f32 (0: no block, only the head), FNV-1a checksum u64
//!            of the sentence-encoder file trained with (the encoder's
//!            block follows the embeddings')
//!   labels   count u32, then each: length u32, UTF-8 bytes
//!   features count u32 (n), then the keys (u64 each), then the IDFs (f32 each)
//!   weights  (n + dims + encoder dims) × labels f32 (feature-major: the
//!            n-grams, the embedding dimensions, the encoder's), then
//!            labels × f32 biases
//!   tuned    (version 3; not in 1 and 2: none) the fine-tuned model's
//!            weight f32 (0: none, and nothing follows), then tokens u32
//!            (the embeddings' vocabulary size), tokens × (scale f32,
//!            dims × i8) token vectors, labels × dims f32 layer weights
//!            (label-major), labels × f32 biases
//!   head     (version 4; not in 1 to 3: none) the encoder head's weight
//!            f32 (0: none, and nothing follows), then its input scale
//!            f32, labels × encoder dims f32 weights (label-major),
//!            labels × f32 biases
//! checksum u64      FNV-1a of the body
//! ```
//!
//! Numbers are little-endian. Anything that does not match (magic, version,
//! lengths, checksum, UTF-8, duplicate keys or labels, non-finite numbers)
//! is a [`ModelError`], never a panic; so is a model trained with other
//! embeddings than the reader has ([`ModelError::EmbeddingsMismatch`]) or
//! another sentence encoder ([`ModelError::EncoderMismatch`]).

use std::sync::Arc;

use super::embed::{self, StaticEmbeddings};
use super::encoder::{self, Head};
use super::features::{FeatureSpec, KeyMap, Vocabulary};
use super::learn::Linear;
use super::tuned::Tuned;
use super::Classifier;

const MAGIC: &[u8; 8] = b"ANUMNLU\0";

/// The model file format's version. Versions 1 (before embeddings), 2
/// (before the fine-tuned model) and 3 (before the sentence encoder) are
/// still read; other versions are refused.
pub const FORMAT_VERSION: u32 = 4;

/// A model file that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    #[error("not an anumati intent model (bad magic)")]
    BadMagic,
    #[error("model format version {found}, this build reads versions 1 to {FORMAT_VERSION}")]
    UnsupportedVersion { found: u32 },
    #[error(
        "model trained with static embeddings {model:016x} ({dims} dimensions), \
         this build has {available:016x} ({available_dims}); train it again"
    )]
    EmbeddingsMismatch {
        model: u64,
        dims: u32,
        available: u64,
        available_dims: u32,
    },
    #[error(
        "model trained with sentence encoder {model:016x}, this build has \
         {available:016x}; train it again"
    )]
    EncoderMismatch { model: u64, available: u64 },
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
        // The embeddings' and the encoder's sections: dims, weight, checksum
        // (all zero for none).
        let sections = [
            self.embeddings
                .as_ref()
                .map(|(e, w)| (e.dims(), *w, e.checksum())),
            self.encoder
                .as_ref()
                .map(|(e, w)| (e.dims(), *w, e.checksum())),
        ];
        for (dims, weight, sum) in sections.map(|s| s.unwrap_or((0, 0.0, 0))) {
            body.extend((dims as u32).to_le_bytes());
            body.extend(weight.to_le_bytes());
            body.extend(sum.to_le_bytes());
        }
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
        match &self.tuned {
            None => body.extend(0f32.to_le_bytes()),
            Some((t, weight)) => {
                body.extend(weight.to_le_bytes());
                body.extend((t.scales.len() as u32).to_le_bytes());
                for (scale, row) in t.scales.iter().zip(t.q.chunks_exact(t.dims.max(1))) {
                    body.extend(scale.to_le_bytes());
                    body.extend(row.iter().map(|&q| q as u8));
                }
                for x in t.w.iter().chain(&t.b) {
                    body.extend(x.to_le_bytes());
                }
            }
        }
        match &self.head {
            None => body.extend(0f32.to_le_bytes()),
            Some((h, weight)) => {
                body.extend(weight.to_le_bytes());
                body.extend(h.scale.to_le_bytes());
                for x in h.w.iter().chain(&h.b) {
                    body.extend(x.to_le_bytes());
                }
            }
        }
        let mut out = Vec::with_capacity(body.len() + 28);
        out.extend(MAGIC);
        out.extend(FORMAT_VERSION.to_le_bytes());
        out.extend((body.len() as u64).to_le_bytes());
        out.extend(&body);
        out.extend(fnv1a(&body).to_le_bytes());
        out
    }

    /// Reads a model written by [`Classifier::to_bytes`] (or by a build of
    /// format version 1). A model trained with static embeddings gets the
    /// compiled-in ones ([`embed::builtin`]), and is refused if it was
    /// trained with others.
    pub fn from_bytes(bytes: &[u8]) -> Result<Classifier, ModelError> {
        Self::read(bytes, embed::builtin)
    }

    /// [`Classifier::from_bytes`] with the given embeddings instead of the
    /// compiled-in ones.
    pub fn from_bytes_with(
        bytes: &[u8],
        embeddings: &Arc<StaticEmbeddings>,
    ) -> Result<Classifier, ModelError> {
        Self::read(bytes, || embeddings.clone())
    }

    /// `embeddings` is only called for a model that uses them.
    fn read(
        bytes: &[u8],
        embeddings: impl FnOnce() -> Arc<StaticEmbeddings>,
    ) -> Result<Classifier, ModelError> {
        let mut r = Reader(bytes);
        if r.take(8, "magic")? != MAGIC {
            return Err(ModelError::BadMagic);
        }
        let version = r.u32("version")?;
        if !(1..=FORMAT_VERSION).contains(&version) {
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
        let (dims, weight, sum) = if version == 1 {
            (0, 0.0, 0)
        } else {
            (
                r.u32("embeddings")?,
                r.f32("embeddings")?,
                r.u64("embeddings")?,
            )
        };
        let embeddings = if dims == 0 {
            if weight != 0.0 || sum != 0 {
                return Err(ModelError::Invalid("embeddings section"));
            }
            None
        } else {
            if weight == 0.0 {
                return Err(ModelError::Invalid("embeddings weight"));
            }
            let e = embeddings();
            if e.checksum() != sum || e.dims() != dims as usize {
                return Err(ModelError::EmbeddingsMismatch {
                    model: sum,
                    dims,
                    available: e.checksum(),
                    available_dims: e.dims() as u32,
                });
            }
            Some((e, weight))
        };
        let (encoder_dims, weight, sum) = if version < 4 {
            (0, 0.0, 0)
        } else {
            (r.u32("encoder")?, r.f32("encoder")?, r.u64("encoder")?)
        };
        let encoder = if encoder_dims == 0 {
            if weight != 0.0 || sum != 0 {
                return Err(ModelError::Invalid("encoder section"));
            }
            None
        } else {
            if !weight.is_finite() {
                return Err(ModelError::Invalid("encoder weight"));
            }
            let e = encoder::builtin();
            if e.checksum() != sum || e.dims() != encoder_dims as usize {
                return Err(ModelError::EncoderMismatch {
                    model: sum,
                    available: e.checksum(),
                });
            }
            Some((e, weight))
        };
        // The encoder's block is in the weights only at a weight (not 0).
        let block_dims = match &encoder {
            Some((e, w)) if *w != 0.0 => e.dims(),
            _ => 0,
        };
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
            .checked_add(dims as usize)
            .and_then(|f| f.checked_add(block_dims))
            .and_then(|f| f.checked_mul(k))
            .ok_or(ModelError::Invalid("sizes overflow"))?;
        let w = r.f32s(weights, "weights")?;
        let b = r.f32s(k, "biases")?;
        let tuned_weight = if version < 3 { 0.0 } else { r.f32("tuned")? };
        let tuned = if tuned_weight == 0.0 {
            None
        } else {
            let Some((e, _)) = &embeddings else {
                return Err(ModelError::Invalid("fine-tuned model without embeddings"));
            };
            let d = e.dims();
            let tokens = r.count(4 + d, "tuned tokens")?;
            if tokens != e.vocab_len() {
                return Err(ModelError::Invalid("fine-tuned model's vocabulary size"));
            }
            let mut scales = Vec::with_capacity(tokens);
            let mut q = Vec::with_capacity(tokens * d);
            for _ in 0..tokens {
                scales.push(r.f32("tuned scales")?);
                q.extend(r.take(d, "tuned vectors")?.iter().map(|&x| x as i8));
            }
            let layer = d
                .checked_mul(k)
                .ok_or(ModelError::Invalid("sizes overflow"))?;
            let tw = r.f32s(layer, "tuned weights")?;
            let tb = r.f32s(k, "tuned biases")?;
            Some((Tuned::from_parts(d, k, scales, q, tw, tb), tuned_weight))
        };
        let head_weight = if version < 4 { 0.0 } else { r.f32("head")? };
        let head = if head_weight == 0.0 {
            None
        } else {
            let Some((e, _)) = &encoder else {
                return Err(ModelError::Invalid("encoder head without an encoder"));
            };
            let scale = r.f32("head")?;
            let layer = e
                .dims()
                .checked_mul(k)
                .ok_or(ModelError::Invalid("sizes overflow"))?;
            let hw = r.f32s(layer, "head weights")?;
            let hb = r.f32s(k, "head biases")?;
            Some((Head::from_parts(e.dims(), k, scale, hw, hb), head_weight))
        };
        if matches!(&encoder, Some((_, w)) if *w == 0.0) && head.is_none() {
            return Err(ModelError::Invalid("encoder weight"));
        }
        if !r.0.is_empty() {
            return Err(ModelError::Invalid("body longer than its contents"));
        }
        Ok(Classifier {
            spec,
            vocab: Vocabulary { index, idf },
            labels,
            model: Linear { labels: k, w, b },
            embeddings,
            encoder,
            head,
            tuned,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classifier::{embed::tests::file, TrainConfig};
    use crate::csv::Example;

    fn examples() -> Vec<Example> {
        [
            ("where is my card", "card_arrival"),
            ("my card has not arrived", "card_arrival"),
            ("still waiting for the card", "card_arrival"),
            ("what is the exchange rate", "exchange_rate"),
            ("rate for euros", "exchange_rate"),
            ("how much is a dollar in euros", "exchange_rate"),
        ]
        .iter()
        .map(|(t, l)| Example {
            text: t.to_string(),
            label: l.to_string(),
        })
        .collect()
    }

    fn config(embeddings: Option<(Arc<StaticEmbeddings>, f32)>) -> TrainConfig {
        TrainConfig {
            min_df: 1,
            threads: 1,
            calibrate: false,
            embeddings,
            encoder: None,
            ..TrainConfig::default()
        }
    }

    /// Small embeddings that are not the compiled-in ones.
    fn other() -> Arc<StaticEmbeddings> {
        let bytes = file(
            2,
            &[
                ("[UNK]", vec![0, 0], 1.0),
                ("card", vec![127, 0], 0.5),
                ("rate", vec![0, 127], 0.5),
            ],
        );
        Arc::new(StaticEmbeddings::from_bytes(&bytes).unwrap())
    }

    fn version(bytes: &[u8]) -> u32 {
        u32::from_le_bytes(bytes[8..12].try_into().unwrap())
    }

    #[test]
    fn version_4_round_trip_with_and_without_embeddings() {
        let builtin = (embed::builtin(), 1.5);
        for (e, read) in [
            (Some(builtin), Classifier::from_bytes as fn(&[u8]) -> _),
            (Some((other(), 0.75)), |b: &[u8]| {
                Classifier::from_bytes_with(b, &other())
            }),
            (None, Classifier::from_bytes),
        ] {
            let dims = e.as_ref().map_or(0, |(e, _)| e.dims());
            let model = Classifier::train(&examples(), &config(e));
            assert_eq!(model.feature_count(), model.vocab.idf.len() + dims);
            let bytes = model.to_bytes();
            assert_eq!(version(&bytes), 4);
            let back = read(&bytes).unwrap();
            assert_eq!(back.to_bytes(), bytes);
            for t in ["has my card come", "euro rate", "zzz", ""] {
                assert_eq!(back.logits(t), model.logits(t), "{t}");
            }
            // With embeddings there is a fine-tuned model, and it moves the
            // scores; so does the dense block.
            assert_eq!(model.tuned_weight().is_some(), dims > 0);
            if dims > 0 {
                let plain = Classifier::train(&examples(), &config(None));
                assert_ne!(plain.logits("card"), model.logits("card"));
                let untuned = Classifier::train(
                    &examples(),
                    &TrainConfig {
                        tuned: None,
                        ..config(model.embeddings.clone())
                    },
                );
                assert_eq!(untuned.tuned_weight(), None);
                assert_ne!(untuned.logits("card"), model.logits("card"));
                assert!(untuned.to_bytes().len() < bytes.len());
            }
        }
    }

    #[test]
    fn encoder_block_round_trips_and_other_encoders_are_refused() {
        let with = TrainConfig {
            encoder: Some((encoder::builtin(), 1.5)),
            ..config(None)
        };
        let model = Classifier::train(&examples(), &with);
        assert_eq!(model.feature_count(), model.vocab.idf.len() + 384);
        let bytes = model.to_bytes();
        let back = Classifier::from_bytes(&bytes).unwrap();
        assert_eq!(back.to_bytes(), bytes);
        for t in ["has my card come", "euro rate", "zzz", ""] {
            assert_eq!(back.logits(t), model.logits(t), "{t}");
        }
        let plain = Classifier::train(&examples(), &config(None));
        assert_ne!(
            plain.logits("has my card come"),
            model.logits("has my card come")
        );
        // The encoder section is after the embeddings section (body bytes
        // 16..32): its checksum is body bytes 40..48.
        let mut body = bytes[20..bytes.len() - 8].to_vec();
        body[40] ^= 1;
        assert!(matches!(
            Classifier::from_bytes(&wrap(4, &body)),
            Err(ModelError::EncoderMismatch { .. })
        ));
        body[40] ^= 1;
        body[36..40].copy_from_slice(&f32::NAN.to_le_bytes());
        assert!(Classifier::from_bytes(&wrap(4, &body)).is_err());
        // A head (the default) without a block: the encoder's block weight
        // is 0 and the model still reads whole.
        let head_only = Classifier::train(
            &examples(),
            &TrainConfig {
                encoder: Some((encoder::builtin(), 0.0)),
                ..config(None)
            },
        );
        assert_eq!(head_only.feature_count(), head_only.vocab.idf.len());
        assert!(head_only.head_weight().is_some());
        let bytes = head_only.to_bytes();
        let back = Classifier::from_bytes(&bytes).unwrap();
        assert_eq!(back.to_bytes(), bytes);
        assert_eq!(
            back.logits("has my card come"),
            head_only.logits("has my card come")
        );
        assert_ne!(
            plain.logits("has my card come"),
            head_only.logits("has my card come")
        );
    }

    #[test]
    fn damaged_encoder_and_head_sections_are_errors_not_panics() {
        // A model with an encoder block and a head, whose body is cut or
        // changed and given a valid checksum again (so the reader gets past
        // the checksum and must check every field itself).
        let model = Classifier::train(
            &examples(),
            &TrainConfig {
                encoder: Some((encoder::builtin(), 1.0)),
                ..config(None)
            },
        );
        assert!(model.head_weight().is_some());
        let bytes = model.to_bytes();
        let body = &bytes[20..bytes.len() - 8];
        for cut in 0..body.len() {
            assert!(
                Classifier::from_bytes(&wrap(4, &body[..cut])).is_err(),
                "cut at {cut}"
            );
        }
        // Every byte of the sections before the labels, and bytes all
        // through the weights and the head: any result, never a panic.
        let positions = (0..64).chain((64..body.len()).step_by(97));
        for at in positions {
            for flip in [0x01, 0x80, 0xff] {
                let mut b = body.to_vec();
                b[at] ^= flip;
                let _ = Classifier::from_bytes(&wrap(4, &b));
            }
        }
    }

    #[test]
    fn other_embeddings_are_refused() {
        let mine = Classifier::train(&examples(), &config(Some((other(), 1.0)))).to_bytes();
        let builtin = embed::builtin();
        assert_eq!(
            Classifier::from_bytes(&mine).err(),
            Some(ModelError::EmbeddingsMismatch {
                model: other().checksum(),
                dims: 2,
                available: builtin.checksum(),
                available_dims: builtin.dims() as u32,
            })
        );
        let shipped = Classifier::train(&examples(), &config(Some((builtin, 1.0)))).to_bytes();
        assert!(matches!(
            Classifier::from_bytes_with(&shipped, &other()),
            Err(ModelError::EmbeddingsMismatch { .. })
        ));
        // A model without embeddings loads whatever the reader has.
        let none = Classifier::train(&examples(), &config(None)).to_bytes();
        assert!(Classifier::from_bytes_with(&none, &other()).is_ok());
    }

    /// A file of `version` around `body`.
    fn wrap(version: u32, body: &[u8]) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend(version.to_le_bytes());
        out.extend((body.len() as u64).to_le_bytes());
        out.extend(body);
        out.extend(fnv1a(body).to_le_bytes());
        out
    }

    #[test]
    fn version_3_layout_still_reads() {
        // A version-4 model without an encoder, rewritten as version 3 (no
        // encoder section, body bytes 32..48, and no head section, its last
        // 4 bytes): the same model.
        let model = Classifier::train(&examples(), &config(Some((embed::builtin(), 1.5))));
        let v4 = model.to_bytes();
        let body = &v4[20..v4.len() - 8];
        assert!(body[32..48].iter().all(|&b| b == 0));
        let v3 = wrap(3, &[&body[..32], &body[48..body.len() - 4]].concat());
        let back = Classifier::from_bytes(&v3).unwrap();
        assert_eq!(back.to_bytes(), v4);
        assert!(Classifier::from_bytes(&wrap(3, body)).is_err());
    }

    #[test]
    fn version_2_layout_still_reads() {
        // A version-4 model without a fine-tuned model or an encoder,
        // rewritten as version 2 (no encoder or tuned section): the same
        // model.
        let model = Classifier::train(
            &examples(),
            &TrainConfig {
                tuned: None,
                ..config(Some((embed::builtin(), 1.5)))
            },
        );
        let v4 = model.to_bytes();
        let body = &v4[20..v4.len() - 8];
        assert_eq!(&body[body.len() - 4..], &0f32.to_le_bytes());
        let v2 = wrap(2, &[&body[..32], &body[48..body.len() - 8]].concat());
        let back = Classifier::from_bytes(&v2).unwrap();
        assert_eq!(back.to_bytes(), v4);
        assert_eq!(back.tuned_weight(), None);
        // A version-4 body read as version 2 has bytes too many.
        assert!(Classifier::from_bytes(&wrap(2, body)).is_err());
    }

    #[test]
    fn tuned_section_is_checked() {
        let model = Classifier::train(&examples(), &config(Some((embed::builtin(), 1.5))));
        let bytes = model.to_bytes();
        let body = &bytes[20..bytes.len() - 8];
        // Cut anywhere in the tuned section (its weights are the body's
        // last bytes): refused, no panic.
        for cut in [4, 100, 50_000, body.len() / 3] {
            let short = &body[..body.len() - cut];
            assert!(
                Classifier::from_bytes(&wrap(4, short)).is_err(),
                "cut {cut}"
            );
        }
        // A non-finite number in the fine-tuned layer is refused.
        // (the last 4 bytes are the empty head section's)
        let mut bad = body.to_vec();
        let at = bad.len() - 8;
        bad[at..at + 4].copy_from_slice(&f32::NAN.to_le_bytes());
        assert_eq!(
            Classifier::from_bytes(&wrap(4, &bad)).err(),
            Some(ModelError::Invalid("non-finite number"))
        );
    }

    #[test]
    fn version_1_layout_still_reads() {
        // A version-4 model without embeddings, rewritten as version 1 (no
        // embeddings, encoder or tuned section): the same model.
        let model = Classifier::train(&examples(), &config(None));
        let v2 = model.to_bytes();
        let body = &v2[20..v2.len() - 8];
        let v1_body = [&body[..16], &body[48..body.len() - 8]].concat();
        let mut v1 = MAGIC.to_vec();
        v1.extend(1u32.to_le_bytes());
        v1.extend((v1_body.len() as u64).to_le_bytes());
        v1.extend(&v1_body);
        v1.extend(fnv1a(&v1_body).to_le_bytes());
        let back = Classifier::from_bytes(&v1).unwrap();
        assert_eq!(back.to_bytes(), v2);
        let mut v5 = v2.clone();
        v5[8] = 5;
        assert_eq!(
            Classifier::from_bytes(&v5).err(),
            Some(ModelError::UnsupportedVersion { found: 5 })
        );
    }
}
