//! Simulates a handbook seed (env `SEED`, default 1; `DAYS`, default 183),
//! then scores every event once with `Detector::assess`: a small driver for
//! callgrind or perf, e.g.
//! `valgrind --tool=callgrind --toggle-collect='*Detector::assess*' …`.

use anumati_fraud::sim::{SimConfig, Simulator};
use anumati_fraud::{Detector, DetectorConfig, Model};

fn main() {
    let var = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let mut cfg = SimConfig::handbook(var("SEED", 1));
    cfg.days = var("DAYS", 183) as u32;
    let mut sim = Simulator::new(cfg);
    let mut events = Vec::new();
    while let Some(day) = sim.next_day() {
        events.extend(day.events);
    }
    let mut detector = Detector::new(DetectorConfig::default(), Model::prior()).unwrap();
    let mut alerts = 0;
    for e in &events {
        if detector.assess(e).alert {
            alerts += 1;
        }
    }
    println!("{} events, {alerts} alerts", events.len());
}
