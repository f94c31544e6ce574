//! One customer's life: their accounts and cards, then a stream of intended
//! payments (salary, rent, bills, subscriptions, purchases, trips, transfers,
//! repayments), ordered by time and booked against running balances so no
//! deposit account goes below zero and no credit card beyond its limit.
//!
//! Everything random comes from the customer's own ChaCha8 stream, so a
//! customer depends only on `(seed, index)` and the window, never on who was
//! generated before them. All money is drawn as integers.

use std::borrow::Cow;

use anumati_domain::{AccountKind, Category, Channel, TransactionKind};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Span, ToSpan};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::catalog::{self, Choices, Slot, CATALOG, CITIES, COUNTRIES, IN, US, ZONES};

const MONTH_NAMES: [&str; 12] = [
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

pub(super) struct Day {
    pub iso: String,
}

pub(super) struct Month {
    /// Index of the month's first day in the window (negative when the window starts mid-month).
    first: i64,
    len: i64,
    /// Weekday of the 1st, Monday = 0.
    weekday1: i64,
    /// 1..=12.
    number: i8,
    label: String,
    /// The month before's label, for salaries paid early in the month.
    previous: String,
}

/// The history window and the calendar arithmetic every customer shares.
pub(super) struct World {
    pub seed: u64,
    /// The first day of history.
    start: Date,
    pub days: Vec<Day>,
    dates: Vec<Date>,
    weekend: Vec<bool>,
    months: Vec<Month>,
    /// Per zone: the Unix second of each window day's local midnight, plus the day after.
    midnights: Vec<Vec<i64>>,
    zones: Vec<TimeZone>,
}

impl World {
    pub fn new(seed: u64, months: u32, end: Date) -> Result<World, jiff::Error> {
        // Whole months when `end` is a month's last day: 2025-03-31 and 3 give 2025-01-01.
        let start = end
            .tomorrow()?
            .checked_sub(Span::new().try_months(i64::from(months))?)?;
        let mut dates = Vec::new();
        let mut d = start;
        while d <= end {
            dates.push(d);
            d = d.tomorrow()?;
        }
        let zones = ZONES
            .iter()
            .map(|z| TimeZone::get(z.name).or_else(|_| TimeZone::posix(z.posix)))
            .collect::<Result<Vec<_>, _>>()?;
        let mut midnights = Vec::with_capacity(zones.len());
        for zone in &zones {
            let mut m = Vec::with_capacity(dates.len() + 1);
            let mut d = start;
            for _ in 0..=dates.len() {
                let ts = zone
                    .to_ambiguous_timestamp(d.to_datetime(jiff::civil::Time::midnight()))
                    .compatible()?;
                m.push(ts.as_second());
                d = d.tomorrow()?;
            }
            midnights.push(m);
        }
        let mut month_list: Vec<Month> = Vec::new();
        for (i, date) in dates.iter().enumerate() {
            if i == 0 || date.day() == 1 {
                let first_of = date.first_of_month();
                month_list.push(Month {
                    first: i as i64 - i64::from(date.day() - 1),
                    len: i64::from(date.days_in_month()),
                    weekday1: i64::from(first_of.weekday().to_monday_zero_offset()),
                    number: date.month(),
                    label: month_label(date.year(), date.month()),
                    previous: if date.month() == 1 {
                        month_label(date.year() - 1, 12)
                    } else {
                        month_label(date.year(), date.month() - 1)
                    },
                });
            }
        }
        Ok(World {
            seed,
            start,
            days: dates.iter().map(|d| Day { iso: d.to_string() }).collect(),
            weekend: dates
                .iter()
                .map(|d| d.weekday().to_monday_zero_offset() >= 5)
                .collect(),
            dates,
            months: month_list,
            midnights,
            zones,
        })
    }

    fn ndays(&self) -> i64 {
        self.days.len() as i64
    }

    /// The Unix second of `secs` after local midnight on window day `day` in `zone`.
    fn at(&self, zone: usize, day: usize, secs: i64) -> i64 {
        let m = &self.midnights[zone];
        if m[day + 1] - m[day] == 86_400 {
            return m[day] + secs;
        }
        // A daylight-saving change falls on this day: convert exactly.
        let dt = self.dates[day].at(
            (secs / 3600) as i8,
            (secs / 60 % 60) as i8,
            (secs % 60) as i8,
            0,
        );
        self.zones[zone]
            .to_ambiguous_timestamp(dt)
            .compatible()
            .map_or(m[day] + secs, |t| t.as_second())
    }

    /// The window day on which `ts` falls in `zone`.
    fn day_of(&self, zone: usize, ts: i64) -> Option<usize> {
        let i = self.midnights[zone].partition_point(|&m| m <= ts);
        (i >= 1 && i <= self.days.len()).then(|| i - 1)
    }
}

fn month_label(year: i16, month: i8) -> String {
    format!("{} {year}", MONTH_NAMES[(month - 1).clamp(0, 11) as usize])
}

pub(super) struct Customer {
    pub id: String,
    pub name: String,
    /// `first.last`, before numbering for collisions.
    pub login_base: String,
    pub city: &'static str,
    pub country: &'static str,
    pub time_zone: &'static str,
    pub currency: &'static str,
    pub accounts: Vec<AccountRow>,
    pub cards: Vec<CardRow>,
    pub txns: Vec<TxnRow>,
}

pub(super) struct AccountRow {
    pub id: String,
    pub kind: AccountKind,
    pub number: String,
    pub limit: i64,
    pub opening: i64,
    pub opened_on: String,
}

pub(super) struct CardRow {
    pub id: String,
    pub account: usize,
    pub credit: bool,
    pub masked_pan: String,
    pub network: &'static str,
}

pub(super) struct TxnRow {
    pub id: String,
    pub account: usize,
    pub booked_at: i64,
    pub day: usize,
    pub amount: i64,
    pub kind: TransactionKind,
    pub channel: Channel,
    pub description: Cow<'static, str>,
    pub merchant: Option<u32>,
    pub card: Option<usize>,
    pub counterparty: Option<Cow<'static, str>>,
    pub category: Category,
}

/// Customer `index` (0-based) of the population made with `world.seed`.
pub(super) fn customer(world: &World, index: u32) -> Customer {
    let mut rng = ChaCha8Rng::seed_from_u64(world.seed);
    rng.set_stream(u64::from(index));
    Life::new(world, index, &mut rng).live(&mut rng)
}

fn chance(rng: &mut ChaCha8Rng, per_mille: u32) -> bool {
    rng.gen_range(0..1000) < per_mille
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [(T, u32)]) -> &'a T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut r = rng.gen_range(0..total);
    for (item, w) in items {
        if r < *w {
            return item;
        }
        r -= w;
    }
    &items[items.len() - 1].0
}

