//! The `anumati` binary's library half: configuration and the assembly of the
//! three roles into one process ([`system::System`]).

pub mod bench;
pub mod bench_channels;
pub mod config;
pub mod live;
pub mod system;

pub use system::grant_default_consent;
