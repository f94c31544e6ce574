//! The file format of simulated data: two tab-separated text files, written
//! and read one line at a time.
//!
//! `events.tsv` — every authorisation, in time order:
//!
//! ```text
//! # anumati fraud events v1
//! id  at  offset  card  customer  amount  currency  merchant  mcc  terminal  card_present  country  city  lat  lon
//! 0   1522541001  0  card-12  cust-12  57.16  INR  t-4031  5999  t-4031  1  IN
//! ```
//!
//! `at` is seconds since the Unix epoch and `offset` the customer's UTC
//! offset in seconds (together the event's RFC 3339 `at`); `amount` is the
//! exact decimal in `currency`; `card_present` is `1` or `0`; `city`, `lat`
//! and `lon` are empty when the payment has no place. Fields never contain
//! tabs or newlines.
//!
//! `labels.tsv` — the fraudulent authorisations only (an id not listed is
//! genuine), apart from the events so the detector never reads them:
//!
//! ```text
//! # anumati fraud labels v1
//! id  scenario
//! 17  1
//! ```
//!
//! Scenario numbers are [`Scenario::number`].

use std::io::Write;

use anumati_domain::money::{Currency, Money};

use crate::event::{CardAuthorisation, Label, Scenario, Timestamp, VERSION};

pub const EVENTS_MAGIC: &str = "# anumati fraud events v1";
pub const EVENTS_HEADER: &str =
    "id\tat\toffset\tcard\tcustomer\tamount\tcurrency\tmerchant\tmcc\tterminal\tcard_present\tcountry\tcity\tlat\tlon";
pub const LABELS_MAGIC: &str = "# anumati fraud labels v1";
pub const LABELS_HEADER: &str = "id\tscenario";

