//! Each rule of the detector on crafted sequences of authorisations.

use anumati_domain::money::{Currency, Money};
use anumati_fraud::detector::{feature_index, Observation};
use anumati_fraud::{
    CardAuthorisation, Detector, DetectorConfig, Feedback, Language, Model, Timestamp,
};

const IST: i32 = 19_800;
/// 2026-01-05 00:00 UTC, a Monday.
const T0: i64 = 1_767_571_200;
const MIN: i64 = 60;
const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;

fn mumbai() -> (f64, f64) {
    (19.0760, 72.8777)
}
fn delhi() -> (f64, f64) {
    (28.6139, 77.2090)
}
fn pune() -> (f64, f64) {
    (18.5204, 73.8567)
}

struct Ev(CardAuthorisation);

impl Ev {
    /// A card-present grocery payment in Mumbai by customer 1 with card 1.
    fn new(at: i64, rupees: i64) -> Self {
        Ev(CardAuthorisation {
            v: 1,
            id: format!("{at}-{rupees}"),
            card: "card-1".into(),
            customer: "cust-1".into(),
            amount: Money::from_minor(rupees * 100, Currency::INR),
            merchant: "m-home".into(),
            mcc: "5411".into(),
            terminal: "t-home".into(),
            card_present: true,
            country: "IN".into(),
            city: Some("Mumbai".into()),
            lat: Some(mumbai().0),
            lon: Some(mumbai().1),
            at: Timestamp::new(at, IST),
        })
    }
    fn at(mut self, place: (f64, f64), city: &str) -> Self {
        self.0.lat = Some(place.0);
        self.0.lon = Some(place.1);
        self.0.city = Some(city.into());
        self
    }
    fn online(mut self, merchant: &str, mcc: &str) -> Self {
        self.0.card_present = false;
        self.0.lat = None;
        self.0.lon = None;
        self.0.city = None;
        self.0.merchant = merchant.into();
        self.0.terminal = merchant.into();
        self.0.mcc = mcc.into();
        self
    }
    fn merchant(mut self, m: &str) -> Self {
        self.0.merchant = m.into();
        self.0.terminal = m.into();
        self
    }
    fn terminal(mut self, t: &str) -> Self {
        self.0.terminal = t.into();
        self
    }
    fn card(mut self, card: &str, customer: &str) -> Self {
        self.0.card = card.into();
        self.0.customer = customer.into();
        self
    }
    fn abroad(mut self, country: &str, currency: Currency, minor: i64) -> Self {
        self.0.country = country.into();
        self.0.amount = Money::from_minor(minor, currency);
        self
    }
}

fn detector() -> Detector {
    Detector::new(DetectorConfig::default(), Model::prior()).unwrap()
}

fn feature(obs: &Observation, name: &str) -> f64 {
    obs.features[feature_index(name).unwrap()]
}

#[test]
fn first_merchant_country_and_currency() {
    let mut d = detector();
    let first = d.observe(&Ev::new(T0, 500).0);
    // No history yet: nothing is a "first" to compare against.
    assert_eq!(feature(&first, "first_merchant"), 0.0);
    let again = d.observe(&Ev::new(T0 + HOUR, 400).0);
    assert_eq!(feature(&again, "first_merchant"), 0.0);
    let new_shop = d.observe(&Ev::new(T0 + 2 * HOUR, 400).merchant("m-new").0);
    assert_eq!(feature(&new_shop, "first_merchant"), 1.0);
    assert_eq!(feature(&new_shop, "first_country"), 0.0);
    let back = d.observe(&Ev::new(T0 + 3 * HOUR, 400).merchant("m-new").0);
    assert_eq!(feature(&back, "first_merchant"), 0.0);
    let usd = Ev::new(T0 + 4 * HOUR, 0)
        .online("web-us", "5999")
        .abroad("US", Currency::USD, 2_500);
    let usd = d.observe(&usd.0);
    assert_eq!(feature(&usd, "first_country"), 1.0);
    assert_eq!(feature(&usd, "first_currency"), 1.0);
    let usd2 =
        Ev::new(T0 + 5 * HOUR, 0)
            .online("web-us", "5999")
            .abroad("US", Currency::USD, 2_500);
    let usd2 = d.observe(&usd2.0);
    assert_eq!(feature(&usd2, "first_country"), 0.0);
    assert_eq!(feature(&usd2, "first_currency"), 0.0);
}

