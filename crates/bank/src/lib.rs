//! The bank node (data provider): the bank's open-banking gateway.
//!
//! It owns customers, accounts, cards, merchants and the transaction history
//! ([`store::BankStore`], its own SQLite database), fills an empty bank from
//! the seeded [`sim`]ulator, and serves a data API ([`api::router`]) that
//! answers only against a consent artefact signed by the consent manager.
//!
//! Every FI request ([`fi`], relayed by the consent manager) is checked in
//! full: the artefact's EdDSA signature, that it was issued to this bank, its
//! status as last notified by the consent manager, the consent window,
//! purpose, every listed account (and that it is the customer's), data
//! kinds, date range, fetch frequency and the key material's nonce (no
//! replay). Anything else is refused, with nothing served.
//!
//! The customer can also lock and unlock their cards ([`cards`], relayed by
//! the consent manager on a data user's behalf), under the same artefact
//! checks; a locked card's authorisations are to be declined
//! ([`BankStore::card_locked`]).

pub mod api;
pub mod cards;
pub mod fi;
pub mod holds;
pub mod import;
pub mod ledger;
pub mod payments;
pub mod payments_api;
pub mod sim;
pub mod store;
pub mod stream;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use anumati_domain::consent::{ConsentArtefact, ConsentRefusal, TimeUnit};
use anumati_wire::clock::SharedClock;
use anumati_wire::jws::{JwsError, KeySet};
use jiff::{SignedDuration, Timestamp};

pub use store::BankStore;

/// The id this bank node signs and is named by in consent artefacts.
pub const DEFAULT_BANK_ID: &str = "anumati-bank";

