//! The web chat and the chat app's HTTP API.
//!
//! Pages: `GET /` (login, or the chat once logged in), `POST /login`,
//! `POST /logout`, `GET /link` (starts linking the bank), `GET /link/callback`
//! (where the consent manager sends the browser back).
//! API: `POST /api/login`, `POST /api/messages`, `GET /api/events` (server-sent
//! events: messages the app pushes, such as "your bank is linked"),
//! `GET /openapi.json`. The API takes the session cookie or
//! `Authorization: Bearer <token>` from `POST /api/login`.

use std::collections::HashMap;
use std::convert::Infallible;

use anumati_wire::api::ErrorBody;
use anumati_wire::html::{cookie, esc, page, random_token};
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use futures_util::Stream;
use jiff::SignedDuration;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::{AppError, ChatApp, Reply};

const SESSION_COOKIE: &str = "chat_session";
const SESSION_HOURS: i64 = 12;
/// Largest request body: a chat message is at most 2,000 characters.
const BODY_BYTES_MAX: usize = 16 * 1024;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "anumati chat app",
        description = "Web chat API of the chat app (data user)."
    ),
    paths(api_login, api_message, export, consent_notification),
    components(schemas(
        LoginRequest,
        LoginResponse,
        MessageRequest,
        Reply,
        ErrorBody,
        anumati_wire::api::ErrorDetail
    ))
)]
pub struct ApiDoc;

pub fn router(app: ChatApp) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/login", post(login_form))
        .route("/logout", post(logout))
        .route("/link", get(link))
        .route("/link/callback", get(link_callback))
        .route("/api/login", post(api_login))
        .route("/api/messages", post(api_message))
        .route("/api/events", get(events))
        .route("/api/export", get(export))
        .route("/v1/consent-notifications", post(consent_notification))
        .route("/openapi.json", get(|| async { Json(ApiDoc::openapi()) }))
        .layer(DefaultBodyLimit::max(BODY_BYTES_MAX))
        .with_state(app)
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            AppError::UnknownLogin(_) | AppError::BadCredentials => {
                (StatusCode::UNAUTHORIZED, "unauthenticated")
            }
            AppError::MessageTooLong(_) => (StatusCode::PAYLOAD_TOO_LARGE, "message_too_long"),
            AppError::EmptyMessage => (StatusCode::BAD_REQUEST, "empty_message"),
            AppError::UnknownLink => (StatusCode::NOT_FOUND, "unknown_link"),
            AppError::ConsentManager(_) => (StatusCode::BAD_GATEWAY, "consent_manager_unavailable"),
            AppError::Bank(_) => (StatusCode::BAD_GATEWAY, "bank_unavailable"),
            AppError::Store(_) | AppError::Vault(_) | AppError::Corrupt(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        };
        anumati_wire::api::error_response(status, code, &self, "chat app")
    }
}

/// The logged-in user, from the session cookie or a bearer token.
async fn current_user(app: &ChatApp, headers: &HeaderMap) -> Option<String> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let token = bearer.or_else(|| cookie(headers, SESSION_COOKIE))?;
    app.store()
        .session_login(token, app.now())
        .await
        .ok()
        .flatten()
}

async fn new_session(app: &ChatApp, login: &str) -> Result<String, AppError> {
    let token = random_token();
    app.store()
        .create_session(
            &token,
            login,
            app.now() + SignedDuration::from_hours(SESSION_HOURS),
        )
        .await?;
    Ok(token)
}

fn session_cookie(app: &ChatApp, token: &str) -> String {
    let path = if app.inner.public_prefix.is_empty() {
        "/"
    } else {
        app.inner.public_prefix.as_str()
    };
    format!(
        "{SESSION_COOKIE}={token}; Path={path}; HttpOnly; SameSite=Lax; Max-Age={}",
        SESSION_HOURS * 3600
    )
}

