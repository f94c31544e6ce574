//! Answers to the data questions, from the transactions a consent brought.
//!
//! Every figure a reply states comes from [`crate::insights`] over the
//! snapshot, and is also in the reply's `data` (minor units and currency),
//! so tests can hold each one against the bank's ledger.

use anumati_domain::fi::AccountData;
use anumati_domain::{AccountKind, Money, Transaction};
use jiff::civil::Date;
use jiff::ToSpan;
use serde_json::json;

use crate::chart;
use crate::data::Snapshot;
use crate::dialogue::Query;
use crate::insights::{self, Filter, Group, Totals};
use crate::nlu::{Lang, TRANSACTIONS_SHOWN_MAX};

/// What a data reply says: text, structured data, maybe a chart.
pub(crate) struct Answer {
    pub text: String,
    pub data: serde_json::Value,
    pub image: Option<chart::Image>,
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn category_name(key: &str, lang: Lang) -> String {
    if lang == Lang::En {
        return capitalise(key);
    }
    match key {
        "groceries" => "किराना",
        "food" => "खाना-पीना",
        "transport" => "आना-जाना",
        "fuel" => "ईंधन",
        "travel" => "यात्रा",
        "shopping" => "खरीदारी",
        "entertainment" => "मनोरंजन",
        "health" => "स्वास्थ्य",
        "utilities" => "बिल",
        "education" => "शिक्षा",
        "subscriptions" => "सब्सक्रिप्शन",
        "rent" => "किराया",
        "income" => "आय",
        "transfers" => "ट्रांसफ़र",
        "cash" => "नकद",
        _ => "अन्य",
    }
    .to_owned()
}

/// A total as words: its amounts, or zero in the customer's currency.
fn shown(t: &Totals, snapshot: &Snapshot) -> String {
    if t.is_empty() {
        let currency = snapshot
            .accounts
            .first()
            .and_then(|a| a.currency.parse::<anumati_domain::Currency>().ok())
            .unwrap_or(anumati_domain::Currency::INR);
        Money::zero(currency).to_string()
    } else {
        t.to_string()
    }
}

fn totals_json(t: &Totals) -> serde_json::Value {
    json!(t.iter().collect::<Vec<Money>>())
}

fn groups_json(groups: &[Group]) -> serde_json::Value {
    json!(groups
        .iter()
        .map(|g| json!({ "key": g.key, "count": g.count, "total": totals_json(&g.total) }))
        .collect::<Vec<_>>())
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const MONTHS_HI: [&str; 12] = [
    "जनवरी",
    "फ़रवरी",
    "मार्च",
    "अप्रैल",
    "मई",
    "जून",
    "जुलाई",
    "अगस्त",
    "सितंबर",
    "अक्टूबर",
    "नवंबर",
    "दिसंबर",
];

/// A period's label as a phrase that fits after a verb: "last month",
/// "in March 2026", "since 1 May 2026"; in Hindi "पिछले महीने",
/// "मार्च 2026 में". Labels are made in English by the entity extractor.
pub(crate) fn period_phrase(label: &str, lang: Lang) -> String {
    if label.is_empty() {
        return String::new();
    }
    let starts_with_date = label.starts_with(|c: char| c.is_ascii_digit())
        || MONTHS.iter().any(|m| label.starts_with(m));
    if lang == Lang::En {
        return if starts_with_date && label.contains(" to ") {
            format!("from {label}")
        } else if starts_with_date {
            format!("in {label}")
        } else {
            label.to_owned()
        };
    }
    let fixed = match label {
        "today" => Some("आज"),
        "yesterday" => Some("कल"),
        "this week" => Some("इस हफ़्ते"),
        "last week" => Some("पिछले हफ़्ते"),
        "this month" => Some("इस महीने"),
        "last month" => Some("पिछले महीने"),
        "this year" => Some("इस साल"),
        "last year" => Some("पिछले साल"),
        "last weekend" => Some("पिछले वीकेंड"),
        "this weekend" => Some("इस वीकेंड"),
        "in the last 30 days" => Some("पिछले 30 दिनों में"),
        _ => None,
    };
    if let Some(f) = fixed {
        return f.to_owned();
    }
    let mut hi = label.to_owned();
    for (en, hi_name) in MONTHS.iter().zip(MONTHS_HI) {
        hi = hi.replace(en, hi_name);
    }
    if let Some(rest) = hi.strip_prefix("last ") {
        let rest = rest
            .replace("days", "दिनों")
            .replace("weeks", "हफ़्तों")
            .replace("months", "महीनों")
            .replace("years", "सालों");
        return format!("पिछले {rest} में");
    }
    if let Some(rest) = hi.strip_prefix("since ") {
        return format!("{rest} से");
    }
    if let Some((a, b)) = hi.split_once(" to ") {
        return format!("{a} से {b} तक");
    }
    if starts_with_date {
        return format!("{hi} में");
    }
    hi
}

/// The first day of `today`'s month.
fn month_start(today: Date) -> Date {
    today.first_of_month()
}

/// The customer's local date, from the currency of their accounts: India's
/// or New York's clock (the simulated bank's two countries), else UTC.
pub(crate) fn local_today(now: jiff::Timestamp, accounts: &[AccountData]) -> Date {
    let zone = match accounts.first().map(|a| a.currency.as_str()) {
        Some("INR") => "Asia/Kolkata",
        Some("USD") => "America/New_York",
        _ => "UTC",
    };
    jiff::tz::TimeZone::get(zone)
        .map(|tz| now.to_zoned(tz).date())
        .unwrap_or_else(|_| now.to_zoned(jiff::tz::TimeZone::UTC).date())
}

/// A query's filter and its period's label; where the query names no
/// period, `default` (its first day, its label) runs to today.
fn filter(q: &Query, default: Option<(Date, &str)>, today: Date) -> (Filter, String) {
    let (from, to, label) = match (q.from, q.to, default) {
        (None, None, Some((from, label))) => (Some(from), Some(today), label.to_owned()),
        (from, to, _) => (from, to, q.period.clone().unwrap_or_default()),
    };
    (
        Filter {
            from,
            to,
            merchant: q.merchant.clone(),
            category: q.category,
            place: q.place.clone(),
            min: q.min,
            max: q.max,
        },
        label,
    )
}

/// Words describing a filter, for the reply's first line.
fn describe(f: &Filter, label: &str, lang: Lang) -> String {
    let mut parts = Vec::new();
    if let Some(m) = &f.merchant {
        parts.push(match lang {
            Lang::En => format!("at {m}"),
            Lang::Hi => format!("{m} पर"),
        });
    }
    if let Some(c) = f.category {
        parts.push(match lang {
            Lang::En => format!("on {}", c.as_str()),
            Lang::Hi => format!("{} पर", category_name(c.as_str(), lang)),
        });
    }
    if let Some(p) = &f.place {
        parts.push(match lang {
            Lang::En => format!("in {p}"),
            Lang::Hi => format!("{p} में"),
        });
    }
    match (f.min, f.max) {
        (Some(min), Some(max)) => parts.push(format!("{min}–{max}")),
        (Some(min), None) => {
            parts.push(lang.pick("over ", "से ज़्यादा ").to_owned() + &min.to_string())
        }
        (None, Some(max)) => parts.push(lang.pick("under ", "से कम ").to_owned() + &max.to_string()),
        (None, None) => {}
    }
    if !label.is_empty() {
        parts.push(period_phrase(label, lang));
    } else if let (Some(from), Some(to)) = (f.from, f.to) {
        parts.push(format!(
            "{} – {}",
            from.strftime("%-d %b"),
            to.strftime("%-d %b %Y")
        ));
    }
    parts.join(" ")
}

fn all_transactions(snapshot: &Snapshot) -> Vec<&Transaction> {
    let mut all: Vec<&Transaction> = snapshot
        .accounts
        .iter()
        .filter_map(|a| a.transactions.as_ref())
        .flatten()
        .collect();
    all.sort_by(|a, b| b.booked_at.cmp(&a.booked_at).then_with(|| b.id.cmp(&a.id)));
    all
}

fn line(t: &Transaction) -> String {
    let place = t
        .merchant
        .as_ref()
        .filter(|m| !m.place.city.is_empty())
        .map(|m| format!(", {}", m.place.city))
        .unwrap_or_default();
    format!(
        "\n• {} {}{}: {}",
        t.value_date.strftime("%-d %b"),
        insights::counterpart(t),
        place,
        t.amount
    )
}

pub(crate) fn balances(snapshot: &Snapshot, lang: Lang) -> Answer {
    let mut text = lang.pick("Your balances:", "आपका बैलेंस:").to_owned();
    let mut list = Vec::new();
    for a in &snapshot.accounts {
        let Some(summary) = &a.summary else { continue };
        text.push_str(&format!(
            "\n• {} {}: {}",
            capitalise(a.kind.label()),
            a.masked_number,
            summary.booked
        ));
        if a.kind == AccountKind::CreditCard {
            text.push_str(&format!(
                " ({} {})",
                lang.pick("available credit", "उपलब्ध क्रेडिट"),
                summary.available
            ));
        }
        list.push(json!({
            "account_id": a.account_id, "kind": a.kind, "masked_number": a.masked_number,
            "booked": summary.booked, "available": summary.available,
        }));
    }
    Answer {
        text,
        data: json!({ "balances": list, "as_of": snapshot.fetched_at }),
        image: None,
    }
}

pub(crate) fn transactions(snapshot: &Snapshot, q: &Query, today: Date, lang: Lang) -> Answer {
    let (f, label) = filter(q, None, today);
    let count = q
        .count
        .unwrap_or(if f == Filter::default() { 5 } else { 10 });
    let count = count.clamp(1, TRANSACTIONS_SHOWN_MAX) as usize;
    let matching: Vec<&Transaction> = all_transactions(snapshot)
        .into_iter()
        .filter(|t| f.matches(t))
        .collect();
    let shown: Vec<&Transaction> = matching.iter().take(count).copied().collect();
    let what = describe(&f, &label, lang);
    let mut text = if shown.is_empty() {
        match lang {
            Lang::En => format!("You have no transactions {what} in the consented period.")
                .replace("  ", " "),
            Lang::Hi => format!("{what} कोई लेन-देन नहीं मिला।")
                .trim_start()
                .to_owned(),
        }
    } else if f == Filter::default() {
        match lang {
            Lang::En => format!("Your last {} transactions:", shown.len()),
            Lang::Hi => format!("आपके पिछले {} लेन-देन:", shown.len()),
        }
    } else {
        match lang {
            Lang::En => format!(
                "Your transactions {what} ({} found, {} shown):",
                matching.len(),
                shown.len()
            ),
            Lang::Hi => format!(
                "{what} आपके लेन-देन ({} मिले, {} दिखाए):",
                matching.len(),
                shown.len()
            ),
        }
    };
    for t in &shown {
        text.push_str(&line(t));
    }
    Answer {
        text,
        data: json!({ "transactions": shown, "matching": matching.len() }),
        image: None,
    }
}

pub(crate) fn spend_summary(snapshot: &Snapshot, q: &Query, today: Date, lang: Lang) -> Answer {
    let (f, label) = filter(q, Some((month_start(today), "this month")), today);
    let txs: Vec<&Transaction> = all_transactions(snapshot)
        .into_iter()
        .filter(|t| f.matches(t))
        .collect();
    let total = insights::total(txs.iter().copied(), insights::is_spending);
    let spent: Vec<&Transaction> = txs
        .iter()
        .copied()
        .filter(|t| insights::is_spending(t))
        .collect();
    let what = describe(&f, &label, lang);
    let mut text = match lang {
        Lang::En => format!(
            "You spent {} {what} ({} payments).",
            shown(&total, snapshot),
            spent.len()
        ),
        Lang::Hi => format!(
            "{what} आपने {} खर्च किए ({} भुगतान)।",
            shown(&total, snapshot),
            spent.len()
        ),
    };
    // Break down what the question left open: categories, or merchants
    // within a category.
    let groups = if f.merchant.is_some() {
        Vec::new()
    } else if f.category.is_some() {
        insights::by_merchant(spent.iter().copied())
    } else {
        insights::by_category(spent.iter().copied())
    };
    for g in groups.iter().take(6) {
        let key = if f.category.is_some() {
            g.key.clone()
        } else {
            category_name(&g.key, lang)
        };
        text.push_str(&format!("\n• {key}: {}", g.total));
    }
    let image = chart_of(
        &groups,
        f.category.is_none(),
        lang,
        &format!("{} {what}", lang.pick("Spending", "खर्च")),
    );
    Answer {
        text,
        data: json!({
            "from": f.from, "to": f.to, "total": totals_json(&total),
            "payments": spent.len(), "breakdown": groups_json(&groups),
        }),
        image,
    }
}

/// A chart of a breakdown when it has two bars or more, in one currency.
fn chart_of(groups: &[Group], categories: bool, lang: Lang, title: &str) -> Option<chart::Image> {
    let bars: Vec<(String, Money)> = groups
        .iter()
        .filter_map(|g| {
            let mut it = g.total.iter();
            let first = it.next()?;
            let label = if categories {
                category_name(&g.key, lang)
            } else {
                g.key.clone()
            };
            Some((label, first))
        })
        .collect();
    let one_currency = bars
        .windows(2)
        .all(|w| w[0].1.currency() == w[1].1.currency());
    (bars.len() >= 2 && one_currency).then(|| chart::bars(title.trim(), &bars))
}

pub(crate) fn where_shopped(snapshot: &Snapshot, q: &Query, today: Date, lang: Lang) -> Answer {
    let default = today
        .checked_sub(29.days())
        .ok()
        .map(|from| (from, "in the last 30 days"));
    let (f, label) = filter(q, default, today);
    let txs: Vec<&Transaction> = all_transactions(snapshot)
        .into_iter()
        .filter(|t| f.matches(t))
        .collect();
    let merchants = insights::by_merchant(txs.iter().copied());
    let places = insights::by_place(txs.iter().copied());
    let what = describe(&f, &label, lang);
    let mut text = if merchants.is_empty() {
        match lang {
            Lang::En => format!("You did not pay anyone {what}."),
            Lang::Hi => format!("{what} कोई भुगतान नहीं हुआ।"),
        }
    } else {
        match lang {
            Lang::En => format!("Where you spent {what}:"),
            Lang::Hi => format!("{what} आपने यहाँ खर्च किया:"),
        }
    };
    for g in merchants.iter().take(8) {
        text.push_str(&format!("\n• {} ×{}: {}", g.key, g.count, g.total));
    }
    if places.len() > 1 {
        text.push_str(lang.pick("\nBy city: ", "\nशहर के हिसाब से: "));
        let list: Vec<String> = places
            .iter()
            .take(5)
            .map(|g| format!("{} {}", g.key, g.total))
            .collect();
        text.push_str(&list.join(", "));
    }
    Answer {
        text,
        data: json!({ "from": f.from, "to": f.to, "merchants": groups_json(&merchants), "places": groups_json(&places) }),
        image: None,
    }
}

pub(crate) fn compare_periods(snapshot: &Snapshot, q: &Query, today: Date, lang: Lang) -> Answer {
    let this = if q.from.is_some() {
        q.clone()
    } else {
        Query {
            from: Some(month_start(today)),
            to: Some(month_start(today).last_of_month()),
            period: Some("this month".to_owned()),
            ..q.clone()
        }
    };
    let before = this.previous_period().unwrap_or_else(|| this.clone());
    let txs = all_transactions(snapshot);
    let sum = |q: &Query| {
        let (f, _) = filter(q, None, today);
        insights::total(
            txs.iter().copied().filter(|t| f.matches(t)),
            insights::is_spending,
        )
    };
    let (a, b) = (sum(&this), sum(&before));
    let label_a = period_phrase(&this.period.clone().unwrap_or_default(), lang);
    let label_b = period_phrase(&before.period.clone().unwrap_or_default(), lang);
    let mut text = match lang {
        Lang::En => format!(
            "You spent {} {label_a} and {} {label_b}.",
            shown(&a, snapshot),
            shown(&b, snapshot)
        ),
        Lang::Hi => format!(
            "आपने {label_a} {} और {label_b} {} खर्च किए।",
            shown(&a, snapshot),
            shown(&b, snapshot)
        ),
    };
    let currency = a.iter().next().or(b.iter().next()).map(|m| m.currency());
    if let Some(c) = currency {
        let (x, y) = (
            a.get(c).unwrap_or(Money::zero(c)),
            b.get(c).unwrap_or(Money::zero(c)),
        );
        if let Ok(diff) = x.checked_sub(y) {
            let size = Money::from_minor(diff.minor().saturating_abs(), c);
            text.push(' ');
            text.push_str(&match (lang, diff.minor().signum()) {
                (_, 0) => lang.pick("The same.", "बराबर।").to_owned(),
                (Lang::En, 1) => format!("That is {size} more."),
                (Lang::En, _) => format!("That is {size} less."),
                (Lang::Hi, 1) => format!("यानी {size} ज़्यादा।"),
                (Lang::Hi, _) => format!("यानी {size} कम।"),
            });
        }
    }
    let bars: Vec<(String, Money)> = currency
        .map(|c| {
            vec![
                (label_b.clone(), b.get(c).unwrap_or(Money::zero(c))),
                (label_a.clone(), a.get(c).unwrap_or(Money::zero(c))),
            ]
        })
        .unwrap_or_default();
    Answer {
        text,
        data: json!({
            "periods": [
                { "from": this.from, "to": this.to, "total": totals_json(&a) },
                { "from": before.from, "to": before.to, "total": totals_json(&b) },
            ]
        }),
        image: (!bars.is_empty())
            .then(|| chart::bars(lang.pick("Spending compared", "खर्च की तुलना"), &bars)),
    }
}

pub(crate) fn recurring(snapshot: &Snapshot, lang: Lang) -> Answer {
    let list = insights::recurring(all_transactions(snapshot));
    let mut text = if list.is_empty() {
        lang.pick(
            "I found no regular payments in the consented period.",
            "सहमति की अवधि में कोई नियमित भुगतान नहीं मिला।",
        )
        .to_owned()
    } else {
        lang.pick("Your regular payments:", "आपके नियमित भुगतान:")
            .to_owned()
    };
    for r in &list {
        text.push_str(&match lang {
            Lang::En => format!(
                "\n• {}: about {} ({} times, last on {})",
                r.payee,
                r.typical,
                r.times,
                r.last.strftime("%-d %b")
            ),
            Lang::Hi => format!(
                "\n• {}: लगभग {} ({} बार, आख़िरी {})",
                r.payee,
                r.typical,
                r.times,
                r.last.strftime("%-d %b")
            ),
        });
    }
    let data: Vec<_> = list
        .iter()
        .map(|r| json!({ "payee": r.payee, "typical": r.typical, "times": r.times, "last": r.last, "category": r.category }))
        .collect();
    Answer {
        text,
        data: json!({ "recurring": data }),
        image: None,
    }
}

pub(crate) fn income(snapshot: &Snapshot, q: &Query, today: Date, lang: Lang) -> Answer {
    let (f, label) = filter(q, Some((month_start(today), "this month")), today);
    let txs: Vec<&Transaction> = all_transactions(snapshot)
        .into_iter()
        .filter(|t| f.matches(t) && insights::is_income(t))
        .collect();
    let total = insights::total(txs.iter().copied(), |_| true);
    let mut text = match lang {
        Lang::En => format!(
            "You received {} {} ({} payments).",
            shown(&total, snapshot),
            period_phrase(&label, lang),
            txs.len()
        ),
        Lang::Hi => format!(
            "{} आपको {} मिले ({} भुगतान)।",
            period_phrase(&label, lang),
            shown(&total, snapshot),
            txs.len()
        ),
    };
    for t in txs.iter().take(5) {
        text.push_str(&line(t));
    }
    Answer {
        text,
        data: json!({ "from": f.from, "to": f.to, "total": totals_json(&total), "payments": txs.len() }),
        image: None,
    }
}

pub(crate) fn largest(snapshot: &Snapshot, q: &Query, today: Date, lang: Lang) -> Answer {
    let (f, label) = filter(q, Some((month_start(today), "this month")), today);
    let count = q.count.unwrap_or(5).clamp(1, TRANSACTIONS_SHOWN_MAX) as usize;
    let all = all_transactions(snapshot);
    let top = insights::largest(all.into_iter().filter(|t| f.matches(t)), count);
    let what = describe(&f, &label, lang);
    let mut text = if top.is_empty() {
        match lang {
            Lang::En => format!("No purchases {what}."),
            Lang::Hi => format!("{what} कोई ख़रीद नहीं।"),
        }
    } else {
        match lang {
            Lang::En => format!("Your largest purchases {what}:"),
            Lang::Hi => format!("{what} आपकी सबसे बड़ी ख़रीदें:"),
        }
    };
    for t in &top {
        text.push_str(&line(t));
    }
    Answer {
        text,
        data: json!({ "from": f.from, "to": f.to, "transactions": top }),
        image: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn period_phrases_in_both_languages() {
        for (label, en, hi) in [
            ("last month", "last month", "पिछले महीने"),
            ("October 2026", "in October 2026", "अक्टूबर 2026 में"),
            ("last 3 months", "last 3 months", "पिछले 3 महीनों में"),
            ("since 1 May 2026", "since 1 May 2026", "1 मई 2026 से"),
            (
                "3 March 2026 to 9 March 2026",
                "from 3 March 2026 to 9 March 2026",
                "3 मार्च 2026 से 9 मार्च 2026 तक",
            ),
        ] {
            assert_eq!(period_phrase(label, Lang::En), en);
            assert_eq!(period_phrase(label, Lang::Hi), hi);
        }
    }
}
