//! Text to sparse feature vectors: word n-grams and character n-grams,
//! hashed to stable 64-bit keys, looked up in the vocabulary learnt from the
//! training data, weighted by sublinear TF × IDF and L2-normalised per block.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::text;

/// How a text becomes features, and the temperature of the scores: the
/// model's settings, stored in it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeatureSpec {
    /// Word n-grams of 1..=word_max_n words (0: none).
    pub word_max_n: u8,
    /// Character n-grams of char_min_n..=char_max_n characters (0: none).
    pub char_min_n: u8,
    pub char_max_n: u8,
    /// Weights of the word and character blocks, each L2-normalised first.
    pub word_weight: f32,
    pub char_weight: f32,
    /// Scores are multiplied by this before the softmax.
    pub temperature: f32,
}

/// Feature-key namespaces, so a word and a character n-gram never share a key.
const WORD_SEED: u64 = 0x9e37_79b9_7f4a_7c15;
const CHAR_SEED: u64 = 0xc2b2_ae3d_27d4_eb4f;
/// Stands for the start and the end of the text in word n-grams.
const BOUNDARY: u64 = 0x1f;

/// FNV-1a step over a code point (chars, not bytes: Devanagari n-grams are
/// n letters and signs).
#[inline]
fn step(h: u64, v: u64) -> u64 {
    (h ^ v).wrapping_mul(0x0000_0100_0000_01b3)
}

/// Finaliser (splitmix64), so nearby keys spread over the hash table.
#[inline]
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A hasher for keys that are already well-mixed 64-bit hashes.
#[derive(Default, Clone, Copy)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = step(self.0, u64::from(*b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

pub type KeyMap<V> = HashMap<u64, V, BuildHasherDefault<KeyHasher>>;

/// Raw keys of a text, per block: word keys then character keys, with
/// repeats (the caller counts them).
#[derive(Default)]
pub struct Keys {
    pub words: Vec<u64>,
    pub chars: Vec<u64>,
}

impl FeatureSpec {
    /// The feature keys of `raw` (normalised here).
    pub fn keys(&self, raw: &str, out: &mut Keys) {
        out.words.clear();
        out.chars.clear();
        let norm = text::normalise(raw);
        let words: Vec<&str> = text::words(&norm).collect();
        let word_keys: Vec<u64> = words
            .iter()
            .map(|w| w.chars().fold(WORD_SEED, |h, c| step(h, u64::from(c))))
            .collect();
        for n in 1..=usize::from(self.word_max_n) {
            if n == 1 {
                out.words.extend(word_keys.iter().map(|&k| mix(k)));
                continue;
            }
            // n-grams with the text's start and end as pseudo-words, so
            // "<s> how" and "card </s>" count.
            let padded = word_keys.len() + 2;
            if padded < n {
                continue;
            }
            for start in 0..=padded - n {
                let mut h = WORD_SEED ^ (n as u64);
                for i in start..start + n {
                    let k = if i == 0 || i == padded - 1 {
                        BOUNDARY
                    } else {
                        word_keys[i - 1]
                    };
                    h = step(h.rotate_left(5), k);
                }
                out.words.push(mix(h));
            }
        }
        if self.char_max_n == 0 {
            return;
        }
        let (lo, hi) = (
            usize::from(self.char_min_n.max(1)),
            usize::from(self.char_max_n),
        );
        let mut chars: Vec<u32> = Vec::with_capacity(norm.len() + 2);
        let grams = |chars: &[u32], out: &mut Vec<u64>| {
            for start in 0..chars.len() {
                let mut h = CHAR_SEED;
                for (len, &c) in chars[start..].iter().take(hi).enumerate() {
                    h = step(h, u64::from(c));
                    if len + 1 >= lo {
                        out.push(mix(h));
                    }
                }
            }
        };
        for w in &words {
            chars.clear();
            chars.push(u32::from(' '));
            chars.extend(w.chars().map(u32::from));
            chars.push(u32::from(' '));
            grams(&chars, &mut out.chars);
        }
    }
}

/// Counts of each key, in key order.
pub fn count(keys: &[u64], out: &mut Vec<(u64, u32)>) {
    out.clear();
    let mut sorted: Vec<u64> = keys.to_vec();
    sorted.sort_unstable();
    for k in sorted {
        match out.last_mut() {
            Some((last, n)) if *last == k => *n += 1,
            _ => out.push((k, 1)),
        }
    }
}

/// A sparse vector: (feature index, value).
pub type Sparse = Vec<(u32, f32)>;

/// The vocabulary: feature keys to indices, and each feature's IDF.
#[derive(Clone)]
pub struct Vocabulary {
    pub index: KeyMap<u32>,
    pub idf: Vec<f32>,
}

impl Vocabulary {
    /// Sublinear TF × IDF of the known features, each block L2-normalised
    /// and scaled by its weight. `scratch` is reused between calls.
    pub fn vectorise(
        &self,
        spec: &FeatureSpec,
        keys: &Keys,
        scratch: &mut Vec<(u64, u32)>,
    ) -> Sparse {
        let mut v = Sparse::with_capacity(keys.words.len() + keys.chars.len());
        for (block, weight) in [
            (&keys.words, spec.word_weight),
            (&keys.chars, spec.char_weight),
        ] {
            if weight == 0.0 {
                continue;
            }
            count(block, scratch);
            let from = v.len();
            for &(k, n) in scratch.iter() {
                if let Some(&i) = self.index.get(&k) {
                    let tf = 1.0 + (n as f32).ln();
                    v.push((i, tf * self.idf[i as usize]));
                }
            }
            let norm = v[from..].iter().map(|(_, x)| x * x).sum::<f32>().sqrt();
            if norm > 0.0 {
                let scale = weight / norm;
                for (_, x) in &mut v[from..] {
                    *x *= scale;
                }
            }
        }
        v
    }
}

/// Learns the vocabulary: every key seen in at least `min_df` training
/// texts, indexed in first-seen order; smooth IDF `ln((1+N)/(1+df)) + 1`.
pub fn learn_vocabulary(docs: &[Keys], min_df: u32) -> Vocabulary {
    let mut df: KeyMap<(u32, u32)> = KeyMap::default(); // key -> (first seen, df)
    let mut order: Vec<u64> = Vec::new();
    let mut scratch = Vec::new();
    for d in docs {
        for block in [&d.words, &d.chars] {
            count(block, &mut scratch);
            for &(k, _) in &scratch {
                let e = df.entry(k).or_insert_with(|| {
                    order.push(k);
                    (order.len() as u32 - 1, 0)
                });
                e.1 += 1;
            }
        }
    }
    let n = docs.len() as f32;
    let mut index = KeyMap::default();
    let mut idf = Vec::new();
    for k in order {
        let d = df[&k].1;
        if d >= min_df.max(1) {
            index.insert(k, idf.len() as u32);
            idf.push(((1.0 + n) / (1.0 + d as f32)).ln() + 1.0);
        }
    }
    Vocabulary { index, idf }
}
