//! Periods relative to the customer's date, and the tense that decides
//! what कल means.
//!
//! # Tense: कल, kal, परसों, parso
//!
//! Hindi uses one word for yesterday and tomorrow (कल) and one for the day
//! before yesterday and the day after tomorrow (परसों). The verb decides,
//! and in Hindi the verb comes last, so the **last tense marker in the
//! message wins**; with none, the message is about the past (customers ask
//! about spending far more than they schedule payments).
//!
//! - Future markers: future verb endings (-ेगा/-ेगी/-ेंगे, -ूंगा/-ूंगी,
//!   -ोगे; romanised -ega/-egi/-enge/-unga/-ungi/-oge: "भेजूँगा", "karenge",
//!   "hoga"); infinitives of obligation ("देना है", "भेजना है", "karna hai",
//!   "bhej dena"); imperatives ("भेजो", "bhejo", "kar do", "bhej do"); the
//!   English "will", "'ll", "shall", "gonna", and "send"/"pay"/"transfer"
//!   opening the message.
//! - Past markers: "किया", "हुआ", "था", "गया", "दिया", "लगा", "भेजा",
//!   "kiya", "hua", "tha", "gaya", "diya", "laga", "bheja", and the English
//!   "did", "was", "spent", "paid", "sent"….
//!
//! So "kal kitna kharch kiya" is yesterday, "कल 500 भेजना है", "kal bhej
//! dena" and "कल भेजूँगा" are tomorrow, and a bare "kal ka kharcha" is
//! yesterday. The tense also places a day or month named without a year:
//! in the past the most recent one not after today ("in March" in June 2025
//! is March 2025, in February 2025 it is March 2024), in the future the
//! next one not before today.
//!
//! # Periods
//!
//! Every period is whole days, `start..=end`, with an English label.
//!
//! - today, yesterday, tomorrow, the day before yesterday / after tomorrow
//!   (आज, कल, परसों; aaj, kal, parso).
//! - "this/last/next week|month|year" (इस/पिछले/अगले हफ्ते|महीने|साल;
//!   is/pichle/agle hafte|mahine|saal) are calendar weeks (Monday to
//!   Sunday), months and years.
//! - "last N days|weeks|months|years" (पिछले 3 महीने, pichle teen mahine)
//!   is a rolling window of N units ending today: on 18 June, "last 3
//!   months" is 19 March to 18 June. "N days ago" (3 दिन पहले) is that one
//!   day; "2 months ago" is that calendar month.
//! - "the month before last" (पिछले से पिछले महीने).
//! - A month name ("in March", "मार्च में", "march mein"), "March 2025", a
//!   day ("5 June", "June 5th", "5 जून", "5/6/2025" — day first unless the
//!   customer's currency is USD, "2025-06-05"), a year with a preposition
//!   ("in 2024", "2024 में").
//! - Ranges: "between 1 and 15 June", "1-15 June", "from 1 May to 15
//!   June", "between March and May", "1 से 15 जून तक", "1 se 15 june tak";
//!   "since 1 May", "1 मई से", "march se", "since last week", "from X" with
//!   no end: from X to today.
//! - Weekends and weekdays: "last weekend", "this weekend", "weekend"
//!   (the current one on a Saturday or Sunday, else the last), "on
//!   Monday"/सोमवार (the most recent, or the next in the future),
//!   "last Monday" (before today), "next Monday".
//! - "this FY" / "इस वित्त वर्ष" (India's April–March financial year),
//!   "ytd", "mtd".
//!
//! When the message is about the past, a period that contains today ends
//! today ("this month" on 18 June is 1–18 June). Only the first period in a
//! message is returned, but all are consumed.
//!
//! # Follow-ups
//!
//! "the month before", "before that", "उससे पहले", "usse pehle wala
//! mahina" set `previous_period` and name no period: the app steps back
//! from the period of the previous turn.

use jiff::civil::Date;
use jiff::Span;

use super::lexicon::{
    currency_word, month, number_word, scale, unit, weekday, Unit, LAST, MONTH_NAMES, NEXT, THIS,
    WEEKDAY_NAMES,
};
use super::tokens::{Kind, Sent};
use super::Period;

/// Whether the message speaks of the past or the future.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tense {
    Past,
    Future,
}

/// What dates are read against.
pub(crate) struct Cal {
    pub today: Date,
    pub tense: Tense,
    /// Numeric dates are day first (5/6 is 5 June), except for US customers.
    pub day_first: bool,
}