#[test]
fn impossible_travel_only_in_person() {
    let mut d = detector();
    d.observe(&Ev::new(T0 + 10 * HOUR, 500).0);
    // Online 20 minutes later: no place, no travel.
    let web = d.observe(
        &Ev::new(T0 + 10 * HOUR + 20 * MIN, 500)
            .online("web-1", "5999")
            .0,
    );
    assert_eq!(feature(&web, "impossible_travel"), 0.0);
    // In person in Delhi 40 minutes after Mumbai: about 1,150 km.
    let delhi_event = Ev::new(T0 + 10 * HOUR + 40 * MIN, 600)
        .at(delhi(), "Delhi")
        .terminal("t-delhi");
    let a = d.assess(&delhi_event.0);
    assert!(a.alert, "{a:?}");
    assert!(a.score >= 0.9);
    let text = &a.reasons[0].text;
    assert_eq!(a.reasons[0].code, "impossible_travel");
    assert!(
        text.contains("Delhi is 11") && text.contains("km from Mumbai"),
        "{text}"
    );
    assert!(text.contains("40 minutes earlier"), "{text}");
    // The same reason in Hindi.
    let hi = a.reasons[0].text_in(Language::Hi);
    assert!(
        hi.contains("Delhi से 11") && hi.contains("किमी दूर Mumbai में"),
        "{hi}"
    );
    assert!(hi.contains("40 मिनट पहले"), "{hi}");
    assert_eq!(a.reasons[0].text_in(Language::En), text);
    // A day later, back in Mumbai: a plane could do that.
    let home = d.observe(&Ev::new(T0 + 34 * HOUR, 500).0);
    assert_eq!(feature(&home, "impossible_travel"), 0.0);
    // Mumbai to Pune (about 120 km) in 30 minutes is fast but short: below
    // the minimum distance.
    let pune = d.observe(&Ev::new(T0 + 34 * HOUR + 30 * MIN, 500).at(pune(), "Pune").0);
    assert_eq!(feature(&pune, "impossible_travel"), 0.0);
    // The same trip on another card is not this card's travel.
    let mut other = detector();
    other.observe(&Ev::new(T0, 500).0);
    let o = other.observe(
        &Ev::new(T0 + 30 * MIN, 500)
            .at(delhi(), "Delhi")
            .card("card-2", "cust-1")
            .0,
    );
    assert_eq!(feature(&o, "impossible_travel"), 0.0);
}

#[test]
fn night_time_in_the_customers_local_time() {
    let mut d = detector();
    // 02:10 in India is 20:40 UTC the evening before.
    let night = d.observe(&Ev::new(T0 - 3 * HOUR - 20 * MIN, 500).0);
    assert_eq!(feature(&night, "night"), 1.0);
    // 02:10 UTC is 07:40 in India: morning.
    let morning = d.observe(&Ev::new(T0 + 2 * HOUR + 10 * MIN, 500).0);
    assert_eq!(feature(&morning, "night"), 0.0);
    // A bank that calls 22:00 to 05:00 night.
    let cfg = DetectorConfig {
        night_start_hour: 22,
        night_end_hour: 5,
        ..DetectorConfig::default()
    };
    let mut d = Detector::new(cfg, Model::prior()).unwrap();
    // 23:30 IST = 18:00 UTC.
    let late = d.observe(&Ev::new(T0 + 18 * HOUR, 500).0);
    assert_eq!(feature(&late, "night"), 1.0);
}

#[test]
fn sliding_windows_count_and_forget() {
    let mut d = detector();
    for i in 0..3 {
        d.observe(&Ev::new(T0 + i * 3 * MIN, 1_000).0);
    }
    let fourth = d.observe(&Ev::new(T0 + 10 * MIN, 1_000).0);
    assert_eq!(feature(&fourth, "cust_n_1h"), 3.0);
    assert_eq!(feature(&fourth, "card_n_1h"), 3.0);
    assert_eq!(feature(&fourth, "cust_avg_24h"), 1_000.0);
    let later = d.observe(&Ev::new(T0 + 2 * HOUR + 10 * MIN, 3_000).0);
    assert_eq!(feature(&later, "cust_n_1h"), 0.0);
    assert_eq!(feature(&later, "cust_n_24h"), 4.0);
    let next_week = d.observe(&Ev::new(T0 + 8 * DAY, 500).0);
    assert_eq!(feature(&next_week, "cust_n_24h"), 0.0);
    assert_eq!(feature(&next_week, "cust_n_7d"), 0.0);
    assert_eq!(feature(&next_week, "cust_n_30d"), 5.0);
    // (4 × ₹1,000 + ₹3,000) / 5
    assert_eq!(feature(&next_week, "cust_avg_30d"), 1_400.0);
    let much_later = d.observe(&Ev::new(T0 + 40 * DAY, 500).0);
    assert_eq!(feature(&much_later, "cust_n_30d"), 0.0);
}

