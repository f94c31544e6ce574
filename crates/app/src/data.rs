//! Getting the customer's data: through the consent manager, end-to-end
//! encrypted by the bank for this app, kept (STORE mode) only in the
//! customer's sealed vault, or never written (VIEW mode).

use anumati_domain::consent::{ConsentArtefact, ConsentMode, TimeUnit};
use anumati_domain::fi::AccountData;
use anumati_fi_crypto::{EphemeralKeyPair, KeyMaterial};
use base64::Engine;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::store::Link;
use crate::{AppError, ChatApp, CHAT_PURPOSE};

/// A stored copy younger than this is answered from without asking the bank.
pub const REFRESH_AFTER_MINUTES: i64 = 10;
/// How long the app's ephemeral key for one request is valid.
const KEY_MATERIAL_MINUTES: i64 = 5;

/// What the app can tell about a customer's money right now.
#[derive(Debug)]
pub enum Access {
    /// No active consent.
    NotLinked,
    /// The bank (or the consent manager) refused; the HTTP status says why.
    Refused(u16),
    /// The data, and whether it is an older stored copy (the bank refused a refresh).
    Data { snapshot: Snapshot, stale: bool },
}

/// What one fetch brought, as kept in the vault.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    pub consent_id: String,
    pub fetched_at: Timestamp,
    pub accounts: Vec<AccountData>,
}

/// How a fetch failed.
#[derive(Debug)]
pub enum FetchFailure {
    Refused(u16),
    /// The answer did not verify or decrypt: never used, always logged.
    Invalid(String),
    Unreachable(String),
}

#[derive(Deserialize)]
struct SignedFi {
    signed: String,
}

#[derive(Deserialize)]
struct FiResponse {
    txnid: String,
    #[serde(rename = "consentId")]
    consent_id: String,
    #[serde(rename = "KeyMaterial")]
    key_material: KeyMaterial,
    #[serde(rename = "FI")]
    fi: Vec<FiAccount>,
}

#[derive(Deserialize)]
struct FiAccount {
    #[serde(rename = "linkRefNumber")]
    link_ref_number: String,
    #[serde(rename = "encryptedFI")]
    encrypted_fi: String,
}

fn period(unit: TimeUnit, value: u32) -> SignedDuration {
    let hours = match unit {
        TimeUnit::Hour => 1,
        TimeUnit::Day => 24,
        TimeUnit::Month => 24 * 30,
        TimeUnit::Year => 24 * 365,
        TimeUnit::Inf => 24 * 365 * 100,
    };
    SignedDuration::from_hours(hours * i64::from(value))
}

const SNAPSHOT_KIND: &str = "fi";
const SNAPSHOT_ID: &str = "snapshot";

impl ChatApp {
    /// The user's active data consent (VIEW or STORE), if any, newest
    /// first; expired consents are ended here too. A STREAM consent carries
    /// live events only ([`crate::alerts`]), never data.
    pub(crate) async fn active_consent(
        &self,
        login: &str,
    ) -> Result<Option<(Link, ConsentArtefact)>, AppError> {
        Ok(self
            .active_links(login)
            .await?
            .into_iter()
            .find(|(_, a)| a.mode != anumati_domain::consent::ConsentMode::Stream))
    }

    /// Every active consent of the user, newest first, whatever its mode.
    pub(crate) async fn active_consents(
        &self,
        login: &str,
    ) -> Result<Vec<ConsentArtefact>, AppError> {
        Ok(self
            .active_links(login)
            .await?
            .into_iter()
            .map(|(_, a)| a)
            .collect())
    }

    async fn active_links(&self, login: &str) -> Result<Vec<(Link, ConsentArtefact)>, AppError> {
        let mut out = Vec::new();
        for link in self.store().links_of(login).await? {
            if link.status != "ACTIVE" {
                continue;
            }
            let Some(artefact) = link
                .artefact
                .as_deref()
                .and_then(|a| anumati_wire::jws::peek_unverified::<ConsentArtefact>(a).ok())
            else {
                continue;
            };
            if self.now() >= artefact.expiry {
                self.end_consent(login, &link.handle, "EXPIRED").await?;
                continue;
            }
            out.push((link, artefact));
        }
        Ok(out)
    }

    /// The customer's data: the fresh stored copy, or a new fetch.
    pub async fn account_data(&self, login: &str) -> Result<Access, AppError> {
        let Some((link, artefact)) = self.active_consent(login).await? else {
            return Ok(Access::NotLinked);
        };
        let now = self.now();
        let stored = if artefact.mode == ConsentMode::View {
            None
        } else {
            self.stored_snapshot(login, &artefact).await?
        };
        if let Some(snapshot) = &stored {
            if now.duration_since(snapshot.fetched_at)
                < SignedDuration::from_mins(REFRESH_AFTER_MINUTES)
            {
                return Ok(Access::Data {
                    snapshot: snapshot.clone(),
                    stale: false,
                });
            }
        }
        match self.fetch(&artefact).await {
            Ok(snapshot) => {
                if artefact.mode != ConsentMode::View {
                    self.keep(login, &link, &artefact, &snapshot).await?;
                }
                Ok(Access::Data {
                    snapshot,
                    stale: false,
                })
            }
            Err(FetchFailure::Refused(429)) if stored.is_some() => Ok(Access::Data {
                snapshot: stored.expect("checked above"),
                stale: true,
            }),
            Err(FetchFailure::Refused(status)) => Ok(Access::Refused(status)),
            Err(FetchFailure::Invalid(reason)) => {
                tracing::error!(reason, "bank answer rejected");
                Ok(Access::Refused(502))
            }
            Err(FetchFailure::Unreachable(reason)) => {
                tracing::warn!(reason, "fetch failed");
                Ok(Access::Refused(503))
            }
        }
    }

