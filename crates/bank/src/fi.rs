//! Financial information (FI) requests, as in India's Account Aggregator flow:
//! the consent manager relays a data user's request with the consent artefact
//! and the data user's ephemeral key material; the bank checks everything,
//! encrypts each account's data for the data user alone
//! ([`anumati_fi_crypto`]) and signs the response. The consent manager can
//! relay it but not read it.

use anumati_domain::consent::{ConsentArtefact, ConsentRefusal, ConsentType, DataRequest};
use anumati_domain::fi::{AccountData, Summary};
use anumati_domain::{AccountId, CustomerId, Transaction};
use anumati_fi_crypto::{EphemeralKeyPair, KeyMaterial};
use base64::Engine;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::{BankError, BankNode};

/// Most transactions one account's FI may carry.
pub const FI_TRANSACTIONS_MAX: u32 = 5_000;

/// What the consent manager forwards to the bank.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FiRequest {
    /// The data user's id for this request; echoed in the signed response.
    pub txnid: String,
    /// The consent artefact (compact JWS by the consent manager).
    pub consent: String,
    /// The ReBIT purpose code the data user asks under.
    pub purpose: String,
    #[serde(rename = "FIDataRange")]
    pub range: Option<FiRange>,
    #[serde(rename = "KeyMaterial")]
    #[schema(value_type = Object)]
    pub key_material: KeyMaterial,
    /// Most transactions per account (default and maximum 5,000), newest first.
    pub limit: Option<u32>,
    /// Where to go on, per account id: the `next_cursor` of a previous answer.
    #[serde(default)]
    pub cursors: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FiRange {
    #[schema(value_type = String, format = DateTime)]
    pub from: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub to: Timestamp,
}

/// The signed response's payload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FiResponse {
    pub ver: String,
    pub txnid: String,
    #[serde(rename = "consentId")]
    pub consent_id: String,
    #[serde(rename = "KeyMaterial")]
    pub key_material: KeyMaterial,
    #[serde(rename = "FI")]
    pub fi: Vec<FiAccount>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FiAccount {
    #[serde(rename = "fipID")]
    pub fip_id: String,
    #[serde(rename = "linkRefNumber")]
    pub link_ref_number: String,
    #[serde(rename = "maskedAccNumber")]
    pub masked_acc_number: String,
    /// base64(AES-256-GCM ciphertext || tag) of an [`AccountData`] JSON.
    #[serde(rename = "encryptedFI")]
    pub encrypted_fi: String,
}

/// The body the bank answers with: the compact JWS of an [`FiResponse`].
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SignedFi {
    pub signed: String,
}

/// Removes what the consent does not cover: merchant details and place are an extension.
fn redact(mut t: Transaction, artefact: &ConsentArtefact) -> Transaction {
    let ext = &artefact.extensions;
    if let Some(m) = t.merchant.as_mut() {
        if !ext.place {
            m.place.city.clear();
            m.place.country.clear();
        }
    }
    if !ext.merchant {
        t.merchant = None;
    }
    t
}

/// Cursors are sealed with a key the bank makes at start, bound to the consent
/// and the account: opaque to the relay, useless under another consent, and
/// void after a restart (the data user then starts again from the newest).
fn cursor_aad(artefact: &ConsentArtefact, account: &AccountId) -> Vec<u8> {
    format!("anumati-cursor/v1\0{}\0{}", artefact.consent_id, account).into_bytes()
}

impl BankNode {
    fn seal_cursor(&self, artefact: &ConsentArtefact, account: &AccountId, cursor: &str) -> String {
        use aes_gcm::aead::{Aead, KeyInit, Payload};
        let cipher = aes_gcm::Aes256Gcm::new(self.cursor_key().into());
        let nonce: [u8; 12] = rand::random();
        let aad = cursor_aad(artefact, account);
        let mut out = nonce.to_vec();
        out.extend(
            cipher
                .encrypt(
                    aes_gcm::Nonce::from_slice(&nonce),
                    Payload {
                        msg: cursor.as_bytes(),
                        aad: &aad,
                    },
                )
                .expect("AES-GCM seals a short cursor"),
        );
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(out)
    }

