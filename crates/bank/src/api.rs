//! The bank node's HTTP API, shaped after UK Open Banking's Read API
//! (`/accounts`, `/accounts/{id}/balances`, `/accounts/{id}/transactions`).
//!
//! Data routes need two headers: `x-consent` (the compact JWS artefact signed by
//! the consent manager) and `x-purpose` (the ReBIT purpose code the caller
//! asks under). Routes for the consent manager need `x-client-assertion`.
//! The OpenAPI document is served at `/openapi.json` (mounted under `/bank`).

use anumati_domain::consent::{ConsentArtefact, ConsentType};
use anumati_domain::{Account, AccountId, AccountKind, CustomerId, Money, Transaction};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::{BankError, BankNode};

/// Most transactions one page may hold.
pub const PAGE_LIMIT_MAX: u32 = 500;
const PAGE_LIMIT_DEFAULT: u32 = 50;

#[derive(OpenApi)]
#[openapi(
    info(title = "anumati bank node", description = "Consent-gated account data (data provider)."),
    paths(list_accounts, get_balances, list_transactions, customer_auth, consent_notification),
    components(schemas(AccountsResponse, BalanceResponse, TransactionsResponse, CustomerAuthRequest,
        CustomerAuthResponse, LinkableAccount, ConsentNotification, ErrorBody, ErrorDetail, Account, Transaction))
)]
pub struct ApiDoc;

pub fn router(node: BankNode) -> Router {
    Router::new()
        .route("/v1/accounts", get(list_accounts))
        .route("/v1/accounts/{id}/balances", get(get_balances))
        .route("/v1/accounts/{id}/transactions", get(list_transactions))
        .route("/v1/customer-auth", post(customer_auth))
        .route("/v1/consent-notifications", post(consent_notification))
        .route("/openapi.json", get(|| async { Json(ApiDoc::openapi()) }))
        .with_state(node)
}

#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code.
    pub code: String,
    pub message: String,
}

impl IntoResponse for BankError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            BankError::MissingHeader(_) | BankError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            BankError::BadArtefact(_) => (StatusCode::FORBIDDEN, "consent_invalid"),
            BankError::WrongProvider => (StatusCode::FORBIDDEN, "consent_wrong_provider"),
            BankError::ConsentNotActive(_) => (StatusCode::FORBIDDEN, "consent_not_active"),
            BankError::Refused(_) => (StatusCode::FORBIDDEN, "consent_refused"),
            BankError::FrequencyExceeded(_) => (StatusCode::TOO_MANY_REQUESTS, "consent_frequency_exceeded"),
            BankError::AccountNotFound => (StatusCode::FORBIDDEN, "consent_refused"),
            BankError::BadCredentials => (StatusCode::UNAUTHORIZED, "bad_credentials"),
            BankError::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            BankError::Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        if status.is_server_error() {
            tracing::error!(error = %self, "bank node request failed");
        } else {
            tracing::warn!(code, reason = %self, "bank node refused a request");
        }
        let message = if status.is_server_error() { "internal error".to_owned() } else { self.to_string() };
        (status, Json(ErrorBody { error: ErrorDetail { code: code.to_owned(), message } })).into_response()
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct AccountsResponse {
    pub accounts: Vec<Account>,
}

/// `GET /v1/accounts`: the consented accounts of the consent's customer.
#[utoipa::path(get, path = "/v1/accounts", responses(
    (status = 200, body = AccountsResponse), (status = 403, body = ErrorBody)),
    params(("x-consent" = String, Header), ("x-purpose" = String, Header)))]
