//! The chat app (data user): the messaging platform's banking assistant.
//!
//! A user logs in to the chat ([`web`], or the terminal channel through
//! [`ChatApp::chat`]), links their bank by asking the consent manager for a
//! consent ([`ChatApp::start_link`]) and, once the customer approved it on the
//! consent manager's page, keeps the signed artefact ([`ChatApp::complete_link`]).
//! Data comes through the consent manager, encrypted by the bank for this app
//! alone ([`data`]); in STORE mode the app keeps it sealed under the
//! customer's own key ([`vault`]) until the consent's data life ends, and
//! revoking, expiry or erasure destroys that key. Without an active consent
//! the assistant asks the user to link their bank and returns no data.

pub mod alerts;
mod answers;
mod assistant;
pub mod cards;
pub mod channels;
pub mod chart;
pub mod confidence;
pub mod data;
pub mod dialogue;
pub mod faq;
pub mod insights;
pub mod nlu;
mod pay_replies;
pub mod payments;
pub mod store;
pub mod vault;
pub mod web;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use anumati_domain::consent::{CardDataExtension, ConsentMode, ConsentType, Purpose};
use anumati_wire::clock::SharedClock;
use anumati_wire::jws::{ClientAssertion, KeySet, PublicJwk, Signer};
use anumati_wire::Peer;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

pub use confidence::Confidence;
pub use store::AppStore;

/// The id the chat app is known by at the consent manager and the bank.
pub const DEFAULT_APP_ID: &str = "anumati-chat";
/// Longest chat message accepted, in characters.
pub const MESSAGE_CHARS_MAX: usize = 2_000;
/// The purpose the assistant asks under: ReBIT 102, spending patterns and reporting.
pub const CHAT_PURPOSE: &str = Purpose::SPENDING_PATTERNS;
/// The default consent's fetch frequency: the app refreshes its copy at most
/// every [`data::REFRESH_AFTER_MINUTES`], so this leaves room for a busy day.
pub const FETCHES_PER_DAY: u32 = 100;
/// How long the app may keep what it fetched (STORE mode).
pub const DATA_LIFE_DAYS: u32 = 30;
/// A pending consent request is offered again for this long rather than filing a new one
/// (the consent manager's page session lasts 15 minutes).
const PENDING_LINK_REUSE_MINUTES: i64 = 10;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("unknown login {0:?}")]
    UnknownLogin(String),
    #[error("login or password is wrong")]
    BadCredentials,
    #[error("message is too long ({0} characters; at most {MESSAGE_CHARS_MAX})")]
    MessageTooLong(usize),
    #[error("message is empty")]
    EmptyMessage,
    #[error("unknown link request")]
    UnknownLink,
    #[error("the consent manager: {0}")]
    ConsentManager(String),
    #[error("the bank: {0}")]
    Bank(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Vault(#[from] vault::VaultError),
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

/// One reply of the assistant, as every channel receives it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reply {
    pub intent: String,
    pub confidence: Confidence,
    #[schema(value_type = Object)]
    pub entities: serde_json::Map<String, serde_json::Value>,
    pub reply: String,
    /// The structured answer (balances, transactions listed); `{}` when none.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// Set when the user should open a page (the consent page) to go on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// Answers the customer can tap, where the channel has buttons.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quick_replies: Vec<String>,
    /// A chart, where the channel can show images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<chart::Image>,
}

#[derive(Clone)]
pub struct ChatApp {
    inner: Arc<Inner>,
}

struct Inner {
    id: String,
    store: AppStore,
    signer: Signer,
    consent_manager: Peer,
    consent_manager_id: String,
    vault: vault::Vault,
    /// Keys of the bank node (FI answers) and of the consent manager (notices).
    bank_keys: RwLock<KeySet>,
    consent_manager_keys: RwLock<KeySet>,
    clock: SharedClock,
    /// Where the chat app is mounted publicly (`""` at the root).
    public_prefix: String,
    /// Where the consent manager's pages are mounted publicly, e.g. `/cm`.
    consent_manager_prefix: String,
    language: nlu::Language,
    /// Server-sent events per logged-in user.
    streams: Mutex<HashMap<String, broadcast::Sender<Reply>>>,
    /// Other places pushed messages go (the messaging platforms' chats).
    push_sinks: RwLock<Vec<Arc<dyn PushSink>>>,
    /// The bank's payment API, once connected ([`ChatApp::connect_bank`]).
    bank: RwLock<Option<payments::BankLink>>,
    /// The fraud detector of [`alerts`].
    alerts: alerts::Alerts,
}

/// Somewhere the app's own messages (notices, alerts) reach a customer
/// besides the web chat: called for every [`ChatApp::push`]; must not block.
pub trait PushSink: Send + Sync {
    fn push(&self, login: &str, reply: &Reply);
}

/// What the customer asks of a consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StatusChange {
    Revoke,
    Pause,
    Resume,
}

