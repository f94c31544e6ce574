//! The error shape every role's HTTP API answers with.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

/// `{"error": {"code": "...", "message": "..."}}`
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code.
    pub code: String,
    /// For people; never internal details.
    pub message: String,
}

/// Logs a failed request (an error for 5xx, a warning otherwise) and answers
/// with [`ErrorBody`]. A 500's message is generic: its cause stays in the log.
pub fn error_response(
    status: StatusCode,
    code: &str,
    error: &dyn std::fmt::Display,
    role: &str,
) -> Response {
    if status.is_server_error() {
        tracing::error!(role, code, error = %error, "request failed");
    } else {
        tracing::warn!(role, code, reason = %error, "request refused");
    }
    let message = if status == StatusCode::INTERNAL_SERVER_ERROR {
        "internal error".to_owned()
    } else {
        error.to_string()
    };
    (
        status,
        Json(ErrorBody {
            error: ErrorDetail {
                code: code.to_owned(),
                message,
            },
        }),
    )
        .into_response()
}
