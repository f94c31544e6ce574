//! The bank node's HTTP API.
//!
//! Data leaves the bank only through `POST /v1/fi/fetch`, called by the
//! consent manager on a data user's behalf with the consent artefact, the
//! purpose and the data user's key material (the Account Aggregator FI
//! request): balances and transactions per consented account, encrypted for
//! the data user, signed by the bank. `POST /v1/cards/lock`, relayed the
//! same way under the same artefact checks, locks or unlocks the consented
//! accounts' cards and answers with their ids, masked PANs and lock states
//! only. Routes for the consent manager need `x-client-assertion`. The
//! payment initiator's routes (`/v1/payments/...`, [`crate::payments_api`])
//! need the initiator's own `x-client-assertion`. The
//! OpenAPI document is served at `/openapi.json` (mounted under `/bank`).

use anumati_domain::{AccountId, AccountKind, CustomerId};
use anumati_wire::api::ErrorBody;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::cards::{CardLockRequest, CardLockResponse, CardLockState};
use crate::fi::{FiRequest, SignedFi};
use crate::{BankError, BankNode};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "anumati bank node",
        description = "Consent-gated account data (data provider) and payment initiation (UK Open Banking-shaped domestic payment consents with a one-time code)."
    ),
    paths(
        jwks,
        fi_fetch,
        lock_cards,
        payees,
        subscribe_stream,
        authorise_card,
        customer_auth,
        consent_notification,
        crate::payments_api::create_consent,
        crate::payments_api::get_consent,
        crate::payments_api::cancel_consent,
        crate::payments_api::authorise_consent,
        crate::payments_api::submit_payment,
        crate::payments_api::get_payment,
        crate::payments_api::list_beneficiaries,
        crate::payments_api::add_beneficiary
    ),
    components(schemas(
        crate::payments::ConsentRequest,
        crate::payments::ConsentRequestData,
        crate::payments::Initiation,
        crate::payments::ObAmount,
        crate::payments::ObAccount,
        crate::payments::ObRemittance,
        crate::payments::ConsentResponse,
        crate::payments::ConsentData,
        crate::payments::Charge,
        crate::payments::CreditorDisplay,
        crate::payments::ScaStatus,
        crate::payments::AuthoriseRequest,
        crate::payments::PaymentRequest,
        crate::payments::PaymentRequestData,
        crate::payments::PaymentResponse,
        crate::payments::PaymentData,
        crate::payments::Beneficiary,
        crate::payments::NewBeneficiary,
        Jwks,
        FiRequest,
        crate::fi::FiRange,
        SignedFi,
        CardLockRequest,
        CardLockResponse,
        CardLockState,
        PayeesRequest,
        PayeesResponse,
        crate::stream::StreamRequest,
        crate::stream::StreamResponse,
        crate::stream::AuthorisationRequest,
        crate::stream::AuthorisationResponse,
        CustomerAuthRequest,
        CustomerAuthResponse,
        LinkableAccount,
        ConsentNotification,
        ErrorBody,
        anumati_wire::api::ErrorDetail
    ))
)]
pub struct ApiDoc;

pub fn router(node: BankNode) -> Router {
    Router::new()
        .route("/.well-known/jwks.json", get(jwks))
        .route("/v1/fi/fetch", post(fi_fetch))
        .route("/v1/cards/lock", post(lock_cards))
        .route("/v1/payees", post(payees))
        .route("/v1/streams", post(subscribe_stream))
        .route("/v1/card-authorisations", post(authorise_card))
        .route("/v1/customer-auth", post(customer_auth))
        .route("/v1/consent-notifications", post(consent_notification))
        .route("/openapi.json", get(|| async { Json(ApiDoc::openapi()) }))
        .merge(crate::payments_api::routes())
        .with_state(node)
}

impl IntoResponse for BankError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            BankError::MissingHeader(_) | BankError::BadRequest(_) => {
                (StatusCode::BAD_REQUEST, "bad_request")
            }
            BankError::BadArtefact(_) => (StatusCode::FORBIDDEN, "consent_invalid"),
            BankError::WrongProvider => (StatusCode::FORBIDDEN, "consent_wrong_provider"),
            BankError::ConsentNotActive(_) => (StatusCode::FORBIDDEN, "consent_not_active"),
            BankError::Refused(_) => (StatusCode::FORBIDDEN, "consent_refused"),
            BankError::WrongMode(_) => (StatusCode::FORBIDDEN, "consent_wrong_mode"),
            BankError::FrequencyExceeded(_) => {
                (StatusCode::TOO_MANY_REQUESTS, "consent_frequency_exceeded")
            }
            BankError::AccountNotFound => (StatusCode::FORBIDDEN, "consent_refused"),
            BankError::Replayed => (StatusCode::FORBIDDEN, "replayed"),
            BankError::BadCredentials => (StatusCode::UNAUTHORIZED, "bad_credentials"),
            BankError::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            BankError::Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        anumati_wire::api::error_response(status, code, &self, "bank node")
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct Jwks {
    #[schema(value_type = Vec<Object>)]
    pub keys: Vec<anumati_wire::jws::PublicJwk>,
}

/// `GET /.well-known/jwks.json`: the key FI responses are signed with.
#[utoipa::path(get, path = "/.well-known/jwks.json", responses((status = 200, body = Jwks)))]
async fn jwks(State(node): State<BankNode>) -> Json<Jwks> {
    Json(Jwks {
        keys: vec![node.public_jwk()],
    })
}

