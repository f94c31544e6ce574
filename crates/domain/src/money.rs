//! Exact money.
//!
//! Rounding rules: an amount is an `i64` count of the currency's minor units
//! (paise, cents). Parsing refuses more fractional digits than the currency
//! has, so nothing is ever rounded on the way in. Sums and differences are
//! checked and refuse to mix currencies. The only operation that can produce
//! a fraction of a minor unit is [`Money::div_round`] (used for averages),
//! which rounds half away from zero, as banks round a displayed average.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("currency mismatch: {0} and {1}")]
    CurrencyMismatch(Currency, Currency),
    #[error("amount overflow")]
    Overflow,
    #[error("invalid currency code {0:?}: expected three letters A-Z")]
    InvalidCurrency(String),
    #[error("invalid amount {0:?}: expected digits with an optional sign and decimal point")]
    InvalidAmount(String),
    #[error("amount {amount:?} has more than {exponent} decimal places for {currency}")]
    TooPrecise {
        amount: String,
        currency: Currency,
        exponent: u8,
    },
    #[error("division by zero")]
    DivideByZero,
}

/// An ISO 4217 currency: three upper-case letters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    pub const INR: Currency = Currency(*b"INR");
    pub const USD: Currency = Currency(*b"USD");
    pub const EUR: Currency = Currency(*b"EUR");
    pub const GBP: Currency = Currency(*b"GBP");
    pub const AED: Currency = Currency(*b"AED");

    pub fn new(code: &str) -> Result<Self, MoneyError> {
        let bytes = code.as_bytes();
        if bytes.len() != 3 || !bytes.iter().all(u8::is_ascii_uppercase) {
            return Err(MoneyError::InvalidCurrency(code.to_owned()));
        }
        Ok(Currency([bytes[0], bytes[1], bytes[2]]))
    }

    pub fn code(&self) -> &str {
        // The constructor only admits ASCII upper-case letters.
        std::str::from_utf8(&self.0).expect("currency code is ASCII")
    }

    /// Number of decimal places of the minor unit (ISO 4217).
    pub fn exponent(&self) -> u8 {
        match &self.0 {
            b"JPY" | b"KRW" | b"VND" | b"CLP" | b"ISK" | b"UGX" | b"XAF" | b"XOF" => 0,
            b"BHD" | b"KWD" | b"OMR" | b"JOD" | b"TND" | b"IQD" | b"LYD" => 3,
            _ => 2,
        }
    }

    pub fn symbol(&self) -> Option<&'static str> {
        Some(match &self.0 {
            b"INR" => "₹",
            b"USD" => "$",
            b"EUR" => "€",
            b"GBP" => "£",
            b"JPY" => "¥",
            _ => return None,
        })
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.code())
    }
}

impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::new(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Currency::new(&s).map_err(serde::de::Error::custom)
    }
}

