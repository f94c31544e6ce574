//! The intent classifier, trained by the project itself.
//!
//! Text is normalised ([`crate::text::normalise`]) and turned into sparse
//! features: word unigrams and bigrams, and character n-grams over Unicode
//! characters (so Devanagari works as well as Latin), hashed to stable
//! 64-bit keys and kept when seen in at least `min_df` training texts;
//! values are sublinear TF × IDF, each block L2-normalised. The model is
//! one-vs-rest linear SVMs (squared hinge, dual coordinate descent), so a
//! prediction costs one sparse-dense product. Probabilities are the
//! softmax of the SVM scores times a temperature fitted on held-out data.
//!
//! By default the features also hold a dense block: the text's sentence
//! vector from static token embeddings distilled from all-MiniLM-L6-v2
//! ([`embed`], compiled in), which knows that "hasn't arrived" and "still
//! waiting" are near though they share no n-gram. A model records which
//! embeddings it was trained with and is refused with others.
//!
//! Beside the SVMs, by default, a second model ([`tuned`]): those token
//! vectors fine-tuned on the labels under a linear softmax layer. Its
//! log-probabilities, times a weight fitted on held-out data together with
//! the temperature, are added to the SVM scores. The two models err on
//! different texts, so together they are right more often than either.
//! The fine-tuned model reads Latin script only (its vocabulary is an
//! English model's): a text in Devanagari is scored by the SVMs alone.

pub mod embed;
pub mod encoder;
mod features;
mod format;
pub(crate) mod learn;
pub mod teacher;
pub mod tuned;
mod wordpiece;

use std::sync::Arc;

use features::{FeatureSpec, Keys, Sparse, Vocabulary};
use learn::{Examples, Linear, SvmParams};
use tuned::{Soft, TuneParams, Tuned};

pub use format::{ModelError, FORMAT_VERSION};

use crate::csv::Example;

/// How to train. The default is what the project ships.
#[derive(Debug, Clone)]
pub struct TrainConfig {
    /// Seed of every random choice (the order examples are visited in).
    pub seed: u64,
    /// Keep features seen in at least this many training texts.
    pub min_df: u32,
    /// Word n-grams of 1 to `word_max_n` words (the text's start and end
    /// count as words in n-grams longer than 1).
    pub word_max_n: u8,
    /// Character n-grams of `char_min_n` to `char_max_n` characters, within
    /// each space-padded word.
    pub char_min_n: u8,
    pub char_max_n: u8,
    /// Weights of the word and character blocks (each L2-normalised).
    pub word_weight: f32,
    pub char_weight: f32,
    /// The SVMs' cost of a margin violation (higher fits harder).
    pub svm_c: f32,
    /// Most passes over the data per SVM, and the tolerance that ends them.
    pub svm_iterations: u32,
    pub svm_tolerance: f32,
    /// Fit the softmax temperature that turns SVM scores into
    /// probabilities on a held-out fifth (one extra training on 80% of the
    /// data); otherwise use [`DEFAULT_TEMPERATURE`].
    pub calibrate: bool,
    /// Threads for training (0: as many as the machine has). The model does
    /// not depend on it.
    pub threads: usize,
    /// Static sentence embeddings appended to the sparse features as a
    /// dense block (L2-normalised) of this weight: by default the
    /// compiled-in ones ([`embed::builtin`]) at [`EMBEDDINGS_WEIGHT`];
    /// `None` for n-grams alone.
    pub embeddings: Option<(Arc<embed::StaticEmbeddings>, f32)>,
    /// A contextual sentence encoder ([`encoder`]), by default the
    /// compiled-in one ([`encoder::builtin`]), and the weight of its vector
    /// as a second dense block after the embeddings' (0, the default
    /// [`ENCODER_WEIGHT`]: no block); `None` for no encoder.
    pub encoder: Option<(Arc<encoder::Encoder>, f32)>,
    /// Also train a softmax layer on the encoder's vectors
    /// ([`encoder::Head`]) and add its log-probabilities to the scores at a
    /// weight fitted on the held-out fifth ([`DEFAULT_HEAD_WEIGHT`] without
    /// calibration). Only with `encoder`; `None` for none.
    pub encoder_head: Option<encoder::HeadParams>,
    /// Also fine-tune the embeddings' token vectors on the labels
    /// ([`tuned`]) and add that model's log-probabilities to the SVM
    /// scores, at a weight fitted on the held-out fifth with the
    /// temperature ([`DEFAULT_TUNED_WEIGHT`] without calibration). Only
    /// with `embeddings`; `None` for the SVMs alone.
    pub tuned: Option<TuneParams>,
    /// Soft targets for the fine-tuned model ([`teacher`]), used at
    /// [`TuneParams::teacher_weight`]; an experiment, `None` by default.
    pub teacher: Option<Arc<teacher::Targets>>,
}