pub struct ChatAppConfig {
    pub id: String,
    /// The language model and the bank's FAQ.
    pub language: nlu::Language,
    pub consent_manager_id: String,
    pub public_prefix: String,
    pub consent_manager_prefix: String,
    /// The bank's fraud-alert thresholds ([`anumati_fraud::DetectorConfig::validate`]d).
    pub fraud: anumati_fraud::DetectorConfig,
}

impl ChatApp {
    pub fn new(
        config: ChatAppConfig,
        store: AppStore,
        vault: vault::Vault,
        signer: Signer,
        consent_manager: Peer,
        clock: SharedClock,
    ) -> Self {
        ChatApp {
            inner: Arc::new(Inner {
                id: config.id,
                language: config.language,
                store,
                signer,
                consent_manager,
                consent_manager_id: config.consent_manager_id,
                vault,
                bank_keys: RwLock::new(KeySet::new()),
                consent_manager_keys: RwLock::new(KeySet::new()),
                clock,
                public_prefix: config.public_prefix,
                consent_manager_prefix: config.consent_manager_prefix,
                streams: Mutex::new(HashMap::new()),
                push_sinks: RwLock::new(Vec::new()),
                bank: RwLock::new(None),
                alerts: alerts::Alerts::new(
                    anumati_fraud::Detector::new(config.fraud, anumati_fraud::Model::prior())
                        .expect("the detector's configuration was validated"),
                ),
            }),
        }
    }

    pub fn id(&self) -> &str {
        &self.inner.id
    }

    pub fn language(&self) -> &nlu::Language {
        &self.inner.language
    }

    pub fn store(&self) -> &AppStore {
        &self.inner.store
    }

