//! The handbook's evaluation protocol, online.
//!
//! The detector reads every authorisation of the simulated period in time
//! order and hears of each fraud only `delay` days after the payment (the
//! customer's "no, it wasn't me"). The features of one week (from the
//! training start) and their labels train the logistic model; after a week's
//! gap, the following week is scored. As in the handbook, a test-day payment
//! of a customer already known to be defrauded (a fraud in the training week,
//! or in the gap up to the day a week before) is left out, and Card
//! Precision@100 leaves out cards found on an earlier test day.

use std::collections::{HashMap, HashSet, VecDeque};

use serde::{Deserialize, Serialize};

use crate::detector::{score_with, ConfigError, Detector, DetectorConfig, FEATURES, FEATURE_NAMES};
use crate::event::{days_from_civil, CardAuthorisation, Feedback, Scenario};
use crate::metrics::{self, CardScore};
use crate::model::{Model, ModelError, TrainOptions};

/// Days are counted from 1970-01-01, in UTC (the handbook's are naive).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Protocol {
    pub train_start_day: i64,
    pub train_days: i64,
    pub delay_days: i64,
    pub test_days: i64,
    /// k of Card Precision@k.
    pub k: usize,
}

impl Protocol {
    /// The handbook's: train from 2018-07-25 for a week, a week's delay, test
    /// a week, Card Precision@100.
    pub fn handbook() -> Self {
        Protocol::starting(days_from_civil(2018, 7, 25))
    }

    pub fn starting(train_start_day: i64) -> Self {
        Protocol {
            train_start_day,
            train_days: 7,
            delay_days: 7,
            test_days: 7,
            k: 100,
        }
    }

    /// The last 21 days of a period ending on `last_day`.
    pub fn ending(last_day: i64) -> Self {
        Protocol::starting(last_day - 20)
    }