/// The weight of the embeddings block by default, chosen on Banking77's
/// development split (see `tools/distill/README.md`).
pub const EMBEDDINGS_WEIGHT: f32 = 1.5;

/// The weight of the encoder's block in the SVMs' features by default: 0,
/// none (its own softmax layer gains more; see BENCHMARKS.md).
pub const ENCODER_WEIGHT: f32 = 0.0;

/// The weight of the encoder head's log-probabilities (in SVM-score units)
/// when it is not calibrated: about what calibration finds on Banking77.
pub const DEFAULT_HEAD_WEIGHT: f32 = 0.3;

/// The weight of the fine-tuned model's log-probabilities (in SVM-score
/// units) when it is not calibrated: about what calibration finds on
/// Banking77.
pub const DEFAULT_TUNED_WEIGHT: f32 = 0.1;

/// The temperature used when it is not calibrated (or cannot be: too few
/// examples): about what calibration finds on Banking77.
pub const DEFAULT_TEMPERATURE: f32 = 5.0;

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            seed: 0x0061_6e75_6d61_7469,
            min_df: 2,
            word_max_n: 2,
            char_min_n: 2,
            char_max_n: 5,
            word_weight: 1.0,
            char_weight: 1.0,
            svm_c: 2.0,
            svm_iterations: 100,
            svm_tolerance: 0.01,
            calibrate: true,
            threads: 0,
            embeddings: Some((embed::builtin(), EMBEDDINGS_WEIGHT)),
            encoder: Some((encoder::builtin(), ENCODER_WEIGHT)),
            encoder_head: Some(encoder::DEFAULT_HEAD),
            tuned: Some(tuned::DEFAULT_PARAMS),
            teacher: None,
        }
    }
}

/// A trained intent classifier.
#[derive(Clone)]
pub struct Classifier {
    spec: FeatureSpec,
    vocab: Vocabulary,
    labels: Vec<String>,
    model: Linear,
    /// Dense sentence-embedding features after the sparse ones, and their
    /// weight ([`TrainConfig::embeddings`]).
    embeddings: Option<(Arc<embed::StaticEmbeddings>, f32)>,
    /// The encoder and the weight of its block after the embeddings' (0:
    /// no block) ([`TrainConfig::encoder`]).
    encoder: Option<(Arc<encoder::Encoder>, f32)>,
    /// The softmax layer over the encoder's vectors and the weight of its
    /// log-probabilities in the scores.
    head: Option<(encoder::Head, f32)>,
    /// The fine-tuned model (it tokenizes with `embeddings`) and the weight
    /// of its log-probabilities in the scores.
    tuned: Option<(Tuned, f32)>,
}

/// What the classifier makes of one text.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Prediction {
    /// The most probable label.
    pub label: String,
    /// Its probability.
    pub probability: f32,
    /// The best three labels (fewer if the model knows fewer), best first.
    pub top: Vec<(String, f32)>,
}