#[derive(Debug, thiserror::Error)]
pub enum BankError {
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    #[error("consent artefact rejected: {0}")]
    BadArtefact(#[from] JwsError),
    #[error("consent was issued to another data provider")]
    WrongProvider,
    #[error("consent is {0}")]
    ConsentNotActive(String),
    #[error("{0}")]
    Refused(#[from] ConsentRefusal),
    #[error("consent's fetch frequency is used up ({0} per period)")]
    FrequencyExceeded(u32),
    #[error("account not found")]
    AccountNotFound,
    #[error("this key material's nonce was already used under this consent (replay)")]
    Replayed,
    #[error("login or password is wrong")]
    BadCredentials,
    #[error("caller is not authenticated: {0}")]
    Unauthenticated(String),
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("this request needs a consent in {0} mode")]
    WrongMode(&'static str),
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

/// The bank node: its store, whom it trusts, and its clock.
#[derive(Clone)]
pub struct BankNode {
    inner: Arc<Inner>,
}

/// Most card-network assertions remembered as verified.
const NETWORK_ASSERTIONS_KEPT: usize = 1024;

/// Verified card-network assertions: token → (issuer, expiry), and the
/// generation of the trusted keys they were verified under.
#[derive(Default)]
pub(crate) struct AssertionCache {
    generation: u64,
    verified: HashMap<String, (String, i64)>,
}

impl AssertionCache {
    /// The trusted keys changed: forget every verified assertion.
    pub(crate) fn keys_changed(&mut self) {
        self.generation += 1;
        self.verified.clear();
    }
}

struct Inner {
    id: String,
    store: BankStore,
    signer: anumati_wire::jws::Signer,
    /// Seals pagination cursors; made at start, never stored.
    cursor_key: [u8; 32],
    /// The consent manager's public keys; set once the consent manager is known.
    consent_manager_keys: RwLock<KeySet>,
    consent_manager_id: String,
    /// Payment initiators (the chat app) by client id, and their keys.
    payment_clients: RwLock<HashMap<String, KeySet>>,
    /// Whether the demo's "phone" page (`GET /phone`) shows SMS messages.
    phone_page: AtomicBool,
    /// Card networks that may ask for authorisations, and their keys.
    card_networks: RwLock<HashMap<String, KeySet>>,
    /// Card networks' assertions already verified: token → (issuer, expiry).
    /// A network sends the same assertion with every request for its
    /// lifetime, so its signature is checked once; emptied whenever the
    /// trusted keys change.
    network_assertions: std::sync::Mutex<AssertionCache>,
    /// STREAM subscriptions and the data users' event queues.
    streams: stream::StreamHub,
    clock: SharedClock,
}

impl BankNode {
    pub fn new(
        id: impl Into<String>,
        store: BankStore,
        signer: anumati_wire::jws::Signer,
        consent_manager_id: impl Into<String>,
        clock: SharedClock,
    ) -> Self {
        BankNode {
            inner: Arc::new(Inner {
                id: id.into(),
                store,
                signer,
                cursor_key: rand::random(),
                consent_manager_keys: RwLock::new(KeySet::new()),
                consent_manager_id: consent_manager_id.into(),
                payment_clients: RwLock::new(HashMap::new()),
                phone_page: AtomicBool::new(false),
                card_networks: RwLock::new(HashMap::new()),
                network_assertions: std::sync::Mutex::default(),
                streams: stream::StreamHub::default(),
                clock,
            }),
        }
    }

    pub fn id(&self) -> &str {
        &self.inner.id
    }

    pub fn store(&self) -> &BankStore {
        &self.inner.store
    }

    pub fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }

    pub(crate) fn cursor_key(&self) -> &[u8; 32] {
        &self.inner.cursor_key
    }

    /// Signs a response with the bank's key.
    pub fn sign<T: serde::Serialize>(&self, payload: &T) -> String {
        self.inner.signer.sign(payload)
    }

    /// The bank's public keys, as published at `/.well-known/jwks.json`.
    pub fn public_jwk(&self) -> anumati_wire::jws::PublicJwk {
        self.inner.signer.public_jwk()
    }

    /// Trusts these keys for consent artefacts and the consent manager's calls.
    pub fn trust_consent_manager(&self, keys: KeySet) {
        *self.inner.consent_manager_keys.write().expect("key lock") = keys;
    }

    fn keys(&self) -> KeySet {
        self.inner
            .consent_manager_keys
            .read()
            .expect("key lock")
            .clone()
    }

    /// Verifies a call from the consent manager (`x-client-assertion`).
    pub fn authenticate_consent_manager(&self, assertion: Option<&str>) -> Result<(), BankError> {
        let token = assertion.ok_or(BankError::MissingHeader("x-client-assertion"))?;
        anumati_wire::jws::ClientAssertion::verify(
            token,
            &self.keys(),
            &self.inner.consent_manager_id,
            &self.inner.id,
            self.now().as_second(),
        )
        .map_err(|e| BankError::Unauthenticated(e.to_string()))?;
        Ok(())
    }

    /// Trusts a payment initiator (the chat app): its client id and keys.
    pub fn trust_payment_client(&self, client_id: impl Into<String>, keys: KeySet) {
        self.inner
            .payment_clients
            .write()
            .expect("key lock")
            .insert(client_id.into(), keys);
    }

    /// Verifies a payment initiator's `x-client-assertion` (issuer = its
    /// client id, audience = this bank) and returns its client id.
    pub fn authenticate_payment_client(
        &self,
        assertion: Option<&str>,
    ) -> Result<String, BankError> {
        self.authenticate_client(&self.inner.payment_clients, "payment client", assertion)
    }

    /// Verifies a card network's `x-client-assertion`, as for payment
    /// clients. A token verified before is only checked for expiry (see
    /// `network_assertions`).
    pub fn authenticate_card_network(&self, assertion: Option<&str>) -> Result<String, BankError> {
        let token = assertion.ok_or(BankError::MissingHeader("x-client-assertion"))?;
        let now = self.now().as_second();
        let generation = {
            let cache = self.network_assertions();
            if let Some((iss, exp)) = cache.verified.get(token) {
                if now < *exp {
                    return Ok(iss.clone());
                }
            }
            cache.generation
        };
        let iss = self.authenticate_client(&self.inner.card_networks, "card network", assertion)?;
        let exp = anumati_wire::jws::peek_unverified::<anumati_wire::jws::ClientAssertion>(token)
            .map_err(|e| BankError::Unauthenticated(e.to_string()))?
            .exp;
        let mut cache = self.network_assertions();
        // Keys that changed during the check: do not remember the answer.
        if cache.generation == generation {
            if cache.verified.len() >= NETWORK_ASSERTIONS_KEPT {
                cache.verified.retain(|_, (_, exp)| now < *exp);
                if cache.verified.len() >= NETWORK_ASSERTIONS_KEPT {
                    cache.verified.clear();
                }
            }
            cache.verified.insert(token.to_owned(), (iss.clone(), exp));
        }
        Ok(iss)
    }

    pub(crate) fn network_assertions(&self) -> std::sync::MutexGuard<'_, AssertionCache> {
        self.inner
            .network_assertions
            .lock()
            .expect("assertion cache")
    }

    fn authenticate_client(
        &self,
        clients: &RwLock<HashMap<String, KeySet>>,
        kind: &str,
        assertion: Option<&str>,
    ) -> Result<String, BankError> {
        let token = assertion.ok_or(BankError::MissingHeader("x-client-assertion"))?;
        let claimed: anumati_wire::jws::ClientAssertion = anumati_wire::jws::peek_unverified(token)
            .map_err(|e| BankError::Unauthenticated(e.to_string()))?;
        let keys = clients
            .read()
            .expect("key lock")
            .get(&claimed.iss)
            .cloned()
            .ok_or_else(|| BankError::Unauthenticated(format!("unknown {kind}")))?;
        let verified = anumati_wire::jws::ClientAssertion::verify(
            token,
            &keys,
            &claimed.iss,
            &self.inner.id,
            self.now().as_second(),
        )
        .map_err(|e| BankError::Unauthenticated(e.to_string()))?;
        Ok(verified.iss)
    }

    /// Shows (or hides) the demo's simulated phone page, `GET /phone?login=`.
    /// Off by default: it prints one-time codes, so only a demo turns it on.
    pub fn enable_phone_page(&self, on: bool) {
        self.inner.phone_page.store(on, Ordering::Relaxed);
    }

    pub(crate) fn phone_page_enabled(&self) -> bool {
        self.inner.phone_page.load(Ordering::Relaxed)
    }

    /// Verifies that a signed payload came from the consent manager.
    pub fn verify_from_consent_manager<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
    ) -> Result<T, BankError> {
        Ok(self.keys().verify(token)?)
    }

