//! Any bytes through the CSV statement parser: with the profile inferred
//! from the header row, then with each built-in profile forced. Short
//! UTF-8 inputs also go through the public cell parsers (amounts, dates).

#![no_main]

use anumati_domain::Currency;
use anumati_formats::csv::{self, DateOrder, PROFILES};
use anumati_formats::{Options, Parsed};
use libfuzzer_sys::fuzz_target;

fn check_balanced(parsed: &Parsed) {
    for st in &parsed.statements {
        if let (Some(open), Some(close)) = (st.opening_balance, st.closing_balance) {
            let sum = st
                .transactions
                .iter()
                .fold(i128::from(open.amount.minor()), |acc, e| {
                    acc + i128::from(e.amount.minor())
                });
            assert_eq!(
                sum,
                i128::from(close.amount.minor()),
                "CSV statement parsed without warn_on_unbalanced does not balance"
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(parsed) = csv::parse_bytes(data, Options::default()) {
        check_balanced(&parsed);
    }
    for (i, profile) in PROFILES.iter().enumerate() {
        let options = Options {
            warn_on_unbalanced: i % 2 == 1,
            currency: (i % 3 == 0).then_some(Currency::EUR),
            account: (i % 3 == 1).then(|| "FUZZ-ACCOUNT".to_owned()),
            csv_profile: Some(profile.name.to_owned()),
        };
        let warn = options.warn_on_unbalanced;
        if let Ok(parsed) = csv::parse_bytes(data, options) {
            if !warn {
                check_balanced(&parsed);
            }
        }
    }

    if data.len() <= 128 {
        if let Ok(s) = std::str::from_utf8(data) {
            for currency in [Currency::INR, Currency::EUR] {
                let _ = csv::parse_money(s, false, currency);
                let _ = csv::parse_money(s, true, currency);
            }
            for order in [
                DateOrder::DayMonthYear,
                DateOrder::MonthDayYear,
                DateOrder::Auto,
            ] {
                let _ = csv::parse_date(s, order);
            }
        }
    }
});
