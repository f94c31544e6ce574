//! The fraud issue's benchmark: simulate the handbook's setting, score every
//! event on one core, and evaluate with the handbook protocol.
//!
//! `cargo bench -p anumati-fraud --bench fraud` (env `SEEDS=1,2,3`, `RUNS=5`;
//! `NO_EVAL=1` for the scoring figures alone, `VERBOSE=1` for per-day and
//! per-scenario figures).

use std::collections::HashMap;
use std::time::Instant;

use anumati_fraud::boost::BoostOptions;
use anumati_fraud::detector::FEATURE_NAMES;
use anumati_fraud::eval::{Evaluation, Protocol, HANDBOOK_FEATURES};
use anumati_fraud::model::TrainOptions;
use anumati_fraud::sim::{SimConfig, Simulator};
use anumati_fraud::{Detector, DetectorConfig, Model};

/// CPU seconds of this thread (user + system), from /proc; the machine is
/// shared, so wall time alone overstates the cost.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Scores every event `runs` times with a fresh detector; medians of events
/// per second of wall and of CPU time, and the alerts of the last run.
fn score_all(
    events: &[anumati_fraud::CardAuthorisation],
    model: &Model,
    runs: usize,
) -> (f64, f64, usize) {
    let mut rates = Vec::new();
    let mut cpu_rates = Vec::new();
    let mut alerts = 0;
    for _ in 0..runs {
        let mut detector = Detector::new(DetectorConfig::default(), model.clone()).unwrap();
        let t = Instant::now();
        let c = cpu_seconds();
        alerts = 0;
        for e in events {
            if detector.assess(e).alert {
                alerts += 1;
            }
        }
        rates.push(events.len() as f64 / t.elapsed().as_secs_f64());
        if let (Some(c0), Some(c1)) = (c, cpu_seconds()) {
            cpu_rates.push(events.len() as f64 / (c1 - c0).max(1e-3));
        }
    }
    let cpu = if cpu_rates.is_empty() {
        f64::NAN
    } else {
        median(cpu_rates)
    };
    (median(rates), cpu, alerts)
}

fn main() {
    let seeds: Vec<u64> = std::env::var("SEEDS")
        .unwrap_or_else(|_| "1".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    for seed in seeds {
        let started = Instant::now();
        let mut sim = Simulator::new(SimConfig::handbook(seed));
        let mut events = Vec::new();
        let mut labels = HashMap::new();
        while let Some(day) = sim.next_day() {
            events.extend(day.events);
            labels.extend(day.labels.into_iter().map(|l| (l.id, l.scenario)));
        }
        let sim_secs = started.elapsed().as_secs_f64();
        println!(
            "seed {seed}: {} events, {} fraudulent ({:.3}%), simulated in {sim_secs:.2} s",
            events.len(),
            labels.len(),
            100.0 * labels.len() as f64 / events.len() as f64
        );
        let (wall, cpu, alerts) = score_all(&events, &Model::prior(), runs);
        println!(
            "  scoring (assess incl. reasons for alerts, one thread, prior model): median {wall:.0} events/s wall, {cpu:.0} events/s of CPU time, over {runs} runs ({alerts} alerts)"
        );
        if std::env::var("NO_EVAL").is_ok() {
            continue;
        }
        let all: Vec<&str> = FEATURE_NAMES.to_vec();
        for (name, training, features) in [
            (
                "handbook features, linear",
                TrainOptions::default(),
                HANDBOOK_FEATURES,
            ),
            ("all features, linear", TrainOptions::default(), &all[..]),
            (
                "all features, linear+trees",
                TrainOptions {
                    boost: Some(BoostOptions::default()),
                    ..TrainOptions::default()
                },
                &all[..],
            ),
        ] {
            let t = Instant::now();
            let mut eval = Evaluation::new(
                DetectorConfig::default(),
                Protocol::handbook(),
                labels.clone(),
            )
            .unwrap()
            .with_training(training)
            .with_features(features);
            for e in &events {
                eval.push(e);
            }
            let report = eval.finish().unwrap();
            println!(
            "  eval {name} ({:.2} s): AUC ROC {:.3}, average precision {:.3}, Card Precision@100 {:.3}; train {} ({} fraud), test {} ({} fraud)",
            t.elapsed().as_secs_f64(),
            report.auc_roc,
            report.average_precision,
            report.card_precision_at_100,
            report.train_events,
            report.train_frauds,
            report.test_events,
            report.test_frauds
        );
            if name == "all features, linear" {
                // The model a bank would deploy: every feature has a weight.
                if let Some(model) = &report.model {
                    let (wall, cpu, alerts) = score_all(&events, model, runs);
                    println!(
                        "  scoring with this trained model: median {wall:.0} events/s wall, {cpu:.0} events/s of CPU time, over {runs} runs ({alerts} alerts)"
                    );
                }
            }
            if std::env::var("VERBOSE").is_ok() {
                println!(
                    "  per day CP@100: {:?}",
                    report.card_precision_at_100_per_day
                );
                println!("  by scenario: {:?}", report.by_scenario);
            }
        }
    }
}
