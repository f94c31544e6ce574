//! The customer's approval page: log in with the bank, read what would be
//! shared in plain words, approve or deny.

use std::collections::HashMap;

use anumati_domain::consent::ConsentStatus;
use anumati_domain::ConsentId;
use anumati_wire::html::{cookie, esc, page, random_token};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use jiff::SignedDuration;

use crate::store::{ConsentRecord, PageSession};
use crate::{ConsentError, ConsentManager};

const SESSION_COOKIE: &str = "cm_session";
/// How long a customer has between logging in and deciding.
const SESSION_MINUTES: i64 = 15;

pub fn router() -> Router<ConsentManager> {
    Router::new()
        .route("/consent/{handle}", get(show))
        .route("/consent/{handle}/login", post(login))
        .route("/consent/{handle}/decision", post(decide))
}

fn error_page(status: StatusCode, message: &str) -> Response {
    (
        status,
        Html(page(
            "anumati — consent",
            &format!(
                r#"<h1>Consent</h1><p class="error" id="error">{}</p>"#,
                esc(message)
            ),
        )),
    )
        .into_response()
}

impl From<ConsentError> for Response {
    fn from(e: ConsentError) -> Response {
        let (status, _) = e.status_and_code();
        if status.is_server_error() {
            tracing::error!(error = %e, "approval page failed");
            return error_page(
                status,
                "Something went wrong on our side. Please try again.",
            );
        }
        error_page(status, &e.to_string())
    }
}

async fn record(cm: &ConsentManager, handle: &str) -> Result<ConsentRecord, Response> {
    match cm.store().by_handle(handle).await {
        Ok(Some(r)) => Ok(r),
        Ok(None) => Err(error_page(
            StatusCode::NOT_FOUND,
            "This consent request does not exist.",
        )),
        Err(e) => Err(ConsentError::from(e).into()),
    }
}