    fn open_cursor(
        &self,
        artefact: &ConsentArtefact,
        account: &AccountId,
        sealed: &str,
    ) -> Result<String, BankError> {
        use aes_gcm::aead::{Aead, KeyInit, Payload};
        let invalid = || {
            BankError::BadRequest(format!("cursor for {account} is not valid here (or the bank restarted): start from the newest page"))
        };
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(sealed)
            .map_err(|_| invalid())?;
        if bytes.len() < 12 {
            return Err(invalid());
        }
        let (nonce, body) = bytes.split_at(12);
        let cipher = aes_gcm::Aes256Gcm::new(self.cursor_key().into());
        let aad = cursor_aad(artefact, account);
        let plain = cipher
            .decrypt(
                aes_gcm::Nonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: &aad,
                },
            )
            .map_err(|_| invalid())?;
        String::from_utf8(plain).map_err(|_| invalid())
    }

    /// Serves an FI request relayed by the consent manager.
    pub async fn fi_fetch(&self, request: &FiRequest) -> Result<SignedFi, BankError> {
        let artefact = self
            .verify_artefact(Some(&request.consent), Some(&request.purpose))
            .await?;
        // A STREAM consent carries live card events, never a fetch of history.
        if artefact.mode == anumati_domain::consent::ConsentMode::Stream {
            return Err(BankError::WrongMode("VIEW or STORE"));
        }
        let now = self.now();
        request
            .key_material
            .check(now)
            .map_err(|e| BankError::BadRequest(format!("KeyMaterial: {e}")))?;
        let range = match request.range {
            Some(r) => (r.from, r.to),
            None => (
                artefact.fi_data_range.from,
                artefact.fi_data_range.to.min(now),
            ),
        };
        let limit = request.limit.unwrap_or(FI_TRANSACTIONS_MAX);
        if limit == 0 || limit > FI_TRANSACTIONS_MAX {
            return Err(BankError::BadRequest(format!(
                "limit must be 1 to {FI_TRANSACTIONS_MAX}"
            )));
        }
        // Every account the artefact lists must pass, or nothing is served.
        let mut accounts = Vec::new();
        for listed in &artefact.accounts {
            for kind in &artefact.consent_types {
                artefact.permits(
                    &DataRequest {
                        account: &listed.link_ref_number,
                        consent_type: *kind,
                        purpose_code: &request.purpose,
                        from: range.0,
                        to: range.1,
                    },
                    now,
                )?;
            }
            let account = self
                .store()
                .account(&listed.link_ref_number)
                .await?
                .ok_or(BankError::AccountNotFound)?;
            if account.customer_id != CustomerId::new(artefact.customer.id.clone()) {
                return Err(
                    ConsentRefusal::AccountNotCovered(listed.link_ref_number.clone()).into(),
                );
            }
            accounts.push(account);
        }
        // Replay: a key-material nonce is good for one request under a consent.
        if !self
            .store()
            .first_use_of_nonce(
                artefact.consent_id.as_str(),
                &request.key_material.nonce,
                now,
            )
            .await?
        {
            return Err(BankError::Replayed);
        }
        let recorded = self
            .store()
            .try_record_fetch(
                artefact.consent_id.as_str(),
                &AccountId::new("*"),
                "FI",
                now - crate::frequency_window(artefact.frequency.unit),
                now,
                artefact.frequency.value,
            )
            .await?;
        if !recorded {
            return Err(BankError::FrequencyExceeded(artefact.frequency.value));
        }

        let ours = EphemeralKeyPair::generate(now + SignedDuration::from_mins(10));
        let mut fi = Vec::with_capacity(accounts.len());
        for account in accounts {
            let summary = if artefact.consent_types.contains(&ConsentType::Summary) {
                let booked = self.store().booked_balance(&account).await?;
                let held = self.store().held_amount(&account).await?;
                // What the customer can spend: booked less pending card
                // holds, plus the overdraft or credit line.
                let available = booked
                    .checked_sub(held)
                    .and_then(|b| b.checked_add(account.limit))
                    .map_err(|e| BankError::BadRequest(e.to_string()))?;
                Some(Summary { booked, available })
            } else {
                None
            };
            let mut next_cursor = None;
            let transactions = if artefact.consent_types.contains(&ConsentType::Transactions) {
                let cursor = match request.cursors.get(account.id.as_str()) {
                    Some(sealed) => Some(self.open_cursor(&artefact, &account.id, sealed)?),
                    None => None,
                };
                let page = self
                    .store()
                    .transactions(&account, range.0, range.1, limit, cursor.as_deref())
                    .await?;
                next_cursor = page
                    .next_cursor
                    .map(|c| self.seal_cursor(&artefact, &account.id, &c));
                Some(
                    page.transactions
                        .into_iter()
                        .map(|t| redact(t, &artefact))
                        .collect(),
                )
            } else {
                None
            };
            let data = AccountData {
                account_id: account.id.clone(),
                kind: account.kind,
                masked_number: account.masked_number.clone(),
                currency: account.currency.code().to_owned(),
                summary,
                transactions,
                next_cursor,
                as_of: now,
            };
            let plaintext =
                serde_json::to_vec(&data).map_err(|e| BankError::BadRequest(e.to_string()))?;
            let ciphertext =
                anumati_fi_crypto::encrypt(&ours, &request.key_material, &plaintext, now)
                    .map_err(|e| BankError::BadRequest(format!("KeyMaterial: {e}")))?;
            fi.push(FiAccount {
                fip_id: self.id().to_owned(),
                link_ref_number: account.id.to_string(),
                masked_acc_number: account.masked_number,
                encrypted_fi: base64::engine::general_purpose::STANDARD.encode(ciphertext),
            });
        }
        let response = FiResponse {
            ver: "2.0.0".into(),
            txnid: request.txnid.clone(),
            consent_id: artefact.consent_id.to_string(),
            key_material: ours.key_material(),
            fi,
        };
        tracing::info!(consent = %artefact.consent_id, accounts = response.fi.len(), "FI served");
        Ok(SignedFi {
            signed: self.sign(&response),
        })
    }
}
