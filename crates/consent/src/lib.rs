//! The consent manager: the customer's side of every data flow.
//!
//! A data user (the chat app) asks for a consent ([`api`] `POST /v1/consents`);
//! the customer opens the approval page ([`pages`]), logs in with their bank
//! (the bank authenticates them through its own API), reads in plain words
//! what would be shared, with whom, why, for which dates and until when, and
//! approves or denies. On approval the consent manager builds the ReBIT-shaped
//! [`ConsentArtefact`], signs it (compact JWS, EdDSA) and hands it to the data
//! user. Revocation changes the status and notifies the bank node, whose
//! check then refuses the artefact.
//!
//! It relays, for the data user holding an ACTIVE consent, FI requests
//! ([`ConsentManager::relay_fetch`]) and card locks
//! ([`ConsentManager::relay_card_lock`]) to the bank with the artefact it
//! signed, and logs each one, refusals included.
//!
//! The consent manager keeps consents and their status; it never stores any
//! bank data.

pub mod api;
pub mod identity;
pub mod log;
pub mod pages;
pub mod store;

use std::sync::Arc;

use anumati_domain::consent::{
    CardDataExtension, ConsentAccount, ConsentArtefact, ConsentMode, ConsentStatus, ConsentType,
    DateRange, FetchType, Party, Period, Purpose, TimeUnit,
};
use anumati_domain::{AccountKind, ConsentId};
use anumati_wire::clock::SharedClock;
use anumati_wire::jws::{ClientAssertion, KeySet, PublicJwk, Signer};
use anumati_wire::Peer;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

pub use store::ConsentStore;

/// The id the consent manager is known by.
pub const DEFAULT_CONSENT_MANAGER_ID: &str = "anumati-consent";

#[derive(Debug, thiserror::Error)]
pub enum ConsentError {
    #[error("unknown consent")]
    NotFound,
    #[error("this consent belongs to someone else")]
    NotYours,
    #[error("consent is {0}, not {1}")]
    WrongStatus(String, &'static str),
    #[error("caller is not authenticated: {0}")]
    Unauthenticated(String),
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("login or password is wrong")]
    BadCredentials,
    #[error("the bank node could not be reached: {0}")]
    Bank(String),
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

/// What a data user asks for. The customer sees all of it before approving.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConsentRequest {
    /// The customer's handle at the consent manager (their bank login in the demo).
    pub customer: String,
    /// ReBIT purpose code, 101–105.
    pub purpose_code: String,
    pub consent_types: Vec<ConsentType>,
    #[serde(default)]
    pub extensions: CardDataExtension,
    pub mode: ConsentMode,
    /// How many months of history may be fetched.
    pub history_months: u32,
    /// How many days the consent lasts.
    pub valid_days: u32,
    /// Most fetches per day.
    pub fetches_per_day: u32,
    /// How many days the data user may keep what it fetched.
    pub data_life_days: u32,
    /// Where the customer's browser returns after deciding.
    pub redirect_uri: String,
}

/// Longest anything in a consent request may ask for.
const HISTORY_MONTHS_MAX: u32 = 60;
const VALID_DAYS_MAX: u32 = 3_650;
const FETCHES_PER_DAY_MAX: u32 = 10_000;

impl ConsentRequest {
    fn validate(&self) -> Result<(), ConsentError> {
        let bad = |m: &str| Err(ConsentError::BadRequest(m.to_owned()));
        if Purpose::from_code(&self.purpose_code).is_none() {
            return bad("purpose_code must be a ReBIT purpose code 101-105");
        }
        if self.consent_types.is_empty() {
            return bad("consent_types must not be empty");
        }
        if self.history_months == 0 || self.history_months > HISTORY_MONTHS_MAX {
            return bad("history_months must be 1 to 60");
        }
        if self.valid_days == 0 || self.valid_days > VALID_DAYS_MAX {
            return bad("valid_days must be 1 to 3650");
        }
        if self.fetches_per_day == 0 || self.fetches_per_day > FETCHES_PER_DAY_MAX {
            return bad("fetches_per_day must be 1 to 10000");
        }
        if self.customer.is_empty() || self.customer.len() > 128 {
            return bad("customer must be 1 to 128 characters");
        }
        if !self.redirect_uri.starts_with('/')
            && !self.redirect_uri.starts_with("http://")
            && !self.redirect_uri.starts_with("https://")
        {
            return bad("redirect_uri must be a path or an http(s) URL");
        }
        Ok(())
    }
}

