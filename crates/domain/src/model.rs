//! What the bank node owns and serves: customers, accounts, cards, merchants
//! and transactions.

use jiff::civil::Date;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{AccountId, CardId, Category, CustomerId, MerchantId, Money, TransactionId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    Savings,
    Current,
    CreditCard,
}

impl AccountKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            AccountKind::Savings => "savings",
            AccountKind::Current => "current",
            AccountKind::CreditCard => "credit_card",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "savings" => AccountKind::Savings,
            "current" => AccountKind::Current,
            "credit_card" => AccountKind::CreditCard,
            _ => return None,
        })
    }

    pub fn label(&self) -> &'static str {
        match self {
            AccountKind::Savings => "savings account",
            AccountKind::Current => "current account",
            AccountKind::CreditCard => "credit card",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Customer {
    pub id: CustomerId,
    /// The name the customer logs in with, e.g. `priya.sharma`.
    pub login: String,
    pub name: String,
    pub city: String,
    pub country: String,
    /// IANA time zone, e.g. `Asia/Kolkata`.
    pub time_zone: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Account {
    pub id: AccountId,
    pub customer_id: CustomerId,
    pub kind: AccountKind,
    /// Full account number; never leaves the bank node (see [`mask_account_number`]).
    #[serde(skip_serializing, default)]
    pub number: String,
    /// The number as shown outside the bank: `XXXXXX1234`.
    pub masked_number: String,
    #[schema(value_type = String, example = "INR")]
    pub currency: crate::Currency,
    /// Credit limit for credit cards; overdraft limit (often zero) otherwise.
    pub limit: Money,
    #[schema(value_type = String, format = Date)]
    pub opened_on: Date,
}

/// Masks all but the last four characters, as account numbers are shown outside the bank.
pub fn mask_account_number(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    let keep = chars.len().min(4);
    let hidden = chars.len() - keep;
    std::iter::repeat_n('X', hidden)
        .chain(chars[hidden..].iter().copied())
        .collect()
}

/// Masks a card number (PAN) to its first six and last four digits, as PCI DSS allows.
pub fn mask_pan(pan: &str) -> String {
    let digits: Vec<char> = pan.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 13 {
        return "X".repeat(digits.len());
    }
    let n = digits.len();
    digits
        .iter()
        .enumerate()
        .map(|(i, d)| if i < 6 || i >= n - 4 { *d } else { 'X' })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CardKind {
    Debit,
    Credit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CardStatus {
    Active,
    Locked,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Card {
    pub id: CardId,
    pub account_id: AccountId,
    pub kind: CardKind,
    /// First six and last four digits only; the full PAN is never served.
    pub masked_pan: String,
    pub network: String,
    pub status: CardStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Merchant {
    pub id: MerchantId,
    pub name: String,
    /// ISO 18245 merchant category code, four digits.
    pub mcc: String,
    pub city: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub online: bool,
}

/// How a transaction reached the bank.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Card present at a terminal.
    CardPresent,
    /// Card not present: online or in-app.
    Online,
    /// Bank transfer (NEFT/IMPS/UPI/ACH), including salary and rent.
    Transfer,
    /// Standing instruction or direct debit.
    DirectDebit,
}

impl Channel {
    pub fn as_str(&self) -> &'static str {
        match self {
            Channel::CardPresent => "card_present",
            Channel::Online => "online",
            Channel::Transfer => "transfer",
            Channel::DirectDebit => "direct_debit",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "card_present" => Channel::CardPresent,
            "online" => Channel::Online,
            "transfer" => Channel::Transfer,
            "direct_debit" => Channel::DirectDebit,
            _ => return None,
        })
    }
}

/// What kind of event a transaction records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TransactionKind {
    CardPayment,
    Salary,
    Rent,
    Bill,
    Subscription,
    TransferIn,
    TransferOut,
    CardRepayment,
}

impl TransactionKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            TransactionKind::CardPayment => "card_payment",
            TransactionKind::Salary => "salary",
            TransactionKind::Rent => "rent",
            TransactionKind::Bill => "bill",
            TransactionKind::Subscription => "subscription",
            TransactionKind::TransferIn => "transfer_in",
            TransactionKind::TransferOut => "transfer_out",
            TransactionKind::CardRepayment => "card_repayment",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "card_payment" => TransactionKind::CardPayment,
            "salary" => TransactionKind::Salary,
            "rent" => TransactionKind::Rent,
            "bill" => TransactionKind::Bill,
            "subscription" => TransactionKind::Subscription,
            "transfer_in" => TransactionKind::TransferIn,
            "transfer_out" => TransactionKind::TransferOut,
            "card_repayment" => TransactionKind::CardRepayment,
            _ => return None,
        })
    }
}

/// Where a card payment happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Place {
    pub city: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
}

/// A booked transaction. `amount` is signed: negative leaves the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Transaction {
    pub id: TransactionId,
    pub account_id: AccountId,
    #[schema(value_type = String, format = DateTime)]
    pub booked_at: Timestamp,
    #[schema(value_type = String, format = Date)]
    pub value_date: Date,
    pub amount: Money,
    pub kind: TransactionKind,
    pub channel: Channel,
    pub description: String,
    pub merchant: Option<TransactionMerchant>,
    pub card_id: Option<CardId>,
    /// Who paid or was paid, for transfers.
    pub counterparty: Option<String>,
    pub category: Category,
}

/// The merchant details a card payment carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TransactionMerchant {
    pub id: MerchantId,
    pub name: String,
    pub mcc: String,
    pub place: Place,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_account_numbers() {
        assert_eq!(mask_account_number("50100234567890"), "XXXXXXXXXX7890");
        assert_eq!(mask_account_number("12"), "12");
    }

    #[test]
    fn masks_pans_to_six_and_four() {
        assert_eq!(mask_pan("4111 1111 1111 1234"), "411111XXXXXX1234");
        assert_eq!(mask_pan("1234"), "XXXX");
    }
}
