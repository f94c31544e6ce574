//! The consent manager's HTTP API for data users and banks. Mounted under
//! `/cm`; the OpenAPI document is at `/cm/openapi.json`.
//!
//! Data-user routes need `x-client-id` and `x-client-assertion` (a short-lived
//! JWS signed with the data user's registered Ed25519 key).

use anumati_domain::consent::ConsentStatus;
use anumati_wire::api::ErrorBody;
use anumati_wire::jws::PublicJwk;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::{ConsentError, ConsentManager, ConsentRequest};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "anumati consent manager",
        description = "Consent requests, signed artefacts, revocation."
    ),
    paths(
        jwks,
        create_consent,
        get_consent,
        revoke_consent,
        pause_consent,
        resume_consent,
        customer_log,
        latest_head,
        inclusion_proof,
        consistency_proof,
        fi_fetch,
        lock_cards,
        payees,
        streams,
        erased,
        crate::identity::create,
        crate::identity::read
    ),
    components(schemas(
        crate::FetchRequest,
        crate::CardLockRequest,
        crate::ConsentRef,
        ConsentRequest,
        CreatedConsent,
        ConsentView,
        Jwks,
        ErrorBody,
        anumati_wire::api::ErrorDetail,
        CustomerLog,
        crate::log::LogEntry,
        crate::log::SignedTreeHead,
        crate::identity::IdentityRequest,
        crate::identity::CreatedIdentityRequest,
        crate::identity::IdentityView
    ))
)]
pub struct ApiDoc;

pub fn router(cm: ConsentManager) -> Router {
    Router::new()
        .route("/.well-known/jwks.json", get(jwks))
        .route("/v1/consents", post(create_consent))
        .route("/v1/consents/{handle}", get(get_consent))
        .route("/v1/consents/{consent_id}/revoke", post(revoke_consent))
        .route("/v1/consents/{consent_id}/pause", post(pause_consent))
        .route("/v1/consents/{consent_id}/resume", post(resume_consent))
        .route("/v1/consents/{consent_id}/log", get(customer_log))
        .route("/v1/fi/fetch", post(fi_fetch))
        .route("/v1/cards/lock", post(lock_cards))
        .route("/v1/payees", post(payees))
        .route("/v1/streams", post(streams))
        .route("/v1/consents/{consent_id}/erased", post(erased))
        .route("/v1/log/sth", get(latest_head))
        .route("/v1/log/proof", get(inclusion_proof))
        .route("/v1/log/consistency", get(consistency_proof))
        .route("/openapi.json", get(|| async { Json(ApiDoc::openapi()) }))
        .merge(crate::pages::router())
        .merge(crate::identity::api_routes())
        .merge(crate::identity::page_routes())
        .with_state(cm)
}

impl ConsentError {
    pub(crate) fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ConsentError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            ConsentError::NotYours => (StatusCode::FORBIDDEN, "not_yours"),
            ConsentError::WrongStatus(..) => (StatusCode::CONFLICT, "wrong_status"),
            ConsentError::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            ConsentError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ConsentError::BadCredentials => (StatusCode::UNAUTHORIZED, "bad_credentials"),
            ConsentError::Bank(_) => (StatusCode::BAD_GATEWAY, "bank_unavailable"),
            ConsentError::Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for ConsentError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        anumati_wire::api::error_response(status, code, &self, "consent manager")
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

pub(crate) async fn consumer(
    cm: &ConsentManager,
    headers: &HeaderMap,
) -> Result<String, ConsentError> {
    cm.authenticate_consumer(
        header(headers, "x-client-id"),
        header(headers, "x-client-assertion"),
    )
    .await
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct Jwks {
    #[schema(value_type = Vec<Object>)]
    pub keys: Vec<PublicJwk>,
}

/// `GET /.well-known/jwks.json`: the keys consent artefacts are signed with.
#[utoipa::path(get, path = "/.well-known/jwks.json", responses((status = 200, body = Jwks)))]
async fn jwks(State(cm): State<ConsentManager>) -> Json<Jwks> {
    Json(Jwks {
        keys: vec![cm.public_jwk()],
    })
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct CreatedConsent {
    pub handle: String,
    /// Where to send the customer's browser to decide.
    pub approval_url: String,
}

/// `POST /v1/consents`: a data user asks for a consent.
#[utoipa::path(post, path = "/v1/consents", request_body = ConsentRequest, responses(
    (status = 201, body = CreatedConsent), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    params(("x-client-id" = String, Header), ("x-client-assertion" = String, Header)))]
async fn create_consent(
    State(cm): State<ConsentManager>,
    headers: HeaderMap,
    Json(request): Json<ConsentRequest>,
) -> Result<(StatusCode, Json<CreatedConsent>), ConsentError> {
    let consumer_id = consumer(&cm, &headers).await?;
    let handle = cm.request(&consumer_id, &request).await?;
    let approval_url = cm.approval_path(&handle);
    Ok((
        StatusCode::CREATED,
        Json(CreatedConsent {
            handle,
            approval_url,
        }),
    ))
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct ConsentView {
    pub handle: String,
    pub status: String,
    pub consent_id: Option<String>,
    /// The signed artefact (compact JWS), once approved.
    pub artefact: Option<String>,
}

/// `GET /v1/consents/{handle}`: status and, once approved, the signed artefact.
#[utoipa::path(get, path = "/v1/consents/{handle}", responses(
    (status = 200, body = ConsentView), (status = 404, body = ErrorBody)),
    params(("handle" = String, Path), ("x-client-id" = String, Header), ("x-client-assertion" = String, Header)))]