/// A data user's FI request, as it reaches the consent manager.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FetchRequest {
    pub consent_id: String,
    /// The data user's id for this request; the bank echoes it in its signed answer.
    pub txnid: String,
    /// ReBIT purpose code.
    pub purpose: String,
    #[serde(rename = "FIDataRange")]
    #[schema(value_type = Option<Object>)]
    pub range: Option<serde_json::Value>,
    /// The data user's ephemeral X25519 key and nonce (ReBIT KeyMaterial).
    #[serde(rename = "KeyMaterial")]
    #[schema(value_type = Object)]
    pub key_material: serde_json::Value,
    pub limit: Option<u32>,
    /// Per account id, the opaque `next_cursor` the bank sealed into a previous answer.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub cursors: serde_json::Map<String, serde_json::Value>,
}

/// A data user's request to lock or unlock the cards of a consent's accounts,
/// on the customer's word in the data user's app.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CardLockRequest {
    #[serde(rename = "consentId", alias = "consent_id")]
    pub consent_id: String,
    /// `true` locks the cards, `false` unlocks them.
    pub lock: bool,
}

/// What a data user asks under one of its consents ([`ConsentManager::relay`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relay {
    /// The customer's saved payees, to resolve "pay Priya" in its chat
    /// (the bank's `POST /v1/payees`; logged `payees.read`).
    Payees,
    /// A subscription to the live card events of a STREAM consent (the
    /// bank's `POST /v1/streams`; logged `stream.subscribe`).
    Stream,
}

/// A data user's request that names only one of its consents: the
/// customer's saved payees (`POST /v1/payees`) or a STREAM subscription
/// (`POST /v1/streams`).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConsentRef {
    #[serde(rename = "consentId", alias = "consent_id")]
    pub consent_id: String,
}

/// A customer the bank has authenticated, with the accounts they may link.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthenticatedCustomer {
    pub customer_id: String,
    pub login: String,
    pub name: String,
    pub accounts: Vec<LinkableAccount>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LinkableAccount {
    pub id: String,
    pub kind: AccountKind,
    pub masked_number: String,
    pub currency: String,
}

#[derive(Clone)]
pub struct ConsentManager {
    inner: Arc<Inner>,
}

struct Inner {
    id: String,
    store: ConsentStore,
    log: log::AccessLog,
    signer: Signer,
    bank: Peer,
    bank_id: String,
    clock: SharedClock,
    /// Data users' notification endpoints, by id.
    consumer_peers: std::sync::RwLock<std::collections::HashMap<String, Peer>>,
    /// Where the approval pages are mounted, e.g. `/cm`.
    public_prefix: String,
}

impl ConsentManager {
    pub fn new(
        id: impl Into<String>,
        store: ConsentStore,
        signer: Signer,
        bank: Peer,
        bank_id: impl Into<String>,
        clock: SharedClock,
        public_prefix: impl Into<String>,
    ) -> Self {
        ConsentManager {
            inner: Arc::new(Inner {
                id: id.into(),
                log: log::AccessLog::new(store.pool().clone()),
                store,
                signer,
                bank,
                bank_id: bank_id.into(),
                clock,
                consumer_peers: std::sync::RwLock::new(std::collections::HashMap::new()),
                public_prefix: public_prefix.into(),
            }),
        }
    }

    pub fn id(&self) -> &str {
        &self.inner.id
    }

    pub fn store(&self) -> &ConsentStore {
        &self.inner.store
    }

