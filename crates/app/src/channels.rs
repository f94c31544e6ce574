//! The assistant behind Messenger, WhatsApp and Telegram.
//!
//! `anumati-channels` checks, parses, deduplicates and rate-limits the
//! platforms' webhooks; this module decides what a platform sender may do
//! and answers through the bounded [`Outbox`].
//!
//! **Account linking.** A platform id (a Messenger PSID, a WhatsApp number,
//! a Telegram chat id) is never trusted to name a bank customer. An unlinked
//! sender gets a link to the consent manager's page, where they log in with
//! the bank (`POST /cm/v1/identity-requests`, page `/cm/link/{handle}`). The
//! consent manager sends the browser back to `/channels/link/callback`, where
//! the app reads the verified login once and shows a six-digit code; only
//! when that code is typed into the same chat (five tries, ten minutes) is
//! the sender linked. Someone who forwards their link to a victim gains
//! nothing: the code appears in the victim's browser, not in their chat.
//! "unlink" (or `/unlink`, "अनलिंक") undoes the link; consents are untouched.
//!
//! **Windows.** Answers go out as responses. Messages of the app's own
//! (pushed notices, alerts) go as updates within 24 hours of the sender's
//! last message and, outside it, as Messenger `ACCOUNT_UPDATE` tagged
//! messages or the bank's WhatsApp template ([`Delivery`]).
//!
//! Charts are served as PNG at `/channels/media/{id}.png` for an hour (the
//! platforms fetch images by URL); the SVG the web chat shows is rasterised
//! by [`crate::chart::png`].

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use anumati_channels::{
    Button, ChannelsConfig, Clients, Delivery, Inbound, InboundKind, Limits, Outbound, Outbox,
    Platform, Sender,
};
use anumati_wire::html::{esc, page, random_token};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::{AppError, ChatApp, Reply};

/// How long the code shown after the bank login may be typed in.
const CODE_MINUTES: i64 = 10;
/// Wrong codes before the linking attempt is dropped.
const CODE_TRIES: i64 = 5;
/// How long a link to the consent manager's page stays usable.
const LINK_LIFE_MINUTES: i64 = 15;
/// A pending link is sent again rather than a new one made, for this long.
const LINK_REUSE_MINUTES: i64 = 10;
/// The platforms' customer service window.
const WINDOW_HOURS: i64 = 24;
/// How stale the stored start of a sender's window may be.
const WINDOW_SLACK_SECONDS: i64 = 300;
/// Charts kept for the platforms to fetch.
const MEDIA_KEEP: usize = 1_000;
const MEDIA_MINUTES: i64 = 60;

/// How the gateway runs.
#[derive(Debug, Clone)]
pub struct GatewayOptions {
    /// The absolute URL the deployment is reached at (links and chart URLs
    /// the platforms fetch), e.g. `https://chat.bank.example`.
    pub public_url: String,
    pub limits: Limits,
    pub shards: usize,
    pub shard_capacity: usize,
    pub http: reqwest::Client,
}

impl GatewayOptions {
    pub fn new(public_url: &str) -> Self {
        GatewayOptions {
            public_url: public_url.trim_end_matches('/').to_owned(),
            limits: Limits::default(),
            shards: anumati_channels::outbound::DEFAULT_SHARDS,
            shard_capacity: anumati_channels::outbound::DEFAULT_SHARD_CAPACITY,
            http: reqwest::Client::new(),
        }
    }
}

/// A chart kept for the platforms: id, when made, PNG bytes.
type Media = (String, Timestamp, Arc<Vec<u8>>);
/// One sender's turn lock.
type Turn = Arc<tokio::sync::Mutex<()>>;

struct Gateway {
    app: ChatApp,
    outbox: Outbox,
    public_url: String,
    media: Mutex<VecDeque<Media>>,
    /// One conversation turn at a time per sender (entries live only while
    /// someone holds or waits for them).
    turns: Mutex<HashMap<(Platform, String), Turn>>,
}

