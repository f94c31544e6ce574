//! How the roles talk to each other.
//!
//! - [`jws`]: compact JWS with EdDSA (Ed25519), used for consent artefacts and
//!   every signed message between roles.
//! - [`Peer`]: a handle on another role's HTTP API. Requests are real HTTP
//!   requests (method, path, headers, JSON body) handled by that role's axum
//!   router; in the single-process mode they are dispatched in memory, so a
//!   role can reach another only through the same public API an outside
//!   client uses — never through its database or its Rust types.

pub mod api;
pub mod clock;
pub mod html;
pub mod jws;
mod peer;
pub mod stream;

pub use peer::{Peer, PeerError, PeerResponse};
