//! The Messenger / WhatsApp webhook verification handshake:
//! `GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…` is answered
//! `200` with the challenge as plain text when the token matches, `403`
//! otherwise.

use std::collections::HashMap;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use secrecy::SecretString;

use crate::signature::verify_telegram_secret;

/// The answer to a verification `GET`, given its query parameters.
pub fn handshake(verify_token: &SecretString, query: &HashMap<String, String>) -> Response {
    let mode_ok = query.get("hub.mode").map(String::as_str) == Some("subscribe");
    // Constant-time comparison of the token (same construction as Telegram's).
    let token_ok = verify_telegram_secret(
        verify_token,
        query.get("hub.verify_token").map(String::as_bytes),
    )
    .is_ok();
    match query.get("hub.challenge") {
        Some(challenge) if mode_ok && token_ok => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            challenge.clone(),
        )
            .into_response(),
        _ => {
            tracing::warn!(mode_ok, token_ok, "webhook verification refused");
            StatusCode::FORBIDDEN.into_response()
        }
    }
}