#[derive(Debug, thiserror::Error)]
pub enum TsvError {
    #[error("line {line}: {message}")]
    Line { line: u64, message: String },
    #[error("not an anumati {0} file (expected {1:?} on the first line)")]
    Magic(&'static str, &'static str),
    #[error("a field contains a tab or a newline: {0:?}")]
    Field(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

fn clean(s: &str) -> Result<&str, TsvError> {
    if s.contains(['\t', '\n', '\r']) {
        return Err(TsvError::Field(s.to_owned()));
    }
    Ok(s)
}

pub fn write_events_header(w: &mut impl Write) -> Result<(), TsvError> {
    writeln!(w, "{EVENTS_MAGIC}\n{EVENTS_HEADER}")?;
    Ok(())
}

pub fn write_event(w: &mut impl Write, e: &CardAuthorisation) -> Result<(), TsvError> {
    write!(
        w,
        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t",
        clean(&e.id)?,
        e.at.unix,
        e.at.offset,
        clean(&e.card)?,
        clean(&e.customer)?,
        e.amount.to_decimal_string(),
        e.amount.currency(),
        clean(&e.merchant)?,
        clean(&e.mcc)?,
        clean(&e.terminal)?,
        u8::from(e.card_present),
        clean(&e.country)?,
        clean(e.city.as_deref().unwrap_or(""))?,
    )?;
    match e.lat {
        Some(v) => write!(w, "{v}\t")?,
        None => write!(w, "\t")?,
    }
    match e.lon {
        Some(v) => writeln!(w, "{v}")?,
        None => writeln!(w)?,
    }
    Ok(())
}

pub fn write_labels_header(w: &mut impl Write) -> Result<(), TsvError> {
    writeln!(w, "{LABELS_MAGIC}\n{LABELS_HEADER}")?;
    Ok(())
}

pub fn write_label(w: &mut impl Write, l: &Label) -> Result<(), TsvError> {
    writeln!(w, "{}\t{}", clean(&l.id)?, l.scenario.number())?;
    Ok(())
}

/// Reads an events file line by line. `line` is 1-based, for messages; the
/// first two lines must be the magic and the header.
pub fn parse_event_line(line_no: u64, line: &str) -> Result<Option<CardAuthorisation>, TsvError> {
    let err = |message: String| TsvError::Line {
        line: line_no,
        message,
    };
    if line_no == 1 {
        return if line.trim_end() == EVENTS_MAGIC {
            Ok(None)
        } else {
            Err(TsvError::Magic("events", EVENTS_MAGIC))
        };
    }
    if line_no == 2 || line.trim().is_empty() {
        return Ok(None);
    }
    let line = line.trim_end_matches(['\n', '\r']);
    let mut it = line.split('\t');
    let mut next = |name: &str| it.next().ok_or_else(|| err(format!("missing {name}")));
    let id = next("id")?.to_owned();
    let unix: i64 = next("at")?.parse().map_err(|_| err("bad at".into()))?;
    let offset: i32 = next("offset")?
        .parse()
        .map_err(|_| err("bad offset".into()))?;
    let card = next("card")?.to_owned();
    let customer = next("customer")?.to_owned();
    let amount = next("amount")?;
    let currency = Currency::new(next("currency")?).map_err(|e| err(e.to_string()))?;
    let amount = Money::parse(amount, currency).map_err(|e| err(e.to_string()))?;
    let merchant = next("merchant")?.to_owned();
    let mcc = next("mcc")?.to_owned();
    let terminal = next("terminal")?.to_owned();
    let card_present = match next("card_present")? {
        "1" => true,
        "0" => false,
        other => return Err(err(format!("bad card_present {other:?}"))),
    };
    let country = next("country")?.to_owned();
    let city = Some(next("city")?)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let coord = |s: &str| -> Result<Option<f64>, TsvError> {
        if s.is_empty() {
            Ok(None)
        } else {
            s.parse()
                .map(Some)
                .map_err(|_| err(format!("bad coordinate {s:?}")))
        }
    };
    let lat = coord(next("lat")?)?;
    let lon = coord(next("lon")?)?;
    let event = CardAuthorisation {
        v: VERSION,
        id,
        card,
        customer,
        amount,
        merchant,
        mcc,
        terminal,
        card_present,
        country,
        city,
        lat,
        lon,
        at: Timestamp::new(unix, offset),
    };
    event.validate().map_err(|e| err(e.to_string()))?;
    Ok(Some(event))
}

pub fn parse_label_line(line_no: u64, line: &str) -> Result<Option<Label>, TsvError> {
    let err = |message: String| TsvError::Line {
        line: line_no,
        message,
    };
    if line_no == 1 {
        return if line.trim_end() == LABELS_MAGIC {
            Ok(None)
        } else {
            Err(TsvError::Magic("labels", LABELS_MAGIC))
        };
    }
    if line_no == 2 || line.trim().is_empty() {
        return Ok(None);
    }
    let line = line.trim_end_matches(['\n', '\r']);
    let (id, scenario) = line
        .split_once('\t')
        .ok_or_else(|| err("expected id and scenario".into()))?;
    let scenario = scenario
        .parse::<u8>()
        .ok()
        .and_then(Scenario::from_number)
        .ok_or_else(|| err(format!("bad scenario {scenario:?}")))?;
    Ok(Some(Label {
        id: id.to_owned(),
        scenario,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{SimConfig, Simulator};

    #[test]
    fn events_and_labels_round_trip() {
        let mut sim = Simulator::new(SimConfig::everyday(7, 200, 3, 20_000));
        let mut events = Vec::new();
        let mut labels = Vec::new();
        while let Some(day) = sim.next_day() {
            events.extend(day.events);
            labels.extend(day.labels);
        }
        assert!(events.iter().any(|e| e.lat.is_some()) && events.iter().any(|e| e.lat.is_none()));
        let mut buf = Vec::new();
        write_events_header(&mut buf).unwrap();
        for e in &events {
            write_event(&mut buf, e).unwrap();
        }
        let text = String::from_utf8(buf).unwrap();
        let back: Vec<CardAuthorisation> = text
            .lines()
            .enumerate()
            .filter_map(|(i, l)| parse_event_line(i as u64 + 1, l).unwrap())
            .collect();
        assert_eq!(back, events);

        let mut buf = Vec::new();
        write_labels_header(&mut buf).unwrap();
        for l in &labels {
            write_label(&mut buf, l).unwrap();
        }
        let text = String::from_utf8(buf).unwrap();
        let back: Vec<Label> = text
            .lines()
            .enumerate()
            .filter_map(|(i, l)| parse_label_line(i as u64 + 1, l).unwrap())
            .collect();
        assert_eq!(back, labels);
    }

    #[test]
    fn refuses_foreign_files_and_bad_lines() {
        assert!(parse_event_line(1, "id,amount").is_err());
        assert!(parse_event_line(3, "1\tnot-a-time").is_err());
        assert!(parse_label_line(3, "1\t9").is_err());
        let huge = "1\t9223372036854775807\t0\tc\tu\t1.00\tINR\tm\t5411\tt\t1\tIN\t\t\t";
        assert!(parse_event_line(3, huge).is_err());
        let mut buf = Vec::new();
        let mut e = Simulator::new(SimConfig::everyday(1, 50, 1, 20_000))
            .next_day()
            .unwrap()
            .events
            .remove(0);
        e.merchant = "a\tb".into();
        assert!(matches!(write_event(&mut buf, &e), Err(TsvError::Field(_))));
    }
}
