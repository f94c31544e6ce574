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

use crate::config::{MessengerConfig, TelegramConfig, WhatsAppConfig};
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

    /// The Send API body for a text reply with optional quick replies.
    pub fn body(to: &Sender, text: &str, quick_replies: &[Button]) -> Value {
        let recipient = match to {
            Sender::Id(id) => json!({ "id": id }),
            Sender::UserRef(r) => json!({ "user_ref": r }),
        };
        let mut message = json!({ "text": text });
        if !quick_replies.is_empty() {
            message["quick_replies"] = quick_replies
                .iter()
                .map(|b| json!({ "content_type": "text", "title": b.title, "payload": b.payload }))
                .collect();
        }
        json!({ "recipient": recipient, "messaging_type": "RESPONSE", "message": message })
    }

    pub async fn send_text(
        &self,
        to: &Sender,
        text: &str,
        quick_replies: &[Button],
    ) -> Result<Value, SendError> {
        let url = format!("{}/me/messages", self.graph_url);
        let body = Self::body(to, text, quick_replies);
        post_with_retry(&self.http, self.retry, &url, Some(&self.page_token), &body).await
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
    /// (the platform allows up to three).
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
            .map(|b| json!({ "type": "reply", "reply": { "id": b.payload, "title": b.title } }))
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
        let url = format!("{}/{phone_number_id}/messages", self.graph_url);
        let body = Self::body(to, text, buttons);
        post_with_retry(&self.http, self.retry, &url, Some(&self.token), &body).await
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

    /// `sendMessage` with an optional inline keyboard, one button a row.
    pub fn body(chat_id: &str, text: &str, buttons: &[Button]) -> Value {
        let mut body = json!({ "chat_id": chat_id, "text": text });
        if !buttons.is_empty() {
            let rows: Vec<Value> = buttons
                .iter()
                .map(|b| json!([{ "text": b.title, "callback_data": b.payload }]))
                .collect();
            body["reply_markup"] = json!({ "inline_keyboard": rows });
        }
        body
    }

    pub async fn send_text(
        &self,
        chat_id: &str,
        text: &str,
        buttons: &[Button],
    ) -> Result<Value, SendError> {
        let url = format!(
            "{}/bot{}/sendMessage",
            self.api_url,
            self.bot_token.expose_secret()
        );
        let body = Self::body(chat_id, text, buttons);
        post_with_retry(&self.http, self.retry, &url, None, &body).await
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
