//! The payment routes of the bank node's HTTP API (see [`crate::payments`]).
//!
//! Who may call what: every `/v1/payments/...` route needs the payment
//! initiator's `x-client-assertion` (a client the bank trusts, see
//! [`BankNode::trust_payment_client`]); a client sees only the consents and
//! payments it created, and its idempotency keys are its own. No payment
//! moves money without the customer's one-time code, which the bank sends to
//! the customer, never to the client. `GET /phone` is the demo's simulated
//! handset and answers only when the node turned it on
//! ([`BankNode::enable_phone_page`]).

use anumati_wire::api::ErrorBody;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use crate::payments::{
    AuthoriseRequest, Beneficiary, ConsentData, ConsentRequest, ConsentResponse, NewBeneficiary,
    PaymentError, PaymentRequest, PaymentResponse,
};
use crate::{BankError, BankNode};

pub(crate) fn routes() -> Router<BankNode> {
    Router::new()
        .route(
            "/v1/payments/domestic-payment-consents",
            post(create_consent),
        )
        .route(
            "/v1/payments/domestic-payment-consents/{consent_id}",
            get(get_consent).delete(cancel_consent),
        )
        .route(
            "/v1/payments/domestic-payment-consents/{consent_id}/authorise",
            post(authorise_consent),
        )
        .route("/v1/payments/domestic-payments", post(submit_payment))
        .route(
            "/v1/payments/domestic-payments/{payment_id}",
            get(get_payment),
        )
        .route(
            "/v1/payments/beneficiaries",
            get(list_beneficiaries).post(add_beneficiary),
        )
        .route("/phone", get(phone))
}

impl IntoResponse for PaymentError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        anumati_wire::api::error_response(status, code, &self, "bank node")
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn client(node: &BankNode, headers: &HeaderMap) -> Result<String, BankError> {
    node.authenticate_payment_client(header(headers, "x-client-assertion"))
}

fn answer(status: u16, body: serde_json::Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(body)).into_response()
}

/// `POST /v1/payments/domestic-payment-consents`: a payment consent for one
/// payment; the bank texts the customer a one-time code. Idempotent by
/// `x-idempotency-key` (per client): the same key and body answer as the
/// first time; the same key with another body is refused (409).
#[utoipa::path(post, path = "/v1/payments/domestic-payment-consents", request_body = ConsentRequest,
    responses((status = 201, body = ConsentResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    params(("x-client-assertion" = String, Header), ("x-idempotency-key" = String, Header)))]
pub(crate) async fn create_consent(
    State(node): State<BankNode>,
    headers: HeaderMap,
    Json(body): Json<serde_json::Value>,
) -> Result<Response, Response> {
    let client = client(&node, &headers).map_err(IntoResponse::into_response)?;
    let (status, body) = node
        .create_consent(&client, header(&headers, "x-idempotency-key"), &body)
        .await
        .map_err(IntoResponse::into_response)?;
    Ok(answer(status, body))
}

/// `GET /v1/payments/domestic-payment-consents/{consent_id}`.
#[utoipa::path(get, path = "/v1/payments/domestic-payment-consents/{consent_id}",
    responses((status = 200, body = ConsentResponse), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    params(("consent_id" = String, Path), ("x-client-assertion" = String, Header)))]
pub(crate) async fn get_consent(
    State(node): State<BankNode>,
    headers: HeaderMap,
    Path(consent_id): Path<String>,
) -> Result<Json<ConsentResponse>, Response> {
    let client = client(&node, &headers).map_err(IntoResponse::into_response)?;
    let data: ConsentData = node
        .consent(&client, &consent_id)
        .await
        .map_err(IntoResponse::into_response)?;
    Ok(Json(ConsentResponse { data }))
}

/// `DELETE /v1/payments/domestic-payment-consents/{consent_id}`: the customer
/// cancelled; an unused consent becomes `Rejected`.
#[utoipa::path(delete, path = "/v1/payments/domestic-payment-consents/{consent_id}",
    responses((status = 200, body = ConsentResponse), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    params(("consent_id" = String, Path), ("x-client-assertion" = String, Header)))]
pub(crate) async fn cancel_consent(
    State(node): State<BankNode>,
    headers: HeaderMap,
    Path(consent_id): Path<String>,
) -> Result<Json<ConsentResponse>, Response> {
    let client = client(&node, &headers).map_err(IntoResponse::into_response)?;
    let data = node
        .cancel_consent(&client, &consent_id)
        .await
        .map_err(IntoResponse::into_response)?;
    Ok(Json(ConsentResponse { data }))
}

/// `POST /v1/payments/domestic-payment-consents/{consent_id}/authorise`: the
/// customer's one-time code. Wrong: 403 `otp_wrong` with the attempts left;
/// the third wrong code (403 `otp_attempts_exhausted`) or an expired code
/// (403 `otp_expired`) rejects the consent.
#[utoipa::path(post, path = "/v1/payments/domestic-payment-consents/{consent_id}/authorise", request_body = AuthoriseRequest,
    responses((status = 200, body = ConsentResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    params(("consent_id" = String, Path), ("x-client-assertion" = String, Header)))]
pub(crate) async fn authorise_consent(
    State(node): State<BankNode>,
    headers: HeaderMap,
    Path(consent_id): Path<String>,
    Json(request): Json<AuthoriseRequest>,
) -> Result<Json<ConsentResponse>, Response> {
    let client = client(&node, &headers).map_err(IntoResponse::into_response)?;
    let data = node
        .authorise_consent(&client, &consent_id, &request.otp)
        .await
        .map_err(IntoResponse::into_response)?;
    Ok(Json(ConsentResponse { data }))
}

