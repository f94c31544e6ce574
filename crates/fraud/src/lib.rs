//! Fraud alerts without the I/O: the card-authorisation event, a seeded
//! simulator with labelled fraud scenarios, an online detector with bounded
//! per-card, per-customer and per-terminal state, and the metrics and
//! protocol that evaluate it.
//!
//! - [`event`]: the versioned JSON event the bank node emits, the delayed
//!   fraud feedback, and the labels the simulator keeps apart.
//! - [`sim`]: the Fraud Detection Handbook's simulator (rewritten from its
//!   published description) and an "everyday" Indian profile.
//! - [`detector`]: features over time-bucketed windows, rules, a score in
//!   [0, 1] and reasons in plain words.
//! - [`model`]: logistic regression over the detector's features.
//! - [`metrics`]: AUC ROC, average precision, Card Precision@k.
//! - [`eval`]: the handbook protocol (train a week, wait a week, test a week).
//! - [`tsv`]: the compact file format of simulated events and labels.
//!
//! Live, one event at a time (what the chat app does for each event the bank
//! streams): [`CardAuthorisation::from_json`] reads and validates the `v1`
//! JSON event, [`Detector::assess`] scores and records it and returns the
//! score, the alert decision and, for alerts, [`Reason`]s in English and
//! Hindi ([`Reason::text_in`]); late verdicts go to [`Detector::feedback`].
//! The detector's memory is bounded by [`DetectorConfig`]'s `max_cards`,
//! `max_customers` and `max_terminals` ([`Detector::state_bytes`] reports
//! it).

pub mod boost;
pub mod detector;
pub mod eval;
pub mod event;
pub mod metrics;
pub mod model;
pub mod sim;
pub mod tsv;
mod window;

pub use detector::{Assessment, Detector, DetectorConfig, Language, Reason};
pub use event::{CardAuthorisation, Feedback, Label, Scenario, Timestamp};
pub use model::Model;