#[rustfmt::skip]
const PAST_WORDS: &[&str] = &[
    "did", "was", "were", "spent", "paid", "sent", "received", "got", "had", "bought",
    "transferred", "withdrew", "went", "ago", "happened", "yesterday", "kiya", "kiye", "kiyi",
    "kari", "kara", "hua", "hui", "hue", "huye", "huwa", "tha", "thi", "gaya", "gaye", "gayi",
    "gyi", "gya", "gai", "diya", "diye", "liya", "pada", "padi", "pade", "laga", "lage", "lagi",
    "bheja", "bheje", "bheji", "bhara", "bhare", "nikala", "nikale", "mila", "mile", "mili", "किया",
    "किए", "किये", "हुआ", "हुई", "हुए", "था", "थी", "थे", "गया", "गए", "गई", "गये", "दिया", "दिए",
    "दिये", "लिया", "पडा", "पडी", "पडे", "लगा", "लगे", "लगी", "भेजा", "भेजे", "भेजी", "भरा", "भरे",
    "निकाला", "निकाले", "मिला", "मिले", "मिली",
];

#[rustfmt::skip]
const FUTURE_WORDS: &[&str] = &[
    "will", "ll", "shall", "gonna", "tomorrow", "tmrw", "remind", "later", "dena", "deni", "dene",
    "karna", "karni", "bhejna", "bhejni", "bharna", "bharni", "chukana", "chukani", "dedena",
    "bhejo", "bhejiye", "bhejiyega", "bhejdo", "bhejein", "bhejen", "dedo", "karoge", "देना",
    "देनी", "देने", "करना", "करनी", "भेजना", "भेजनी", "भरना", "चुकाना", "भेजो", "भेजिए", "भेजें",
    "दें",
];

/// Generic imperatives ("karo", "दीजिए") are future markers only after a
/// verb stem or a payment noun ("bhej dijiye", "pay karo", "recharge kar
/// do"): "kal ka statement dikha dijiye" is about yesterday.
#[rustfmt::skip]
const GENERIC_IMPERATIVES: &[&str] = &[
    "do", "दो", "de", "दे", "karo", "kardo", "dijiye", "kijiye", "karein", "karen", "करो", "करें",
    "दीजिए", "कीजिए",
];
#[rustfmt::skip]
const PAYMENT_NOUNS: &[&str] = &[
    "pay", "payment", "transfer", "recharge", "bhugtan", "send", "schedule", "भुगतान", "ट्रांसफर",
    "पेमेंट", "रिचार्ज",
];

/// Verb stems after which "do"/"de" ("bhej do", "कर दो") is an imperative,
/// not the number two.
#[rustfmt::skip]
const VERB_STEMS: &[&str] = &[
    "bhej", "kar", "de", "transfer", "pay", "bhar", "chuka", "daal", "dal", "nikal", "send", "भेज",
    "कर", "दे", "भर", "चुका", "डाल", "निकाल",
];

const OPENING_IMPERATIVES: &[&str] = &["send", "pay", "transfer", "schedule", "remit", "wire"];

#[rustfmt::skip]
const FUTURE_ENDINGS_DEVANAGARI: &[&str] = &[
    "ेगा", "ेगी", "ेगे", "ेंगे", "ेंगी", "ूंगा", "ूंगी", "ूगा", "ूगी", "ोगे", "ोगी", "ोगा", "एगा",
    "एगी", "एंगे", "ऊंगा", "ऊंगी", "ओगे", "ओगी",
];
const FUTURE_ENDINGS_LATIN: &[&str] = &["unga", "ungi", "enge", "egi", "ega", "oge", "ogi", "oga"];
#[rustfmt::skip]
const NOT_FUTURE: &[&str] = &[
    "mega", "omega", "vega", "yoga", "challenge", "revenge", "scavenge", "toga", "saga",
];

/// The tense of the message: see the module documentation.
pub(crate) fn tense(s: &Sent) -> Tense {
    let opening = s.toks.iter().position(|t| {
        t.kind == Kind::Word && !["please", "pls", "plz", "kindly"].contains(&t.text)
    });
    let mut tense = Tense::Past;
    for i in 0..s.len() {
        if let Some(t) = marker(s, i, opening == Some(i)) {
            tense = t;
        }
    }
    tense
}

fn marker(s: &Sent, i: usize, opening: bool) -> Option<Tense> {
    let w = s.toks[i].text;
    if PAST_WORDS.contains(&w) {
        return Some(Tense::Past);
    }
    if FUTURE_WORDS.contains(&w) || (opening && OPENING_IMPERATIVES.contains(&w)) {
        return Some(Tense::Future);
    }
    if GENERIC_IMPERATIVES.contains(&w) {
        let prev = i.checked_sub(1).map(|p| s.toks[p].text);
        let after_verb =
            prev.is_some_and(|p| VERB_STEMS.contains(&p) || PAYMENT_NOUNS.contains(&p));
        let before_scale = s.toks.get(i + 1).is_some_and(|t| scale(t.text).is_some());
        return (after_verb && !before_scale).then_some(Tense::Future);
    }
    let ending = |list: &[&str]| list.iter().any(|e| w.len() > e.len() && w.ends_with(e));
    if ending(FUTURE_ENDINGS_DEVANAGARI)
        || (w.is_ascii() && !NOT_FUTURE.contains(&w) && ending(FUTURE_ENDINGS_LATIN))
    {
        return Some(Tense::Future);
    }
    None
}

