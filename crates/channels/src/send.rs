//! Replies through the platforms' send APIs: the Messenger Send API
//! (`POST {graph}/me/messages`), the WhatsApp Cloud API
//! (`POST {graph}/{phone_number_id}/messages`) and the Telegram Bot API
//! (`POST {api}/bot{token}/sendMessage`), with retries and exponential
//! backoff on 429, 5xx and transport errors, a bounded number of attempts,
//! and base URLs from the configuration so tests run against a local mock.
//!
//! Tokens travel in the `Authorization` header (Meta) or the path (Telegram,
//! as its API requires); errors never carry a URL or a token.
//!
//! The workspace's `reqwest` has no TLS backend enabled: the real
//! `https://` endpoints need one (e.g. its `rustls-tls` feature) when the
//! channels are wired into the binary.

use std::time::Duration;

use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};

use crate::config::{MessengerConfig, TelegramConfig, WhatsAppConfig, WhatsAppTemplate};
use crate::inbound::Sender;

/// How often and how patiently a send is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (at least one).
    pub max_attempts: u32,
    /// Delay before the second attempt; doubled before each further one.
    pub base_delay: Duration,
    /// No delay (nor a server's `Retry-After`) waits longer than this.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    /// The delay after failed attempt `attempt` (1-based).
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The platform refused the request (a 4xx other than 429): not retried.
    #[error("platform refused the message: HTTP {0}")]
    Rejected(u16),
    /// Every attempt failed with 429, 5xx or a transport error.
    #[error("gave up after {attempts} attempts: {last}")]
    GaveUp { attempts: u32, last: String },
}

/// How a message is sent with respect to the platforms' 24-hour windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The answer to a message the customer just sent.
    Response,
    /// A message of our own (an alert, a notice) inside the 24 hours after
    /// the customer's last message.
    Update,
    /// A message of our own outside that window: Messenger only with the
    /// `ACCOUNT_UPDATE` tag, WhatsApp only as a pre-approved template;
    /// Telegram has no window.
    OutsideWindow,
}

/// At most `n` characters of `s`.
fn cut(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// A reply button: what it shows and what comes back when tapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Button {
    pub title: String,
    pub payload: String,
}

async fn post_with_retry(
    http: &reqwest::Client,
    policy: RetryPolicy,
    url: &str,
    bearer: Option<&SecretString>,
    body: &Value,
) -> Result<Value, SendError> {
    let attempts = policy.max_attempts.max(1);
    let mut last = String::new();
    for attempt in 1..=attempts {
        let mut req = http.post(url).json(body);
        if let Some(token) = bearer {
            req = req.bearer_auth(token.expose_secret());
        }
        let mut wait = policy.delay(attempt);
        match req.send().await {
            Ok(resp) if resp.status().is_success() => {
                return Ok(resp.json().await.unwrap_or(Value::Null));
            }
            Ok(resp) => {
                let status = resp.status();
                if status != StatusCode::TOO_MANY_REQUESTS && !status.is_server_error() {
                    return Err(SendError::Rejected(status.as_u16()));
                }
                if let Some(secs) = resp
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                {
                    wait = Duration::from_secs(secs).min(policy.max_delay);
                }
                last = format!("HTTP {}", status.as_u16());
            }
            Err(e) => last = e.without_url().to_string(),
        }
        tracing::debug!(attempt, %last, "send failed; retrying");
        if attempt < attempts {
            tokio::time::sleep(wait).await;
        }
    }
    tracing::warn!(attempts, %last, "send gave up");
    Err(SendError::GaveUp { attempts, last })
}

/// Messenger Send API client.
#[derive(Debug, Clone)]
pub struct MessengerClient {
    http: reqwest::Client,
    graph_url: String,
    page_token: SecretString,
    pub retry: RetryPolicy,
}

impl MessengerClient {
    pub fn new(http: reqwest::Client, config: &MessengerConfig) -> Self {
        MessengerClient {
            http,
            graph_url: config.graph_url.trim_end_matches('/').to_owned(),
            page_token: config.page_token.clone(),
            retry: RetryPolicy::default(),
        }
    }

