//! Amounts and amount ranges.
//!
//! # Rules
//!
//! An amount is an optional currency before the number (₹, Rs, Rs., INR, $,
//! USD, €, £, AED), the number, an optional scale word and an optional
//! currency after it (rupees, रुपये, dollars, `/-`). Without a currency the
//! customer's default currency applies.
//!
//! - Numbers: digits with an optional decimal point, grouped Indian style
//!   ("2,50,000") or western style ("250,000"); any other grouping is not a
//!   number. Devanagari digits arrive as ASCII from normalisation.
//! - Scales: सौ/sau/hundred 100; k/हज़ार/hazaar/thousand 1,000; लाख/lakh/lac
//!   (and a glued "l": "2.5l") 1,00,000; करोड़/crore/cr 1,00,00,000;
//!   million/mn (and a glued "m") and billion/bn.
//! - Number words before a scale or a currency: "paanch sau", "दो लाख",
//!   "five dollars". Parts with decreasing scales add up: "1 lakh 20
//!   hazaar" is 1,20,000, "do hazaar paanch sau" 2,500.
//! - Fractions: डेढ़/dedh 1½ and ढाई/dhai 2½ times the scale that follows;
//!   सवा/sava +¼, साढ़े/sadhe +½, पौने/paune −¼ on the number that follows
//!   (सवा and पौने may stand for 1: सवा लाख = 1,25,000).
//! - Arithmetic is exact, in integers: the value is a fraction
//!   `digits / 10^decimals` (or quarters) times the scale, converted to
//!   minor units; if that is not a whole number of minor units the amount is
//!   **refused, never rounded** ("₹5.555" yields no amount at all, and its
//!   tokens are not reread as something else). Zero and overflowing amounts
//!   are refused too.
//! - A bare number (no currency, scale or number word) is not an amount
//!   when it looks like something else: a time or a percentage ("5 pm",
//!   "10%"), an ordinal ("5th"), a unit of time or a count ("10 days",
//!   "5 transactions"), ten digits or more ungrouped (a phone or account
//!   number), glued to letters, or after "card", "ending", "a/c", "#"….
//!
//! Ranges: "between A and B", "from A to B", "A to B", "A-B", "A se B tak",
//! "A से B तक", "A और B के बीच". In a range a bare first number takes the
//! second's scale when it is smaller than the second's number ("2 to 5
//! lakh" is 2–5 lakh; "500 to 5k" is 500–5,000), and each side takes the
//! other's currency when it names none. A lower bound is "over", "above",
//! "more than", "at least", "min", ">" before the amount, or "se zyada",
//! "से ज़्यादा", "से अधिक", "के ऊपर", "or more", "+" after it; an upper
//! bound is "under", "below", "less than", "up to", "max", "within", "<"
//! before, or "se kam", "से कम", "के नीचे", "tak", "तक", "or less" after.
//! The first plain amount is `amount`; the first range or bounds fill
//! `amount_min`/`amount_max`. Bounds the wrong way round ("over 5000 and
//! under 1000") are taken as the range they would make the right way round.

use anumati_domain::{Currency, Money};

use super::lexicon::{
    count_noun_at, currency_prefix, currency_word, fraction, number_word, scale, unit, Fraction,
};
use super::tokens::{Kind, Sent};

/// What the amount extractor found.
#[derive(Debug, Default)]
pub(crate) struct Found {
    pub amount: Option<Money>,
    pub min: Option<Money>,
    pub max: Option<Money>,
}

/// A parsed value: `num / den × scale` major units.
#[derive(Debug, Clone, Copy)]
struct Value {
    num: i128,
    den: i128,
    scale: i128,
    scaled: bool,
    currency: Option<Currency>,
}

struct Mention {
    start: usize,
    end: usize,
    /// `None` when the text is an amount we refuse (too precise, zero, overflow).
    value: Option<Value>,
}

/// Words after a bare number that make it something other than money.
#[rustfmt::skip]
const NOT_MONEY_AFTER: &[&str] = &[
    "%", ":", "am", "pm", "baje", "बजे", "st", "nd", "rd", "th", "x", "min", "mins", "minute",
    "minutes", "hr", "hrs", "hour", "hours", "ghante", "ghanta", "घंटे", "घंटा", "times", "baar",
    "बार", "gb", "mb", "kg", "km", "kms", "g", "ml", "litre", "litres", "liter", "liters", "people",
    "log", "लोग", "items", "/",
];

/// Words before a bare number that make it an identifier.
#[rustfmt::skip]
const NOT_MONEY_BEFORE: &[&str] = &[
    "#", "no", "number", "num", "ending", "ends", "a/c", "ac", "account", "card", "otp", "pin",
    "id", "ref", "reference", "xx", "xxxx", "mobile", "phone", "+", "नंबर", "number:", "ext",
    "flat", "room", "ward", "sector", "version",
];

