//! Identity requests: how a data user learns which bank customer a chat
//! account belongs to, without trusting anything the chat account says.
//!
//! The chat app files a request (`POST /v1/identity-requests`) and sends the
//! person in the chat a link to this consent manager's page
//! (`GET /link/{handle}`). There they log in **with the bank** (the consent
//! manager asks the bank's `POST /v1/customer-auth`, as for consents); the
//! page sends the browser back to the data user's `redirect_uri` with the
//! handle, and the data user reads the answer once
//! (`GET /v1/identity-requests/{handle}`): the first read of a verified
//! request returns the customer's login and claims it, so a handle cannot be
//! replayed. A request lives 15 minutes. Nothing from the bank's data is
//! shared by this step; the access log records each verification
//! (`identity.verified`).

use std::collections::HashMap;

use anumati_wire::api::ErrorBody;
use anumati_wire::html::{esc, page, random_token};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;

use crate::store::StoreError;
use crate::{log, ConsentError, ConsentManager};

/// How long an identity request can be answered.
pub const IDENTITY_REQUEST_MINUTES: i64 = 15;
const CREDENTIAL_BYTES_MAX: usize = 256;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IdentityRequest {
    /// Where the customer's browser goes after logging in (a path or an
    /// http(s) URL); `?handle=…` is added.
    pub redirect_uri: String,
    /// What is being linked, shown to the customer ("your Telegram chat").
    #[serde(default)]
    pub what: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreatedIdentityRequest {
    pub handle: String,
    /// The page the customer opens to log in with the bank.
    pub login_url: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IdentityView {
    /// `PENDING`, `VERIFIED` (this read claims it), `CLAIMED` or `EXPIRED`.
    pub status: String,
    /// The customer's login, on the one read that claims a verified request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
}

/// One stored identity request.
struct IdentityRow {
    consumer_id: String,
    redirect_uri: String,
    what: String,
    status: String,
    customer: Option<String>,
    expires_at: Timestamp,
}

pub(crate) fn api_routes() -> Router<ConsentManager> {
    Router::new()
        .route("/v1/identity-requests", post(create))
        .route("/v1/identity-requests/{handle}", get(read))
}

pub(crate) fn page_routes() -> Router<ConsentManager> {
    Router::new()
        .route("/link/{handle}", get(show))
        .route("/link/{handle}/login", post(login))
}

async fn load(cm: &ConsentManager, handle: &str) -> Result<Option<IdentityRow>, StoreError> {
    let row = sqlx::query(
        "SELECT consumer_id, redirect_uri, what, status, customer, expires_at FROM identity_requests WHERE handle = ?",
    )
    .bind(handle)
    .fetch_optional(cm.store().pool())
    .await?;
    let Some(r) = row else { return Ok(None) };
    Ok(Some(IdentityRow {
        consumer_id: r.get("consumer_id"),
        redirect_uri: r.get("redirect_uri"),
        what: r.get("what"),
        status: r.get("status"),
        customer: r.get("customer"),
        expires_at: Timestamp::from_second(r.get("expires_at"))
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
    }))
}

/// `POST /v1/identity-requests`: a data user asks who a chat account is.
#[utoipa::path(post, path = "/v1/identity-requests", request_body = IdentityRequest, responses(
    (status = 201, body = CreatedIdentityRequest), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    params(("x-client-id" = String, Header), ("x-client-assertion" = String, Header)))]
pub(crate) async fn create(
    State(cm): State<ConsentManager>,
    headers: HeaderMap,
    Json(req): Json<IdentityRequest>,
) -> Result<(StatusCode, Json<CreatedIdentityRequest>), ConsentError> {
    let consumer_id = crate::api::consumer(&cm, &headers).await?;
    let uri = req.redirect_uri.trim();
    if uri.is_empty()
        || uri.len() > 512
        || uri.contains(['\n', '\r'])
        || !(uri.starts_with('/') || uri.starts_with("http://") || uri.starts_with("https://"))
    {
        return Err(ConsentError::BadRequest(
            "redirect_uri must be a path or an http(s) URL".into(),
        ));
    }
    let what: String = req
        .what
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(80)
        .collect();
    let handle = random_token();
    let now = cm.now();
    sqlx::query(
        "INSERT INTO identity_requests (handle, consumer_id, redirect_uri, what, status, created_at, expires_at) VALUES (?, ?, ?, ?, 'PENDING', ?, ?)",
    )
    .bind(&handle)
    .bind(&consumer_id)
    .bind(uri)
    .bind(&what)
    .bind(now.as_second())
    .bind((now + SignedDuration::from_mins(IDENTITY_REQUEST_MINUTES)).as_second())
    .execute(cm.store().pool())
    .await
    .map_err(StoreError::from)?;
    let login_url = format!("{}/link/{handle}", cm.public_prefix());
    Ok((
        StatusCode::CREATED,
        Json(CreatedIdentityRequest { handle, login_url }),
    ))
}

/// `GET /v1/identity-requests/{handle}`: the answer; the first read of a
/// verified request returns the customer and claims it.
#[utoipa::path(get, path = "/v1/identity-requests/{handle}", responses(
    (status = 200, body = IdentityView), (status = 404, body = ErrorBody)),
    params(("handle" = String, Path), ("x-client-id" = String, Header), ("x-client-assertion" = String, Header)))]
