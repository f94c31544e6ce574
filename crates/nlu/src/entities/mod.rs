//! Entity extraction: periods, amounts, merchants, categories, places,
//! counts and payees, from English, Hindi (Devanagari) and romanised
//! Hinglish, all at once and in any mixture.
//!
//! ```
//! use anumati_domain::{Category, Currency};
//! use anumati_nlu::entities::{extract, Context};
//! use jiff::civil::date;
//!
//! let merchants = vec!["Swiggy".to_owned(), "Amazon".to_owned()];
//! let ctx = Context {
//!     today: date(2025, 6, 18),
//!     merchants: &merchants,
//!     places: &[],
//!     payees: &[],
//!     default_currency: Currency::INR,
//! };
//! let e = extract("pichle mahine swigy pe 500 se zyada wale", &ctx);
//! assert_eq!(e.period.unwrap().label, "last month");
//! assert_eq!(e.merchant.as_deref(), Some("Swiggy"));
//! assert_eq!(e.amount_min.unwrap().minor(), 50_000);
//! ```
//!
//! # How it works
//!
//! The text is normalised ([`crate::text::normalise`]) and split into
//! tokens; extractors then run in a fixed order, each consuming the tokens
//! it understood so the later ones do not reread them (the 3 of "पिछले 3
//! महीने" is part of a period, not a count or an amount):
//!
//! 1. Follow-ups: "the month before", "before that", "उससे पहले", "usse
//!    pehle wala mahina" set `previous_period` (no period of their own).
//! 2. Periods relative to [`Context::today`]. **कल/kal and परसों/parso**
//!    are yesterday / the day before unless the message is about the
//!    future: the *last* tense marker in the message decides (Hindi puts
//!    the verb last). Future markers are future verb endings (भेजूँगा,
//!    करेंगे, karenge, hoga), obligations ("देना है", "karna hai", "bhej
//!    dena"), imperatives of sending or paying ("भेजो", "bhej do", "pay
//!    kar do" — but not "dikha dijiye") and "will"/"shall";
//!    past markers are किया/हुआ/था/गया, kiya/hua/tha/gaya, "did", "spent".
//!    No marker means the past. "Last month" is the calendar month; "last
//!    3 months" is a rolling window ending today; a month without a year is
//!    the most recent one not in the future; in a message about the past, a
//!    period containing today ends today. Labels are English.
//! 3. Counts: "last 5", "top 3", "5 transactions", "पिछले 10 लेन-देन".
//! 4. Amounts: currency by symbol or word, else [`Context::default_currency`];
//!    scales (k, हज़ार, lakh, crore), fractions (डेढ़, ढाई, सवा, साढ़े,
//!    पौने), Indian and western digit grouping. **Exact integer arithmetic;
//!    an amount that is not a whole number of minor units ("₹5.555") is
//!    refused, never rounded**, as are zero and overflow. Bounds ("over",
//!    "से कम", "se zyada") and ranges ("between 1k and 5k", "2 se 5 lakh
//!    tak") fill `amount_min`/`amount_max`.
//! 5. Names: merchants, places and payees, fuzzily (abbreviation,
//!    Damerau-Levenshtein with a length-dependent threshold, phonetic
//!    folding, Devanagari transliteration), against the caller's lists
//!    only. Function words ("on", "the", "me", "kal", "को") never match;
//!    words the extractor knows ("rent", "food") match only a name spelt
//!    exactly so. Near-equal matches are ambiguous, and so are two names
//!    of the same kind in one message ("zomato aur swiggy"): the field
//!    stays `None` and the candidates list them. Other names of cities
//!    (Bombay, मुंबई, NYC) map to the bank's spelling.
//! 6. Category: the first category word, in any of the three languages.
//!
//! Only the first [`MAX_TEXT`] bytes of a message are read.
//!
//! The detailed rules are documented in the private modules `dates`,
//! `amounts` and `fuzzy` of this one.

mod amounts;
mod dates;
mod fuzzy;
mod lexicon;
mod tokens;

use anumati_domain::{Category, Currency, Money};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::text::normalise;
use fuzzy::Name;
use lexicon::{count_noun_at, currency_word, number_word, scale, CATEGORY_WORDS};
use tokens::{Kind, Sent};

/// What the extractor knows about the customer.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The customer's local date; periods are relative to it.
    pub today: Date,
    /// The customer's own merchant names, e.g. "Amazon", "Big Bazaar".
    pub merchants: &'a [String],
    /// Cities known to the bank, e.g. "Mumbai", "New York".
    pub places: &'a [String],
    /// The customer's beneficiaries' names (may be empty).
    pub payees: &'a [String],
    /// INR for Indian customers, USD for US ones: the currency of a bare
    /// number, and (USD) month-first numeric dates.
    pub default_currency: Currency,
}