const MIN_BEFORE: &[&[&str]] = &[
    &["over"],
    &["above"],
    &["more", "than"],
    &["greater", "than"],
    &["at", "least"],
    &["atleast"],
    &["min"],
    &["minimum"],
    &["exceeding"],
    &["beyond"],
    &["upwards", "of"],
    &["not", "less", "than"],
    &[">"],
    &[">", "="],
    &["≥"],
    &["kam", "se", "kam"],
    &["कम", "से", "कम"],
];

const MAX_BEFORE: &[&[&str]] = &[
    &["under"],
    &["below"],
    &["less", "than"],
    &["lesser", "than"],
    &["up", "to"],
    &["upto"],
    &["at", "most"],
    &["atmost"],
    &["max"],
    &["maximum"],
    &["within"],
    &["not", "more", "than"],
    &["no", "more", "than"],
    &["<"],
    &["<", "="],
    &["≤"],
    &["zyada", "se", "zyada"],
    &["jyada", "se", "jyada"],
    &["ज्यादा", "से", "ज्यादा"],
];

#[rustfmt::skip]
const MORE: &[&str] = &[
    "zyada", "jyada", "jada", "zyaada", "jyaada", "zada", "jyda", "zyda", "adhik", "upar", "uppar",
    "oopar", "uupar", "more", "ज्यादा", "जादा", "अधिक", "ऊपर", "उपर", "ज्यादह",
];
const LESS: &[&str] = &["kam", "neeche", "niche", "less", "कम", "नीचे", "निचे"];

/// A lower or upper bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bound {
    Min,
    Max,
}

/// Finds amounts on the unconsumed tokens, consuming them.
pub(crate) fn extract(s: &mut Sent, default: Currency) -> Found {
    let mut mentions = Vec::new();
    let mut i = 0;
    while i < s.len() {
        match mention_at(s, i) {
            Some(m) => {
                i = m.end;
                mentions.push(m);
            }
            None => i += 1,
        }
    }
    for m in &mentions {
        s.take(m.start, m.end);
    }
    let mut found = Found::default();
    let mut k = 0;
    while k < mentions.len() {
        let a = &mentions[k];
        if let Some(b) = mentions.get(k + 1) {
            if let Some((lead, trail)) = range_link(s, a, b) {
                s.take(lead, a.start);
                s.take(a.end, b.start);
                s.take(b.end, trail);
                if found.min.is_none() && found.max.is_none() {
                    if let Some((lo, hi)) = range(a.value, b.value, default) {
                        found.min = Some(lo);
                        found.max = Some(hi);
                    }
                }
                k += 2;
                continue;
            }
        }
        let money = a.value.and_then(|v| to_money(v, default));
        match bound(s, a) {
            Some((Bound::Min, from, to)) => {
                s.take(from, to);
                if found.min.is_none() {
                    found.min = money;
                }
            }
            Some((Bound::Max, from, to)) => {
                s.take(from, to);
                if found.max.is_none() {
                    found.max = money;
                }
            }
            None => {
                if found.amount.is_none() {
                    found.amount = money;
                }
            }
        }
        k += 1;
    }
    if let (Some(lo), Some(hi)) = (found.min, found.max) {
        if lo.currency() == hi.currency() && lo.minor() > hi.minor() {
            found.min = Some(hi);
            found.max = Some(lo);
        }
    }
    found
}

/// An amount starting at `i`.
fn mention_at(s: &Sent, i: usize) -> Option<Mention> {
    let mut j = i;
    let mut currency = None;
    if let Some(c) = s.text(j).and_then(currency_prefix) {
        currency = Some(c);
        j += 1;
        if s.text(j) == Some(".") {
            j += 1;
        }
    }
    let (value, mut end, bare) = core(s, j)?;
    if let Some(c) = s.text(end).and_then(currency_word) {
        currency = currency.or(Some(c));
        end += 1;
    } else if s.seq(end, &["/", "-"]).is_some() && s.toks[end].glued {
        currency = currency.or(Some(Currency::INR));
        end += 2;
    }
    if currency.is_none() && bare && !bare_is_money(s, j) {
        return None;
    }
    let value = value.map(|v| Value {
        currency: v.currency.or(currency),
        ..v
    });
    Some(Mention {
        start: i,
        end,
        value,
    })
}