#[test]
fn card_testing_burst_of_small_online_payments() {
    let mut d = detector();
    // Small payments in person, just before, do not count.
    for i in 0..5 {
        d.observe(&Ev::new(T0 + 13 * HOUR - 10 * MIN + i * MIN, 50).0);
    }
    let mut last = None;
    for i in 0..5 {
        let e = Ev::new(T0 + 13 * HOUR + i * 40, 20 + i).online("web-x", "5999");
        last = Some(d.assess(&e.0));
        if i < 4 {
            assert!(!last
                .as_ref()
                .unwrap()
                .reasons
                .iter()
                .any(|r| r.code == "card_testing"));
        }
    }
    let a = last.unwrap();
    assert!(a.alert && a.score >= 0.9, "{a:?}");
    assert_eq!(a.reasons[0].code, "card_testing");
    assert!(
        a.reasons[0].text.starts_with("4 small online payments"),
        "{:?}",
        a.reasons
    );
    // Twenty minutes later the window (15 minutes) has passed.
    let calm = d.observe(
        &Ev::new(T0 + 13 * HOUR + 25 * MIN, 30)
            .online("web-x", "5999")
            .0,
    );
    assert_eq!(feature(&calm, "card_testing"), 0.0);
}

#[test]
fn amount_against_the_customers_history() {
    let mut d = detector();
    for i in 0..10 {
        d.observe(&Ev::new(T0 + i * DAY + 12 * HOUR, 1_000).0);
    }
    let normal = d.observe(&Ev::new(T0 + 10 * DAY + 12 * HOUR, 1_000).0);
    assert!(feature(&normal, "amount_vs_30d").abs() < 1e-9);
    let e = Ev::new(T0 + 11 * DAY + 12 * HOUR, 5_000);
    let obs = d.observe(&e.0);
    assert!((feature(&obs, "amount_vs_30d") - 5f64.ln()).abs() < 0.01);
    assert!(feature(&obs, "amount_z") > 3.0);
    let reasons = d.explain(&e.0, &obs);
    assert!(
        reasons
            .iter()
            .any(|r| r.text == "₹5,000.00 is 5 times what you usually spend"),
        "{reasons:?}"
    );
}

#[test]
fn high_risk_categories_only_online() {
    let mut d = detector();
    let web = d.observe(&Ev::new(T0, 2_000).online("web-bet", "7995").0);
    assert_eq!(feature(&web, "high_risk_cnp"), 1.0);
    let shop = d.observe(&Ev::new(T0 + HOUR, 2_000).merchant("m-lottery").0);
    let mut shop_event = Ev::new(T0 + 2 * HOUR, 2_000).0;
    shop_event.mcc = "7995".into();
    let shop2 = d.observe(&shop_event);
    assert_eq!(feature(&shop, "high_risk_cnp"), 0.0);
    assert_eq!(feature(&shop2, "high_risk_cnp"), 0.0);
}

#[test]
fn terminal_risk_waits_for_late_labels() {
    let mut d = detector();
    let at_terminal = |day: i64, card: &str| {
        Ev::new(T0 + day * DAY + 10 * HOUR, 700)
            .terminal("t-skim")
            .card(card, &format!("cust-{card}"))
    };
    let victim = at_terminal(0, "a");
    d.observe(&victim.0);
    for day in 1..7 {
        let o = d.observe(&at_terminal(day, "b").0);
        assert_eq!(feature(&o, "term_risk_7d"), 0.0);
        assert_eq!(feature(&o, "term_fraud_fresh"), 0.0);
    }
    // Seven days on, the customer says "no, it wasn't me".
    d.feedback(&Feedback::for_event(&victim.0, true));
    // The same day: heard of, but the day is not fully labelled yet.
    let o = d.observe(&at_terminal(7, "c").0);
    assert_eq!(feature(&o, "term_fraud_fresh"), 1.0);
    assert_eq!(feature(&o, "term_risk_7d"), 0.0);
    // The next day the window (days 8 − 7 − 7 … 8 − 8) holds day 0: one
    // payment, one fraud.
    let o = d.observe(&at_terminal(8, "d").0);
    assert_eq!(feature(&o, "term_risk_1d"), 1.0);
    assert_eq!(feature(&o, "term_risk_7d"), 1.0);
    assert_eq!(feature(&o, "term_risk_last"), 1.0);
    // Other terminals know nothing of it.
    let elsewhere = d.observe(&Ev::new(T0 + 8 * DAY + 11 * HOUR, 700).0);
    assert_eq!(feature(&elsewhere, "term_risk_7d"), 0.0);
    // "Yes, it was me" changes nothing.
    d.feedback(&Feedback::for_event(&at_terminal(1, "b").0, false));
    let o = d.observe(&at_terminal(9, "e").0);
    // Days 9−13 … 9−8 = −4 … 1 hold two payments, one fraud.
    assert_eq!(feature(&o, "term_risk_7d"), 0.5);
}

