//! How sure the assistant is of an intent: a probability, not money.
//!
//! Held as integer thousandths so replies are reproducible; on the wire it is
//! the number 0.0–1.0 that `anumati chat --json` promises as `confidence`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Confidence(u16);

impl Confidence {
    pub const NONE: Confidence = Confidence(0);
    pub const CERTAIN: Confidence = Confidence(1000);

    /// From thousandths; above 1000 is clamped to certain.
    pub const fn from_milli(milli: u16) -> Self {
        Confidence(if milli > 1000 { 1000 } else { milli })
    }

    pub fn milli(self) -> u16 {
        self.0
    }
}

impl Serialize for Confidence {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(f64::from(self.0) / 1000.0)
    }
}

impl<'de> Deserialize<'de> for Confidence {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let p = f64::deserialize(d)?;
        if !(0.0..=1.0).contains(&p) {
            return Err(serde::de::Error::custom(
                "confidence must be between 0 and 1",
            ));
        }
        Ok(Confidence((p * 1000.0).round() as u16))
    }
}

impl utoipa::PartialSchema for Confidence {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Number)
            .minimum(Some(0.0))
            .maximum(Some(1.0))
            .description(Some("How sure the assistant is of the intent, 0 to 1."))
            .into()
    }
}

impl utoipa::ToSchema for Confidence {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_as_a_number_between_0_and_1() {
        let c = Confidence::from_milli(800);
        assert_eq!(serde_json::to_string(&c).unwrap(), "0.8");
        assert_eq!(serde_json::from_str::<Confidence>("0.8").unwrap(), c);
        assert_eq!(Confidence::from_milli(5000), Confidence::CERTAIN);
        assert!(serde_json::from_str::<Confidence>("1.5").is_err());
    }
}