/// The number part: `(value, end, bare)`; `value` is `None` for a number we
/// refuse; `bare` is a plain number with neither scale nor number word.
fn core(s: &Sent, j: usize) -> Option<(Option<Value>, usize, bool)> {
    let (mut value, mut end, bare) = simple(s, j)?;
    // "1 lakh 20 hazaar", "do hazaar paanch sau": smaller scales add up.
    while let Some(v) = value {
        let Some((Some(next), e, false)) = simple(s, end) else {
            break;
        };
        if !(v.scaled && next.scaled && next.scale < v.scale) {
            break;
        }
        value = add(v, next);
        end = e;
    }
    Some((value, end, bare))
}

/// The sum of two scaled values, exactly; `None` on overflow.
fn add(a: Value, b: Value) -> Option<Value> {
    let left = a.num.checked_mul(a.scale)?.checked_mul(b.den)?;
    let right = b.num.checked_mul(b.scale)?.checked_mul(a.den)?;
    Some(Value {
        num: left.checked_add(right)?,
        den: a.den.checked_mul(b.den)?,
        scale: 1,
        scaled: true,
        currency: None,
    })
}

/// One number with its scale.
fn simple(s: &Sent, j: usize) -> Option<(Option<Value>, usize, bool)> {
    let tok = s.at(j)?;
    let value = |num: i128, den: i128, sc: Option<i128>| Value {
        num,
        den,
        scale: sc.unwrap_or(1),
        scaled: sc.is_some(),
        currency: None,
    };
    if let Some(f) = fraction(tok.text) {
        return match f {
            Fraction::Whole(q) => {
                let sc = scale_at(s, j + 1)?;
                Some((Some(value(q, 4, Some(sc))), j + 2, false))
            }
            Fraction::Plus(q) => {
                let (n, k) = match small_int(s, j + 1) {
                    Some(n) => (n, j + 2),
                    None if q != 2 => (1, j + 1),
                    None => return None,
                };
                let sc = scale_at(s, k)?;
                Some((Some(value(4 * n + q, 4, Some(sc))), k + 1, false))
            }
        };
    }
    if tok.kind == Kind::Num {
        let Some((num, den)) = parse_number(tok.text) else {
            return Some((None, j + 1, false));
        };
        if let Some(sc) = scale_at(s, j + 1) {
            return Some((Some(value(num, den, Some(sc))), j + 2, false));
        }
        return Some((Some(value(num, den, None)), j + 1, true));
    }
    if let Some(n) = number_word(tok.text) {
        let n = i128::from(n);
        if let Some(sc) = scale_at(s, j + 1) {
            return Some((Some(value(n, 1, Some(sc))), j + 2, false));
        }
        if s.text(j + 1).and_then(currency_word).is_some() {
            return Some((Some(value(n, 1, None)), j + 1, false));
        }
    }
    None
}

/// A scale word at `i` (glued-only scales only when glued).
fn scale_at(s: &Sent, i: usize) -> Option<i128> {
    let t = s.at(i)?;
    let (sc, glued_only) = scale(t.text)?;
    (!glued_only || t.glued).then_some(sc)
}

/// A small whole number (digits or a number word) at `i`.
fn small_int(s: &Sent, i: usize) -> Option<i128> {
    if let Some(n) = s.int(i) {
        return (n <= 1_000_000).then(|| i128::from(n));
    }
    s.text(i).and_then(number_word).map(i128::from)
}

/// Parses digits with grouping commas and a decimal point into `num / den`.
fn parse_number(text: &str) -> Option<(i128, i128)> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    if frac.contains(['.', ',']) || int.is_empty() {
        return None;
    }
    if int.contains(',') {
        let groups: Vec<&str> = int.split(',').collect();
        let (first, rest) = groups.split_first()?;
        let (last, middle) = rest.split_last()?;
        if last.len() != 3 {
            return None;
        }
        let ok = if middle.is_empty() {
            (1..=3).contains(&first.len())
        } else if middle.iter().all(|g| g.len() == 2) {
            (1..=2).contains(&first.len())
        } else if middle.iter().all(|g| g.len() == 3) {
            (1..=3).contains(&first.len())
        } else {
            false
        };
        if !ok {
            return None;
        }
    }
    let digits: String = int
        .chars()
        .filter(|c| *c != ',')
        .chain(frac.chars())
        .collect();
    if digits.len() > 30 {
        return None;
    }
    let num: i128 = digits.parse().ok()?;
    let den = 10i128.checked_pow(u32::try_from(frac.len()).ok()?)?;
    Some((num, den))
}

