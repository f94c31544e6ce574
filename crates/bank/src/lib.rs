//! The bank node (data provider): the bank's open-banking gateway.
//!
//! It owns customers, accounts, cards, merchants and the transaction history
//! ([`store::BankStore`], its own SQLite database), fills an empty bank from
//! the seeded [`sim`]ulator, and serves a data API ([`api::router`]) that
//! answers only against a consent artefact signed by the consent manager.
//!
//! Every data request passes [`BankNode::authorise`]: the artefact's EdDSA
//! signature, that it was issued to this bank, its status as last notified by
//! the consent manager, the consent window, purpose, account, data kind, date
//! range and fetch frequency. Anything else is a 403 and is logged.

pub mod api;
pub mod sim;
pub mod store;

use std::sync::{Arc, RwLock};

use anumati_domain::consent::{ConsentArtefact, ConsentRefusal, ConsentType, DataRequest, TimeUnit};
use anumati_domain::{Account, AccountId};
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
    #[error("login or password is wrong")]
    BadCredentials,
    #[error("caller is not authenticated: {0}")]
    Unauthenticated(String),
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

/// The bank node: its store, whom it trusts, and its clock.
#[derive(Clone)]
pub struct BankNode {
    inner: Arc<Inner>,
}

struct Inner {
    id: String,
    store: BankStore,
    /// The consent manager's public keys; set once the consent manager is known.
    consent_manager_keys: RwLock<KeySet>,
    consent_manager_id: String,
    clock: SharedClock,
}

impl BankNode {
    pub fn new(id: impl Into<String>, store: BankStore, consent_manager_id: impl Into<String>, clock: SharedClock) -> Self {
        BankNode {
            inner: Arc::new(Inner {
                id: id.into(),
                store,
                consent_manager_keys: RwLock::new(KeySet::new()),
                consent_manager_id: consent_manager_id.into(),
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

    /// Trusts these keys for consent artefacts and the consent manager's calls.
    pub fn trust_consent_manager(&self, keys: KeySet) {
        *self.inner.consent_manager_keys.write().expect("key lock") = keys;
    }

    fn keys(&self) -> KeySet {
        self.inner.consent_manager_keys.read().expect("key lock").clone()
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

    /// Verifies that a signed payload came from the consent manager.
    pub fn verify_from_consent_manager<T: serde::de::DeserializeOwned>(&self, token: &str) -> Result<T, BankError> {
        Ok(self.keys().verify(token)?)
    }

    /// Verifies an artefact's signature, provider, notified status, window
    /// and purpose: what every request needs, whatever it asks for.
    pub async fn verify_artefact(&self, consent_jws: Option<&str>, purpose: Option<&str>) -> Result<ConsentArtefact, BankError> {
        let token = consent_jws.ok_or(BankError::MissingHeader("x-consent"))?;
        let purpose = purpose.ok_or(BankError::MissingHeader("x-purpose"))?;
        let artefact: ConsentArtefact = self.keys().verify(token)?;
        if artefact.data_provider.id != self.inner.id {
            return Err(BankError::WrongProvider);
        }
        if let Some(status) = self.inner.store.consent_notice(artefact.consent_id.as_str()).await? {
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
        if purpose != artefact.purpose.code {
            return Err(ConsentRefusal::WrongPurpose {
                requested: purpose.to_owned(),
                granted: artefact.purpose.code.clone(),
            }
            .into());
        }
        Ok(artefact)
    }

    /// Decides whether a data request about one account may be served, and
    /// records it against the consent's frequency when it may.
    pub async fn authorise(
        &self,
        consent_jws: Option<&str>,
        purpose: Option<&str>,
        account_id: &AccountId,
        consent_type: ConsentType,
        range: Option<(Timestamp, Timestamp)>,
    ) -> Result<(ConsentArtefact, Account), BankError> {
        let artefact = self.verify_artefact(consent_jws, purpose).await?;
        let purpose = purpose.unwrap_or_default();
        let now = self.now();
        let (from, to) = range.unwrap_or((artefact.fi_data_range.from, artefact.fi_data_range.to.min(now)));
        artefact.permits(
            &DataRequest {
                account: account_id,
                consent_type,
                purpose_code: purpose,
                from,
                to,
            },
            now,
        )?;
        let account = self
            .inner
            .store
            .account(account_id)
            .await?
            .ok_or(BankError::AccountNotFound)?;
        // The artefact names the customer; the account must be theirs, whatever the artefact lists.
        if account.customer_id.as_str() != artefact.customer.id {
            return Err(ConsentRefusal::AccountNotCovered(account_id.clone()).into());
        }
        let recorded = self
            .inner
            .store
            .try_record_fetch(
                artefact.consent_id.as_str(),
                account_id,
                consent_type_name(consent_type),
                now - frequency_window(artefact.frequency.unit),
                now,
                artefact.frequency.value,
            )
            .await?;
        if !recorded {
            return Err(BankError::FrequencyExceeded(artefact.frequency.value));
        }
        Ok((artefact, account))
    }
}

fn frequency_window(unit: TimeUnit) -> SignedDuration {
    match unit {
        TimeUnit::Hour => SignedDuration::from_hours(1),
        TimeUnit::Day => SignedDuration::from_hours(24),
        TimeUnit::Month => SignedDuration::from_hours(24 * 30),
        TimeUnit::Year => SignedDuration::from_hours(24 * 365),
        TimeUnit::Inf => SignedDuration::from_hours(24 * 365 * 100),
    }
}

fn consent_type_name(t: ConsentType) -> &'static str {
    match t {
        ConsentType::Profile => "PROFILE",
        ConsentType::Summary => "SUMMARY",
        ConsentType::Transactions => "TRANSACTIONS",
    }
}
