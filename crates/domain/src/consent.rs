//! The consent artefact: what a customer allowed, signed by the consent
//! manager and checked by the bank node on every request.
//!
//! Field names follow India's Account Aggregator (ReBIT v2) consent artefact
//! (`consentStart`, `consentExpiry`, `consentMode`, `fetchType`,
//! `consentTypes`, `fiTypes`, `DataConsumer`, `Customer`, `Purpose`,
//! `FIDataRange`, `DataLife`, `Frequency`, `DataFilter`), so the artefact reads
//! like the standard's. Card data needs merchant and place details, which the
//! standard lacks; they travel in the `Extensions` object.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{AccountId, ConsentId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConsentMode {
    /// Shown to the customer, never stored by the data user.
    View,
    /// Kept by the data user until the data life ends.
    Store,
    /// Live events, for alerts.
    Stream,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FetchType {
    Onetime,
    Periodic,
}

/// The kinds of data a consent can cover (ReBIT `consentTypes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConsentType {
    /// Account holder and card profile.
    Profile,
    /// Balances.
    Summary,
    /// Transactions.
    Transactions,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConsentStatus {
    Pending,
    Active,
    Paused,
    Revoked,
    Expired,
    Rejected,
}

impl ConsentStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            ConsentStatus::Pending => "PENDING",
            ConsentStatus::Active => "ACTIVE",
            ConsentStatus::Paused => "PAUSED",
            ConsentStatus::Revoked => "REVOKED",
            ConsentStatus::Expired => "EXPIRED",
            ConsentStatus::Rejected => "REJECTED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "PENDING" => ConsentStatus::Pending,
            "ACTIVE" => ConsentStatus::Active,
            "PAUSED" => ConsentStatus::Paused,
            "REVOKED" => ConsentStatus::Revoked,
            "EXPIRED" => ConsentStatus::Expired,
            "REJECTED" => ConsentStatus::Rejected,
            _ => return None,
        })
    }
}

/// ReBIT purpose codes 101–105.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Purpose {
    pub code: String,
    #[serde(rename = "refUri")]
    pub ref_uri: String,
    pub text: String,
    #[serde(rename = "Category")]
    pub category: PurposeCategory,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PurposeCategory {
    #[serde(rename = "type")]
    pub kind: String,
}

impl Purpose {
    /// ReBIT 101: wealth management service.
    pub const WEALTH_MANAGEMENT: &'static str = "101";
    /// ReBIT 102: customer spending patterns, budget or other reportings.
    pub const SPENDING_PATTERNS: &'static str = "102";
    /// ReBIT 103: aggregated statement.
    pub const AGGREGATED_STATEMENT: &'static str = "103";
    /// ReBIT 104: explicit consent to monitor the accounts.
    pub const ACCOUNT_MONITORING: &'static str = "104";
    /// ReBIT 105: explicit one-time consent for accessing data from the accounts.
    pub const ONE_TIME_ACCESS: &'static str = "105";

