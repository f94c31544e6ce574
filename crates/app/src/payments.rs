//! Payments from the chat: the app initiates them at the bank as a payment
//! initiator (UK Open Banking's domestic payments), and the customer
//! approves each one with the one-time code the bank texts them.
//!
//! The steps, each one call to the bank node's API (never its store):
//!
//! 1. The customer's saved payees, to resolve "pay Priya": read through the
//!    consent manager under the customer's ACTIVE data consent (`POST
//!    /v1/payees`, logged there as `payees.read`), as card locks are.
//! 2. A payment consent (`POST /v1/payments/domestic-payment-consents`, with
//!    an idempotency key kept in the conversation): the bank checks the
//!    payee, the limits and the fee, and texts the code to the customer's
//!    phone — never to the app. Its answer (payee masked, fee, paying
//!    account masked) is what the chat shows before asking for the code.
//! 3. The code (`…/{ConsentId}/authorise`), then the payment
//!    (`POST /v1/payments/domestic-payments`, idempotency key derived from
//!    the consent, so a retry cannot pay twice).
//! 4. "cancel" at any point before the payment: `DELETE` of the consent.
//!
//! The app keeps nothing of this but the conversation's state (sealed in the
//! customer's vault for half an hour): the consent id and what was shown.

use anumati_domain::{Currency, Money};
use anumati_wire::jws::ClientAssertion;
use anumati_wire::Peer;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::dialogue::PendingPayment;
use crate::{AppError, ChatApp};

/// The bank's payment API, as the app reaches it.
#[derive(Clone)]
pub(crate) struct BankLink {
    pub(crate) peer: Peer,
    pub(crate) bank_id: String,
}

/// A payee the customer saved at the bank, as the bank shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Payee {
    pub beneficiary_id: String,
    pub name: String,
    #[serde(default)]
    pub vpa: Option<String>,
    #[serde(default)]
    pub masked_account: Option<String>,
    #[serde(default)]
    pub internal: bool,
}

/// The customer's payees, or why there are none to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payees {
    /// No active consent: the customer must link their bank first.
    NotLinked,
    /// The consent manager or the bank refused (the HTTP status).
    Refused(u16),
    /// The bank's customer id (from the consent) and their payees.
    Found {
        customer_id: String,
        payees: Vec<Payee>,
    },
}

/// Whom to pay, as the bank's API names a creditor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Creditor {
    Beneficiary(Payee),
    /// A UPI-style address the customer typed (`name@bank`).
    Address(String),
}

/// The bank's refusal, in its stable code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub code: String,
    pub message: String,
}

/// How asking for a payment consent went.
#[derive(Debug, Clone, PartialEq)]
pub enum Started {
    /// The bank texted the code; the consent waits for it.
    AwaitingCode(PendingPayment),
    Refused(Refusal),
}

/// What a payment came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paid {
    pub payment_id: String,
    /// `AcceptedSettlementCompleted` (this bank) or
    /// `AcceptedSettlementInProcess` (on its way to another bank).
    pub status: String,
}

/// How a code (and then the payment) went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Approved {
    Paid(Paid),
    /// Wrong code; this many tries left.
    WrongCode(i64),
    /// The bank ended the consent (three wrong codes, the code expired, …)
    /// or refused the payment (funds, limits); nothing was paid.
    Refused(Refusal),
}

