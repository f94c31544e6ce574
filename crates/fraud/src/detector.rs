//! The online detector: one pass over authorisations in time order, state per
//! card, per customer and per terminal of a fixed size each, in tables of a
//! bounded number of entries.
//!
//! For every authorisation it computes [`FEATURES`] numbers from the state
//! *before* the payment (so a payment never explains itself), then records
//! the payment. The score is a logistic [`Model`] over the features, raised to
//! a configured floor when a hard rule fires (impossible travel, card
//! testing). Reasons in plain words come from the features that added most to
//! the score.
//!
//! Fraud labels reach the detector only as [`Feedback`], late: a customer's
//! "no, it wasn't me". Terminal risk counts them in the day of the payment and
//! reads windows that end `label_delay_days` ago, as the handbook does, so the
//! feature means the same whether a label came early or on time.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use anumati_domain::money::Currency;
use serde::{Deserialize, Serialize};

use crate::event::{CardAuthorisation, Feedback};
use crate::model::{Model, ModelError, Term};
use crate::sim::haversine_km;
use crate::window::Ring;

/// The features, in the order of the vector the model reads.
pub const FEATURE_NAMES: [&str; FEATURES] = [
    "amount_log",
    "amount",
    "night",
    "weekend",
    "cust_n_1h",
    "cust_n_24h",
    "cust_n_7d",
    "cust_n_30d",
    "cust_avg_24h",
    "cust_avg_7d",
    "cust_avg_30d",
    "amount_vs_30d",
    "amount_vs_30d_up",
    "amount_z",
    "first_merchant",
    "first_country",
    "first_currency",
    "impossible_travel",
    "travel_speed_log",
    "high_risk_cnp",
    "card_not_present",
    "card_small_cnp_recent",
    "card_testing",
    "card_n_1h",
    "term_n_1d",
    "term_n_7d",
    "term_n_30d",
    "term_risk_1d",
    "term_risk_7d",
    "term_risk_30d",
    "term_known_fraud",
    "new_customer",
    "term_risk_last",
    "term_fraud_fresh",
];
pub const FEATURES: usize = 34;

#[allow(dead_code)]
mod f {
    pub const AMOUNT_LOG: usize = 0;
    pub const AMOUNT: usize = 1;
    pub const NIGHT: usize = 2;
    pub const WEEKEND: usize = 3;
    pub const CUST_N_1H: usize = 4;
    pub const CUST_N_24H: usize = 5;
    pub const CUST_N_7D: usize = 6;
    pub const CUST_N_30D: usize = 7;
    pub const CUST_AVG_24H: usize = 8;
    pub const CUST_AVG_7D: usize = 9;
    pub const CUST_AVG_30D: usize = 10;
    pub const AMOUNT_VS_30D: usize = 11;
    pub const AMOUNT_VS_30D_UP: usize = 12;
    pub const AMOUNT_Z: usize = 13;
    pub const FIRST_MERCHANT: usize = 14;
    pub const FIRST_COUNTRY: usize = 15;
    pub const FIRST_CURRENCY: usize = 16;
    pub const IMPOSSIBLE_TRAVEL: usize = 17;
    pub const TRAVEL_SPEED_LOG: usize = 18;
    pub const HIGH_RISK_CNP: usize = 19;
    pub const CARD_NOT_PRESENT: usize = 20;
    pub const CARD_SMALL_CNP_RECENT: usize = 21;
    pub const CARD_TESTING: usize = 22;
    pub const CARD_N_1H: usize = 23;
    pub const TERM_N_1D: usize = 24;
    pub const TERM_N_7D: usize = 25;
    pub const TERM_N_30D: usize = 26;
    pub const TERM_RISK_1D: usize = 27;
    pub const TERM_RISK_7D: usize = 28;
    pub const TERM_RISK_30D: usize = 29;
    pub const TERM_KNOWN_FRAUD: usize = 30;
    pub const NEW_CUSTOMER: usize = 31;
    pub const TERM_RISK_LAST: usize = 32;
    pub const TERM_FRAUD_FRESH: usize = 33;
}

/// What the bank configures. Every field has a default; a TOML or JSON
/// config may set any subset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DetectorConfig {
    /// Alert the customer at or above this score.
    pub alert_threshold: f64,
    /// Labels arrive this many days after the payment (at most 14).
    pub label_delay_days: u32,
    /// Night, in the customer's local time: from this hour…
    pub night_start_hour: u8,
    /// …to this hour (exclusive).
    pub night_end_hour: u8,
    /// Two card-present payments further apart than this speed are
    /// impossible travel…
    pub impossible_travel_kmh: f64,
    /// …when they are also at least this far apart.
    pub impossible_travel_min_km: f64,
    /// Card testing: this many small online payments…
    pub card_testing_count: u32,
    /// …within this many seconds…
    pub card_testing_window_secs: i64,
    /// …each at most this many minor units.
    pub card_testing_small_minor: i64,
    /// Card-not-present merchant categories that fraud favours.
    pub high_risk_cnp_mccs: Vec<String>,
    /// Score floor when impossible travel fires (`null`: no floor).
    pub impossible_travel_floor: Option<f64>,
    /// Score floor when card testing fires.
    pub card_testing_floor: Option<f64>,
    /// Most reasons given with an alert.
    pub max_reasons: usize,
    /// Bounds on the state: cards, customers and terminals tracked at once.
    /// A customer takes about 1.2 kB, a terminal 0.4 kB and a card 0.3 kB
    /// (and the name of the city of its last in-person payment); see
    /// [`Detector::state_bytes`]. The defaults, meant for a large bank, allow
    /// up to about 4 GB in all.
    pub max_cards: usize,
    pub max_customers: usize,
    pub max_terminals: usize,
}