impl Classifier {
    /// Trains on `examples`. Deterministic: the same examples and config
    /// give the same model, byte for byte.
    pub fn train(examples: &[Example], config: &TrainConfig) -> Classifier {
        let spec = FeatureSpec {
            word_max_n: config.word_max_n.min(MAX_WORD_N),
            char_min_n: config.char_min_n.min(MAX_CHAR_N),
            char_max_n: config.char_max_n.min(MAX_CHAR_N),
            word_weight: finite_or(config.word_weight, 1.0),
            char_weight: finite_or(config.char_weight, 1.0),
            temperature: DEFAULT_TEMPERATURE,
        };
        let mut labels: Vec<String> = examples.iter().map(|e| e.label.clone()).collect();
        labels.sort();
        labels.dedup();
        let ys: Vec<u32> = examples
            .iter()
            .map(|e| labels.binary_search(&e.label).unwrap_or(0) as u32)
            .collect();
        let keys: Vec<Keys> = examples
            .iter()
            .map(|e| {
                let mut k = Keys::default();
                spec.keys(&e.text, &mut k);
                k
            })
            .collect();
        let vocab = features::learn_vocabulary(&keys, config.min_df);
        let mut scratch = Vec::new();
        let xs: Vec<_> = keys
            .iter()
            .map(|k| vocab.vectorise(&spec, k, &mut scratch))
            .collect();
        drop(keys);
        let embeddings = config
            .embeddings
            .clone()
            .filter(|(_, w)| w.is_finite() && *w != 0.0);
        let head_params = config.encoder_head.filter(|_| labels.len() >= 2);
        let encoder = config
            .encoder
            .clone()
            .filter(|(_, w)| w.is_finite())
            .filter(|(_, w)| *w != 0.0 || head_params.is_some());
        // Each text's encoder vector, for the block and the head.
        let enc_dims = encoder.as_ref().map_or(0, |(e, _)| e.dims());
        let mut sentence = vec![0.0; examples.len() * enc_dims];
        if let Some((e, _)) = &encoder {
            for (ex, out) in examples.iter().zip(sentence.chunks_exact_mut(enc_dims)) {
                e.embed(&ex.text, out);
            }
        }
        let dims = dense_dims(&embeddings, &encoder);
        let mut dense = Vec::with_capacity(examples.len() * dims);
        if dims > 0 {
            for (i, ex) in examples.iter().enumerate() {
                let v = sentence
                    .get(i * enc_dims..(i + 1) * enc_dims)
                    .unwrap_or(&[]);
                dense.extend(dense_features(&embeddings, &encoder, &ex.text, v));
            }
        }
        let xs = Examples {
            sparse: &xs,
            dense: &dense,
            dims,
        };
        let (n, k) = (vocab.idf.len() + dims, labels.len());
        let threads = match config.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            t => t,
        };
        let params = SvmParams {
            c: finite_or(config.svm_c, 1.0).max(1e-6),
            iterations: config.svm_iterations,
            tolerance: config.svm_tolerance,
            bias: 1.0,
        };
        // The fine-tuned model's inputs: each text's token ids.
        let tune = match (&embeddings, config.tuned) {
            (Some((e, _)), Some(p)) if k >= 2 => {
                let docs: Vec<Vec<u32>> = examples.iter().map(|x| tuned_ids(e, &x.text)).collect();
                let soft: Vec<Option<Soft>> = match &config.teacher {
                    Some(t) if p.teacher_weight > 0.0 => examples
                        .iter()
                        .map(|x| t.get(&x.label, &x.text, &labels, p.teacher_temperature))
                        .collect(),
                    _ => Vec::new(),
                };
                let mut variants = Vec::new();
                if let (Some(t), true) = (&config.teacher, p.variants && p.teacher_weight > 0.0) {
                    for (i, x) in examples.iter().enumerate() {
                        for (v, q) in t.variants(&x.label, &x.text, &labels, p.teacher_temperature)
                        {
                            variants.push((i, e.token_ids(v), q));
                        }
                    }
                }
                Some((e.clone(), docs, soft, variants, p))
            }
            _ => None,
        };
        let tune_ref = tune.as_ref().map(|(e, docs, soft, variants, p)| TuneInput {
            embeddings: e,
            docs,
            soft,
            variants,
            params: p,
        });
        let head_input = head_params.filter(|_| enc_dims > 0).map(|p| HeadInput {
            xs: &sentence,
            dims: enc_dims,
            params: p,
        });
        let (temperature, tuned_weight, head_weight) = if config.calibrate {
            calibrate(
                &xs,
                &ys,
                n,
                k,
                &params,
                tune_ref.as_ref(),
                head_input.as_ref(),
                config.seed,
                threads,
            )
        } else {
            (
                DEFAULT_TEMPERATURE,
                DEFAULT_TUNED_WEIGHT,
                DEFAULT_HEAD_WEIGHT,
            )
        };
        let model = learn::train_svm(&xs, &ys, n, k, &params, config.seed, threads);
        let tuned = tune_ref
            .and_then(|t| t.train(&ys, k, config.seed, None))
            .filter(|_| tuned_weight > 0.0)
            .map(|t| (t, tuned_weight));
        let head = head_input
            .and_then(|h| h.train(&ys, k, config.seed, None))
            .filter(|_| head_weight > 0.0)
            .map(|h| (h, head_weight));
        // Without a block or a head the encoder is not part of the model.
        let encoder = encoder.filter(|(_, w)| *w != 0.0 || head.is_some());
        Classifier {
            spec: FeatureSpec {
                temperature,
                ..spec
            },
            vocab,
            labels,
            model,
            embeddings,
            encoder,
            head,
            tuned,
        }
    }

    /// Classifies raw user text.
    pub fn predict(&self, text: &str) -> Prediction {
        let mut scores = self.logits(text);
        for s in &mut scores {
            *s *= self.spec.temperature;
        }
        learn::softmax(&mut scores);
        let mut ranked: Vec<(usize, f32)> = scores.iter().copied().enumerate().collect();
        let best = ranked.len().min(3);
        if best > 0 {
            ranked.select_nth_unstable_by(best - 1, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        }
        ranked.truncate(best);
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let top: Vec<(String, f32)> = ranked
            .iter()
            .map(|&(i, p)| (self.labels[i].clone(), p))
            .collect();
        let (label, probability) = top.first().cloned().unwrap_or_default();
        Prediction {
            label,
            probability,
            top,
        }
    }

    /// The model's raw scores for `text` (one per label, in
    /// [`Self::labels`] order: the SVM score plus the fine-tuned model's
    /// weighted log-probability; probabilities are their softmax at
    /// [`Self::temperature`]).
    pub fn logits(&self, text: &str) -> Vec<f32> {
        let sentence = self.sentence(text);
        let (mut scores, tuned) = self.parts(text, &sentence);
        if let (Some(lp), Some((_, weight))) = (tuned, &self.tuned) {
            for (s, l) in scores.iter_mut().zip(&lp) {
                *s += weight * l;
            }
        }
        if let (Some(lp), Some((_, weight))) = (self.head_part(&sentence), &self.head) {
            for (s, l) in scores.iter_mut().zip(&lp) {
                *s += weight * l;
            }
        }
        scores
    }

    /// The head's log-probabilities of an encoder vector.
    fn head_part(&self, sentence: &[f32]) -> Option<Vec<f32>> {
        let (h, _) = self.head.as_ref()?;
        let mut lp = vec![0.0; self.labels.len()];
        h.log_probs(sentence, &mut lp);
        Some(lp)
    }

    /// The encoder's vector of `text` (empty without an encoder).
    fn sentence(&self, text: &str) -> Vec<f32> {
        match &self.encoder {
            Some((e, _)) => {
                let mut v = vec![0.0; e.dims()];
                e.embed(text, &mut v);
                v
            }
            None => Vec::new(),
        }
    }

    /// The encoder head's log-probabilities of `text` before their weight
    /// (`None` without a head; all zeros for a text the encoder does not
    /// read, such as Devanagari).
    pub fn head_log_probs(&self, text: &str) -> Option<Vec<f32>> {
        self.head.as_ref()?;
        self.head_part(&self.sentence(text))
    }

    /// The weight of the encoder head's log-probabilities in the scores
    /// (`None` without a head).
    pub fn head_weight(&self) -> Option<f32> {
        self.head.as_ref().map(|(_, w)| *w)
    }

    /// The two parts of [`Self::logits`], apart: the SVM scores, and the
    /// fine-tuned model's log-probabilities before their weight (`None`
    /// without that model). For experiments that weigh them otherwise.
    pub fn logit_parts(&self, text: &str) -> (Vec<f32>, Option<Vec<f32>>) {
        self.parts(text, &self.sentence(text))
    }

    /// [`Self::logit_parts`] with the encoder's vector of `text` computed.
    fn parts(&self, text: &str, sentence: &[f32]) -> (Vec<f32>, Option<Vec<f32>>) {
        let mut keys = Keys::default();
        self.spec.keys(text, &mut keys);
        let mut x = self.vocab.vectorise(&self.spec, &keys, &mut Vec::new());
        if dense_dims(&self.embeddings, &self.encoder) > 0 {
            let dense = dense_features(&self.embeddings, &self.encoder, text, sentence);
            append_dense(&mut x, self.vocab.idf.len(), &dense);
        }
        let mut scores = vec![0.0; self.labels.len()];
        self.model.scores(&x, &mut scores);
        let tuned = match (&self.embeddings, &self.tuned) {
            (Some((e, _)), Some((t, _))) => {
                let mut lp = vec![0.0; self.labels.len()];
                t.log_probs(&tuned_ids(e, text), &mut lp);
                Some(lp)
            }
            _ => None,
        };
        (scores, tuned)
    }

    /// The labels the model knows, sorted.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// The factor applied to the scores before the softmax.
    pub fn temperature(&self) -> f32 {
        self.spec.temperature
    }

    /// The weight of the fine-tuned model's log-probabilities in the
    /// scores (`None`: the model has none).
    pub fn tuned_weight(&self) -> Option<f32> {
        self.tuned.as_ref().map(|(_, w)| *w)
    }

    /// How many features the model has: n-grams, and the dimensions of the
    /// embeddings' and the encoder's blocks if it has them.
    pub fn feature_count(&self) -> usize {
        self.vocab.idf.len() + dense_dims(&self.embeddings, &self.encoder)
    }
}