/// The webhook routes of the configured platforms, the link callback and
/// the chart media, all under `/channels`.
pub fn router(app: ChatApp, config: ChannelsConfig, options: GatewayOptions) -> Router {
    let outbox = Outbox::start(
        Clients::new(options.http.clone(), &config),
        options.shards,
        options.shard_capacity,
    );
    let gateway = Arc::new(Gateway {
        app: app.clone(),
        outbox,
        public_url: options.public_url.clone(),
        media: Mutex::new(VecDeque::new()),
        turns: Mutex::new(HashMap::new()),
    });
    app.add_push_sink(Arc::new(Sink(gateway.clone())));
    let handler = {
        let gateway = gateway.clone();
        move |inbound: Inbound| {
            let gateway = gateway.clone();
            async move { gateway.handle(inbound).await }
        }
    };
    let own = Router::new()
        .route("/channels/link/callback", get(link_callback))
        .route("/channels/media/{name}", get(media))
        .with_state(gateway);
    anumati_channels::router_with_limits(config, options.limits, handler).merge(own)
}

fn sender_key(s: &Sender) -> String {
    match s {
        Sender::Id(id) => format!("id:{id}"),
        Sender::UserRef(r) => format!("ref:{r}"),
    }
}

fn sender_from_key(k: &str) -> Option<Sender> {
    if let Some(id) = k.strip_prefix("id:") {
        Some(Sender::Id(id.to_owned()))
    } else {
        k.strip_prefix("ref:")
            .map(|r| Sender::UserRef(r.to_owned()))
    }
}

fn platform_from(s: &str) -> Option<Platform> {
    match s {
        "messenger" => Some(Platform::Messenger),
        "whatsapp" => Some(Platform::WhatsApp),
        "telegram" => Some(Platform::Telegram),
        _ => None,
    }
}

fn platform_label(p: Platform) -> &'static str {
    match p {
        Platform::Messenger => "your Messenger chat",
        Platform::WhatsApp => "your WhatsApp chat",
        Platform::Telegram => "your Telegram chat",
    }
}

