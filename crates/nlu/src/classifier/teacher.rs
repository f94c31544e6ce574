//! Soft targets from a teacher: all-MiniLM-L6-v2 sentence embeddings under
//! a softmax head, cross-fitted over Banking77 by `tools/distill/teacher.py`.
//! With [`super::TrainConfig::teacher`] and a
//! [`super::tuned::TuneParams::teacher_weight`] above 0, the fine-tuned
//! model is trained towards a mix of each text's label and these
//! probabilities (knowledge distillation); texts the file does not know
//! (the project's own utterances) keep their label alone. An experiment
//! (`examples/embed_eval.rs`, `targets=`): it did not beat the shipped
//! model on cross-validation (BENCHMARKS.md), so nothing ships a file and
//! the product does not use it.
//!
//! Beside the texts themselves the file holds variants of them (words
//! dropped, neighbours swapped, halves of two texts of the intent joined),
//! labelled by the teacher: a training text brings its variants along, so
//! the fine-tuned model learns from the teacher on texts nobody wrote.
//!
//! The file (little-endian; written by `teacher.py`):
//!
//! ```text
//! magic    8 bytes  "ANUMTGT\0"
//! version  u32      2
//! labels   u32, then each: u16 byte length, UTF-8
//! top      u32      probabilities per text
//! rows     u32
//! rows ×   key u64 (FNV-1a of the source's label, "\t", its text),
//!          variant u16 byte length (0: the source itself), UTF-8,
//!          top × (label u8, p u16 / 65535)
//! checksum u64      FNV-1a of everything before it
//! ```

use std::collections::HashMap;

use super::embed::fnv1a;
use super::tuned::Soft;

const MAGIC: &[u8; 8] = b"ANUMTGT\0";
const VERSION: u32 = 2;

/// A targets file that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("teacher targets invalid: {0}")]
pub struct TargetsError(&'static str);

/// Each known text's teacher probabilities (the largest few), and its
/// variants' (text, probabilities).
pub struct Targets {
    labels: Vec<String>,
    rows: HashMap<u64, Known>,
    checksum: u64,
}

#[derive(Default)]
struct Known {
    own: Option<Vec<(u8, f32)>>,
    variants: Vec<(String, Vec<(u8, f32)>)>,
}

impl std::fmt::Debug for Targets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Targets")
            .field("labels", &self.labels.len())
            .field("texts", &self.rows.len())
            .field("checksum", &format_args!("{:016x}", self.checksum))
            .finish()
    }
}