fn decided_page(record: &ConsentRecord) -> Response {
    let text = match record.status {
        ConsentStatus::Active => "You approved this consent.",
        ConsentStatus::Rejected => "You denied this consent.",
        ConsentStatus::Revoked => "This consent was revoked.",
        ConsentStatus::Paused => "This consent is paused.",
        ConsentStatus::Expired => "This consent has expired.",
        ConsentStatus::Pending => "This consent is waiting for your decision.",
    };
    Html(page(
        "anumati — consent",
        &format!(r#"<h1>Consent</h1><p id="status">{}</p>"#, esc(text)),
    ))
    .into_response()
}

fn login_form(cm: &ConsentManager, record: &ConsentRecord, error: Option<&str>) -> Response {
    let error = error
        .map(|e| format!(r#"<p class="error" id="error">{}</p>"#, esc(e)))
        .unwrap_or_default();
    let body = format!(
        r#"<h1>{consumer} asks for access to your bank data</h1>
<p>Log in with your bank to see exactly what would be shared. Nothing is shared until you approve.</p>{error}
<form method="post" action="{action}" class="card">
<label for="login">Bank login</label><input type="text" id="login" name="login" autocomplete="username" required>
<label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit" id="cm-login-submit">Log in</button></form>"#,
        consumer = esc(&record.consumer_id),
        action = esc(&format!(
            "{}/consent/{}/login",
            cm.public_prefix(),
            record.handle
        )),
    );
    Html(page("anumati — log in", &body)).into_response()
}

/// `GET /consent/{handle}`: the login form, or the decision page once logged in.
async fn show(
    State(cm): State<ConsentManager>,
    Path(handle): Path<String>,
    headers: HeaderMap,
) -> Response {
    let record = match record(&cm, &handle).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    if record.status != ConsentStatus::Pending {
        return decided_page(&record);
    }
    let session = match cookie(&headers, SESSION_COOKIE) {
        Some(token) => cm
            .store()
            .session(token, &handle, cm.now())
            .await
            .unwrap_or(None),
        None => None,
    };
    let Some(session) = session else {
        return login_form(&cm, &record, None);
    };
    let all: Vec<String> = session
        .customer
        .accounts
        .iter()
        .map(|a| a.id.clone())
        .collect();
    let draft = match cm.draft_artefact(
        &record.consumer_id,
        &record.request,
        &session.customer,
        &all,
        ConsentId::new("draft"),
    ) {
        Ok(d) => d,
        Err(e) => return e.into(),
    };
    let summary: String = draft
        .plain_summary()
        .iter()
        .filter(|line| !line.starts_with("Which accounts"))
        .map(|line| format!("<li>{}</li>", esc(line)))
        .collect();
    let accounts: String = session
        .customer
        .accounts
        .iter()
        .map(|a| {
            format!(
                r#"<label><input type="checkbox" class="account" name="account:{id}" checked> {kind} {masked} ({cur})</label>"#,
                id = esc(&a.id),
                kind = esc(a.kind.label()),
                masked = esc(&a.masked_number),
                cur = esc(&a.currency)
            )
        })
        .collect();
    let body = format!(
        r#"<h1>Share your bank data with {consumer}?</h1>
<p>Hello {name}. If you approve, this is exactly what {consumer} may see:</p>
<ul id="summary">{summary}</ul>
<form method="post" action="{action}" class="card">
<input type="hidden" name="csrf" value="{csrf}">
<p><strong>Which accounts</strong></p>{accounts}
<p>You can revoke this at any time from the chat.</p>
<button type="submit" name="decision" value="approve" id="approve">Approve</button>
<button type="submit" name="decision" value="deny" id="deny" class="secondary">Deny</button>
</form>"#,
        consumer = esc(&record.consumer_id),
        name = esc(&session.customer.name),
        action = esc(&format!(
            "{}/consent/{}/decision",
            cm.public_prefix(),
            handle
        )),
        csrf = esc(&session.csrf),
    );
    Html(page("anumati — approve sharing", &body)).into_response()
}

/// Longest credential the page accepts; longer is refused without asking the bank.
const CREDENTIAL_BYTES_MAX: usize = 256;

/// `POST /consent/{handle}/login`: the bank checks the customer's credentials.
async fn login(
    State(cm): State<ConsentManager>,
    Path(handle): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let record = match record(&cm, &handle).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    if record.status != ConsentStatus::Pending {
        return decided_page(&record);
    }
    let login = form.get("login").map(String::as_str).unwrap_or("").trim();
    let password = form.get("password").map(String::as_str).unwrap_or("");
    if login.is_empty()
        || password.is_empty()
        || login.len() > CREDENTIAL_BYTES_MAX
        || password.len() > CREDENTIAL_BYTES_MAX
    {
        return login_form(&cm, &record, Some("Enter your bank login and password."));
    }
    let customer = match cm.authenticate_customer(login, password).await {
        Ok(c) => c,
        Err(ConsentError::BadCredentials) => {
            return login_form(&cm, &record, Some("That login or password is wrong."))
        }
        Err(e) => return e.into(),
    };
    if customer.login != record.customer {
        return login_form(&cm, &record, Some("This request is for another customer. Log in as the customer who asked in the chat."));
    }
    let token = random_token();
    let session = PageSession {
        handle: handle.clone(),
        customer,
        csrf: random_token(),
        expires_at: cm.now() + SignedDuration::from_mins(SESSION_MINUTES),
    };
    if let Err(e) = cm.store().create_session(&token, &session).await {
        return ConsentError::from(e).into();
    }
    let cookie = format!(
        "{SESSION_COOKIE}={token}; Path={}/consent; HttpOnly; SameSite=Lax; Max-Age={}",
        cm.public_prefix(),
        SESSION_MINUTES * 60
    );
    (
        StatusCode::SEE_OTHER,
        [
            (header::SET_COOKIE, cookie),
            (header::LOCATION, cm.approval_path(&handle)),
        ],
    )
        .into_response()
}

/// `POST /consent/{handle}/decision`: approve (with the chosen accounts) or deny.
async fn decide(
    State(cm): State<ConsentManager>,
    Path(handle): Path<String>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let Some(token) = cookie(&headers, SESSION_COOKIE) else {
        return error_page(
            StatusCode::UNAUTHORIZED,
            "Your session has ended. Open the link from the chat again.",
        );
    };
    let session = match cm.store().session(token, &handle, cm.now()).await {
        Ok(Some(s)) => s,
        Ok(None) => {
            return error_page(
                StatusCode::UNAUTHORIZED,
                "Your session has ended. Open the link from the chat again.",
            )
        }
        Err(e) => return ConsentError::from(e).into(),
    };
    if form.get("csrf") != Some(&session.csrf) {
        return error_page(
            StatusCode::FORBIDDEN,
            "This form has expired. Open the link from the chat again.",
        );
    }
    let approve = match form.get("decision").map(String::as_str) {
        Some("approve") => true,
        Some("deny") => false,
        _ => return error_page(StatusCode::BAD_REQUEST, "Choose approve or deny."),
    };
    let accounts: Vec<String> = form
        .keys()
        .filter_map(|k| k.strip_prefix("account:"))
        .map(str::to_owned)
        .collect();
    let record = match cm
        .decide(&handle, &session.customer, &accounts, approve)
        .await
    {
        Ok(r) => r,
        Err(e) => return e.into(),
    };
    let _ = cm.store().end_session(token).await;
    let separator = if record.request.redirect_uri.contains('?') {
        '&'
    } else {
        '?'
    };
    let target = format!(
        "{}{separator}handle={}&status={}",
        record.request.redirect_uri,
        record.handle,
        record.status.as_str()
    );
    Redirect::to(&target).into_response()
}
