//! The card-authorisation event (version 1), the fraud feedback that reaches
//! the detector late, and the simulator's labels.
//!
//! On the wire an authorisation is one JSON object:
//!
//! ```json
//! {"v":1,"id":"1234","card":"card-42","customer":"cust-42",
//!  "amount":{"amount":"4250.00","currency":"INR"},
//!  "merchant":"m-17","mcc":"5411","terminal":"t-17","card_present":true,
//!  "country":"IN","city":"Mumbai","lat":19.076,"lon":72.8777,
//!  "at":"2026-01-03T21:14:05+05:30"}
//! ```
//!
//! `amount` is [`Money`]'s own wire form (exact decimal string and ISO 4217
//! code). `at` is RFC 3339 with the offset of the *customer's* local time
//! (the bank knows its cardholder's home time zone); the detector's
//! night-time rule reads the local hour from it. `city`, `lat` and `lon` are
//! absent for payments without a place (online payments, the handbook's grid).
//! A reader accepts only `v == 1`; fields may be added in a later version,
//! never changed.

use std::fmt;

use anumati_domain::money::Money;
use serde::{Deserialize, Serialize};

/// The event format this crate reads and writes.
pub const VERSION: u8 = 1;

/// An instant with the customer's UTC offset: seconds since the Unix epoch
/// and the offset in seconds. Serialised as RFC 3339, e.g.
/// `2018-04-01T00:03:21+00:00`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    pub unix: i64,
    pub offset: i32,
}

impl Timestamp {
    pub const fn utc(unix: i64) -> Self {
        Timestamp { unix, offset: 0 }
    }

    pub const fn new(unix: i64, offset: i32) -> Self {
        Timestamp { unix, offset }
    }

    /// Seconds since midnight in the customer's local time.
    pub fn local_seconds_of_day(&self) -> i64 {
        (self.unix + i64::from(self.offset)).rem_euclid(86_400)
    }

    /// 0 = Monday … 6 = Sunday, in the customer's local time.
    pub fn local_weekday(&self) -> u8 {
        // 1970-01-01 was a Thursday (3 when Monday is 0).
        let days = (self.unix + i64::from(self.offset)).div_euclid(86_400);
        ((days + 3).rem_euclid(7)) as u8
    }

    /// Parses RFC 3339 with an offset (`Z` or `±hh:mm`).
    pub fn parse(s: &str) -> Result<Self, EventError> {
        let bad = || EventError::Time(s.to_owned());
        let instant: jiff::Timestamp = s.parse().map_err(|_| bad())?;
        let offset = if s.ends_with('Z') || s.ends_with('z') {
            0
        } else {
            let tail = s.get(s.len().saturating_sub(6)..).ok_or_else(bad)?;
            let (sign, rest) = tail.split_at(1);
            let sign = match sign {
                "+" => 1,
                "-" => -1,
                _ => return Err(bad()),
            };
            let (h, m) = rest.split_once(':').ok_or_else(bad)?;
            let h: i32 = h.parse().map_err(|_| bad())?;
            let m: i32 = m.parse().map_err(|_| bad())?;
            sign * (h * 3600 + m * 60)
        };
        Ok(Timestamp {
            unix: instant.as_second(),
            offset,
        })
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let local = self.unix + i64::from(self.offset);
        let days = local.div_euclid(86_400);
        let secs = local.rem_euclid(86_400);
        let (y, mo, d) = civil_from_days(days);
        let sign = if self.offset < 0 { '-' } else { '+' };
        let off = self.offset.unsigned_abs();
        write!(
            f,
            "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
            secs / 3600,
            secs / 60 % 60,
            secs % 60,
            off / 3600,
            off / 60 % 60
        )
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day)
/// (Howard Hinnant's algorithm).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// (year, month, day) to days since 1970-01-01.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Timestamp::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EventError {
    #[error("unsupported event version {0}; this reader knows version {VERSION}")]
    Version(u8),
    #[error("invalid time {0:?}: expected RFC 3339 with an offset")]
    Time(String),
    #[error("invalid event: {0}")]
    Json(String),
    #[error("invalid merchant category code {0:?}: expected four digits")]
    Mcc(String),
    #[error("invalid coordinates: lat {lat}, lon {lon}")]
    Coordinates { lat: f64, lon: f64 },
}

/// A card authorisation as the bank node emits it (version 1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CardAuthorisation {
    /// Always [`VERSION`].
    pub v: u8,
    /// The bank's id of the authorisation, unique.
    pub id: String,
    pub card: String,
    pub customer: String,
    /// Exact amount in the transaction's currency.
    pub amount: Money,
    pub merchant: String,
    /// ISO 18245 merchant category code, four digits.
    pub mcc: String,
    pub terminal: String,
    /// Chip or swipe at a terminal (true) or online / by phone (false).
    pub card_present: bool,
    /// ISO 3166-1 alpha-2 country of the merchant.
    pub country: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
    /// When, with the customer's UTC offset.
    pub at: Timestamp,
}

