//! The assistant's language layer, in English, Hindi (Devanagari) and
//! romanised Hinglish, fully offline.
//!
//! - [`text`]: normalisation every other part starts from.
//! - [`classifier`]: the intent classifier, trained by the project itself.
//! - [`entities`]: dates, amounts, merchants, categories and places.

pub mod classifier;
pub mod corpus;
pub mod csv;
pub mod entities;
pub mod eval;
pub mod text;