pub(crate) async fn read(
    State(cm): State<ConsentManager>,
    Path(handle): Path<String>,
    headers: HeaderMap,
) -> Result<Json<IdentityView>, ConsentError> {
    let consumer_id = crate::api::consumer(&cm, &headers).await?;
    let row = load(&cm, &handle).await?.ok_or(ConsentError::NotFound)?;
    if row.consumer_id != consumer_id {
        return Err(ConsentError::NotFound);
    }
    if row.status == "VERIFIED" {
        // Claim it: only the read that flips VERIFIED to CLAIMED gets the login.
        let claimed = sqlx::query(
            "UPDATE identity_requests SET status = 'CLAIMED' WHERE handle = ? AND status = 'VERIFIED'",
        )
        .bind(&handle)
        .execute(cm.store().pool())
        .await
        .map_err(StoreError::from)?
        .rows_affected();
        if claimed == 1 {
            return Ok(Json(IdentityView {
                status: "VERIFIED".into(),
                customer: row.customer,
            }));
        }
        return Ok(Json(IdentityView {
            status: "CLAIMED".into(),
            customer: None,
        }));
    }
    let status = if row.status == "PENDING" && cm.now() >= row.expires_at {
        "EXPIRED".to_owned()
    } else {
        row.status
    };
    Ok(Json(IdentityView {
        status,
        customer: None,
    }))
}

fn message_page(status: StatusCode, text: &str) -> Response {
    (
        status,
        Html(page(
            "anumati — link your chat",
            &format!(r#"<h1>Link your chat</h1><p id="status">{}</p>"#, esc(text)),
        )),
    )
        .into_response()
}

fn login_form(
    cm: &ConsentManager,
    handle: &str,
    row: &IdentityRow,
    error: Option<&str>,
) -> Response {
    let error = error
        .map(|e| format!(r#"<p class="error" id="error">{}</p>"#, esc(e)))
        .unwrap_or_default();
    let what = if row.what.is_empty() {
        "a chat account".to_owned()
    } else {
        row.what.clone()
    };
    let body = format!(
        r#"<h1>{consumer} asks to link {what} to your bank login</h1>
<p>Log in with your bank to confirm it is you. This shares none of your bank data: {consumer} learns only your login, and asks separately, with your consent, before it sees anything else.</p>
<p>Only continue if you asked for this link in your own chat yourself. You will get a code to type into that chat.</p>{error}
<form method="post" action="{action}" class="card">
<label for="login">Bank login</label><input type="text" id="login" name="login" autocomplete="username" required>
<label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit" id="link-login-submit">Log in</button></form>"#,
        consumer = esc(&row.consumer_id),
        what = esc(&what),
        action = esc(&format!("{}/link/{handle}/login", cm.public_prefix())),
    );
    Html(page("anumati — link your chat", &body)).into_response()
}

async fn pending(cm: &ConsentManager, handle: &str) -> Result<IdentityRow, Response> {
    let row = match load(cm, handle).await {
        Ok(Some(r)) => r,
        Ok(None) => {
            return Err(message_page(
                StatusCode::NOT_FOUND,
                "This link does not exist.",
            ))
        }
        Err(e) => return Err(ConsentError::from(e).into()),
    };
    if row.status != "PENDING" {
        return Err(message_page(
            StatusCode::CONFLICT,
            "This link has been used already.",
        ));
    }
    if cm.now() >= row.expires_at {
        return Err(message_page(
            StatusCode::GONE,
            "This link has expired. Ask for a new one in your chat.",
        ));
    }
    Ok(row)
}

/// `GET /link/{handle}`: the login form.
async fn show(State(cm): State<ConsentManager>, Path(handle): Path<String>) -> Response {
    match pending(&cm, &handle).await {
        Ok(row) => login_form(&cm, &handle, &row, None),
        Err(resp) => resp,
    }
}

/// `POST /link/{handle}/login`: the bank checks the credentials; the request
/// is marked verified for that customer and the browser goes back to the
/// data user.
async fn login(
    State(cm): State<ConsentManager>,
    Path(handle): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let row = match pending(&cm, &handle).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let login = form.get("login").map(String::as_str).unwrap_or("").trim();
    let password = form.get("password").map(String::as_str).unwrap_or("");
    if login.is_empty()
        || password.is_empty()
        || login.len() > CREDENTIAL_BYTES_MAX
        || password.len() > CREDENTIAL_BYTES_MAX
    {
        return login_form(
            &cm,
            &handle,
            &row,
            Some("Enter your bank login and password."),
        );
    }
    let customer = match cm.authenticate_customer(login, password).await {
        Ok(c) => c,
        Err(ConsentError::BadCredentials) => {
            return login_form(&cm, &handle, &row, Some("That login or password is wrong."))
        }
        Err(e) => return e.into(),
    };
    let updated = sqlx::query(
        "UPDATE identity_requests SET status = 'VERIFIED', customer = ?, customer_id = ? WHERE handle = ? AND status = 'PENDING'",
    )
    .bind(&customer.login)
    .bind(&customer.customer_id)
    .bind(&handle)
    .execute(cm.store().pool())
    .await;
    match updated {
        Ok(r) if r.rows_affected() == 1 => {}
        Ok(_) => return message_page(StatusCode::CONFLICT, "This link has been used already."),
        Err(e) => return ConsentError::from(StoreError::from(e)).into(),
    }
    if let Err(e) = cm
        .record(log::NewEntry {
            event: "identity.verified",
            actor: row.consumer_id.clone(),
            customer: Some(customer.customer_id.clone()),
            ..Default::default()
        })
        .await
    {
        return e.into();
    }
    tracing::info!(consumer = %row.consumer_id, "chat account identity verified");
    let separator = if row.redirect_uri.contains('?') {
        '&'
    } else {
        '?'
    };
    Redirect::to(&format!("{}{separator}handle={handle}", row.redirect_uri)).into_response()
}
