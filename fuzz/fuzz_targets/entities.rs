//! Any UTF-8 text (bytes decoded lossily) through `text::normalise`,
//! `text::words` and `entities::extract`, with two fixed contexts: an Indian
//! customer (INR, day-first) and a US one (USD, month-first, on a leap day),
//! each with merchants, places and payees, Latin and Devanagari.

#![no_main]

use anumati_domain::Currency;
use anumati_nlu::entities::{extract, Context};
use anumati_nlu::text::{has_devanagari, normalise, words};
use jiff::civil::date;
use libfuzzer_sys::fuzz_target;

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

struct Lists {
    merchants: Vec<String>,
    places: Vec<String>,
    payees: Vec<String>,
}

fn lists() -> &'static Lists {
    static LISTS: std::sync::OnceLock<Lists> = std::sync::OnceLock::new();
    LISTS.get_or_init(|| Lists {
        merchants: strings(&[
            "Swiggy",
            "Zomato",
            "Amazon",
            "Big Bazaar",
            "Uber",
            "Ola",
            "Starbucks",
            "H&M",
            "7-Eleven",
            "D-Mart",
            "बिग बाज़ार",
            "X",
            "",
        ]),
        places: strings(&[
            "Mumbai",
            "New York",
            "Delhi",
            "Bengaluru",
            "San Francisco",
            "पुणे",
        ]),
        payees: strings(&[
            "Priya Sharma",
            "Priya Verma",
            "Rahul",
            "Mom",
            "राहुल",
            "A. K. Singh",
            "O'Brien",
        ]),
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let norm = normalise(&text);
    // Normalising is idempotent.
    assert_eq!(normalise(&norm), norm, "normalise is not idempotent");
    let _ = has_devanagari(&norm);
    let _ = words(&norm).count();

    let l = lists();
    let india = Context {
        today: date(2025, 6, 18),
        merchants: &l.merchants,
        places: &l.places,
        payees: &l.payees,
        default_currency: Currency::INR,
    };
    let us = Context {
        today: date(2024, 2, 29),
        merchants: &l.merchants[..6],
        places: &l.places[..2],
        payees: &[],
        default_currency: Currency::USD,
    };
    for ctx in [&india, &us] {
        let e = extract(&text, ctx);
        if let Some(p) = &e.period {
            assert!(p.start <= p.end, "period ends before it starts: {p:?}");
        }
    }
});
