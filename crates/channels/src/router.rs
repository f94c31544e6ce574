//! The webhook routes: `GET`/`POST /channels/messenger/webhook`,
//! `GET`/`POST /channels/whatsapp/webhook` and
//! `POST /channels/telegram/webhook`.
//!
//! A `POST` is checked for authenticity on the raw body first (`403`, nothing
//! parsed), then parsed (`400` on a malformed body), deduplicated,
//! rate-limited per sender, and each surviving [`Inbound`] is handed to the
//! [`InboundHandler`] on its own task; the platform gets `200` without
//! waiting for it. A platform missing from the configuration answers `404`.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use governor::Quota;

use crate::config::ChannelsConfig;
use crate::dedupe::{SeenSet, DEFAULT_CAPACITY};
use crate::inbound::{self, Inbound, Platform};
use crate::ratelimit::{default_quota, SenderLimiter};
use crate::signature::{
    verify_hub_signature, verify_telegram_secret, HUB_SIGNATURE_HEADER, TELEGRAM_SECRET_HEADER,
};
use crate::verify::handshake;

/// Receives every accepted event, once. Closures
/// `Fn(Inbound) -> impl Future<Output = ()>` implement it.
pub trait InboundHandler: Send + Sync + 'static {
    fn handle(&self, inbound: Inbound) -> impl Future<Output = ()> + Send;
}

impl<F, Fut> InboundHandler for F
where
    F: Fn(Inbound) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send,
{
    fn handle(&self, inbound: Inbound) -> impl Future<Output = ()> + Send {
        self(inbound)
    }
}

/// Redelivery memory and per-sender quota.
#[derive(Debug, Clone)]
pub struct Limits {
    pub seen_capacity: usize,
    pub per_sender: Quota,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            seen_capacity: DEFAULT_CAPACITY,
            per_sender: default_quota(),
        }
    }
}

struct Channels<H> {
    config: ChannelsConfig,
    handler: Arc<H>,
    seen: SeenSet,
    limiter: SenderLimiter,
}

/// The channels router with the default [`Limits`].
pub fn router<H: InboundHandler>(config: ChannelsConfig, handler: H) -> Router {
    router_with_limits(config, Limits::default(), handler)
}

/// The channels router.
pub fn router_with_limits<H: InboundHandler>(
    config: ChannelsConfig,
    limits: Limits,
    handler: H,
) -> Router {
    let state = Arc::new(Channels {
        config,
        handler: Arc::new(handler),
        seen: SeenSet::new(limits.seen_capacity),
        limiter: SenderLimiter::new(limits.per_sender),
    });
    Router::new()
        .route(
            "/channels/messenger/webhook",
            get(messenger_verify::<H>).post(messenger_post::<H>),
        )
        .route(
            "/channels/whatsapp/webhook",
            get(whatsapp_verify::<H>).post(whatsapp_post::<H>),
        )
        .route("/channels/telegram/webhook", post(telegram_post::<H>))
        .with_state(state)
}

type St<H> = State<Arc<Channels<H>>>;

async fn messenger_verify<H: InboundHandler>(
    State(s): St<H>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    match &s.config.messenger {
        Some(c) => handshake(&c.verify_token, &q),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn whatsapp_verify<H: InboundHandler>(
    State(s): St<H>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    match &s.config.whatsapp {
        Some(c) => handshake(&c.verify_token, &q),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn messenger_post<H: InboundHandler>(
    State(s): St<H>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(c) = &s.config.messenger else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let sig = headers.get(HUB_SIGNATURE_HEADER).map(|v| v.as_bytes());
    if let Err(e) = verify_hub_signature(&c.app_secret, &body, sig) {
        tracing::warn!(platform = "messenger", error = %e, "webhook refused");
        return StatusCode::FORBIDDEN.into_response();
    }
    accept(&s, Platform::Messenger, &body)
}

async fn whatsapp_post<H: InboundHandler>(
    State(s): St<H>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(c) = &s.config.whatsapp else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let sig = headers.get(HUB_SIGNATURE_HEADER).map(|v| v.as_bytes());
    if let Err(e) = verify_hub_signature(&c.app_secret, &body, sig) {
        tracing::warn!(platform = "whatsapp", error = %e, "webhook refused");
        return StatusCode::FORBIDDEN.into_response();
    }
    accept(&s, Platform::WhatsApp, &body)
}

async fn telegram_post<H: InboundHandler>(
    State(s): St<H>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(c) = &s.config.telegram else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let token = headers.get(TELEGRAM_SECRET_HEADER).map(|v| v.as_bytes());
    if let Err(e) = verify_telegram_secret(&c.secret_token, token) {
        tracing::warn!(platform = "telegram", error = %e, "webhook refused");
        return StatusCode::FORBIDDEN.into_response();
    }
    accept(&s, Platform::Telegram, &body)
}

/// After authentication: parse, dedupe, rate-limit, dispatch.
fn accept<H: InboundHandler>(s: &Arc<Channels<H>>, platform: Platform, body: &[u8]) -> Response {
    let events = match inbound::parse(platform, body, jiff::Timestamp::now()) {
        Ok(events) => events,
        Err(e) => {
            tracing::warn!(platform = platform.as_str(), error = %e, "webhook body rejected");
            return StatusCode::BAD_REQUEST.into_response();
        }
    };
    for event in events {
        if !s.seen.first_sighting(platform, &event.message_id) {
            tracing::debug!(platform = platform.as_str(), "redelivered event ignored");
            continue;
        }
        if !s.limiter.allow(platform, &event.sender) {
            tracing::warn!(
                platform = platform.as_str(),
                "sender over rate limit; event dropped"
            );
            continue;
        }
        let handler = s.handler.clone();
        tokio::spawn(async move { handler.handle(event).await });
    }
    (StatusCode::OK, "EVENT_RECEIVED").into_response()
}