    pub fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }

    pub fn vault(&self) -> &vault::Vault {
        &self.inner.vault
    }

    /// Trusts these keys for the bank's signed FI answers.
    pub fn trust_bank(&self, keys: KeySet) {
        *self.inner.bank_keys.write().expect("key lock") = keys;
    }

    /// Trusts these keys for the consent manager's signed notices.
    pub fn trust_consent_manager(&self, keys: KeySet) {
        *self.inner.consent_manager_keys.write().expect("key lock") = keys;
    }

    pub(crate) fn bank_keys(&self) -> KeySet {
        self.inner.bank_keys.read().expect("key lock").clone()
    }

    pub(crate) fn consent_manager_keys(&self) -> KeySet {
        self.inner
            .consent_manager_keys
            .read()
            .expect("key lock")
            .clone()
    }

    /// The public key the consent manager must know to accept this app's calls.
    pub fn public_jwk(&self) -> PublicJwk {
        self.inner.signer.public_jwk()
    }

    pub(crate) fn cm_headers(&self) -> [(String, String); 2] {
        let assertion = self.inner.signer.sign(&ClientAssertion::new(
            &self.inner.id,
            &self.inner.consent_manager_id,
            self.now().as_second(),
        ));
        [
            ("x-client-id".into(), self.inner.id.clone()),
            ("x-client-assertion".into(), assertion),
        ]
    }

    pub async fn user_exists(&self, login: &str) -> Result<bool, AppError> {
        Ok(self.inner.store.password_hash(login).await?.is_some())
    }

    /// Checks a chat login's password.
    pub async fn check_password(&self, login: &str, password: &str) -> Result<(), AppError> {
        use argon2::password_hash::{PasswordHash, PasswordVerifier};
        let hash = self
            .inner
            .store
            .password_hash(login)
            .await?
            .ok_or(AppError::BadCredentials)?;
        let parsed = PasswordHash::new(&hash).map_err(|_| AppError::BadCredentials)?;
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .map_err(|_| AppError::BadCredentials)
    }

    /// Asks the consent manager for the default chat consent; returns the page the user must open.
    pub async fn start_link(&self, login: &str) -> Result<(String, String), AppError> {
        self.start_link_in_mode(login, ConsentMode::Store).await
    }

    /// As [`Self::start_link`], asking for VIEW (shown, never stored) or STORE mode.
    pub async fn start_link_in_mode(
        &self,
        login: &str,
        mode: ConsentMode,
    ) -> Result<(String, String), AppError> {
        if !self.user_exists(login).await? {
            return Err(AppError::UnknownLogin(login.to_owned()));
        }
        #[derive(Deserialize)]
        struct Created {
            handle: String,
            approval_url: String,
        }
        let request = serde_json::json!({
            "customer": login,
            "purpose_code": CHAT_PURPOSE,
            "consent_types": [ConsentType::Summary, ConsentType::Transactions],
            "extensions": CardDataExtension { merchant: true, place: true },
            "mode": mode,
            "history_months": 12,
            "valid_days": 365,
            "fetches_per_day": FETCHES_PER_DAY,
            "data_life_days": if mode == ConsentMode::View { 0 } else { DATA_LIFE_DAYS },
            "redirect_uri": format!("{}/link/callback", self.inner.public_prefix),
        });
        let headers = self.cm_headers();
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let created: Created = self
            .inner
            .consent_manager
            .post("/v1/consents", &headers, &request)
            .await
            .map_err(|e| AppError::ConsentManager(e.to_string()))?;
        // The consent manager answers with its own path; it is public under its prefix.
        let url = if created
            .approval_url
            .starts_with(&self.inner.consent_manager_prefix)
        {
            created.approval_url
        } else {
            format!(
                "{}{}",
                self.inner.consent_manager_prefix, created.approval_url
            )
        };
        self.inner
            .store
            .insert_link(&created.handle, login, &url, self.now())
            .await?;
        Ok((created.handle, url))
    }

    /// The page where the user can approve: a recent pending request's, or a new one.
    pub async fn link_page(&self, login: &str) -> Result<String, AppError> {
        let since = self.now() - jiff::SignedDuration::from_mins(PENDING_LINK_REUSE_MINUTES);
        if let Some((_, url)) = self.inner.store.pending_link(login, since).await? {
            return Ok(url);
        }
        Ok(self.start_link(login).await?.1)
    }

    /// Fetches the decision on a link request; keeps the artefact when approved.
    pub async fn complete_link(&self, login: &str, handle: &str) -> Result<String, AppError> {
        match self.inner.store.link_owner(handle).await? {
            Some(owner) if owner == login => {}
            _ => return Err(AppError::UnknownLink),
        }
        #[derive(Deserialize)]
        struct View {
            status: String,
            consent_id: Option<String>,
            artefact: Option<String>,
        }
        let headers = self.cm_headers();
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let view: View = self
            .inner
            .consent_manager
            .get(&format!("/v1/consents/{handle}"), &headers)
            .await
            .map_err(|e| AppError::ConsentManager(e.to_string()))?;
        self.inner
            .store
            .update_link(
                handle,
                &view.status,
                view.consent_id.as_deref(),
                view.artefact.as_deref(),
                self.now(),
            )
            .await?;
        let stream = view.artefact.as_deref().is_some_and(|a| {
            anumati_wire::jws::peek_unverified::<anumati_domain::consent::ConsentArtefact>(a)
                .is_ok_and(|a| a.mode == ConsentMode::Stream)
        });
        if view.status == "ACTIVE" && stream {
            if self.subscribe_alerts(login).await? {
                self.push(login, self.reply("alerts_on", Confidence::CERTAIN, "Fraud alerts are on: I will ask you here, within seconds, about any card payment that looks unlike you.".into(), serde_json::json!({})));
            }
        } else if view.status == "ACTIVE" {
            self.push(login, self.reply("link_bank", Confidence::CERTAIN, "Your bank is linked. Ask me \"what's my balance?\" or \"show my last 5 transactions\".".into(), serde_json::json!({})));
        }
        Ok(view.status)
    }

    /// Calls the consent manager as this data user.
    pub(crate) async fn cm_call(
        &self,
        method: axum::http::Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<anumati_wire::PeerResponse, AppError> {
        let headers = self.cm_headers();
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.inner
            .consent_manager
            .send(method, path, &headers, body)
            .await
            .map_err(|e| AppError::ConsentManager(e.to_string()))
    }

    /// Ends the user's consent on the app's side: destroys their data key and
    /// sealed copy, and forgets the artefact. Idempotent.
    pub async fn end_consent(
        &self,
        login: &str,
        handle: &str,
        status: &str,
    ) -> Result<(), AppError> {
        self.inner.vault.shred(login).await?;
        self.inner
            .store
            .end_link(handle, status, self.now())
            .await?;
        tracing::info!(status, "consent ended; customer's data key destroyed");
        Ok(())
    }

    /// Revokes every consent the user has given this app (active or paused)
    /// at the consent manager, then shreds; returns the first one revoked.
    pub async fn revoke(&self, login: &str) -> Result<Option<String>, AppError> {
        let mut first = None;
        while let Some(id) = self.change_status(login, StatusChange::Revoke).await? {
            first.get_or_insert(id);
        }
        Ok(first)
    }

    /// Pauses, resumes or revokes the user's newest consent in the state the change needs.
    pub(crate) async fn change_status(
        &self,
        login: &str,
        change: StatusChange,
    ) -> Result<Option<String>, AppError> {
        let link = match change {
            StatusChange::Resume => self.inner.store.link_with_status(login, "PAUSED").await?,
            StatusChange::Pause => self.inner.store.active_link(login).await?,
            StatusChange::Revoke => match self.inner.store.active_link(login).await? {
                Some(l) => Some(l),
                None => self.inner.store.link_with_status(login, "PAUSED").await?,
            },
        };
        let Some(link) = link else { return Ok(None) };
        let Some(consent_id) = link.consent_id.clone() else {
            return Ok(None);
        };
        let action = match change {
            StatusChange::Revoke => "revoke",
            StatusChange::Pause => "pause",
            StatusChange::Resume => "resume",
        };
        let response = self
            .cm_call(
                axum::http::Method::POST,
                &format!("/v1/consents/{consent_id}/{action}"),
                None,
            )
            .await?;
        if !response.status.is_success() {
            return Err(AppError::ConsentManager(format!(
                "{action} answered {}",
                response.status
            )));
        }
        let now = self.now();
        match change {
            StatusChange::Revoke => self.end_consent(login, &link.handle, "REVOKED").await?,
            StatusChange::Pause => {
                self.inner
                    .store
                    .set_link_status(&link.handle, "PAUSED", now)
                    .await?
            }
            StatusChange::Resume => {
                self.inner
                    .store
                    .set_link_status(&link.handle, "ACTIVE", now)
                    .await?
            }
        }
        Ok(Some(consent_id))
    }

    /// A status notice signed by the consent manager (expiry, revocation elsewhere).
    pub async fn consent_notice(&self, notice: &str) -> Result<(), AppError> {
        #[derive(Deserialize)]
        struct Notice {
            #[serde(rename = "consentId")]
            consent_id: String,
            status: String,
        }
        let notice: Notice = self
            .consent_manager_keys()
            .verify(notice)
            .map_err(|e| AppError::ConsentManager(format!("notice: {e}")))?;
        let Some((handle, login)) = self.inner.store.link_by_consent(&notice.consent_id).await?
        else {
            return Ok(());
        };
        match notice.status.as_str() {
            "REVOKED" | "EXPIRED" => self.end_consent(&login, &handle, &notice.status).await,
            "PAUSED" | "ACTIVE" => Ok(self
                .inner
                .store
                .set_link_status(&handle, &notice.status, self.now())
                .await?),
            _ => Ok(()),
        }
    }

    /// One pass of the lifetime worker: ends expired consents, purges copies
    /// whose data life is over. Returns how many records it removed.
    pub async fn run_lifetimes(&self) -> Result<u64, AppError> {
        let now = self.now();
        for (handle, login, artefact) in self.inner.store.live_links().await? {
            let expired = anumati_wire::jws::peek_unverified::<
                anumati_domain::consent::ConsentArtefact,
            >(&artefact)
            .map(|a| now >= a.expiry)
            .unwrap_or(true);
            if expired {
                self.end_consent(&login, &handle, "EXPIRED").await?;
            }
        }
        Ok(self.inner.vault.purge_expired(now).await?)
    }

    /// Subscribes to the user's pushed messages (web chat's event stream).
    pub fn subscribe(&self, login: &str) -> broadcast::Receiver<Reply> {
        let mut streams = self.inner.streams.lock().expect("streams lock");
        streams
            .entry(login.to_owned())
            .or_insert_with(|| broadcast::channel(16).0)
            .subscribe()
    }

    /// Sends a message of the app's own to the customer's web chat and to
    /// every other [`PushSink`].
    pub fn push(&self, login: &str, reply: Reply) {
        for sink in self.inner.push_sinks.read().expect("sinks lock").iter() {
            sink.push(login, &reply);
        }
        let streams = self.inner.streams.lock().expect("streams lock");
        if let Some(tx) = streams.get(login) {
            let _ = tx.send(reply);
        }
    }

    /// Adds a place pushed messages go.
    pub fn add_push_sink(&self, sink: Arc<dyn PushSink>) {
        self.inner
            .push_sinks
            .write()
            .expect("sinks lock")
            .push(sink);
    }

    pub fn reply(
        &self,
        intent: &str,
        confidence: Confidence,
        text: String,
        data: serde_json::Value,
    ) -> Reply {
        Reply {
            intent: intent.to_owned(),
            confidence,
            entities: serde_json::Map::new(),
            reply: text,
            data,
            link: None,
            quick_replies: Vec::new(),
            image: None,
        }
    }
}