    pub fn from_code(code: &str) -> Option<Purpose> {
        let (text, category) = match code {
            "101" => ("Wealth management service", "Personal Finance"),
            "102" => (
                "Customer spending patterns, budget or other reportings",
                "Personal Finance",
            ),
            "103" => ("Aggregated statement", "Personal Finance"),
            "104" => (
                "Explicit consent to monitor the accounts",
                "Account Monitoring",
            ),
            "105" => (
                "Explicit one-time consent for accessing data from the accounts",
                "Account Query",
            ),
            _ => return None,
        };
        Some(Purpose {
            code: code.to_owned(),
            ref_uri: "https://api.rebit.org.in/aa/purpose/".to_owned() + code + ".xml",
            text: text.to_owned(),
            category: PurposeCategory {
                kind: category.to_owned(),
            },
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Party {
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConsentAccount {
    #[serde(rename = "fiType")]
    pub fi_type: String,
    #[serde(rename = "fipId")]
    pub fip_id: String,
    #[serde(rename = "accType")]
    pub acc_type: String,
    /// The bank node's reference for the account.
    #[serde(rename = "linkRefNumber")]
    pub link_ref_number: AccountId,
    #[serde(rename = "maskedAccNumber")]
    pub masked_acc_number: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DateRange {
    #[schema(value_type = String, format = DateTime)]
    pub from: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub to: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TimeUnit {
    Hour,
    Day,
    Month,
    Year,
    Inf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Period {
    pub unit: TimeUnit,
    pub value: u32,
}

/// anumati's extension: card data needs merchant and place details.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CardDataExtension {
    /// Merchant name and category code on card payments.
    pub merchant: bool,
    /// City and country of card payments.
    pub place: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConsentArtefact {
    pub ver: String,
    #[serde(rename = "consentId")]
    pub consent_id: ConsentId,
    #[serde(rename = "createTimestamp")]
    #[schema(value_type = String, format = DateTime)]
    pub created: Timestamp,
    #[serde(rename = "consentStart")]
    #[schema(value_type = String, format = DateTime)]
    pub start: Timestamp,
    #[serde(rename = "consentExpiry")]
    #[schema(value_type = String, format = DateTime)]
    pub expiry: Timestamp,
    #[serde(rename = "consentMode")]
    pub mode: ConsentMode,
    #[serde(rename = "fetchType")]
    pub fetch_type: FetchType,
    #[serde(rename = "consentTypes")]
    pub consent_types: Vec<ConsentType>,
    #[serde(rename = "fiTypes")]
    pub fi_types: Vec<String>,
    #[serde(rename = "DataConsumer")]
    pub data_consumer: Party,
    #[serde(rename = "DataProvider")]
    pub data_provider: Party,
    #[serde(rename = "Customer")]
    pub customer: Party,
    #[serde(rename = "Accounts")]
    pub accounts: Vec<ConsentAccount>,
    #[serde(rename = "Purpose")]
    pub purpose: Purpose,
    #[serde(rename = "FIDataRange")]
    pub fi_data_range: DateRange,
    #[serde(rename = "DataLife")]
    pub data_life: Period,
    #[serde(rename = "Frequency")]
    pub frequency: Period,
    #[serde(rename = "DataFilter", default)]
    pub data_filter: Vec<serde_json::Value>,
    #[serde(rename = "Extensions", default)]
    pub extensions: CardDataExtension,
}

/// One request for data, as the bank node sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataRequest<'a> {
    pub account: &'a AccountId,
    pub consent_type: ConsentType,
    pub purpose_code: &'a str,
    pub from: Timestamp,
    pub to: Timestamp,
}

/// Why an artefact does not permit a request. Each maps to a 403 at the bank node.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConsentRefusal {
    #[error("consent is not yet valid")]
    NotStarted,
    #[error("consent has expired")]
    Expired,
    #[error("consent does not cover account {0}")]
    AccountNotCovered(AccountId),
    #[error("consent does not cover {0:?} data")]
    KindNotCovered(ConsentType),
    #[error("purpose {requested} is not the consented purpose {granted}")]
    WrongPurpose { requested: String, granted: String },
    #[error("requested dates fall outside the consented range")]
    DatesOutOfRange,
    #[error("requested range is empty or reversed")]
    BadRange,
}

impl ConsentArtefact {
    /// Checks everything that the artefact alone decides (signature, status and
    /// frequency are the bank node's to check, with its own state).
    pub fn permits(&self, request: &DataRequest<'_>, now: Timestamp) -> Result<(), ConsentRefusal> {
        if now < self.start {
            return Err(ConsentRefusal::NotStarted);
        }
        if now >= self.expiry {
            return Err(ConsentRefusal::Expired);
        }
        if request.purpose_code != self.purpose.code {
            return Err(ConsentRefusal::WrongPurpose {
                requested: request.purpose_code.to_owned(),
                granted: self.purpose.code.clone(),
            });
        }
        if !self
            .accounts
            .iter()
            .any(|a| &a.link_ref_number == request.account)
        {
            return Err(ConsentRefusal::AccountNotCovered(request.account.clone()));
        }
        if !self.consent_types.contains(&request.consent_type) {
            return Err(ConsentRefusal::KindNotCovered(request.consent_type));
        }
        if request.from > request.to {
            return Err(ConsentRefusal::BadRange);
        }
        if request.from < self.fi_data_range.from || request.to > self.fi_data_range.to {
            return Err(ConsentRefusal::DatesOutOfRange);
        }
        Ok(())
    }

    /// How the artefact reads to a customer, in plain words.
    pub fn plain_summary(&self) -> Vec<String> {
        let kinds: Vec<&str> = self
            .consent_types
            .iter()
            .map(|k| match k {
                ConsentType::Profile => "your profile and card details",
                ConsentType::Summary => "your balances",
                ConsentType::Transactions => "your transactions",
            })
            .collect();
        let mut lines = vec![
            format!("Who will see it: {}", self.data_consumer.id),
            format!("What: {}", kinds.join(", ")),
        ];
        if self.extensions.merchant || self.extensions.place {
            lines.push("Including the merchants and places where you paid by card".to_owned());
        }
        lines.push(format!(
            "Which accounts: {}",
            self.accounts
                .iter()
                .map(|a| a.masked_acc_number.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        lines.push(format!("Why: {}", self.purpose.text));
        lines.push(format!(
            "Data from {} to {}",
            self.fi_data_range.from.strftime("%-d %b %Y"),
            self.fi_data_range.to.strftime("%-d %b %Y")
        ));
        lines.push(format!(
            "At most {} times per {}",
            self.frequency.value,
            unit_word(self.frequency.unit)
        ));
        lines.push(format!("Until {}", self.expiry.strftime("%-d %b %Y")));
        lines
    }
}

fn unit_word(unit: TimeUnit) -> &'static str {
    match unit {
        TimeUnit::Hour => "hour",
        TimeUnit::Day => "day",
        TimeUnit::Month => "month",
        TimeUnit::Year => "year",
        TimeUnit::Inf => "ever",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::ToSpan;

    fn artefact(now: Timestamp) -> ConsentArtefact {
        ConsentArtefact {
            ver: "2.0.0".into(),
            consent_id: ConsentId::new("c1"),
            created: now,
            start: now,
            expiry: now + 24.hours(),
            mode: ConsentMode::Store,
            fetch_type: FetchType::Periodic,
            consent_types: vec![ConsentType::Summary, ConsentType::Transactions],
            fi_types: vec!["DEPOSIT".into()],
            data_consumer: Party { id: "app".into() },
            data_provider: Party { id: "bank".into() },
            customer: Party { id: "cus_1".into() },
            accounts: vec![ConsentAccount {
                fi_type: "DEPOSIT".into(),
                fip_id: "bank".into(),
                acc_type: "SAVINGS".into(),
                link_ref_number: AccountId::new("acc_1"),
                masked_acc_number: "XXXX1234".into(),
            }],
            purpose: Purpose::from_code("102").unwrap(),
            fi_data_range: DateRange {
                from: now - 24.hours() * 365,
                to: now + 24.hours(),
            },
            data_life: Period {
                unit: TimeUnit::Month,
                value: 1,
            },
            frequency: Period {
                unit: TimeUnit::Day,
                value: 10,
            },
            data_filter: vec![],
            extensions: CardDataExtension::default(),
        }
    }

    #[test]
    fn permits_only_what_was_granted() {
        let now: Timestamp = "2026-01-10T00:00:00Z".parse().unwrap();
        let a = artefact(now);
        let acc = AccountId::new("acc_1");
        let ok = DataRequest {
            account: &acc,
            consent_type: ConsentType::Summary,
            purpose_code: "102",
            from: now - 24.hours(),
            to: now,
        };
        assert_eq!(a.permits(&ok, now), Ok(()));
        assert_eq!(
            a.permits(&ok, now - 1.second()),
            Err(ConsentRefusal::NotStarted)
        );
        assert_eq!(
            a.permits(&ok, now + 24.hours()),
            Err(ConsentRefusal::Expired)
        );
        let other = AccountId::new("acc_2");
        assert!(matches!(
            a.permits(
                &DataRequest {
                    account: &other,
                    ..ok.clone()
                },
                now
            ),
            Err(ConsentRefusal::AccountNotCovered(_))
        ));
        assert!(matches!(
            a.permits(
                &DataRequest {
                    purpose_code: "101",
                    ..ok.clone()
                },
                now
            ),
            Err(ConsentRefusal::WrongPurpose { .. })
        ));
        assert_eq!(
            a.permits(
                &DataRequest {
                    consent_type: ConsentType::Profile,
                    ..ok.clone()
                },
                now
            ),
            Err(ConsentRefusal::KindNotCovered(ConsentType::Profile))
        );
        assert_eq!(
            a.permits(
                &DataRequest {
                    from: now - 24.hours() * 400,
                    ..ok.clone()
                },
                now
            ),
            Err(ConsentRefusal::DatesOutOfRange)
        );
        assert_eq!(
            a.permits(
                &DataRequest {
                    from: now,
                    to: now - 1.hour(),
                    ..ok
                },
                now
            ),
            Err(ConsentRefusal::BadRange)
        );
    }

    #[test]
    fn serialises_with_rebit_field_names() {
        let now: Timestamp = "2026-01-10T00:00:00Z".parse().unwrap();
        let json = serde_json::to_value(artefact(now)).unwrap();
        for key in [
            "consentStart",
            "consentExpiry",
            "consentMode",
            "fetchType",
            "consentTypes",
            "fiTypes",
            "DataConsumer",
            "Customer",
            "Purpose",
            "FIDataRange",
            "DataLife",
            "Frequency",
            "DataFilter",
        ] {
            assert!(json.get(key).is_some(), "{key} missing");
        }
        assert_eq!(json["consentMode"], "STORE");
        assert_eq!(json["Purpose"]["Category"]["type"], "Personal Finance");
    }
}
