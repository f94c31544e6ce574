//! Card authorisations, and live card events for data users under STREAM
//! consents.
//!
//! A card network asks `POST /v1/card-authorisations` (authenticated by its
//! `x-client-assertion`, a network the bank trusts: [`BankNode::trust_card_network`]).
//! The bank declines an unknown or locked card (the lock a customer set
//! from the chat, [`crate::cards`]) or one whose account cannot afford it,
//! and otherwise places a hold ([`crate::BankStore::authorise_card`]).
//!
//! Every decided authorisation becomes one stable, versioned JSON event
//! (`"v":1`, the fields of the fraud detector's `CardAuthorisation`, with
//! `at` in the cardholder's own UTC offset) and goes to each data user that
//! holds a STREAM consent covering the card's account — and to nobody else.
//! A data user subscribes by presenting the artefact, relayed by the consent
//! manager (`POST /v1/streams`, logged there as `stream.subscribe`); the
//! artefact is checked as for data (signature, provider, notified status,
//! window) and must be in STREAM mode. A revocation, pause or expiry the
//! consent manager notifies ends delivery at once: every event is checked
//! against the consent's last notified status and its expiry as it is sent.
//!
//! Delivery, in the embedded mode, is a bounded in-process queue per data
//! user ([`BankNode::connect_stream`]); a full queue drops the event (counted
//! and logged), so a slow data user never holds up an authorisation.
//! Subscriptions live in memory: the data user subscribes again when the
//! process starts.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;

use anumati_domain::consent::{ConsentMode, ConsentStatus};
use anumati_domain::{CardId, Money};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use utoipa::ToSchema;

use crate::holds::CardOwner;
use crate::ledger::LedgerError;
use crate::{BankError, BankNode};

/// The event format the bank writes.
pub const EVENT_VERSION: u8 = 1;

/// A card network's authorisation request.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuthorisationRequest {
    pub card_id: String,
    /// Exact amount: `{"amount": "4250.00", "currency": "INR"}`.
    #[schema(value_type = Object)]
    pub amount: Money,
    pub merchant: String,
    /// ISO 18245 merchant category code, four digits.
    pub mcc: String,
    pub terminal: String,
    /// Chip or swipe at a terminal (true), or online / by phone (false).
    pub card_present: bool,
    /// ISO 3166-1 alpha-2 country of the merchant.
    pub country: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
}

/// The bank's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuthorisationResponse {
    pub authorisation_id: String,
    /// `approved` or `declined`.
    pub decision: String,
    /// Why it was declined: `card_locked`, `unknown_card`,
    /// `insufficient_funds`, `currency_mismatch`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What the consent manager forwards for `POST /v1/streams`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StreamRequest {
    /// The consent artefact (compact JWS by the consent manager), mode STREAM.
    pub consent: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StreamResponse {
    pub consent_id: String,
    /// The accounts whose card events the data user will receive.
    pub accounts: Vec<String>,
}

/// One event as a data user receives it (the wire crate's type).
pub use anumati_wire::stream::Delivery as StreamDelivery;

#[derive(Debug, Clone)]
struct Subscription {
    consent_id: String,
    consumer_id: String,
    accounts: Vec<String>,
    expiry: Timestamp,
}

/// Subscriptions by customer, queues by data user, last notified statuses.
#[derive(Default)]
pub(crate) struct StreamHub {
    subscriptions: RwLock<HashMap<String, Vec<Subscription>>>,
    sinks: RwLock<HashMap<String, mpsc::Sender<StreamDelivery>>>,
    statuses: RwLock<HashMap<String, ConsentStatus>>,
    dropped: AtomicU64,
}

impl BankNode {
    /// Trusts a card network (the simulator's, in the demo) to ask for authorisations.
    pub fn trust_card_network(&self, id: impl Into<String>, keys: anumati_wire::jws::KeySet) {
        self.inner
            .card_networks
            .write()
            .expect("key lock")
            .insert(id.into(), keys);
        self.network_assertions().keys_changed();
    }

    /// Where a data user's card events go (the embedded mode's queue).
    pub fn connect_stream(
        &self,
        consumer_id: impl Into<String>,
        sink: mpsc::Sender<StreamDelivery>,
    ) {
        self.inner
            .streams
            .sinks
            .write()
            .expect("stream lock")
            .insert(consumer_id.into(), sink);
    }

    /// Events dropped because a data user's queue was full.
    pub fn stream_dropped(&self) -> u64 {
        self.inner.streams.dropped.load(Ordering::Relaxed)
    }

    /// Records a consent's notified status for delivery (see the module docs).
    pub(crate) fn stream_status(&self, consent_id: &str, status: ConsentStatus) {
        self.inner
            .streams
            .statuses
            .write()
            .expect("stream lock")
            .insert(consent_id.to_owned(), status);
    }

    /// Subscribes the artefact's data user to the card events of its accounts.
    pub async fn subscribe_stream(
        &self,
        request: &StreamRequest,
    ) -> Result<StreamResponse, BankError> {
        let artefact = self.verify_artefact(Some(&request.consent), None).await?;
        if artefact.mode != ConsentMode::Stream {
            return Err(BankError::WrongMode("STREAM"));
        }
        let customer = artefact.customer.id.clone();
        let mut accounts = Vec::with_capacity(artefact.accounts.len());
        for listed in &artefact.accounts {
            let account = self
                .store()
                .account(&listed.link_ref_number)
                .await?
                .ok_or(BankError::AccountNotFound)?;
            if account.customer_id.as_str() != customer {
                return Err(BankError::AccountNotFound);
            }
            accounts.push(account.id.to_string());
        }
        let subscription = Subscription {
            consent_id: artefact.consent_id.to_string(),
            consumer_id: artefact.data_consumer.id.clone(),
            accounts: accounts.clone(),
            expiry: artefact.expiry,
        };
        let mut subs = self
            .inner
            .streams
            .subscriptions
            .write()
            .expect("stream lock");
        let list = subs.entry(customer).or_default();
        list.retain(|s| s.consent_id != subscription.consent_id);
        list.push(subscription);
        tracing::info!(consent = %artefact.consent_id, accounts = accounts.len(), "stream subscribed");
        Ok(StreamResponse {
            consent_id: artefact.consent_id.to_string(),
            accounts,
        })
    }

