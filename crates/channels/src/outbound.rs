//! The bounded outbound queue: every message to a platform goes through it.
//!
//! Messages are spread over a fixed number of shards by recipient, so one
//! customer's messages leave in order while a slow or failing send (retried
//! with backoff by [`crate::send`]) holds up only its own shard. Each shard is
//! a bounded channel: when it is full, [`Outbox::enqueue`] refuses at once
//! ([`OutboxError::Full`]) instead of letting memory grow; the caller logs it.

use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::mpsc;

use crate::config::ChannelsConfig;
use crate::inbound::{Platform, Sender};
use crate::send::{Button, Delivery, MessengerClient, SendError, TelegramClient, WhatsAppClient};

/// One message for one person on one platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outbound {
    pub platform: Platform,
    pub to: Sender,
    /// The WhatsApp `phone_number_id` to send from (from the inbound
    /// event's metadata); unused elsewhere.
    pub business_id: Option<String>,
    pub text: String,
    pub buttons: Vec<Button>,
    /// A public URL of a PNG to send after the text.
    pub image_url: Option<String>,
    pub delivery: Delivery,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboxError {
    #[error("the outbound queue is full")]
    Full,
    #[error("{0} is not configured")]
    NotConfigured(&'static str),
    #[error("no pre-approved WhatsApp template for a message outside the 24-hour window")]
    OutsideWindow,
    #[error("a WhatsApp reply needs the business phone number id")]
    NoBusinessId,
    #[error("a Telegram or WhatsApp message needs a plain id, not a user_ref")]
    UserRef,
    #[error(transparent)]
    Send(#[from] SendError),
}

/// The platforms' send clients.
#[derive(Debug, Clone, Default)]
pub struct Clients {
    pub messenger: Option<MessengerClient>,
    pub whatsapp: Option<(WhatsAppClient, Option<crate::config::WhatsAppTemplate>)>,
    pub telegram: Option<TelegramClient>,
}

impl Clients {
    pub fn new(http: reqwest::Client, config: &ChannelsConfig) -> Self {
        Clients {
            messenger: config
                .messenger
                .as_ref()
                .map(|c| MessengerClient::new(http.clone(), c)),
            whatsapp: config
                .whatsapp
                .as_ref()
                .map(|c| (WhatsAppClient::new(http.clone(), c), c.template.clone())),
            telegram: config
                .telegram
                .as_ref()
                .map(|c| TelegramClient::new(http.clone(), c)),
        }
    }

    /// Sends one message now (with the client's retries).
    pub async fn deliver(&self, m: &Outbound) -> Result<(), OutboxError> {
        match m.platform {
            Platform::Messenger => {
                let c = self
                    .messenger
                    .as_ref()
                    .ok_or(OutboxError::NotConfigured("messenger"))?;
                c.send(&MessengerClient::body_as(
                    &m.to, &m.text, &m.buttons, m.delivery,
                ))
                .await?;
                if let Some(url) = &m.image_url {
                    c.send(&MessengerClient::image_body(&m.to, url, m.delivery))
                        .await?;
                }
            }
            Platform::WhatsApp => {
                let (c, template) = self
                    .whatsapp
                    .as_ref()
                    .ok_or(OutboxError::NotConfigured("whatsapp"))?;
                let from = m.business_id.as_deref().ok_or(OutboxError::NoBusinessId)?;
                let Sender::Id(to) = &m.to else {
                    return Err(OutboxError::UserRef);
                };
                if m.delivery == Delivery::OutsideWindow {
                    let template = template.as_ref().ok_or(OutboxError::OutsideWindow)?;
                    c.send(from, &WhatsAppClient::template_body(to, template, &m.text))
                        .await?;
                    return Ok(());
                }
                c.send(from, &WhatsAppClient::body(to, &m.text, &m.buttons))
                    .await?;
                if let Some(url) = &m.image_url {
                    c.send(from, &WhatsAppClient::image_body(to, url)).await?;
                }
            }
            Platform::Telegram => {
                let c = self
                    .telegram
                    .as_ref()
                    .ok_or(OutboxError::NotConfigured("telegram"))?;
                let Sender::Id(chat) = &m.to else {
                    return Err(OutboxError::UserRef);
                };
                c.send_text(chat, &m.text, &m.buttons).await?;
                if let Some(url) = &m.image_url {
                    c.send_photo(chat, url).await?;
                }
            }
        }
        Ok(())
    }
}

/// Counters of what the queue did, for logs and tests.
#[derive(Debug, Default)]
pub struct OutboxStats {
    pub delivered: AtomicU64,
    pub failed: AtomicU64,
    pub refused_full: AtomicU64,
}

/// The queue and its workers (one per shard, on the current tokio runtime).
#[derive(Debug, Clone)]
pub struct Outbox {
    shards: Vec<mpsc::Sender<Outbound>>,
    stats: Arc<OutboxStats>,
}

/// Default number of shards (concurrent sends).
pub const DEFAULT_SHARDS: usize = 16;
/// Default capacity of each shard.
pub const DEFAULT_SHARD_CAPACITY: usize = 256;

impl Outbox {
    /// Starts `shards` workers with `capacity` messages of room each.
    pub fn start(clients: Clients, shards: usize, capacity: usize) -> Outbox {
        let stats = Arc::new(OutboxStats::default());
        let clients = Arc::new(clients);
        let shards = (0..shards.max(1))
            .map(|_| {
                let (tx, mut rx) = mpsc::channel::<Outbound>(capacity.max(1));
                let clients = clients.clone();
                let stats = stats.clone();
                tokio::spawn(async move {
                    while let Some(m) = rx.recv().await {
                        match clients.deliver(&m).await {
                            Ok(()) => {
                                stats.delivered.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(e) => {
                                stats.failed.fetch_add(1, Ordering::Relaxed);
                                tracing::warn!(platform = m.platform.as_str(), error = %e, "message not delivered");
                            }
                        }
                    }
                });
                tx
            })
            .collect();
        Outbox { shards, stats }
    }

    /// Queues a message, or refuses at once when its shard is full.
    pub fn enqueue(&self, m: Outbound) -> Result<(), OutboxError> {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        m.platform.hash(&mut h);
        m.to.hash(&mut h);
        let shard = (h.finish() % self.shards.len() as u64) as usize;
        self.shards[shard].try_send(m).map_err(|_| {
            self.stats.refused_full.fetch_add(1, Ordering::Relaxed);
            OutboxError::Full
        })
    }

    pub fn stats(&self) -> &OutboxStats {
        &self.stats
    }
}
