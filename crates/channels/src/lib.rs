//! # anumati-channels: the messaging platforms' side of the chat app
//!
//! This crate is the platform-facing layer that lets the assistant run behind
//! Facebook Messenger, the WhatsApp Cloud API and the Telegram Bot API exactly
//! as those platforms specify their webhooks. It knows nothing about the
//! assistant: every accepted event becomes one [`Inbound`] handed to an
//! [`InboundHandler`].
//!
//! What happens to a webhook `POST`, in order ([`router()`], module [`mod@router`]):
//!
//! 1. **Authenticity first**, on the raw body, before any parsing
//!    ([`signature`]): Messenger and WhatsApp sign with `X-Hub-Signature-256`
//!    (`sha256=` + hex HMAC-SHA256 of the raw body under the app secret);
//!    Telegram sends back the `X-Telegram-Bot-Api-Secret-Token` set with
//!    `setWebhook`. Both are compared in constant time. A missing, malformed
//!    or wrong value is answered `403` and nothing is processed.
//! 2. **Parsing** of the documented payload shapes ([`inbound`]) into
//!    [`Inbound`]s; echoes, delivery and read receipts, WhatsApp `statuses`
//!    and unsupported message types are dropped. Malformed JSON or an
//!    unknown envelope is a typed [`inbound::ParseError`] (`400`), never a
//!    panic.
//! 3. **Redelivery** ([`dedupe`]): a bounded seen-set keyed by
//!    (platform, message id) lets each event through once, even when the
//!    same payload arrives several times at once.
//! 4. **Per-sender rate limits** ([`ratelimit`]): a keyed GCRA limiter, so a
//!    flood from one sender is dropped without slowing anybody else.
//! 5. The handler runs on its own task; the platform gets `200` at once.
//!
//! `GET` on the Messenger and WhatsApp webhooks is the verification handshake
//! ([`verify`]). Secrets live in [`config::ChannelsConfig`] as
//! [`secrecy::SecretString`]s whose `Debug` is redacted.
//!
//! Replies go out through [`outbound`], a bounded queue sharded by
//! recipient, to [`send`]: Messenger Send API, WhatsApp Cloud API and
//! Telegram `sendMessage`/`sendPhoto` clients with bounded retries and
//! exponential backoff on 429 and 5xx. Outside the 24-hour window a message
//! of our own goes to Messenger only with the `ACCOUNT_UPDATE` tag and to
//! WhatsApp only as the bank's pre-approved template ([`Delivery`]).

pub mod config;
pub mod dedupe;
pub mod inbound;
pub mod outbound;
pub mod ratelimit;
pub mod router;
pub mod send;
pub mod signature;
pub mod verify;

pub use config::ChannelsConfig;
pub use inbound::{Inbound, InboundKind, Platform, Sender};
pub use outbound::{Clients, Outbound, Outbox, OutboxError};
pub use router::{router, router_with_limits, InboundHandler, Limits};
pub use send::{Button, Delivery};