impl CardAuthorisation {
    /// Parses and validates one JSON event.
    pub fn from_json(s: &str) -> Result<Self, EventError> {
        let event: CardAuthorisation =
            serde_json::from_str(s).map_err(|e| EventError::Json(e.to_string()))?;
        event.validate()?;
        Ok(event)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Checks what serde cannot: the version, the MCC, the coordinates.
    pub fn validate(&self) -> Result<(), EventError> {
        if self.v != VERSION {
            return Err(EventError::Version(self.v));
        }
        if self.mcc.len() != 4 || !self.mcc.bytes().all(|b| b.is_ascii_digit()) {
            return Err(EventError::Mcc(self.mcc.clone()));
        }
        // Years 0001 to 9999, offsets within a day (as RFC 3339 allows).
        if !(-62_135_596_800..=253_402_300_799).contains(&self.at.unix)
            || self.at.offset.abs() >= 86_400
        {
            return Err(EventError::Time(format!(
                "{} seconds with offset {}",
                self.at.unix, self.at.offset
            )));
        }
        if let (Some(lat), Some(lon)) = (self.lat, self.lon) {
            if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
                return Err(EventError::Coordinates { lat, lon });
            }
        }
        Ok(())
    }

    /// Where it happened, when the event carries a place.
    pub fn place(&self) -> Option<(f64, f64)> {
        match (self.lat, self.lon) {
            (Some(lat), Some(lon)) => Some((lat, lon)),
            _ => None,
        }
    }
}

/// Why the simulator made a payment fraudulent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scenario {
    /// Handbook scenario 1: any amount above the threshold (220).
    LargeAmount = 1,
    /// Handbook scenario 2: a compromised terminal, 28 days.
    CompromisedTerminal = 2,
    /// Handbook scenario 3: a compromised card, a third of 14 days' payments
    /// at five times the amount.
    CompromisedCard = 3,
    /// Everyday: many small online payments in a few minutes.
    CardTesting = 4,
    /// Everyday: a cloned card used in person far from the real one.
    ImpossibleTravel = 5,
}

impl Scenario {
    pub fn number(self) -> u8 {
        self as u8
    }

    pub fn from_number(n: u8) -> Option<Self> {
        Some(match n {
            1 => Scenario::LargeAmount,
            2 => Scenario::CompromisedTerminal,
            3 => Scenario::CompromisedCard,
            4 => Scenario::CardTesting,
            5 => Scenario::ImpossibleTravel,
            _ => return None,
        })
    }
}

/// The simulator's ground truth for one fraudulent authorisation. Genuine
/// authorisations have no label. Kept apart from the events: the detector
/// only ever learns about fraud through [`Feedback`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Label {
    pub id: String,
    pub scenario: Scenario,
}

/// A late verdict on one authorisation: the customer's "no, it wasn't me"
/// (or "yes, it was me"), or a chargeback. It repeats what the detector needs
/// to update its state, since the detector keeps no copy of past events.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Feedback {
    pub id: String,
    pub card: String,
    pub customer: String,
    pub terminal: String,
    /// When the authorisation happened.
    pub at: Timestamp,
    pub fraud: bool,
}

impl Feedback {
    pub fn for_event(event: &CardAuthorisation, fraud: bool) -> Self {
        Feedback {
            id: event.id.clone(),
            card: event.card.clone(),
            customer: event.customer.clone(),
            terminal: event.terminal.clone(),
            at: event.at,
            fraud,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anumati_domain::money::Currency;

    #[test]
    fn timestamps_round_trip_with_offsets() {
        let t = Timestamp::parse("2026-01-03T21:14:05+05:30").unwrap();
        assert_eq!(t.offset, 19_800);
        assert_eq!(t.to_string(), "2026-01-03T21:14:05+05:30");
        assert_eq!(t.local_seconds_of_day(), 21 * 3600 + 14 * 60 + 5);
        let z = Timestamp::parse("2018-04-01T00:03:21Z").unwrap();
        assert_eq!(z.to_string(), "2018-04-01T00:03:21+00:00");
        // 2018-04-01 was a Sunday.
        assert_eq!(z.local_weekday(), 6);
        assert_eq!(days_from_civil(2018, 4, 1), z.unix.div_euclid(86_400));
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
        assert!(Timestamp::parse("2018-04-01 00:03:21").is_err());
    }

    #[test]
    fn events_round_trip_and_refuse_other_versions() {
        let event = CardAuthorisation {
            v: 1,
            id: "1".into(),
            card: "card-1".into(),
            customer: "cust-1".into(),
            amount: Money::from_minor(425_000, Currency::INR),
            merchant: "m-1".into(),
            mcc: "5411".into(),
            terminal: "t-1".into(),
            card_present: true,
            country: "IN".into(),
            city: Some("Mumbai".into()),
            lat: Some(19.076),
            lon: Some(72.8777),
            at: Timestamp::new(1_767_455_045, 19_800),
        };
        let json = event.to_json();
        assert!(json.contains(r#""amount":{"amount":"4250.00","currency":"INR"}"#));
        assert!(json.contains(r#""at":"2026-01-03T21:14:05+05:30""#));
        assert_eq!(CardAuthorisation::from_json(&json).unwrap(), event);
        let v2 = json.replace(r#""v":1"#, r#""v":2"#);
        assert_eq!(
            CardAuthorisation::from_json(&v2),
            Err(EventError::Version(2))
        );
        let mut far = event.clone();
        far.at = Timestamp::new(i64::MAX, 0);
        assert!(matches!(far.validate(), Err(EventError::Time(_))));
        let bad_mcc = json.replace("5411", "54x1");
        assert!(matches!(
            CardAuthorisation::from_json(&bad_mcc),
            Err(EventError::Mcc(_))
        ));
    }
}
