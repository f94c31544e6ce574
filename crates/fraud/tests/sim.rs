//! The simulator: deterministic for a seed, the handbook's mechanics, the
//! scenarios at their rates (within tolerances) on a small population.

use std::collections::HashMap;

use anumati_domain::money::Currency;
use anumati_fraud::eval::{Evaluation, Protocol};
use anumati_fraud::sim::{haversine_km, Profile, SimConfig, Simulator};
use anumati_fraud::{CardAuthorisation, DetectorConfig, Label, Scenario};

fn run(cfg: SimConfig) -> (Vec<CardAuthorisation>, Vec<Label>) {
    let mut sim = Simulator::new(cfg);
    let (mut events, mut labels) = (Vec::new(), Vec::new());
    while let Some(day) = sim.next_day() {
        events.extend(day.events);
        labels.extend(day.labels);
    }
    (events, labels)
}

/// The handbook's rules on a tenth of its population (the daily numbers of
/// compromised terminals and cards unchanged, so fraud is more frequent).
fn small_handbook(seed: u64) -> SimConfig {
    SimConfig {
        customers: 1_000,
        terminals: 2_000,
        days: 60,
        ..SimConfig::handbook(seed)
    }
}

#[test]
fn a_seed_gives_the_same_simulation() {
    let a = run(SimConfig {
        days: 10,
        ..small_handbook(7)
    });
    let b = run(SimConfig {
        days: 10,
        ..small_handbook(7)
    });
    let c = run(SimConfig {
        days: 10,
        ..small_handbook(8)
    });
    assert_eq!(a.0, b.0);
    assert_eq!(a.1, b.1);
    assert_ne!(a.0, c.0);
    let e = run(SimConfig::everyday(3, 300, 10, 20_000));
    let f = run(SimConfig::everyday(3, 300, 10, 20_000));
    assert_eq!(e.0, f.0);
    assert_eq!(e.1, f.1);
}

#[test]
fn handbook_mechanics_and_rates() {
    let cfg = small_handbook(11);
    let start = cfg.start_day * 86_400;
    let (events, labels) = run(cfg);
    let label: HashMap<&str, Scenario> =
        labels.iter().map(|l| (l.id.as_str(), l.scenario)).collect();
    // About 2 × P(|N(0,1)| < 2.16) ≈ 1.94 payments per customer-day.
    let per_day = events.len() as f64 / (1_000.0 * 60.0);
    assert!((1.80..2.08).contains(&per_day), "{per_day}");
    let mut last = i64::MIN;
    for e in &events {
        assert!(e.at.unix >= last, "time order");
        last = e.at.unix;
        let second = (e.at.unix - start).rem_euclid(86_400);
        assert!(second > 0 && second < 86_400);
        assert_eq!(e.at.offset, 0);
        assert!(e.amount.minor() >= 0);
        assert_eq!(e.amount.currency(), Currency::INR);
        // Scenario 1: every amount above 220 is fraudulent.
        if e.amount.minor() > 22_000 {
            assert!(label.contains_key(e.id.as_str()), "{e:?}");
        }
    }
    for l in &labels {
        assert!(matches!(
            l.scenario,
            Scenario::LargeAmount | Scenario::CompromisedTerminal | Scenario::CompromisedCard
        ));
    }
    // From day 30 on, about 2 × 28 of 2,000 terminals (2.8%) and 3 × 14 of
    // 1,000 customers are compromised, a third of whose payments are fraud
    // (1.4%).
    let late: Vec<&CardAuthorisation> = events
        .iter()
        .filter(|e| e.at.unix >= start + 30 * 86_400)
        .collect();
    let share = |s: Scenario| {
        late.iter()
            .filter(|e| label.get(e.id.as_str()) == Some(&s))
            .count() as f64
            / late.len() as f64
    };
    let terminal = share(Scenario::CompromisedTerminal);
    let card = share(Scenario::CompromisedCard);
    assert!((0.018..0.040).contains(&terminal), "{terminal}");
    assert!((0.008..0.022).contains(&card), "{card}");
    // Every payment at a compromised terminal in its 28 days is fraudulent:
    // a terminal with a scenario-2 fraud has no genuine payment in the
    // following days unless another scenario relabelled it.
    let first_bad: HashMap<&str, i64> = events
        .iter()
        .filter(|e| label.get(e.id.as_str()) == Some(&Scenario::CompromisedTerminal))
        .fold(HashMap::new(), |mut m, e| {
            m.entry(e.terminal.as_str()).or_insert(e.at.unix);
            m
        });
    for e in &events {
        if let Some(&t) = first_bad.get(e.terminal.as_str()) {
            if e.at.unix >= t && e.at.unix < t + 20 * 86_400 {
                assert!(label.contains_key(e.id.as_str()), "{e:?}");
            }
        }
    }
}

