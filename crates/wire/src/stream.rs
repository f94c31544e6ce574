//! Live events from the bank node to a data user, in the embedded mode: one
//! bounded in-process queue per data user carries [`Delivery`]s (the bank's
//! `POST /v1/streams` subscribes; see the bank crate's `stream` module). The
//! event itself is the bank's stable JSON (`"v": 1`), so the queue could be
//! a NATS JetStream subject without either side changing.

/// One event under one STREAM consent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The STREAM consent the event is delivered under.
    pub consent_id: String,
    /// The event's JSON (version 1).
    pub event: String,
    /// When the bank decided, for the data user's latency figures.
    pub decided_at: std::time::Instant,
}