/// A uniform index below `len`, drawn as a `u32` so the stream is the same on 32- and 64-bit targets.
fn index(rng: &mut ChaCha8Rng, len: usize) -> usize {
    rng.gen_range(0..len as u32) as usize
}

fn one<'a>(rng: &mut ChaCha8Rng, items: &[&'a str]) -> &'a str {
    items[index(rng, items.len())]
}

fn login_part(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphabetic)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// A full name from the country's lists; Indian surnames lean to the city's region.
fn person(rng: &mut ChaCha8Rng, country: u8, city: usize) -> (&'static str, &'static str) {
    if country == IN {
        let first = one(rng, catalog::IN_FIRST);
        let region = if chance(rng, 650) {
            CITIES[city].region
        } else {
            *pick(
                rng,
                &[
                    (catalog::Region::North, 3),
                    (catalog::Region::West, 3),
                    (catalog::Region::South, 3),
                    (catalog::Region::East, 2),
                ],
            )
        };
        let region = if region == catalog::Region::Elsewhere {
            catalog::Region::North
        } else {
            region
        };
        (first, one(rng, catalog::surnames_of(region)))
    } else {
        (one(rng, catalog::US_FIRST), one(rng, catalog::US_LAST))
    }
}

/// `lo..=hi` whole units, optionally skewed low, as minor units with random cents.
fn draw(rng: &mut ChaCha8Rng, (lo, hi, skew): (i64, i64, u8), scale_pct: i64) -> i64 {
    let mut major = rng.gen_range(lo..=hi);
    for _ in 0..skew {
        major = major.min(rng.gen_range(lo..=hi));
    }
    let major = (major * scale_pct / 100).max(1);
    let minor = if chance(rng, 400) {
        0
    } else {
        rng.gen_range(0..100)
    };
    major * 100 + minor
}

/// Whole-unit price range and low skew of one purchase, by country.
fn price_range(slot: Slot, country: u8) -> (i64, i64, u8) {
    let india = country == IN;
    let (a, b) = match slot {
        Slot::Groceries => ((120, 4500, 1), (8, 260, 1)),
        Slot::Convenience => ((40, 600, 0), (3, 40, 0)),
        Slot::Delivery => ((150, 1400, 0), (15, 90, 0)),
        Slot::Restaurant => ((400, 4500, 1), (25, 180, 1)),
        Slot::FastFood => ((150, 900, 0), (7, 35, 0)),
        Slot::Coffee => ((180, 750, 0), (4, 16, 0)),
        Slot::Sweets => ((100, 1200, 0), (5, 40, 0)),
        Slot::Bar => ((800, 5000, 1), (18, 120, 1)),
        Slot::Fuel => ((300, 4000, 0), (25, 85, 0)),
        Slot::Ride => ((80, 900, 1), (9, 65, 1)),
        Slot::Transit => ((20, 120, 0), (3, 10, 0)),
        Slot::OnlineShop => ((199, 9000, 2), (9, 300, 2)),
        Slot::Store => ((300, 6000, 1), (15, 250, 1)),
        Slot::Electronics => ((499, 60000, 3), (25, 1500, 3)),
        Slot::Clothing => ((499, 5000, 1), (20, 220, 1)),
        Slot::Home => ((299, 15000, 2), (15, 400, 2)),
        Slot::Pharmacy => ((60, 2500, 1), (5, 120, 1)),
        Slot::Cinema => ((200, 1600, 0), (14, 70, 0)),
        Slot::Health => ((500, 25000, 2), (25, 600, 2)),
        Slot::Leisure => ((150, 3000, 1), (10, 150, 1)),
        Slot::Attraction => ((300, 6000, 0), (20, 200, 0)),
        Slot::Hotel => ((2500, 9000, 0), (120, 320, 0)),
        Slot::Flight => ((3500, 14000, 0), (150, 600, 0)),
        Slot::Rail => ((400, 3500, 0), (40, 180, 0)),
        Slot::Telecom | Slot::Electricity | Slot::Broadband | Slot::Streaming | Slot::Gym => {
            ((500, 4000, 0), (55, 240, 0))
        }
    };
    if india {
        a
    } else {
        b
    }
}

/// Local hours `[from, to)` with weights when a purchase of this kind happens.
fn hours(slot: Slot) -> &'static [(i64, i64, u32)] {
    match slot {
        Slot::Groceries => &[(8, 12, 3), (12, 17, 2), (17, 22, 5)],
        Slot::Convenience => &[(7, 12, 3), (12, 18, 2), (18, 24, 3)],
        Slot::Delivery => &[(12, 15, 4), (19, 23, 6), (23, 24, 1)],
        Slot::Restaurant => &[(12, 15, 3), (19, 23, 7)],
        Slot::FastFood => &[(11, 15, 4), (15, 18, 1), (18, 23, 4)],
        Slot::Coffee => &[(7, 11, 6), (11, 14, 1), (14, 18, 3)],
        Slot::Sweets => &[(10, 14, 2), (16, 21, 3)],
        Slot::Bar => &[(19, 24, 5), (0, 1, 1)],
        Slot::Fuel => &[(7, 10, 3), (10, 17, 2), (17, 22, 3)],
        Slot::Ride => &[(0, 2, 1), (8, 11, 4), (11, 17, 2), (17, 23, 5)],
        Slot::Transit => &[(7, 10, 5), (10, 17, 2), (17, 21, 4)],
        Slot::OnlineShop => &[(9, 13, 2), (13, 20, 3), (20, 24, 4), (0, 2, 1)],
        Slot::Hotel => &[(8, 12, 1)],
        Slot::Flight | Slot::Rail => &[(9, 13, 2), (13, 20, 2), (20, 24, 3)],
        Slot::Cinema => &[(12, 16, 2), (16, 23, 5)],
        Slot::Health => &[(9, 13, 3), (15, 19, 2)],
        Slot::Attraction => &[(9, 13, 3), (13, 18, 3)],
        Slot::Pharmacy => &[(9, 13, 2), (13, 18, 2), (18, 22, 3)],
        _ => &[(10, 14, 2), (14, 18, 2), (18, 21, 3)],
    }
}

fn time_of_day(rng: &mut ChaCha8Rng, profile: &[(i64, i64, u32)]) -> i64 {
    let total: u32 = profile.iter().map(|p| p.2).sum();
    let mut r = rng.gen_range(0..total);
    for &(from, to, w) in profile {
        if r < w {
            return rng.gen_range(from * 3600..to * 3600);
        }
        r -= w;
    }
    12 * 3600
}