/// Whether the bare number at `j` can be money (see the module documentation).
fn bare_is_money(s: &Sent, j: usize) -> bool {
    let tok = s.toks[j];
    if tok.text.len() >= 10 && !tok.text.contains([',', '.']) {
        return false;
    }
    if let Some(next) = s.toks.get(j + 1) {
        if next.glued && next.kind == Kind::Word {
            return false;
        }
        if NOT_MONEY_AFTER.contains(&next.text)
            || unit(next.text).is_some()
            || count_noun_at(s, j + 1).is_some()
        {
            return false;
        }
    }
    if j > 0 {
        let prev = s.toks[j - 1];
        if (tok.glued && prev.kind == Kind::Word) || NOT_MONEY_BEFORE.contains(&prev.text) {
            return false;
        }
        if tok.glued && prev.text == ":" {
            return false;
        }
    }
    true
}

/// Minor units for a value, exactly, or `None` (refused).
fn to_money(v: Value, default: Currency) -> Option<Money> {
    let currency = v.currency.unwrap_or(default);
    let unit = 10i128.checked_pow(u32::from(currency.exponent()))?;
    let n = v.num.checked_mul(v.scale)?.checked_mul(unit)?;
    if v.den == 0 || n % v.den != 0 {
        return None;
    }
    let minor = i64::try_from(n / v.den).ok()?;
    (minor > 0).then(|| Money::from_minor(minor, currency))
}

/// A range between two mentions: the span of its lead word and trailing words.
fn range_link(s: &Sent, a: &Mention, b: &Mention) -> Option<(usize, usize)> {
    let between: Vec<&str> = (a.end..b.start).map(|i| s.text(i)).collect::<Option<_>>()?;
    let lead = a
        .start
        .checked_sub(1)
        .filter(|&i| s.any(i, &["between", "from", "btw", "bw", "bich"]));
    let trail = s.phrase(
        b.end,
        &[
            &["tak"],
            &["तक"],
            &["ke", "beech"],
            &["ke", "bich"],
            &["के", "बीच"],
            &["beech"],
            &["बीच"],
            &["ke", "darmiyan"],
        ],
    );
    let beech = trail.is_some_and(|e| e > b.end && !s.any(b.end, &["tak", "तक"]));
    let ok = match between.as_slice() {
        ["to"] | ["-"] | ["se"] | ["से"] | ["till"] | ["until"] | ["through"] | ["thru"] => {
            true
        }
        ["and"] | ["aur"] | ["और"] | ["&"] => lead.is_some() || beech,
        _ => false,
    };
    ok.then(|| (lead.unwrap_or(a.start), trail.unwrap_or(b.end)))
}

/// The two ends of a range, after sharing scale and currency.
fn range(a: Option<Value>, b: Option<Value>, default: Currency) -> Option<(Money, Money)> {
    let (mut a, mut b) = (a?, b?);
    if !a.scaled && b.scaled && a.num.checked_mul(b.den)? < b.num.checked_mul(a.den)? {
        a.scale = b.scale;
        a.scaled = true;
    }
    match (a.currency, b.currency) {
        (None, Some(c)) => a.currency = Some(c),
        (Some(c), None) => b.currency = Some(c),
        _ => {}
    }
    let (x, y) = (to_money(a, default)?, to_money(b, default)?);
    if x.currency() != y.currency() {
        return None;
    }
    Some(if x.minor() <= y.minor() {
        (x, y)
    } else {
        (y, x)
    })
}

/// A bound word around a mention: `(bound, from, to)` tokens to consume.
fn bound(s: &Sent, m: &Mention) -> Option<(Bound, usize, usize)> {
    if let Some(start) = s.phrase_before(m.start, MIN_BEFORE) {
        return Some((Bound::Min, start, m.start));
    }
    if let Some(start) = s.phrase_before(m.start, MAX_BEFORE) {
        return Some((Bound::Max, start, m.start));
    }
    let e = m.end;
    if s.any(e, &["se", "से", "ke", "के", "than"]) {
        if s.any(e + 1, MORE) {
            return Some((Bound::Min, e, e + 2));
        }
        if s.any(e + 1, LESS) {
            return Some((Bound::Max, e, e + 2));
        }
    }
    if let Some(end) = s.phrase(
        e,
        &[
            &["or", "more"],
            &["or", "above"],
            &["and", "above"],
            &["or", "over"],
            &["plus"],
            &["+"],
            &["onwards"],
            &["ya", "zyada"],
            &["या", "ज्यादा"],
            &["ya", "usse", "zyada"],
            &["या", "उससे", "ज्यादा"],
            &["से", "ऊपर"],
        ],
    ) {
        return Some((Bound::Min, e, end));
    }
    if let Some(end) = s.phrase(
        e,
        &[
            &["or", "less"],
            &["or", "below"],
            &["and", "below"],
            &["or", "under"],
            &["tak"],
            &["तक"],
            &["ya", "kam"],
            &["या", "कम"],
            &["ya", "usse", "kam"],
            &["या", "उससे", "कम"],
        ],
    ) {
        return Some((Bound::Max, e, end));
    }
    None
}
