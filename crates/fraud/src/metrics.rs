//! Threshold-free quality measures of a fraud score.

use std::collections::{HashMap, HashSet};

/// Indices sorted by descending score (ties by index, for determinism).
fn descending(scores: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    order
}

/// Area under the ROC curve; tied scores count half. `None` without both
/// classes.
pub fn auc_roc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let n = scores.len().min(labels.len());
    let positives = labels[..n].iter().filter(|l| **l).count() as f64;
    let negatives = n as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return None;
    }
    let order = descending(&scores[..n]);
    let (mut tp, mut fp, mut area) = (0.0f64, 0.0f64, 0.0f64);
    let mut i = 0;
    while i < n {
        let (tp0, fp0) = (tp, fp);
        let s = scores[order[i]];
        while i < n && scores[order[i]] == s {
            if labels[order[i]] {
                tp += 1.0;
            } else {
                fp += 1.0;
            }
            i += 1;
        }
        area += (fp - fp0) * (tp + tp0) / 2.0;
    }
    Some(area / (positives * negatives))
}

/// Average precision: Σ (Rₙ − Rₙ₋₁) Pₙ over the distinct thresholds, from the
/// highest score down (as scikit-learn computes it). `None` without a
/// positive.
pub fn average_precision(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let n = scores.len().min(labels.len());
    let positives = labels[..n].iter().filter(|l| **l).count() as f64;
    if positives == 0.0 {
        return None;
    }
    let order = descending(&scores[..n]);
    let (mut tp, mut seen, mut ap, mut last_recall) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    let mut i = 0;
    while i < n {
        let s = scores[order[i]];
        while i < n && scores[order[i]] == s {
            if labels[order[i]] {
                tp += 1.0;
            }
            seen += 1.0;
            i += 1;
        }
        let recall = tp / positives;
        ap += (recall - last_recall) * (tp / seen);
        last_recall = recall;
    }
    Some(ap)
}

/// One scored payment for Card Precision@k.
#[derive(Clone, Copy, Debug)]
pub struct CardScore {
    pub day: i64,
    pub card: u64,
    pub score: f64,
    pub fraud: bool,
}

/// Card Precision@k per day, as the handbook defines it: each day, every card
/// gets the highest score of its payments that day and is fraudulent if any
/// of them is; the `k` highest cards are checked, and the share of
/// fraudulent ones among `k` is the day's precision. A card found fraudulent
/// in the top `k` on one day is left out of the days after (it has been
/// blocked). Returns the days in order and their precisions.
pub fn card_precision_at_k(payments: &[CardScore], k: usize) -> Vec<(i64, f64)> {
    if k == 0 {
        return Vec::new();
    }
    let mut by_day: HashMap<i64, HashMap<u64, (f64, bool)>> = HashMap::new();
    for p in payments {
        let e = by_day
            .entry(p.day)
            .or_default()
            .entry(p.card)
            .or_insert((f64::NEG_INFINITY, false));
        e.0 = e.0.max(p.score);
        e.1 |= p.fraud;
    }
    let mut days: Vec<i64> = by_day.keys().copied().collect();
    days.sort_unstable();
    let mut detected: HashSet<u64> = HashSet::new();
    let mut out = Vec::new();
    for day in days {
        let mut cards: Vec<(u64, f64, bool)> = by_day[&day]
            .iter()
            .filter(|(card, _)| !detected.contains(card))
            .map(|(card, (s, f))| (*card, *s, *f))
            .collect();
        cards.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let top = &cards[..cards.len().min(k)];
        let hits: Vec<u64> = top.iter().filter(|c| c.2).map(|c| c.0).collect();
        out.push((day, hits.len() as f64 / k as f64));
        detected.extend(hits);
    }
    out
}

pub fn mean(values: impl IntoIterator<Item = f64>) -> Option<f64> {
    let (mut sum, mut n) = (0.0, 0usize);
    for v in values {
        sum += v;
        n += 1;
    }
    (n > 0).then(|| sum / n as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_by_hand() {
        // Positives at 0.9 and 0.4; negatives at 0.8, 0.3, 0.2.
        // Pairs won by the positive: (0.9 vs all 3) + (0.4 vs 0.3, 0.2) = 5 of 6.
        let s = [0.9, 0.8, 0.4, 0.3, 0.2];
        let l = [true, false, true, false, false];
        assert!((auc_roc(&s, &l).unwrap() - 5.0 / 6.0).abs() < 1e-12);
        // A tie between a positive and a negative counts half: 0.5 of 1.
        assert!((auc_roc(&[0.5, 0.5], &[true, false]).unwrap() - 0.5).abs() < 1e-12);
        assert_eq!(auc_roc(&[0.1, 0.2], &[true, true]), None);
        // Perfect and reversed.
        assert_eq!(auc_roc(&[0.9, 0.1], &[true, false]), Some(1.0));
        assert_eq!(auc_roc(&[0.1, 0.9], &[true, false]), Some(0.0));
    }

    #[test]
    fn average_precision_by_hand() {
        // Ranked: P N P N N. Precision at the positives: 1/1 and 2/3.
        // AP = 0.5·1 + 0.5·(2/3) = 5/6.
        let s = [0.9, 0.8, 0.4, 0.3, 0.2];
        let l = [true, false, true, false, false];
        assert!((average_precision(&s, &l).unwrap() - 5.0 / 6.0).abs() < 1e-12);
        // All tied: one threshold, precision = prevalence.
        let ap = average_precision(&[0.5; 4], &[true, false, false, false]).unwrap();
        assert!((ap - 0.25).abs() < 1e-12);
        assert_eq!(average_precision(&[0.5], &[false]), None);
    }

    #[test]
    fn card_precision_by_hand() {
        let p = |day, card, score, fraud| CardScore {
            day,
            card,
            score,
            fraud,
        };
        let payments = [
            // Day 0: card 1 max 0.9 (fraud on its low payment), card 2 0.8
            // genuine, card 3 0.1 fraud. Top 2 = {1, 2}: 1 of 2.
            p(0, 1, 0.9, false),
            p(0, 1, 0.2, true),
            p(0, 2, 0.8, false),
            p(0, 3, 0.1, true),
            // Day 1: card 1 (detected on day 0) is left out. Top 2 = {3, 2}:
            // card 3 fraud, card 2 genuine: 1 of 2.
            p(1, 1, 0.99, true),
            p(1, 2, 0.5, false),
            p(1, 3, 0.7, true),
            // Day 2: one card only; precision still divides by k.
            p(2, 4, 0.3, true),
        ];
        let got = card_precision_at_k(&payments, 2);
        assert_eq!(got, vec![(0, 0.5), (1, 0.5), (2, 0.5)]);
        assert_eq!(mean(got.iter().map(|d| d.1)), Some(0.5));
    }
}
