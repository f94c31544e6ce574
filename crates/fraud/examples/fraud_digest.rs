//! A digest of everything the detector computes on a handbook seed: every
//! event's 34 features and score (bit for bit), alerts and reasons, and the
//! full-precision `fraud eval` figures. Two builds that print the same lines
//! compute the same thing; used to check that a speed-up changes no result.
//!
//! `cargo run --release -p anumati-fraud --example fraud_digest` (env
//! `SEEDS=1,2`).

use std::collections::HashMap;

use anumati_fraud::eval::{Evaluation, Protocol, HANDBOOK_FEATURES};
use anumati_fraud::sim::{SimConfig, Simulator};
use anumati_fraud::{Detector, DetectorConfig, Feedback, Model};

struct Digest(u64);

impl Digest {
    fn add(&mut self, v: u64) {
        self.0 = (self.0 ^ v)
            .wrapping_mul(0x0000_0100_0000_01b3)
            .rotate_left(17);
    }
    fn add_str(&mut self, s: &str) {
        for b in s.bytes() {
            self.add(u64::from(b));
        }
    }
}

fn main() {
    let seeds: Vec<u64> = std::env::var("SEEDS")
        .unwrap_or_else(|_| "1".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    // Handbook seeds, then a small everyday world (places, currencies, card
    // testing, impossible travel: the paths the handbook does not take).
    let worlds = seeds
        .into_iter()
        .map(|s| (SimConfig::handbook(s), Protocol::handbook()))
        .chain(std::iter::once((
            SimConfig::everyday(3, 1000, 60, 20_000),
            Protocol::ending(20_059),
        )));
    for (cfg, protocol) in worlds {
        let seed = cfg.seed;
        let mut sim = Simulator::new(cfg);
        let mut events = Vec::new();
        let mut labels = HashMap::new();
        while let Some(day) = sim.next_day() {
            events.extend(day.events);
            labels.extend(day.labels.into_iter().map(|l| (l.id, l.scenario)));
        }
        // Features with feedback (as the eval sees them), scores and reasons
        // without (as the bench does).
        let mut observer = Detector::new(DetectorConfig::default(), Model::prior()).unwrap();
        let mut assessor = Detector::new(DetectorConfig::default(), Model::prior()).unwrap();
        let mut features = Digest(0xcbf2_9ce4_8422_2325);
        let mut scores = Digest(0xcbf2_9ce4_8422_2325);
        let mut pending = std::collections::VecDeque::new();
        let mut alerts = 0;
        for e in &events {
            while pending
                .front()
                .is_some_and(|(due, _): &(i64, Feedback)| *due <= e.at.unix)
            {
                let (_, fb) = pending.pop_front().unwrap();
                observer.feedback(&fb);
            }
            if labels.contains_key(&e.id) {
                pending.push_back((e.at.unix + 7 * 86_400, Feedback::for_event(e, true)));
            }
            let obs = observer.observe(e);
            for v in obs.features {
                features.add(v.to_bits());
            }
            let a = assessor.assess(e);
            scores.add(a.score.to_bits());
            if a.alert {
                alerts += 1;
                for r in &a.reasons {
                    scores.add_str(&r.code);
                    scores.add_str(&r.text);
                }
            }
        }
        println!(
            "seed {seed}: {} events, features {:016x}, scores+reasons {:016x}, {alerts} alerts, tracked {:?}",
            events.len(),
            features.0,
            scores.0,
            assessor.tracked()
        );
        for (name, only) in [("all", None), ("handbook", Some(HANDBOOK_FEATURES))] {
            let mut eval =
                Evaluation::new(DetectorConfig::default(), protocol, labels.clone()).unwrap();
            if let Some(f) = only {
                eval = eval.with_features(f);
            }
            for e in &events {
                eval.push(e);
            }
            let r = eval.finish().unwrap();
            println!(
                "  eval {name}: AUC ROC {:?}, AP {:?}, CP@100 {:?} per day {:?}; train {} ({}), test {} ({}); by scenario {:?}",
                r.auc_roc,
                r.average_precision,
                r.card_precision_at_100,
                r.card_precision_at_100_per_day,
                r.train_events,
                r.train_frauds,
                r.test_events,
                r.test_frauds,
                r.by_scenario
                    .iter()
                    .map(|s| (s.scenario.number(), s.frauds, s.auc_roc))
                    .collect::<Vec<_>>()
            );
        }
    }
}