    /// The Send API body for a text reply with optional quick replies (at
    /// most 13, titles cut to 20 characters, as the platform allows).
    pub fn body(to: &Sender, text: &str, quick_replies: &[Button]) -> Value {
        Self::body_as(to, text, quick_replies, Delivery::Response)
    }

    /// As [`Self::body`], sent as `delivery` says: a `RESPONSE`, an
    /// `UPDATE` inside the 24-hour window, or outside it a `MESSAGE_TAG`
    /// with the `ACCOUNT_UPDATE` tag.
    pub fn body_as(to: &Sender, text: &str, quick_replies: &[Button], delivery: Delivery) -> Value {
        let mut message = json!({ "text": text });
        if !quick_replies.is_empty() {
            message["quick_replies"] = quick_replies
                .iter()
                .take(13)
                .map(|b| json!({ "content_type": "text", "title": cut(&b.title, 20), "payload": b.payload }))
                .collect();
        }
        Self::envelope(to, message, delivery)
    }

    /// An image attachment by URL (the platform fetches it).
    pub fn image_body(to: &Sender, url: &str, delivery: Delivery) -> Value {
        let message = json!({
            "attachment": { "type": "image", "payload": { "url": url, "is_reusable": false } }
        });
        Self::envelope(to, message, delivery)
    }

    fn envelope(to: &Sender, message: Value, delivery: Delivery) -> Value {
        let recipient = match to {
            Sender::Id(id) => json!({ "id": id }),
            Sender::UserRef(r) => json!({ "user_ref": r }),
        };
        match delivery {
            Delivery::Response => {
                json!({ "recipient": recipient, "messaging_type": "RESPONSE", "message": message })
            }
            Delivery::Update => {
                json!({ "recipient": recipient, "messaging_type": "UPDATE", "message": message })
            }
            Delivery::OutsideWindow => json!({
                "recipient": recipient,
                "messaging_type": "MESSAGE_TAG",
                "tag": "ACCOUNT_UPDATE",
                "message": message,
            }),
        }
    }

    pub async fn send_text(
        &self,
        to: &Sender,
        text: &str,
        quick_replies: &[Button],
    ) -> Result<Value, SendError> {
        self.send(&Self::body(to, text, quick_replies)).await
    }

    /// Posts a body made by [`Self::body_as`] or [`Self::image_body`].
    pub async fn send(&self, body: &Value) -> Result<Value, SendError> {
        let url = format!("{}/me/messages", self.graph_url);
        post_with_retry(&self.http, self.retry, &url, Some(&self.page_token), body).await
    }
}

/// WhatsApp Cloud API client.
#[derive(Debug, Clone)]
pub struct WhatsAppClient {
    http: reqwest::Client,
    graph_url: String,
    token: SecretString,
    pub retry: RetryPolicy,
}

impl WhatsAppClient {
    pub fn new(http: reqwest::Client, config: &WhatsAppConfig) -> Self {
        WhatsAppClient {
            http,
            graph_url: config.graph_url.trim_end_matches('/').to_owned(),
            token: config.token.clone(),
            retry: RetryPolicy::default(),
        }
    }