fn login_page(error: Option<&str>) -> Response {
    let error = error
        .map(|e| format!(r#"<p class="error" id="error">{}</p>"#, esc(e)))
        .unwrap_or_default();
    let body = format!(
        r#"<h1>anumati chat</h1><p>Banking in chat, with your permission.</p>{error}
<form method="post" action="login" id="login-form" class="card">
<label for="login">Chat login</label><input type="text" id="login" name="login" autocomplete="username" required>
<label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit" id="login-submit">Log in</button></form>"#
    );
    Html(page("anumati chat — log in", &body)).into_response()
}

const CHAT_SCRIPT: &str = r#"
const messages = document.getElementById('messages');
function add(kind, text, r) {
  r = r || {};
  const div = document.createElement('div');
  div.className = 'msg ' + kind;
  if (r.intent) div.dataset.intent = r.intent;
  div.textContent = text;
  if (r.image && r.image.mime === 'image/svg+xml') {
    const img = document.createElement('img');
    img.className = 'chart';
    img.alt = r.image.alt;
    img.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(r.image.data);
    div.appendChild(document.createElement('br')); div.appendChild(img);
  }
  if (r.link) {
    const a = document.createElement('a');
    a.href = r.link;
    a.textContent = r.intent === 'export_data' ? 'Download my data (JSON)' : 'Link my bank';
    a.className = r.intent === 'export_data' ? 'export' : 'link-bank';
    div.appendChild(document.createElement('br')); div.appendChild(a);
  }
  if (r.quick_replies && r.quick_replies.length) {
    const row = document.createElement('div');
    row.className = 'quick-replies';
    for (const q of r.quick_replies) {
      const b = document.createElement('button');
      b.type = 'button'; b.className = 'quick-reply'; b.textContent = q;
      b.addEventListener('click', () => { row.remove(); send(q); });
      row.appendChild(b);
    }
    div.appendChild(row);
  }
  messages.appendChild(div);
  messages.scrollTop = messages.scrollHeight;
}
async function send(text) {
  add('user', text);
  try {
    const res = await fetch('api/messages', {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({text})});
    const body = await res.json();
    if (!res.ok) { add('bot error', body.error ? body.error.message : 'Something went wrong.', {intent: 'error'}); return; }
    add('bot', body.reply, body);
  } catch (err) { add('bot error', 'The chat is unreachable. Try again.', {intent: 'error'}); }
}
document.getElementById('chat-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const input = document.getElementById('message');
  const text = input.value.trim();
  if (!text) return;
  input.value = '';
  send(text);
});
const events = new EventSource('api/events');
events.addEventListener('reply', (e) => { const r = JSON.parse(e.data); add('bot', r.reply, r); });
"#;

fn chat_page(login: &str, linked: bool, notice: Option<&str>) -> Response {
    let greeting = if linked {
        r#"<div class="msg bot" data-intent="greeting">Your bank is linked. Ask me "what's my balance?" or "show my last 5 transactions".</div>"#.to_owned()
    } else {
        r#"<div class="msg bot" data-intent="greeting">To answer questions about your money I need your permission to see your bank data. <a href="link" id="link-bank">Link my bank</a></div>"#.to_owned()
    };
    let notice = notice
        .map(|n| {
            format!(
                r#"<div class="msg bot" data-intent="link_bank">{}</div>"#,
                esc(n)
            )
        })
        .unwrap_or_default();
    let body = format!(
        r#"<h1>anumati chat</h1><p>Logged in as <strong id="who">{login}</strong>.
<form method="post" action="logout" style="display:inline"><button class="secondary" id="logout">Log out</button></form></p>
<div id="messages" class="card" style="height:55vh;overflow-y:auto;white-space:pre-wrap">{greeting}{notice}</div>
<form id="chat-form"><input type="text" id="message" name="text" maxlength="2000" autocomplete="off" placeholder="Ask about your money…" style="width:75%;padding:.5rem">
<button type="submit" id="send">Send</button></form>
<style>.msg{{margin:.4rem 0;padding:.5rem .7rem;border-radius:8px;max-width:85%}} .msg.user{{background:#1d4ed8;color:#fff;margin-left:auto}} .msg.bot{{background:#eef1f5}} .msg.error{{background:#fde8e8}} .msg{{white-space:pre-line}} img.chart{{max-width:100%;height:auto;margin-top:.4rem;border-radius:6px}} .quick-replies{{margin-top:.4rem;display:flex;flex-wrap:wrap;gap:.3rem}} .quick-reply{{border:1px solid #1d4ed8;background:#fff;color:#1d4ed8;border-radius:14px;padding:.2rem .7rem;cursor:pointer}}</style>
<script>{CHAT_SCRIPT}</script>"#,
        login = esc(login),
    );
    Html(page("anumati chat", &body)).into_response()
}

/// `GET /`: the login page, or the chat.
async fn index(
    State(app): State<ChatApp>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(login) = current_user(&app, &headers).await else {
        return login_page(None);
    };
    let linked = matches!(app.store().active_link(&login).await, Ok(Some(_)));
    let notice = match q.get("linked").map(String::as_str) {
        // The greeting already says so.
        Some("ACTIVE") if linked => None,
        Some("ACTIVE") => Some("Your bank is linked."),
        Some("REJECTED") => Some("You denied the request, so nothing is shared."),
        _ => None,
    };
    chat_page(&login, linked, notice)
}

/// `POST /login`: the login form.
async fn login_form(
    State(app): State<ChatApp>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let login = form
        .get("login")
        .map(String::as_str)
        .unwrap_or("")
        .trim()
        .to_owned();
    let password = form.get("password").map(String::as_str).unwrap_or("");
    if login.len() > 128
        || password.len() > 256
        || app.check_password(&login, password).await.is_err()
    {
        return login_page(Some("That login or password is wrong."));
    }
    match new_session(&app, &login).await {
        Ok(token) => (
            StatusCode::SEE_OTHER,
            [
                (header::SET_COOKIE, session_cookie(&app, &token)),
                (header::LOCATION, "./".to_owned()),
            ],
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

/// `POST /logout`.
async fn logout(State(app): State<ChatApp>, headers: HeaderMap) -> Response {
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        let _ = app.store().end_session(token).await;
    }
    let expired = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    (
        StatusCode::SEE_OTHER,
        [
            (header::SET_COOKIE, expired),
            (header::LOCATION, "./".to_owned()),
        ],
    )
        .into_response()
}

/// `GET /link`: asks the consent manager for a consent and sends the browser to its page.
async fn link(State(app): State<ChatApp>, headers: HeaderMap) -> Response {
    let Some(login) = current_user(&app, &headers).await else {
        return Redirect::to("./").into_response();
    };
    match app.link_page(&login).await {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `GET /link/callback?handle=…`: the consent manager sends the browser back here.
async fn link_callback(
    State(app): State<ChatApp>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(login) = current_user(&app, &headers).await else {
        return Redirect::to("../").into_response();
    };
    let Some(handle) = q.get("handle") else {
        return AppError::UnknownLink.into_response();
    };
    match app.complete_link(&login, handle).await {
        Ok(status) => Redirect::to(&format!("../?linked={}", esc(&status))).into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    pub login: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
}

/// `POST /api/login`: a session token for API clients.
#[utoipa::path(post, path = "/api/login", request_body = LoginRequest, responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody)))]
async fn api_login(
    State(app): State<ChatApp>,
    Json(req): Json<LoginRequest>,
) -> Result<Json<LoginResponse>, AppError> {
    if req.login.len() > 128 || req.password.len() > 256 {
        return Err(AppError::BadCredentials);
    }
    app.check_password(&req.login, &req.password).await?;
    Ok(Json(LoginResponse {
        token: new_session(&app, &req.login).await?,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct MessageRequest {
    pub text: String,
}

/// `POST /api/messages`: one chat turn.
#[utoipa::path(post, path = "/api/messages", request_body = MessageRequest, responses(
    (status = 200, body = Reply), (status = 401, body = ErrorBody), (status = 413, body = ErrorBody)))]
async fn api_message(
    State(app): State<ChatApp>,
    headers: HeaderMap,
    Json(req): Json<MessageRequest>,
) -> Result<Json<Reply>, AppError> {
    let login = current_user(&app, &headers)
        .await
        .ok_or(AppError::BadCredentials)?;
    Ok(Json(app.chat(&login, &req.text).await?))
}

/// `GET /api/events`: server-sent events with messages the app pushes.
async fn events(
    State(app): State<ChatApp>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
    let login = current_user(&app, &headers)
        .await
        .ok_or(AppError::BadCredentials)?;
    let rx = app.subscribe(&login);
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(reply) => {
                    let event = Event::default()
                        .event("reply")
                        .json_data(&reply)
                        .unwrap_or_default();
                    return Some((Ok(event), rx));
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// `GET /api/export`: everything the app holds about the logged-in user, as a JSON file.
#[utoipa::path(get, path = "/api/export", responses((status = 200, body = Object), (status = 401, body = ErrorBody)))]
async fn export(State(app): State<ChatApp>, headers: HeaderMap) -> Result<Response, AppError> {
    let login = current_user(&app, &headers)
        .await
        .ok_or(AppError::BadCredentials)?;
    let body = app.export(&login).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"anumati-export.json\"".to_owned(),
            ),
        ],
        Json(body),
    )
        .into_response())
}

#[derive(Deserialize, ToSchema)]
pub struct Notification {
    /// Compact JWS by the consent manager over `{"consentId", "status", "at"}`.
    pub notice: String,
}

/// `POST /v1/consent-notifications`: the consent manager tells the app a consent
/// expired or was revoked elsewhere; the app destroys that customer's copy.
#[utoipa::path(post, path = "/v1/consent-notifications", request_body = Notification, responses((status = 204), (status = 502, body = ErrorBody)))]
async fn consent_notification(
    State(app): State<ChatApp>,
    Json(body): Json<Notification>,
) -> Result<StatusCode, AppError> {
    app.consent_notice(&body.notice).await?;
    Ok(StatusCode::NO_CONTENT)
}