    pub fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }

    pub fn log(&self) -> &log::AccessLog {
        &self.inner.log
    }

    /// Appends several entries under one signed tree head (bulk loads, benchmarks).
    pub async fn record_batch(
        &self,
        entries: &[log::NewEntry],
    ) -> Result<log::SignedTreeHead, ConsentError> {
        Ok(self
            .inner
            .log
            .append(&self.inner.signer, self.now(), entries)
            .await?)
    }

    /// Appends to the access log. A consent change or a data access that
    /// cannot be logged must not happen, so callers propagate the error.
    pub async fn record(&self, entry: log::NewEntry) -> Result<log::SignedTreeHead, ConsentError> {
        Ok(self
            .inner
            .log
            .append(&self.inner.signer, self.now(), &[entry])
            .await?)
    }

    pub fn public_jwk(&self) -> PublicJwk {
        self.inner.signer.public_jwk()
    }

    /// The keys a verifier of this consent manager's signatures needs.
    pub fn key_set(&self) -> KeySet {
        let mut keys = KeySet::new();
        keys.insert(self.inner.signer.kid(), self.inner.signer.verifying_key());
        keys
    }

    pub fn public_prefix(&self) -> &str {
        &self.inner.public_prefix
    }

    /// Registers (or re-keys) a data user allowed to request consents.
    pub async fn register_consumer(
        &self,
        id: &str,
        name: &str,
        jwk: &PublicJwk,
    ) -> Result<(), ConsentError> {
        jwk.verifying_key()
            .map_err(|e| ConsentError::BadRequest(e.to_string()))?;
        self.inner.store.upsert_consumer(id, name, jwk).await?;
        Ok(())
    }

    /// Where to tell a data user about status changes it did not make itself.
    pub fn connect_consumer(&self, id: &str, peer: Peer) {
        self.inner
            .consumer_peers
            .write()
            .expect("peers lock")
            .insert(id.to_owned(), peer);
    }

    /// Tells the data user; a failure is logged, not fatal (the data user also
    /// enforces expiry itself from the artefact it holds).
    async fn notify_consumer(
        &self,
        consumer_id: &str,
        consent_id: &str,
        status: ConsentStatus,
        at: Timestamp,
    ) {
        let peer = self
            .inner
            .consumer_peers
            .read()
            .expect("peers lock")
            .get(consumer_id)
            .cloned();
        let Some(peer) = peer else { return };
        let notice = self.signed_notice(consent_id, status, at);
        match peer
            .send(
                axum::http::Method::POST,
                "/v1/consent-notifications",
                &[],
                Some(&serde_json::json!({ "notice": notice })),
            )
            .await
        {
            Ok(r) if r.status.is_success() => {}
            Ok(r) => {
                tracing::warn!(consumer = consumer_id, status = %r.status, "data user refused a consent notice")
            }
            Err(e) => {
                tracing::warn!(consumer = consumer_id, error = %e, "data user unreachable for a consent notice")
            }
        }
    }

    /// Logs a data user's statement that it erased a customer's data.
    pub async fn record_erasure(
        &self,
        consumer_id: &str,
        consent_id: &str,
    ) -> Result<(), ConsentError> {
        let record = self
            .inner
            .store
            .by_consent_id(consent_id)
            .await?
            .ok_or(ConsentError::NotFound)?;
        if record.consumer_id != consumer_id {
            return Err(ConsentError::NotFound);
        }
        self.record(entry_about(
            &record,
            "data.erased",
            consumer_id,
            Some(consent_id),
        ))
        .await?;
        Ok(())
    }

    /// Authenticates a data user's call (`x-client-assertion` signed with its registered key).
    pub async fn authenticate_consumer(
        &self,
        consumer_id: Option<&str>,
        assertion: Option<&str>,
    ) -> Result<String, ConsentError> {
        let consumer_id = consumer_id
            .ok_or_else(|| ConsentError::Unauthenticated("missing x-client-id".into()))?;
        let token = assertion
            .ok_or_else(|| ConsentError::Unauthenticated("missing x-client-assertion".into()))?;
        let jwk = self
            .inner
            .store
            .consumer_jwk(consumer_id)
            .await?
            .ok_or_else(|| ConsentError::Unauthenticated("unknown client".into()))?;
        let mut keys = KeySet::new();
        keys.insert(
            jwk.kid.clone(),
            jwk.verifying_key()
                .map_err(|e| ConsentError::Unauthenticated(e.to_string()))?,
        );
        ClientAssertion::verify(
            token,
            &keys,
            consumer_id,
            &self.inner.id,
            self.now().as_second(),
        )
        .map_err(|e| ConsentError::Unauthenticated(e.to_string()))?;
        Ok(consumer_id.to_owned())
    }

    /// Files a consent request; returns its handle.
    pub async fn request(
        &self,
        consumer_id: &str,
        request: &ConsentRequest,
    ) -> Result<String, ConsentError> {
        request.validate()?;
        let handle = anumati_wire::html::random_token();
        self.inner
            .store
            .insert_request(&handle, consumer_id, request, self.now())
            .await?;
        self.record(log::NewEntry {
            event: "consent.requested",
            actor: consumer_id.to_owned(),
            purpose: Some(request.purpose_code.clone()),
            data_kinds: kinds_of(&request.consent_types),
            ..Default::default()
        })
        .await?;
        tracing::info!(consumer = consumer_id, "consent requested");
        Ok(handle)
    }

    /// The page a customer opens to decide on a request.
    pub fn approval_path(&self, handle: &str) -> String {
        format!("{}/consent/{handle}", self.inner.public_prefix)
    }

    /// Asks the bank node to authenticate its customer (for the approval page).
    pub async fn authenticate_customer(
        &self,
        login: &str,
        password: &str,
    ) -> Result<AuthenticatedCustomer, ConsentError> {
        #[derive(Deserialize)]
        struct BankAuth {
            customer_id: String,
            name: String,
            accounts: Vec<LinkableAccount>,
        }
        let assertion = self.inner.signer.sign(&ClientAssertion::new(
            &self.inner.id,
            &self.inner.bank_id,
            self.now().as_second(),
        ));
        let result: Result<BankAuth, _> = self
            .inner
            .bank
            .post(
                "/v1/customer-auth",
                &[("x-client-assertion", assertion.as_str())],
                &serde_json::json!({ "login": login, "password": password }),
            )
            .await;
        match result {
            Ok(auth) => Ok(AuthenticatedCustomer {
                customer_id: auth.customer_id,
                login: login.to_owned(),
                name: auth.name,
                accounts: auth.accounts,
            }),
            Err(e) if e.status() == Some(axum::http::StatusCode::UNAUTHORIZED) => {
                Err(ConsentError::BadCredentials)
            }
            Err(e) => Err(ConsentError::Bank(e.to_string())),
        }
    }

    /// Builds the artefact a request would produce for this customer and accounts.
    pub fn draft_artefact(
        &self,
        consumer_id: &str,
        request: &ConsentRequest,
        customer: &AuthenticatedCustomer,
        account_ids: &[String],
        consent_id: ConsentId,
    ) -> Result<ConsentArtefact, ConsentError> {
        let now = self.now();
        let accounts: Vec<ConsentAccount> = customer
            .accounts
            .iter()
            .filter(|a| account_ids.contains(&a.id))
            .map(|a| ConsentAccount {
                fi_type: if a.kind == AccountKind::CreditCard {
                    "CREDIT_CARD"
                } else {
                    "DEPOSIT"
                }
                .to_owned(),
                fip_id: self.inner.bank_id.clone(),
                acc_type: a.kind.as_str().to_uppercase(),
                link_ref_number: anumati_domain::AccountId::new(a.id.clone()),
                masked_acc_number: a.masked_number.clone(),
            })
            .collect();
        if accounts.is_empty() {
            return Err(ConsentError::BadRequest(
                "choose at least one account".into(),
            ));
        }
        let mut fi_types: Vec<String> = accounts.iter().map(|a| a.fi_type.clone()).collect();
        fi_types.sort();
        fi_types.dedup();
        let day = SignedDuration::from_hours(24);
        let purpose = Purpose::from_code(&request.purpose_code)
            .ok_or_else(|| ConsentError::BadRequest("unknown purpose".into()))?;
        let expiry = now + day * i32::try_from(request.valid_days).unwrap_or(i32::MAX);
        Ok(ConsentArtefact {
            ver: "2.0.0".into(),
            consent_id,
            created: now,
            start: now,
            expiry,
            mode: request.mode,
            fetch_type: FetchType::Periodic,
            consent_types: request.consent_types.clone(),
            fi_types,
            data_consumer: Party {
                id: consumer_id.to_owned(),
            },
            data_provider: Party {
                id: self.inner.bank_id.clone(),
            },
            customer: Party {
                id: customer.customer_id.clone(),
            },
            accounts,
            purpose,
            fi_data_range: DateRange {
                from: now - day * (31 * i32::try_from(request.history_months).unwrap_or(60)),
                to: expiry,
            },
            data_life: Period {
                unit: TimeUnit::Day,
                value: request.data_life_days,
            },
            frequency: Period {
                unit: TimeUnit::Day,
                value: request.fetches_per_day,
            },
            data_filter: vec![],
            extensions: request.extensions.clone(),
        })
    }

    /// Records the customer's decision. On approval, signs the artefact.
    pub async fn decide(
        &self,
        handle: &str,
        customer: &AuthenticatedCustomer,
        account_ids: &[String],
        approve: bool,
    ) -> Result<store::ConsentRecord, ConsentError> {
        let record = self
            .inner
            .store
            .by_handle(handle)
            .await?
            .ok_or(ConsentError::NotFound)?;
        if record.customer != customer.login {
            return Err(ConsentError::NotYours);
        }
        if record.status != ConsentStatus::Pending {
            return Err(ConsentError::WrongStatus(
                record.status.as_str().to_owned(),
                "PENDING",
            ));
        }
        let now = self.now();
        if !approve {
            self.inner
                .store
                .reject(handle, &customer.customer_id, now)
                .await?;
            self.record(log::NewEntry {
                event: "consent.rejected",
                actor: "customer".into(),
                customer: Some(customer.customer_id.clone()),
                purpose: Some(record.request.purpose_code.clone()),
                data_kinds: kinds_of(&record.request.consent_types),
                ..Default::default()
            })
            .await?;
            tracing::info!(consumer = %record.consumer_id, "consent denied by customer");
        } else {
            let consent_id = ConsentId::new(format!("cst_{}", anumati_wire::html::random_token()));
            let artefact = self.draft_artefact(
                &record.consumer_id,
                &record.request,
                customer,
                account_ids,
                consent_id,
            )?;
            let jws = self.inner.signer.sign(&artefact);
            self.inner
                .store
                .approve(
                    handle,
                    artefact.consent_id.as_str(),
                    &customer.customer_id,
                    &jws,
                    artefact.expiry,
                    now,
                )
                .await?;
            self.record(log::NewEntry {
                event: "consent.approved",
                actor: "customer".into(),
                customer: Some(customer.customer_id.clone()),
                consent_id: Some(artefact.consent_id.to_string()),
                purpose: Some(artefact.purpose.code.clone()),
                data_kinds: kinds_of(&artefact.consent_types),
                ..Default::default()
            })
            .await?;
            tracing::info!(consent = %artefact.consent_id, consumer = %record.consumer_id, "consent approved");
        }
        self.inner
            .store
            .by_handle(handle)
            .await?
            .ok_or(ConsentError::NotFound)
    }

    /// Changes an active consent's status (revoke or pause) and tells the bank node.
    pub async fn set_status(
        &self,
        consumer_id: &str,
        consent_id: &str,
        status: ConsentStatus,
    ) -> Result<(), ConsentError> {
        let record = self
            .inner
            .store
            .by_consent_id(consent_id)
            .await?
            .ok_or(ConsentError::NotFound)?;
        if record.consumer_id != consumer_id {
            return Err(ConsentError::NotYours);
        }
        let allowed = matches!(
            (record.status, status),
            (
                ConsentStatus::Active,
                ConsentStatus::Revoked | ConsentStatus::Paused
            ) | (
                ConsentStatus::Paused,
                ConsentStatus::Revoked | ConsentStatus::Active
            )
        );
        if !allowed {
            return Err(ConsentError::WrongStatus(
                record.status.as_str().to_owned(),
                "ACTIVE or PAUSED",
            ));
        }
        let now = self.now();
        // The bank hears first: if the consent manager then failed to record the
        // change, the bank would refuse a consent still shown as active — the safe side.
        self.notify_bank(consent_id, status, now).await?;
        self.inner.store.set_status(consent_id, status, now).await?;
        let event = match status {
            ConsentStatus::Revoked => "consent.revoked",
            ConsentStatus::Paused => "consent.paused",
            _ => "consent.resumed",
        };
        self.record(entry_about(&record, event, consumer_id, Some(consent_id)))
            .await?;
        tracing::info!(
            consent = consent_id,
            status = status.as_str(),
            "consent status changed"
        );
        Ok(())
    }

    /// Marks every consent whose expiry has passed EXPIRED, tells the bank,
    /// and logs it. Returns the consents that expired (the data user is told
    /// by the caller, which knows how to reach it).
    pub async fn expire_due(&self) -> Result<Vec<store::ConsentRecord>, ConsentError> {
        let now = self.now();
        let due = self.inner.store.due_for_expiry(now).await?;
        for record in &due {
            let Some(consent_id) = record.consent_id.as_deref() else {
                continue;
            };
            self.notify_bank(consent_id, ConsentStatus::Expired, now)
                .await?;
            self.inner
                .store
                .set_status(consent_id, ConsentStatus::Expired, now)
                .await?;
            self.record(entry_about(
                record,
                "consent.expired",
                &self.inner.id,
                Some(consent_id),
            ))
            .await?;
            self.notify_consumer(&record.consumer_id, consent_id, ConsentStatus::Expired, now)
                .await;
            tracing::info!(consent = consent_id, "consent expired");
        }
        Ok(due)
    }

    /// Signs a status notice for a party that holds or serves the consent.
    pub fn signed_notice(&self, consent_id: &str, status: ConsentStatus, at: Timestamp) -> String {
        self.inner.signer.sign(&serde_json::json!({
            "consentId": consent_id, "status": status.as_str(), "at": at,
        }))
    }

    /// Relays a data user's FI request to the bank with the stored artefact,
    /// and logs the access whatever its outcome. The response is the bank's
    /// signed, encrypted answer, passed on untouched: the consent manager
    /// cannot read it.
    pub async fn relay_fetch(
        &self,
        consumer_id: &str,
        request: &FetchRequest,
    ) -> Result<anumati_wire::PeerResponse, ConsentError> {
        let record = self
            .inner
            .store
            .by_consent_id(&request.consent_id)
            .await?
            .ok_or(ConsentError::NotFound)?;
        if record.consumer_id != consumer_id {
            return Err(ConsentError::NotFound);
        }
        let entry = |refused: Option<String>| log::NewEntry {
            event: "data.fetch",
            actor: consumer_id.to_owned(),
            customer: record.customer_id.clone(),
            consent_id: Some(request.consent_id.clone()),
            purpose: Some(request.purpose.clone()),
            data_kinds: kinds_of(&record.request.consent_types),
            refused,
        };
        let Some(artefact) = record
            .artefact
            .clone()
            .filter(|_| record.status == ConsentStatus::Active)
        else {
            self.record(entry(Some(format!(
                "consent is {}",
                record.status.as_str()
            ))))
            .await?;
            return Err(ConsentError::WrongStatus(
                record.status.as_str().to_owned(),
                "ACTIVE",
            ));
        };
        let body = serde_json::json!({
            "txnid": request.txnid,
            "consent": artefact,
            "purpose": request.purpose,
            "FIDataRange": request.range,
            "KeyMaterial": request.key_material,
            "limit": request.limit,
            "cursors": request.cursors,
        });
        let response = self.send_to_bank("/v1/fi/fetch", &body).await?;
        self.record(entry(refusal(&response))).await?;
        Ok(response)
    }

    /// Relays a data user's card lock (or unlock) to the bank with the stored
    /// artefact, as [`Self::relay_fetch`] relays FI requests: the consent must
    /// be this data user's and ACTIVE. The request is logged (`card.lock` or
    /// `card.unlock`) whatever its outcome; the bank's answer is passed on.
    pub async fn relay_card_lock(
        &self,
        consumer_id: &str,
        request: &CardLockRequest,
    ) -> Result<anumati_wire::PeerResponse, ConsentError> {
        // A lock reads no data and serves no data purpose: no data kinds.
        let event = if request.lock {
            "card.lock"
        } else {
            "card.unlock"
        };
        let extra = serde_json::json!({ "lock": request.lock });
        self.relay_with_artefact(
            consumer_id,
            &request.consent_id,
            event,
            Vec::new(),
            "/v1/cards/lock",
            extra,
        )
        .await
    }

    /// Relays a data user's request under one of its consents to the bank
    /// with the stored artefact (see [`Relay`]): the consent must be this
    /// data user's and ACTIVE. Logged whatever its outcome; the bank's answer
    /// is passed on.
    pub async fn relay(
        &self,
        consumer_id: &str,
        relay: Relay,
        request: &ConsentRef,
    ) -> Result<anumati_wire::PeerResponse, ConsentError> {
        let (event, kind, path) = match relay {
            Relay::Payees => ("payees.read", "PAYEES", "/v1/payees"),
            Relay::Stream => ("stream.subscribe", "TRANSACTIONS", "/v1/streams"),
        };
        self.relay_with_artefact(
            consumer_id,
            &request.consent_id,
            event,
            vec![kind.to_owned()],
            path,
            serde_json::json!({}),
        )
        .await
    }

    /// Sends `extra` with the consent's artefact (as `consent`) to the bank
    /// at `path`, after checking that the consent is `consumer_id`'s and
    /// ACTIVE; logs `event` (with the outcome) either way.
    async fn relay_with_artefact(
        &self,
        consumer_id: &str,
        consent_id: &str,
        event: &'static str,
        data_kinds: Vec<String>,
        path: &str,
        mut extra: serde_json::Value,
    ) -> Result<anumati_wire::PeerResponse, ConsentError> {
        let record = self
            .inner
            .store
            .by_consent_id(consent_id)
            .await?
            .ok_or(ConsentError::NotFound)?;
        if record.consumer_id != consumer_id {
            return Err(ConsentError::NotFound);
        }
        let entry = |refused: Option<String>| log::NewEntry {
            event,
            actor: consumer_id.to_owned(),
            customer: record.customer_id.clone(),
            consent_id: Some(consent_id.to_owned()),
            purpose: None,
            data_kinds: data_kinds.clone(),
            refused,
        };
        let Some(artefact) = record
            .artefact
            .clone()
            .filter(|_| record.status == ConsentStatus::Active)
        else {
            self.record(entry(Some(format!(
                "consent is {}",
                record.status.as_str()
            ))))
            .await?;
            return Err(ConsentError::WrongStatus(
                record.status.as_str().to_owned(),
                "ACTIVE",
            ));
        };
        if let Some(map) = extra.as_object_mut() {
            map.insert("consent".into(), serde_json::Value::String(artefact));
        }
        let response = self.send_to_bank(path, &extra).await?;
        self.record(entry(refusal(&response))).await?;
        tracing::info!(consent = %consent_id, event, status = %response.status, "relayed to the bank");
        Ok(response)
    }

    /// Sends a relayed request to the bank as the consent manager.
    async fn send_to_bank(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<anumati_wire::PeerResponse, ConsentError> {
        let assertion = self.inner.signer.sign(&ClientAssertion::new(
            &self.inner.id,
            &self.inner.bank_id,
            self.now().as_second(),
        ));
        self.inner
            .bank
            .send(
                axum::http::Method::POST,
                path,
                &[("x-client-assertion", assertion.as_str())],
                Some(body),
            )
            .await
            .map_err(|e| ConsentError::Bank(e.to_string()))
    }

    async fn notify_bank(
        &self,
        consent_id: &str,
        status: ConsentStatus,
        at: Timestamp,
    ) -> Result<(), ConsentError> {
        let notice = self.signed_notice(consent_id, status, at);
        let response = self
            .inner
            .bank
            .send(
                axum::http::Method::POST,
                "/v1/consent-notifications",
                &[],
                Some(&serde_json::json!({ "notice": notice })),
            )
            .await
            .map_err(|e| ConsentError::Bank(e.to_string()))?;
        if !response.status.is_success() {
            return Err(ConsentError::Bank(format!(
                "notification answered {}",
                response.status
            )));
        }
        Ok(())
    }
}