/// Finds and consumes follow-up phrases ("the month before", "उससे पहले").
pub(crate) fn previous_period(s: &mut Sent) -> bool {
    let mut found = false;
    for i in 0..s.len() {
        if let Some(end) = follow_up_at(s, i) {
            s.take(i, end);
            found = true;
        }
    }
    found
}

fn follow_up_at(s: &Sent, i: usize) -> Option<usize> {
    if s.any(i, &["the", "a", "one"])
        && s.text(i + 1).and_then(unit).is_some()
        && s.any(i + 2, &["before", "earlier", "prior"])
    {
        if s.any(i + 3, &["last"]) {
            return None;
        }
        let end = i + 3;
        return Some(if s.any(end, &["that", "this", "it"]) {
            end + 1
        } else {
            end
        });
    }
    if let Some(end) = s.phrase(
        i,
        &[
            &["before", "that"],
            &["before", "this"],
            &["prior", "to", "that"],
            &["the", "one", "before"],
            &["the", "previous", "one"],
            &["the", "period", "before"],
        ],
    ) {
        return Some(end);
    }
    let e = s.phrase(
        i,
        &[
            &["usse"],
            &["usase"],
            &["ussey"],
            &["usey"],
            &["ussay"],
            &["uske"],
            &["uskey"],
            &["usake"],
            &["isse"],
            &["us", "se"],
            &["uss", "se"],
            &["उससे"],
            &["उसके"],
            &["इससे"],
            &["उस", "से"],
        ],
    )?;
    let mut e = s.phrase(
        e,
        &[
            &["pehle"],
            &["pahle"],
            &["pehele"],
            &["pichla"],
            &["pichhla"],
            &["pichle"],
            &["pichhle"],
            &["pichli"],
            &["before"],
            &["पहले"],
            &["पिछला"],
            &["पिछले"],
            &["पिछली"],
        ],
    )?;
    if s.any(
        e,
        &[
            "wala",
            "wale",
            "wali",
            "vala",
            "vale",
            "vali",
            "वाला",
            "वाले",
            "वाली",
        ],
    ) {
        e += 1;
    }
    if s.text(e).and_then(unit).is_some() {
        e += 1;
    }
    Some(e)
}

/// Finds and consumes every period; returns the first.
pub(crate) fn extract(s: &mut Sent, cal: &Cal) -> Option<Period> {
    let mut first = None;
    let mut i = 0;
    while i < s.len() {
        match parse_at(s, i, cal) {
            Some((p, end)) => {
                s.take(i, end);
                first = first.or(Some(p));
                i = end.max(i + 1);
            }
            None => i += 1,
        }
    }
    let mut p = first?;
    if cal.tense == Tense::Past && p.start <= cal.today && p.end > cal.today {
        p.end = cal.today;
    }
    Some(p)
}

fn parse_at(s: &Sent, i: usize, cal: &Cal) -> Option<(Period, usize)> {
    range_at(s, i, cal)
        .or_else(|| since_at(s, i, cal))
        .or_else(|| relative_at(s, i, cal))
        .or_else(|| point_at(s, i, cal))
}

// ---------------------------------------------------------------- helpers

fn mk(start: Date, end: Date, label: impl Into<String>) -> Option<Period> {
    (start <= end).then(|| Period {
        start,
        end,
        label: label.into(),
    })
}

fn shift(d: Date, n: i64, u: Unit) -> Option<Date> {
    let span = match u {
        Unit::Day => Span::new().try_days(n),
        Unit::Week => Span::new().try_weeks(n),
        Unit::Month => Span::new().try_months(n),
        Unit::Year => Span::new().try_years(n),
    }
    .ok()?;
    d.checked_add(span).ok()
}

fn days(d: Date, n: i64) -> Option<Date> {
    shift(d, n, Unit::Day)
}

fn week_start(d: Date) -> Option<Date> {
    days(d, -i64::from(d.weekday().to_monday_zero_offset()))
}