    fn test_start(&self) -> i64 {
        self.train_start_day + self.train_days + self.delay_days
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("training failed: {0}")]
    Model(#[from] ModelError),
    #[error("the test week has {0}")]
    Test(&'static str),
}

/// The figures `anumati fraud eval` prints.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    pub auc_roc: f64,
    pub average_precision: f64,
    /// Mean over the test days.
    pub card_precision_at_100: f64,
    pub card_precision_at_100_per_day: Vec<f64>,
    pub events: u64,
    pub frauds: u64,
    pub train_events: usize,
    pub train_frauds: usize,
    pub test_events: usize,
    pub test_frauds: usize,
    pub protocol: Protocol,
    /// AUC ROC of each scenario's test frauds against the genuine payments.
    pub by_scenario: Vec<ScenarioAuc>,
    /// The trained model's standardised weights, largest first.
    pub weights: Vec<(String, f64)>,
    /// The trained model itself (not in the JSON report).
    #[serde(skip)]
    pub model: Option<Model>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ScenarioAuc {
    pub scenario: Scenario,
    pub frauds: usize,
    pub auc_roc: f64,
}

struct Row {
    features: [f64; FEATURES],
    fraud: bool,
}

struct TestRow {
    features: [f64; FEATURES],
    fraud: bool,
    scenario: Option<Scenario>,
    day: i64,
    card: u64,
    customer: u64,
}

fn hash(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Feeds events in time order with [`Evaluation::push`], then
/// [`Evaluation::finish`].
pub struct Evaluation {
    detector: Detector,
    protocol: Protocol,
    labels: HashMap<String, Scenario>,
    pending: VecDeque<(i64, Feedback)>,
    train: Vec<Row>,
    test: Vec<TestRow>,
    /// Defrauded customers by day, for the training and delay weeks.
    defrauded: HashMap<i64, HashSet<u64>>,
    events: u64,
    frauds: u64,
    training: TrainOptions,
    /// Features the model may use (`None`: all).
    only: Option<Vec<usize>>,
}

/// The handbook baseline's features (amount, weekend, night, the customer's
/// counts and mean amounts over 1, 7 and 30 days, the terminal's counts and
/// delayed risk over 1, 7 and 30 days), to train its model on the same data.
pub const HANDBOOK_FEATURES: &[&str] = &[
    "amount",
    "weekend",
    "night",
    "cust_n_24h",
    "cust_n_7d",
    "cust_n_30d",
    "cust_avg_24h",
    "cust_avg_7d",
    "cust_avg_30d",
    "term_n_1d",
    "term_n_7d",
    "term_n_30d",
    "term_risk_1d",
    "term_risk_7d",
    "term_risk_30d",
];

impl Evaluation {
    pub fn new(
        cfg: DetectorConfig,
        protocol: Protocol,
        labels: HashMap<String, Scenario>,
    ) -> Result<Self, EvalError> {
        let cfg = DetectorConfig {
            label_delay_days: protocol.delay_days.clamp(0, 14) as u32,
            ..cfg
        };
        Ok(Evaluation {
            detector: Detector::new(cfg, Model::prior())?,
            protocol,
            labels,
            pending: VecDeque::new(),
            train: Vec::new(),
            test: Vec::new(),
            defrauded: HashMap::new(),
            events: 0,
            frauds: 0,
            training: TrainOptions::default(),
            only: None,
        })
    }

    /// Lets the model see only the named features (the others are held at
    /// zero), e.g. [`HANDBOOK_FEATURES`].
    pub fn with_features(mut self, names: &[&str]) -> Self {
        self.only = Some(
            names
                .iter()
                .filter_map(|n| crate::detector::feature_index(n))
                .collect(),
        );
        self
    }

    fn mask(&self, mut x: [f64; FEATURES]) -> [f64; FEATURES] {
        if let Some(only) = &self.only {
            for (i, v) in x.iter_mut().enumerate() {
                if !only.contains(&i) {
                    *v = 0.0;
                }
            }
        }
        x
    }

    /// How the model is trained (default: logistic regression and boosted
    /// corrections).
    pub fn with_training(mut self, training: TrainOptions) -> Self {
        self.training = training;
        self
    }

    pub fn push(&mut self, event: &CardAuthorisation) {
        let now = event.at.unix;
        while self.pending.front().is_some_and(|(due, _)| *due <= now) {
            if let Some((_, fb)) = self.pending.pop_front() {
                self.detector.feedback(&fb);
            }
        }
        let scenario = self.labels.get(&event.id).copied();
        let fraud = scenario.is_some();
        self.events += 1;
        if fraud {
            self.frauds += 1;
            let due = now + self.protocol.delay_days * 86_400;
            self.pending
                .push_back((due, Feedback::for_event(event, true)));
        }
        let obs = self.detector.observe(event);
        let day = now.div_euclid(86_400);
        let p = &self.protocol;
        let rel = day - p.train_start_day;
        if (0..p.train_days).contains(&rel) {
            self.train.push(Row {
                features: self.mask(obs.features),
                fraud,
            });
        }
        if fraud && (0..p.train_days + p.delay_days).contains(&rel) {
            self.defrauded
                .entry(day)
                .or_default()
                .insert(hash(&event.customer));
        }
        let t = day - p.test_start();
        if (0..p.test_days).contains(&t) {
            self.test.push(TestRow {
                features: self.mask(obs.features),
                fraud,
                scenario,
                day,
                card: hash(&event.card),
                customer: hash(&event.customer),
            });
        }
    }

    pub fn finish(self) -> Result<Report, EvalError> {
        let p = self.protocol;
        let x: Vec<[f64; FEATURES]> = self.train.iter().map(|r| r.features).collect();
        let y: Vec<bool> = self.train.iter().map(|r| r.fraud).collect();
        let model = Model::train(&x, &y, self.training)?;
        let cfg = self.detector.config().clone();
        // Customers known to be defrauded by each test day.
        let known_by = |test_day: i64| -> HashSet<u64> {
            let last = p.train_start_day + p.train_days - 1 + (test_day - p.test_start());
            self.defrauded
                .iter()
                .filter(|(d, _)| **d <= last)
                .flat_map(|(_, c)| c.iter().copied())
                .collect()
        };
        let mut known: HashMap<i64, HashSet<u64>> = HashMap::new();
        let mut scores = Vec::new();
        let mut labels = Vec::new();
        let mut cards = Vec::new();
        let mut scenarios = Vec::new();
        for row in &self.test {
            let k = known.entry(row.day).or_insert_with(|| known_by(row.day));
            if k.contains(&row.customer) {
                continue;
            }
            let s = score_with(&model, &cfg, &row.features);
            scores.push(s);
            labels.push(row.fraud);
            scenarios.push(row.scenario);
            cards.push(CardScore {
                day: row.day,
                card: row.card,
                score: s,
                fraud: row.fraud,
            });
        }
        let auc = metrics::auc_roc(&scores, &labels)
            .ok_or(EvalError::Test("no fraud or no genuine payment"))?;
        let ap = metrics::average_precision(&scores, &labels).ok_or(EvalError::Test("no fraud"))?;
        let per_day: Vec<f64> = metrics::card_precision_at_k(&cards, p.k)
            .into_iter()
            .map(|(_, v)| v)
            .collect();
        let cp = metrics::mean(per_day.iter().copied()).unwrap_or(0.0);
        // Each scenario's frauds against all genuine payments.
        let mut by_scenario = Vec::new();
        for n in 1..=5u8 {
            let Some(sc) = Scenario::from_number(n) else {
                continue;
            };
            let (s, l): (Vec<f64>, Vec<bool>) = scores
                .iter()
                .zip(&scenarios)
                .filter(|(_, x)| x.is_none() || **x == Some(sc))
                .map(|(s, x)| (*s, x.is_some()))
                .unzip();
            let count = l.iter().filter(|v| **v).count();
            if let Some(auc) = metrics::auc_roc(&s, &l) {
                by_scenario.push(ScenarioAuc {
                    scenario: sc,
                    frauds: count,
                    auc_roc: auc,
                });
            }
        }
        let mut weights: Vec<(String, f64)> = FEATURE_NAMES
            .iter()
            .zip(&model.weights)
            .map(|(n, w)| ((*n).to_owned(), *w))
            .collect();
        weights.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
        Ok(Report {
            auc_roc: auc,
            average_precision: ap,
            card_precision_at_100: cp,
            card_precision_at_100_per_day: per_day,
            events: self.events,
            frauds: self.frauds,
            train_events: self.train.len(),
            train_frauds: y.iter().filter(|v| **v).count(),
            test_events: scores.len(),
            test_frauds: labels.iter().filter(|v| **v).count(),
            protocol: p,
            by_scenario,
            weights,
            model: Some(model),
        })
    }
}