    /// Decides a card authorisation, holds the money, and streams the event.
    pub async fn authorise(
        &self,
        req: &AuthorisationRequest,
    ) -> Result<AuthorisationResponse, BankError> {
        if req.amount.minor() <= 0 {
            return Err(BankError::BadRequest("amount must be positive".into()));
        }
        if req.mcc.len() != 4 || !req.mcc.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BankError::BadRequest("mcc must be four digits".into()));
        }
        if req.country.len() != 2 || req.merchant.is_empty() || req.merchant.len() > 200 {
            return Err(BankError::BadRequest(
                "country (two letters) and merchant are required".into(),
            ));
        }
        if let (Some(lat), Some(lon)) = (req.lat, req.lon) {
            if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
                return Err(BankError::BadRequest("lat/lon out of range".into()));
            }
        }
        let now = self.now();
        let decision = self
            .store()
            .decide_card(
                &CardId::new(req.card_id.clone()),
                req.amount,
                &req.merchant,
                now,
            )
            .await
            .map_err(|e| BankError::Store(crate::store::StoreError::Corrupt(e.to_string())))?;
        let owner = decision.owner;
        let decided = match (decision.hold, &owner) {
            (Ok(hold), Some(_)) => Ok(hold),
            (Err(LedgerError::CardDeclined), None) => Err("unknown_card"),
            (Err(LedgerError::CardDeclined), Some(_)) => Err("card_locked"),
            (Err(LedgerError::InsufficientFunds { .. }), _) => Err("insufficient_funds"),
            (Err(LedgerError::CurrencyMismatch { .. }), _) => Err("currency_mismatch"),
            (Err(e), _) => {
                return Err(BankError::Store(crate::store::StoreError::Corrupt(
                    e.to_string(),
                )))
            }
            (Ok(_), None) => {
                return Err(BankError::Store(crate::store::StoreError::Corrupt(
                    "a hold without a card".into(),
                )))
            }
        };
        let response = match decided {
            Ok(hold) => AuthorisationResponse {
                authorisation_id: hold,
                decision: "approved".into(),
                reason: None,
            },
            Err(reason) => AuthorisationResponse {
                authorisation_id: format!("decl_{}", anumati_wire::html::random_token()),
                decision: "declined".into(),
                reason: Some(reason.into()),
            },
        };
        if let Some(owner) = owner {
            self.publish(req, &response, &owner, now);
        }
        Ok(response)
    }

    /// Sends the event to every data user whose STREAM consent covers the account.
    fn publish(
        &self,
        req: &AuthorisationRequest,
        decided: &AuthorisationResponse,
        owner: &CardOwner,
        now: Timestamp,
    ) {
        let hub = &self.inner.streams;
        let targets: Vec<(String, String)> = {
            let subs = hub.subscriptions.read().expect("stream lock");
            let Some(list) = subs.get(&owner.customer) else {
                return;
            };
            let statuses = hub.statuses.read().expect("stream lock");
            list.iter()
                .filter(|s| now < s.expiry && s.accounts.contains(&owner.account))
                .filter(|s| {
                    statuses
                        .get(&s.consent_id)
                        .is_none_or(|st| *st == ConsentStatus::Active)
                })
                .map(|s| (s.consent_id.clone(), s.consumer_id.clone()))
                .collect()
        };
        if targets.is_empty() {
            return;
        }
        let offset = jiff::tz::TimeZone::get(&owner.time_zone)
            .map(|tz| tz.to_offset(now).seconds())
            .unwrap_or(0);
        let at = now.to_zoned(jiff::tz::TimeZone::fixed(
            jiff::tz::Offset::from_seconds(offset).unwrap_or(jiff::tz::Offset::UTC),
        ));
        let mut event = serde_json::json!({
            "v": EVENT_VERSION,
            "id": decided.authorisation_id,
            "card": req.card_id,
            "customer": owner.customer,
            "amount": req.amount,
            "merchant": req.merchant,
            "mcc": req.mcc,
            "terminal": req.terminal,
            "card_present": req.card_present,
            "country": req.country,
            "at": at.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
            "decision": decided.decision,
        });
        if let Some(reason) = &decided.reason {
            event["reason"] = reason.clone().into();
        }
        if let Some(city) = &req.city {
            event["city"] = city.clone().into();
        }
        if let (Some(lat), Some(lon)) = (req.lat, req.lon) {
            event["lat"] = lat.into();
            event["lon"] = lon.into();
        }
        let event = event.to_string();
        let sinks = hub.sinks.read().expect("stream lock");
        for (consent_id, consumer) in targets {
            let Some(sink) = sinks.get(&consumer) else {
                continue;
            };
            let delivery = StreamDelivery {
                consent_id,
                event: event.clone(),
                decided_at: std::time::Instant::now(),
            };
            if sink.try_send(delivery).is_err() {
                hub.dropped.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(consumer, "stream queue full or closed; event dropped");
            }
        }
    }
}