/// The calendar unit containing `d`.
fn calendar(d: Date, u: Unit) -> Option<(Date, Date)> {
    Some(match u {
        Unit::Day => (d, d),
        Unit::Week => {
            let ws = week_start(d)?;
            (ws, days(ws, 6)?)
        }
        Unit::Month => (d.first_of_month(), d.last_of_month()),
        Unit::Year => (d.first_of_year(), d.last_of_year()),
    })
}

fn month_name(m: i8) -> &'static str {
    MONTH_NAMES[usize::try_from(m - 1).unwrap_or(0).min(11)]
}

fn fmt_day(d: Date) -> String {
    format!("{} {} {}", d.day(), month_name(d.month()), d.year())
}

fn plural(n: i64, u: Unit) -> String {
    if n == 1 {
        format!("{n} {}", u.name())
    } else {
        format!("{n} {}s", u.name())
    }
}

// ----------------------------------------------------------------- points

/// A date as written, before the year is settled.
#[derive(Debug, Clone, Copy)]
enum Point {
    Day(i8, i8, Option<i16>),
    Month(i8, Option<i16>),
    Date(Date),
    /// A day number whose month comes later ("between 1 and 15 June").
    BareDay(i8),
}

/// Words before an abbreviated month ("in may") that make it a month.
const MONTH_BEFORE: &[&str] = &[
    "in", "since", "from", "of", "during", "between", "and", "to", "till", "until", "for", "last",
    "this", "next", "se", "से", "aur", "और", "till", "early", "mid", "late", "end",
];
/// Words after an abbreviated month ("may mein") that make it a month.
#[rustfmt::skip]
const MONTH_AFTER: &[&str] = &[
    "mein", "me", "main", "में", "se", "से", "tak", "तक", "ka", "ki", "ke", "ko", "का", "की", "के",
    "को", "month", "mahine", "mahina", "महीने", "'", ",", "?", ".", "and", "to",
];

fn month_at(s: &Sent, i: usize) -> Option<i8> {
    let (m, alone) = month(s.text(i)?)?;
    if alone {
        return Some(m);
    }
    let prev = i.checked_sub(1).and_then(|p| s.toks.get(p));
    let next = s.toks.get(i + 1);
    let context = prev.is_some_and(|p| p.kind == Kind::Num || MONTH_BEFORE.contains(&p.text))
        || next.is_some_and(|n| n.kind == Kind::Num || MONTH_AFTER.contains(&n.text))
        || next.is_none() && prev.is_some();
    context.then_some(m)
}

/// A four-digit year (1900–2100) not followed by a currency or scale word.
fn year_at(s: &Sent, i: usize) -> Option<i16> {
    let t = s.at(i)?;
    if t.kind != Kind::Num || t.text.len() != 4 {
        return None;
    }
    if s.text(i + 1)
        .is_some_and(|w| currency_word(w).is_some() || scale(w).is_some())
    {
        return None;
    }
    let y = i16::try_from(s.int(i)?).ok()?;
    (1900..=2100).contains(&y).then_some(y)
}

fn year_after(s: &Sent, e: &mut usize) -> Option<i16> {
    let k = if s.any(*e, &[","]) { *e + 1 } else { *e };
    let y = year_at(s, k)?;
    *e = k + 1;
    Some(y)
}

/// A day of the month, with an optional glued ordinal ("5th").
fn day_at(s: &Sent, i: usize) -> Option<(i8, usize)> {
    let t = s.at(i)?;
    if t.kind != Kind::Num || t.text.len() > 2 {
        return None;
    }
    let d = i8::try_from(s.int(i)?).ok()?;
    if !(1..=31).contains(&d) {
        return None;
    }
    let mut e = i + 1;
    if let Some(o) = s.at(e) {
        if o.glued && ["st", "nd", "rd", "th"].contains(&o.text) {
            e += 1;
        } else if o.glued && o.kind == Kind::Word {
            return None;
        }
    }
    Some((d, e))
}

fn parse_point(s: &Sent, i: usize, cal: &Cal, allow_bare: bool) -> Option<(Point, usize)> {
    let t = s.at(i)?;
    if t.kind == Kind::Num {
        if let Some(r) = numeric_date(s, i, cal) {
            return Some(r);
        }
        let (d, mut e) = day_at(s, i)?;
        if s.any(e, &["of"]) && month_at(s, e + 1).is_some() {
            e += 1;
        }
        if let Some(m) = month_at(s, e) {
            let mut e2 = e + 1;
            let y = year_after(s, &mut e2);
            return Some((Point::Day(d, m, y), e2));
        }
        return allow_bare.then_some((Point::BareDay(d), e));
    }
    let m = month_at(s, i)?;
    let mut e = i + 1;
    if let Some((d, e2)) = day_at(s, e) {
        let money_next = s
            .text(e2)
            .is_some_and(|w| scale(w).is_some() || currency_word(w).is_some());
        if !money_next {
            let mut e3 = e2;
            let y = year_after(s, &mut e3);
            return Some((Point::Day(d, m, y), e3));
        }
    }
    let y = year_after(s, &mut e);
    Some((Point::Month(m, y), e))
}