impl Default for DetectorConfig {
    fn default() -> Self {
        DetectorConfig {
            alert_threshold: 0.5,
            label_delay_days: 7,
            night_start_hour: 0,
            night_end_hour: 6,
            impossible_travel_kmh: 800.0,
            impossible_travel_min_km: 150.0,
            card_testing_count: 4,
            card_testing_window_secs: 900,
            card_testing_small_minor: 20_000,
            high_risk_cnp_mccs: ["4829", "5967", "6051", "7995", "7800", "7801", "7802"]
                .map(String::from)
                .to_vec(),
            impossible_travel_floor: Some(0.9),
            card_testing_floor: Some(0.9),
            max_reasons: 3,
            max_cards: 2_000_000,
            max_customers: 2_000_000,
            max_terminals: 2_000_000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} must be between 0 and 1")]
    Probability(&'static str),
    #[error("label_delay_days must be at most 14")]
    Delay,
    #[error("night hours must be below 24")]
    Night,
    #[error("{0} must be positive")]
    Positive(&'static str),
    #[error("invalid merchant category code {0:?}")]
    Mcc(String),
    #[error(transparent)]
    Model(#[from] ModelError),
}

impl DetectorConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        let unit = |v: f64| (0.0..=1.0).contains(&v);
        if !unit(self.alert_threshold) {
            return Err(ConfigError::Probability("alert_threshold"));
        }
        for (name, floor) in [
            ("impossible_travel_floor", self.impossible_travel_floor),
            ("card_testing_floor", self.card_testing_floor),
        ] {
            if floor.is_some_and(|f| !unit(f)) {
                return Err(ConfigError::Probability(name));
            }
        }
        if self.label_delay_days > 14 {
            return Err(ConfigError::Delay);
        }
        if self.night_start_hour >= 24 || self.night_end_hour > 24 {
            return Err(ConfigError::Night);
        }
        if self.impossible_travel_kmh.is_nan() || self.impossible_travel_kmh <= 0.0 {
            return Err(ConfigError::Positive("impossible_travel_kmh"));
        }
        if self.card_testing_window_secs <= 0 {
            return Err(ConfigError::Positive("card_testing_window_secs"));
        }
        if self.max_cards == 0 || self.max_customers == 0 || self.max_terminals == 0 {
            return Err(ConfigError::Positive(
                "max_cards, max_customers and max_terminals",
            ));
        }
        for mcc in &self.high_risk_cnp_mccs {
            if mcc.len() != 4 || !mcc.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ConfigError::Mcc(mcc.clone()));
            }
        }
        Ok(())
    }
}

/// One reason for a score, in plain words, in English and in Hindi.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    /// The feature or rule, e.g. `amount_vs_30d`.
    pub code: String,
    /// For the customer, e.g. "₹4,250.00 is 5 times what you usually spend".
    pub text: String,
    /// The same in Hindi (Devanagari), e.g. "₹4,250.00 आपके आम ख़र्च का 5
    /// गुना है"; empty in reasons written before it existed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hi: String,
}

/// The language of a reason's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    En,
    Hi,
}

impl Reason {
    /// The text in `lang` (English when there is no Hindi text).
    pub fn text_in(&self, lang: Language) -> &str {
        match lang {
            Language::Hi if !self.hi.is_empty() => &self.hi,
            _ => &self.text,
        }
    }
}

/// The detector's verdict on one authorisation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// In [0, 1].
    pub score: f64,
    pub alert: bool,
    /// Only for alerts, most important first.
    pub reasons: Vec<Reason>,
}

/// The features of one authorisation and the facts behind its reasons.
#[derive(Clone, Debug, PartialEq)]
pub struct Observation {
    pub features: [f64; FEATURES],
    /// The customer's usual amount (30-day average), minor units, if known.
    usual_minor: Option<i64>,
    /// Impossible travel: kilometres and minutes since the last in-person
    /// payment, and where that was.
    travel: Option<(f64, f64, Option<String>)>,
}

// ---------------------------------------------------------------- state

/// Keys are 64-bit hashes of ids; the map does not hash them again.
#[derive(Default, Clone, Copy)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

type KeyMap<S> = HashMap<u64, S, BuildHasherDefault<KeyHasher>>;

/// FNV-1a then a SplitMix64 finaliser; never 0 (0 marks an empty slot).
fn key(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    h.max(1)
}

