//! Financial information (FI): one account's data as the bank encrypts it for
//! a data user under a consent, and as the data user decrypts it.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{AccountId, AccountKind, Money, Transaction};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountData {
    pub account_id: AccountId,
    pub kind: AccountKind,
    pub masked_number: String,
    pub currency: String,
    /// Present when the consent covers balances (`SUMMARY`).
    pub summary: Option<Summary>,
    /// Present when the consent covers transactions; newest first.
    pub transactions: Option<Vec<Transaction>>,
    /// Set when more transactions are in range: send it back (per account) for the next page.
    /// Opaque, and only inside the encrypted payload, so the relay never sees it.
    #[serde(default)]
    pub next_cursor: Option<String>,
    pub as_of: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Sum of everything booked.
    pub booked: Money,
    /// What can be spent: booked plus the credit or overdraft limit.
    pub available: Money,
}