/// "2025-06-05", "5/6/2025", "5/6", "5.6.2025".
fn numeric_date(s: &Sent, i: usize, cal: &Cal) -> Option<(Point, usize)> {
    let t = s.at(i)?;
    let order = |a: i64, b: i64| if cal.day_first { (a, b) } else { (b, a) };
    let point = |d: i64, m: i64, y: Option<i64>| -> Option<Point> {
        let d = i8::try_from(d).ok()?;
        let m = i8::try_from(m).ok()?;
        Some(match y {
            Some(y) => {
                let y = if y < 100 { 2000 + y } else { y };
                Point::Date(Date::new(i16::try_from(y).ok()?, m, d).ok()?)
            }
            None => {
                Date::new(2000, m, d).ok()?;
                Point::Day(d, m, None)
            }
        })
    };
    if t.text.contains('.') {
        let parts: Vec<&str> = t.text.split('.').collect();
        if parts.len() == 3
            && parts[0].len() <= 2
            && parts[1].len() <= 2
            && matches!(parts[2].len(), 2 | 4)
        {
            let n: Vec<i64> = parts
                .iter()
                .map(|p| p.parse().ok())
                .collect::<Option<_>>()?;
            let (d, m) = order(n[0], n[1]);
            return Some((point(d, m, Some(n[2]))?, i + 1));
        }
        return None;
    }
    let glued_num = |k: usize| -> Option<i64> {
        let t = s.at(k)?;
        (t.glued && t.kind == Kind::Num && !t.text.contains([',', '.']))
            .then(|| t.text.parse().ok())
            .flatten()
    };
    let glued_sym = |k: usize, c: &str| s.at(k).is_some_and(|t| t.glued && t.text == c);
    let a: i64 = if t.text.contains([',', '.']) {
        return None;
    } else {
        t.text.parse().ok()?
    };
    if t.text.len() == 4 && glued_sym(i + 1, "-") && glued_sym(i + 3, "-") {
        let m = glued_num(i + 2)?;
        let d = glued_num(i + 4)?;
        return Some((point(d, m, Some(a))?, i + 5));
    }
    if t.text.len() <= 2 && glued_sym(i + 1, "/") {
        let b = glued_num(i + 2)?;
        let (d, m) = order(a, b);
        if glued_sym(i + 3, "/") {
            let y = glued_num(i + 4)?;
            let len = s.toks[i + 4].text.len();
            if len != 2 && len != 4 {
                return None;
            }
            return Some((point(d, m, Some(y))?, i + 5));
        }
        return Some((point(d, m, None)?, i + 3));
    }
    None
}

/// The most recent day `d` of month `m` not after today (past), or the next
/// not before today (future).
fn nearest_day(d: i8, m: i8, cal: &Cal) -> Option<Date> {
    let today = cal.today;
    let step: i16 = if cal.tense == Tense::Future { 1 } else { -1 };
    let mut y = today.year();
    for _ in 0..9 {
        if let Ok(x) = Date::new(y, m, d) {
            let ok = match cal.tense {
                Tense::Past => x <= today,
                Tense::Future => x >= today,
            };
            if ok {
                return Some(x);
            }
        }
        y = y.checked_add(step)?;
    }
    None
}

fn month_year(m: i8, cal: &Cal) -> i16 {
    let (y, now) = (cal.today.year(), cal.today.month());
    match cal.tense {
        Tense::Past if m > now => y - 1,
        Tense::Future if m < now => y + 1,
        _ => y,
    }
}

fn resolve(p: Point, cal: &Cal) -> Option<Period> {
    match p {
        Point::Date(d) => mk(d, d, fmt_day(d)),
        Point::Day(d, m, y) => {
            let x = match y {
                Some(y) => Date::new(y, m, d).ok()?,
                None => nearest_day(d, m, cal)?,
            };
            mk(x, x, fmt_day(x))
        }
        Point::Month(m, y) => {
            let y = y.unwrap_or_else(|| month_year(m, cal));
            let first = Date::new(y, m, 1).ok()?;
            mk(
                first,
                first.last_of_month(),
                format!("{} {y}", month_name(m)),
            )
        }
        Point::BareDay(_) => None,
    }
}