/// Everyday card purchases at home: weight on weekdays (weekends double the social ones).
const HOME_SLOTS: &[(Slot, u32, u32)] = &[
    // (slot, India, US)
    (Slot::Groceries, 18, 16),
    (Slot::Convenience, 5, 4),
    (Slot::Delivery, 12, 6),
    (Slot::Restaurant, 6, 8),
    (Slot::FastFood, 7, 10),
    (Slot::Coffee, 5, 8),
    (Slot::Sweets, 3, 1),
    (Slot::Bar, 1, 3),
    (Slot::Fuel, 10, 11),
    (Slot::Ride, 9, 4),
    (Slot::Transit, 4, 3),
    (Slot::OnlineShop, 8, 9),
    (Slot::Store, 3, 7),
    (Slot::Electronics, 1, 1),
    (Slot::Clothing, 3, 3),
    (Slot::Home, 1, 3),
    (Slot::Pharmacy, 4, 4),
    (Slot::Cinema, 2, 2),
    (Slot::Health, 1, 1),
    (Slot::Leisure, 3, 3),
];

const TRAVEL_SLOTS: &[(Slot, u32)] = &[
    (Slot::Restaurant, 10),
    (Slot::FastFood, 6),
    (Slot::Coffee, 6),
    (Slot::Ride, 8),
    (Slot::Transit, 3),
    (Slot::Store, 4),
    (Slot::Clothing, 2),
    (Slot::Leisure, 4),
    (Slot::Attraction, 5),
    (Slot::Convenience, 4),
    (Slot::Bar, 2),
    (Slot::Pharmacy, 1),
];

fn weekend_factor(slot: Slot) -> (u32, u32) {
    match slot {
        Slot::Restaurant
        | Slot::Cinema
        | Slot::Bar
        | Slot::Store
        | Slot::Clothing
        | Slot::Leisure => (2, 1),
        Slot::Transit | Slot::Coffee => (1, 2),
        _ => (1, 1),
    }
}

/// A pick among a city's shops and apps and the web merchants selling to a country.
fn choose(rng: &mut ChaCha8Rng, local: &Choices, web: Option<&Choices>) -> Option<u32> {
    let tl = local.total();
    let tw = web.map_or(0, Choices::total);
    if tl + tw == 0 {
        return None;
    }
    let r = rng.gen_range(0..tl + tw);
    Some(if r < tl { local.at(r) } else { web?.at(r - tl) })
}

enum What {
    /// `for_previous`: paid early in the month, for the month before.
    Salary {
        month: usize,
        amount: i64,
        for_previous: bool,
    },
    Rent {
        month: usize,
        amount: i64,
    },
    Bill {
        merchant: u32,
        amount: i64,
        what: &'static str,
    },
    Subscription {
        merchant: u32,
        amount: i64,
        card: usize,
    },
    Purchase {
        merchant: u32,
        amount: i64,
        cards: [Option<usize>; 2],
        essential: bool,
    },
    FriendOut {
        friend: usize,
        amount: i64,
    },
    FriendIn {
        friend: usize,
        amount: i64,
    },
    Sweep {
        amount: i64,
    },
    Repay {
        card: usize,
        pct: i64,
    },
}

struct Intent {
    ts: i64,
    day: usize,
    what: What,
}

struct Trip {
    start: i64,
    days: i64,
    city: usize,
    abroad: bool,
}

/// A customer while being generated.
struct Life<'w> {
    world: &'w World,
    index: u32,
    country: u8,
    city: usize,
    zone: usize,
    first: &'static str,
    last: &'static str,
    salary: i64,
    scale: i64,
    employer: &'static str,
    accounts: Vec<AccountRow>,
    cards: Vec<CardRow>,
    debit: Option<usize>,
    credits: Vec<usize>,
    secondary: Option<usize>,
    rent: Option<(i64, String)>,
    friends: Vec<String>,
    reserve: i64,
    intents: Vec<Intent>,
}

const FULL_PAYERS_PER_MILLE: u32 = 750;

