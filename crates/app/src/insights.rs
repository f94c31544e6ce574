//! What the assistant says about money: filters and aggregates over the
//! transactions a consent brought. Pure and exact (integer minor units).
//!
//! The definitions, so that every figure can be checked against the ledger:
//! - **spending** is money leaving an account (negative amounts), except card
//!   repayments, which only move money between the customer's own accounts;
//! - **income** is money arriving (positive amounts), except card repayments;
//! - a period is a range of value dates, both ends included;
//! - an amount range compares the size of the amount (without its sign);
//! - totals are kept per currency and never mixed.

use std::collections::BTreeMap;

use anumati_domain::{Category, Currency, Money, Transaction, TransactionKind};
use jiff::civil::Date;

/// Which transactions a question is about. Empty means all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub from: Option<Date>,
    pub to: Option<Date>,
    /// A merchant's name, compared case-insensitively.
    pub merchant: Option<String>,
    pub category: Option<Category>,
    /// A city, compared case-insensitively.
    pub place: Option<String>,
    /// Smallest size, in the amount's own currency.
    pub min: Option<Money>,
    pub max: Option<Money>,
}

impl Filter {
    pub fn matches(&self, t: &Transaction) -> bool {
        if self.from.is_some_and(|from| t.value_date < from)
            || self.to.is_some_and(|to| t.value_date > to)
        {
            return false;
        }
        if let Some(want) = &self.merchant {
            let name = t
                .merchant
                .as_ref()
                .map_or(t.description.as_str(), |m| m.name.as_str());
            if !name.eq_ignore_ascii_case(want) {
                return false;
            }
        }
        if self.category.is_some_and(|c| c != t.category) {
            return false;
        }
        if let Some(want) = &self.place {
            let city = t.merchant.as_ref().map(|m| m.place.city.as_str());
            if !city.is_some_and(|c| c.eq_ignore_ascii_case(want)) {
                return false;
            }
        }
        let size = t.amount.minor().unsigned_abs();
        let outside = |bound: &Option<Money>, below: bool| {
            bound.is_some_and(|b| {
                b.currency() == t.amount.currency()
                    && if below {
                        size < b.minor().unsigned_abs()
                    } else {
                        size > b.minor().unsigned_abs()
                    }
            })
        };
        !(outside(&self.min, true) || outside(&self.max, false))
    }
}

/// Money leaving the customer (see the module documentation).
pub fn is_spending(t: &Transaction) -> bool {
    t.amount.is_negative() && t.kind != TransactionKind::CardRepayment
}

/// Money reaching the customer (see the module documentation).
pub fn is_income(t: &Transaction) -> bool {
    t.amount.minor() > 0 && t.kind != TransactionKind::CardRepayment
}

/// The display name of what a transaction paid or came from.
pub fn counterpart(t: &Transaction) -> &str {
    t.merchant
        .as_ref()
        .map(|m| m.name.as_str())
        .or(t.counterparty.as_deref())
        .unwrap_or(t.description.as_str())
}

/// Sizes summed per currency, in currency order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Totals(BTreeMap<String, Money>);

impl Totals {
    /// Adds the size (absolute value) of `amount`. Saturates nothing: an
    /// overflow of i64 minor units is far beyond any real account.
    pub fn add(&mut self, amount: Money) {
        let size = Money::from_minor(amount.minor().saturating_abs(), amount.currency());
        let entry = self
            .0
            .entry(amount.currency().code().to_owned())
            .or_insert_with(|| Money::zero(amount.currency()));
        *entry = entry.checked_add(size).unwrap_or(*entry);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = Money> + '_ {
        self.0.values().copied()
    }

    pub fn get(&self, currency: Currency) -> Option<Money> {
        self.0.get(currency.code()).copied()
    }

    /// The largest single-currency total's minor units, for ordering.
    fn weight(&self) -> i64 {
        self.0.values().map(|m| m.minor()).max().unwrap_or(0)
    }
}

impl std::fmt::Display for Totals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            return f.write_str("0");
        }
        let parts: Vec<String> = self.0.values().map(|m| m.to_string()).collect();
        f.write_str(&parts.join(" + "))
    }
}

/// One line of a breakdown: a key, how many transactions, their total.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub key: String,
    pub count: usize,
    pub total: Totals,
}

fn grouped<'a>(
    txs: impl IntoIterator<Item = &'a Transaction>,
    key: impl Fn(&Transaction) -> String,
) -> Vec<Group> {
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    for t in txs {
        let k = key(t);
        let g = groups.entry(k.clone()).or_insert_with(|| Group {
            key: k,
            count: 0,
            total: Totals::default(),
        });
        g.count += 1;
        g.total.add(t.amount);
    }
    let mut out: Vec<Group> = groups.into_values().collect();
    out.sort_by(|a, b| {
        b.total
            .weight()
            .cmp(&a.total.weight())
            .then_with(|| a.key.cmp(&b.key))
    });
    out
}

