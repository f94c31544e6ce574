//! Parsing the platforms' documented webhook payloads into [`Inbound`]s.
//!
//! Every parser takes the raw body and the time it was received (used only
//! when the platform gives no timestamp for an event) and returns the events
//! worth answering, in payload order. Anything else the platforms send on the
//! same webhook (echoes of our own messages, delivery and read receipts,
//! WhatsApp `statuses`, edited messages, stickers and other non-text
//! messages) is dropped here. A body that is not JSON or not the platform's
//! envelope is a [`ParseError`]; no input makes these functions panic.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// The messaging platform an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    Messenger,
    #[serde(rename = "whatsapp")]
    WhatsApp,
    Telegram,
}

impl Platform {
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Messenger => "messenger",
            Platform::WhatsApp => "whatsapp",
            Platform::Telegram => "telegram",
        }
    }
}

/// Who sent an event, as the platform identifies them to us.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sender {
    /// Messenger page-scoped id (PSID), WhatsApp phone number (`wa_id`) or
    /// Telegram chat id, as a string.
    Id(String),
    /// A Messenger `user_ref` (e.g. from the checkbox plugin, before the
    /// person has a PSID); replies go to `recipient.user_ref`.
    UserRef(String),
}

impl Sender {
    /// The key used for rate limits: distinct for ids and user refs.
    pub fn key(&self) -> String {
        match self {
            Sender::Id(id) => id.clone(),
            Sender::UserRef(r) => format!("user_ref:{r}"),
        }
    }
}

/// What the sender did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum InboundKind {
    /// Typed text.
    Text(String),
    /// A quick-reply / reply button was tapped: `payload` is ours, `text` is
    /// what the button showed.
    QuickReply { payload: String, text: String },
    /// A postback (Messenger button, Telegram inline-keyboard callback data).
    Postback { payload: String },
}

/// One event from a messaging platform, ready for the assistant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inbound {
    pub platform: Platform,
    pub sender: Sender,
    /// The business-side id the event was addressed to, needed to reply:
    /// the Messenger page id, the WhatsApp `phone_number_id`; `None` for
    /// Telegram (the bot token identifies the bot).
    pub recipient: Option<String>,
    /// The platform's id of the event (Messenger `mid`, WhatsApp message id,
    /// Telegram `update_id`), the redelivery key.
    pub message_id: String,
    pub kind: InboundKind,
    pub timestamp: Timestamp,
}

/// Why a webhook body could not be read. Its `Display` carries no payload
/// content, so it can be logged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("malformed JSON or unexpected shape at line {line} column {column}")]
    Json { line: usize, column: usize },
    #[error("unexpected webhook object {0:?}")]
    UnexpectedObject(String),
    #[error("invalid event: {0}")]
    Invalid(&'static str),
}

impl From<serde_json::Error> for ParseError {
    fn from(e: serde_json::Error) -> Self {
        ParseError::Json {
            line: e.line(),
            column: e.column(),
        }
    }
}

fn object_name(s: &str) -> String {
    // Logged: keep it short and printable.
    s.chars().take(40).filter(|c| !c.is_control()).collect()
}

// ---------------------------------------------------------------- Messenger

#[derive(Deserialize)]
struct MsgrWebhook {
    object: String,
    entry: Vec<MsgrEntry>,
}

#[derive(Deserialize)]
struct MsgrEntry {
    #[serde(default)]
    messaging: Vec<MsgrEvent>,
}

#[derive(Deserialize)]
struct MsgrEvent {
    sender: Option<MsgrParty>,
    recipient: Option<MsgrParty>,
    timestamp: Option<i64>,
    message: Option<MsgrMessage>,
    postback: Option<MsgrPostback>,
}

#[derive(Deserialize)]
struct MsgrParty {
    id: Option<String>,
    user_ref: Option<String>,
}

#[derive(Deserialize)]
struct MsgrMessage {
    mid: String,
    text: Option<String>,
    quick_reply: Option<MsgrQuickReply>,
    #[serde(default)]
    is_echo: bool,
}

#[derive(Deserialize)]
struct MsgrQuickReply {
    payload: String,
}

#[derive(Deserialize)]
struct MsgrPostback {
    mid: Option<String>,
    payload: String,
}