#[derive(Deserialize)]
struct PayeesAnswer {
    payees: Vec<Payee>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ObAmount {
    amount: String,
    currency: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Charge {
    amount: ObAmount,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreditorDisplay {
    name: String,
    masked_identification: String,
    internal: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ConsentData {
    consent_id: String,
    status: String,
    #[serde(default)]
    charges: Vec<Charge>,
    creditor: CreditorDisplay,
    debtor_masked: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Wrapped<T> {
    data: T,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PaymentData {
    domestic_payment_id: String,
    status: String,
}

fn money(amount: &ObAmount) -> Result<Money, AppError> {
    let currency = Currency::new(&amount.currency).map_err(|e| AppError::Bank(e.to_string()))?;
    Money::parse(&amount.amount, currency).map_err(|e| AppError::Bank(e.to_string()))
}

/// The bank's error body: `{"error": {"code", "message"}}`.
fn refusal(status: u16, body: &[u8]) -> Refusal {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    Refusal {
        status,
        code: v["error"]["code"].as_str().unwrap_or("refused").to_owned(),
        message: v["error"]["message"].as_str().unwrap_or("").to_owned(),
    }
}

/// An idempotency key (at most 40 characters, as UK Open Banking) for one
/// operation on one thing: the same inputs always give the same key.
pub(crate) fn idempotency_key(operation: &str, parts: &[&str]) -> String {
    let mut h = Sha256::new();
    h.update(operation.as_bytes());
    for p in parts {
        h.update([0u8]);
        h.update(p.as_bytes());
    }
    let hex: String = h.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{operation}-{hex}").chars().take(40).collect()
}

impl ChatApp {
    /// Lets the app initiate payments at the bank through `peer` (the bank
    /// node's API), which must trust this app as a payment client.
    pub fn connect_bank(&self, peer: Peer, bank_id: impl Into<String>) {
        *self.inner.bank.write().expect("bank lock") = Some(BankLink {
            peer,
            bank_id: bank_id.into(),
        });
    }

    fn bank(&self) -> Result<BankLink, AppError> {
        self.inner
            .bank
            .read()
            .expect("bank lock")
            .clone()
            .ok_or_else(|| AppError::Bank("payments are not connected to a bank".into()))
    }

    /// Whether payments from the chat are on (the app knows a bank to ask).
    pub fn payments_enabled(&self) -> bool {
        self.inner.bank.read().expect("bank lock").is_some()
    }

    async fn bank_call(
        &self,
        method: axum::http::Method,
        path: &str,
        key: Option<&str>,
        body: Option<&serde_json::Value>,
    ) -> Result<anumati_wire::PeerResponse, AppError> {
        let bank = self.bank()?;
        let assertion = self.inner.signer.sign(&ClientAssertion::new(
            self.id(),
            &bank.bank_id,
            self.now().as_second(),
        ));
        let mut headers = vec![("x-client-assertion", assertion.as_str())];
        if let Some(key) = key {
            headers.push(("x-idempotency-key", key));
        }
        bank.peer
            .send(method, path, &headers, body)
            .await
            .map_err(|e| AppError::Bank(e.to_string()))
    }

    /// The customer's saved payees, read under their active consent.
    pub async fn payees(&self, login: &str) -> Result<Payees, AppError> {
        let Some((_, artefact)) = self.active_consent(login).await? else {
            return Ok(Payees::NotLinked);
        };
        let body = serde_json::json!({ "consentId": artefact.consent_id });
        let response = match self
            .cm_call(axum::http::Method::POST, "/v1/payees", Some(&body))
            .await
        {
            Ok(r) => r,
            Err(AppError::ConsentManager(reason)) => {
                tracing::warn!(reason, "payees request failed");
                return Ok(Payees::Refused(503));
            }
            Err(e) => return Err(e),
        };
        if !response.status.is_success() {
            tracing::info!(status = %response.status, "payees request refused");
            return Ok(Payees::Refused(response.status.as_u16()));
        }
        let answer: PayeesAnswer = serde_json::from_slice(&response.body)
            .map_err(|e| AppError::Bank(format!("payees: {e}")))?;
        Ok(Payees::Found {
            customer_id: artefact.customer.id.clone(),
            payees: answer.payees,
        })
    }

    /// Asks the bank for a payment consent; the bank texts the customer the
    /// code. `key` makes a retry of the same request answer as the first.
    pub async fn start_payment(
        &self,
        customer_id: &str,
        creditor: &Creditor,
        amount: Money,
        reference: &str,
        key: &str,
    ) -> Result<Started, AppError> {
        let (scheme, identification, name) = match creditor {
            Creditor::Beneficiary(p) => (
                "anumati.BeneficiaryId",
                p.beneficiary_id.clone(),
                Some(p.name.clone()),
            ),
            Creditor::Address(vpa) => ("anumati.VPA", vpa.clone(), None),
        };
        let mut account =
            serde_json::json!({ "SchemeName": scheme, "Identification": identification });
        if let Some(name) = name {
            account["Name"] = name.into();
        }
        let mut initiation = serde_json::json!({
            "InstructedAmount": { "Amount": amount.to_decimal_string(), "Currency": amount.currency().code() },
            "CreditorAccount": account,
        });
        if !reference.is_empty() {
            initiation["RemittanceInformation"] = serde_json::json!({ "Reference": reference });
        }
        let body =
            serde_json::json!({ "Data": { "CustomerId": customer_id, "Initiation": initiation } });
        let response = self
            .bank_call(
                axum::http::Method::POST,
                "/v1/payments/domestic-payment-consents",
                Some(key),
                Some(&body),
            )
            .await?;
        if !response.status.is_success() {
            return Ok(Started::Refused(refusal(
                response.status.as_u16(),
                &response.body,
            )));
        }
        let consent: Wrapped<ConsentData> = serde_json::from_slice(&response.body)
            .map_err(|e| AppError::Bank(format!("payment consent: {e}")))?;
        let consent = consent.data;
        let mut fee = Money::zero(amount.currency());
        for charge in &consent.charges {
            fee = fee
                .checked_add(money(&charge.amount)?)
                .map_err(|e| AppError::Bank(e.to_string()))?;
        }
        tracing::info!(consent = %consent.consent_id, status = %consent.status, "payment consent asked for");
        Ok(Started::AwaitingCode(PendingPayment {
            consent_id: consent.consent_id,
            payee: consent.creditor.name,
            payee_masked: consent.creditor.masked_identification,
            internal: consent.creditor.internal,
            amount,
            fee,
            debtor_masked: consent.debtor_masked,
        }))
    }

    /// Gives the bank the customer's code and, if it is right, makes the
    /// payment (exactly once: the key is the consent's).
    pub async fn approve_payment(
        &self,
        consent_id: &str,
        code: &str,
    ) -> Result<Approved, AppError> {
        let path = format!("/v1/payments/domestic-payment-consents/{consent_id}/authorise");
        let body = serde_json::json!({ "Otp": code });
        let response = self
            .bank_call(axum::http::Method::POST, &path, None, Some(&body))
            .await?;
        if !response.status.is_success() {
            let r = refusal(response.status.as_u16(), &response.body);
            if r.code == "otp_wrong" {
                return Ok(Approved::WrongCode(self.attempts_left(consent_id).await));
            }
            return Ok(Approved::Refused(r));
        }
        let key = idempotency_key("pay", &[consent_id]);
        let body = serde_json::json!({ "Data": { "ConsentId": consent_id } });
        let response = self
            .bank_call(
                axum::http::Method::POST,
                "/v1/payments/domestic-payments",
                Some(&key),
                Some(&body),
            )
            .await?;
        if !response.status.is_success() {
            return Ok(Approved::Refused(refusal(
                response.status.as_u16(),
                &response.body,
            )));
        }
        let payment: Wrapped<PaymentData> = serde_json::from_slice(&response.body)
            .map_err(|e| AppError::Bank(format!("payment: {e}")))?;
        tracing::info!(payment = %payment.data.domestic_payment_id, status = %payment.data.status, "payment made");
        Ok(Approved::Paid(Paid {
            payment_id: payment.data.domestic_payment_id,
            status: payment.data.status,
        }))
    }

    /// Tries left for the code of a consent (0 when the bank does not say).
    async fn attempts_left(&self, consent_id: &str) -> i64 {
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Sca {
            attempts_left: i64,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct WithSca {
            sca: Sca,
        }
        let path = format!("/v1/payments/domestic-payment-consents/{consent_id}");
        match self
            .bank_call(axum::http::Method::GET, &path, None, None)
            .await
        {
            Ok(r) if r.status.is_success() => serde_json::from_slice::<Wrapped<WithSca>>(&r.body)
                .map(|w| w.data.sca.attempts_left)
                .unwrap_or(0),
            _ => 0,
        }
    }

    /// Cancels a payment consent that waits for its code. Best effort: a
    /// consent left behind lapses on its own within minutes.
    pub async fn cancel_payment(&self, consent_id: &str) {
        let path = format!("/v1/payments/domestic-payment-consents/{consent_id}");
        match self
            .bank_call(axum::http::Method::DELETE, &path, None, None)
            .await
        {
            Ok(r) if r.status.is_success() => {
                tracing::info!(consent = %consent_id, "payment consent cancelled")
            }
            Ok(r) => {
                tracing::info!(consent = %consent_id, status = %r.status, "payment consent not cancelled")
            }
            Err(e) => {
                tracing::warn!(consent = %consent_id, error = %e, "payment consent not cancelled")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_stable_short_and_distinct() {
        let a = idempotency_key("consent", &["x", "500.00"]);
        assert_eq!(a, idempotency_key("consent", &["x", "500.00"]));
        assert_ne!(a, idempotency_key("consent", &["x", "500.01"]));
        assert_ne!(a, idempotency_key("consent", &["x5", "00.00"]));
        assert!(a.len() <= 40, "{a}");
    }

    #[test]
    fn refusals_keep_the_banks_code() {
        let r = refusal(
            422,
            br#"{"error":{"code":"insufficient_funds","message":"insufficient funds: 12.00 INR available"}}"#,
        );
        assert_eq!((r.status, r.code.as_str()), (422, "insufficient_funds"));
        assert_eq!(refusal(502, b"not json").code, "refused");
    }
}