/// Spending per category, largest first.
pub fn by_category<'a>(txs: impl IntoIterator<Item = &'a Transaction>) -> Vec<Group> {
    grouped(txs.into_iter().filter(|t| is_spending(t)), |t| {
        t.category.as_str().to_owned()
    })
}

/// Spending per merchant (or payee), largest first.
pub fn by_merchant<'a>(txs: impl IntoIterator<Item = &'a Transaction>) -> Vec<Group> {
    grouped(txs.into_iter().filter(|t| is_spending(t)), |t| {
        counterpart(t).to_owned()
    })
}

/// Spending per city where the payment was made in person or by a merchant
/// with a known place, largest first.
pub fn by_place<'a>(txs: impl IntoIterator<Item = &'a Transaction>) -> Vec<Group> {
    grouped(
        txs.into_iter().filter(|t| {
            is_spending(t)
                && t.merchant
                    .as_ref()
                    .is_some_and(|m| !m.place.city.is_empty())
        }),
        |t| {
            t.merchant
                .as_ref()
                .map(|m| m.place.city.clone())
                .unwrap_or_default()
        },
    )
}

/// Spending per calendar month (`2026-03`), in date order.
pub fn by_month<'a>(txs: impl IntoIterator<Item = &'a Transaction>) -> Vec<Group> {
    let mut groups = grouped(txs.into_iter().filter(|t| is_spending(t)), |t| {
        format!("{:04}-{:02}", t.value_date.year(), t.value_date.month())
    });
    groups.sort_by(|a, b| a.key.cmp(&b.key));
    groups
}

/// A payment that repeats: same payee, at least three months out of the
/// period, amounts within 10% of the median.
#[derive(Debug, Clone, PartialEq)]
pub struct Recurring {
    pub payee: String,
    /// The median amount (a size).
    pub typical: Money,
    pub times: usize,
    pub last: Date,
    pub category: Category,
}

pub fn recurring<'a>(txs: impl IntoIterator<Item = &'a Transaction>) -> Vec<Recurring> {
    let mut by_payee: BTreeMap<(String, String), Vec<&Transaction>> = BTreeMap::new();
    for t in txs.into_iter().filter(|t| is_spending(t)) {
        by_payee
            .entry((
                counterpart(t).to_owned(),
                t.amount.currency().code().to_owned(),
            ))
            .or_default()
            .push(t);
    }
    let mut out = Vec::new();
    for ((payee, _), mut list) in by_payee {
        list.sort_by_key(|t| t.value_date);
        let mut months: Vec<(i16, i8)> = list
            .iter()
            .map(|t| (t.value_date.year(), t.value_date.month()))
            .collect();
        months.dedup();
        if months.len() < 3 {
            continue;
        }
        let mut sizes: Vec<i64> = list
            .iter()
            .map(|t| t.amount.minor().saturating_abs())
            .collect();
        sizes.sort_unstable();
        let median = sizes[sizes.len() / 2];
        let steady = sizes
            .iter()
            .filter(|&&s| (s - median).saturating_abs().saturating_mul(10) <= median)
            .count();
        // Most of the payments (not the odd one-off) sit near the median.
        if steady * 4 < sizes.len() * 3 || steady < 3 {
            continue;
        }
        let last = list[list.len() - 1];
        out.push(Recurring {
            payee,
            typical: Money::from_minor(median, last.amount.currency()),
            times: list.len(),
            last: last.value_date,
            category: last.category,
        });
    }
    out.sort_by(|a, b| {
        b.typical
            .minor()
            .cmp(&a.typical.minor())
            .then_with(|| a.payee.cmp(&b.payee))
    });
    out
}

/// The `n` largest spending transactions, largest first, newest first on ties.
pub fn largest<'a>(
    txs: impl IntoIterator<Item = &'a Transaction>,
    n: usize,
) -> Vec<&'a Transaction> {
    let mut list: Vec<&Transaction> = txs.into_iter().filter(|t| is_spending(t)).collect();
    list.sort_by(|a, b| {
        a.amount
            .minor()
            .cmp(&b.amount.minor())
            .then_with(|| b.booked_at.cmp(&a.booked_at))
            .then_with(|| a.id.cmp(&b.id))
    });
    list.truncate(n);
    list
}

/// Sum of the sizes of the transactions that pass `keep`.
pub fn total<'a>(
    txs: impl IntoIterator<Item = &'a Transaction>,
    keep: impl Fn(&Transaction) -> bool,
) -> Totals {
    let mut totals = Totals::default();
    for t in txs.into_iter().filter(|t| keep(t)) {
        totals.add(t.amount);
    }
    totals
}

#[cfg(test)]
mod tests {
    use super::*;
    use anumati_domain::{
        AccountId, Channel, MerchantId, Place, TransactionId, TransactionMerchant,
    };
    use jiff::civil::date;

