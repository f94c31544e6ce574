//! The chat app (data user): the messaging platform's banking assistant.
//!
//! A user logs in to the chat ([`web`], or the terminal channel through
//! [`ChatApp::chat`]), links their bank by asking the consent manager for a
//! consent ([`ChatApp::start_link`]) and, once the customer approved it on the
//! consent manager's page, keeps the signed artefact ([`ChatApp::complete_link`]).
//! Each question that needs bank data is answered by calling the bank node's
//! API with that artefact; the bank decides what may be served. Without an
//! active consent the assistant asks the user to link their bank and returns
//! no data.

pub mod nlu;
pub mod store;
pub mod web;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use anumati_domain::consent::{CardDataExtension, ConsentArtefact, ConsentMode, ConsentType, Purpose};
use anumati_domain::{Account, Money, Transaction};
use anumati_wire::clock::SharedClock;
use anumati_wire::jws::{ClientAssertion, PublicJwk, Signer};
use anumati_wire::Peer;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

pub use store::AppStore;

/// The id the chat app is known by at the consent manager and the bank.
pub const DEFAULT_APP_ID: &str = "anumati-chat";
/// Longest chat message accepted, in characters.
pub const MESSAGE_CHARS_MAX: usize = 2_000;
/// The purpose the assistant asks under: ReBIT 102, spending patterns and reporting.
pub const CHAT_PURPOSE: &str = Purpose::SPENDING_PATTERNS;
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
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

/// One reply of the assistant, as every channel receives it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reply {
    pub intent: String,
    /// 0.0 to 1.0.
    pub confidence: f32,
    #[schema(value_type = Object)]
    pub entities: serde_json::Map<String, serde_json::Value>,
    pub reply: String,
    /// The structured answer (balances, transactions listed); `{}` when none.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// Set when the user should open a page (the consent page) to go on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
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
    bank: Peer,
    clock: SharedClock,
    /// Where the chat app is mounted publicly (`""` at the root).
    public_prefix: String,
    /// Where the consent manager's pages are mounted publicly, e.g. `/cm`.
    consent_manager_prefix: String,
    /// Server-sent events per logged-in user.
    streams: Mutex<HashMap<String, broadcast::Sender<Reply>>>,
}

/// Balance of one account as the assistant reports it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountBalance {
    pub account_id: String,
    pub kind: String,
    pub masked_number: String,
    pub booked: Money,
    pub available: Money,
}

#[derive(Deserialize)]
struct BankBalance {
    booked: Money,
    available: Money,
}

#[derive(Deserialize)]
struct BankAccounts {
    accounts: Vec<Account>,
}

#[derive(Deserialize)]
struct BankTransactions {
    transactions: Vec<Transaction>,
}

pub struct ChatAppConfig {
    pub id: String,
    pub consent_manager_id: String,
    pub public_prefix: String,
    pub consent_manager_prefix: String,
}

impl ChatApp {
    pub fn new(config: ChatAppConfig, store: AppStore, signer: Signer, consent_manager: Peer, bank: Peer, clock: SharedClock) -> Self {
        ChatApp {
            inner: Arc::new(Inner {
                id: config.id,
                store,
                signer,
                consent_manager,
                consent_manager_id: config.consent_manager_id,
                bank,
                clock,
                public_prefix: config.public_prefix,
                consent_manager_prefix: config.consent_manager_prefix,
                streams: Mutex::new(HashMap::new()),
            }),
        }
    }

    pub fn id(&self) -> &str {
        &self.inner.id
    }

    pub fn store(&self) -> &AppStore {
        &self.inner.store
    }