type Embeddings = Option<(Arc<embed::StaticEmbeddings>, f32)>;
type SentenceEncoder = Option<(Arc<encoder::Encoder>, f32)>;

/// Length of the dense block: the embeddings' vector, then the encoder's
/// (if its block weight is not 0).
fn dense_dims(embeddings: &Embeddings, encoder: &SentenceEncoder) -> usize {
    embeddings.as_ref().map_or(0, |(e, _)| e.dims())
        + encoder
            .as_ref()
            .filter(|(_, w)| *w != 0.0)
            .map_or(0, |(e, _)| e.dims())
}

/// The dense block of `text`: the static sentence vector, then the
/// encoder's (`sentence`, already computed), each L2-normalised and times
/// its weight.
fn dense_features(
    embeddings: &Embeddings,
    encoder: &SentenceEncoder,
    text: &str,
    sentence: &[f32],
) -> Vec<f32> {
    let mut v = vec![0.0; dense_dims(embeddings, encoder)];
    let mut at = 0;
    if let Some((e, weight)) = embeddings {
        e.embed(text, &mut Vec::new(), &mut v[..e.dims()]);
        for y in &mut v[..e.dims()] {
            *y *= weight;
        }
        at = e.dims();
    }
    if let Some((_, weight)) = encoder.as_ref().filter(|(_, w)| *w != 0.0) {
        for (y, &s) in v[at..].iter_mut().zip(sentence) {
            *y = s * weight;
        }
    }
    v
}