async fn list_accounts(State(node): State<BankNode>, headers: HeaderMap) -> Result<Json<AccountsResponse>, BankError> {
    let artefact = node
        .verify_artefact(header(&headers, "x-consent"), header(&headers, "x-purpose"))
        .await?;
    if !artefact.consent_types.contains(&ConsentType::Summary) {
        return Err(anumati_domain::consent::ConsentRefusal::KindNotCovered(ConsentType::Summary).into());
    }
    let accounts = node
        .store()
        .accounts_of(&CustomerId::new(artefact.customer.id.clone()))
        .await?
        .into_iter()
        .filter(|a| artefact.accounts.iter().any(|c| c.link_ref_number == a.id))
        .collect();
    Ok(Json(AccountsResponse { accounts }))
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct BalanceResponse {
    pub account_id: AccountId,
    /// Sum of everything booked.
    pub booked: Money,
    /// What can be spent now: booked plus the credit or overdraft limit.
    pub available: Money,
    #[schema(value_type = String, format = DateTime)]
    pub as_of: Timestamp,
}

/// `GET /v1/accounts/{id}/balances`: booked and available balance.
#[utoipa::path(get, path = "/v1/accounts/{id}/balances", responses(
    (status = 200, body = BalanceResponse), (status = 403, body = ErrorBody)),
    params(("id" = String, Path), ("x-consent" = String, Header), ("x-purpose" = String, Header)))]
async fn get_balances(
    State(node): State<BankNode>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<BalanceResponse>, BankError> {
    let account_id = AccountId::new(id);
    let (_, account) = node
        .authorise(header(&headers, "x-consent"), header(&headers, "x-purpose"), &account_id, ConsentType::Summary, None)
        .await?;
    let booked = node.store().booked_balance(&account).await?;
    let available = booked
        .checked_add(account.limit)
        .map_err(|e| BankError::BadRequest(e.to_string()))?;
    Ok(Json(BalanceResponse { account_id, booked, available, as_of: node.now() }))
}

#[derive(Deserialize, IntoParams)]
pub struct TransactionQuery {
    /// Earliest booking time (RFC 3339); defaults to the consent's range start.
    pub from: Option<String>,
    /// Latest booking time (RFC 3339); defaults to now, within the consent's range.
    pub to: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct TransactionsResponse {
    pub transactions: Vec<Transaction>,
    pub next_cursor: Option<String>,
}

fn parse_time(s: &str, field: &str) -> Result<Timestamp, BankError> {
    if let Ok(t) = s.parse::<Timestamp>() {
        return Ok(t);
    }
    s.parse::<jiff::civil::Date>()
        .ok()
        .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| z.timestamp())
        .ok_or_else(|| BankError::BadRequest(format!("{field}: expected an RFC 3339 time or YYYY-MM-DD date, got {s:?}")))
}

/// `GET /v1/accounts/{id}/transactions`: newest first, paginated, filterable by date.
#[utoipa::path(get, path = "/v1/accounts/{id}/transactions", responses(
    (status = 200, body = TransactionsResponse), (status = 403, body = ErrorBody)),
    params(("id" = String, Path), TransactionQuery, ("x-consent" = String, Header), ("x-purpose" = String, Header)))]