impl<'w> Life<'w> {
    fn new(world: &'w World, index: u32, rng: &mut ChaCha8Rng) -> Life<'w> {
        let country = if chance(rng, 700) { IN } else { US };
        let homes: Vec<(usize, u32)> = CITIES
            .iter()
            .enumerate()
            .filter(|(_, c)| c.country == country && c.home > 0)
            .map(|(i, c)| (i, c.home))
            .collect();
        let city = *pick(rng, &homes);
        let (first, last) = person(rng, country, city);
        let employer = one(
            rng,
            if country == IN {
                catalog::IN_EMPLOYERS
            } else {
                catalog::US_EMPLOYERS
            },
        );
        // Monthly take-home pay in whole units, by income band; spending scales with it.
        let (salary_major, scale) = if country == IN {
            match rng.gen_range(0..100) {
                0..35 => (rng.gen_range(25..=45) * 1000, 85),
                35..75 => (rng.gen_range(45..=90) * 1000, 135),
                _ => (rng.gen_range(90..=250) * 1000, 230),
            }
        } else {
            match rng.gen_range(0..100) {
                0..30 => (rng.gen_range(2800..=4500), 120),
                30..75 => (rng.gen_range(4500..=7500), 175),
                _ => (rng.gen_range(7500..=12000), 280),
            }
        };
        let salary = salary_major * 100
            + if country == US {
                rng.gen_range(0..100)
            } else {
                0
            };
        let mut life = Life {
            world,
            index,
            country,
            city,
            zone: usize::from(CITIES[city].zone),
            first,
            last,
            salary,
            scale,
            employer,
            accounts: Vec::new(),
            cards: Vec::new(),
            debit: None,
            credits: Vec::new(),
            secondary: None,
            rent: None,
            friends: Vec::new(),
            reserve: 0,
            intents: Vec::new(),
        };
        life.open_accounts(rng);
        life
    }

    fn id(&self) -> u32 {
        self.index + 1
    }

    fn account_number(&self, ordinal: u32) -> String {
        // A bijection on 0..10^9, so numbers are unique and do not look sequential.
        let x = (u64::from(self.index) * 10 + u64::from(ordinal)) % 1_000_000_000;
        let scrambled = (x * 387_420_489 + 123_456_789) % 1_000_000_000;
        if self.country == IN {
            format!("50100{scrambled:09}")
        } else {
            format!("8{scrambled:09}")
        }
    }

    fn open_accounts(&mut self, rng: &mut ChaCha8Rng) {
        let start = self.world.start;
        let opened = |rng: &mut ChaCha8Rng, max_days: i64| {
            let back = rng.gen_range(30..=max_days);
            start.checked_sub(back.days()).unwrap_or(start).to_string()
        };
        let primary_kind = if self.country == US || chance(rng, 120) {
            AccountKind::Current
        } else {
            AccountKind::Savings
        };
        let opening = self.salary * rng.gen_range(60..=300) / 100;
        let opening_on = opened(rng, 3650);
        self.push_account(primary_kind, 0, opening, opening_on);
        let wants_secondary = if self.country == IN { 200 } else { 450 };
        if chance(rng, wants_secondary) {
            let opening = self.salary * rng.gen_range(20..=400) / 100;
            let on = opened(rng, 2000);
            self.secondary = Some(self.push_account(AccountKind::Savings, 0, opening, on));
        }
        if chance(rng, 960) {
            let network = if self.country == IN {
                *pick(rng, &[("RuPay", 40), ("Visa", 35), ("Mastercard", 25)])
            } else {
                *pick(rng, &[("Visa", 60), ("Mastercard", 40)])
            };
            self.debit = Some(self.push_card(rng, 0, false, network));
        }
        let credit_cards = match (self.country, rng.gen_range(0..100)) {
            (IN, 0..40) | (US, 0..50) => 1,
            (IN, 40..45) | (US, 50..65) => 2,
            _ => 0,
        };
        for _ in 0..credit_cards {
            let (limit, network) = if self.country == IN {
                let limit = (self.salary / 100 * rng.gen_range(150..=400) / 100 / 5000 * 5000)
                    .clamp(25_000, 1_000_000);
                (
                    limit * 100,
                    *pick(rng, &[("Visa", 45), ("Mastercard", 40), ("RuPay", 15)]),
                )
            } else {
                let limit = (self.salary / 100 * rng.gen_range(100..=300) / 100 / 500 * 500)
                    .clamp(1_000, 30_000);
                (limit * 100, *pick(rng, &[("Visa", 55), ("Mastercard", 45)]))
            };
            let on = opened(rng, 2500);
            let account = self.push_account(AccountKind::CreditCard, limit, 0, on);
            let card = self.push_card(rng, account, true, network);
            self.credits.push(card);
        }
    }

    fn push_account(
        &mut self,
        kind: AccountKind,
        limit: i64,
        opening: i64,
        opened_on: String,
    ) -> usize {
        let ordinal = self.accounts.len() as u32 + 1;
        self.accounts.push(AccountRow {
            id: format!("acc_{:06}_{ordinal}", self.id()),
            kind,
            number: self.account_number(ordinal),
            limit,
            opening,
            opened_on,
        });
        self.accounts.len() - 1
    }

    fn push_card(
        &mut self,
        rng: &mut ChaCha8Rng,
        account: usize,
        credit: bool,
        network: &'static str,
    ) -> usize {
        let bins: &[&str] = match network {
            "Visa" => &["414367", "421653", "438857", "450875", "462845", "489377"],
            "Mastercard" => &["512967", "524193", "536301", "542432", "552260", "558818"],
            _ => &["607153", "607384", "608001", "652150", "652845"],
        };
        let bin = one(rng, bins);
        let last4 = rng.gen_range(0..10_000);
        self.cards.push(CardRow {
            id: format!("crd_{:06}_{}", self.id(), self.cards.len() + 1),
            account,
            credit,
            masked_pan: format!("{bin}XXXXXX{last4:04}"),
            network,
        });
        self.cards.len() - 1
    }

    fn push(&mut self, zone: usize, day: i64, secs: i64, what: What) {
        if day < 0 || day >= self.world.ndays() {
            return;
        }
        let ts = self.world.at(zone, day as usize, secs);
        if let Some(day) = self.world.day_of(self.zone, ts) {
            self.intents.push(Intent { ts, day, what });
        }
    }

    /// The window day of day-of-month `dom` in month `m` (clamped to the month), moved
    /// off the weekend when `workday`.
    fn dom(&self, m: &Month, dom: i64, workday: bool) -> i64 {
        let mut d = dom.min(m.len);
        if workday {
            let wd = (m.weekday1 + d - 1) % 7;
            if wd >= 5 {
                d = if d > wd - 4 {
                    d - (wd - 4)
                } else {
                    d + (7 - wd)
                };
            }
        }
        m.first + d - 1
    }

    /// The cards to try for a purchase, in order of preference.
    fn card_order(&self, rng: &mut ChaCha8Rng, prefer_credit: u32) -> Option<[Option<usize>; 2]> {
        let credit = match self.credits.len() {
            0 => None,
            1 => Some(self.credits[0]),
            _ => Some(self.credits[usize::from(chance(rng, 300))]),
        };
        match (self.debit, credit) {
            (None, None) => None,
            (Some(d), Some(c)) if chance(rng, prefer_credit) => Some([Some(c), Some(d)]),
            (d, c) => Some([d.or(c), if d.is_some() { c } else { None }]),
        }
    }

    fn live(mut self, rng: &mut ChaCha8Rng) -> Customer {
        let world = self.world;
        let country = self.country;
        let home_zone = self.zone;
        let currency = if country == IN { "INR" } else { "USD" };

        // Monthly: salary, rent, bills, subscriptions, savings sweep, card repayments.
        let pay_dom = *pick(rng, &[(1, 3), (7, 1), (25, 1), (28, 1), (31, 4)]);
        let pays_rent = chance(rng, if country == IN { 450 } else { 700 });
        if pays_rent {
            let share = rng.gen_range(18..=35);
            let rounding = if country == IN { 50_000 } else { 2_500 };
            let amount = (self.salary * share / 100 / rounding).max(1) * rounding;
            let landlord = if country == US && chance(rng, 600) {
                one(rng, catalog::US_LANDLORDS).to_owned()
            } else {
                let (f, l) = person(rng, country, self.city);
                format!("{f} {l}")
            };
            self.rent = Some((amount, landlord));
        }
        let rent_dom = rng.gen_range(1..=5);
        let mut bills: Vec<(u32, i64, i64, &'static str)> = Vec::new(); // merchant, base, dom, what
        if chance(rng, 960) {
            if let Some(m) = CATALOG.electricity[self.city] {
                let (lo, hi, _) = price_range(Slot::Electricity, country);
                let base = rng.gen_range(lo..=hi) * self.scale / 100 * 100;
                bills.push((m, base, rng.gen_range(5..=25), "electricity"));
            }
        }
        if chance(rng, if country == IN { 550 } else { 750 }) {
            if let Some(m) = choose(
                rng,
                &Choices::default(),
                Some(CATALOG.web(Slot::Broadband, country)),
            ) {
                let prices = CATALOG.merchants[m as usize].prices;
                bills.push((
                    m,
                    prices[index(rng, prices.len())],
                    rng.gen_range(1..=28),
                    "broadband",
                ));
            }
        }
        let postpaid = chance(rng, if country == IN { 350 } else { 900 });
        let mobile = choose(
            rng,
            &Choices::default(),
            Some(CATALOG.web(Slot::Telecom, country)),
        );
        let plan = mobile.map(|m| {
            let prices = CATALOG.merchants[m as usize].prices;
            prices[index(rng, prices.len())]
        });
        if let (true, Some(m), Some(plan)) = (postpaid, mobile, plan) {
            bills.push((m, plan, rng.gen_range(1..=28), "mobile"));
        }
        self.reserve = self.rent.as_ref().map_or(0, |r| r.0)
            + bills.iter().map(|b| b.1).sum::<i64>()
            + self.salary / 20;

        let any_card = self.debit.or(self.credits.first().copied());
        let sub_card = self.credits.first().copied().or(self.debit);
        let mut subs: Vec<(u32, i64, i64, i64)> = Vec::new(); // merchant, price, dom, secs
        if sub_card.is_some() {
            for (slot, per_mille) in [(Slot::Streaming, 320), (Slot::Gym, 80)] {
                let items = &CATALOG.web(slot, country).items;
                let mut last = 0;
                for &(m, cum) in items {
                    let w = cum - last;
                    last = cum;
                    // Popular services are subscribed to more often.
                    if chance(rng, per_mille * w / 8) {
                        let prices = CATALOG.merchants[m as usize].prices;
                        let price = prices[index(rng, prices.len())];
                        subs.push((m, price, rng.gen_range(1..=28), rng.gen_range(0..86_400)));
                    }
                }
            }
        }
        let sweep = self
            .secondary
            .map(|_| (rng.gen_range(5..=15), rng.gen_range(1..=3)));
        let full_payer = chance(rng, FULL_PAYERS_PER_MILLE);
        let repay_pct = if full_payer {
            100
        } else {
            rng.gen_range(30..=60)
        };
        let due_doms: Vec<i64> = self.credits.iter().map(|_| rng.gen_range(1..=28)).collect();
        let raise_pct = rng.gen_range(0..=8);
        let raise_month = if country == IN { 4 } else { 1 };

        for (mi, m) in world.months.iter().enumerate() {
            let mut salary = self.salary;
            if mi > 0 && m.number == raise_month {
                self.salary += self.salary * raise_pct / 100 / 100 * 100;
                salary = self.salary;
            }
            let day = self.dom(m, pay_dom, true);
            let secs = rng.gen_range(6 * 3600..10 * 3600);
            self.push(
                home_zone,
                day,
                secs,
                What::Salary {
                    month: mi,
                    amount: salary,
                    for_previous: day - m.first < 14,
                },
            );
            if let Some((amount, _)) = self.rent {
                let secs = rng.gen_range(9 * 3600..21 * 3600);
                self.push(
                    home_zone,
                    m.first + rent_dom - 1,
                    secs,
                    What::Rent { month: mi, amount },
                );
            }
            for &(merchant, base, dom, what) in &bills {
                let amount = match what {
                    "electricity" => {
                        let season = match (country, m.number) {
                            (IN, 4..=6) | (US, 7..=8) => 140,
                            (US, 12 | 1 | 2) => 120,
                            (IN, 11..=12 | 1..=2) => 75,
                            _ => 100,
                        };
                        (base * season / 100 * rng.gen_range(85..=115) / 100).max(100)
                    }
                    "mobile" if country == IN => base * 118 / 100,
                    "mobile" => base + rng.gen_range(300..=1200),
                    _ => base,
                };
                let secs = rng.gen_range(5 * 3600..10 * 3600);
                self.push(
                    home_zone,
                    self.dom(m, dom, false),
                    secs,
                    What::Bill {
                        merchant,
                        amount,
                        what,
                    },
                );
            }
            if let Some(card) = sub_card {
                for &(merchant, amount, dom, secs) in &subs {
                    self.push(
                        home_zone,
                        self.dom(m, dom, false),
                        secs,
                        What::Subscription {
                            merchant,
                            amount,
                            card,
                        },
                    );
                }
            }
            if let Some((pct, after)) = sweep {
                let amount = salary * pct / 100 / 100 * 100;
                let secs = rng.gen_range(9 * 3600..20 * 3600);
                self.push(home_zone, day + after, secs, What::Sweep { amount });
            }
            for (k, &dom) in due_doms.iter().enumerate() {
                let secs = rng.gen_range(9 * 3600..22 * 3600);
                let card = self.credits[k];
                self.push(
                    home_zone,
                    self.dom(m, dom, false),
                    secs,
                    What::Repay {
                        card,
                        pct: repay_pct,
                    },
                );
            }
        }

        // Prepaid mobile recharges every 28 days.
        if let (false, Some(merchant), Some(amount), Some(card)) =
            (postpaid, mobile, plan, any_card)
        {
            if country == IN {
                let mut day = rng.gen_range(0..28);
                while day < world.ndays() {
                    let secs = time_of_day(rng, hours(Slot::Telecom));
                    self.push(
                        home_zone,
                        day,
                        secs,
                        What::Purchase {
                            merchant,
                            amount,
                            cards: [Some(card), None],
                            essential: true,
                        },
                    );
                    day += 28;
                }
            }
        }

        // Friends who send and receive money.
        for _ in 0..rng.gen_range(3..=8) {
            let (f, l) = person(rng, country, self.city);
            self.friends.push(format!("{f} {l}"));
        }

        let trips = self.plan_trips(rng);
        let mut away = vec![false; world.days.len()];
        for trip in &trips {
            for d in trip.start..trip.start + trip.days {
                away[d as usize] = true;
            }
        }
        let prefer_credit = rng.gen_range(400..=900);
        for trip in &trips {
            self.trip(rng, trip, prefer_credit);
        }

        // Everyday spending.
        let has_car = chance(rng, if country == IN { 350 } else { 850 });
        let lambda: u32 = rng.gen_range(330..=660);
        // Per slot (by index into HOME_SLOTS): weekday and weekend weights, and a favourite merchant.
        let mut weekday_w: Vec<(usize, u32)> = Vec::with_capacity(HOME_SLOTS.len());
        let mut weekend_w: Vec<(usize, u32)> = Vec::with_capacity(HOME_SLOTS.len());
        let mut favourite: Vec<Option<u32>> = Vec::with_capacity(HOME_SLOTS.len());
        for (si, &(slot, w_in, w_us)) in HOME_SLOTS.iter().enumerate() {
            let base = if country == IN { w_in } else { w_us };
            let available =
                CATALOG.local(slot, self.city).total() + CATALOG.web(slot, country).total() > 0;
            let w = if !available || (slot == Slot::Fuel && !has_car) {
                0
            } else {
                base * rng.gen_range(50..=150)
            };
            let (num, den) = weekend_factor(slot);
            weekday_w.push((si, w));
            weekend_w.push((si, w * num / den));
            favourite.push(choose(
                rng,
                CATALOG.local(slot, self.city),
                Some(CATALOG.web(slot, country)),
            ));
        }
        let (friend_out, friend_in) = if country == IN { (85, 35) } else { (50, 30) };
        for day in 0..world.ndays() {
            let weekend = world.weekend[day as usize];
            if !away[day as usize] {
                let p = if weekend { lambda * 5 / 16 } else { lambda / 4 };
                let weights = if weekend { &weekend_w } else { &weekday_w };
                for _ in 0..4 {
                    if !chance(rng, p) {
                        continue;
                    }
                    let si = *pick(rng, weights);
                    let slot = HOME_SLOTS[si].0;
                    let merchant = match favourite[si] {
                        Some(m) if chance(rng, 600) => Some(m),
                        _ => choose(
                            rng,
                            CATALOG.local(slot, self.city),
                            Some(CATALOG.web(slot, country)),
                        ),
                    };
                    let Some(merchant) = merchant else { continue };
                    let amount = draw(rng, price_range(slot, country), self.scale);
                    let secs = time_of_day(rng, hours(slot));
                    if let Some(cards) = self.card_order(rng, prefer_credit) {
                        self.push(
                            home_zone,
                            day,
                            secs,
                            What::Purchase {
                                merchant,
                                amount,
                                cards,
                                essential: false,
                            },
                        );
                    }
                }
            }
            if chance(rng, friend_out) {
                let friend = index(rng, self.friends.len());
                let amount = if country == IN {
                    draw(rng, (100, 5000, 1), 100) / 100 * 100
                } else {
                    draw(rng, (10, 300, 1), 100)
                };
                let secs = rng.gen_range(8 * 3600..23 * 3600);
                self.push(home_zone, day, secs, What::FriendOut { friend, amount });
            }
            if chance(rng, friend_in) {
                let friend = index(rng, self.friends.len());
                let amount = if country == IN {
                    draw(rng, (100, 4000, 1), 100) / 100 * 100
                } else {
                    draw(rng, (10, 250, 1), 100)
                };
                let secs = rng.gen_range(8 * 3600..23 * 3600);
                self.push(home_zone, day, secs, What::FriendIn { friend, amount });
            }
        }

        // Book in time order; ties keep the order they were planned in.
        let mut intents = std::mem::take(&mut self.intents);
        intents.sort_by_key(|i| i.ts);
        let txns = self.book(intents);

        let (first, last) = (self.first, self.last);
        Customer {
            id: format!("cus_{:06}", self.id()),
            name: format!("{first} {last}"),
            login_base: format!("{}.{}", login_part(first), login_part(last)),
            city: CITIES[self.city].name,
            country: COUNTRIES[usize::from(country)],
            time_zone: ZONES[home_zone].name,
            currency,
            accounts: self.accounts,
            cards: self.cards,
            txns,
        }
    }

    fn plan_trips(&self, rng: &mut ChaCha8Rng) -> Vec<Trip> {
        let world = self.world;
        let country = self.country;
        let level = rng.gen_range(0..3);
        let (p_home, p_abroad) = match level {
            0 => (30, 8),
            1 => (90, 30),
            _ => (180, 70),
        };
        let domestic: Vec<(usize, u32)> = CITIES
            .iter()
            .enumerate()
            .filter(|&(i, c)| c.country == country && c.visit > 0 && i != self.city)
            .map(|(i, c)| (i, c.visit))
            .collect();
        let abroad: Vec<(usize, u32)> = (if country == IN {
            catalog::ABROAD_FROM_IN
        } else {
            catalog::ABROAD_FROM_US
        })
        .iter()
        .filter_map(|&(name, w)| Some((catalog::city_index(name)?, w)))
        .collect();
        let mut trips: Vec<Trip> = Vec::new();
        for m in &world.months {
            let (city, abroad, days) = if chance(rng, p_home) {
                (*pick(rng, &domestic), false, rng.gen_range(2..=6))
            } else if chance(rng, p_abroad) {
                (*pick(rng, &abroad), true, rng.gen_range(4..=9))
            } else {
                continue;
            };
            let start = m.first + rng.gen_range(0..m.len);
            let clear = trips.last().is_none_or(|t| t.start + t.days + 2 <= start);
            if start >= 0 && start + days <= world.ndays() && clear {
                trips.push(Trip {
                    start,
                    days,
                    city,
                    abroad,
                });
            }
        }
        trips
    }

    fn trip(&mut self, rng: &mut ChaCha8Rng, trip: &Trip, prefer_credit: u32) {
        let country = self.country;
        let dest = &CITIES[trip.city];
        let zone = usize::from(dest.zone);
        let travellers = rng.gen_range(1..=2);
        let factor = if trip.abroad { 150 } else { 110 };
        // Tickets, bought online at home some weeks before.
        let book_day = trip.start - rng.gen_range(7..=45);
        let rail = !trip.abroad && chance(rng, if country == IN { 250 } else { 80 });
        let carrier = if rail {
            choose(
                rng,
                &Choices::default(),
                Some(CATALOG.web(Slot::Rail, country)),
            )
        } else if trip.abroad && chance(rng, 500) {
            choose(
                rng,
                &Choices::default(),
                Some(CATALOG.web(Slot::Flight, dest.country)),
            )
            .or_else(|| {
                choose(
                    rng,
                    &Choices::default(),
                    Some(CATALOG.web(Slot::Flight, country)),
                )
            })
        } else {
            choose(
                rng,
                &Choices::default(),
                Some(CATALOG.web(Slot::Flight, country)),
            )
        };
        if let Some(merchant) = carrier {
            let slot = if rail { Slot::Rail } else { Slot::Flight };
            let per_ticket = draw(
                rng,
                price_range(slot, country),
                if trip.abroad { 400 } else { 100 },
            );
            let secs = time_of_day(rng, hours(slot));
            if let Some(cards) = self.card_order(rng, prefer_credit) {
                self.push(
                    self.zone,
                    book_day,
                    secs,
                    What::Purchase {
                        merchant,
                        amount: per_ticket * travellers,
                        cards,
                        essential: false,
                    },
                );
            }
        }
        // A room, paid on checkout at the hotel or when booked online.
        let nights = trip.days - 1;
        if nights > 0 && chance(rng, 800) {
            let nightly = draw(
                rng,
                price_range(Slot::Hotel, country),
                if trip.abroad { 250 } else { 100 },
            );
            let local = CATALOG.local(Slot::Hotel, trip.city);
            let online = CATALOG.web(Slot::Hotel, country);
            let (merchant, day, zone) = if chance(rng, 300) {
                (
                    choose(rng, &Choices::default(), Some(online)),
                    book_day.max(0),
                    self.zone,
                )
            } else {
                (choose(rng, local, None), trip.start + nights, zone)
            };
            let secs = time_of_day(rng, hours(Slot::Hotel));
            if let (Some(merchant), Some(cards)) = (merchant, self.card_order(rng, prefer_credit)) {
                self.push(
                    zone,
                    day,
                    secs,
                    What::Purchase {
                        merchant,
                        amount: nightly * nights,
                        cards,
                        essential: false,
                    },
                );
            }
        }
        // Eating, getting around, shopping and sights while there.
        for day in trip.start..trip.start + trip.days {
            let n = 2 + (0..3).filter(|_| chance(rng, 500)).count();
            for _ in 0..n {
                let slot = *pick(rng, TRAVEL_SLOTS);
                let Some(merchant) = choose(rng, CATALOG.local(slot, trip.city), None) else {
                    continue;
                };
                let amount = draw(rng, price_range(slot, country), self.scale * factor / 100);
                let secs = time_of_day(rng, hours(slot));
                if let Some(cards) = self.card_order(rng, prefer_credit) {
                    self.push(
                        zone,
                        day,
                        secs,
                        What::Purchase {
                            merchant,
                            amount,
                            cards,
                            essential: false,
                        },
                    );
                }
            }
        }
    }

    /// A ledger row for intent `i` with the kind's usual channel and category.
    fn entry(
        &self,
        seq: usize,
        i: &Intent,
        account: usize,
        amount: i64,
        kind: TransactionKind,
        description: Cow<'static, str>,
    ) -> TxnRow {
        let (channel, category) = match kind {
            TransactionKind::Salary => (Channel::Transfer, Category::Income),
            TransactionKind::Rent => (Channel::Transfer, Category::Rent),
            TransactionKind::Bill => (Channel::DirectDebit, Category::Utilities),
            TransactionKind::Subscription => (Channel::Online, Category::Subscriptions),
            TransactionKind::CardPayment => (Channel::CardPresent, Category::Other),
            TransactionKind::TransferIn
            | TransactionKind::TransferOut
            | TransactionKind::CardRepayment => (Channel::Transfer, Category::Transfers),
        };
        TxnRow {
            id: format!("txn_{:06}_{:06}", self.id(), seq + 1),
            account,
            booked_at: i.ts,
            day: i.day,
            amount,
            kind,
            channel,
            description,
            merchant: None,
            card: None,
            counterparty: None,
            category,
        }
    }

    /// Books the intents in time order against running balances; what the
    /// customer cannot afford is not booked.
    fn book(&self, intents: Vec<Intent>) -> Vec<TxnRow> {
        let world = self.world;
        let mut balance: Vec<i64> = self.accounts.iter().map(|a| a.opening).collect();
        let mut txns: Vec<TxnRow> = Vec::with_capacity(intents.len() + 8);
        let primary = 0;
        let rail = if self.country == IN { "UPI" } else { "Zelle" };
        let name = format!("{} {}", self.first, self.last);
        // Whether `account` can pay `amount` and keep `floor` (credit cards: their limit).
        let affords = |balance: &[i64], account: usize, amount: i64, floor: i64| {
            let floor = if self.accounts[account].kind == AccountKind::CreditCard {
                -self.accounts[account].limit
            } else {
                floor
            };
            balance[account] - amount >= floor
        };
        for i in &intents {
            let n = txns.len();
            match i.what {
                What::Salary {
                    month,
                    amount,
                    for_previous,
                } => {
                    balance[primary] += amount;
                    let m = &world.months[month];
                    let desc = format!(
                        "Salary {}",
                        if for_previous { &m.previous } else { &m.label }
                    );
                    txns.push(TxnRow {
                        counterparty: Some(Cow::Borrowed(self.employer)),
                        ..self.entry(n, i, primary, amount, TransactionKind::Salary, desc.into())
                    });
                }
                What::Rent { month, amount } => {
                    let Some((_, landlord)) = &self.rent else {
                        continue;
                    };
                    if !affords(&balance, primary, amount, 0) {
                        continue;
                    }
                    balance[primary] -= amount;
                    let desc = format!("Rent {}", world.months[month].label);
                    txns.push(TxnRow {
                        counterparty: Some(Cow::Owned(landlord.clone())),
                        ..self.entry(n, i, primary, -amount, TransactionKind::Rent, desc.into())
                    });
                }
                What::Bill {
                    merchant,
                    amount,
                    what,
                } => {
                    if !affords(&balance, primary, amount, 0) {
                        continue;
                    }
                    balance[primary] -= amount;
                    let m = &CATALOG.merchants[merchant as usize];
                    let desc = format!("{} {what} bill", m.name);
                    txns.push(TxnRow {
                        merchant: Some(merchant),
                        counterparty: Some(Cow::Borrowed(m.name.as_str())),
                        ..self.entry(n, i, primary, -amount, TransactionKind::Bill, desc.into())
                    });
                }
                What::Subscription {
                    merchant,
                    amount,
                    card,
                } => {
                    let account = self.cards[card].account;
                    if !affords(&balance, account, amount, 0) {
                        continue;
                    }
                    balance[account] -= amount;
                    let m = &CATALOG.merchants[merchant as usize];
                    txns.push(TxnRow {
                        merchant: Some(merchant),
                        card: Some(card),
                        ..self.entry(
                            n,
                            i,
                            account,
                            -amount,
                            TransactionKind::Subscription,
                            Cow::Borrowed(m.label.as_str()),
                        )
                    });
                }
                What::Purchase {
                    merchant,
                    amount,
                    cards,
                    essential,
                } => {
                    let floor = if essential { 0 } else { self.reserve };
                    let chosen = cards
                        .into_iter()
                        .flatten()
                        .find(|&c| affords(&balance, self.cards[c].account, amount, floor));
                    let Some(card) = chosen else { continue };
                    let account = self.cards[card].account;
                    balance[account] -= amount;
                    let m = &CATALOG.merchants[merchant as usize];
                    txns.push(TxnRow {
                        channel: if m.online {
                            Channel::Online
                        } else {
                            Channel::CardPresent
                        },
                        category: m.category,
                        merchant: Some(merchant),
                        card: Some(card),
                        ..self.entry(
                            n,
                            i,
                            account,
                            -amount,
                            TransactionKind::CardPayment,
                            Cow::Borrowed(m.label.as_str()),
                        )
                    });
                }
                What::FriendOut { friend, amount } => {
                    if !affords(&balance, primary, amount, self.reserve) {
                        continue;
                    }
                    balance[primary] -= amount;
                    let who = &self.friends[friend];
                    txns.push(TxnRow {
                        counterparty: Some(Cow::Owned(who.clone())),
                        ..self.entry(
                            n,
                            i,
                            primary,
                            -amount,
                            TransactionKind::TransferOut,
                            format!("{rail} to {who}").into(),
                        )
                    });
                }
                What::FriendIn { friend, amount } => {
                    balance[primary] += amount;
                    let who = &self.friends[friend];
                    txns.push(TxnRow {
                        counterparty: Some(Cow::Owned(who.clone())),
                        ..self.entry(
                            n,
                            i,
                            primary,
                            amount,
                            TransactionKind::TransferIn,
                            format!("{rail} from {who}").into(),
                        )
                    });
                }
                What::Sweep { amount } => {
                    let Some(savings) = self.secondary else {
                        continue;
                    };
                    if amount <= 0 || !affords(&balance, primary, amount, self.reserve) {
                        continue;
                    }
                    balance[primary] -= amount;
                    balance[savings] += amount;
                    let to = &self.accounts[savings].number;
                    let from = &self.accounts[primary].number;
                    let out = format!("Transfer to own account XX{}", &to[to.len() - 4..]);
                    let inn = format!("Transfer from own account XX{}", &from[from.len() - 4..]);
                    txns.push(TxnRow {
                        counterparty: Some(Cow::Owned(name.clone())),
                        ..self.entry(
                            n,
                            i,
                            primary,
                            -amount,
                            TransactionKind::TransferOut,
                            out.into(),
                        )
                    });
                    txns.push(TxnRow {
                        counterparty: Some(Cow::Owned(name.clone())),
                        ..self.entry(
                            n + 1,
                            i,
                            savings,
                            amount,
                            TransactionKind::TransferIn,
                            inn.into(),
                        )
                    });
                }
                What::Repay { card, pct } => {
                    let account = self.cards[card].account;
                    let outstanding = -balance[account];
                    if outstanding <= 0 {
                        continue;
                    }
                    // Full payers clear the card; the others pay a share, at least a minimum.
                    let wanted = if pct >= 100 {
                        outstanding
                    } else {
                        (outstanding * pct / 100).max(outstanding.min(100 * 100))
                    };
                    let amount = wanted.min(balance[primary] - self.reserve / 2);
                    if amount <= 0 {
                        continue;
                    }
                    balance[primary] -= amount;
                    balance[account] += amount;
                    let pan = &self.cards[card].masked_pan;
                    let desc = format!("Credit card payment XX{}", &pan[pan.len() - 4..]);
                    txns.push(TxnRow {
                        counterparty: Some(Cow::Borrowed("Anumati Bank credit card")),
                        ..self.entry(
                            n,
                            i,
                            primary,
                            -amount,
                            TransactionKind::CardRepayment,
                            desc.into(),
                        )
                    });
                    txns.push(TxnRow {
                        counterparty: Some(Cow::Owned(name.clone())),
                        ..self.entry(
                            n + 1,
                            i,
                            account,
                            amount,
                            TransactionKind::CardRepayment,
                            Cow::Borrowed("Payment received, thank you"),
                        )
                    });
                }
            }
        }
        txns
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world() -> World {
        World::new(7, 3, jiff::civil::date(2025, 3, 31)).unwrap()
    }

    #[test]
    fn window_ends_on_end_and_spans_the_months() {
        let w = world();
        assert_eq!(w.days.first().unwrap().iso, "2025-01-01");
        assert_eq!(w.days.last().unwrap().iso, "2025-03-31");
        assert_eq!(w.months.len(), 3);
        assert_eq!(w.months[1].label, "February 2025");
        let june = World::new(7, 3, jiff::civil::date(2025, 6, 30)).unwrap();
        assert_eq!(june.days.first().unwrap().iso, "2025-04-01");
        assert_eq!(june.days.len(), 91);
        assert_eq!(june.months[0].previous, "March 2025");
        let january = World::new(7, 1, jiff::civil::date(2025, 1, 31)).unwrap();
        assert_eq!(january.months[0].previous, "December 2024");
        let mid = World::new(7, 1, jiff::civil::date(2025, 3, 15)).unwrap();
        assert_eq!(mid.days.first().unwrap().iso, "2025-02-16");
        assert_eq!(mid.months[0].first, -15);
    }

    #[test]
    fn local_times_follow_daylight_saving() {
        // 2025-03-09: New York springs forward; 12:00 local is 16:00 UTC that day.
        let w = World::new(1, 1, jiff::civil::date(2025, 3, 31)).unwrap();
        let day = w.days.iter().position(|d| d.iso == "2025-03-09").unwrap();
        let ts = w.at(1, day, 12 * 3600);
        assert_eq!(
            jiff::Timestamp::from_second(ts).unwrap().to_string(),
            "2025-03-09T16:00:00Z"
        );
        let before = w.at(1, day - 1, 12 * 3600);
        assert_eq!(
            jiff::Timestamp::from_second(before).unwrap().to_string(),
            "2025-03-08T17:00:00Z"
        );
        assert_eq!(w.day_of(1, ts), Some(day));
        // Kolkata is UTC+05:30 all year: local midnight is 18:30 UTC the day before.
        let midnight = w.at(0, day, 0);
        assert_eq!(
            jiff::Timestamp::from_second(midnight).unwrap().to_string(),
            "2025-03-08T18:30:00Z"
        );
        assert_eq!(w.day_of(0, midnight), Some(day));
        assert_eq!(w.day_of(0, midnight - 1), Some(day - 1));
    }

    #[test]
    fn a_customer_depends_only_on_seed_and_index() {
        let w = world();
        let a = customer(&w, 5);
        let b = customer(&w, 5);
        assert_eq!(a.name, b.name);
        assert_eq!(a.txns.len(), b.txns.len());
        assert!(a
            .txns
            .iter()
            .zip(&b.txns)
            .all(|(x, y)| x.amount == y.amount && x.booked_at == y.booked_at));
        let other = World::new(8, 3, jiff::civil::date(2025, 3, 31)).unwrap();
        let c = customer(&other, 5);
        assert!(
            c.txns.len() != a.txns.len()
                || c.txns
                    .iter()
                    .zip(&a.txns)
                    .any(|(x, y)| x.amount != y.amount)
        );
    }

    #[test]
    fn workdays_move_off_the_weekend() {
        let w = world();
        let life = Life::new(&w, 0, &mut ChaCha8Rng::seed_from_u64(1));
        // March 2025: the 1st is a Saturday, the 31st a Monday.
        let march = &w.months[2];
        assert_eq!(march.weekday1, 5);
        assert_eq!(life.dom(march, 1, true), march.first + 2); // Monday the 3rd
        assert_eq!(life.dom(march, 31, true), march.first + 30);
        assert_eq!(life.dom(march, 30, true), march.first + 27); // Sunday 30th -> Friday 28th
        assert_eq!(life.dom(march, 1, false), march.first);
    }
}