/// The token ids the fine-tuned model reads of `text`: none for text in
/// Devanagari, which the English teacher's WordPiece vocabulary splits
/// into single letters or `[UNK]` (the model would only add noise there:
/// `anumati nlu report` measured Hindi 88.04% with it, 89.91% without).
fn tuned_ids(e: &embed::StaticEmbeddings, text: &str) -> Vec<u32> {
    if crate::text::has_devanagari(text) {
        Vec::new()
    } else {
        e.token_ids(text)
    }
}

/// Appends dense features as sparse ones `offset..offset + dense.len()`.
fn append_dense(x: &mut Sparse, offset: usize, dense: &[f32]) {
    x.extend(
        dense
            .iter()
            .enumerate()
            .filter(|(_, &y)| y != 0.0)
            .map(|(j, &y)| ((offset + j) as u32, y)),
    );
}

fn finite_or(x: f32, default: f32) -> f32 {
    if x.is_finite() {
        x
    } else {
        default
    }
}

impl std::fmt::Debug for Classifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Classifier")
            .field("labels", &self.labels.len())
            .field("features", &self.feature_count())
            .field("temperature", &self.spec.temperature)
            .field("embeddings", &self.embeddings)
            .field("encoder", &self.encoder)
            .field("head", &self.head)
            .field("tuned", &self.tuned)
            .finish_non_exhaustive()
    }
}

/// Longest n-grams a model may use (the model format refuses more).
const MAX_WORD_N: u8 = 8;
const MAX_CHAR_N: u8 = 16;

