//! Payments: UK Open Banking-shaped domestic-payment-consents, approved by
//! the customer with a one-time code, executed exactly once.
//!
//! The flow, for a payment initiator (the chat app, authenticated with its
//! `x-client-assertion`):
//!
//! 1. `create_consent` (with `x-idempotency-key`): the bank resolves the
//!    payee (a UPI-style address `login@anumati` or an account number of
//!    this bank is an internal transfer; anything else goes out through the
//!    clearing queue; a saved beneficiary by id), checks the per-payment and
//!    daily limits, prices the fee, stores the consent `AwaitingAuthorisation`
//!    and sends a six-digit code to the customer's phone (the simulated SMS
//!    gateway, [`BankStore::outbox`]). Only a salted SHA-256 of the code is
//!    kept; the code is never logged.
//! 2. `authorise_consent` with the code: right → `Authorised` (the code is
//!    spent); wrong → attempts left, and the third wrong code rejects the
//!    consent; a code past its five minutes rejects it too.
//! 3. `submit_payment` (with `x-idempotency-key`): checks funds and the
//!    daily limit again and, in one SQLite transaction, writes the journal
//!    entry, the statement lines, the payment row (and for an external payee
//!    the outbound queue row), marks the consent `Consumed` and records the
//!    answer under the idempotency key. The answer is sent only after that
//!    transaction commits (WAL, `synchronous = FULL`), so an acknowledged
//!    payment is durable, and a consent is consumed by at most one payment
//!    (`UNIQUE (consent_id)`).
//!
//! Idempotency keys are scoped per client. A repeat of a key with the same
//! request (same operation, same JSON) answers with the first answer, status
//! included; the same key with anything else is refused
//! ([`PaymentError::IdempotencyConflict`]).
//!
//! External payments settle through [`BankNode::settle_outbound`], the
//! simulated clearing network: a payee whose identification contains
//! `closed` is returned (the money and the fee come back, as a reversing
//! journal entry); every other is settled. [`BankNode::recover_payments`]
//! runs at start: it rejects consents whose code or window lapsed and drives
//! every queued payment to its final state. Because every step above is one
//! transaction, a crash at any moment leaves each payment either not made
//! or made once, and the recovery pass finishes the rest.

use anumati_domain::{mask_account_number, Currency, Money};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::{Acquire, Row, SqliteConnection};
use utoipa::ToSchema;

use crate::ledger::{
    ensure_funds, insert_statement_line, post_entry, EntryKind, Internal, LedgerError, Posting,
    StatementLine,
};
use crate::{BankNode, BankStore};
use anumati_domain::{Category, Channel, TransactionKind};

/// The handle of this bank's UPI-style addresses: `login@anumati`.
pub const VPA_HANDLE: &str = "anumati";
/// Scheme names for `CreditorAccount` / `DebtorAccount`.
pub const SCHEME_VPA: &str = "anumati.VPA";
pub const SCHEME_ACCOUNT_NUMBER: &str = "anumati.AccountNumber";
pub const SCHEME_BENEFICIARY: &str = "anumati.BeneficiaryId";
pub const SCHEME_ACCOUNT_ID: &str = "anumati.AccountId";

/// Largest single payment, in major units of its currency.
pub const PAYMENT_LIMIT_MAJOR: i64 = 100_000;
/// Most a customer may pay in one UTC day, in major units.
pub const DAILY_LIMIT_MAJOR: i64 = 200_000;
/// The fee for a payment to another bank, in major units (internal transfers are free).
pub const EXTERNAL_FEE_MAJOR: i64 = 2;
/// How long a one-time code is valid.
pub const OTP_LIFETIME: SignedDuration = SignedDuration::from_mins(5);
/// Wrong codes after which the consent is rejected.
pub const OTP_ATTEMPTS: i64 = 3;
/// How long a consent waits for its payment when the request names no expiry.
pub const CONSENT_LIFETIME: SignedDuration = SignedDuration::from_mins(15);
/// Longest idempotency key (as UK Open Banking).
pub const IDEMPOTENCY_KEY_MAX: usize = 40;
const REFERENCE_MAX: usize = 35;
const NAME_MAX: usize = 70;
const IDENTIFICATION_MAX: usize = 256;

#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    #[error("missing header x-idempotency-key")]
    MissingIdempotencyKey,
    #[error("x-idempotency-key must be 1 to {IDEMPOTENCY_KEY_MAX} characters")]
    BadIdempotencyKey,
    #[error("this x-idempotency-key was already used with a different request")]
    IdempotencyConflict,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("customer not found")]
    UnknownCustomer,
    #[error("debtor account is not one of the customer's savings or current accounts")]
    BadDebtor,
    #[error("payee not found: {0}")]
    UnknownCreditor(String),
    #[error("a payment cannot go to the account it comes from")]
    SameAccount,
    #[error("amount is over the per-payment limit of {0}")]
    OverPaymentLimit(Money),
    #[error("amount is over today's remaining limit of {0}")]
    OverDailyLimit(Money),
    #[error("insufficient funds: {0} available")]
    InsufficientFunds(Money),
    #[error("payment consent not found")]
    ConsentNotFound,
    #[error("payment consent is {0}")]
    ConsentState(String),
    #[error("payment consent has expired")]
    ConsentExpired,
    #[error("wrong one-time code; {0} attempt(s) left")]
    WrongCode(i64),
    #[error("wrong one-time code {OTP_ATTEMPTS} times: the payment is cancelled")]
    TooManyWrongCodes,
    #[error("the one-time code has expired: the payment is cancelled")]
    CodeExpired,
    #[error("payment not found")]
    PaymentNotFound,
    #[error(transparent)]
    Ledger(LedgerError),
}

impl From<sqlx::Error> for PaymentError {
    fn from(e: sqlx::Error) -> Self {
        PaymentError::Ledger(e.into())
    }
}

impl From<LedgerError> for PaymentError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::InsufficientFunds { available } => {
                PaymentError::InsufficientFunds(available)
            }
            other => PaymentError::Ledger(other),
        }
    }
}

impl PaymentError {
    /// A refusal is the answer to the request (stored under its idempotency
    /// key); anything else is a failure that leaves nothing behind.
    pub fn is_refusal(&self) -> bool {
        !matches!(
            self,
            PaymentError::Ledger(LedgerError::Store(_) | LedgerError::Overflow)
        )
    }