/// Resolves `p` placed in `year` (used for a range's second end).
fn resolve_in(p: Point, year: i16) -> Option<(Date, Date)> {
    match p {
        Point::Date(d) => Some((d, d)),
        Point::Day(d, m, y) => {
            let x = Date::new(y.unwrap_or(year), m, d).ok()?;
            Some((x, x))
        }
        Point::Month(m, y) => {
            let first = Date::new(y.unwrap_or(year), m, 1).ok()?;
            Some((first, first.last_of_month()))
        }
        Point::BareDay(_) => None,
    }
}

fn point_at(s: &Sent, i: usize, cal: &Cal) -> Option<(Period, usize)> {
    if let Some(r) = year_in_context(s, i) {
        return Some(r);
    }
    let (p, end) = parse_point(s, i, cal, false)?;
    Some((resolve(p, cal)?, end))
}

/// A year on its own, when a word says it is one: "in 2024", "2024 में",
/// "saal 2024".
fn year_in_context(s: &Sent, i: usize) -> Option<(Period, usize)> {
    let (y, end) = if s.any(i, &["year", "saal", "साल", "varsh", "वर्ष"]) {
        (year_at(s, i + 1)?, i + 2)
    } else {
        let y = year_at(s, i)?;
        let before = i
            .checked_sub(1)
            .and_then(|p| s.toks.get(p))
            .is_some_and(|t| ["in", "during", "since", "from"].contains(&t.text));
        let after = s.any(
            i + 1,
            &["mein", "me", "main", "में", "ka", "ki", "ke", "का", "की", "के"],
        );
        if !(before || after) {
            return None;
        }
        (y, i + 1)
    };
    let first = Date::new(y, 1, 1).ok()?;
    Some((mk(first, first.last_of_year(), y.to_string())?, end))
}

// ----------------------------------------------------------------- ranges

const RANGE_LINKS: &[&str] = &[
    "and", "to", "-", "till", "until", "through", "thru", "se", "से", "aur", "और",
];
const NOW_WORDS: &[&[&str]] = &[
    &["today"],
    &["now"],
    &["date"],
    &["aaj"],
    &["ab"],
    &["abhi"],
    &["आज"],
    &["अब"],
    &["अभी"],
];
const RANGE_TRAIL: &[&[&str]] = &[
    &["tak"],
    &["तक"],
    &["ke", "beech"],
    &["ke", "bich"],
    &["के", "बीच"],
    &["beech"],
    &["बीच"],
];

fn range_at(s: &Sent, i: usize, cal: &Cal) -> Option<(Period, usize)> {
    let lead = s.any(i, &["between", "from", "btw", "bw"]);
    let a_at = if lead { i + 1 } else { i };
    let (a, ja) = parse_point(s, a_at, cal, true)?;
    let link = s.text(ja)?;
    if !RANGE_LINKS.contains(&link) {
        return None;
    }
    let now = s.phrase(ja + 1, NOW_WORDS);
    let (b, mut end) = match now {
        Some(e) => (None, e),
        None => {
            let (b, e) = parse_point(s, ja + 1, cal, false)?;
            (Some(b), e)
        }
    };
    let mut beech = false;
    if let Some(e) = s.phrase(end, RANGE_TRAIL) {
        beech = !s.any(end, &["tak", "तक"]);
        end = e;
    }
    if matches!(link, "and" | "aur" | "और") && !lead && !beech {
        return None;
    }
    // Share the month and year the second end names with the first.
    let a = match (a, b) {
        (Point::BareDay(d), Some(Point::Day(_, m, y))) => Point::Day(d, m, y),
        (Point::BareDay(_), _) => return None,
        (Point::Day(d, m, None), Some(Point::Day(_, _, y @ Some(_)))) => Point::Day(d, m, y),
        (Point::Month(m, None), Some(Point::Month(_, y @ Some(_)))) => Point::Month(m, y),
        (a, _) => a,
    };
    let first = resolve(a, cal)?;
    let last = match b {
        None => cal.today,
        Some(b) => {
            let year = first.start.year();
            let (bs, be) = resolve_in(b, year)?;
            if bs < first.start {
                resolve_in(b, year.checked_add(1)?)?.1
            } else {
                be
            }
        }
    };
    let clipped = cal.tense == Tense::Past && first.start <= cal.today && last > cal.today;
    let shown = if clipped { cal.today } else { last };
    let label = format!("{} to {}", fmt_day(first.start), fmt_day(shown));
    Some((mk(first.start, last, label)?, end))
}