#[test]
fn state_is_bounded() {
    let cfg = DetectorConfig {
        max_cards: 100,
        max_customers: 100,
        max_terminals: 100,
        ..DetectorConfig::default()
    };
    let mut d = Detector::new(cfg, Model::prior()).unwrap();
    for i in 0..5_000 {
        let e = Ev::new(T0 + i * 10, 100)
            .card(&format!("card-{i}"), &format!("cust-{i}"))
            .terminal(&format!("t-{i}"));
        d.observe(&e.0);
        let (cards, customers, terminals) = d.tracked();
        assert!(cards <= 100 && customers <= 100 && terminals <= 100);
    }
    // The memory stays within the bound: 100 of each, whatever came before.
    let bytes = d.state_bytes();
    assert!(bytes > 0 && bytes < 100 * 4 * 1024, "{bytes} bytes");
    // The most recent card is still known.
    let e = Ev::new(T0 + 50_001, 100)
        .card("card-4999", "cust-4999")
        .terminal("t-4999");
    let o = d.observe(&e.0);
    assert_eq!(feature(&o, "cust_n_1h"), 1.0);
}

#[test]
fn the_bank_configures_thresholds() {
    let cfg: DetectorConfig = serde_json::from_str(r#"{"alert_threshold": 0.2}"#).unwrap();
    assert_eq!(cfg.alert_threshold, 0.2);
    assert_eq!(cfg.label_delay_days, 7);
    assert!(serde_json::from_str::<DetectorConfig>(r#"{"alert_treshold": 0.2}"#).is_err());
    let bad = DetectorConfig {
        alert_threshold: 1.5,
        ..DetectorConfig::default()
    };
    assert!(Detector::new(bad, Model::prior()).is_err());
    let bad = DetectorConfig {
        high_risk_cnp_mccs: vec!["79x5".into()],
        ..DetectorConfig::default()
    };
    assert!(Detector::new(bad, Model::prior()).is_err());
    // No floor: impossible travel alone no longer forces an alert under the
    // prior model with a high threshold.
    let cfg = DetectorConfig {
        impossible_travel_floor: None,
        alert_threshold: 0.99,
        ..DetectorConfig::default()
    };
    let mut d = Detector::new(cfg, Model::prior()).unwrap();
    d.assess(&Ev::new(T0 + 10 * HOUR, 500).0);
    let a = d.assess(
        &Ev::new(T0 + 10 * HOUR + 30 * MIN, 500)
            .at(delhi(), "Delhi")
            .0,
    );
    assert!(!a.alert && a.reasons.is_empty(), "{a:?}");
}

#[test]
fn one_live_event_as_json_gets_a_score_and_reasons_in_english_and_hindi() {
    // What the chat app does for each event the bank streams.
    let mut d = detector();
    for day in 0..20 {
        d.assess(&Ev::new(T0 + day * DAY + 12 * HOUR, 400).0);
    }
    let line = r#"{"v":1,"id":"a-1","card":"card-1","customer":"cust-1","amount":{"amount":"9999.00","currency":"INR"},"merchant":"m-far","mcc":"5732","terminal":"t-far","card_present":true,"country":"IN","at":"2026-01-25T02:14:05+05:30"}"#;
    let event = CardAuthorisation::from_json(line).unwrap();
    let a = d.assess(&event);
    assert!(a.alert, "{a:?}");
    assert!((0.5..=1.0).contains(&a.score));
    let codes: Vec<&str> = a.reasons.iter().map(|r| r.code.as_str()).collect();
    assert!(codes.contains(&"amount_vs_30d"), "{codes:?}");
    assert!(codes.contains(&"night"), "{codes:?}");
    for r in &a.reasons {
        assert!(!r.text.is_empty());
        assert!(
            r.hi.chars().any(|c| ('\u{0900}'..='\u{097f}').contains(&c)),
            "not in Devanagari: {:?}",
            r.hi
        );
    }
    let night = a.reasons.iter().find(|r| r.code == "night").unwrap();
    assert_eq!(night.text, "it was 02:14 at night, your time");
    assert_eq!(night.text_in(Language::Hi), "आपके समय से रात के 02:14 बजे थे");
    let usual = a
        .reasons
        .iter()
        .find(|r| r.code == "amount_vs_30d")
        .unwrap();
    assert_eq!(
        usual.text_in(Language::Hi),
        "₹9,999.00 आपके आम ख़र्च का 25 गुना है"
    );
    // The verdict as JSON carries both.
    let json = serde_json::to_string(&a).unwrap();
    assert!(
        json.contains(r#""hi":"आपके समय से रात के 02:14 बजे थे""#),
        "{json}"
    );
    // Not JSON of version 1: refused, the detector unchanged.
    let v2 = line.replace(r#""v":1"#, r#""v":2"#);
    assert!(CardAuthorisation::from_json(&v2).is_err());
}
