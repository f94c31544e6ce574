//! `anumati simulate --live`: a card network sending authorisations to the
//! bank node at a steady rate, in one process with the consent manager and
//! the chat app, so that fraud alerts flow as they do in the demo.
//!
//! The network is a client the bank trusts for the run (its own key); every
//! authorisation is a real request to the bank node's HTTP API
//! (`POST /v1/card-authorisations`). Most payments are everyday ones at the
//! cardholder's usual kind of merchant; a seeded share are fraud-like:
//! card-testing bursts (many small online payments) and large online
//! payments at high-risk merchant categories. The bank streams each decided
//! authorisation to data users holding a STREAM consent; the chat app's
//! detector alerts in chat. The run reports what happened and how long an
//! alert took from the authorisation's request to the customer's chat.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anumati_app::{PushSink, Reply};
use anumati_bank::stream::AuthorisationRequest;
use anumati_domain::consent::ConsentMode;
use anumati_domain::{Currency, Money};
use anumati_wire::jws::{ClientAssertion, KeySet, Signer};
use anumati_wire::Peer;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use tokio::sync::Semaphore;

use crate::bench::Latencies;
use crate::system::System;

/// What the run is asked to do.
pub struct LiveParams {
    pub rate: u32,
    pub seconds: u32,
    /// Seconds at the rate before the measured `seconds`, not measured.
    pub warmup: u32,
    pub seed: u64,
    /// Grant a STREAM consent to this many customers first (the operator
    /// stands in for them, as `anumati consent grant` does).
    pub grant_stream: u32,
    /// Authorisations in flight at most.
    pub concurrency: usize,
}

/// What happened in the measured seconds (after the warm-up).
#[derive(Debug, Serialize)]
pub struct LiveReport {
    pub warmup_seconds: u32,
    pub authorisations: u64,
    pub approved: u64,
    pub declined: u64,
    pub errors: u64,
    pub alerts: u64,
    pub seconds: f64,
    pub rate_achieved: f64,
    pub authorisation_p50_ms: f64,
    pub authorisation_p99_ms: f64,
    pub alert_p50_ms: f64,
    pub alert_p99_ms: f64,
    pub stream_dropped: u64,
    pub streaming_customers: usize,
}

/// Records when each alert reached the customer's chat.
#[derive(Default)]
struct AlertClock {
    seen: Mutex<Vec<(String, Instant)>>,
}

impl PushSink for AlertClock {
    fn push(&self, _login: &str, reply: &Reply) {
        if reply.intent == "fraud_alert" {
            if let Some(id) = reply.data["alert"]["authorisation_id"].as_str() {
                self.seen
                    .lock()
                    .expect("alert clock")
                    .push((id.to_owned(), Instant::now()));
            }
        }
    }
}

/// How long the network sends the same assertion (it is valid for 60 s).
const ASSERTION_REUSE_SECONDS: i64 = 30;

struct Card {
    id: String,
}

/// Everyday merchants: (name, MCC, card present).
const EVERYDAY: &[(&str, &str, bool)] = &[
    ("Big Bazaar", "5411", true),
    ("Swiggy", "5814", false),
    ("Indian Oil", "5541", true),
    ("Apollo Pharmacy", "5912", true),
    ("Amazon", "5999", false),
    ("Cafe Coffee Day", "5814", true),
    ("BookMyShow", "7832", false),
    ("Reliance Digital", "5732", true),
];