async fn list_transactions(
    State(node): State<BankNode>,
    Path(id): Path<String>,
    Query(q): Query<TransactionQuery>,
    headers: HeaderMap,
) -> Result<Json<TransactionsResponse>, BankError> {
    let account_id = AccountId::new(id);
    let limit = q.limit.unwrap_or(PAGE_LIMIT_DEFAULT);
    if limit == 0 || limit > PAGE_LIMIT_MAX {
        return Err(BankError::BadRequest(format!("limit must be 1 to {PAGE_LIMIT_MAX}")));
    }
    let from = q.from.as_deref().map(|s| parse_time(s, "from")).transpose()?;
    let to = q.to.as_deref().map(|s| parse_time(s, "to")).transpose()?;
    // Resolve defaults from the artefact before authorising the exact range asked for.
    let artefact = node
        .verify_artefact(header(&headers, "x-consent"), header(&headers, "x-purpose"))
        .await?;
    let range = (
        from.unwrap_or(artefact.fi_data_range.from),
        to.unwrap_or_else(|| artefact.fi_data_range.to.min(node.now())),
    );
    let (artefact, account) = node
        .authorise(header(&headers, "x-consent"), header(&headers, "x-purpose"), &account_id, ConsentType::Transactions, Some(range))
        .await?;
    let page = node
        .store()
        .transactions(&account, range.0, range.1, limit, q.cursor.as_deref())
        .await?;
    let transactions = page.transactions.into_iter().map(|t| redact(t, &artefact)).collect();
    Ok(Json(TransactionsResponse { transactions, next_cursor: page.next_cursor }))
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

#[derive(Deserialize, ToSchema)]
pub struct CustomerAuthRequest {
    pub login: String,
    pub password: String,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct LinkableAccount {
    pub id: AccountId,
    pub kind: AccountKind,
    pub masked_number: String,
    pub currency: String,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct CustomerAuthResponse {
    pub customer_id: CustomerId,
    pub name: String,
    pub accounts: Vec<LinkableAccount>,
}

/// Longest login or password the bank reads.
const CREDENTIAL_BYTES_MAX: usize = 256;

/// `POST /v1/customer-auth`: the bank authenticates its own customer for the
/// consent manager's approval page and lists the accounts they can link.
#[utoipa::path(post, path = "/v1/customer-auth", request_body = CustomerAuthRequest, responses(
    (status = 200, body = CustomerAuthResponse), (status = 401, body = ErrorBody)),
    params(("x-client-assertion" = String, Header)))]
async fn customer_auth(
    State(node): State<BankNode>,
    headers: HeaderMap,
    Json(req): Json<CustomerAuthRequest>,
) -> Result<Json<CustomerAuthResponse>, BankError> {
    node.authenticate_consent_manager(header(&headers, "x-client-assertion"))?;
    if req.login.len() > CREDENTIAL_BYTES_MAX || req.password.len() > CREDENTIAL_BYTES_MAX {
        return Err(BankError::BadCredentials);
    }
    let Some((customer, hash)) = node.store().customer_by_login(&req.login).await? else {
        return Err(BankError::BadCredentials);
    };
    if !verify_password(&req.password, &hash) {
        return Err(BankError::BadCredentials);
    }
    let accounts = node
        .store()
        .accounts_of(&customer.id)
        .await?
        .into_iter()
        .map(|a| LinkableAccount {
            id: a.id,
            kind: a.kind,
            masked_number: a.masked_number,
            currency: a.currency.code().to_owned(),
        })
        .collect();
    Ok(Json(CustomerAuthResponse { customer_id: customer.id, name: customer.name, accounts }))
}

/// Checks a password against an argon2 PHC string.
pub fn verify_password(password: &str, phc: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    match PasswordHash::new(phc) {
        Ok(parsed) => argon2::Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// Hashes a password into an argon2id PHC string.
pub fn hash_password(password: &str) -> String {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>()).expect("16 bytes encode");
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashes")
        .to_string()
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct ConsentNotification {
    /// Compact JWS by the consent manager over `{"consentId", "status", "at"}`.
    pub notice: String,
}

#[derive(Serialize, Deserialize)]
pub struct ConsentNotice {
    #[serde(rename = "consentId")]
    pub consent_id: String,
    pub status: String,
    pub at: Timestamp,
}

/// `POST /v1/consent-notifications`: the consent manager tells the bank a consent's new status.
#[utoipa::path(post, path = "/v1/consent-notifications", request_body = ConsentNotification, responses(
    (status = 204), (status = 403, body = ErrorBody)))]
async fn consent_notification(
    State(node): State<BankNode>,
    Json(req): Json<ConsentNotification>,
) -> Result<StatusCode, BankError> {
    let notice: ConsentNotice = node.verify_from_consent_manager(&req.notice)?;
    if anumati_domain::consent::ConsentStatus::parse(&notice.status).is_none() {
        return Err(BankError::BadRequest(format!("unknown status {:?}", notice.status)));
    }
    node.store()
        .record_consent_notice(&notice.consent_id, &notice.status, notice.at)
        .await?;
    tracing::info!(consent = %notice.consent_id, status = %notice.status, "consent status notified");
    Ok(StatusCode::NO_CONTENT)
}