/// A span of whole days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub start: Date,
    /// Inclusive.
    pub end: Date,
    /// A short English description: "last month", "March 2025", "last 3
    /// months", "since 1 May 2025", whatever the language of the message.
    pub label: String,
}

/// Everything found in one message. Serialises with snake_case keys and
/// without absent or empty fields (which deserialise as absent or empty).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Entities {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    /// A single amount ("pay 500").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<Money>,
    /// A lower bound ("over 500", "5000 se zyada", "between 1k and 5k").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_min: Option<Money>,
    /// An upper bound ("under 500", "500 से कम", "between 1k and 5k").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_max: Option<Money>,
    /// The merchant, spelt as in [`Context::merchants`], when exactly one matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merchant: Option<String>,
    /// When the message matches several merchants about equally well (or
    /// names several), all of them, best first, and `merchant` is `None`:
    /// the app asks which one. Empty otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub merchant_candidates: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    /// The place, spelt as in [`Context::places`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    /// "last 5 transactions", "top 3".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// The payee, spelt as in [`Context::payees`], when exactly one matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payee: Option<String>,
    /// Several payees matching about equally ("Priya" with two Priyas).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub payee_candidates: Vec<String>,
    /// A follow-up about the period before the previous turn's.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub previous_period: bool,
}

/// Extracts the entities from raw user text.
pub fn extract(text: &str, ctx: &Context) -> Entities {
    let norm = normalise(text);
    let mut s = Sent::new(truncate(&norm));
    let cal = dates::Cal {
        today: ctx.today,
        tense: dates::tense(&s),
        day_first: ctx.default_currency != Currency::USD,
    };
    let previous_period = dates::previous_period(&mut s);
    let period = dates::extract(&mut s, &cal);
    let count = count(&mut s);
    let found = amounts::extract(&mut s, ctx.default_currency);
    let names = names(&mut s, ctx);
    let category = category(&mut s, ctx.default_currency);
    Entities {
        period,
        amount: found.amount,
        amount_min: found.min,
        amount_max: found.max,
        merchant: names.merchant.0,
        merchant_candidates: names.merchant.1,
        category,
        place: names.place.0,
        count,
        payee: names.payee.0,
        payee_candidates: names.payee.1,
        previous_period,
    }
}

/// Only the first this many bytes of a (normalised) message are read, cut
/// at a space: chat messages are short, and name matching is quadratic.
pub const MAX_TEXT: usize = 2_000;

fn truncate(text: &str) -> &str {
    if text.len() <= MAX_TEXT {
        return text;
    }
    let mut end = MAX_TEXT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    match text[..end].rfind(' ') {
        Some(space) => &text[..space],
        None => &text[..end],
    }
}

// ------------------------------------------------------------------ counts

#[rustfmt::skip]
const COUNT_LEADS: &[&str] = &[
    "last", "latest", "recent", "top", "first", "pichle", "pichhle", "pichli", "pichhli", "पिछले",
    "पिछली", "aakhri", "akhri", "aakhiri", "aakhari", "antim", "आखिरी", "आखरी", "अंतिम", "hali",
    "हाल",
];

/// A count: see the module documentation.
fn count(s: &mut Sent) -> Option<u32> {
    let mut found = None;
    for i in 0..s.len() {
        let lead = s.any(i, COUNT_LEADS);
        let at = if lead { i + 1 } else { i };
        let Some((n, end)) = count_number(s, at) else {
            continue;
        };
        let noun_end = count_noun_at(s, end);
        let money_next = s
            .text(end)
            .is_some_and(|w| scale(w).is_some() || currency_word(w).is_some());
        if money_next || !(lead || noun_end.is_some()) {
            continue;
        }
        s.take(i, noun_end.unwrap_or(end));
        found = found.or(Some(n));
    }
    found
}

fn count_number(s: &Sent, i: usize) -> Option<(u32, usize)> {
    let t = s.at(i)?;
    let n = if t.kind == Kind::Num {
        let n = u32::try_from(s.int(i)?).ok()?;
        if s.at(i + 1).is_some_and(|t| t.glued && t.kind == Kind::Word) {
            return None;
        }
        n
    } else {
        number_word(t.text)?
    };
    (n > 0).then_some((n, i + 1))
}

// ------------------------------------------------------------------- names

#[derive(Default)]
struct Names {
    merchant: (Option<String>, Vec<String>),
    place: (Option<String>, Vec<String>),
    payee: (Option<String>, Vec<String>),
}

#[derive(Debug, Clone, Copy)]
struct Hit {
    kind: usize,
    name: usize,
    start: usize,
    end: usize,
    score: u32,
}

/// Scores within this of the best on the same words are "about equal".
const AMBIGUITY_MARGIN: u32 = 5;
/// A separate mention this much weaker than the best of its kind is dropped.
const WEAK_MARGIN: u32 = 40;