    /// A text message, or with `buttons` an interactive reply-button message
    /// (the platform allows up to three, titles of at most 20 characters).
    pub fn body(to: &str, text: &str, buttons: &[Button]) -> Value {
        if buttons.is_empty() {
            return json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": to,
                "type": "text",
                "text": { "body": text },
            });
        }
        let buttons: Vec<Value> = buttons
            .iter()
            .take(3)
            .map(|b| json!({ "type": "reply", "reply": { "id": b.payload, "title": cut(&b.title, 20) } }))
            .collect();
        json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": "interactive",
            "interactive": {
                "type": "button",
                "body": { "text": text },
                "action": { "buttons": buttons },
            },
        })
    }

    pub async fn send_text(
        &self,
        phone_number_id: &str,
        to: &str,
        text: &str,
        buttons: &[Button],
    ) -> Result<Value, SendError> {
        self.send(phone_number_id, &Self::body(to, text, buttons))
            .await
    }

    /// An image message by link.
    pub fn image_body(to: &str, url: &str) -> Value {
        json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": "image",
            "image": { "link": url },
        })
    }

    /// A pre-approved template message (the only kind allowed outside the
    /// 24-hour customer service window), with `text` as its one body
    /// parameter.
    pub fn template_body(to: &str, template: &WhatsAppTemplate, text: &str) -> Value {
        json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": "template",
            "template": {
                "name": template.name,
                "language": { "code": template.language },
                "components": [{
                    "type": "body",
                    "parameters": [{ "type": "text", "text": cut(text, 1024) }],
                }],
            },
        })
    }

    /// Posts a body to `/{phone_number_id}/messages`.
    pub async fn send(&self, phone_number_id: &str, body: &Value) -> Result<Value, SendError> {
        let url = format!("{}/{phone_number_id}/messages", self.graph_url);
        post_with_retry(&self.http, self.retry, &url, Some(&self.token), body).await
    }
}

/// Telegram Bot API client.
#[derive(Debug, Clone)]
pub struct TelegramClient {
    http: reqwest::Client,
    api_url: String,
    bot_token: SecretString,
    pub retry: RetryPolicy,
}

impl TelegramClient {
    pub fn new(http: reqwest::Client, config: &TelegramConfig) -> Self {
        TelegramClient {
            http,
            api_url: config.api_url.trim_end_matches('/').to_owned(),
            bot_token: config.bot_token.clone(),
            retry: RetryPolicy::default(),
        }
    }

    /// `sendMessage` with an optional inline keyboard, one button a row
    /// (a button whose payload is over Telegram's 64 bytes of
    /// `callback_data` is left out).
    pub fn body(chat_id: &str, text: &str, buttons: &[Button]) -> Value {
        let mut body = json!({ "chat_id": chat_id, "text": text });
        let rows: Vec<Value> = buttons
            .iter()
            .filter(|b| !b.payload.is_empty() && b.payload.len() <= 64)
            .map(|b| json!([{ "text": b.title, "callback_data": b.payload }]))
            .collect();
        if !rows.is_empty() {
            body["reply_markup"] = json!({ "inline_keyboard": rows });
        }
        body
    }

    /// `sendPhoto` by URL.
    pub fn photo_body(chat_id: &str, url: &str) -> Value {
        json!({ "chat_id": chat_id, "photo": url })
    }

    /// `sendPhoto`.
    pub async fn send_photo(&self, chat_id: &str, url: &str) -> Result<Value, SendError> {
        self.call("sendPhoto", &Self::photo_body(chat_id, url))
            .await
    }

    /// `answerCallbackQuery`: stops the button's spinner in the client.
    pub async fn answer_callback(&self, callback_query_id: &str) -> Result<Value, SendError> {
        self.call(
            "answerCallbackQuery",
            &json!({ "callback_query_id": callback_query_id }),
        )
        .await
    }

    async fn call(&self, method: &str, body: &Value) -> Result<Value, SendError> {
        let url = format!(
            "{}/bot{}/{method}",
            self.api_url,
            self.bot_token.expose_secret()
        );
        post_with_retry(&self.http, self.retry, &url, None, body).await
    }

    pub async fn send_text(
        &self,
        chat_id: &str,
        text: &str,
        buttons: &[Button],
    ) -> Result<Value, SendError> {
        self.call("sendMessage", &Self::body(chat_id, text, buttons))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let p = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        };
        let d: Vec<u128> = (1..=6).map(|a| p.delay(a).as_millis()).collect();
        assert_eq!(d, vec![100, 200, 400, 800, 1000, 1000]);
        assert_eq!(p.delay(100), Duration::from_secs(1));
    }
}