/// An exact amount of money: minor units and a currency.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    pub const fn from_minor(minor: i64, currency: Currency) -> Self {
        Money { minor, currency }
    }

    pub fn zero(currency: Currency) -> Self {
        Money { minor: 0, currency }
    }

    pub fn minor(&self) -> i64 {
        self.minor
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    pub fn is_negative(&self) -> bool {
        self.minor < 0
    }

    pub fn is_zero(&self) -> bool {
        self.minor == 0
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let minor = self
            .minor
            .checked_add(other.minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money { minor, ..self })
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let minor = self
            .minor
            .checked_sub(other.minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money { minor, ..self })
    }

    pub fn checked_neg(self) -> Result<Money, MoneyError> {
        let minor = self.minor.checked_neg().ok_or(MoneyError::Overflow)?;
        Ok(Money { minor, ..self })
    }

    pub fn abs(self) -> Result<Money, MoneyError> {
        if self.minor < 0 {
            self.checked_neg()
        } else {
            Ok(self)
        }
    }

    /// Sum of amounts that must all be in `currency`.
    pub fn sum<I: IntoIterator<Item = Money>>(
        currency: Currency,
        items: I,
    ) -> Result<Money, MoneyError> {
        items
            .into_iter()
            .try_fold(Money::zero(currency), |acc, m| acc.checked_add(m))
    }

    /// Divides, rounding half away from zero (the one rounding in the domain).
    pub fn div_round(self, divisor: i64) -> Result<Money, MoneyError> {
        if divisor == 0 {
            return Err(MoneyError::DivideByZero);
        }
        let (n, d) = (i128::from(self.minor), i128::from(divisor));
        let q = n / d;
        let r = n % d;
        let round_away = 2 * r.abs() >= d.abs();
        let sign = if (n < 0) != (d < 0) { -1 } else { 1 };
        let q = if round_away && r != 0 { q + sign } else { q };
        let minor = i64::try_from(q).map_err(|_| MoneyError::Overflow)?;
        Ok(Money { minor, ..self })
    }

    /// Parses a plain decimal such as `-1234.5` exactly.
    pub fn parse(s: &str, currency: Currency) -> Result<Money, MoneyError> {
        let invalid = || MoneyError::InvalidAmount(s.to_owned());
        let (negative, body) = match s.as_bytes().first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s),
        };
        let (int_part, frac_part) = match body.split_once('.') {
            Some((i, f)) => (i, f),
            None => (body, ""),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(invalid());
        }
        if !int_part.bytes().all(|b| b.is_ascii_digit())
            || !frac_part.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(invalid());
        }
        let exponent = currency.exponent();
        if frac_part.len() > usize::from(exponent) {
            // Trailing zeros beyond the exponent carry no value; anything else would be rounded.
            if frac_part[usize::from(exponent)..]
                .bytes()
                .any(|b| b != b'0')
            {
                return Err(MoneyError::TooPrecise {
                    amount: s.to_owned(),
                    currency,
                    exponent,
                });
            }
        }
        let mut minor: i64 = 0;
        for b in int_part.bytes() {
            minor = minor
                .checked_mul(10)
                .and_then(|m| m.checked_add(i64::from(b - b'0')))
                .ok_or(MoneyError::Overflow)?;
        }
        let frac = frac_part.as_bytes();
        for i in 0..usize::from(exponent) {
            let digit = frac.get(i).map_or(0, |b| i64::from(b - b'0'));
            minor = minor
                .checked_mul(10)
                .and_then(|m| m.checked_add(digit))
                .ok_or(MoneyError::Overflow)?;
        }
        if negative {
            minor = -minor;
        }
        Ok(Money { minor, currency })
    }

    /// The amount as a plain signed decimal, e.g. `-1234.50`.
    pub fn to_decimal_string(&self) -> String {
        let exponent = u32::from(self.currency.exponent());
        let abs = self.minor.unsigned_abs();
        let sign = if self.minor < 0 { "-" } else { "" };
        if exponent == 0 {
            return format!("{sign}{abs}");
        }
        let scale = 10u64.pow(exponent);
        format!(
            "{sign}{}.{:0width$}",
            abs / scale,
            abs % scale,
            width = exponent as usize
        )
    }

    fn same_currency(&self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }
}

/// Groups the integer digits: Indian style (12,34,567) for INR, else thousands.
fn group_digits(digits: &str, indian: bool) -> String {
    let len = digits.len();
    if len <= 3 {
        return digits.to_owned();
    }
    let (head, tail) = digits.split_at(len - 3);
    let step = if indian { 2 } else { 3 };
    let mut groups = Vec::new();
    let mut end = head.len();
    while end > 0 {
        let start = end.saturating_sub(step);
        groups.push(&head[start..end]);
        end = start;
    }
    groups.reverse();
    format!("{},{}", groups.join(","), tail)
}

impl fmt::Display for Money {
    /// Human form: `₹1,23,456.78`, `-$20.00`, `1,000.000 KWD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plain = self.to_decimal_string();
        let (sign, unsigned) = match plain.strip_prefix('-') {
            Some(rest) => ("-", rest),
            None => ("", plain.as_str()),
        };
        let (int_part, frac) = match unsigned.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (unsigned, None),
        };
        let grouped = group_digits(int_part, self.currency == Currency::INR);
        let number = match frac {
            Some(frac) => format!("{grouped}.{frac}"),
            None => grouped,
        };
        match self.currency.symbol() {
            Some(symbol) => write!(f, "{sign}{symbol}{number}"),
            None => write!(f, "{sign}{number} {}", self.currency),
        }
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Money({} {})", self.to_decimal_string(), self.currency)
    }
}

/// On the wire: `{"amount": "-1234.50", "currency": "INR"}`, amount a decimal string.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = Money)]
struct MoneyWire {
    /// Signed decimal string, exact, e.g. "-1234.50".
    amount: String,
    /// ISO 4217 code.
    currency: String,
}

impl Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        MoneyWire {
            amount: self.to_decimal_string(),
            currency: self.currency.code().to_owned(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let wire = MoneyWire::deserialize(d)?;
        let currency = Currency::new(&wire.currency).map_err(serde::de::Error::custom)?;
        Money::parse(&wire.amount, currency).map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for Money {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        <MoneyWire as utoipa::PartialSchema>::schema()
    }
}

impl utoipa::ToSchema for Money {
    fn name() -> std::borrow::Cow<'static, str> {
        "Money".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_and_prints_exactly() {
        let m = Money::parse("1234.5", Currency::INR).unwrap();
        assert_eq!(m.minor(), 123_450);
        assert_eq!(m.to_decimal_string(), "1234.50");
        assert_eq!(m.to_string(), "₹1,234.50");
        assert_eq!(
            Money::from_minor(-25_000_000, Currency::INR).to_string(),
            "-₹2,50,000.00"
        );
        assert_eq!(
            Money::from_minor(123_456_789, Currency::USD).to_string(),
            "$1,234,567.89"
        );
        assert_eq!(
            Money::from_minor(1_000, Currency::new("KWD").unwrap()).to_string(),
            "1.000 KWD"
        );
        assert_eq!(
            Money::from_minor(1_500, Currency::new("JPY").unwrap()).to_string(),
            "¥1,500"
        );
    }