    /// HTTP status and stable code.
    pub fn status_and_code(&self) -> (u16, &'static str) {
        match self {
            PaymentError::MissingIdempotencyKey | PaymentError::BadIdempotencyKey => {
                (400, "bad_request")
            }
            PaymentError::BadRequest(_) => (400, "bad_request"),
            PaymentError::IdempotencyConflict => (409, "idempotency_key_conflict"),
            PaymentError::UnknownCustomer => (404, "customer_not_found"),
            PaymentError::BadDebtor => (422, "debtor_account_invalid"),
            PaymentError::UnknownCreditor(_) => (422, "creditor_not_found"),
            PaymentError::SameAccount => (422, "creditor_is_debtor"),
            PaymentError::OverPaymentLimit(_) => (422, "payment_limit_exceeded"),
            PaymentError::OverDailyLimit(_) => (422, "daily_limit_exceeded"),
            PaymentError::InsufficientFunds(_) => (422, "insufficient_funds"),
            PaymentError::ConsentNotFound => (404, "consent_not_found"),
            PaymentError::ConsentState(_) => (409, "consent_not_authorisable"),
            PaymentError::ConsentExpired => (422, "consent_expired"),
            PaymentError::WrongCode(_) => (403, "otp_wrong"),
            PaymentError::TooManyWrongCodes => (403, "otp_attempts_exhausted"),
            PaymentError::CodeExpired => (403, "otp_expired"),
            PaymentError::PaymentNotFound => (404, "payment_not_found"),
            PaymentError::Ledger(LedgerError::CurrencyMismatch { .. }) => {
                (422, "currency_mismatch")
            }
            PaymentError::Ledger(LedgerError::AccountNotFound) => (422, "account_not_found"),
            PaymentError::Ledger(LedgerError::Store(_) | LedgerError::Overflow) => {
                (500, "internal")
            }
            PaymentError::Ledger(_) => (422, "ledger_refused"),
        }
    }

    /// The error body every role answers with.
    pub fn body(&self) -> serde_json::Value {
        let (_, code) = self.status_and_code();
        serde_json::json!({ "error": { "code": code, "message": self.to_string() } })
    }
}