async fn get_consent(
    State(cm): State<ConsentManager>,
    Path(handle): Path<String>,
    headers: HeaderMap,
) -> Result<Json<ConsentView>, ConsentError> {
    let consumer_id = consumer(&cm, &headers).await?;
    let record = cm
        .store()
        .by_handle(&handle)
        .await?
        .ok_or(ConsentError::NotFound)?;
    if record.consumer_id != consumer_id {
        // Someone else's consent looks exactly like one that does not exist.
        return Err(ConsentError::NotFound);
    }
    Ok(Json(ConsentView {
        handle: record.handle,
        status: record.status.as_str().to_owned(),
        consent_id: record.consent_id,
        artefact: record.artefact,
    }))
}

async fn change(
    cm: ConsentManager,
    headers: HeaderMap,
    consent_id: String,
    status: ConsentStatus,
) -> Result<StatusCode, ConsentError> {
    let consumer_id = consumer(&cm, &headers).await?;
    match cm.set_status(&consumer_id, &consent_id, status).await {
        Err(ConsentError::NotYours) => Err(ConsentError::NotFound),
        other => other.map(|()| StatusCode::NO_CONTENT),
    }
}

/// `POST /v1/consents/{consent_id}/revoke`: ends a consent for good, on the customer's word.
#[utoipa::path(post, path = "/v1/consents/{consent_id}/revoke", responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    params(("consent_id" = String, Path), ("x-client-id" = String, Header), ("x-client-assertion" = String, Header)))]
async fn revoke_consent(
    State(cm): State<ConsentManager>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ConsentError> {
    change(cm, headers, id, ConsentStatus::Revoked).await
}

/// `POST /v1/consents/{consent_id}/pause`: stops sharing until resumed.
#[utoipa::path(post, path = "/v1/consents/{consent_id}/pause", responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    params(("consent_id" = String, Path), ("x-client-id" = String, Header), ("x-client-assertion" = String, Header)))]
async fn pause_consent(
    State(cm): State<ConsentManager>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ConsentError> {
    change(cm, headers, id, ConsentStatus::Paused).await
}

/// `POST /v1/consents/{consent_id}/resume`: resumes a paused consent.
#[utoipa::path(post, path = "/v1/consents/{consent_id}/resume", responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    params(("consent_id" = String, Path), ("x-client-id" = String, Header), ("x-client-assertion" = String, Header)))]
async fn resume_consent(
    State(cm): State<ConsentManager>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ConsentError> {
    change(cm, headers, id, ConsentStatus::Active).await
}

impl From<crate::log::LogError> for ConsentError {
    fn from(e: crate::log::LogError) -> Self {
        match e {
            crate::log::LogError::BadRequest(m) => ConsentError::BadRequest(m),
            crate::log::LogError::Store(s) => ConsentError::Store(s),
        }
    }
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct CustomerLog {
    pub entries: Vec<crate::log::LogEntry>,
    /// The newest signed tree head; every entry listed is covered by it.
    pub head: Option<crate::log::SignedTreeHead>,
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct LogQuery {
    /// Only entries at or after this time (RFC 3339).
    pub since: Option<String>,
    /// At most this many entries, newest first (default 50, at most 500).
    pub limit: Option<u32>,
}

/// `GET /v1/consents/{consent_id}/log`: the access log about this consent's customer,
/// for the data user that holds the consent (to show the customer "who saw my data").
#[utoipa::path(get, path = "/v1/consents/{consent_id}/log", responses((status = 200, body = CustomerLog), (status = 404, body = ErrorBody)),
    params(("consent_id" = String, Path), LogQuery, ("x-client-id" = String, Header), ("x-client-assertion" = String, Header)))]
async fn customer_log(
    State(cm): State<ConsentManager>,
    Path(consent_id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<LogQuery>,
    headers: HeaderMap,
) -> Result<Json<CustomerLog>, ConsentError> {
    let consumer_id = consumer(&cm, &headers).await?;
    let record = cm
        .store()
        .by_consent_id(&consent_id)
        .await?
        .ok_or(ConsentError::NotFound)?;
    if record.consumer_id != consumer_id {
        return Err(ConsentError::NotFound);
    }
    let customer = record.customer_id.ok_or(ConsentError::NotFound)?;
    let since = match q.since.as_deref() {
        Some(s) => s
            .parse()
            .map_err(|_| ConsentError::BadRequest(format!("since: not an RFC 3339 time: {s:?}")))?,
        None => jiff::Timestamp::UNIX_EPOCH,
    };
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let entries = cm.log().of_customer(&customer, since, limit).await?;
    let head = cm.log().latest_head().await?;
    Ok(Json(CustomerLog { entries, head }))
}

/// `GET /v1/log/sth`: the newest signed tree head. Public: it holds only hashes.
#[utoipa::path(get, path = "/v1/log/sth", responses((status = 200, body = crate::log::SignedTreeHead), (status = 404, body = ErrorBody)))]
async fn latest_head(
    State(cm): State<ConsentManager>,
) -> Result<Json<crate::log::SignedTreeHead>, ConsentError> {
    cm.log()
        .latest_head()
        .await?
        .map(Json)
        .ok_or(ConsentError::NotFound)
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ProofQuery {
    pub idx: u64,
    pub tree_size: u64,
}

/// `GET /v1/log/proof?idx=&tree_size=`: inclusion proof of an entry (RFC 6962 PATH). Public.
#[utoipa::path(get, path = "/v1/log/proof", params(ProofQuery), responses((status = 200, body = Object), (status = 400, body = ErrorBody)))]
async fn inclusion_proof(
    State(cm): State<ConsentManager>,
    axum::extract::Query(q): axum::extract::Query<ProofQuery>,
) -> Result<Json<anumati_merkle::InclusionProof>, ConsentError> {
    Ok(Json(cm.log().inclusion(q.idx, q.tree_size).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ConsistencyQuery {
    pub first: u64,
    pub second: u64,
}

/// `GET /v1/log/consistency?first=&second=`: consistency proof between two tree sizes (RFC 6962 PROOF). Public.
#[utoipa::path(get, path = "/v1/log/consistency", params(ConsistencyQuery), responses((status = 200, body = Object), (status = 400, body = ErrorBody)))]
async fn consistency_proof(
    State(cm): State<ConsentManager>,
    axum::extract::Query(q): axum::extract::Query<ConsistencyQuery>,
) -> Result<Json<anumati_merkle::ConsistencyProof>, ConsentError> {
    Ok(Json(cm.log().consistency(q.first, q.second).await?))
}

/// `POST /v1/fi/fetch`: relays a data user's FI request to the bank and its
/// encrypted, signed answer back; logs the access, refused or not.
#[utoipa::path(post, path = "/v1/fi/fetch", request_body = crate::FetchRequest, responses(
    (status = 200, description = "the bank's signed answer, relayed untouched", body = Object),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    params(("x-client-id" = String, Header), ("x-client-assertion" = String, Header)))]
async fn fi_fetch(
    State(cm): State<ConsentManager>,
    headers: HeaderMap,
    Json(request): Json<crate::FetchRequest>,
) -> Result<Response, ConsentError> {
    let consumer_id = consumer(&cm, &headers).await?;
    Ok(relayed(cm.relay_fetch(&consumer_id, &request).await?))
}

/// `POST /v1/cards/lock`: relays a data user's card lock (`"lock": true`) or
/// unlock to the bank under an ACTIVE consent it holds, and the bank's answer
/// back (the cards with masked PANs and lock states); logs `card.lock` or
/// `card.unlock`, refused or not.
#[utoipa::path(post, path = "/v1/cards/lock", request_body = crate::CardLockRequest, responses(
    (status = 200, description = "the bank's answer, relayed: `{\"cards\": [{\"card_id\", \"masked_pan\", \"account_id\", \"locked\"}]}`", body = Object),
    (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    params(("x-client-id" = String, Header), ("x-client-assertion" = String, Header)))]
async fn lock_cards(
    State(cm): State<ConsentManager>,
    headers: HeaderMap,
    Json(request): Json<crate::CardLockRequest>,
) -> Result<Response, ConsentError> {
    let consumer_id = consumer(&cm, &headers).await?;
    Ok(relayed(cm.relay_card_lock(&consumer_id, &request).await?))
}

/// The bank's answer to a relayed request, passed on as it came.
fn relayed(answer: anumati_wire::PeerResponse) -> Response {
    (
        answer.status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        answer.body,
    )
        .into_response()
}

/// `POST /v1/payees`: relays a data user's request for the customer's saved
/// payees (the bank's beneficiaries, to resolve "pay Priya") to the bank
/// under an ACTIVE consent it holds, and the bank's answer back; logs
/// `payees.read`, refused or not.
#[utoipa::path(post, path = "/v1/payees", request_body = crate::ConsentRef, responses(
    (status = 200, description = "the bank's answer, relayed: `{\"payees\": [{\"BeneficiaryId\", \"Name\", \"Vpa\", \"MaskedAccount\", \"Internal\"}]}`", body = Object),
    (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    params(("x-client-id" = String, Header), ("x-client-assertion" = String, Header)))]
async fn payees(
    State(cm): State<ConsentManager>,
    headers: HeaderMap,
    Json(request): Json<crate::ConsentRef>,
) -> Result<Response, ConsentError> {
    let consumer_id = consumer(&cm, &headers).await?;
    Ok(relayed(
        cm.relay(&consumer_id, crate::Relay::Payees, &request)
            .await?,
    ))
}

/// `POST /v1/streams`: relays a data user's subscription to the live card
/// events of a STREAM consent it holds (ACTIVE) to the bank, and the bank's
/// answer back; logs `stream.subscribe`, refused or not. The bank refuses a
/// consent in another mode.
#[utoipa::path(post, path = "/v1/streams", request_body = crate::ConsentRef, responses(
    (status = 200, description = "the bank's answer, relayed: `{\"consent_id\", \"accounts\"}`", body = Object),
    (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    params(("x-client-id" = String, Header), ("x-client-assertion" = String, Header)))]
async fn streams(
    State(cm): State<ConsentManager>,
    headers: HeaderMap,
    Json(request): Json<crate::ConsentRef>,
) -> Result<Response, ConsentError> {
    let consumer_id = consumer(&cm, &headers).await?;
    Ok(relayed(
        cm.relay(&consumer_id, crate::Relay::Stream, &request)
            .await?,
    ))
}

/// `POST /v1/consents/{consent_id}/erased`: the data user reports that it erased
/// the customer's data; the erasure is logged.
#[utoipa::path(post, path = "/v1/consents/{consent_id}/erased", responses((status = 204), (status = 404, body = ErrorBody)),
    params(("consent_id" = String, Path), ("x-client-id" = String, Header), ("x-client-assertion" = String, Header)))]
async fn erased(
    State(cm): State<ConsentManager>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ConsentError> {
    let consumer_id = consumer(&cm, &headers).await?;
    cm.record_erasure(&consumer_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