/// `POST /v1/fi/fetch`: financial information under a consent, encrypted for
/// the data user and signed by the bank. Only the consent manager may call it
/// (it relays the data user's request and logs the access).
#[utoipa::path(post, path = "/v1/fi/fetch", request_body = FiRequest, responses(
    (status = 200, body = SignedFi), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 429, body = ErrorBody)),
    params(("x-client-assertion" = String, Header)))]
async fn fi_fetch(
    State(node): State<BankNode>,
    headers: HeaderMap,
    Json(request): Json<FiRequest>,
) -> Result<Json<SignedFi>, BankError> {
    node.authenticate_consent_manager(header(&headers, "x-client-assertion"))?;
    Ok(Json(node.fi_fetch(&request).await?))
}

/// `POST /v1/cards/lock`: locks (`"lock": true`) or unlocks every card on the
/// accounts of a consent, after checking the artefact as for FI (signature,
/// provider, notified status, window; no purpose). Idempotent. Only the
/// consent manager may call it (it relays the data user's request and logs it).
#[utoipa::path(post, path = "/v1/cards/lock", request_body = CardLockRequest, responses(
    (status = 200, body = CardLockResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    params(("x-client-assertion" = String, Header)))]
async fn lock_cards(
    State(node): State<BankNode>,
    headers: HeaderMap,
    Json(request): Json<CardLockRequest>,
) -> Result<Json<CardLockResponse>, BankError> {
    node.authenticate_consent_manager(header(&headers, "x-client-assertion"))?;
    Ok(Json(node.lock_cards(&request).await?))
}

/// What the consent manager forwards for `POST /v1/payees`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PayeesRequest {
    /// The consent artefact (compact JWS by the consent manager).
    pub consent: String,
}

/// The customer's saved payees.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PayeesResponse {
    pub payees: Vec<crate::payments::Beneficiary>,
}

/// `POST /v1/payees`: the saved payees (beneficiaries) of a consent's
/// customer, so that a data user's chat can resolve "pay Priya" before it
/// asks for a payment consent. The artefact is checked as for a card lock
/// (signature, provider, notified status, window; no purpose). Only the
/// consent manager may call it (it relays the data user's request and logs
/// it as `payees.read`). Account numbers leave masked to their last four.
#[utoipa::path(post, path = "/v1/payees", request_body = PayeesRequest, responses(
    (status = 200, body = PayeesResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    params(("x-client-assertion" = String, Header)))]
async fn payees(
    State(node): State<BankNode>,
    headers: HeaderMap,
    Json(request): Json<PayeesRequest>,
) -> Result<Json<PayeesResponse>, Response> {
    node.authenticate_consent_manager(header(&headers, "x-client-assertion"))
        .map_err(IntoResponse::into_response)?;
    let artefact = node
        .verify_artefact(Some(&request.consent), None)
        .await
        .map_err(IntoResponse::into_response)?;
    let payees = node
        .store()
        .beneficiaries(&artefact.customer.id)
        .await
        .map_err(IntoResponse::into_response)?;
    Ok(Json(PayeesResponse { payees }))
}

/// `POST /v1/streams`: subscribes the data user of a STREAM consent to the
/// card events of its accounts (see [`crate::stream`]). The artefact is
/// checked as for data and must be in STREAM mode. Only the consent manager
/// may call it (it relays the data user's request and logs it).
#[utoipa::path(post, path = "/v1/streams", request_body = crate::stream::StreamRequest, responses(
    (status = 200, body = crate::stream::StreamResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    params(("x-client-assertion" = String, Header)))]
async fn subscribe_stream(
    State(node): State<BankNode>,
    headers: HeaderMap,
    Json(request): Json<crate::stream::StreamRequest>,
) -> Result<Json<crate::stream::StreamResponse>, BankError> {
    node.authenticate_consent_manager(header(&headers, "x-client-assertion"))?;
    Ok(Json(node.subscribe_stream(&request).await?))
}

/// `POST /v1/card-authorisations`: a card network asks whether a card
/// payment may go ahead. Declined for an unknown or locked card, or one
/// whose account cannot afford it; otherwise the money is held. Either way
/// the event goes to the data users holding a STREAM consent on the account.
#[utoipa::path(post, path = "/v1/card-authorisations", request_body = crate::stream::AuthorisationRequest, responses(
    (status = 200, body = crate::stream::AuthorisationResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    params(("x-client-assertion" = String, Header)))]
async fn authorise_card(
    State(node): State<BankNode>,
    headers: HeaderMap,
    Json(request): Json<crate::stream::AuthorisationRequest>,
) -> Result<Json<crate::stream::AuthorisationResponse>, BankError> {
    node.authenticate_card_network(header(&headers, "x-client-assertion"))?;
    Ok(Json(node.authorise(&request).await?))
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
    Ok(Json(CustomerAuthResponse {
        customer_id: customer.id,
        name: customer.name,
        accounts,
    }))
}

/// Checks a password against an argon2 PHC string.
pub fn verify_password(password: &str, phc: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    match PasswordHash::new(phc) {
        Ok(parsed) => argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
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
        return Err(BankError::BadRequest(format!(
            "unknown status {:?}",
            notice.status
        )));
    }
    node.store()
        .record_consent_notice(&notice.consent_id, &notice.status, notice.at)
        .await?;
    if let Some(status) = anumati_domain::consent::ConsentStatus::parse(&notice.status) {
        node.stream_status(&notice.consent_id, status);
    }
    tracing::info!(consent = %notice.consent_id, status = %notice.status, "consent status notified");
    Ok(StatusCode::NO_CONTENT)
}