/// Merchants, places and payees: every window of words is scored against
/// every name (see [`fuzzy`]); the best hit takes its words, together with
/// the hits of the same kind on overlapping words scoring within
/// [`AMBIGUITY_MARGIN`] of it; repeat on the words left. One name for a
/// kind fills the field; several fill the candidates.
fn names(s: &mut Sent, ctx: &Context) -> Names {
    let lists: [(&[String], bool); 3] = [
        (ctx.merchants, false),
        (ctx.places, true),
        (ctx.payees, false),
    ];
    let prepared: Vec<Vec<Name>> = lists
        .iter()
        .map(|(names, aliases)| names.iter().map(|n| Name::new(n, *aliases)).collect())
        .collect();
    let mut hits = Vec::new();
    for w in fuzzy::windows(s) {
        for (kind, names) in prepared.iter().enumerate() {
            for (name, n) in names.iter().enumerate() {
                if let Some(score) = fuzzy::score(&w, n) {
                    hits.push(Hit {
                        kind,
                        name,
                        start: w.start,
                        end: w.end,
                        score,
                    });
                }
            }
        }
    }
    hits.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then((b.end - b.start).cmp(&(a.end - a.start)))
            .then(a.start.cmp(&b.start))
            .then(a.kind.cmp(&b.kind))
    });
    let overlaps = |a: &Hit, b: &Hit| a.start < b.end && b.start < a.end;
    // (kind, score, names)
    let mut groups: Vec<(usize, u32, Vec<usize>)> = Vec::new();
    for h in &hits {
        if (h.start..h.end).any(|i| s.used[i]) {
            continue;
        }
        let mut members = Vec::new();
        for g in &hits {
            if g.kind == h.kind
                && overlaps(g, h)
                && g.score + AMBIGUITY_MARGIN >= h.score
                && !(g.start..g.end).any(|i| s.used[i])
                && !members.contains(&g.name)
            {
                members.push(g.name);
            }
        }
        s.take(h.start, h.end);
        groups.push((h.kind, h.score, members));
    }
    let mut out = Names::default();
    for (kind, field) in [&mut out.merchant, &mut out.place, &mut out.payee]
        .into_iter()
        .enumerate()
    {
        let best = groups
            .iter()
            .filter(|g| g.0 == kind)
            .map(|g| g.1)
            .max()
            .unwrap_or(0);
        let mut chosen: Vec<usize> = Vec::new();
        for g in groups
            .iter()
            .filter(|g| g.0 == kind && g.1 + WEAK_MARGIN >= best)
        {
            for &n in &g.2 {
                if !chosen.contains(&n) {
                    chosen.push(n);
                }
            }
        }
        let list = lists[kind].0;
        let mut names: Vec<String> = Vec::new();
        for n in chosen {
            if !names.contains(&list[n]) {
                names.push(list[n].clone());
            }
        }
        if names.len() == 1 {
            field.0 = names.pop();
        } else {
            field.1 = names;
        }
    }
    out
}

// -------------------------------------------------------------- categories

/// Category words near-missed by one letter are accepted from this length.
const CATEGORY_FUZZY_MIN: usize = 6;

/// The first category word (longest phrase first) on the unconsumed
/// tokens. "gas" alone is fuel for a USD customer and the (cooking-gas)
/// bill for an INR one. Latin words of six letters or more within one edit
/// of a category word count ("restaurent", "grocries").
fn category(s: &mut Sent, currency: Currency) -> Option<Category> {
    for i in 0..s.len() {
        if let Some(end) = s.phrase(i, lexicon::NOT_CATEGORY) {
            s.take(i, end);
            continue;
        }
        let mut best: Option<(usize, Category)> = None;
        for (phrase, cat) in CATEGORY_WORDS {
            let words: Vec<&str> = phrase.split(' ').collect();
            if let Some(end) = s.seq(i, &words) {
                if best.is_none_or(|(e, _)| end > e) {
                    best = Some((end, *cat));
                }
            }
        }
        if best.is_none() && s.any(i, &["gas"]) {
            let cat = if currency == Currency::USD {
                Category::Fuel
            } else {
                Category::Utilities
            };
            best = Some((i + 1, cat));
        }
        if best.is_none() {
            best = fuzzy_category(s, i);
        }
        if let Some((end, cat)) = best {
            s.take(i, end);
            return Some(cat);
        }
    }
    None
}

fn fuzzy_category(s: &Sent, i: usize) -> Option<(usize, Category)> {
    let w = s.text(i)?;
    if !w.is_ascii() || w.len() < CATEGORY_FUZZY_MIN || lexicon::is_stopword(w) {
        return None;
    }
    CATEGORY_WORDS
        .iter()
        .filter(|(p, _)| p.is_ascii() && !p.contains(' ') && p.len() >= CATEGORY_FUZZY_MIN)
        .find(|(p, _)| p.as_bytes()[0] == w.as_bytes()[0] && fuzzy::distance(p, w) <= 1)
        .map(|(_, c)| (i + 1, *c))
}
