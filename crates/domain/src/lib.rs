//! anumati's domain: the vocabulary every role shares, with no I/O.
//!
//! - [`money`]: [`Money`] is an integer count of minor units with a [`Currency`];
//!   arithmetic is checked and never mixes currencies. There are no floats.
//! - [`ids`]: typed identifiers, so a customer id cannot be passed where an
//!   account id is expected.
//! - [`model`]: customers, accounts, cards, merchants and transactions as the
//!   bank node owns them and as its API serves them.
//! - [`mcc`] and [`category`]: ISO 18245 merchant category codes and the
//!   spending categories customers talk about.
//! - [`consent`]: the consent artefact the consent manager signs and the bank
//!   node verifies.
//!
//! ```
//! use anumati_domain::{Money, Currency};
//! let rent = Money::parse("25000.00", Currency::INR).unwrap();
//! let food = Money::parse("1250.5", Currency::INR).unwrap();
//! assert_eq!(rent.checked_add(food).unwrap().to_string(), "₹26,250.50");
//! ```

pub mod category;
pub mod consent;
pub mod fi;
pub mod ids;
pub mod mcc;
pub mod model;
pub mod money;

pub use category::Category;
pub use ids::*;
pub use model::*;
pub use money::{Currency, Money, MoneyError};