/// Why the bank refused a relayed request (its error code and message), for
/// the log; `None` when it answered with success.
fn refusal(response: &anumati_wire::PeerResponse) -> Option<String> {
    (!response.status.is_success()).then(|| {
        #[derive(Deserialize)]
        struct Detail {
            code: String,
            message: String,
        }
        #[derive(Deserialize)]
        struct Body {
            error: Detail,
        }
        serde_json::from_slice::<Body>(&response.body)
            .map(|b| format!("{}: {}", b.error.code, b.error.message))
            .unwrap_or_else(|_| format!("bank answered {}", response.status))
    })
}

/// A log entry about a stored consent.
fn entry_about(
    record: &store::ConsentRecord,
    event: &'static str,
    actor: &str,
    consent_id: Option<&str>,
) -> log::NewEntry {
    log::NewEntry {
        event,
        actor: actor.to_owned(),
        customer: record.customer_id.clone(),
        consent_id: consent_id.map(str::to_owned),
        purpose: Some(record.request.purpose_code.clone()),
        data_kinds: kinds_of(&record.request.consent_types),
        refused: None,
    }
}

/// The ReBIT names of the data kinds, for the log.
pub fn kinds_of(types: &[ConsentType]) -> Vec<String> {
    types
        .iter()
        .map(|t| match t {
            ConsentType::Profile => "PROFILE",
            ConsentType::Summary => "SUMMARY",
            ConsentType::Transactions => "TRANSACTIONS",
        })
        .map(str::to_owned)
        .collect()
}
