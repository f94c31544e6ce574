//! Any bytes through `anumati_formats::parse_bytes`: once with format
//! detection and default options, then once with each format forced (and
//! the options that let a parser go on past an unbalanced statement).
//!
//! Beyond "no panic", checks the crate's promise that a statement parsed
//! without `warn_on_unbalanced` balances: opening plus entries is closing.

#![no_main]

use anumati_domain::Currency;
use anumati_formats::{parse_bytes, Format, Options, Parsed};
use libfuzzer_sys::fuzz_target;

const FORMATS: [Format; 7] = [
    Format::Mt940,
    Format::Mt942,
    Format::Camt052,
    Format::Camt053,
    Format::Camt054,
    Format::Ofx,
    Format::Csv,
];

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
                "statement {:?} parsed without warn_on_unbalanced does not balance",
                st.reference
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = Format::detect(data);
    if let Ok(parsed) = parse_bytes(data, None, Options::default()) {
        check_balanced(&parsed);
    }
    for format in FORMATS {
        let options = Options {
            warn_on_unbalanced: true,
            currency: Some(Currency::EUR),
            account: Some("DE00FUZZ".to_owned()),
            csv_profile: None,
        };
        if let Ok(parsed) = parse_bytes(data, Some(format), options) {
            // Errors and warnings must render (Display walks the positions).
            for w in &parsed.warnings {
                let _ = w.to_string();
            }
        }
    }
});
