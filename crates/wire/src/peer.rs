use axum::body::{Body, Bytes};
use axum::http::{header, HeaderName, HeaderValue, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tower::ServiceExt;

/// Largest response body a peer will read.
const RESPONSE_BYTES_MAX: usize = 16 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    #[error("request could not be built: {0}")]
    Request(String),
    #[error("{peer}: transport failed: {reason}")]
    Transport { peer: String, reason: String },
    #[error("{peer} answered {status}: {body}")]
    Status {
        peer: String,
        status: StatusCode,
        body: String,
    },
    #[error("{peer}: response is not the expected JSON: {reason}")]
    Decode { peer: String, reason: String },
}

impl PeerError {
    /// The status the peer answered, when it answered at all.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            PeerError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// A response from a peer.
#[derive(Debug)]
pub struct PeerResponse {
    pub status: StatusCode,
    pub body: Bytes,
}

/// Another role's HTTP API.
///
/// In the single-process mode a `Peer` holds that role's router and dispatches
/// each request to it in memory; the request still goes through routing,
/// extractors, authentication and the handler, exactly as over TCP.
#[derive(Clone)]
pub struct Peer {
    name: String,
    router: Router,
}

impl std::fmt::Debug for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Peer").field("name", &self.name).finish()
    }
}

impl Peer {
    pub fn in_process(name: impl Into<String>, router: Router) -> Self {
        Peer {
            name: name.into(),
            router,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Sends a request and returns the raw response, whatever its status.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        json_body: Option<&serde_json::Value>,
    ) -> Result<PeerResponse, PeerError> {
        let mut builder = Request::builder().method(method).uri(path);
        for (name, value) in headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| PeerError::Request(e.to_string()))?;
            let value =
                HeaderValue::from_str(value).map_err(|e| PeerError::Request(e.to_string()))?;
            builder = builder.header(name, value);
        }
        let body = match json_body {
            Some(value) => {
                builder = builder.header(header::CONTENT_TYPE, "application/json");
                Body::from(
                    serde_json::to_vec(value).map_err(|e| PeerError::Request(e.to_string()))?,
                )
            }
            None => Body::empty(),
        };
        let request = builder
            .body(body)
            .map_err(|e| PeerError::Request(e.to_string()))?;
        let response =
            self.router
                .clone()
                .oneshot(request)
                .await
                .map_err(|e| PeerError::Transport {
                    peer: self.name.clone(),
                    reason: e.to_string(),
                })?;
        let status = response.status();
        let limited = http_body_util::Limited::new(response.into_body(), RESPONSE_BYTES_MAX);
        let body = limited
            .collect()
            .await
            .map_err(|e| PeerError::Transport {
                peer: self.name.clone(),
                reason: e.to_string(),
            })?
            .to_bytes();
        Ok(PeerResponse { status, body })
    }

    /// Sends a request and decodes a successful JSON answer; any other status is an error.
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        json_body: Option<&serde_json::Value>,
    ) -> Result<T, PeerError> {
        let response = self.send(method, path, headers, json_body).await?;
        if !response.status.is_success() {
            return Err(PeerError::Status {
                peer: self.name.clone(),
                status: response.status,
                body: String::from_utf8_lossy(&response.body)
                    .chars()
                    .take(500)
                    .collect(),
            });
        }
        serde_json::from_slice(&response.body).map_err(|e| PeerError::Decode {
            peer: self.name.clone(),
            reason: e.to_string(),
        })
    }

    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        headers: &[(&str, &str)],
    ) -> Result<T, PeerError> {
        self.call(Method::GET, path, headers, None).await
    }

    pub async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        body: &B,
    ) -> Result<T, PeerError> {
        let value = serde_json::to_value(body).map_err(|e| PeerError::Request(e.to_string()))?;
        self.call(Method::POST, path, headers, Some(&value)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use axum::Json;

    #[tokio::test]
    async fn dispatches_through_the_router() {
        let router = Router::new().route(
            "/hello",
            get(|headers: axum::http::HeaderMap| async move {
                let who = headers
                    .get("x-who")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("?")
                    .to_owned();
                Json(serde_json::json!({ "hi": who }))
            }),
        );
        let peer = Peer::in_process("test", router);
        let value: serde_json::Value = peer.get("/hello", &[("x-who", "bank")]).await.unwrap();
        assert_eq!(value["hi"], "bank");
        let err = peer
            .get::<serde_json::Value>("/nope", &[])
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(StatusCode::NOT_FOUND));
    }
}