fn since_at(s: &Sent, i: usize, cal: &Cal) -> Option<(Period, usize)> {
    let since = |p: Period, end: usize| {
        let label = format!("since {}", fmt_day(p.start));
        Some((mk(p.start, cal.today, label)?, end))
    };
    if s.any(i, &["since", "from"]) {
        let (p, end) = relative_at(s, i + 1, cal).or_else(|| point_at(s, i + 1, cal))?;
        return since(p, end);
    }
    let (p, end) = relative_at(s, i, cal).or_else(|| point_at(s, i, cal))?;
    if s.any(end, &["onwards", "onward"]) {
        return since(p, end + 1);
    }
    if !s.any(end, &["se", "से"]) || s.any(end + 1, &["pehle", "pahle", "पहले"]) {
        return None;
    }
    let mut end = end + 1;
    if let Some(e) = s.phrase(end, NOW_WORDS) {
        if s.any(e, &["tak", "तक"]) {
            end = e + 1;
        }
    }
    since(p, end)
}

// --------------------------------------------------------------- relative

const AGO: &[&str] = &["ago", "back", "pehle", "pahle", "pehele", "पहले"];
const WEEKEND: &[&str] = &["weekend", "वीकेंड", "सप्ताहांत", "wknd"];
const FY: &[&[&str]] = &[
    &["fy"],
    &["financial", "year"],
    &["fiscal", "year"],
    &["वित्त", "वर्ष"],
    &["वित्तीय", "वर्ष"],
    &["vitt", "varsh"],
    &["vittiya", "varsh"],
    &["financial", "saal"],
];

/// A count for a period: digits or a number word.
fn number_at(s: &Sent, i: usize) -> Option<i64> {
    if let Some(n) = s.int(i) {
        if s.toks[i].text.len() > 2 && s.toks.get(i + 1).is_some_and(|t| t.glued) {
            return None;
        }
        return i64::try_from(n).ok().filter(|n| (1..=10_000).contains(n));
    }
    s.text(i).and_then(number_word).map(i64::from)
}

fn relative_at(s: &Sent, i: usize, cal: &Cal) -> Option<(Period, usize)> {
    let today = cal.today;
    let future = cal.tense == Tense::Future;
    let one = |d: Date, label: &str, end: usize| Some((mk(d, d, label)?, end));
    let w = s.text(i)?;
    match w {
        "today" | "todays" | "aaj" | "aj" | "आज" => return one(today, "today", i + 1),
        "yesterday" | "yday" | "yesterdays" => return one(days(today, -1)?, "yesterday", i + 1),
        "tomorrow" | "tmrw" | "tomorow" | "tommorow" | "tommorrow" => {
            return one(days(today, 1)?, "tomorrow", i + 1)
        }
        "kal" | "कल" => {
            return if future {
                one(days(today, 1)?, "tomorrow", i + 1)
            } else {
                one(days(today, -1)?, "yesterday", i + 1)
            }
        }
        "parso" | "parson" | "parsoon" | "parsho" | "परसों" | "परसो" => {
            return if future {
                one(days(today, 2)?, "day after tomorrow", i + 1)
            } else {
                one(days(today, -2)?, "day before yesterday", i + 1)
            }
        }
        "ytd" => return this_unit(today, Unit::Year, "year to date", i + 1),
        "mtd" => return this_unit(today, Unit::Month, "month to date", i + 1),
        _ => {}
    }
    if let Some(end) = s.seq(i, &["day", "before", "yesterday"]) {
        return one(days(today, -2)?, "day before yesterday", end);
    }
    if let Some(end) = s.seq(i, &["day", "after", "tomorrow"]) {
        return one(days(today, 2)?, "day after tomorrow", end);
    }
    if let Some(end) = s.seq(i, &["year", "to", "date"]) {
        return this_unit(today, Unit::Year, "year to date", end);
    }
    if let Some(end) = s.seq(i, &["month", "to", "date"]) {
        return this_unit(today, Unit::Month, "month to date", end);
    }
    // "month before last", "पिछले से पिछले महीने"
    if let Some(u) = s.text(i).and_then(unit) {
        if let Some(end) = s.seq(i + 1, &["before", "last"]) {
            return before_last(today, u, end);
        }
    }
    if s.any(i, LAST) && s.any(i + 1, &["se", "से"]) && s.any(i + 2, LAST) {
        if let Some(u) = s.text(i + 3).and_then(unit) {
            return before_last(today, u, i + 4);
        }
    }
    let modifier = if s.any(i, LAST) {
        Some(-1)
    } else if s.any(i, THIS) {
        Some(0)
    } else if s.any(i, NEXT) {
        Some(1)
    } else {
        None
    };
    if let Some(dir) = modifier {
        if let Some(r) = modified(s, i + 1, dir, cal) {
            return Some(r);
        }
    }
    // "3 days ago", "3 दिन पहले"; "10 din mein" (a window without "last")
    if let Some(n) = number_at(s, i) {
        if let Some(u) = s.text(i + 1).and_then(unit) {
            if s.any(i + 2, AGO) {
                let label = format!("{} ago", plural(n, u));
                let d = shift(today, -n, u)?;
                let (a, b) = calendar(d, u)?;
                return Some((mk(a, b, label)?, i + 3));
            }
            return window(today, n, u, future, i + 2);
        }
    }
    if s.any(i, WEEKEND) {
        let this = today.weekday().to_monday_zero_offset() >= 5 || future;
        return weekend(today, if this { 0 } else { -1 }, i + 1);
    }
    if let Some(wd) = s.text(i).and_then(weekday) {
        let now = today.weekday().to_monday_zero_offset();
        let offset = if future {
            i64::from((wd - now).rem_euclid(7))
        } else {
            -i64::from((now - wd).rem_euclid(7))
        };
        return weekday_period(days(today, offset)?, i + 1);
    }
    None
}

