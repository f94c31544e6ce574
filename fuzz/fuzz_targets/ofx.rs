//! Any bytes through the OFX/QFX parser (default options and with a
//! fallback currency and account), and any short UTF-8 string through the
//! OFX date-time parser.

#![no_main]

use anumati_domain::Currency;
use anumati_formats::{ofx, Options};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match ofx::parse_bytes(data, Options::default()) {
        Ok(parsed) => {
            for w in &parsed.warnings {
                let _ = w.to_string();
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
    let options = Options {
        warn_on_unbalanced: true,
        currency: Some(Currency::INR),
        account: Some("FUZZ-1".to_owned()),
        csv_profile: None,
    };
    let _ = ofx::parse_bytes(data, options);

    // The date-time grammar on its own: each line of a short input.
    if data.len() <= 256 {
        if let Ok(s) = std::str::from_utf8(data) {
            for line in s.lines().chain(std::iter::once(s)) {
                if let Ok(dt) = ofx::parse_datetime(line) {
                    let _ = dt.timestamp();
                }
            }
        }
    }
});