impl System {
    /// Runs the card network for `params.seconds` at `params.rate`.
    pub async fn run_live(&self, params: &LiveParams, show: bool) -> anyhow::Result<LiveReport> {
        // The cards of INR accounts, and STREAM consents where asked for.
        let mut cards = Vec::new();
        let mut streaming = 0usize;
        let customers = self.bank.store().customers(0, 100_000).await?;
        for c in &customers {
            let mut theirs = Vec::new();
            for account in self.bank.store().accounts_of(&c.id).await? {
                if account.currency != Currency::INR {
                    continue;
                }
                for card in self.bank.store().cards_of(&account.id).await? {
                    theirs.push(Card {
                        id: card.id.to_string(),
                    });
                }
            }
            if theirs.is_empty() {
                continue;
            }
            if (streaming as u32) < params.grant_stream {
                crate::system::grant_consent(self, &c.login, ConsentMode::Stream).await?;
                streaming += 1;
            }
            cards.extend(theirs);
        }
        anyhow::ensure!(
            !cards.is_empty(),
            "the bank has no INR cards: fill it with `anumati simulate` first"
        );

        // The card network: trusted for this run, talking HTTP to the bank node.
        let network = Signer::generate("network-1");
        let mut keys = KeySet::new();
        keys.insert(network.kid(), network.verifying_key());
        self.bank.trust_card_network("anumati-sim-network", keys);
        let bank = Peer::in_process("bank node", anumati_bank::api::router(self.bank.clone()));
        let clock = Arc::new(AlertClock::default());
        self.app.add_push_sink(clock.clone());

        let started_at: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
        let auth_latency: Arc<Mutex<Vec<Duration>>> = Arc::default();
        let counts = Arc::new(Mutex::new((0u64, 0u64, 0u64)));
        let gate = Arc::new(Semaphore::new(params.concurrency.max(1)));
        let mut rng = StdRng::seed_from_u64(params.seed);
        let warmup = u64::from(params.rate) * u64::from(params.warmup);
        let total = warmup + u64::from(params.rate) * u64::from(params.seconds);
        // Sent every millisecond, as evenly as the timer allows (a network's
        // authorisations arrive spread out, not in bursts).
        let tick = Duration::from_millis(1);
        let per_tick = f64::from(params.rate) / 1000.0;
        let mut owed = 0.0;
        let mut sent = 0u64;
        let mut burst: Vec<AuthorisationRequest> = Vec::new();
        let mut interval = tokio::time::interval(tick);
        let mut t0 = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        let mut assertion: Option<(i64, Arc<String>)> = None;
        while sent < total {
            interval.tick().await;
            owed += per_tick;
            while owed >= 1.0 && sent < total {
                owed -= 1.0;
                if sent == warmup {
                    // Warmed up: what the report counts starts here.
                    t0 = Instant::now();
                }
                let measured = sent >= warmup;
                sent += 1;
                let req = match burst.pop() {
                    Some(r) => r,
                    None => {
                        let card = &cards[rng.gen_range(0..cards.len())];
                        let roll: f64 = rng.gen();
                        if roll < 0.002 {
                            // Card testing: six small online payments in a row.
                            burst = (0..5).map(|i| small_online(&card.id, 20 + i)).collect();
                            small_online(&card.id, 19)
                        } else if roll < 0.004 {
                            large_online(&card.id, rng.gen_range(20_000..90_000))
                        } else {
                            let (merchant, mcc, present) =
                                EVERYDAY[rng.gen_range(0..EVERYDAY.len())];
                            AuthorisationRequest {
                                card_id: card.id.clone(),
                                amount: Money::from_minor(
                                    rng.gen_range(5_000..300_000),
                                    Currency::INR,
                                ),
                                merchant: merchant.into(),
                                mcc: mcc.into(),
                                terminal: format!("t-{merchant}"),
                                card_present: present,
                                country: "IN".into(),
                                city: None,
                                lat: None,
                                lon: None,
                            }
                        }
                    }
                };
                let permit = gate.clone().acquire_owned().await?;
                let bank = bank.clone();
                // One assertion for half its lifetime, as a network keeps its
                // session's token.
                let now = self.clock.now().as_second();
                if assertion
                    .as_ref()
                    .is_none_or(|(at, _)| now - at >= ASSERTION_REUSE_SECONDS)
                {
                    let token = network.sign(&ClientAssertion::new(
                        "anumati-sim-network",
                        anumati_bank::DEFAULT_BANK_ID,
                        now,
                    ));
                    assertion = Some((now, Arc::new(token)));
                }
                let assertion = assertion
                    .as_ref()
                    .map(|(_, t)| t.clone())
                    .unwrap_or_default();
                let started_at = started_at.clone();
                let auth_latency = auth_latency.clone();
                let counts = counts.clone();
                tasks.spawn(async move {
                    let _permit = permit;
                    let body = serde_json::to_value(&req).unwrap_or_default();
                    let t = Instant::now();
                    let answer = bank
                        .send(
                            axum::http::Method::POST,
                            "/v1/card-authorisations",
                            &[("x-client-assertion", assertion.as_str())],
                            Some(&body),
                        )
                        .await;
                    let elapsed = t.elapsed();
                    if !measured {
                        return;
                    }
                    let mut counts = counts.lock().expect("counts");
                    match answer {
                        Ok(r) if r.status.is_success() => {
                            let v: serde_json::Value =
                                serde_json::from_slice(&r.body).unwrap_or_default();
                            if v["decision"] == "approved" {
                                counts.0 += 1;
                            } else {
                                counts.1 += 1;
                            }
                            if let Some(id) = v["authorisation_id"].as_str() {
                                started_at.lock().expect("starts").insert(id.to_owned(), t);
                            }
                            auth_latency.lock().expect("latency").push(elapsed);
                        }
                        _ => counts.2 += 1,
                    }
                });
            }
            while tasks.try_join_next().is_some() {}
        }
        while tasks.join_next().await.is_some() {}
        let seconds = t0.elapsed().as_secs_f64();
        // Alerts still in the app's queue.
        tokio::time::sleep(Duration::from_millis(500)).await;

        let starts = started_at.lock().expect("starts");
        let mut alert_latency = Vec::new();
        let seen = clock.seen.lock().expect("alert clock");
        for (id, at) in seen.iter() {
            // Alerts on the warm-up's authorisations are not counted.
            let Some(t) = starts.get(id) else {
                continue;
            };
            alert_latency.push(at.saturating_duration_since(*t));
            if show {
                println!("alert: authorisation {id}");
            }
        }
        let alerts = alert_latency.len() as u64;
        let (approved, declined, errors) = *counts.lock().expect("counts");
        let auth =
            Latencies::from_unsorted(std::mem::take(&mut *auth_latency.lock().expect("latency")));
        let alert_latency = Latencies::from_unsorted(alert_latency);
        Ok(LiveReport {
            warmup_seconds: params.warmup,
            authorisations: approved + declined + errors,
            approved,
            declined,
            errors,
            alerts,
            seconds,
            rate_achieved: (approved + declined) as f64 / seconds.max(1e-9),
            authorisation_p50_ms: auth.ms(50),
            authorisation_p99_ms: auth.ms(99),
            alert_p50_ms: alert_latency.ms(50),
            alert_p99_ms: alert_latency.ms(99),
            stream_dropped: self.bank.stream_dropped(),
            streaming_customers: streaming,
        })
    }
}

/// A small online top-up (card testing), in rupees.
fn small_online(card: &str, rupees: i64) -> AuthorisationRequest {
    online(card, rupees * 100, "QuickTopUp", "5967")
}

/// A large online bet (a high-risk category), in rupees.
fn large_online(card: &str, rupees: i64) -> AuthorisationRequest {
    online(card, rupees * 100, "LuckyBet", "7995")
}

fn online(card: &str, minor: i64, merchant: &str, mcc: &str) -> AuthorisationRequest {
    AuthorisationRequest {
        card_id: card.to_owned(),
        amount: Money::from_minor(minor, Currency::INR),
        merchant: merchant.into(),
        mcc: mcc.into(),
        terminal: format!("web-{}", merchant.to_lowercase()),
        card_present: false,
        country: "IN".into(),
        city: None,
        lat: None,
        lon: None,
    }
}