trait Stale {
    fn last_seen(&self) -> i64;
}

/// At most `cap` states, stored densely; a small map from key to slot finds
/// them (16 bytes an entry, so the index of thousands of cards stays in the
/// cache while the states themselves are read once per event). When full,
/// states idle for longer than `horizon` go first, then the least recently
/// seen half.
struct Table<S> {
    index: KeyMap<u32>,
    keys: Vec<u64>,
    slots: Vec<S>,
    cap: usize,
    horizon: i64,
}

impl<S: Stale> Table<S> {
    fn new(cap: usize, horizon: i64) -> Self {
        Table {
            index: KeyMap::default(),
            keys: Vec::new(),
            slots: Vec::new(),
            // Slots are numbered by u32.
            cap: cap.min(u32::MAX as usize),
            horizon,
        }
    }

    fn len(&self) -> usize {
        self.slots.len()
    }

    /// Bytes allocated: the states, their keys and the index (a key, a
    /// slot and a control byte an entry).
    fn bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<S>()
            + self.keys.capacity() * 8
            + self.index.capacity() * (8 + 4 + 1)
    }

    /// The slot of `k`, made by `make` if `k` is new.
    #[inline]
    fn slot(&mut self, k: u64, now: i64, make: impl FnOnce() -> S) -> usize {
        if let Some(&i) = self.index.get(&k) {
            return i as usize;
        }
        self.insert(k, now, make())
    }

    #[cold]
    fn insert(&mut self, k: u64, now: i64, state: S) -> usize {
        if self.slots.len() >= self.cap {
            self.evict(now);
        }
        let i = self.slots.len();
        self.index.insert(k, i as u32);
        self.keys.push(k);
        self.slots.push(state);
        i
    }

    fn evict(&mut self, now: i64) {
        let horizon = self.horizon;
        let mut keep: Vec<bool> = self
            .slots
            .iter()
            .map(|s| now - s.last_seen() <= horizon)
            .collect();
        let kept = keep.iter().filter(|k| **k).count();
        if kept >= self.cap {
            let mut seen: Vec<i64> = self
                .slots
                .iter()
                .zip(&keep)
                .filter(|(_, k)| **k)
                .map(|(s, _)| s.last_seen())
                .collect();
            let cut = seen.len() - self.cap / 2;
            seen.select_nth_unstable(cut.saturating_sub(1));
            let cutoff = seen[cut.saturating_sub(1)];
            for (k, s) in keep.iter_mut().zip(&self.slots) {
                *k = *k && s.last_seen() > cutoff;
            }
        }
        let mut j = 0;
        for (i, &k) in keep.iter().enumerate() {
            if k {
                self.slots.swap(i, j);
                self.keys.swap(i, j);
                j += 1;
            }
        }
        self.slots.truncate(j);
        self.keys.truncate(j);
        self.index.clear();
        for (i, k) in self.keys.iter().enumerate() {
            self.index.insert(*k, i as u32);
        }
    }
}

/// A small set of recent hashes (first merchant, country, currency).
#[derive(Clone)]
struct Recent<const N: usize> {
    items: [u64; N],
    next: usize,
}

impl<const N: usize> Recent<N> {
    fn new() -> Self {
        Recent {
            items: [0; N],
            next: 0,
        }
    }
    #[inline]
    fn contains(&self, k: u64) -> bool {
        // No early exit: the compiler compares several at a time.
        self.items.iter().fold(false, |found, &i| found | (i == k))
    }
    fn insert(&mut self, k: u64) {
        if !self.contains(k) {
            self.items[self.next] = k;
            self.next = (self.next + 1) % N;
        }
    }
}

struct CustomerState {
    last_seen: i64,
    n: u32,
    /// Payments in the last hour (counts only).
    min5: Ring<12, ()>,
    hours: Ring<24>,
    days: Ring<30>,
    home: Option<Currency>,
    /// Exponentially weighted mean and variance of ln(amount).
    ew_mean: f64,
    ew_var: f64,
    merchants: Recent<32>,
    countries: Recent<8>,
    currencies: Recent<4>,
}

impl CustomerState {
    /// Reads a little of each part an event will use (see [`Ring::peek`]).
    #[inline]
    fn warm(&self, m5: i64, h: i64, d: i64) -> u64 {
        let m = &self.merchants.items;
        (self.last_seen as u64)
            ^ self.min5.peek(m5)
            ^ self.hours.peek(h)
            ^ self.days.peek(d)
            ^ self.days.peek(d - 6)
            ^ m[0]
            ^ m[8]
            ^ m[16]
            ^ m[24]
            ^ self.countries.items[0]
            ^ self.currencies.items[0]
    }
}

impl Stale for CustomerState {
    fn last_seen(&self) -> i64 {
        self.last_seen
    }
}

struct CardState {
    last_seen: i64,
    /// Payments in the last hour (counts only).
    min5: Ring<12, ()>,
    /// Times of recent small online payments.
    small_cnp: [i64; 16],
    small_next: usize,
    /// Last in-person payment.
    place: Option<Place>,
}

