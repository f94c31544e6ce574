//! Measuring a classifier on labelled examples: accuracy, macro-F1,
//! per-intent precision and recall, the most confused pairs, and latency
//! (one query at a time, on the calling thread); and the stratified split
//! that makes a development set.

use std::collections::BTreeMap;
use std::time::Instant;

use crate::classifier::Classifier;
use crate::csv::Example;

/// How a classifier did on a test set.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Report {
    /// Test examples.
    pub examples: usize,
    /// Share of examples whose predicted label is the expected one.
    pub accuracy: f64,
    /// Mean F1 over every label that is expected or predicted at least once
    /// (a label never predicted correctly has F1 0).
    pub macro_f1: f64,
    /// Latency of one `predict` call, microseconds: median, 99th percentile
    /// (nearest rank) and mean.
    pub p50_us: f64,
    pub p99_us: f64,
    pub mean_us: f64,
    /// Per label, sorted by label.
    pub per_intent: Vec<IntentScore>,
    /// The ten most frequent (expected, predicted) mistakes, most first.
    pub confused: Vec<Confusion>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct IntentScore {
    pub intent: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Test examples with this label.
    pub support: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Confusion {
    pub expected: String,
    pub predicted: String,
    pub count: usize,
}

/// Runs `model` over `test` and scores it. Every example is predicted once
/// for the scores and the timings (after a short warm-up).
pub fn evaluate(model: &Classifier, test: &[Example]) -> Report {
    for e in test.iter().take(100) {
        std::hint::black_box(model.predict(&e.text));
    }
    let mut predicted = Vec::with_capacity(test.len());
    let mut micros = Vec::with_capacity(test.len());
    for e in test {
        let start = Instant::now();
        let p = std::hint::black_box(model.predict(&e.text));
        micros.push(start.elapsed().as_secs_f64() * 1e6);
        predicted.push(p.label);
    }
    let mut report = score(
        test.iter()
            .map(|e| e.label.as_str())
            .zip(predicted.iter().map(String::as_str)),
    );
    micros.sort_by(f64::total_cmp);
    report.p50_us = percentile(&micros, 0.50);
    report.p99_us = percentile(&micros, 0.99);
    report.mean_us = if micros.is_empty() {
        0.0
    } else {
        micros.iter().sum::<f64>() / micros.len() as f64
    };
    report
}

/// Nearest-rank percentile of sorted values (0 when there are none).
fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Scores (expected, predicted) pairs; the timings are left at zero.
pub fn score<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Report {
    #[derive(Default)]
    struct Counts {
        tp: usize,
        expected: usize,
        predicted: usize,
    }
    let mut counts: BTreeMap<&str, Counts> = BTreeMap::new();
    let mut mistakes: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let (mut n, mut correct) = (0usize, 0usize);
    for (expected, predicted) in pairs {
        n += 1;
        counts.entry(expected).or_default().expected += 1;
        counts.entry(predicted).or_default().predicted += 1;
        if expected == predicted {
            correct += 1;
            counts.entry(expected).or_default().tp += 1;
        } else {
            *mistakes.entry((expected, predicted)).or_default() += 1;
        }
    }
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let per_intent: Vec<IntentScore> = counts
        .iter()
        .filter(|(label, _)| !label.is_empty())
        .map(|(label, c)| {
            let precision = ratio(c.tp, c.predicted);
            let recall = ratio(c.tp, c.expected);
            let f1 = if precision + recall == 0.0 {
                0.0
            } else {
                2.0 * precision * recall / (precision + recall)
            };
            IntentScore {
                intent: label.to_string(),
                precision,
                recall,
                f1,
                support: c.expected,
            }
        })
        .collect();
    let macro_f1 = if per_intent.is_empty() {
        0.0
    } else {
        per_intent.iter().map(|s| s.f1).sum::<f64>() / per_intent.len() as f64
    };
    let mut confused: Vec<Confusion> = mistakes
        .into_iter()
        .map(|((expected, predicted), count)| Confusion {
            expected: expected.to_string(),
            predicted: predicted.to_string(),
            count,
        })
        .collect();
    // Most first; ties in label order (the map's order, kept by a stable sort).
    confused.sort_by_key(|c| std::cmp::Reverse(c.count));
    confused.truncate(10);
    Report {
        examples: n,
        accuracy: ratio(correct, n),
        macro_f1,
        p50_us: 0.0,
        p99_us: 0.0,
        mean_us: 0.0,
        per_intent,
        confused,
    }
}

/// Splits examples into (train, held out), stratified by label and
/// deterministic: within each label, in file order (or, given a seed, in
/// an order shuffled by it), the `i`th example is held out when
/// `floor(i × fraction)` steps up, so a fraction of 0.1 holds out every
/// tenth. Both parts keep the input's order.
pub fn stratified_split(
    examples: &[Example],
    fraction: f64,
    seed: Option<u64>,
) -> (Vec<Example>, Vec<Example>) {
    let fraction = if fraction.is_finite() {
        fraction.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let mut by_label: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, e) in examples.iter().enumerate() {
        by_label.entry(&e.label).or_default().push(i);
    }
    let mut held = vec![false; examples.len()];
    for (label, mut rows) in by_label {
        if let Some(seed) = seed {
            let mut h = seed;
            for b in label.bytes() {
                h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
            }
            crate::classifier::learn::Rng::new(h).shuffle(&mut rows);
        }
        for (i, &row) in rows.iter().enumerate() {
            // The epsilon keeps 0.1 × 10 from landing a hair under 1.
            let i = i as f64 + 1.0;
            if (i * fraction + 1e-9).floor() > ((i - 1.0) * fraction + 1e-9).floor() {
                held[row] = true;
            }
        }
    }
    let (mut train, mut dev) = (Vec::new(), Vec::new());
    for (e, held) in examples.iter().zip(held) {
        if held {
            dev.push(e.clone());
        } else {
            train.push(e.clone());
        }
    }
    (train, dev)
}