#[test]
fn everyday_scenarios() {
    let cfg = SimConfig::everyday(5, 2_000, 20, 20_454);
    assert_eq!(cfg.profile, Profile::Everyday);
    let (events, labels) = run(cfg);
    let by_id: HashMap<&str, &CardAuthorisation> =
        events.iter().map(|e| (e.id.as_str(), e)).collect();
    let count = |s: Scenario| labels.iter().filter(|l| l.scenario == s).count();
    assert!(count(Scenario::CardTesting) > 20);
    assert!(count(Scenario::ImpossibleTravel) > 5);
    assert!(count(Scenario::CompromisedCard) > 5);
    for l in &labels {
        let e = by_id[l.id.as_str()];
        match l.scenario {
            Scenario::CompromisedCard => assert!(!e.card_present),
            Scenario::CardTesting => assert!(!e.card_present && e.place().is_none()),
            Scenario::ImpossibleTravel => assert!(e.card_present && e.place().is_some()),
            _ => {}
        }
    }
    // Impossible travel: the clone is far from where the real card was used
    // in person that day.
    for l in labels
        .iter()
        .filter(|l| l.scenario == Scenario::ImpossibleTravel)
    {
        let clone = by_id[l.id.as_str()];
        let nearest = events
            .iter()
            .filter(|e| e.card == clone.card && e.id != clone.id && e.card_present)
            .filter(|e| (e.at.unix - clone.at.unix).abs() <= 3 * 3_600)
            .filter_map(|e| e.place())
            .map(|p| haversine_km(p, clone.place().unwrap_or_default()))
            .fold(0.0f64, f64::max);
        assert!(nearest > 400.0, "{nearest}");
    }
    // Online payments abroad are in the merchant's currency.
    assert!(events
        .iter()
        .any(|e| e.country == "US" && e.amount.currency() == Currency::USD));
    assert!(events.iter().all(|e| e.card_present == e.place().is_some()));
    assert!(events.iter().all(|e| e.at.offset == 19_800));
    assert!(events
        .iter()
        .all(|e| anumati_domain::mcc::description(&e.mcc).is_some()));
}

#[test]
fn the_detector_finds_everyday_fraud_it_never_saw_labels_for() {
    let cfg = SimConfig::everyday(9, 1_500, 45, 20_454);
    let last_day = cfg.start_day + i64::from(cfg.days) - 1;
    let (events, labels) = run(cfg);
    let labels: HashMap<String, Scenario> =
        labels.into_iter().map(|l| (l.id, l.scenario)).collect();
    let mut eval = Evaluation::new(
        DetectorConfig::default(),
        Protocol::ending(last_day),
        labels,
    )
    .unwrap();
    for e in &events {
        eval.push(e);
    }
    let report = eval.finish().unwrap();
    assert!(report.test_frauds > 20, "{report:?}");
    assert!(report.auc_roc > 0.8, "{report:?}");
    assert!(report.average_precision > 0.3, "{report:?}");
    assert_eq!(report.card_precision_at_100_per_day.len(), 7);
}