// ---- UK Open Banking shapes ----

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ObAmount {
    /// Plain decimal, e.g. `"500.00"`.
    pub amount: String,
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ObAccount {
    /// `anumati.VPA` (`name@bank`), `anumati.AccountNumber`,
    /// `anumati.BeneficiaryId`, or for the debtor `anumati.AccountId`.
    pub scheme_name: String,
    pub identification: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ObRemittance {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Initiation {
    pub instructed_amount: ObAmount,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub debtor_account: Option<ObAccount>,
    pub creditor_account: ObAccount,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remittance_information: Option<ObRemittance>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ConsentRequestData {
    /// The bank's customer who pays (the bank sends them the one-time code).
    pub customer_id: String,
    pub initiation: Initiation,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expiration_date_time: Option<Timestamp>,
}

/// `POST /v1/payments/domestic-payment-consents`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ConsentRequest {
    pub data: ConsentRequestData,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Charge {
    /// Always `BorneByDebtor`.
    pub charge_bearer: String,
    pub r#type: String,
    pub amount: ObAmount,
}

/// Who is paid, as the customer may be shown it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct CreditorDisplay {
    pub name: String,
    /// The address (`name@bank`) or the account number masked to its last four.
    pub masked_identification: String,
    /// A customer of this bank (an internal transfer) or another bank's.
    pub internal: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ScaStatus {
    /// `SMS`.
    pub channel: String,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub code_expires_at: Option<Timestamp>,
    pub attempts_left: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ConsentData {
    pub consent_id: String,
    /// `AwaitingAuthorisation`, `Authorised`, `Rejected` or `Consumed`.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub creation_date_time: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub status_update_date_time: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub expiration_date_time: Timestamp,
    pub initiation: Initiation,
    pub charges: Vec<Charge>,
    pub creditor: CreditorDisplay,
    /// The paying account, masked.
    pub debtor_masked: String,
    pub sca: ScaStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ConsentResponse {
    pub data: ConsentData,
}

/// `POST /v1/payments/domestic-payment-consents/{ConsentId}/authorise`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct AuthoriseRequest {
    /// The six-digit code from the customer's phone.
    pub otp: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct PaymentRequestData {
    pub consent_id: String,
}

/// `POST /v1/payments/domestic-payments`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct PaymentRequest {
    pub data: PaymentRequestData,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct PaymentData {
    pub domestic_payment_id: String,
    pub consent_id: String,
    /// `AcceptedSettlementCompleted`, `AcceptedSettlementInProcess` or `Rejected` (returned).
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub creation_date_time: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub status_update_date_time: Timestamp,
    pub instructed_amount: ObAmount,
    pub charges: Vec<Charge>,
    pub creditor: CreditorDisplay,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct PaymentResponse {
    pub data: PaymentData,
}

/// A payee the customer saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Beneficiary {
    pub beneficiary_id: String,
    pub name: String,
    /// `name@bank`, when saved by address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpa: Option<String>,
    /// The account number masked to its last four, when saved by number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub masked_account: Option<String>,
    /// A customer of this bank.
    pub internal: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct NewBeneficiary {
    pub customer_id: String,
    pub name: String,
    /// Either an address (`anumati.VPA`) or an account number (`anumati.AccountNumber`).
    pub account: ObAccount,
}

/// One message the simulated SMS gateway delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SmsMessage {
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub body: String,
}

/// What a recovery pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RecoveryReport {
    pub consents_expired: u64,
    pub settled: u64,
    pub returned: u64,
}

// ---- helpers ----

fn major(n: i64, currency: Currency) -> Money {
    let scale = 10i64.pow(u32::from(currency.exponent()));
    Money::from_minor(n.saturating_mul(scale), currency)
}

fn ob_amount(m: Money) -> ObAmount {
    ObAmount {
        amount: m.to_decimal_string(),
        currency: m.currency().code().to_owned(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn otp_hash(salt: &str, consent: &str, code: &str) -> String {
    let mut h = Sha256::new();
    for part in [salt, consent, code] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    hex(&h.finalize())
}

/// SHA-256 over the operation and the request's canonical JSON (object keys sorted).
pub fn request_hash(operation: &str, body: &serde_json::Value) -> String {
    let mut h = Sha256::new();
    h.update(operation.as_bytes());
    h.update([0u8]);
    h.update(body.to_string().as_bytes());
    hex(&h.finalize())
}

fn day_start(now: Timestamp) -> Timestamp {
    now.to_zoned(jiff::tz::TimeZone::UTC)
        .start_of_day()
        .map(|z| z.timestamp())
        .unwrap_or(now)
}

fn corrupt(what: impl std::fmt::Display) -> PaymentError {
    PaymentError::Ledger(LedgerError::Store(crate::store::StoreError::Corrupt(
        what.to_string(),
    )))
}

/// A resolved payee.
struct Creditor {
    scheme: String,
    identification: String,
    name: String,
    account: Option<String>,
    display: CreditorDisplay,
}

async fn resolve_creditor(
    conn: &mut SqliteConnection,
    customer: &str,
    account: &ObAccount,
) -> Result<Creditor, PaymentError> {
    let id = account.identification.trim();
    if id.is_empty() || id.len() > IDENTIFICATION_MAX {
        return Err(PaymentError::BadRequest(
            "CreditorAccount.Identification".into(),
        ));
    }
    let given_name = account
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if given_name.is_some_and(|n| n.chars().count() > NAME_MAX) {
        return Err(PaymentError::BadRequest(
            "CreditorAccount.Name is too long".into(),
        ));
    }
    match account.scheme_name.as_str() {
        SCHEME_VPA => {
            let vpa = id.to_lowercase();
            let Some((local, handle)) = vpa.split_once('@') else {
                return Err(PaymentError::BadRequest(format!(
                    "{id:?} is not an address like name@bank"
                )));
            };
            if local.is_empty() || handle.is_empty() || handle.contains('@') {
                return Err(PaymentError::BadRequest(format!(
                    "{id:?} is not an address like name@bank"
                )));
            }
            if handle == VPA_HANDLE {
                let row = sqlx::query(
                    "SELECT c.name, a.id, a.number FROM customers c
                     JOIN accounts a ON a.customer_id = c.id AND a.kind IN ('savings', 'current')
                     WHERE c.login = ? ORDER BY a.id LIMIT 1",
                )
                .bind(local)
                .fetch_optional(&mut *conn)
                .await?
                .ok_or_else(|| PaymentError::UnknownCreditor(vpa.clone()))?;
                let name: String = row.get("name");
                Ok(Creditor {
                    scheme: SCHEME_VPA.into(),
                    identification: vpa.clone(),
                    display: CreditorDisplay {
                        name: name.clone(),
                        masked_identification: format!(
                            "{vpa} ({})",
                            mask_account_number(row.get::<&str, _>("number"))
                        ),
                        internal: true,
                    },
                    name,
                    account: Some(row.get("id")),
                })
            } else {
                let name = given_name.unwrap_or(local).to_owned();
                Ok(Creditor {
                    scheme: SCHEME_VPA.into(),
                    identification: vpa.clone(),
                    display: CreditorDisplay {
                        name: name.clone(),
                        masked_identification: vpa,
                        internal: false,
                    },
                    name,
                    account: None,
                })
            }
        }
        SCHEME_ACCOUNT_NUMBER => {
            if !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(PaymentError::BadRequest(
                    "an account number has only letters and digits".into(),
                ));
            }
            let row = sqlx::query(
                "SELECT c.name, a.id FROM accounts a JOIN customers c ON c.id = a.customer_id WHERE a.number = ?",
            )
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
            let masked = mask_account_number(id);
            match row {
                Some(row) => {
                    let name: String = row.get("name");
                    Ok(Creditor {
                        scheme: SCHEME_ACCOUNT_NUMBER.into(),
                        identification: id.to_owned(),
                        display: CreditorDisplay {
                            name: name.clone(),
                            masked_identification: masked,
                            internal: true,
                        },
                        name,
                        account: Some(row.get("id")),
                    })
                }
                None => {
                    let name = given_name
                        .ok_or_else(|| {
                            PaymentError::BadRequest(
                                "CreditorAccount.Name is needed for another bank's account"
                                    .into(),
                            )
                        })?
                        .to_owned();
                    Ok(Creditor {
                        scheme: SCHEME_ACCOUNT_NUMBER.into(),
                        identification: id.to_owned(),
                        display: CreditorDisplay {
                            name: name.clone(),
                            masked_identification: masked,
                            internal: false,
                        },
                        name,
                        account: None,
                    })
                }
            }
        }
        SCHEME_BENEFICIARY => {
            let row = sqlx::query(
                "SELECT name, vpa, account_number FROM beneficiaries WHERE id = ? AND customer_id = ?",
            )
            .bind(id)
            .bind(customer)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| PaymentError::UnknownCreditor(id.to_owned()))?;
            let name: String = row.get("name");
            let vpa: Option<String> = row.get("vpa");
            let number: Option<String> = row.get("account_number");
            let inner = match (vpa, number) {
                (Some(vpa), _) => ObAccount {
                    scheme_name: SCHEME_VPA.into(),
                    identification: vpa,
                    name: Some(name),
                },
                (None, Some(number)) => ObAccount {
                    scheme_name: SCHEME_ACCOUNT_NUMBER.into(),
                    identification: number,
                    name: Some(name),
                },
                (None, None) => return Err(corrupt("beneficiary without address or number")),
            };
            Box::pin(resolve_creditor(conn, customer, &inner)).await
        }
        other => Err(PaymentError::BadRequest(format!(
            "unknown SchemeName {other:?} (use {SCHEME_VPA}, {SCHEME_ACCOUNT_NUMBER} or {SCHEME_BENEFICIARY})"
        ))),
    }
}

/// What customers paid today (UTC) in payments not returned.
async fn paid_today(
    conn: &mut SqliteConnection,
    customer: &str,
    currency: Currency,
    now: Timestamp,
) -> Result<Money, PaymentError> {
    let sum: Option<i64> = sqlx::query_scalar(
        "SELECT SUM(amount_minor) FROM payments
         WHERE customer_id = ? AND currency = ? AND created_at >= ? AND status <> 'Rejected'",
    )
    .bind(customer)
    .bind(currency.code())
    .bind(day_start(now).as_second())
    .fetch_one(&mut *conn)
    .await?;
    Ok(Money::from_minor(sum.unwrap_or(0), currency))
}

fn check_limits(amount: Money, paid_today: Money) -> Result<(), PaymentError> {
    let currency = amount.currency();
    let per_payment = major(PAYMENT_LIMIT_MAJOR, currency);
    if amount.minor() > per_payment.minor() {
        return Err(PaymentError::OverPaymentLimit(per_payment));
    }
    let daily = major(DAILY_LIMIT_MAJOR, currency);
    let left = daily.minor().saturating_sub(paid_today.minor()).max(0);
    if amount.minor() > left {
        return Err(PaymentError::OverDailyLimit(Money::from_minor(
            left, currency,
        )));
    }
    Ok(())
}

/// Looks an idempotency key up: the first answer for the same request, a
/// conflict for another request, nothing for a new key.
async fn replay(
    conn: &mut SqliteConnection,
    client: &str,
    key: &str,
    hash: &str,
) -> Result<Option<(u16, serde_json::Value)>, PaymentError> {
    let row: Option<(String, i64, String)> = sqlx::query_as(
        "SELECT request_hash, status_code, response FROM idempotency_keys WHERE client_id = ? AND key = ?",
    )
    .bind(client)
    .bind(key)
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        None => Ok(None),
        Some((stored, _, _)) if stored != hash => Err(PaymentError::IdempotencyConflict),
        Some((_, status, response)) => {
            let status = u16::try_from(status).map_err(corrupt)?;
            let body = serde_json::from_str(&response).map_err(corrupt)?;
            Ok(Some((status, body)))
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn remember(
    conn: &mut SqliteConnection,
    client: &str,
    key: &str,
    operation: &str,
    hash: &str,
    status: u16,
    body: &serde_json::Value,
    now: Timestamp,
) -> Result<(), PaymentError> {
    sqlx::query(
        "INSERT INTO idempotency_keys (client_id, key, operation, request_hash, status_code, response, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(client)
    .bind(key)
    .bind(operation)
    .bind(hash)
    .bind(i64::from(status))
    .bind(body.to_string())
    .bind(now.as_second())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn check_key(key: Option<&str>) -> Result<&str, PaymentError> {
    let key = key.ok_or(PaymentError::MissingIdempotencyKey)?;
    if key.is_empty() || key.chars().count() > IDEMPOTENCY_KEY_MAX {
        return Err(PaymentError::BadIdempotencyKey);
    }
    Ok(key)
}

async fn load_consent(
    conn: &mut SqliteConnection,
    client: &str,
    id: &str,
) -> Result<ConsentData, PaymentError> {
    let r = sqlx::query(
        "SELECT c.*, a.number AS debtor_number FROM payment_consents c
         JOIN accounts a ON a.id = c.debtor_account_id
         WHERE c.id = ? AND c.client_id = ?",
    )
    .bind(id)
    .bind(client)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(PaymentError::ConsentNotFound)?;
    let currency = Currency::new(r.get::<&str, _>("currency")).map_err(corrupt)?;
    let amount = Money::from_minor(r.get("amount_minor"), currency);
    let fee = Money::from_minor(r.get("fee_minor"), currency);
    let ts = |col: &str| Timestamp::from_second(r.get::<i64, _>(col)).map_err(corrupt);
    let creditor_account: Option<String> = r.get("creditor_account_id");
    let scheme: String = r.get("creditor_scheme");
    let identification: String = r.get("creditor_identification");
    let name: String = r.get("creditor_name");
    let masked = if scheme == SCHEME_ACCOUNT_NUMBER {
        mask_account_number(&identification)
    } else if let Some(account) = &creditor_account {
        let number: Option<String> = sqlx::query_scalar("SELECT number FROM accounts WHERE id = ?")
            .bind(account)
            .fetch_optional(&mut *conn)
            .await?;
        format!(
            "{identification} ({})",
            mask_account_number(&number.unwrap_or_default())
        )
    } else {
        identification.clone()
    };
    let reference: String = r.get("reference");
    let status: String = r.get("status");
    let otp_expires: Option<i64> = r.get("otp_expires_at");
    let failures: i64 = r.get("otp_failures");
    Ok(ConsentData {
        consent_id: r.get("id"),
        status_reason: r.get("status_reason"),
        creation_date_time: ts("created_at")?,
        status_update_date_time: ts("updated_at")?,
        expiration_date_time: ts("expires_at")?,
        initiation: Initiation {
            instructed_amount: ob_amount(amount),
            debtor_account: Some(ObAccount {
                scheme_name: SCHEME_ACCOUNT_ID.into(),
                identification: r.get("debtor_account_id"),
                name: None,
            }),
            creditor_account: ObAccount {
                scheme_name: scheme,
                identification,
                name: Some(name.clone()),
            },
            remittance_information: (!reference.is_empty()).then_some(ObRemittance {
                reference: Some(reference),
            }),
        },
        charges: charges(fee),
        creditor: CreditorDisplay {
            name,
            masked_identification: masked,
            internal: creditor_account.is_some(),
        },
        debtor_masked: mask_account_number(r.get::<&str, _>("debtor_number")),
        sca: ScaStatus {
            channel: "SMS".into(),
            code_expires_at: match (status.as_str(), otp_expires) {
                ("AwaitingAuthorisation", Some(at)) => {
                    Some(Timestamp::from_second(at).map_err(corrupt)?)
                }
                _ => None,
            },
            attempts_left: if status == "AwaitingAuthorisation" {
                (OTP_ATTEMPTS - failures).max(0)
            } else {
                0
            },
        },
        status,
    })
}

fn charges(fee: Money) -> Vec<Charge> {
    if fee.is_zero() {
        return Vec::new();
    }
    vec![Charge {
        charge_bearer: "BorneByDebtor".into(),
        r#type: "anumati.OutboundPaymentFee".into(),
        amount: ob_amount(fee),
    }]
}

async fn load_payment(
    conn: &mut SqliteConnection,
    client: &str,
    id: &str,
) -> Result<PaymentData, PaymentError> {
    let r = sqlx::query(
        "SELECT p.*, c.creditor_scheme FROM payments p JOIN payment_consents c ON c.id = p.consent_id
         WHERE p.id = ? AND p.client_id = ?",
    )
    .bind(id)
    .bind(client)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(PaymentError::PaymentNotFound)?;
    let consent_id: String = r.get("consent_id");
    let consent = load_consent(conn, client, &consent_id).await?;
    let currency = Currency::new(r.get::<&str, _>("currency")).map_err(corrupt)?;
    Ok(PaymentData {
        domestic_payment_id: r.get("id"),
        consent_id,
        status: r.get("status"),
        status_reason: r.get("status_reason"),
        creation_date_time: Timestamp::from_second(r.get("created_at")).map_err(corrupt)?,
        status_update_date_time: Timestamp::from_second(r.get("updated_at")).map_err(corrupt)?,
        instructed_amount: ob_amount(Money::from_minor(r.get("amount_minor"), currency)),
        charges: charges(Money::from_minor(r.get("fee_minor"), currency)),
        creditor: consent.creditor,
    })
}

impl BankStore {
    /// The messages the simulated SMS gateway delivered to a customer, oldest first.
    pub async fn outbox(&self, customer: &str) -> Result<Vec<SmsMessage>, PaymentError> {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT created_at, body FROM sms_outbox WHERE customer_id = ? ORDER BY id",
        )
        .bind(customer)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|(at, body)| {
                Ok(SmsMessage {
                    at: Timestamp::from_second(at).map_err(corrupt)?,
                    body,
                })
            })
            .collect()
    }

    /// A customer's saved payees.
    pub async fn beneficiaries(&self, customer: &str) -> Result<Vec<Beneficiary>, PaymentError> {
        let rows = sqlx::query(
            "SELECT b.id, b.name, b.vpa, b.account_number,
                    (b.vpa LIKE '%@' || ? OR EXISTS (SELECT 1 FROM accounts a WHERE a.number = b.account_number)) AS internal
             FROM beneficiaries b WHERE b.customer_id = ? ORDER BY b.name, b.id",
        )
        .bind(VPA_HANDLE)
        .bind(customer)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| Beneficiary {
                beneficiary_id: r.get("id"),
                name: r.get("name"),
                vpa: r.get("vpa"),
                masked_account: r
                    .get::<Option<String>, _>("account_number")
                    .map(|n| mask_account_number(&n)),
                internal: r.get::<Option<bool>, _>("internal").unwrap_or(false),
            })
            .collect())
    }

    /// Saves a payee for a customer (its address or number is checked as a payment's would be).
    pub async fn add_beneficiary(
        &self,
        new: &NewBeneficiary,
        now: Timestamp,
    ) -> Result<Beneficiary, PaymentError> {
        let mut conn = self.pool().acquire().await?;
        insert_beneficiary(&mut conn, new, now).await
    }

    /// Saves many payees in one transaction: all of them or, on the first
    /// refusal, none (the simulator's demo payees).
    pub async fn add_beneficiaries(
        &self,
        list: &[NewBeneficiary],
        now: Timestamp,
    ) -> Result<u64, PaymentError> {
        let _gate = self.write_gate().await;
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await?;
        for new in list {
            insert_beneficiary(&mut tx, new, now).await?;
        }
        tx.commit().await?;
        Ok(list.len() as u64)
    }
}

async fn insert_beneficiary(
    conn: &mut SqliteConnection,
    new: &NewBeneficiary,
    now: Timestamp,
) -> Result<Beneficiary, PaymentError> {
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > NAME_MAX {
        return Err(PaymentError::BadRequest("Name".into()));
    }
    let known: Option<String> = sqlx::query_scalar("SELECT id FROM customers WHERE id = ?")
        .bind(&new.customer_id)
        .fetch_optional(&mut *conn)
        .await?;
    if known.is_none() {
        return Err(PaymentError::UnknownCustomer);
    }
    if new.account.scheme_name == SCHEME_BENEFICIARY {
        return Err(PaymentError::BadRequest(
            "a beneficiary names an address or an account number".into(),
        ));
    }
    let mut account = new.account.clone();
    account.name = Some(name.to_owned());
    let creditor = resolve_creditor(conn, &new.customer_id, &account).await?;
    let id = format!("ben_{}", anumati_wire::html::random_token());
    let (vpa, number) = if creditor.scheme == SCHEME_VPA {
        (Some(creditor.identification.clone()), None)
    } else {
        (None, Some(creditor.identification.clone()))
    };
    sqlx::query(
        "INSERT INTO beneficiaries (id, customer_id, name, vpa, account_number, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(&id)
    .bind(&new.customer_id)
    .bind(name)
    .bind(&vpa)
    .bind(&number)
    .bind(now.as_second())
    .execute(&mut *conn)
    .await?;
    Ok(Beneficiary {
        beneficiary_id: id,
        name: name.to_owned(),
        vpa,
        masked_account: number.as_deref().map(mask_account_number),
        internal: creditor.account.is_some(),
    })
}

impl BankNode {
    /// Creates a payment consent and texts the customer a one-time code.
    /// Returns the HTTP status and body (the first answer, on a repeat of the key).
    pub async fn create_consent(
        &self,
        client: &str,
        idempotency_key: Option<&str>,
        body: &serde_json::Value,
    ) -> Result<(u16, serde_json::Value), PaymentError> {
        let key = check_key(idempotency_key)?;
        let hash = request_hash("consent", body);
        let now = self.now();
        let store = self.store();
        let _gate = store.write_gate().await;
        let mut tx = store.pool().begin_with("BEGIN IMMEDIATE").await?;
        if let Some(first) = replay(&mut tx, client, key, &hash).await? {
            return Ok(first);
        }
        let outcome = {
            let mut sp = tx.begin().await?;
            match self.create_consent_in(&mut sp, client, body, now).await {
                Ok(data) => {
                    sp.commit().await?;
                    Ok(data)
                }
                Err(e) => {
                    sp.rollback().await?;
                    Err(e)
                }
            }
        };
        let (status, response) = match outcome {
            Ok(data) => (
                201,
                serde_json::to_value(ConsentResponse { data }).map_err(corrupt)?,
            ),
            Err(e) if e.is_refusal() => (e.status_and_code().0, e.body()),
            Err(e) => return Err(e),
        };
        remember(
            &mut tx, client, key, "consent", &hash, status, &response, now,
        )
        .await?;
        tx.commit().await?;
        Ok((status, response))
    }

    async fn create_consent_in(
        &self,
        conn: &mut SqliteConnection,
        client: &str,
        body: &serde_json::Value,
        now: Timestamp,
    ) -> Result<ConsentData, PaymentError> {
        let request: ConsentRequest = serde_json::from_value(body.clone())
            .map_err(|e| PaymentError::BadRequest(e.to_string()))?;
        let data = &request.data;
        let init = &data.initiation;
        let customer: Option<(String, String)> =
            sqlx::query_as("SELECT id, name FROM customers WHERE id = ?")
                .bind(&data.customer_id)
                .fetch_optional(&mut *conn)
                .await?;
        let (customer, _) = customer.ok_or(PaymentError::UnknownCustomer)?;
        let currency = Currency::new(&init.instructed_amount.currency)
            .map_err(|e| PaymentError::BadRequest(e.to_string()))?;
        let amount = Money::parse(&init.instructed_amount.amount, currency)
            .map_err(|e| PaymentError::BadRequest(e.to_string()))?;
        if amount.minor() <= 0 {
            return Err(PaymentError::BadRequest(
                "InstructedAmount must be positive".into(),
            ));
        }
        let reference = init
            .remittance_information
            .as_ref()
            .and_then(|r| r.reference.as_deref())
            .unwrap_or("")
            .trim()
            .to_owned();
        if reference.chars().count() > REFERENCE_MAX || reference.chars().any(char::is_control) {
            return Err(PaymentError::BadRequest(format!(
                "RemittanceInformation.Reference: at most {REFERENCE_MAX} printable characters"
            )));
        }
        // The paying account: the one named, or the customer's first deposit account.
        let debtor: Option<(String, String)> = match &init.debtor_account {
            Some(d) if d.scheme_name == SCHEME_ACCOUNT_ID => sqlx::query_as(
                "SELECT id, currency FROM accounts WHERE id = ? AND customer_id = ? AND kind IN ('savings', 'current')",
            )
            .bind(&d.identification)
            .bind(&customer)
            .fetch_optional(&mut *conn)
            .await?,
            Some(_) => return Err(PaymentError::BadRequest(format!(
                "DebtorAccount.SchemeName must be {SCHEME_ACCOUNT_ID}"
            ))),
            None => sqlx::query_as(
                "SELECT id, currency FROM accounts WHERE customer_id = ? AND kind IN ('savings', 'current') ORDER BY id LIMIT 1",
            )
            .bind(&customer)
            .fetch_optional(&mut *conn)
            .await?,
        };
        let (debtor, debtor_currency) = debtor.ok_or(PaymentError::BadDebtor)?;
        if debtor_currency != currency.code() {
            return Err(LedgerError::CurrencyMismatch {
                account: Currency::new(&debtor_currency).map_err(corrupt)?,
                amount: currency,
            }
            .into());
        }
        let creditor = resolve_creditor(conn, &customer, &init.creditor_account).await?;
        if creditor.account.as_deref() == Some(debtor.as_str()) {
            return Err(PaymentError::SameAccount);
        }
        if let Some(account) = &creditor.account {
            let c: String = sqlx::query_scalar("SELECT currency FROM accounts WHERE id = ?")
                .bind(account)
                .fetch_one(&mut *conn)
                .await?;
            if c != currency.code() {
                return Err(PaymentError::UnknownCreditor(format!(
                    "{} takes no {currency}",
                    creditor.display.masked_identification
                )));
            }
        }
        check_limits(amount, paid_today(conn, &customer, currency, now).await?)?;
        let fee = if creditor.account.is_some() {
            Money::zero(currency)
        } else {
            major(EXTERNAL_FEE_MAJOR, currency)
        };
        let expires = match data.expiration_date_time {
            Some(at) if at <= now => {
                return Err(PaymentError::BadRequest(
                    "ExpirationDateTime is in the past".into(),
                ))
            }
            Some(at) => at.min(now + SignedDuration::from_hours(24)),
            None => now + CONSENT_LIFETIME,
        };
        let otp_expires = (now + OTP_LIFETIME).min(expires);

        let id = format!("pdc_{}", anumati_wire::html::random_token());
        let code = {
            use rand::Rng;
            format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000u32))
        };
        let salt = anumati_wire::html::random_token();
        sqlx::query(
            "INSERT INTO payment_consents (id, client_id, customer_id, debtor_account_id, amount_minor, currency, fee_minor,
                 creditor_scheme, creditor_identification, creditor_name, creditor_account_id, reference, status,
                 created_at, expires_at, otp_hash, otp_salt, otp_expires_at, otp_failures, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'AwaitingAuthorisation', ?, ?, ?, ?, ?, 0, ?)",
        )
        .bind(&id)
        .bind(client)
        .bind(&customer)
        .bind(&debtor)
        .bind(amount.minor())
        .bind(currency.code())
        .bind(fee.minor())
        .bind(&creditor.scheme)
        .bind(&creditor.identification)
        .bind(&creditor.name)
        .bind(&creditor.account)
        .bind(&reference)
        .bind(now.as_second())
        .bind(expires.as_second())
        .bind(otp_hash(&salt, &id, &code))
        .bind(&salt)
        .bind(otp_expires.as_second())
        .bind(now.as_second())
        .execute(&mut *conn)
        .await?;
        let fee_text = if fee.is_zero() {
            String::new()
        } else {
            format!(" + fee {fee}")
        };
        let sms = format!(
            "anumati bank: {code} is your code to pay {amount}{fee_text} to {}, {}. It expires in {} minutes. Never share it.",
            creditor.display.name,
            creditor.display.masked_identification,
            OTP_LIFETIME.as_mins()
        );
        sqlx::query("INSERT INTO sms_outbox (customer_id, body, created_at) VALUES (?, ?, ?)")
            .bind(&customer)
            .bind(&sms)
            .bind(now.as_second())
            .execute(&mut *conn)
            .await?;
        tracing::info!(consent = %id, client, "payment consent created; code sent by SMS");
        load_consent(conn, client, &id).await
    }

    /// A payment consent as the client may see it.
    pub async fn consent(&self, client: &str, id: &str) -> Result<ConsentData, PaymentError> {
        let mut conn = self.store().pool().acquire().await?;
        load_consent(&mut conn, client, id).await
    }

    /// Approves a consent with the customer's one-time code. A wrong code
    /// counts (the third rejects the consent); an expired code rejects it.
    pub async fn authorise_consent(
        &self,
        client: &str,
        id: &str,
        code: &str,
    ) -> Result<ConsentData, PaymentError> {
        let now = self.now();
        let store = self.store();
        let _gate = store.write_gate().await;
        let mut tx = store.pool().begin_with("BEGIN IMMEDIATE").await?;
        type CodeState = (String, Option<String>, Option<String>, Option<i64>, i64);
        let row: Option<CodeState> = sqlx::query_as(
            "SELECT status, otp_hash, otp_salt, otp_expires_at, otp_failures
                 FROM payment_consents WHERE id = ? AND client_id = ?",
        )
        .bind(id)
        .bind(client)
        .fetch_optional(&mut *tx)
        .await?;
        let (status, hash, salt, otp_expires, failures) =
            row.ok_or(PaymentError::ConsentNotFound)?;
        match status.as_str() {
            "AwaitingAuthorisation" => {}
            "Authorised" => {
                // A retry of an approval that already succeeded changes nothing.
                let data = load_consent(&mut tx, client, id).await?;
                tx.commit().await?;
                return Ok(data);
            }
            other => return Err(PaymentError::ConsentState(other.to_owned())),
        }
        let reject = |reason: &'static str| {
            sqlx::query(
                "UPDATE payment_consents SET status = 'Rejected', status_reason = ?, otp_hash = NULL, updated_at = ? WHERE id = ?",
            )
            .bind(reason)
            .bind(now.as_second())
            .bind(id)
        };
        if otp_expires.is_none_or(|at| now.as_second() >= at) {
            reject("one-time code expired").execute(&mut *tx).await?;
            tx.commit().await?;
            tracing::info!(consent = %id, "payment consent rejected: code expired");
            return Err(PaymentError::CodeExpired);
        }
        let (Some(hash), Some(salt)) = (hash, salt) else {
            return Err(corrupt("awaiting consent without a code"));
        };
        let code = code.trim();
        if otp_hash(&salt, id, code) != hash {
            let failures = failures + 1;
            if failures >= OTP_ATTEMPTS {
                reject("wrong one-time code three times")
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("UPDATE payment_consents SET otp_failures = ? WHERE id = ?")
                    .bind(failures)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                tracing::info!(consent = %id, "payment consent rejected: too many wrong codes");
                return Err(PaymentError::TooManyWrongCodes);
            }
            sqlx::query(
                "UPDATE payment_consents SET otp_failures = ?, updated_at = ? WHERE id = ?",
            )
            .bind(failures)
            .bind(now.as_second())
            .bind(id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            return Err(PaymentError::WrongCode(OTP_ATTEMPTS - failures));
        }
        sqlx::query(
            "UPDATE payment_consents SET status = 'Authorised', otp_hash = NULL, updated_at = ? WHERE id = ?",
        )
        .bind(now.as_second())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let data = load_consent(&mut tx, client, id).await?;
        tx.commit().await?;
        tracing::info!(consent = %id, "payment consent authorised");
        Ok(data)
    }

    /// Cancels a consent that has not been used (the customer said "cancel").
    pub async fn cancel_consent(
        &self,
        client: &str,
        id: &str,
    ) -> Result<ConsentData, PaymentError> {
        let now = self.now();
        let store = self.store();
        let _gate = store.write_gate().await;
        let mut tx = store.pool().begin_with("BEGIN IMMEDIATE").await?;
        let status: Option<String> = sqlx::query_scalar(
            "SELECT status FROM payment_consents WHERE id = ? AND client_id = ?",
        )
        .bind(id)
        .bind(client)
        .fetch_optional(&mut *tx)
        .await?;
        match status.as_deref() {
            None => return Err(PaymentError::ConsentNotFound),
            Some("AwaitingAuthorisation" | "Authorised") => {
                sqlx::query(
                    "UPDATE payment_consents SET status = 'Rejected', status_reason = 'cancelled by the customer', otp_hash = NULL, updated_at = ? WHERE id = ?",
                )
                .bind(now.as_second())
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
            Some("Rejected") => {}
            Some(other) => return Err(PaymentError::ConsentState(other.to_owned())),
        }
        let data = load_consent(&mut tx, client, id).await?;
        tx.commit().await?;
        Ok(data)
    }

    /// Executes an authorised consent, exactly once. Returns the HTTP status
    /// and body (the first answer, on a repeat of the key).
    pub async fn submit_payment(
        &self,
        client: &str,
        idempotency_key: Option<&str>,
        body: &serde_json::Value,
    ) -> Result<(u16, serde_json::Value), PaymentError> {
        let key = check_key(idempotency_key)?;
        let hash = request_hash("payment", body);
        let now = self.now();
        let store = self.store();
        let _gate = store.write_gate().await;
        let mut tx = store.pool().begin_with("BEGIN IMMEDIATE").await?;
        if let Some(first) = replay(&mut tx, client, key, &hash).await? {
            return Ok(first);
        }
        let outcome = {
            let mut sp = tx.begin().await?;
            match submit_in(&mut sp, client, body, now).await {
                Ok(data) => {
                    sp.commit().await?;
                    Ok(data)
                }
                Err(e) => {
                    sp.rollback().await?;
                    Err(e)
                }
            }
        };
        let (status, response) = match outcome {
            Ok(data) => (
                201,
                serde_json::to_value(PaymentResponse { data }).map_err(corrupt)?,
            ),
            Err(e) if e.is_refusal() => {
                // A consent that can no longer be paid (expired, no funds,
                // over the limit) is rejected, so it cannot linger.
                if let Ok(request) = serde_json::from_value::<PaymentRequest>(body.clone()) {
                    let reason = match &e {
                        PaymentError::ConsentExpired => Some("consent expired"),
                        PaymentError::InsufficientFunds(_) => Some("insufficient funds"),
                        PaymentError::OverDailyLimit(_) => Some("daily limit reached"),
                        _ => None,
                    };
                    if let Some(reason) = reason {
                        sqlx::query(
                            "UPDATE payment_consents SET status = 'Rejected', status_reason = ?, updated_at = ?
                             WHERE id = ? AND client_id = ? AND status = 'Authorised'",
                        )
                        .bind(reason)
                        .bind(now.as_second())
                        .bind(&request.data.consent_id)
                        .bind(client)
                        .execute(&mut *tx)
                        .await?;
                    }
                }
                (e.status_and_code().0, e.body())
            }
            Err(e) => return Err(e),
        };
        remember(
            &mut tx, client, key, "payment", &hash, status, &response, now,
        )
        .await?;
        tx.commit().await?;
        Ok((status, response))
    }

    /// A payment as the client may see it.
    pub async fn payment(&self, client: &str, id: &str) -> Result<PaymentData, PaymentError> {
        let mut conn = self.store().pool().acquire().await?;
        load_payment(&mut conn, client, id).await
    }

    /// The simulated clearing network: settles or returns every queued
    /// external payment, one transaction each. Returns (settled, returned).
    pub async fn settle_outbound(&self) -> Result<(u64, u64), PaymentError> {
        let (mut settled, mut returned) = (0, 0);
        loop {
            let now = self.now();
            let store = self.store();
            let _gate = store.write_gate().await;
            let mut tx = store.pool().begin_with("BEGIN IMMEDIATE").await?;
            let row = sqlx::query(
                "SELECT p.id, p.debtor_account_id, p.amount_minor, p.fee_minor, p.currency, c.creditor_identification, c.creditor_name
                 FROM outbound_queue o JOIN payments p ON p.id = o.payment_id
                 JOIN payment_consents c ON c.id = p.consent_id
                 WHERE o.status = 'queued' ORDER BY o.created_at, o.payment_id LIMIT 1",
            )
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = row else {
                return Ok((settled, returned));
            };
            let id: String = row.get("id");
            let identification: String = row.get("creditor_identification");
            if identification.to_lowercase().contains("closed") {
                let currency = Currency::new(row.get::<&str, _>("currency")).map_err(corrupt)?;
                let amount = Money::from_minor(row.get("amount_minor"), currency);
                let fee = Money::from_minor(row.get("fee_minor"), currency);
                let back = amount.checked_add(fee).map_err(|_| LedgerError::Overflow)?;
                let debtor: String = row.get("debtor_account_id");
                let entry = format!("je_{id}_return");
                let mut postings = vec![
                    Posting {
                        account: debtor.clone(),
                        amount: back,
                    },
                    Posting {
                        account: Internal::Clearing.account_id(currency),
                        amount: amount.checked_neg().map_err(|_| LedgerError::Overflow)?,
                    },
                ];
                if !fee.is_zero() {
                    postings.push(Posting {
                        account: Internal::Fees.account_id(currency),
                        amount: fee.checked_neg().map_err(|_| LedgerError::Overflow)?,
                    });
                }
                post_entry(&mut tx, &entry, EntryKind::Return, now, &postings).await?;
                insert_statement_line(
                    &mut tx,
                    &StatementLine {
                        id: format!("txn_{id}_r"),
                        entry_id: &entry,
                        account: &debtor,
                        at: now,
                        amount: back,
                        kind: TransactionKind::TransferIn,
                        channel: Channel::Transfer,
                        description: format!(
                            "Returned: payment to {} (account closed)",
                            row.get::<&str, _>("creditor_name")
                        ),
                        counterparty: Some(row.get("creditor_name")),
                        category: Category::Transfers,
                    },
                )
                .await?;
                sqlx::query(
                    "UPDATE payments SET status = 'Rejected', status_reason = 'returned by the payee''s bank: account closed',
                         return_entry_id = ?, updated_at = ? WHERE id = ?",
                )
                .bind(&entry)
                .bind(now.as_second())
                .bind(&id)
                .execute(&mut *tx)
                .await?;
                sqlx::query("UPDATE outbound_queue SET status = 'returned', updated_at = ? WHERE payment_id = ?")
                    .bind(now.as_second())
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
                returned += 1;
            } else {
                sqlx::query(
                    "UPDATE payments SET status = 'AcceptedSettlementCompleted', updated_at = ? WHERE id = ?",
                )
                .bind(now.as_second())
                .bind(&id)
                .execute(&mut *tx)
                .await?;
                sqlx::query("UPDATE outbound_queue SET status = 'settled', updated_at = ? WHERE payment_id = ?")
                    .bind(now.as_second())
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
                settled += 1;
            }
            tx.commit().await?;
        }
    }

    /// The recovery pass run at start (and safe at any time): rejects
    /// consents whose code or window lapsed, and brings every queued
    /// external payment to its final state.
    pub async fn recover_payments(&self) -> Result<RecoveryReport, PaymentError> {
        let now = self.now().as_second();
        let expired = {
            let _gate = self.store().write_gate().await;
            let a = sqlx::query(
                "UPDATE payment_consents SET status = 'Rejected', status_reason = 'one-time code expired', otp_hash = NULL, updated_at = ?
                 WHERE status = 'AwaitingAuthorisation' AND (otp_expires_at IS NULL OR otp_expires_at <= ?)",
            )
            .bind(now)
            .bind(now)
            .execute(self.store().pool())
            .await?
            .rows_affected();
            let b = sqlx::query(
                "UPDATE payment_consents SET status = 'Rejected', status_reason = 'consent expired', updated_at = ?
                 WHERE status = 'Authorised' AND expires_at <= ?",
            )
            .bind(now)
            .bind(now)
            .execute(self.store().pool())
            .await?
            .rows_affected();
            a + b
        };
        let (settled, returned) = self.settle_outbound().await?;
        if expired + settled + returned > 0 {
            tracing::info!(expired, settled, returned, "payments recovered");
        }
        Ok(RecoveryReport {
            consents_expired: expired,
            settled,
            returned,
        })
    }
}

async fn submit_in(
    conn: &mut SqliteConnection,
    client: &str,
    body: &serde_json::Value,
    now: Timestamp,
) -> Result<PaymentData, PaymentError> {
    let request: PaymentRequest = serde_json::from_value(body.clone())
        .map_err(|e| PaymentError::BadRequest(e.to_string()))?;
    let consent_id = &request.data.consent_id;
    let r = sqlx::query(
        "SELECT customer_id, debtor_account_id, creditor_account_id, amount_minor, fee_minor, currency, status,
                expires_at, creditor_name, reference
         FROM payment_consents WHERE id = ? AND client_id = ?",
    )
    .bind(consent_id)
    .bind(client)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(PaymentError::ConsentNotFound)?;
    let status: String = r.get("status");
    if status != "Authorised" {
        return Err(PaymentError::ConsentState(status));
    }
    if now.as_second() >= r.get::<i64, _>("expires_at") {
        return Err(PaymentError::ConsentExpired);
    }
    let customer: String = r.get("customer_id");
    let debtor: String = r.get("debtor_account_id");
    let creditor: Option<String> = r.get("creditor_account_id");
    let creditor_name: String = r.get("creditor_name");
    let reference: String = r.get("reference");
    let currency = Currency::new(r.get::<&str, _>("currency")).map_err(corrupt)?;
    let amount = Money::from_minor(r.get("amount_minor"), currency);
    let fee = Money::from_minor(r.get("fee_minor"), currency);
    check_limits(amount, paid_today(conn, &customer, currency, now).await?)?;
    let total = amount.checked_add(fee).map_err(|_| LedgerError::Overflow)?;
    ensure_funds(conn, &debtor, total).await?;

    let id = format!("pmt_{}", anumati_wire::html::random_token());
    let entry = format!("je_{id}");
    let description = if reference.is_empty() {
        format!("Payment to {creditor_name}")
    } else {
        format!("Payment to {creditor_name}: {reference}")
    };
    let neg = |m: Money| m.checked_neg().map_err(|_| LedgerError::Overflow);
    let payer_name: String = sqlx::query_scalar("SELECT name FROM customers WHERE id = ?")
        .bind(&customer)
        .fetch_one(&mut *conn)
        .await?;
    let status = match &creditor {
        Some(to) => {
            post_entry(
                conn,
                &entry,
                EntryKind::Transfer,
                now,
                &[
                    Posting {
                        account: debtor.clone(),
                        amount: neg(amount)?,
                    },
                    Posting {
                        account: to.clone(),
                        amount,
                    },
                ],
            )
            .await?;
            insert_statement_line(
                conn,
                &StatementLine {
                    id: format!("txn_{id}_c"),
                    entry_id: &entry,
                    account: to,
                    at: now,
                    amount,
                    kind: TransactionKind::TransferIn,
                    channel: Channel::Transfer,
                    description: if reference.is_empty() {
                        format!("From {payer_name}")
                    } else {
                        format!("From {payer_name}: {reference}")
                    },
                    counterparty: Some(payer_name.clone()),
                    category: Category::Transfers,
                },
            )
            .await?;
            "AcceptedSettlementCompleted"
        }
        None => {
            let mut postings = vec![
                Posting {
                    account: debtor.clone(),
                    amount: neg(total)?,
                },
                Posting {
                    account: Internal::Clearing.account_id(currency),
                    amount,
                },
            ];
            if !fee.is_zero() {
                postings.push(Posting {
                    account: Internal::Fees.account_id(currency),
                    amount: fee,
                });
            }
            post_entry(conn, &entry, EntryKind::Outbound, now, &postings).await?;
            "AcceptedSettlementInProcess"
        }
    };
    insert_statement_line(
        conn,
        &StatementLine {
            id: format!("txn_{id}_d"),
            entry_id: &entry,
            account: &debtor,
            at: now,
            amount: neg(amount)?,
            kind: TransactionKind::TransferOut,
            channel: Channel::Transfer,
            description: description.clone(),
            counterparty: Some(creditor_name.clone()),
            category: Category::Transfers,
        },
    )
    .await?;
    if !fee.is_zero() {
        insert_statement_line(
            conn,
            &StatementLine {
                id: format!("txn_{id}_f"),
                entry_id: &entry,
                account: &debtor,
                at: now,
                amount: neg(fee)?,
                kind: TransactionKind::TransferOut,
                channel: Channel::Transfer,
                description: format!("Fee: {description}"),
                counterparty: None,
                category: Category::Other,
            },
        )
        .await?;
    }
    sqlx::query(
        "INSERT INTO payments (id, consent_id, client_id, customer_id, debtor_account_id, creditor_account_id,
             amount_minor, fee_minor, currency, status, entry_id, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&id)
    .bind(consent_id)
    .bind(client)
    .bind(&customer)
    .bind(&debtor)
    .bind(&creditor)
    .bind(amount.minor())
    .bind(fee.minor())
    .bind(currency.code())
    .bind(status)
    .bind(&entry)
    .bind(now.as_second())
    .bind(now.as_second())
    .execute(&mut *conn)
    .await?;
    if creditor.is_none() {
        sqlx::query(
            "INSERT INTO outbound_queue (payment_id, status, created_at, updated_at) VALUES (?, 'queued', ?, ?)",
        )
        .bind(&id)
        .bind(now.as_second())
        .bind(now.as_second())
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query(
        "UPDATE payment_consents SET status = 'Consumed', updated_at = ? WHERE id = ? AND status = 'Authorised'",
    )
    .bind(now.as_second())
    .bind(consent_id)
    .execute(&mut *conn)
    .await?;
    tracing::info!(payment = %id, consent = %consent_id, status, "payment executed");
    load_payment(conn, client, &id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        let inr = Currency::INR;
        let zero = Money::zero(inr);
        assert!(check_limits(major(PAYMENT_LIMIT_MAJOR, inr), zero).is_ok());
        assert!(matches!(
            check_limits(
                Money::from_minor(major(PAYMENT_LIMIT_MAJOR, inr).minor() + 1, inr),
                zero
            ),
            Err(PaymentError::OverPaymentLimit(_))
        ));
        let nearly = Money::from_minor(major(DAILY_LIMIT_MAJOR, inr).minor() - 100, inr);
        assert!(check_limits(Money::from_minor(100, inr), nearly).is_ok());
        assert!(matches!(
            check_limits(Money::from_minor(101, inr), nearly),
            Err(PaymentError::OverDailyLimit(left)) if left.minor() == 100
        ));
    }

    #[test]
    fn request_hash_ignores_key_order_but_not_values() {
        let a = serde_json::json!({"Data": {"ConsentId": "x", "B": 1}});
        let b: serde_json::Value =
            serde_json::from_str(r#"{"Data":{"B":1,"ConsentId":"x"}}"#).unwrap();
        let c = serde_json::json!({"Data": {"ConsentId": "y", "B": 1}});
        assert_eq!(request_hash("payment", &a), request_hash("payment", &b));
        assert_ne!(request_hash("payment", &a), request_hash("payment", &c));
        assert_ne!(request_hash("payment", &a), request_hash("consent", &a));
    }

    #[test]
    fn codes_hash_with_salt_and_consent() {
        let h = otp_hash("s", "pdc_1", "123456");
        assert_eq!(h, otp_hash("s", "pdc_1", "123456"));
        assert_ne!(h, otp_hash("t", "pdc_1", "123456"));
        assert_ne!(h, otp_hash("s", "pdc_2", "123456"));
        assert_ne!(h, otp_hash("s", "pdc_1", "123457"));
        assert!(!h.contains("123456"));
    }
}