    pub fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }

    /// The public key the consent manager must know to accept this app's calls.
    pub fn public_jwk(&self) -> PublicJwk {
        self.inner.signer.public_jwk()
    }

    fn cm_headers(&self) -> [(String, String); 2] {
        let assertion = self
            .inner
            .signer
            .sign(&ClientAssertion::new(&self.inner.id, &self.inner.consent_manager_id, self.now().as_second()));
        [("x-client-id".into(), self.inner.id.clone()), ("x-client-assertion".into(), assertion)]
    }

    pub async fn user_exists(&self, login: &str) -> Result<bool, AppError> {
        Ok(self.inner.store.password_hash(login).await?.is_some())
    }

    /// Checks a chat login's password.
    pub async fn check_password(&self, login: &str, password: &str) -> Result<(), AppError> {
        use argon2::password_hash::{PasswordHash, PasswordVerifier};
        let hash = self.inner.store.password_hash(login).await?.ok_or(AppError::BadCredentials)?;
        let parsed = PasswordHash::new(&hash).map_err(|_| AppError::BadCredentials)?;
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .map_err(|_| AppError::BadCredentials)
    }

    /// Asks the consent manager for the default chat consent; returns the page the user must open.
    pub async fn start_link(&self, login: &str) -> Result<(String, String), AppError> {
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
            "mode": ConsentMode::View,
            "history_months": 12,
            "valid_days": 365,
            "fetches_per_day": 500,
            "data_life_days": 0,
            "redirect_uri": format!("{}/link/callback", self.inner.public_prefix),
        });
        let headers = self.cm_headers();
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let created: Created = self
            .inner
            .consent_manager
            .post("/v1/consents", &headers, &request)
            .await
            .map_err(|e| AppError::ConsentManager(e.to_string()))?;
        // The consent manager answers with its own path; it is public under its prefix.
        let url = if created.approval_url.starts_with(&self.inner.consent_manager_prefix) {
            created.approval_url
        } else {
            format!("{}{}", self.inner.consent_manager_prefix, created.approval_url)
        };
        self.inner.store.insert_link(&created.handle, login, &url, self.now()).await?;
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
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let view: View = self
            .inner
            .consent_manager
            .get(&format!("/v1/consents/{handle}"), &headers)
            .await
            .map_err(|e| AppError::ConsentManager(e.to_string()))?;
        self.inner
            .store
            .update_link(handle, &view.status, view.consent_id.as_deref(), view.artefact.as_deref(), self.now())
            .await?;
        if view.status == "ACTIVE" {
            self.push(login, self.reply("link_bank", 1000, "Your bank is linked. Ask me \"what's my balance?\" or \"show my last 5 transactions\".".into(), serde_json::json!({})));
        }
        Ok(view.status)
    }

    /// Revokes the user's active consent at the consent manager.
    async fn revoke(&self, login: &str) -> Result<Option<String>, AppError> {
        let Some(link) = self.inner.store.active_link(login).await? else {
            return Ok(None);
        };
        let Some(consent_id) = link.consent_id else { return Ok(None) };
        let headers = self.cm_headers();
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let response = self
            .inner
            .consent_manager
            .send(axum::http::Method::POST, &format!("/v1/consents/{consent_id}/revoke"), &headers, None)
            .await
            .map_err(|e| AppError::ConsentManager(e.to_string()))?;
        if !response.status.is_success() {
            return Err(AppError::ConsentManager(format!("revoke answered {}", response.status)));
        }
        // Forget the artefact: nothing of it is kept once revoked.
        sqlx::query("UPDATE links SET status = 'REVOKED', artefact = NULL, updated_at = ? WHERE handle = ?")
            .bind(self.now().as_second())
            .bind(&link.handle)
            .execute(self.inner.store.pool())
            .await
            .map_err(store::StoreError::from)?;
        Ok(Some(consent_id))
    }

    /// Subscribes to the user's pushed messages (web chat's event stream).
    pub fn subscribe(&self, login: &str) -> broadcast::Receiver<Reply> {
        let mut streams = self.inner.streams.lock().expect("streams lock");
        streams
            .entry(login.to_owned())
            .or_insert_with(|| broadcast::channel(16).0)
            .subscribe()
    }

    fn push(&self, login: &str, reply: Reply) {
        let streams = self.inner.streams.lock().expect("streams lock");
        if let Some(tx) = streams.get(login) {
            let _ = tx.send(reply);
        }
    }

    fn reply(&self, intent: &str, confidence_milli: u16, text: String, data: serde_json::Value) -> Reply {
        Reply {
            intent: intent.to_owned(),
            confidence: f32::from(confidence_milli) / 1000.0,
            entities: serde_json::Map::new(),
            reply: text,
            data,
            link: None,
        }
    }

    /// Answers one message from a logged-in user, on any channel.
    pub async fn chat(&self, login: &str, message: &str) -> Result<Reply, AppError> {
        let chars = message.chars().count();
        if chars > MESSAGE_CHARS_MAX {
            return Err(AppError::MessageTooLong(chars));
        }
        if message.trim().is_empty() {
            return Err(AppError::EmptyMessage);
        }
        if !self.user_exists(login).await? {
            return Err(AppError::UnknownLogin(login.to_owned()));
        }
        let understanding = nlu::understand(message);
        let mut reply = self.answer(login, &understanding).await?;
        reply.intent = understanding.intent.to_owned();
        reply.confidence = f32::from(understanding.confidence_milli) / 1000.0;
        reply.entities = understanding.entities;
        Ok(reply)
    }

    async fn answer(&self, login: &str, u: &nlu::Understanding) -> Result<Reply, AppError> {
        let plain = |text: &str| self.reply(u.intent, u.confidence_milli, text.to_owned(), serde_json::json!({}));
        match u.intent {
            "greeting" => return Ok(plain("Hello! I can tell you your balance and your recent transactions. Ask \"what's my balance?\"")),
            "thanks" => return Ok(plain("You're welcome.")),
            "help" => return Ok(plain("Ask me \"what's my balance?\" or \"show my last 5 transactions\". Say \"link my bank\" to connect your bank, or \"revoke\" to stop sharing.")),
            "fallback" => return Ok(plain("Sorry, I did not understand that. Try \"what's my balance?\" or \"show my last 5 transactions\".")),
            "consent_revoke" => {
                return Ok(match self.revoke(login).await? {
                    Some(id) => {
                        let mut r = plain("Done: the chat app's access to your bank data is revoked. The bank will refuse it from now on.");
                        r.data = serde_json::json!({ "revoked": id });
                        r
                    }
                    None => plain("Your bank is not linked, so nothing is shared."),
                });
            }
            _ => {}
        }
        let link = self.inner.store.active_link(login).await?;
        let artefact = link.as_ref().and_then(|l| l.artefact.clone());
        let Some(artefact) = artefact.filter(|_| u.intent != "link_bank") else {
            let url = self.link_page(login).await?;
            let mut r = plain("To answer that I need your permission to see your bank data. Link your bank here — you will see exactly what is shared, and you can revoke it at any time.");
            r.link = Some(url);
            return Ok(r);
        };
        match u.intent {
            "balance" => self.balances_reply(u, &artefact).await,
            "transactions" => {
                let count = u.entities.get("count").and_then(|v| v.as_u64()).unwrap_or(5) as u32;
                self.transactions_reply(u, &artefact, count).await
            }
            _ => Ok(plain("Your bank is linked.")),
        }
    }

    /// A bank refusal is the customer's business too: say it plainly.
    fn refused(&self, u: &nlu::Understanding, status: Option<axum::http::StatusCode>) -> Reply {
        let text = match status.map(|s| s.as_u16()) {
            Some(403) => "The bank refused: your consent does not allow this (it may have expired or been revoked). Say \"link my bank\" to grant a new one.",
            Some(429) => "The bank refused: you have reached today's limit of requests under your consent.",
            _ => "I could not reach your bank just now. Please try again in a moment.",
        };
        self.reply(u.intent, u.confidence_milli, text.to_owned(), serde_json::json!({}))
    }

    async fn bank_get<T: serde::de::DeserializeOwned>(&self, path: &str, artefact: &str) -> Result<T, anumati_wire::PeerError> {
        self.inner
            .bank
            .get(path, &[("x-consent", artefact), ("x-purpose", CHAT_PURPOSE)])
            .await
    }

    fn consented_accounts(artefact: &str) -> Vec<String> {
        anumati_wire::jws::peek_unverified::<ConsentArtefact>(artefact)
            .map(|a| a.accounts.into_iter().map(|acc| acc.link_ref_number.into_string()).collect())
            .unwrap_or_default()
    }

    /// Balances of every consented account, from the bank node.
    pub async fn balances(&self, artefact: &str) -> Result<Vec<AccountBalance>, anumati_wire::PeerError> {
        let accounts: BankAccounts = self.bank_get("/v1/accounts", artefact).await?;
        let mut out = Vec::new();
        for account in accounts.accounts {
            let b: BankBalance = self.bank_get(&format!("/v1/accounts/{}/balances", account.id), artefact).await?;
            out.push(AccountBalance {
                account_id: account.id.into_string(),
                kind: account.kind.as_str().to_owned(),
                masked_number: account.masked_number,
                booked: b.booked,
                available: b.available,
            });
        }
        Ok(out)
    }

    async fn balances_reply(&self, u: &nlu::Understanding, artefact: &str) -> Result<Reply, AppError> {
        let balances = match self.balances(artefact).await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "balance fetch failed");
                return Ok(self.refused(u, e.status()));
            }
        };
        let mut text = String::from("Your balances:");
        for b in &balances {
            let label = anumati_domain::AccountKind::parse(&b.kind).map_or("account", |k| k.label());
            text.push_str(&format!("\n• {} {}: {}", capitalise(label), b.masked_number, b.booked));
            if b.kind == "credit_card" {
                text.push_str(&format!(" (available credit {})", b.available));
            }
        }
        Ok(self.reply(u.intent, u.confidence_milli, text, serde_json::json!({ "balances": balances })))
    }

    async fn transactions_reply(&self, u: &nlu::Understanding, artefact: &str, count: u32) -> Result<Reply, AppError> {
        let mut all: Vec<Transaction> = Vec::new();
        for account in Self::consented_accounts(artefact) {
            match self
                .bank_get::<BankTransactions>(&format!("/v1/accounts/{account}/transactions?limit={count}"), artefact)
                .await
            {
                Ok(page) => all.extend(page.transactions),
                Err(e) => {
                    tracing::warn!(error = %e, "transaction fetch failed");
                    return Ok(self.refused(u, e.status()));
                }
            }
        }
        all.sort_by(|a, b| b.booked_at.cmp(&a.booked_at).then_with(|| b.id.cmp(&a.id)));
        all.truncate(count as usize);
        let mut text = if all.is_empty() {
            "You have no transactions in the consented period.".to_owned()
        } else {
            format!("Your last {} transactions:", all.len())
        };
        for t in &all {
            let what = t.merchant.as_ref().map_or(t.description.as_str(), |m| m.name.as_str());
            let place = t
                .merchant
                .as_ref()
                .filter(|m| !m.place.city.is_empty())
                .map(|m| format!(", {}", m.place.city))
                .unwrap_or_default();
            text.push_str(&format!("\n• {} {}{}: {}", t.value_date.strftime("%-d %b"), what, place, t.amount));
        }
        Ok(self.reply(u.intent, u.confidence_milli, text, serde_json::json!({ "transactions": all })))
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