struct Place {
    lat: f64,
    lon: f64,
    at: i64,
    city: Option<String>,
}

impl CardState {
    #[inline]
    fn warm(&self, m5: i64) -> u64 {
        (self.last_seen as u64) ^ self.min5.peek(m5) ^ (self.small_cnp[0] as u64)
    }
}

impl Stale for CardState {
    fn last_seen(&self) -> i64 {
        self.last_seen
    }
}

struct TerminalState {
    last_seen: i64,
    /// Daily buckets: count = payments, sum = known frauds.
    days: Ring<48, u32>,
    last_fraud_day: i64,
}

impl TerminalState {
    #[inline]
    fn warm(&self, d: i64) -> u64 {
        (self.last_seen as u64)
            ^ self.days.peek(d)
            ^ self.days.peek(d - 16)
            ^ self.days.peek(d - 32)
    }
}

impl Stale for TerminalState {
    fn last_seen(&self) -> i64 {
        self.last_seen
    }
}

const DAY: i64 = 86_400;

/// The online detector.
pub struct Detector {
    cfg: DetectorConfig,
    model: Model,
    high_risk: Vec<[u8; 4]>,
    customers: Table<CustomerState>,
    cards: Table<CardState>,
    terminals: Table<TerminalState>,
    /// The model's features with a non-zero weight.
    active: Vec<Term>,
    /// The key of the last currency seen (nearly every payment is in one).
    last_currency: (Currency, u64),
}

#[inline]
fn major(minor: i64, currency: Currency) -> f64 {
    // The common exponents as constants (the same values `powi` gives).
    let scale = match currency.exponent() {
        2 => 100.0,
        0 => 1.0,
        3 => 1000.0,
        e => 10f64.powi(i32::from(e)),
    };
    minor as f64 / scale
}

impl Detector {
    pub fn new(cfg: DetectorConfig, model: Model) -> Result<Self, ConfigError> {
        cfg.validate()?;
        model.validate()?;
        let high_risk = cfg
            .high_risk_cnp_mccs
            .iter()
            .filter_map(|m| m.as_bytes().try_into().ok())
            .collect();
        // State older than the longest window (plus the label delay) is
        // useless and the first to go.
        let horizon = (31 + i64::from(cfg.label_delay_days) + 1) * DAY;
        Ok(Detector {
            customers: Table::new(cfg.max_customers, horizon),
            cards: Table::new(cfg.max_cards, horizon),
            terminals: Table::new(cfg.max_terminals, horizon),
            last_currency: (Currency::INR, key(Currency::INR.code())),
            active: model.active(),
            high_risk,
            model,
            cfg,
        })
    }