    async fn stored_snapshot(
        &self,
        login: &str,
        artefact: &ConsentArtefact,
    ) -> Result<Option<Snapshot>, AppError> {
        let Some(bytes) = self
            .vault()
            .get(login, SNAPSHOT_KIND, SNAPSHOT_ID, self.now())
            .await?
        else {
            return Ok(None);
        };
        let snapshot: Snapshot =
            serde_json::from_slice(&bytes).map_err(|e| AppError::Corrupt(e.to_string()))?;
        Ok((snapshot.consent_id == artefact.consent_id.as_str()).then_some(snapshot))
    }

    /// Fetches every consented account through the consent manager; verifies
    /// the bank's signature and decrypts with this request's ephemeral key.
    pub async fn fetch(&self, artefact: &ConsentArtefact) -> Result<Snapshot, FetchFailure> {
        let now = self.now();
        let ours =
            EphemeralKeyPair::generate(now + SignedDuration::from_mins(KEY_MATERIAL_MINUTES));
        let txnid = anumati_wire::html::random_token();
        let body = serde_json::json!({
            "consent_id": artefact.consent_id,
            "txnid": txnid,
            "purpose": CHAT_PURPOSE,
            "KeyMaterial": ours.key_material(),
        });
        let headers = self.cm_headers();
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let response = self
            .inner
            .consent_manager
            .send(
                axum::http::Method::POST,
                "/v1/fi/fetch",
                &headers,
                Some(&body),
            )
            .await
            .map_err(|e| FetchFailure::Unreachable(e.to_string()))?;
        if !response.status.is_success() {
            return Err(FetchFailure::Refused(response.status.as_u16()));
        }
        let signed: SignedFi = serde_json::from_slice(&response.body)
            .map_err(|e| FetchFailure::Invalid(e.to_string()))?;
        let fi: FiResponse = self
            .bank_keys()
            .verify(&signed.signed)
            .map_err(|e| FetchFailure::Invalid(format!("bank signature: {e}")))?;
        if fi.txnid != txnid || fi.consent_id != artefact.consent_id.as_str() {
            return Err(FetchFailure::Invalid(
                "answer is not for this request".into(),
            ));
        }
        let mut accounts = Vec::with_capacity(fi.fi.len());
        for account in fi.fi {
            let ciphertext = base64::engine::general_purpose::STANDARD
                .decode(&account.encrypted_fi)
                .map_err(|e| FetchFailure::Invalid(e.to_string()))?;
            let plaintext =
                anumati_fi_crypto::decrypt(&ours, &fi.key_material, &ciphertext, self.now())
                    .map_err(|e| FetchFailure::Invalid(format!("decrypt: {e}")))?;
            let data: AccountData = serde_json::from_slice(&plaintext)
                .map_err(|e| FetchFailure::Invalid(e.to_string()))?;
            if data.account_id.as_str() != account.link_ref_number
                || !artefact
                    .accounts
                    .iter()
                    .any(|a| a.link_ref_number == data.account_id)
            {
                return Err(FetchFailure::Invalid(
                    "an account outside the consent".into(),
                ));
            }
            accounts.push(data);
        }
        Ok(Snapshot {
            consent_id: artefact.consent_id.to_string(),
            fetched_at: now,
            accounts,
        })
    }

    /// Seals a fetched copy into the vault until the consent's data life ends,
    /// unless the consent ended while the fetch was running.
    pub async fn keep(
        &self,
        login: &str,
        link: &Link,
        artefact: &ConsentArtefact,
        snapshot: &Snapshot,
    ) -> Result<bool, AppError> {
        let still = self.store().active_link(login).await?;
        if still.as_ref().map(|l| &l.handle) != Some(&link.handle) {
            tracing::info!("consent ended during a fetch; the data is dropped, not stored");
            return Ok(false);
        }
        let keep_until = (snapshot.fetched_at
            + period(artefact.data_life.unit, artefact.data_life.value))
        .min(artefact.expiry);
        let bytes = serde_json::to_vec(snapshot).map_err(|e| AppError::Corrupt(e.to_string()))?;
        self.vault()
            .put(login, SNAPSHOT_KIND, SNAPSHOT_ID, &bytes, keep_until)
            .await?;
        Ok(true)
    }
}