/// What the fine-tuned model trains on: the embeddings, each example's
/// token ids, the settings.
struct TuneInput<'a> {
    embeddings: &'a Arc<embed::StaticEmbeddings>,
    docs: &'a [Vec<u32>],
    /// The teacher's probabilities per example (empty: none).
    soft: &'a [Option<Soft>],
    /// The teacher's variants: (example, token ids, probabilities).
    variants: &'a [(usize, Vec<u32>, Soft)],
    params: &'a TuneParams,
}

impl TuneInput<'_> {
    /// Trains on the examples `only` lists (all if `None`), and their
    /// variants.
    fn train(&self, ys: &[u32], labels: usize, seed: u64, only: Option<&[usize]>) -> Option<Tuned> {
        let all: Vec<usize>;
        let idx = match only {
            Some(idx) => idx,
            None if self.variants.is_empty() => {
                return Tuned::train(
                    self.embeddings,
                    self.docs,
                    ys,
                    self.soft,
                    labels,
                    self.params,
                    seed,
                )
            }
            None => {
                all = (0..self.docs.len()).collect();
                &all
            }
        };
        let mut keep = vec![false; self.docs.len()];
        for &i in idx {
            keep[i] = true;
        }
        let mut docs: Vec<Vec<u32>> = idx.iter().map(|&i| self.docs[i].clone()).collect();
        let mut sub_ys: Vec<u32> = idx.iter().map(|&i| ys[i]).collect();
        let mut soft: Vec<Option<Soft>> = if self.soft.is_empty() {
            vec![None; idx.len()]
        } else {
            idx.iter().map(|&i| self.soft[i].clone()).collect()
        };
        for (i, ids, q) in self.variants.iter().filter(|v| keep[v.0]) {
            docs.push(ids.clone());
            sub_ys.push(ys[*i]);
            soft.push(Some(q.clone()));
        }
        Tuned::train(
            self.embeddings,
            &docs,
            &sub_ys,
            &soft,
            labels,
            self.params,
            seed,
        )
    }
}

/// Weights of the fine-tuned model tried by calibration (SVM-score units;
/// a model distilled from a teacher is given 0.3 to 0.5).
const TUNED_WEIGHTS: [f32; 13] = [
    0.0, 0.025, 0.05, 0.075, 0.1, 0.125, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8,
];

/// What the encoder head trains on: each example's encoder vector.
struct HeadInput<'a> {
    xs: &'a [f32],
    dims: usize,
    params: encoder::HeadParams,
}

impl HeadInput<'_> {
    fn train(
        &self,
        ys: &[u32],
        labels: usize,
        seed: u64,
        only: Option<&[usize]>,
    ) -> Option<encoder::Head> {
        encoder::Head::train(self.xs, self.dims, ys, only, labels, &self.params, seed)
    }
}

/// Weights of the encoder head tried by calibration (SVM-score units).
const HEAD_WEIGHTS: [f32; 11] = [0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8];