/// After "last"/"this"/"next" (`dir` −1, 0, 1) at `j`.
fn modified(s: &Sent, j: usize, dir: i64, cal: &Cal) -> Option<(Period, usize)> {
    let today = cal.today;
    if let Some(end) = s.phrase(j, FY) {
        return fy(today, dir, end);
    }
    if let Some(u) = s.text(j).and_then(unit) {
        let d = shift(today, dir, u)?;
        let (a, b) = calendar(d, u)?;
        let label = match (dir, u) {
            (-1, Unit::Day) => "yesterday".to_owned(),
            (0, Unit::Day) => "today".to_owned(),
            (1, Unit::Day) => "tomorrow".to_owned(),
            (-1, u) => format!("last {}", u.name()),
            (0, u) => format!("this {}", u.name()),
            (_, u) => format!("next {}", u.name()),
        };
        return Some((mk(a, b, label)?, j + 1));
    }
    if dir != 0 {
        if let Some(n) = number_at(s, j) {
            if let Some(u) = s.text(j + 1).and_then(unit) {
                return window(today, n, u, dir > 0, j + 2);
            }
        }
    }
    if s.any(j, WEEKEND) {
        return weekend(today, dir, j + 1);
    }
    if let Some(wd) = s.text(j).and_then(weekday) {
        let now = today.weekday().to_monday_zero_offset();
        let offset = match dir {
            -1 => -(i64::from((now - wd - 1).rem_euclid(7)) + 1),
            1 => i64::from((wd - now - 1).rem_euclid(7)) + 1,
            _ => i64::from(wd - now),
        };
        return weekday_period(days(today, offset)?, j + 1);
    }
    None
}

/// The last (or, in the future, next) `n` units: a rolling window.
fn window(today: Date, n: i64, u: Unit, forward: bool, end: usize) -> Option<(Period, usize)> {
    if forward {
        let last = shift(today, n, u)?;
        let label = format!("next {}", plural(n, u));
        return Some((mk(days(today, 1)?, last, label)?, end));
    }
    let start = days(shift(today, -n, u)?, 1)?;
    let label = format!("last {}", plural(n, u));
    Some((mk(start, today, label)?, end))
}

fn this_unit(today: Date, u: Unit, label: &str, end: usize) -> Option<(Period, usize)> {
    let (a, b) = calendar(today, u)?;
    Some((mk(a, b, label)?, end))
}

fn before_last(today: Date, u: Unit, end: usize) -> Option<(Period, usize)> {
    let (a, b) = calendar(shift(today, -2, u)?, u)?;
    Some((mk(a, b, format!("{} before last", u.name()))?, end))
}

fn weekend(today: Date, dir: i64, end: usize) -> Option<(Period, usize)> {
    let sat = days(week_start(today)?, 5 + 7 * dir)?;
    let label = match dir {
        -1 => "last weekend",
        0 => "this weekend",
        _ => "next weekend",
    };
    Some((mk(sat, days(sat, 1)?, label)?, end))
}

fn weekday_period(d: Date, end: usize) -> Option<(Period, usize)> {
    let name = WEEKDAY_NAMES[usize::try_from(d.weekday().to_monday_zero_offset()).ok()?];
    Some((mk(d, d, format!("{name} {}", fmt_day(d)))?, end))
}

/// India's financial year, April to March; `dir` years from the current one.
fn fy(today: Date, dir: i64, end: usize) -> Option<(Period, usize)> {
    let current = i64::from(today.year()) - i64::from(today.month() < 4);
    let y = current + dir;
    let start = Date::new(i16::try_from(y).ok()?, 4, 1).ok()?;
    let last = Date::new(i16::try_from(y + 1).ok()?, 3, 31).ok()?;
    let label = format!("FY {y}-{:02}", (y + 1).rem_euclid(100));
    Some((mk(start, last, label)?, end))
}