    pub fn config(&self) -> &DetectorConfig {
        &self.cfg
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    pub fn set_model(&mut self, model: Model) -> Result<(), ModelError> {
        model.validate()?;
        self.active = model.active();
        self.model = model;
        Ok(())
    }

    /// Cards, customers and terminals currently tracked.
    pub fn tracked(&self) -> (usize, usize, usize) {
        (self.cards.len(), self.customers.len(), self.terminals.len())
    }

    /// The memory the detector's state holds now, in bytes (the tables'
    /// allocations and the cities' names): it grows with the cards,
    /// customers and terminals seen, up to the configured maximum of each.
    pub fn state_bytes(&self) -> usize {
        let cities: usize = self
            .cards
            .slots
            .iter()
            .filter_map(|c| c.place.as_ref()?.city.as_ref().map(String::capacity))
            .sum();
        self.customers.bytes() + self.cards.bytes() + self.terminals.bytes() + cities
    }

    #[inline]
    fn currency_key(&mut self, currency: Currency) -> u64 {
        if self.last_currency.0 != currency {
            self.last_currency = (currency, key(currency.code()));
        }
        self.last_currency.1
    }

    /// Scores one authorisation and records it.
    pub fn assess(&mut self, event: &CardAuthorisation) -> Assessment {
        let obs = self.observe(event);
        let score = self.score(&obs);
        let alert = score >= self.cfg.alert_threshold;
        let reasons = if alert {
            self.explain(event, &obs)
        } else {
            Vec::new()
        };
        Assessment {
            score,
            alert,
            reasons,
        }
    }

    /// The score of an observation under the current model and rules.
    pub fn score(&self, obs: &Observation) -> f64 {
        let p = self.model.predict_active(&obs.features, &self.active);
        with_rules(p, &self.cfg, &obs.features)
    }

    /// A late verdict on an earlier authorisation.
    pub fn feedback(&mut self, fb: &Feedback) {
        if !fb.fraud {
            return;
        }
        let day = fb.at.unix.div_euclid(DAY);
        let now = fb.at.unix;
        let i = self
            .terminals
            .slot(key(&fb.terminal), now, || TerminalState {
                last_seen: now,
                days: Ring::new(),
                last_fraud_day: i64::MIN / 2,
            });
        let t = &mut self.terminals.slots[i];
        t.days.add(day, 0, 1);
        t.last_fraud_day = t.last_fraud_day.max(day);
    }

    /// Computes the features of `event` from the state before it, then
    /// records it.
    pub fn observe(&mut self, event: &CardAuthorisation) -> Observation {
        let mut x = [0.0f64; FEATURES];
        let now = event.at.unix;
        let amount_minor = event.amount.minor();
        let currency = event.amount.currency();
        let amount = major(amount_minor, currency).max(0.0);
        x[f::AMOUNT_LOG] = amount.ln_1p();
        x[f::AMOUNT] = amount;
        let local = event.at.local_seconds_of_day();
        let hour = (local / 3600) as u8;
        let (ns, ne) = (self.cfg.night_start_hour, self.cfg.night_end_hour);
        let night = if ns <= ne {
            hour >= ns && hour < ne
        } else {
            hour >= ns || hour < ne
        };
        x[f::NIGHT] = f64::from(u8::from(night));
        x[f::WEEKEND] = f64::from(u8::from(event.at.local_weekday() >= 5));
        let cnp = !event.card_present;
        x[f::CARD_NOT_PRESENT] = f64::from(u8::from(cnp));
        let mcc: Option<[u8; 4]> = event.mcc.as_bytes().try_into().ok();
        let risky = cnp && mcc.is_some_and(|m| self.high_risk.contains(&m));
        x[f::HIGH_RISK_CNP] = f64::from(u8::from(risky));

        let m5 = now.div_euclid(300);
        let h = now.div_euclid(3600);
        let d = now.div_euclid(DAY);

        // The three states first: each is most likely a cache miss, and
        // reading a little of each before any work lets the misses overlap
        // instead of waiting for one after the other.
        let ci = self
            .customers
            .slot(key(&event.customer), now, || CustomerState {
                last_seen: now,
                n: 0,
                min5: Ring::new(),
                hours: Ring::new(),
                days: Ring::new(),
                home: None,
                ew_mean: 0.0,
                ew_var: 0.0,
                merchants: Recent::new(),
                countries: Recent::new(),
                currencies: Recent::new(),
            });
        let ki = self.cards.slot(key(&event.card), now, || CardState {
            last_seen: now,
            min5: Ring::new(),
            small_cnp: [i64::MIN / 2; 16],
            small_next: 0,
            place: None,
        });
        let ti = self
            .terminals
            .slot(key(&event.terminal), now, || TerminalState {
                last_seen: now,
                days: Ring::new(),
                last_fraud_day: i64::MIN / 2,
            });
        std::hint::black_box(
            self.customers.slots[ci].warm(m5, h, d)
                ^ self.cards.slots[ki].warm(m5)
                ^ self.terminals.slots[ti].warm(d),
        );

        // Customer.
        let mut usual_minor = None;
        {
            let mk = key(&event.merchant);
            let ck = key(&event.country);
            let yk = self.currency_key(currency);
            let c = &mut self.customers.slots[ci];
            let home = *c.home.get_or_insert(currency);
            c.min5.advance(m5);
            c.hours.advance(h);
            c.days.advance(d);
            let (n1h, _) = c.min5.totals();
            let (n24, s24) = c.hours.totals();
            let (n7, s7) = c.days.last(d, 7);
            let (n30, s30) = c.days.totals();
            x[f::CUST_N_1H] = f64::from(n1h);
            x[f::CUST_N_24H] = f64::from(n24);
            x[f::CUST_N_7D] = f64::from(n7);
            x[f::CUST_N_30D] = f64::from(n30);
            let avg = |n: u32, s: i64| {
                if n == 0 {
                    0.0
                } else {
                    major(s, home) / f64::from(n)
                }
            };
            // Sums hold home-currency payments only; counts hold all, so the
            // averages are over home-currency payments counted in the sums.
            x[f::CUST_AVG_24H] = avg(n24, s24);
            x[f::CUST_AVG_7D] = avg(n7, s7);
            x[f::CUST_AVG_30D] = avg(n30, s30);
            let history = c.n > 0;
            if currency == home && n30 > 0 && s30 > 0 {
                let usual = s30 as f64 / f64::from(n30);
                usual_minor = Some(usual.round() as i64);
                let ratio = (amount_minor.max(1) as f64 / usual).ln();
                x[f::AMOUNT_VS_30D] = ratio;
                x[f::AMOUNT_VS_30D_UP] = ratio.max(0.0);
            }
            let la = amount.max(0.01).ln();
            if c.n >= 3 {
                x[f::AMOUNT_Z] = ((la - c.ew_mean) / (c.ew_var + 0.05).sqrt()).clamp(-10.0, 10.0);
            }
            x[f::FIRST_MERCHANT] = f64::from(u8::from(history && !c.merchants.contains(mk)));
            x[f::FIRST_COUNTRY] = f64::from(u8::from(history && !c.countries.contains(ck)));
            x[f::FIRST_CURRENCY] = f64::from(u8::from(history && !c.currencies.contains(yk)));
            x[f::NEW_CUSTOMER] = f64::from(u8::from(c.n < 3));
            // Record.
            let in_sum = if currency == home { amount_minor } else { 0 };
            c.min5.add(m5, 1, ());
            c.hours.add(h, 1, in_sum);
            c.days.add(d, 1, in_sum);
            if currency == home {
                if c.n == 0 {
                    c.ew_mean = la;
                    c.ew_var = 0.0;
                } else {
                    let alpha = 0.05f64.max(1.0 / f64::from(c.n + 1));
                    let diff = la - c.ew_mean;
                    c.ew_mean += alpha * diff;
                    c.ew_var = (1.0 - alpha) * (c.ew_var + alpha * diff * diff);
                }
            }
            c.n = c.n.saturating_add(1);
            c.merchants.insert(mk);
            c.countries.insert(ck);
            c.currencies.insert(yk);
            c.last_seen = c.last_seen.max(now);
        }

        // Card.
        let mut travel = None;
        {
            let cfg = &self.cfg;
            let card = &mut self.cards.slots[ki];
            card.min5.advance(m5);
            let (n1h, _) = card.min5.totals();
            x[f::CARD_N_1H] = f64::from(n1h);
            let since = now - cfg.card_testing_window_secs;
            let recent = card
                .small_cnp
                .iter()
                .fold(0u32, |n, &t| n + u32::from(t > since && t <= now));
            x[f::CARD_SMALL_CNP_RECENT] = f64::from(recent);
            x[f::CARD_TESTING] = f64::from(u8::from(cnp && recent >= cfg.card_testing_count));
            if event.card_present {
                if let (Some(here), Some(p)) = (event.place(), &card.place) {
                    let km = haversine_km(here, (p.lat, p.lon));
                    let hours = ((now - p.at) as f64 / 3600.0).max(1.0 / 60.0);
                    let kmh = km / hours;
                    x[f::TRAVEL_SPEED_LOG] = kmh.ln_1p();
                    if km >= cfg.impossible_travel_min_km && kmh > cfg.impossible_travel_kmh {
                        x[f::IMPOSSIBLE_TRAVEL] = 1.0;
                        travel = Some((km, (now - p.at) as f64 / 60.0, p.city.clone()));
                    }
                }
                if let Some((lat, lon)) = event.place() {
                    // Reuses the city's allocation when the card has one.
                    match &mut card.place {
                        Some(p) => {
                            p.lat = lat;
                            p.lon = lon;
                            p.at = now;
                            p.city.clone_from(&event.city);
                        }
                        None => {
                            card.place = Some(Place {
                                lat,
                                lon,
                                at: now,
                                city: event.city.clone(),
                            })
                        }
                    }
                }
            }
            card.min5.add(m5, 1, ());
            if cnp && amount_minor <= cfg.card_testing_small_minor {
                card.small_cnp[card.small_next] = now;
                card.small_next = (card.small_next + 1) % card.small_cnp.len();
            }
            card.last_seen = card.last_seen.max(now);
        }

        // Terminal.
        {
            let delay = i64::from(self.cfg.label_delay_days);
            let t = &mut self.terminals.slots[ti];
            for (i, w) in [(0, 1), (1, 7), (2, 30)] {
                let (n, _) = t.days.last(d, w);
                x[f::TERM_N_1D + i] = f64::from(n);
                // Days fully labelled by now: up to `delay + 1` days ago.
                let end = d - delay - 1;
                let (n, frauds) = t.days.range(d, end - w + 1, end);
                x[f::TERM_RISK_1D + i] = if n == 0 {
                    0.0
                } else {
                    (f64::from(frauds) / f64::from(n)).min(1.0)
                };
            }
            x[f::TERM_KNOWN_FRAUD] = f64::from(u8::from(d - t.last_fraud_day <= 28 + delay));
            // Frauds on the days not yet fully labelled, heard of already.
            let (_, fresh) = t.days.range(d, d - delay, d);
            x[f::TERM_FRAUD_FRESH] = f64::from(u8::from(fresh > 0));
            // The share of fraud on the latest day, `delay` or more ago, with
            // payments here: is the terminal still being misused?
            let end = d - delay - 1;
            if let Some((n, frauds)) = t.days.latest_counted(d, end, end - 30) {
                x[f::TERM_RISK_LAST] = (f64::from(frauds) / f64::from(n)).min(1.0);
            }
            t.days.add(d, 1, 0);
            t.last_seen = t.last_seen.max(now);
        }

        Observation {
            features: x,
            usual_minor,
            travel,
        }
    }

    /// Plain-words reasons: fired rules first, then the features that added
    /// most to the score.
    pub fn explain(&self, event: &CardAuthorisation, obs: &Observation) -> Vec<Reason> {
        let x = &obs.features;
        let mut out: Vec<Reason> = Vec::new();
        let push = |out: &mut Vec<Reason>, code: &str, (text, hi): (String, String)| {
            if !out.iter().any(|r| r.code == code || r.text == text) {
                out.push(Reason {
                    code: code.to_owned(),
                    text,
                    hi,
                });
            }
        };
        if x[f::IMPOSSIBLE_TRAVEL] > 0.0 {
            push(&mut out, "impossible_travel", travel_text(event, obs));
        }
        if x[f::CARD_TESTING] > 0.0 {
            push(&mut out, "card_testing", testing_text(&self.cfg, x));
        }
        let contributions = self.model.contributions(x);
        let mut order: Vec<usize> = (0..FEATURES).filter(|&i| contributions[i] > 0.1).collect();
        order.sort_by(|&a, &b| contributions[b].total_cmp(&contributions[a]));
        for i in order {
            if out.len() >= self.cfg.max_reasons {
                break;
            }
            if let Some((code, text)) = self.feature_text(i, event, obs) {
                push(&mut out, code, text);
            }
        }
        out.truncate(self.cfg.max_reasons.max(1));
        out
    }

    /// A reason's code and its words in English and Hindi.
    fn feature_text(
        &self,
        i: usize,
        event: &CardAuthorisation,
        obs: &Observation,
    ) -> Option<(&'static str, (String, String))> {
        let x = &obs.features;
        let amount = event.amount;
        Some(match i {
            f::AMOUNT_VS_30D | f::AMOUNT_VS_30D_UP | f::AMOUNT_Z => {
                let usual = obs.usual_minor?;
                let times = amount.minor() as f64 / usual.max(1) as f64;
                if times < 1.5 {
                    return None;
                }
                let times = if times < 10.0 {
                    format!("{:.1}", times).trim_end_matches(".0").to_owned()
                } else {
                    format!("{}", times.round() as i64)
                };
                (
                    "amount_vs_30d",
                    (
                        format!("{amount} is {times} times what you usually spend"),
                        format!("{amount} आपके आम ख़र्च का {times} गुना है"),
                    ),
                )
            }
            f::AMOUNT | f::AMOUNT_LOG => (
                "amount",
                (
                    format!("{amount} is a large amount for this card"),
                    format!("इस कार्ड के लिए {amount} बड़ी रक़म है"),
                ),
            ),
            f::NIGHT if x[f::NIGHT] > 0.0 => {
                let local = event.at.local_seconds_of_day();
                let (hh, mm) = (local / 3600, local / 60 % 60);
                (
                    "night",
                    (
                        format!("it was {hh:02}:{mm:02} at night, your time"),
                        format!("आपके समय से रात के {hh:02}:{mm:02} बजे थे"),
                    ),
                )
            }
            f::FIRST_MERCHANT if x[i] > 0.0 => (
                "first_merchant",
                (
                    format!("your first payment at {}", event.merchant),
                    format!("{} पर आपका पहला भुगतान", event.merchant),
                ),
            ),
            f::FIRST_COUNTRY if x[i] > 0.0 => (
                "first_country",
                (
                    format!("your first payment in {}", country_name(&event.country)),
                    format!("{} में आपका पहला भुगतान", country_name_hi(&event.country)),
                ),
            ),
            f::FIRST_CURRENCY if x[i] > 0.0 => (
                "first_currency",
                (
                    format!("your first payment in {}", amount.currency()),
                    format!("{} में आपका पहला भुगतान", amount.currency()),
                ),
            ),
            f::HIGH_RISK_CNP if x[i] > 0.0 => {
                let what = anumati_domain::mcc::description(&event.mcc)
                    .map(|d| d.to_lowercase())
                    .unwrap_or_else(|| format!("category {}", event.mcc));
                (
                    "high_risk_cnp",
                    (
                        format!("an online payment to {what}"),
                        format!("ऑनलाइन भुगतान, {what} को"),
                    ),
                )
            }
            f::CARD_SMALL_CNP_RECENT if x[i] >= 2.0 => ("card_testing", testing_text(&self.cfg, x)),
            f::CUST_N_1H | f::CARD_N_1H if x[i] >= 2.0 => (
                "velocity_1h",
                (
                    format!("{} payments in the hour before this one", x[i] as u32),
                    format!("इससे पहले के एक घंटे में {} भुगतान", x[i] as u32),
                ),
            ),
            f::CUST_N_24H if x[i] >= 5.0 => (
                "velocity_24h",
                (
                    format!("{} payments in the 24 hours before this one", x[i] as u32),
                    format!("इससे पहले के 24 घंटों में {} भुगतान", x[i] as u32),
                ),
            ),
            f::TERM_RISK_1D
            | f::TERM_RISK_7D
            | f::TERM_RISK_30D
            | f::TERM_KNOWN_FRAUD
            | f::TERM_RISK_LAST
            | f::TERM_FRAUD_FRESH
                if x[i] > 0.0 =>
            {
                (
                    "terminal_risk",
                    (
                        "other cards were misused at this terminal recently".to_owned(),
                        "हाल ही में इस टर्मिनल पर दूसरे कार्डों का ग़लत इस्तेमाल हुआ".to_owned(),
                    ),
                )
            }
            f::CARD_NOT_PRESENT if x[i] > 0.0 => (
                "card_not_present",
                (
                    "the card was not present (online or by phone)".to_owned(),
                    "कार्ड मौजूद नहीं था (ऑनलाइन या फ़ोन से भुगतान)".to_owned(),
                ),
            ),
            f::IMPOSSIBLE_TRAVEL if x[i] > 0.0 => ("impossible_travel", travel_text(event, obs)),
            _ => return None,
        })
    }
}

/// The score: the model's probability, raised to a rule's floor when the rule
/// fires.
pub fn score_with(model: &Model, cfg: &DetectorConfig, x: &[f64; FEATURES]) -> f64 {
    with_rules(model.predict(x), cfg, x)
}

/// The model's probability `p` raised to the floors of the rules that fire.
#[inline]
fn with_rules(mut p: f64, cfg: &DetectorConfig, x: &[f64; FEATURES]) -> f64 {
    if x[f::IMPOSSIBLE_TRAVEL] > 0.0 {
        if let Some(floor) = cfg.impossible_travel_floor {
            p = p.max(floor);
        }
    }
    if x[f::CARD_TESTING] > 0.0 {
        if let Some(floor) = cfg.card_testing_floor {
            p = p.max(floor);
        }
    }
    p.clamp(0.0, 1.0)
}

/// Impossible travel in English and Hindi.
fn travel_text(event: &CardAuthorisation, obs: &Observation) -> (String, String) {
    match &obs.travel {
        Some((km, minutes, before)) => {
            let km = km.round() as i64;
            let (when, when_hi) = if *minutes < 90.0 {
                let m = minutes.round() as i64;
                (format!("{m} minutes"), format!("{m} मिनट"))
            } else {
                let h = minutes / 60.0;
                (format!("{h:.1} hours"), format!("{h:.1} घंटे"))
            };
            let here = event.city.as_deref();
            let there = before.as_deref();
            (
                format!(
                    "{} is {km} km from {}, and your card was used there {when} earlier",
                    here.unwrap_or("this place"),
                    there.unwrap_or("where your card was used")
                ),
                format!(
                    "{} से {km} किमी दूर {} में आपका कार्ड {when_hi} पहले इस्तेमाल हुआ था",
                    here.unwrap_or("यहाँ"),
                    there.unwrap_or("किसी और जगह")
                ),
            )
        }
        None => (
            format!(
                "your card was used in person far from {} shortly before",
                event.city.as_deref().unwrap_or("this place")
            ),
            format!(
                "थोड़ी देर पहले आपका कार्ड {} से बहुत दूर, दुकान पर इस्तेमाल हुआ था",
                event.city.as_deref().unwrap_or("यहाँ")
            ),
        ),
    }
}

/// Card testing in English and Hindi.
fn testing_text(cfg: &DetectorConfig, x: &[f64; FEATURES]) -> (String, String) {
    let n = x[f::CARD_SMALL_CNP_RECENT] as u32;
    let minutes = cfg.card_testing_window_secs / 60;
    (
        format!("{n} small online payments on this card in the {minutes} minutes before this one"),
        format!("इससे पहले के {minutes} मिनट में इस कार्ड से {n} छोटे ऑनलाइन भुगतान"),
    )
}

fn country_name(code: &str) -> &str {
    match code {
        "IN" => "India",
        "US" => "the United States",
        "GB" => "the United Kingdom",
        "AE" => "the United Arab Emirates",
        "SG" => "Singapore",
        other => other,
    }
}

fn country_name_hi(code: &str) -> &str {
    match code {
        "IN" => "भारत",
        "US" => "अमेरिका",
        "GB" => "ब्रिटेन",
        "AE" => "संयुक्त अरब अमीरात",
        "SG" => "सिंगापुर",
        other => other,
    }
}

/// Index of a feature by name.
pub fn feature_index(name: &str) -> Option<usize> {
    FEATURE_NAMES.iter().position(|n| *n == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Seen(i64, u64);

    impl Stale for Seen {
        fn last_seen(&self) -> i64 {
            self.0
        }
    }

    #[test]
    fn a_full_table_keeps_the_recent_half_and_finds_each_by_its_key() {
        let mut t: Table<Seen> = Table::new(8, 1_000);
        for k in 1..=8u64 {
            let i = t.slot(k, k as i64, || Seen(k as i64, k));
            assert_eq!(t.slots[i].1, k);
        }
        // Full: a new key evicts the four least recently seen first.
        let i = t.slot(100, 9, || Seen(9, 100));
        assert_eq!(t.slots[i].1, 100);
        assert_eq!(t.len(), 5);
        for k in 5..=8u64 {
            let i = t.slot(k, 10, || Seen(-1, 0));
            assert_eq!(t.slots[i].1, k, "key {k} moved with its state");
        }
        // Idle beyond the horizon goes before anything else.
        let i = t.slot(200, 1_008, || Seen(1_008, 200));
        assert_eq!(t.slots[i].1, 200);
        for k in 9..=11u64 {
            t.slot(k, 1_008, || Seen(1_008, k));
        }
        let i = t.slot(300, 1_008, || Seen(1_008, 300));
        assert_eq!(t.slots[i].1, 300);
        assert!(!t.index.contains_key(&5) && t.index.contains_key(&100));
        assert!(t.len() <= 8);
    }
}