fn hash(code: &str) -> String {
    hex_lower(&Sha256::digest(code.as_bytes()))
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn is_unlink(text: &str) -> bool {
    matches!(
        text.trim()
            .trim_end_matches(['.', '!'])
            .to_lowercase()
            .as_str(),
        "unlink" | "/unlink" | "अनलिंक" | "unlink my account" | "unlink this chat"
    )
}

fn is_code(text: &str) -> Option<&str> {
    let t = text.trim();
    (t.len() == 6 && t.bytes().all(|b| b.is_ascii_digit())).then_some(t)
}

fn within_window(last: i64, now: Timestamp) -> bool {
    now.as_second() - last < WINDOW_HOURS * 3600 - WINDOW_SLACK_SECONDS
}

impl Gateway {
    async fn handle(&self, inbound: Inbound) {
        let key = (inbound.platform, sender_key(&inbound.sender));
        let turn = self
            .turns
            .lock()
            .expect("turns lock")
            .entry(key.clone())
            .or_default()
            .clone();
        {
            let _guard = turn.lock().await;
            self.handle_turn(inbound).await;
        }
        let mut turns = self.turns.lock().expect("turns lock");
        // The map's reference and ours: nobody else waits for this sender.
        if Arc::strong_count(&turn) == 2 {
            turns.remove(&key);
        }
    }

    async fn handle_turn(&self, inbound: Inbound) {
        let text = match &inbound.kind {
            InboundKind::Text(t) => t.clone(),
            InboundKind::QuickReply { payload, .. } => payload.clone(),
            InboundKind::Postback { payload } => payload.clone(),
        };
        let (text, buttons, image) = match self.answer(&inbound, &text).await {
            Ok(answer) => answer,
            Err(e) => {
                tracing::error!(platform = inbound.platform.as_str(), error = %e, "channel message failed");
                (
                    "Sorry, something went wrong on our side. Please try again in a moment."
                        .to_owned(),
                    Vec::new(),
                    None,
                )
            }
        };
        let message = Outbound {
            platform: inbound.platform,
            to: inbound.sender.clone(),
            business_id: inbound.recipient.clone(),
            text,
            buttons,
            image_url: image,
            delivery: Delivery::Response,
        };
        if let Err(e) = self.outbox.enqueue(message) {
            tracing::warn!(platform = inbound.platform.as_str(), error = %e, "reply not queued");
        }
    }

    /// What to say to one inbound event.
    async fn answer(
        &self,
        inbound: &Inbound,
        text: &str,
    ) -> Result<(String, Vec<Button>, Option<String>), AppError> {
        let pool = self.app.store().pool();
        let now = self.app.now();
        let platform = inbound.platform.as_str();
        let sender = sender_key(&inbound.sender);
        let db = |e: sqlx::Error| AppError::Store(e.into());
        let known = sqlx::query(
            "SELECT login, business_id, last_inbound_at FROM channel_senders WHERE platform = ? AND sender = ?",
        )
        .bind(platform)
        .bind(&sender)
        .fetch_optional(pool)
        .await
        .map_err(db)?;
        let login: Option<String> = known.as_ref().and_then(|r| r.get("login"));
        // The window's start is written at most every few minutes per sender
        // (a write per message would cost every turn a commit); the window
        // is taken as that much shorter, so it is never overstated.
        let stale = known.as_ref().is_none_or(|r| {
            now.as_second() - r.get::<i64, _>("last_inbound_at") >= WINDOW_SLACK_SECONDS
                || (inbound.recipient.is_some()
                    && r.get::<Option<String>, _>("business_id") != inbound.recipient)
        });
        if stale {
            sqlx::query(
                "INSERT INTO channel_senders (platform, sender, business_id, last_inbound_at) VALUES (?, ?, ?, ?)
                 ON CONFLICT (platform, sender) DO UPDATE SET last_inbound_at = excluded.last_inbound_at,
                   business_id = COALESCE(excluded.business_id, channel_senders.business_id)",
            )
            .bind(platform)
            .bind(&sender)
            .bind(&inbound.recipient)
            .bind(now.as_second())
            .execute(pool)
            .await
            .map_err(db)?;
        }

        let Some(login) = login else {
            return Ok((
                self.unlinked(inbound, &sender, text).await?,
                Vec::new(),
                None,
            ));
        };
        if is_unlink(text) {
            sqlx::query("UPDATE channel_senders SET login = NULL, linked_at = NULL WHERE platform = ? AND sender = ?")
                .bind(platform)
                .bind(&sender)
                .execute(pool)
                .await
                .map_err(crate::store::StoreError::from)?;
            tracing::info!(platform, "chat unlinked");
            return Ok((
                "This chat is no longer linked to your bank login. Your consents are unchanged; \
                 send any message to link it again."
                    .to_owned(),
                Vec::new(),
                None,
            ));
        }
        match self.app.chat(&login, text).await {
            Ok(reply) => Ok(self.render(reply)),
            Err(AppError::MessageTooLong(n)) => Ok((
                format!(
                    "That message is too long ({n} characters). Please keep it under {}.",
                    crate::MESSAGE_CHARS_MAX
                ),
                Vec::new(),
                None,
            )),
            Err(e) => Err(e),
        }
    }

    /// A reply as a platform shows it: text with absolute links, buttons,
    /// and the chart as a fetchable PNG.
    fn render(&self, reply: Reply) -> (String, Vec<Button>, Option<String>) {
        let mut text = reply.reply;
        if let Some(link) = &reply.link {
            let url = if link.starts_with("http://") || link.starts_with("https://") {
                link.clone()
            } else {
                format!("{}{link}", self.public_url)
            };
            text.push_str("\n\n");
            text.push_str(&url);
        }
        let buttons = reply
            .quick_replies
            .iter()
            .map(|q| Button {
                title: q.clone(),
                payload: q.clone(),
            })
            .collect();
        let image = reply.image.as_ref().and_then(|img| {
            let png = crate::chart::png(img)?;
            Some(self.keep_media(png))
        });
        (text, buttons, image)
    }

    fn keep_media(&self, png: Vec<u8>) -> String {
        let id = random_token();
        let now = self.app.now();
        let mut media = self.media.lock().expect("media lock");
        while media.len() >= MEDIA_KEEP {
            media.pop_front();
        }
        media.push_back((id.clone(), now, Arc::new(png)));
        format!("{}/channels/media/{id}.png", self.public_url)
    }

    /// An unlinked sender: finish a link with its code, or send the link.
    async fn unlinked(
        &self,
        inbound: &Inbound,
        sender: &str,
        text: &str,
    ) -> Result<String, AppError> {
        let pool = self.app.store().pool();
        let now = self.app.now();
        let platform = inbound.platform.as_str();
        let db = |e: sqlx::Error| AppError::Store(e.into());

        if let Some(code) = is_code(text) {
            let row = sqlx::query(
                "SELECT cm_handle, login, code_hash FROM channel_link_requests
                 WHERE platform = ? AND sender = ? AND code_hash IS NOT NULL AND expires_at > ?
                 ORDER BY created_at DESC LIMIT 1",
            )
            .bind(platform)
            .bind(sender)
            .bind(now.as_second())
            .fetch_optional(pool)
            .await
            .map_err(db)?;
            let Some(row) = row else {
                return Ok(
                    "There is no link waiting for a code. Send any message to get a new link."
                        .into(),
                );
            };
            let handle: String = row.get("cm_handle");
            let login: String = row.get("login");
            let stored: String = row.get("code_hash");
            let given = hash(code);
            // Both are hex SHA-256 of the same length; compare without an early exit.
            let same = stored.len() == given.len()
                && stored
                    .bytes()
                    .zip(given.bytes())
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0;
            if !same {
                // Counted atomically, so tries sent at once cannot exceed the limit.
                let tries: i64 = sqlx::query_scalar(
                    "UPDATE channel_link_requests SET attempts = attempts + 1 WHERE cm_handle = ? RETURNING attempts",
                )
                .bind(&handle)
                .fetch_optional(pool)
                .await
                .map_err(db)?
                .unwrap_or(CODE_TRIES);
                if tries >= CODE_TRIES {
                    sqlx::query("DELETE FROM channel_link_requests WHERE cm_handle = ?")
                        .bind(&handle)
                        .execute(pool)
                        .await
                        .map_err(db)?;
                    return Ok("That code is not right, and that was the last try. Send any message to start again.".into());
                }
                return Ok(
                    "That code is not right. Please type the code shown after you logged in."
                        .into(),
                );
            }
            // A customer who only ever used a messaging platform has no
            // password here: the hash "!" matches none.
            self.app
                .store()
                .add_users(&[(login.clone(), "!".to_owned())], now)
                .await?;
            let mut tx = pool.begin().await.map_err(db)?;
            sqlx::query(
                "UPDATE channel_senders SET login = ?, linked_at = ? WHERE platform = ? AND sender = ?",
            )
            .bind(&login)
            .bind(now.as_second())
            .bind(platform)
            .bind(sender)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
            sqlx::query("DELETE FROM channel_link_requests WHERE platform = ? AND sender = ?")
                .bind(platform)
                .bind(sender)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            tx.commit().await.map_err(db)?;
            tracing::info!(platform, "chat linked to a bank customer");
            return Ok(format!(
                "Linked: this chat now talks to your bank login {login}. Ask me \"what's my balance?\". \
                 Send \"unlink\" at any time to undo it."
            ));
        }

        let since = now - SignedDuration::from_mins(LINK_REUSE_MINUTES);
        let pending: Option<String> = sqlx::query_scalar(
            "SELECT login_url FROM channel_link_requests
             WHERE platform = ? AND sender = ? AND code_hash IS NULL AND created_at > ? AND expires_at > ?
             ORDER BY created_at DESC LIMIT 1",
        )
        .bind(platform)
        .bind(sender)
        .bind(since.as_second())
        .bind(now.as_second())
        .fetch_optional(pool)
        .await
        .map_err(db)?;
        let url = match pending {
            Some(url) => url,
            None => self.new_link(inbound.platform, sender).await?,
        };
        Ok(format!(
            "Hello! To use your bank here, first link this chat to your bank login: open {url} \
             and log in with your bank. You will get a code to type here. Nothing from your bank \
             is shared until you approve it."
        ))
    }

    /// Files an identity request at the consent manager; returns the page.
    async fn new_link(&self, platform: Platform, sender: &str) -> Result<String, AppError> {
        #[derive(Deserialize)]
        struct Created {
            handle: String,
            login_url: String,
        }
        let body = serde_json::json!({
            "redirect_uri": format!("{}/channels/link/callback", self.public_url),
            "what": platform_label(platform),
        });
        let response = self
            .app
            .cm_call(
                axum::http::Method::POST,
                "/v1/identity-requests",
                Some(&body),
            )
            .await?;
        if !response.status.is_success() {
            return Err(AppError::ConsentManager(format!(
                "identity request answered {}",
                response.status
            )));
        }
        let created: Created = serde_json::from_slice(&response.body)
            .map_err(|e| AppError::ConsentManager(e.to_string()))?;
        let path = if created
            .login_url
            .starts_with(&self.app.inner.consent_manager_prefix)
        {
            created.login_url
        } else {
            format!(
                "{}{}",
                self.app.inner.consent_manager_prefix, created.login_url
            )
        };
        let url = format!("{}{path}", self.public_url);
        let now = self.app.now();
        sqlx::query(
            "INSERT INTO channel_link_requests (cm_handle, platform, sender, login_url, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&created.handle)
        .bind(platform.as_str())
        .bind(sender)
        .bind(&url)
        .bind(now.as_second())
        .bind((now + SignedDuration::from_mins(LINK_LIFE_MINUTES)).as_second())
        .execute(self.app.store().pool())
        .await
        .map_err(|e| AppError::Store(e.into()))?;
        Ok(url)
    }

    /// Sends a pushed reply to every chat linked to `login`.
    async fn push_to_linked(&self, login: String, reply: Reply) {
        let rows = sqlx::query(
            "SELECT platform, sender, business_id, last_inbound_at FROM channel_senders WHERE login = ?",
        )
        .bind(&login)
        .fetch_all(self.app.store().pool())
        .await;
        let rows = match rows {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "linked chats not read");
                return;
            }
        };
        if rows.is_empty() {
            return;
        }
        let (text, buttons, image) = self.render(reply);
        let now = self.app.now();
        for row in rows {
            let (Some(platform), Some(to)) = (
                platform_from(row.get::<String, _>("platform").as_str()),
                sender_from_key(row.get::<String, _>("sender").as_str()),
            ) else {
                continue;
            };
            let delivery = if within_window(row.get("last_inbound_at"), now) {
                Delivery::Update
            } else {
                Delivery::OutsideWindow
            };
            let message = Outbound {
                platform,
                to,
                business_id: row.get("business_id"),
                text: text.clone(),
                buttons: if delivery == Delivery::OutsideWindow {
                    Vec::new()
                } else {
                    buttons.clone()
                },
                image_url: image.clone(),
                delivery,
            };
            if let Err(e) = self.outbox.enqueue(message) {
                tracing::warn!(platform = platform.as_str(), error = %e, "push not queued");
            }
        }
    }
}