/// The key of a labelled text in the file.
fn key(label: &str, text: &str) -> u64 {
    let mut b = Vec::with_capacity(label.len() + 1 + text.len());
    b.extend_from_slice(label.as_bytes());
    b.push(b'\t');
    b.extend_from_slice(text.as_bytes());
    fnv1a(&b)
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], TargetsError> {
        if self.0.len() < n {
            return Err(TargetsError("truncated"));
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    fn u16(&mut self) -> Result<u16, TargetsError> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32, TargetsError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Result<u64, TargetsError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
}

impl Targets {
    /// Reads the file format in the module documentation, checksum first.
    pub fn from_bytes(bytes: &[u8]) -> Result<Targets, TargetsError> {
        if bytes.len() < 8 + 8 || &bytes[..8] != MAGIC {
            return Err(TargetsError("bad magic"));
        }
        let (body, sum) = bytes.split_at(bytes.len() - 8);
        let checksum = u64::from_le_bytes(sum.try_into().map_err(|_| TargetsError("truncated"))?);
        if fnv1a(body) != checksum {
            return Err(TargetsError("checksum mismatch"));
        }
        let mut r = Reader(&body[8..]);
        // Version 1 had no variants.
        let version = r.u32()?;
        if version != 1 && version != VERSION {
            return Err(TargetsError("unsupported version"));
        }
        let n_labels = r.u32()? as usize;
        if n_labels > 256 {
            return Err(TargetsError("too many labels"));
        }
        let mut labels = Vec::with_capacity(n_labels);
        for _ in 0..n_labels {
            let len = r.u16()? as usize;
            let s =
                std::str::from_utf8(r.take(len)?).map_err(|_| TargetsError("label not UTF-8"))?;
            labels.push(s.to_string());
        }
        let top = r.u32()? as usize;
        let n = r.u32()? as usize;
        let mut rows: HashMap<u64, Known> = HashMap::with_capacity(n.min(1 << 20));
        for _ in 0..n {
            let k = r.u64()?;
            let len = if version == 1 { 0 } else { r.u16()? as usize };
            let variant =
                std::str::from_utf8(r.take(len)?).map_err(|_| TargetsError("variant not UTF-8"))?;
            let mut row = Vec::with_capacity(top.min(256));
            for _ in 0..top {
                let b = r.take(3)?;
                if usize::from(b[0]) >= n_labels {
                    return Err(TargetsError("label index"));
                }
                let p = f32::from(u16::from_le_bytes([b[1], b[2]])) / 65535.0;
                if p > 0.0 {
                    row.push((b[0], p));
                }
            }
            let known = rows.entry(k).or_default();
            if variant.is_empty() {
                known.own = Some(row);
            } else {
                known.variants.push((variant.to_string(), row));
            }
        }
        if !r.0.is_empty() {
            return Err(TargetsError("bytes after the rows"));
        }
        Ok(Targets {
            labels,
            rows,
            checksum,
        })
    }

    /// FNV-1a of the file (its last 8 bytes).
    pub fn checksum(&self) -> u64 {
        self.checksum
    }

    /// How many texts have targets (not counting variants).
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// How many variants there are in all.
    pub fn variants_len(&self) -> usize {
        self.rows.values().map(|k| k.variants.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The teacher's distribution for a labelled text, over `labels` (the
    /// classifier's, sorted) as (index, probability) summing to 1; `None`
    /// if the file does not know the text or none of its labels are in
    /// `labels`. Each probability is raised to `1 / temperature` before
    /// renormalising.
    pub fn get(
        &self,
        label: &str,
        text: &str,
        labels: &[String],
        temperature: f32,
    ) -> Option<Soft> {
        let row = self.rows.get(&key(label, text))?.own.as_ref()?;
        self.over(row, labels, temperature)
    }

    /// The variants of a labelled text and their distributions (as
    /// [`Self::get`]).
    pub fn variants(
        &self,
        label: &str,
        text: &str,
        labels: &[String],
        temperature: f32,
    ) -> Vec<(&str, Soft)> {
        self.rows.get(&key(label, text)).map_or_else(Vec::new, |k| {
            k.variants
                .iter()
                .filter_map(|(v, row)| Some((v.as_str(), self.over(row, labels, temperature)?)))
                .collect()
        })
    }

    fn over(&self, row: &[(u8, f32)], labels: &[String], temperature: f32) -> Option<Soft> {
        let inv = 1.0 / temperature.max(1e-3);
        let mut out: Soft = row
            .iter()
            .filter_map(|&(l, p)| {
                let name = self.labels.get(usize::from(l))?;
                let i = labels.binary_search(name).ok()?;
                Some((i as u32, p.powf(inv)))
            })
            .collect();
        let sum: f32 = out.iter().map(|x| x.1).sum();
        if !(sum > 0.0 && sum.is_finite()) {
            return None;
        }
        for x in &mut out {
            x.1 /= sum;
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// A row of a file: label, text, variant ("" for none), targets.
    type Row<'a> = (&'a str, &'a str, &'a str, Vec<(u8, u16)>);

    /// A file in `teacher.py`'s format.
    fn file(labels: &[&str], rows: &[Row<'_>]) -> Vec<u8> {
        let mut b = MAGIC.to_vec();
        b.extend(VERSION.to_le_bytes());
        b.extend((labels.len() as u32).to_le_bytes());
        for l in labels {
            b.extend((l.len() as u16).to_le_bytes());
            b.extend(l.as_bytes());
        }
        b.extend(2u32.to_le_bytes());
        b.extend((rows.len() as u32).to_le_bytes());
        for (label, text, variant, top) in rows {
            b.extend(key(label, text).to_le_bytes());
            b.extend((variant.len() as u16).to_le_bytes());
            b.extend(variant.as_bytes());
            for (l, p) in top {
                b.push(*l);
                b.extend(p.to_le_bytes());
            }
        }
        let sum = fnv1a(&b);
        b.extend(sum.to_le_bytes());
        b
    }

    #[test]
    fn reads_targets_and_variants() {
        let bytes = file(
            &["lost_card", "rate", "pin"],
            &[
                (
                    "lost_card",
                    "I lost my card",
                    "",
                    vec![(0, 49151), (1, 16384)],
                ),
                (
                    "lost_card",
                    "I lost my card",
                    "lost my card",
                    vec![(0, 65535), (2, 0)],
                ),
                ("rate", "euro rate?", "", vec![(1, 32768), (2, 32767)]),
            ],
        );
        let t = Targets::from_bytes(&bytes).unwrap();
        assert_eq!((t.len(), t.variants_len()), (2, 1));
        // Over the classifier's labels (sorted; "pin" is not one of them).
        let labels: Vec<String> = ["lost_card", "other", "rate"].map(String::from).to_vec();
        let got = t.get("lost_card", "I lost my card", &labels, 1.0).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].0, 0);
        assert_eq!(got[1].0, 2);
        assert!((got[0].1 - 0.75).abs() < 1e-4 && (got[1].1 - 0.25).abs() < 1e-4);
        // A temperature above 1 softens.
        let soft = t.get("lost_card", "I lost my card", &labels, 2.0).unwrap();
        assert!(soft[0].1 < 0.75 && soft[0].1 > 0.5);
        // The label is part of the key; unknown texts have none.
        assert!(t.get("rate", "I lost my card", &labels, 1.0).is_none());
        assert!(t.get("lost_card", "hello", &labels, 1.0).is_none());
        let v = t.variants("lost_card", "I lost my card", &labels, 1.0);
        assert_eq!(v, vec![("lost my card", vec![(0, 1.0)])]);
        assert!(t.variants("rate", "euro rate?", &labels, 1.0).is_empty());
        // Any changed byte or a cut is refused.
        for at in [3, 9, 30, bytes.len() / 2, bytes.len() - 1] {
            let mut b = bytes.clone();
            b[at] ^= 0x10;
            assert!(Targets::from_bytes(&b).is_err(), "byte {at}");
        }
        for cut in [0, 10, bytes.len() - 9] {
            assert!(Targets::from_bytes(&bytes[..cut]).is_err(), "cut {cut}");
        }
    }

    #[test]
    fn the_classifier_learns_from_the_teacher_only_when_asked() {
        use crate::classifier::{tuned, Classifier, TrainConfig};
        use crate::csv::Example;
        let rows = [
            ("I lost my card", "lost_card"),
            ("my card was stolen", "lost_card"),
            ("card missing", "lost_card"),
            ("cannot find my card", "lost_card"),
            ("what is the euro rate", "rate"),
            ("exchange rate for dollars", "rate"),
            ("rate of pounds today", "rate"),
            ("how much is a euro", "rate"),
        ];
        let examples: Vec<Example> = rows
            .iter()
            .map(|(t, l)| Example {
                text: t.to_string(),
                label: l.to_string(),
            })
            .collect();
        // The teacher disagrees about one text and has a variant of it.
        let bytes = file(
            &["lost_card", "rate"],
            &[
                ("lost_card", "card missing", "", vec![(1, 65535), (0, 0)]),
                (
                    "lost_card",
                    "card missing",
                    "missing",
                    vec![(1, 65535), (0, 0)],
                ),
            ],
        );
        let targets = Arc::new(Targets::from_bytes(&bytes).unwrap());
        let base = TrainConfig {
            threads: 1,
            min_df: 1,
            calibrate: false,
            ..TrainConfig::default()
        };
        let plain = Classifier::train(&examples, &base);
        let unused = Classifier::train(
            &examples,
            &TrainConfig {
                teacher: Some(targets.clone()),
                ..base.clone()
            },
        );
        assert_eq!(plain.logits("card missing"), unused.logits("card missing"));
        let taught_config = TrainConfig {
            teacher: Some(targets),
            tuned: Some(tuned::TuneParams {
                teacher_weight: 1.0,
                variants: true,
                ..tuned::DEFAULT_PARAMS
            }),
            ..base
        };
        let taught = Classifier::train(&examples, &taught_config);
        assert_ne!(plain.logits("card missing"), taught.logits("card missing"));
        assert_eq!(
            taught.to_bytes(),
            Classifier::train(&examples, &taught_config).to_bytes()
        );
    }
}