/// The temperature, and the weights of the fine-tuned model and of the
/// encoder head (where there are ones), that minimise the log-loss on every
/// fifth example of each label, of models trained on the other four
/// fifths. The fine-tuned model's weight is chosen first (without the
/// head), then the head's with it.
#[allow(clippy::too_many_arguments)]
fn calibrate(
    xs: &Examples<'_>,
    ys: &[u32],
    features: usize,
    labels: usize,
    params: &SvmParams,
    tune: Option<&TuneInput<'_>>,
    head: Option<&HeadInput<'_>>,
    seed: u64,
    threads: usize,
) -> (f32, f32, f32) {
    let mut seen = vec![0usize; labels];
    let (mut fit, mut held) = (Vec::new(), Vec::new());
    for (i, &y) in ys.iter().enumerate() {
        // Count to five per label: the fifth is held out.
        let n = &mut seen[y as usize];
        *n += 1;
        if *n == 5 {
            *n = 0;
            held.push(i);
        } else {
            fit.push(i);
        }
    }
    if held.len() < 20 || labels < 2 {
        return (
            DEFAULT_TEMPERATURE,
            DEFAULT_TUNED_WEIGHT,
            DEFAULT_HEAD_WEIGHT,
        );
    }
    let fit_x: Vec<Sparse> = fit.iter().map(|&i| xs.sparse[i].clone()).collect();
    let fit_dense: Vec<f32> = fit.iter().flat_map(|&i| xs.dense_row(i)).copied().collect();
    let fit_y: Vec<u32> = fit.iter().map(|&i| ys[i]).collect();
    let fit_xs = Examples {
        sparse: &fit_x,
        dense: &fit_dense,
        dims: xs.dims,
    };
    let model = learn::train_svm(&fit_xs, &fit_y, features, labels, params, seed, threads);
    let scores: Vec<Vec<f32>> = held
        .iter()
        .map(|&i| {
            let mut x = xs.sparse[i].clone();
            append_dense(&mut x, features - xs.dims, xs.dense_row(i));
            let mut s = vec![0.0; labels];
            model.scores(&x, &mut s);
            s
        })
        .collect();
    let tuned = tune.and_then(|t| t.train(ys, labels, seed, Some(&fit)));
    let log_probs: Vec<Vec<f32>> = match (&tuned, tune) {
        (Some(model), Some(t)) => held
            .iter()
            .map(|&i| {
                let mut lp = vec![0.0; labels];
                model.log_probs(&t.docs[i], &mut lp);
                lp
            })
            .collect(),
        _ => Vec::new(),
    };
    let weights: &[f32] = if log_probs.is_empty() {
        &[0.0]
    } else {
        &TUNED_WEIGHTS
    };
    let best = best_weight(&scores, &log_probs, weights, &held, ys);
    let head_model = head.and_then(|h| h.train(ys, labels, seed, Some(&fit)));
    let (Some(model), Some(h)) = (head_model, head) else {
        return (best.1, best.2, 0.0);
    };
    // The head's weight, with the fine-tuned model at the weight chosen.
    let mixed: Vec<Vec<f32>> = if log_probs.is_empty() {
        scores
    } else {
        mix(&scores, &log_probs, best.2)
    };
    let head_lp: Vec<Vec<f32>> = held
        .iter()
        .map(|&i| {
            let mut lp = vec![0.0; labels];
            model.log_probs(&h.xs[i * h.dims..(i + 1) * h.dims], &mut lp);
            lp
        })
        .collect();
    let with_head = best_weight(&mixed, &head_lp, &HEAD_WEIGHTS, &held, ys);
    (with_head.1, best.2, with_head.2)
}

/// `scores` plus `weight` times `log_probs`, row by row.
fn mix(scores: &[Vec<f32>], log_probs: &[Vec<f32>], weight: f32) -> Vec<Vec<f32>> {
    scores
        .iter()
        .zip(log_probs)
        .map(|(s, lp)| s.iter().zip(lp).map(|(s, l)| s + weight * l).collect())
        .collect()
}

/// Of `weights`, the one whose mix of `scores` and `log_probs` has the
/// least log-loss at its best temperature: (loss, temperature, weight).
fn best_weight(
    scores: &[Vec<f32>],
    log_probs: &[Vec<f32>],
    weights: &[f32],
    held: &[usize],
    ys: &[u32],
) -> (f64, f32, f32) {
    let mut best = (f64::INFINITY, DEFAULT_TEMPERATURE, 0.0);
    for &weight in weights {
        let (loss, t) = if weight == 0.0 {
            best_temperature(scores, held, ys)
        } else {
            best_temperature(&mix(scores, log_probs, weight), held, ys)
        };
        if loss < best.0 {
            best = (loss, t, weight);
        }
    }
    best
}

/// The temperature that minimises the log-loss of `scores` (of the
/// examples `held`), and that loss.
fn best_temperature(scores: &[Vec<f32>], held: &[usize], ys: &[u32]) -> (f64, f32) {
    let loss = |t: f32| -> f64 {
        scores
            .iter()
            .zip(held)
            .map(|(s, &i)| {
                let max = s.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let sum: f64 = s.iter().map(|&v| f64::from((t * (v - max)).exp())).sum();
                sum.ln() - f64::from(t * (s[ys[i] as usize] - max))
            })
            .sum()
    };
    // A grid over 0.5 to 64, then a finer one around the best.
    let mut best = (f64::INFINITY, DEFAULT_TEMPERATURE);
    for step in 0..=28 {
        let t = 0.5 * 2f32.powf(step as f32 / 4.0);
        let l = loss(t);
        if l < best.0 {
            best = (l, t);
        }
    }
    let centre = best.1;
    for step in -8..=8 {
        let t = centre * 2f32.powf(step as f32 / 32.0);
        let l = loss(t);
        if l < best.0 {
            best = (l, t);
        }
    }
    best
}