    #[test]
    fn refuses_what_it_would_have_to_round() {
        assert!(matches!(
            Money::parse("1.005", Currency::INR),
            Err(MoneyError::TooPrecise { .. })
        ));
        assert_eq!(Money::parse("1.500", Currency::INR).unwrap().minor(), 150);
        for bad in ["", "-", ".", "1.2.3", "1,000", "1e5", " 1", "abc", "--1"] {
            assert!(Money::parse(bad, Currency::INR).is_err(), "{bad:?}");
        }
        assert!(Money::parse("99999999999999999999", Currency::INR).is_err());
    }

    #[test]
    fn refuses_to_mix_currencies() {
        let a = Money::from_minor(1, Currency::INR);
        let b = Money::from_minor(1, Currency::USD);
        assert_eq!(
            a.checked_add(b),
            Err(MoneyError::CurrencyMismatch(Currency::INR, Currency::USD))
        );
    }

    #[test]
    fn overflow_is_an_error_not_a_wrap() {
        let max = Money::from_minor(i64::MAX, Currency::INR);
        assert_eq!(
            max.checked_add(Money::from_minor(1, Currency::INR)),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            Money::from_minor(i64::MIN, Currency::INR).checked_neg(),
            Err(MoneyError::Overflow)
        );
    }

    #[test]
    fn div_round_rounds_half_away_from_zero() {
        let m = |x| Money::from_minor(x, Currency::INR);
        assert_eq!(m(5).div_round(2).unwrap(), m(3));
        assert_eq!(m(-5).div_round(2).unwrap(), m(-3));
        assert_eq!(m(4).div_round(3).unwrap(), m(1));
        assert_eq!(m(10).div_round(0), Err(MoneyError::DivideByZero));
    }

    #[test]
    fn currency_codes_are_validated() {
        assert!(Currency::new("inr").is_err());
        assert!(Currency::new("RUPEE").is_err());
        assert_eq!(Currency::new("EUR").unwrap(), Currency::EUR);
    }

    #[test]
    fn serde_uses_decimal_strings() {
        let m = Money::from_minor(-123_450, Currency::INR);
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json, r#"{"amount":"-1234.50","currency":"INR"}"#);
        assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), m);
        assert!(serde_json::from_str::<Money>(r#"{"amount":"1.234","currency":"INR"}"#).is_err());
    }

    proptest! {
        #[test]
        fn decimal_string_round_trips(minor in any::<i64>().prop_filter("negatable", |m| *m != i64::MIN)) {
            for currency in [Currency::INR, Currency::new("JPY").unwrap(), Currency::new("KWD").unwrap()] {
                let m = Money::from_minor(minor, currency);
                prop_assert_eq!(Money::parse(&m.to_decimal_string(), currency).unwrap(), m);
            }
        }

        #[test]
        fn add_then_sub_is_identity(a in -1_000_000_000_000i64..1_000_000_000_000, b in -1_000_000_000_000i64..1_000_000_000_000) {
            let (a, b) = (Money::from_minor(a, Currency::USD), Money::from_minor(b, Currency::USD));
            prop_assert_eq!(a.checked_add(b).unwrap().checked_sub(b).unwrap(), a);
            prop_assert_eq!(a.checked_add(b).unwrap(), b.checked_add(a).unwrap());
        }

        #[test]
        fn checked_add_never_wraps(a in any::<i64>(), b in any::<i64>()) {
            let r = Money::from_minor(a, Currency::INR).checked_add(Money::from_minor(b, Currency::INR));
            match a.checked_add(b) {
                Some(sum) => prop_assert_eq!(r.unwrap().minor(), sum),
                None => prop_assert_eq!(r, Err(MoneyError::Overflow)),
            }
        }

        #[test]
        fn display_keeps_every_digit(minor in -10_000_000_000i64..10_000_000_000) {
            let shown = Money::from_minor(minor, Currency::INR).to_string();
            let digits: String = shown.chars().filter(char::is_ascii_digit).collect();
            let expected: String = Money::from_minor(minor, Currency::INR).to_decimal_string().chars().filter(char::is_ascii_digit).collect();
            prop_assert_eq!(digits, expected);
        }
    }
}