    fn tx(
        id: u32,
        day: Date,
        minor: i64,
        kind: TransactionKind,
        merchant: Option<(&str, &str)>,
        category: Category,
    ) -> Transaction {
        Transaction {
            id: TransactionId::new(format!("t{id}")),
            account_id: AccountId::new("a1"),
            booked_at: day.to_zoned(jiff::tz::TimeZone::UTC).unwrap().timestamp(),
            value_date: day,
            amount: Money::from_minor(minor, Currency::INR),
            kind,
            channel: Channel::Online,
            description: "desc".into(),
            merchant: merchant.map(|(name, city)| TransactionMerchant {
                id: MerchantId::new(name),
                name: name.into(),
                mcc: "5411".into(),
                place: Place {
                    city: city.into(),
                    country: "IN".into(),
                },
            }),
            card_id: None,
            counterparty: None,
            category,
        }
    }

    fn sample() -> Vec<Transaction> {
        use TransactionKind::*;
        vec![
            tx(
                1,
                date(2026, 1, 5),
                -50_000,
                CardPayment,
                Some(("Swiggy", "Pune")),
                Category::Food,
            ),
            tx(
                2,
                date(2026, 2, 5),
                -52_000,
                CardPayment,
                Some(("Swiggy", "Pune")),
                Category::Food,
            ),
            tx(
                3,
                date(2026, 3, 5),
                -49_000,
                CardPayment,
                Some(("Swiggy", "Mumbai")),
                Category::Food,
            ),
            tx(
                4,
                date(2026, 3, 9),
                -900_000,
                CardPayment,
                Some(("Croma", "Mumbai")),
                Category::Shopping,
            ),
            tx(
                5,
                date(2026, 3, 1),
                5_000_000,
                Salary,
                None,
                Category::Income,
            ),
            tx(
                6,
                date(2026, 3, 2),
                100_000,
                CardRepayment,
                None,
                Category::Transfers,
            ),
            tx(
                7,
                date(2026, 3, 2),
                -100_000,
                CardRepayment,
                None,
                Category::Transfers,
            ),
        ]
    }

    #[test]
    fn card_repayments_are_neither_spending_nor_income() {
        let s = sample();
        assert_eq!(
            total(&s, is_spending).get(Currency::INR),
            Some(Money::from_minor(1_051_000, Currency::INR))
        );
        assert_eq!(
            total(&s, is_income).get(Currency::INR),
            Some(Money::from_minor(5_000_000, Currency::INR))
        );
    }

    #[test]
    fn filters_by_period_merchant_place_and_size() {
        let s = sample();
        let march = Filter {
            from: Some(date(2026, 3, 1)),
            to: Some(date(2026, 3, 31)),
            ..Filter::default()
        };
        assert_eq!(s.iter().filter(|t| march.matches(t)).count(), 5);
        let swiggy = Filter {
            merchant: Some("swiggy".into()),
            ..Filter::default()
        };
        assert_eq!(s.iter().filter(|t| swiggy.matches(t)).count(), 3);
        let mumbai = Filter {
            place: Some("MUMBAI".into()),
            ..Filter::default()
        };
        assert_eq!(s.iter().filter(|t| mumbai.matches(t)).count(), 2);
        let big = Filter {
            min: Some(Money::from_minor(50_000, Currency::INR)),
            max: Some(Money::from_minor(900_000, Currency::INR)),
            ..Filter::default()
        };
        let ids: Vec<_> = s
            .iter()
            .filter(|t| big.matches(t))
            .map(|t| t.id.as_str().to_owned())
            .collect();
        assert_eq!(ids, ["t1", "t2", "t4", "t6", "t7"]);
    }

    #[test]
    fn breakdowns_are_largest_first_and_months_in_order() {
        let s = sample();
        let cats = by_category(&s);
        assert_eq!(cats[0].key, "shopping");
        assert_eq!(cats[1].key, "food");
        assert_eq!(cats[1].count, 3);
        let months: Vec<_> = by_month(&s).into_iter().map(|g| g.key).collect();
        assert_eq!(months, ["2026-01", "2026-02", "2026-03"]);
        assert_eq!(by_place(&s)[0].key, "Mumbai");
    }

    #[test]
    fn a_monthly_payment_is_recurring_and_a_one_off_is_not() {
        let s = sample();
        let r = recurring(&s);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].payee, "Swiggy");
        assert_eq!(r[0].typical, Money::from_minor(50_000, Currency::INR));
        assert_eq!(r[0].times, 3);
    }

    #[test]
    fn largest_purchases() {
        let s = sample();
        let top: Vec<_> = largest(&s, 2)
            .into_iter()
            .map(|t| t.id.as_str().to_owned())
            .collect();
        assert_eq!(top, ["t4", "t2"]);
    }
}