/// `POST /v1/payments/domestic-payments`: executes an `Authorised` consent,
/// exactly once. Answered only after the payment is committed. Idempotent by
/// `x-idempotency-key` as the consent route.
#[utoipa::path(post, path = "/v1/payments/domestic-payments", request_body = PaymentRequest,
    responses((status = 201, body = PaymentResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    params(("x-client-assertion" = String, Header), ("x-idempotency-key" = String, Header)))]
pub(crate) async fn submit_payment(
    State(node): State<BankNode>,
    headers: HeaderMap,
    Json(body): Json<serde_json::Value>,
) -> Result<Response, Response> {
    let client = client(&node, &headers).map_err(IntoResponse::into_response)?;
    let (status, body) = node
        .submit_payment(&client, header(&headers, "x-idempotency-key"), &body)
        .await
        .map_err(IntoResponse::into_response)?;
    Ok(answer(status, body))
}

/// `GET /v1/payments/domestic-payments/{payment_id}`.
#[utoipa::path(get, path = "/v1/payments/domestic-payments/{payment_id}",
    responses((status = 200, body = PaymentResponse), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    params(("payment_id" = String, Path), ("x-client-assertion" = String, Header)))]
pub(crate) async fn get_payment(
    State(node): State<BankNode>,
    headers: HeaderMap,
    Path(payment_id): Path<String>,
) -> Result<Json<PaymentResponse>, Response> {
    let client = client(&node, &headers).map_err(IntoResponse::into_response)?;
    let data = node
        .payment(&client, &payment_id)
        .await
        .map_err(IntoResponse::into_response)?;
    Ok(Json(PaymentResponse { data }))
}

#[derive(Deserialize)]
pub(crate) struct CustomerQuery {
    customer_id: String,
}

/// `GET /v1/payments/beneficiaries?customer_id=`: the customer's saved payees,
/// with masked account numbers.
#[utoipa::path(get, path = "/v1/payments/beneficiaries",
    responses((status = 200, body = Vec<Beneficiary>), (status = 401, body = ErrorBody)),
    params(("customer_id" = String, Query), ("x-client-assertion" = String, Header)))]
pub(crate) async fn list_beneficiaries(
    State(node): State<BankNode>,
    headers: HeaderMap,
    Query(q): Query<CustomerQuery>,
) -> Result<Json<Vec<Beneficiary>>, Response> {
    client(&node, &headers).map_err(IntoResponse::into_response)?;
    let list = node
        .store()
        .beneficiaries(&q.customer_id)
        .await
        .map_err(IntoResponse::into_response)?;
    Ok(Json(list))
}

/// `POST /v1/payments/beneficiaries`: saves a payee (address or account number).
#[utoipa::path(post, path = "/v1/payments/beneficiaries", request_body = NewBeneficiary,
    responses((status = 201, body = Beneficiary), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)),
    params(("x-client-assertion" = String, Header)))]
pub(crate) async fn add_beneficiary(
    State(node): State<BankNode>,
    headers: HeaderMap,
    Json(new): Json<NewBeneficiary>,
) -> Result<(StatusCode, Json<Beneficiary>), Response> {
    client(&node, &headers).map_err(IntoResponse::into_response)?;
    let saved = node
        .store()
        .add_beneficiary(&new, node.now())
        .await
        .map_err(IntoResponse::into_response)?;
    Ok((StatusCode::CREATED, Json(saved)))
}

#[derive(Deserialize)]
pub(crate) struct PhoneQuery {
    login: Option<String>,
}

/// `GET /phone?login=`: the demo's simulated handset, listing the SMS the
/// bank sent to that customer (one-time codes included). 404 unless the
/// node turned it on.
pub(crate) async fn phone(State(node): State<BankNode>, Query(q): Query<PhoneQuery>) -> Response {
    use anumati_wire::html::{esc, page};
    if !node.phone_page_enabled() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let form = format!(
        "<form method=\"get\"><label>Customer login <input name=\"login\" value=\"{}\"></label> <button>Show messages</button></form>",
        esc(q.login.as_deref().unwrap_or(""))
    );
    let Some(login) = q.login.filter(|l| !l.is_empty() && l.len() <= 256) else {
        return Html(page("Phone", &format!("<h1>Phone</h1>{form}"))).into_response();
    };
    let customer = match node.store().customer_by_login(&login).await {
        Ok(Some((customer, _))) => customer,
        Ok(None) => {
            return Html(page(
                "Phone",
                &format!("<h1>Phone</h1>{form}<p>No such customer.</p>"),
            ))
            .into_response()
        }
        Err(e) => return BankError::from(e).into_response(),
    };
    let messages = match node.store().outbox(customer.id.as_str()).await {
        Ok(m) => m,
        Err(e) => return e.into_response(),
    };
    let mut list = String::from("<ol reversed>");
    for m in messages.iter().rev() {
        list.push_str(&format!(
            "<li><time>{}</time> {}</li>",
            esc(&m.at.to_string()),
            esc(&m.body)
        ));
    }
    list.push_str("</ol>");
    let body = format!(
        "<h1>{}'s phone</h1>{form}<p>Messages from the bank, newest first:</p>{}",
        esc(&customer.name),
        if messages.is_empty() {
            "<p>No messages.</p>".to_owned()
        } else {
            list
        }
    );
    Html(page("Phone", &body)).into_response()
}