fn ms_timestamp(ms: Option<i64>, received: Timestamp) -> Result<Timestamp, ParseError> {
    match ms {
        None => Ok(received),
        Some(ms) => Timestamp::from_millisecond(ms).map_err(|_| ParseError::Invalid("timestamp")),
    }
}

/// Messenger Platform webhook: `{"object":"page","entry":[{"messaging":[…]}]}`.
pub fn parse_messenger(body: &[u8], received: Timestamp) -> Result<Vec<Inbound>, ParseError> {
    let hook: MsgrWebhook = serde_json::from_slice(body)?;
    if hook.object != "page" {
        return Err(ParseError::UnexpectedObject(object_name(&hook.object)));
    }
    let mut out = Vec::new();
    for event in hook.entry.into_iter().flat_map(|e| e.messaging) {
        let (message_id, kind) = match (event.message, event.postback) {
            (Some(m), _) => {
                if m.is_echo {
                    continue;
                }
                let kind = match (m.quick_reply, m.text) {
                    (Some(qr), text) => InboundKind::QuickReply {
                        payload: qr.payload,
                        text: text.unwrap_or_default(),
                    },
                    (None, Some(text)) => InboundKind::Text(text),
                    // Attachments, stickers, reactions: nothing to answer yet.
                    (None, None) => continue,
                };
                (m.mid, kind)
            }
            (None, Some(p)) => {
                let id = match p.mid {
                    Some(mid) => mid,
                    // Older postbacks carry no mid: sender and time identify them.
                    None => format!(
                        "postback:{}:{}",
                        event
                            .sender
                            .as_ref()
                            .and_then(|s| s.id.as_deref().or(s.user_ref.as_deref()))
                            .unwrap_or(""),
                        event.timestamp.unwrap_or(0)
                    ),
                };
                (id, InboundKind::Postback { payload: p.payload })
            }
            // delivery, read, optin, referral…: ignored.
            (None, None) => continue,
        };
        let sender = match event.sender {
            Some(MsgrParty { id: Some(id), .. }) => Sender::Id(id),
            Some(MsgrParty {
                user_ref: Some(r), ..
            }) => Sender::UserRef(r),
            _ => return Err(ParseError::Invalid("sender missing")),
        };
        out.push(Inbound {
            platform: Platform::Messenger,
            sender,
            recipient: event.recipient.and_then(|r| r.id),
            message_id,
            kind,
            timestamp: ms_timestamp(event.timestamp, received)?,
        });
    }
    Ok(out)
}

// ----------------------------------------------------------------- WhatsApp

#[derive(Deserialize)]
struct WaWebhook {
    object: String,
    entry: Vec<WaEntry>,
}

#[derive(Deserialize)]
struct WaEntry {
    #[serde(default)]
    changes: Vec<WaChange>,
}

#[derive(Deserialize)]
struct WaChange {
    field: String,
    value: serde_json::Value,
}

#[derive(Deserialize)]
struct WaValue {
    metadata: Option<WaMetadata>,
    #[serde(default)]
    messages: Vec<WaMessage>,
}

#[derive(Deserialize)]
struct WaMetadata {
    phone_number_id: String,
}

#[derive(Deserialize)]
struct WaMessage {
    from: String,
    id: String,
    timestamp: String,
    #[serde(rename = "type")]
    kind: String,
    text: Option<WaText>,
    interactive: Option<WaInteractive>,
    button: Option<WaButton>,
}

#[derive(Deserialize)]
struct WaText {
    body: String,
}

#[derive(Deserialize)]
struct WaInteractive {
    button_reply: Option<WaReply>,
    list_reply: Option<WaReply>,
}

#[derive(Deserialize)]
struct WaReply {
    id: String,
    title: String,
}

#[derive(Deserialize)]
struct WaButton {
    payload: String,
    text: String,
}

