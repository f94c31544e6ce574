//! The `anumati` binary's library half: configuration and the assembly of the
//! three roles into one process ([`system::System`]).

pub mod config;
pub mod system;