    /// Verifies an artefact's signature, provider, notified status, window
    /// and purpose: what every request needs, whatever it asks for. A data
    /// request names its purpose, which must be the artefact's; a request
    /// that asks for no data (a card lock) passes `None` and is not checked
    /// against it.
    pub async fn verify_artefact(
        &self,
        consent_jws: Option<&str>,
        purpose: Option<&str>,
    ) -> Result<ConsentArtefact, BankError> {
        let token = consent_jws.ok_or(BankError::MissingHeader("x-consent"))?;
        let artefact: ConsentArtefact = self.keys().verify(token)?;
        if artefact.data_provider.id != self.inner.id {
            return Err(BankError::WrongProvider);
        }
        if let Some(status) = self
            .inner
            .store
            .consent_notice(artefact.consent_id.as_str())
            .await?
        {
            if status != "ACTIVE" {
                return Err(BankError::ConsentNotActive(status));
            }
        }
        let now = self.now();
        if now < artefact.start {
            return Err(ConsentRefusal::NotStarted.into());
        }
        if now >= artefact.expiry {
            return Err(ConsentRefusal::Expired.into());
        }
        if let Some(purpose) = purpose {
            if purpose != artefact.purpose.code {
                return Err(ConsentRefusal::WrongPurpose {
                    requested: purpose.to_owned(),
                    granted: artefact.purpose.code.clone(),
                }
                .into());
            }
        }
        Ok(artefact)
    }
}

pub(crate) fn frequency_window(unit: TimeUnit) -> SignedDuration {
    match unit {
        TimeUnit::Hour => SignedDuration::from_hours(1),
        TimeUnit::Day => SignedDuration::from_hours(24),
        TimeUnit::Month => SignedDuration::from_hours(24 * 30),
        TimeUnit::Year => SignedDuration::from_hours(24 * 365),
        TimeUnit::Inf => SignedDuration::from_hours(24 * 365 * 100),
    }
}