/// WhatsApp Cloud API webhook:
/// `{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{…}}]}]}`.
pub fn parse_whatsapp(body: &[u8], _received: Timestamp) -> Result<Vec<Inbound>, ParseError> {
    let hook: WaWebhook = serde_json::from_slice(body)?;
    if hook.object != "whatsapp_business_account" {
        return Err(ParseError::UnexpectedObject(object_name(&hook.object)));
    }
    let mut out = Vec::new();
    for change in hook.entry.into_iter().flat_map(|e| e.changes) {
        if change.field != "messages" {
            continue;
        }
        // `statuses` (sent/delivered/read) share this field and are ignored.
        let value: WaValue = serde_json::from_value(change.value)?;
        let recipient = value.metadata.map(|m| m.phone_number_id);
        for m in value.messages {
            let kind = match (m.kind.as_str(), m.text, m.interactive, m.button) {
                ("text", Some(t), _, _) => InboundKind::Text(t.body),
                ("interactive", _, Some(i), _) => match i.button_reply.or(i.list_reply) {
                    Some(r) => InboundKind::QuickReply {
                        payload: r.id,
                        text: r.title,
                    },
                    None => continue,
                },
                // A quick-reply button on a template message.
                ("button", _, _, Some(b)) => InboundKind::QuickReply {
                    payload: b.payload,
                    text: b.text,
                },
                // image, audio, location, reaction, unsupported…: ignored.
                _ => continue,
            };
            let secs: i64 = m
                .timestamp
                .parse()
                .map_err(|_| ParseError::Invalid("timestamp"))?;
            let timestamp =
                Timestamp::from_second(secs).map_err(|_| ParseError::Invalid("timestamp"))?;
            out.push(Inbound {
                platform: Platform::WhatsApp,
                sender: Sender::Id(m.from),
                recipient: recipient.clone(),
                message_id: m.id,
                kind,
                timestamp,
            });
        }
    }
    Ok(out)
}

// ----------------------------------------------------------------- Telegram

#[derive(Deserialize)]
struct TgUpdate {
    update_id: i64,
    message: Option<TgMessage>,
    callback_query: Option<TgCallbackQuery>,
}

#[derive(Deserialize)]
struct TgMessage {
    date: i64,
    chat: TgChat,
    text: Option<String>,
}

#[derive(Deserialize)]
struct TgChat {
    id: i64,
}

#[derive(Deserialize)]
struct TgUser {
    id: i64,
}

#[derive(Deserialize)]
struct TgCallbackQuery {
    from: TgUser,
    /// May be an `InaccessibleMessage` (date 0); only the chat is used.
    message: Option<TgCallbackMessage>,
    data: Option<String>,
}

#[derive(Deserialize)]
struct TgCallbackMessage {
    chat: TgChat,
}

/// Telegram Bot API webhook: one `Update` per request.
pub fn parse_telegram(body: &[u8], received: Timestamp) -> Result<Vec<Inbound>, ParseError> {
    let update: TgUpdate = serde_json::from_slice(body)?;
    let message_id = update.update_id.to_string();
    if let Some(m) = update.message {
        let Some(text) = m.text else {
            return Ok(Vec::new());
        };
        let timestamp = Timestamp::from_second(m.date).map_err(|_| ParseError::Invalid("date"))?;
        return Ok(vec![Inbound {
            platform: Platform::Telegram,
            sender: Sender::Id(m.chat.id.to_string()),
            recipient: None,
            message_id,
            kind: InboundKind::Text(text),
            timestamp,
        }]);
    }
    if let Some(q) = update.callback_query {
        let Some(data) = q.data else {
            return Ok(Vec::new());
        };
        let chat = q.message.map(|m| m.chat.id).unwrap_or(q.from.id);
        return Ok(vec![Inbound {
            platform: Platform::Telegram,
            sender: Sender::Id(chat.to_string()),
            recipient: None,
            message_id,
            kind: InboundKind::Postback { payload: data },
            timestamp: received,
        }]);
    }
    // edited_message, channel_post, my_chat_member…: ignored.
    Ok(Vec::new())
}

/// Parses `body` as `platform`'s webhook payload.
pub fn parse(
    platform: Platform,
    body: &[u8],
    received: Timestamp,
) -> Result<Vec<Inbound>, ParseError> {
    match platform {
        Platform::Messenger => parse_messenger(body, received),
        Platform::WhatsApp => parse_whatsapp(body, received),
        Platform::Telegram => parse_telegram(body, received),
    }
}