/// The gateway as a [`crate::PushSink`].
struct Sink(Arc<Gateway>);

impl crate::PushSink for Sink {
    fn push(&self, login: &str, reply: &Reply) {
        // Called from synchronous code: the lookup and the sends run on
        // their own task.
        let gateway = self.0.clone();
        let login = login.to_owned();
        let reply = reply.clone();
        tokio::spawn(async move { gateway.push_to_linked(login, reply).await });
    }
}

fn small_page(status: StatusCode, title: &str, body: &str) -> Response {
    (status, Html(page(title, body))).into_response()
}

/// `GET /channels/link/callback?handle=…`: the consent manager sends the
/// browser here after the bank login; the app reads the verified login once
/// and shows the code to type into the chat.
async fn link_callback(
    State(gw): State<Arc<Gateway>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let title = "anumati — link your chat";
    let fail = |status, text: &str| {
        small_page(
            status,
            title,
            &format!(
                r#"<h1>Link your chat</h1><p id="error" class="error">{}</p>"#,
                esc(text)
            ),
        )
    };
    let Some(handle) = q.get("handle").filter(|h| h.len() <= 64) else {
        return fail(StatusCode::BAD_REQUEST, "This link is incomplete.");
    };
    let pool = gw.app.store().pool();
    let now = gw.app.now();
    let known: Option<i64> = match sqlx::query_scalar(
        "SELECT expires_at FROM channel_link_requests WHERE cm_handle = ? AND code_hash IS NULL",
    )
    .bind(handle)
    .fetch_optional(pool)
    .await
    {
        Ok(v) => v,
        Err(e) => {
            tracing::error!(error = %e, "link request not read");
            return fail(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on our side.",
            );
        }
    };
    if known.is_none_or(|exp| exp <= now.as_second()) {
        return fail(
            StatusCode::NOT_FOUND,
            "This link is unknown, used or expired. Ask for a new one in your chat.",
        );
    }
    #[derive(Deserialize)]
    struct View {
        status: String,
        customer: Option<String>,
    }
    let view = match gw
        .app
        .cm_call(
            axum::http::Method::GET,
            &format!("/v1/identity-requests/{handle}"),
            None,
        )
        .await
    {
        Ok(r) if r.status.is_success() => serde_json::from_slice::<View>(&r.body).ok(),
        Ok(_) => None,
        Err(e) => {
            tracing::warn!(error = %e, "identity request not read");
            None
        }
    };
    let Some(View {
        customer: Some(login),
        ..
    }) = view.filter(|v| v.status == "VERIFIED")
    else {
        return fail(
            StatusCode::CONFLICT,
            "Your bank login could not be confirmed for this link. Ask for a new one in your chat.",
        );
    };
    let code = format!("{:06}", rand::random::<u32>() % 1_000_000);
    let stored = sqlx::query(
        "UPDATE channel_link_requests SET login = ?, code_hash = ?, attempts = 0, expires_at = ? WHERE cm_handle = ? AND code_hash IS NULL",
    )
    .bind(&login)
    .bind(hash(&code))
    .bind((now + SignedDuration::from_mins(CODE_MINUTES)).as_second())
    .bind(handle)
    .execute(pool)
    .await;
    match stored {
        Ok(r) if r.rows_affected() == 1 => {}
        _ => {
            return fail(
                StatusCode::CONFLICT,
                "This link was used already. Ask for a new one in your chat.",
            )
        }
    }
    small_page(
        StatusCode::OK,
        title,
        &format!(
            r#"<h1>One more step</h1><p>You logged in with your bank. To finish linking, type this code into your chat within {CODE_MINUTES} minutes:</p>
<p class="card" style="font-size:2rem;letter-spacing:.3rem" id="code">{code}</p>
<p>Did not ask for this yourself? Then do not type the code anywhere, and close this page.</p>"#
        ),
    )
}

/// `GET /channels/media/{id}.png`: a chart the platforms fetch.
async fn media(State(gw): State<Arc<Gateway>>, Path(name): Path<String>) -> Response {
    let Some(id) = name.strip_suffix(".png") else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let now = gw.app.now();
    let media = gw.media.lock().expect("media lock");
    let found = media
        .iter()
        .find(|(i, at, _)| i == id && now.as_second() - at.as_second() < MEDIA_MINUTES * 60);
    match found {
        Some((_, _, png)) => {
            ([(header::CONTENT_TYPE, "image/png")], png.as_ref().clone()).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
