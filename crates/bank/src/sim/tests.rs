//! Behaviour of the simulator on small populations written to real SQLite files.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use anumati_domain::{AccountKind, Category, Channel, TransactionKind};
use jiff::civil::{date, Date};
use jiff::tz::TimeZone;
use jiff::Timestamp;
use sqlx::SqlitePool;

use super::*;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

const END: Date = date(2025, 3, 31);

/// A bank database in a temporary file, removed on drop.
struct TempDb {
    path: PathBuf,
    pool: SqlitePool,
}

impl TempDb {
    async fn new() -> TempDb {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("anumati-sim-test-{}-{n}.db", std::process::id()));
        remove(&path);
        let pool = anumati_store::open_sqlite(&path, &MIGRATOR)
            .await
            .expect("open temp bank");
        TempDb { path, pool }
    }
}

fn remove(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        remove(&self.path);
    }
}

fn params(seed: u64, customers: u32, months: u32) -> SimParams {
    SimParams {
        customers,
        months,
        seed,
        end: END,
    }
}

async fn bank_with(p: &SimParams, batch: u32) -> (TempDb, SimReport) {
    let db = TempDb::new().await;
    let report = populate_in_batches(&db.pool, p, "$argon2id$test", &|_| {}, batch)
        .await
        .expect("populate");
    (db, report)
}

async fn bank(seed: u64, customers: u32, months: u32) -> TempDb {
    bank_with(&params(seed, customers, months), BATCH).await.0
}

const TABLES: &[(&str, &str)] = &[
    ("meta", "key, value"),
    ("customers", "id, login, password_hash, name, city, country, time_zone"),
    ("accounts", "id, customer_id, kind, number, currency, limit_minor, opening_balance_minor, opened_on"),
    ("cards", "id, account_id, kind, masked_pan, network, status"),
    ("merchants", "id, name, mcc, city, country, online"),
    (
        "transactions",
        "id, account_id, booked_at, value_date, amount_minor, currency, kind, channel, description, merchant_id, city, country, card_id, counterparty, category",
    ),
];

/// Every row of a table as SQL literals, in primary-key order.
async fn dump_table(pool: &SqlitePool, table: &str, columns: &str, filter: &str) -> Vec<String> {
    let quoted: Vec<String> = columns.split(", ").map(|c| format!("quote({c})")).collect();
    let sql = format!(
        "SELECT {} FROM {table} {filter} ORDER BY 1",
        quoted.join(" || ',' || ")
    );
    sqlx::query_scalar(&sql)
        .fetch_all(pool)
        .await
        .expect("dump")
}

async fn dump(pool: &SqlitePool) -> Vec<String> {
    let mut out = Vec::new();
    for (table, columns) in TABLES {
        for row in dump_table(pool, table, columns, "").await {
            out.push(format!("{table}: {row}"));
        }
    }
    out
}

#[derive(Debug)]
struct Cust {
    id: String,
    login: String,
    name: String,
    city: String,
    country: String,
    time_zone: String,
}

#[derive(Debug)]
struct Acc {
    customer_id: String,
    kind: String,
    number: String,
    currency: String,
    limit: i64,
    opening: i64,
}

#[derive(Debug)]
struct Crd {
    id: String,
    account_id: String,
    kind: String,
    masked_pan: String,
    network: String,
}

#[derive(Debug)]
struct Mer {
    mcc: String,
    city: String,
    country: String,
    online: bool,
}

#[derive(Debug)]
struct Txn {
    id: String,
    account_id: String,
    booked_at: i64,
    value_date: String,
    amount: i64,
    currency: String,
    kind: String,
    channel: String,
    description: String,
    merchant_id: Option<String>,
    city: Option<String>,
    country: Option<String>,
    card_id: Option<String>,
    counterparty: Option<String>,
    category: String,
}

/// The whole bank, read back.
struct Snapshot {
    customers: Vec<Cust>,
    accounts: HashMap<String, Acc>,
    cards: Vec<Crd>,
    merchants: HashMap<String, Mer>,
    txns: Vec<Txn>,
}

impl Snapshot {
    async fn read(pool: &SqlitePool) -> Snapshot {
        let customers = sqlx::query_as::<_, (String, String, String, String, String, String)>(
            "SELECT id, login, name, city, country, time_zone FROM customers ORDER BY id",
        )
        .fetch_all(pool)
        .await
        .unwrap()
        .into_iter()
        .map(|(id, login, name, city, country, time_zone)| Cust {
            id,
            login,
            name,
            city,
            country,
            time_zone,
        })
        .collect();
        let accounts = sqlx::query_as::<_, (String, String, String, String, String, i64, i64)>(
            "SELECT id, customer_id, kind, number, currency, limit_minor, opening_balance_minor FROM accounts",
        )
        .fetch_all(pool)
        .await
        .unwrap()
        .into_iter()
        .map(|(id, customer_id, kind, number, currency, limit, opening)| {
            (
                id,
                Acc {
                    customer_id,
                    kind,
                    number,
                    currency,
                    limit,
                    opening,
                },
            )
        })
        .collect();
        let cards = sqlx::query_as::<_, (String, String, String, String, String)>(
            "SELECT id, account_id, kind, masked_pan, network FROM cards ORDER BY id",
        )
        .fetch_all(pool)
        .await
        .unwrap()
        .into_iter()
        .map(|(id, account_id, kind, masked_pan, network)| Crd {
            id,
            account_id,
            kind,
            masked_pan,
            network,
        })
        .collect();
        let merchants = sqlx::query_as::<_, (String, String, String, String, i64)>(
            "SELECT id, mcc, city, country, online FROM merchants",
        )
        .fetch_all(pool)
        .await
        .unwrap()
        .into_iter()
        .map(|(id, mcc, city, country, online)| {
            (
                id,
                Mer {
                    mcc,
                    city,
                    country,
                    online: online == 1,
                },
            )
        })
        .collect();
        type Row = (
            String,
            String,
            i64,
            String,
            i64,
            String,
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            String,
        );
        let txns = sqlx::query_as::<_, Row>(
            "SELECT id, account_id, booked_at, value_date, amount_minor, currency, kind, channel, description, \
             merchant_id, city, country, card_id, counterparty, category FROM transactions ORDER BY account_id, booked_at, id",
        )
        .fetch_all(pool)
        .await
        .unwrap()
        .into_iter()
        .map(|r| Txn {
            id: r.0,
            account_id: r.1,
            booked_at: r.2,
            value_date: r.3,
            amount: r.4,
            currency: r.5,
            kind: r.6,
            channel: r.7,
            description: r.8,
            merchant_id: r.9,
            city: r.10,
            country: r.11,
            card_id: r.12,
            counterparty: r.13,
            category: r.14,
        })
        .collect();
        Snapshot {
            customers,
            accounts,
            cards,
            merchants,
            txns,
        }
    }

    fn customer_of(&self, account_id: &str) -> &Cust {
        let owner = &self.accounts[account_id].customer_id;
        self.customers
            .iter()
            .find(|c| &c.id == owner)
            .expect("account owner exists")
    }
}

#[tokio::test]
async fn same_parameters_give_identical_tables_and_another_seed_differs() {
    let a = bank(42, 30, 3).await;
    let b = bank(42, 30, 3).await;
    let c = bank(43, 30, 3).await;
    let (da, db, dc) = (
        dump(&a.pool).await,
        dump(&b.pool).await,
        dump(&c.pool).await,
    );
    assert!(da.len() > 2_000, "only {} rows", da.len());
    assert_eq!(da, db);
    let txns = |d: &[String]| {
        d.iter()
            .filter(|r| r.starts_with("transactions"))
            .cloned()
            .collect::<Vec<_>>()
    };
    let people = |d: &[String]| {
        d.iter()
            .filter(|r| r.starts_with("customers"))
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_ne!(txns(&da), txns(&dc));
    assert_ne!(people(&da), people(&dc));
}

#[tokio::test]
async fn batch_size_and_population_size_do_not_change_a_customer() {
    let p = params(7, 30, 2);
    let (whole, report) = bank_with(&p, BATCH).await;
    let (small_batches, report_small) = bank_with(&p, 7).await;
    assert_eq!(dump(&whole.pool).await, dump(&small_batches.pool).await);
    assert_eq!(report.transactions, report_small.transactions);

    // The first 12 customers of a population of 30 are the 12 customers of a population of 12.
    let (first, _) = bank_with(&params(7, 12, 2), 5).await;
    for (table, columns, filter) in [
        ("customers", TABLES[1].1, "WHERE id <= 'cus_000012'"),
        ("accounts", TABLES[2].1, "WHERE customer_id <= 'cus_000012'"),
        ("cards", TABLES[3].1, "WHERE account_id < 'acc_000013'"),
        (
            "transactions",
            TABLES[5].1,
            "WHERE account_id < 'acc_000013'",
        ),
    ] {
        let small = dump_table(&first.pool, table, columns, filter).await;
        assert!(!small.is_empty(), "{table}");
        assert_eq!(
            small,
            dump_table(&whole.pool, table, columns, filter).await,
            "{table}"
        );
    }
}

#[tokio::test]
async fn transactions_use_their_account_currency_and_customers_their_country() {
    let db = bank(1, 30, 3).await;
    let s = Snapshot::read(&db.pool).await;
    for t in &s.txns {
        assert_eq!(t.currency, s.accounts[&t.account_id].currency, "{}", t.id);
    }
    let us_zones = [
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Los_Angeles",
    ];
    for c in &s.customers {
        let currencies: HashSet<&str> = s
            .accounts
            .values()
            .filter(|a| a.customer_id == c.id)
            .map(|a| a.currency.as_str())
            .collect();
        match c.country.as_str() {
            "IN" => {
                assert_eq!(c.time_zone, "Asia/Kolkata");
                assert_eq!(currencies, HashSet::from(["INR"]));
            }
            "US" => {
                assert!(us_zones.contains(&c.time_zone.as_str()), "{c:?}");
                assert_eq!(currencies, HashSet::from(["USD"]));
            }
            other => panic!("customer in {other}"),
        }
    }
    let indians = s.customers.iter().filter(|c| c.country == "IN").count();
    let americans = s.customers.iter().filter(|c| c.country == "US").count();
    assert!(indians > 0 && americans > 0, "{indians} IN, {americans} US");
    assert!(indians > americans, "{indians} IN, {americans} US");
    // Chicago and Los Angeles are in different zones.
    for c in &s.customers {
        let expected = match c.city.as_str() {
            "Chicago" | "Houston" | "Dallas" | "Austin" => Some("America/Chicago"),
            "Denver" | "Salt Lake City" => Some("America/Denver"),
            "Los Angeles" | "San Francisco" | "Seattle" | "San Diego" => {
                Some("America/Los_Angeles")
            }
            "New York" | "Boston" | "Philadelphia" | "Atlanta" | "Miami" => {
                Some("America/New_York")
            }
            _ => None,
        };
        if let Some(zone) = expected {
            assert_eq!(c.time_zone, zone, "{c:?}");
        }
    }
}

#[tokio::test]
async fn card_payments_name_a_listed_merchant_and_its_category() {
    let db = bank(2, 30, 3).await;
    let s = Snapshot::read(&db.pool).await;
    let cards: HashMap<&str, &Crd> = s.cards.iter().map(|c| (c.id.as_str(), c)).collect();
    let mut payments = 0;
    for t in s.txns.iter().filter(|t| t.kind == "card_payment") {
        payments += 1;
        let id = t
            .merchant_id
            .as_deref()
            .expect("card payment has a merchant");
        let m = &s.merchants[id];
        assert!(
            anumati_domain::mcc::description(&m.mcc).is_some(),
            "{} has MCC {}",
            t.id,
            m.mcc
        );
        assert_eq!(t.category, Category::from_mcc(&m.mcc).as_str(), "{}", t.id);
        assert_eq!(t.city.as_deref(), Some(m.city.as_str()));
        assert_eq!(t.country.as_deref(), Some(m.country.as_str()));
        let expected = if m.online { "online" } else { "card_present" };
        assert_eq!(t.channel, expected, "{}", t.id);
        let card = cards[t.card_id.as_deref().expect("card payment has a card")];
        assert_eq!(
            card.account_id, t.account_id,
            "{} paid with another account's card",
            t.id
        );
        assert!(t.amount < 0);
    }
    assert!(payments > 1_000, "{payments} card payments");
    let categories: HashSet<&str> = s
        .txns
        .iter()
        .filter(|t| t.kind == "card_payment")
        .map(|t| t.category.as_str())
        .collect();
    for expected in ["groceries", "food", "transport", "shopping", "health"] {
        assert!(
            categories.contains(expected),
            "no {expected} spending: {categories:?}"
        );
    }
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

#[tokio::test]
async fn other_kinds_use_the_agreed_channels_and_categories() {
    let db = bank(3, 30, 3).await;
    let s = Snapshot::read(&db.pool).await;
    let mut kinds = HashSet::new();
    for t in &s.txns {
        let kind = TransactionKind::parse(&t.kind).unwrap_or_else(|| panic!("kind {}", t.kind));
        assert!(
            Channel::parse(&t.channel).is_some(),
            "channel {}",
            t.channel
        );
        assert!(
            Category::parse(&t.category).is_some(),
            "category {}",
            t.category
        );
        assert!(!t.description.is_empty());
        kinds.insert(t.kind.as_str());
        let expect = |channel: &str, category: &str| {
            assert_eq!(
                (t.channel.as_str(), t.category.as_str()),
                (channel, category),
                "{t:?}"
            );
        };
        match kind {
            TransactionKind::CardPayment => {}
            TransactionKind::Salary => {
                expect("transfer", "income");
                assert!(t.amount > 0 && t.counterparty.is_some());
                // Paid late in the month for that month, early in the month for the one before.
                let day: Date = t.value_date.parse().unwrap();
                let month = if day.day() >= 15 {
                    day
                } else {
                    day.first_of_month().yesterday().unwrap()
                };
                let expected = format!(
                    "Salary {} {}",
                    MONTHS[(month.month() - 1) as usize],
                    month.year()
                );
                assert_eq!(t.description, expected);
            }
            TransactionKind::Rent => {
                expect("transfer", "rent");
                assert!(t.amount < 0 && t.counterparty.is_some());
            }
            TransactionKind::Bill => {
                expect("direct_debit", "utilities");
                assert!(t.amount < 0);
            }
            TransactionKind::Subscription => {
                expect("online", "subscriptions");
                assert!(t.amount < 0 && t.card_id.is_some() && t.merchant_id.is_some());
            }
            TransactionKind::TransferIn | TransactionKind::TransferOut => {
                expect("transfer", "transfers");
                assert_eq!(t.amount > 0, kind == TransactionKind::TransferIn);
                assert!(t.counterparty.is_some());
            }
            TransactionKind::CardRepayment => {
                expect("transfer", "transfers");
                let credit = s.accounts[&t.account_id].kind == "credit_card";
                assert_eq!(t.amount > 0, credit, "{t:?}");
            }
        }
    }
    for kind in [
        "card_payment",
        "salary",
        "rent",
        "bill",
        "subscription",
        "transfer_in",
        "transfer_out",
        "card_repayment",
    ] {
        assert!(kinds.contains(kind), "no {kind}");
    }
}

#[tokio::test]
async fn running_balances_stay_within_limits() {
    let db = bank(4, 40, 4).await;
    let s = Snapshot::read(&db.pool).await;
    let mut by_account: HashMap<&str, Vec<&Txn>> = HashMap::new();
    for t in &s.txns {
        by_account.entry(&t.account_id).or_default().push(t);
    }
    let mut credit_used = false;
    for (id, a) in &s.accounts {
        let kind = AccountKind::parse(&a.kind).expect("account kind");
        let mut balance = a.opening;
        if kind == AccountKind::CreditCard {
            assert_eq!(a.opening, 0, "{id}");
            assert!(a.limit > 0, "{id}");
        } else {
            assert!(a.opening > 0, "{id}");
        }
        // Snapshot rows come ordered by (account, booked_at, id).
        for t in by_account.get(id.as_str()).into_iter().flatten() {
            balance += t.amount;
            match kind {
                AccountKind::CreditCard => {
                    assert!(
                        balance >= -a.limit,
                        "{id} beyond its limit at {}: {balance}",
                        t.id
                    );
                    assert!(balance <= 0, "{id} in credit at {}", t.id);
                    credit_used |= balance < 0;
                }
                _ => assert!(balance >= 0, "{id} overdrawn at {}: {balance}", t.id),
            }
        }
    }
    assert!(credit_used);
}

#[tokio::test]
async fn ids_numbers_cards_and_logins_are_well_formed_and_unique() {
    let db = bank(5, 30, 2).await;
    let s = Snapshot::read(&db.pool).await;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mut seen = HashSet::new();
    for (i, c) in s.customers.iter().enumerate() {
        assert_eq!(c.id, format!("cus_{:06}", i + 1));
        assert!(seen.insert(c.login.clone()), "login {} twice", c.login);
        let (first, last) = c.login.split_once('.').expect("first.last");
        assert!(
            !first.is_empty() && first.bytes().all(|b| b.is_ascii_lowercase()),
            "{}",
            c.login
        );
        let letters = last.trim_end_matches(|ch: char| ch.is_ascii_digit());
        assert!(
            !letters.is_empty() && letters.bytes().all(|b| b.is_ascii_lowercase()),
            "{}",
            c.login
        );
        assert!(c.name.is_ascii(), "{}", c.name);
        let mut parts = c.name.split(' ');
        assert_eq!(parts.next().unwrap().to_lowercase(), first);
    }
    let mut numbers = HashSet::new();
    for (id, a) in &s.accounts {
        let rest = id
            .strip_prefix(&format!("acc_{}_", &a.customer_id[4..]))
            .expect(id);
        assert!(digits(rest), "{id}");
        assert!(digits(&a.number) && a.number.len() >= 10, "{}", a.number);
        assert!(
            numbers.insert(a.number.clone()),
            "number {} twice",
            a.number
        );
    }
    for card in &s.cards {
        let acc = &s.accounts[&card.account_id];
        assert!(
            card.id
                .starts_with(&format!("crd_{}_", &acc.customer_id[4..])),
            "{}",
            card.id
        );
        let pan = card.masked_pan.as_bytes();
        assert_eq!(pan.len(), 16, "{}", card.masked_pan);
        assert!(
            pan[..6].iter().chain(&pan[12..]).all(u8::is_ascii_digit),
            "{}",
            card.masked_pan
        );
        assert_eq!(&card.masked_pan[6..12], "XXXXXX");
        let first = match card.network.as_str() {
            "Visa" => b'4',
            "Mastercard" => b'5',
            "RuPay" => b'6',
            other => panic!("network {other}"),
        };
        assert_eq!(pan[0], first, "{}", card.masked_pan);
        let expected_account = if card.kind == "credit" {
            "credit_card"
        } else {
            "savings|current"
        };
        assert!(
            expected_account.contains(acc.kind.as_str()),
            "{} on {}",
            card.kind,
            acc.kind
        );
    }
    let credit_accounts = s
        .accounts
        .values()
        .filter(|a| a.kind == "credit_card")
        .count();
    assert_eq!(
        credit_accounts,
        s.cards.iter().filter(|c| c.kind == "credit").count()
    );
    let mut ids = HashSet::new();
    for t in &s.txns {
        let (cus, seq) =
            t.id.strip_prefix("txn_")
                .and_then(|r| r.split_once('_'))
                .expect(&t.id);
        assert!(
            digits(cus) && digits(seq) && cus.len() == 6 && seq.len() == 6,
            "{}",
            t.id
        );
        assert!(ids.insert(t.id.as_str()), "{} twice", t.id);
    }
}

#[test]
fn logins_are_numbered_on_collision() {
    let mut logins = Logins::default();
    assert_eq!(logins.assign("priya.sharma"), "priya.sharma");
    assert_eq!(logins.assign("rahul.verma"), "rahul.verma");
    assert_eq!(logins.assign("priya.sharma"), "priya.sharma2");
    assert_eq!(logins.assign("priya.sharma"), "priya.sharma3");
}

#[tokio::test]
async fn travel_takes_card_payments_to_other_cities_and_abroad() {
    // Enough customers that some surely went abroad (about one in three does in a year).
    let db = bank(6, 80, 3).await;
    let s = Snapshot::read(&db.pool).await;
    let payments: Vec<(&Txn, &Cust)> = s
        .txns
        .iter()
        .filter(|t| t.kind == "card_payment" && t.channel == "card_present")
        .map(|t| (t, s.customer_of(&t.account_id)))
        .collect();
    let abroad: HashSet<&str> = payments
        .iter()
        .filter(|(t, c)| t.country.as_deref() != Some(c.country.as_str()))
        .map(|(t, _)| t.city.as_deref().unwrap())
        .collect();
    assert!(!abroad.is_empty(), "no card payment abroad");
    let elsewhere = payments
        .iter()
        .filter(|(t, c)| {
            t.country.as_deref() == Some(c.country.as_str())
                && t.city.as_deref() != Some(c.city.as_str())
        })
        .count();
    assert!(
        elsewhere > 0,
        "no card payment in another home-country city"
    );
    let airlines = s
        .txns
        .iter()
        .filter(|t| {
            t.merchant_id
                .as_ref()
                .is_some_and(|m| s.merchants[m].mcc == "4511")
        })
        .count();
    assert!(airlines > 0, "nobody flew");
}

#[tokio::test]
async fn volumes_and_incomes_are_plausible() {
    let (customers, months) = (30u32, 3u32);
    let db = bank(8, customers, months).await;
    let s = Snapshot::read(&db.pool).await;
    let per_customer_month = s.txns.len() as f64 / f64::from(customers * months);
    assert!(
        (20.0..=35.0).contains(&per_customer_month),
        "{per_customer_month:.1} per customer-month"
    );
    let sum = |kinds: &[&str]| -> i64 {
        s.txns
            .iter()
            .filter(|t| kinds.contains(&t.kind.as_str()))
            .map(|t| t.amount)
            .sum()
    };
    // Per currency, so rupees and dollars are not added together.
    for currency in ["INR", "USD"] {
        let of = |kinds: &[&str]| -> i64 {
            s.txns
                .iter()
                .filter(|t| t.currency == currency && kinds.contains(&t.kind.as_str()))
                .map(|t| t.amount)
                .sum()
        };
        let income = of(&["salary"]);
        let spending = -of(&["card_payment", "subscription", "rent", "bill"]);
        assert!(
            income > spending,
            "{currency}: salary {income} below spending {spending}"
        );
        assert!(
            spending > income / 3,
            "{currency}: spending {spending} implausibly low for salary {income}"
        );
    }
    assert!(sum(&["salary"]) > 0);
    // Everyone is paid once a month.
    for c in &s.customers {
        let salaries = s
            .txns
            .iter()
            .filter(|t| t.kind == "salary" && s.accounts[&t.account_id].customer_id == c.id)
            .count();
        assert_eq!(salaries, months as usize, "{}", c.id);
    }
}

#[tokio::test]
async fn times_fall_in_the_window_on_the_local_date() {
    let db = bank(9, 30, 3).await;
    let s = Snapshot::read(&db.pool).await;
    let zones: HashMap<&str, TimeZone> = s
        .customers
        .iter()
        .map(|c| {
            (
                c.time_zone.as_str(),
                TimeZone::get(&c.time_zone).expect("zone"),
            )
        })
        .collect();
    let (first, last) = ("2025-01-01", "2025-03-31");
    let mut home_meals = 0;
    for t in &s.txns {
        let c = s.customer_of(&t.account_id);
        let local = Timestamp::from_second(t.booked_at)
            .unwrap()
            .to_zoned(zones[c.time_zone.as_str()].clone());
        assert_eq!(local.date().to_string(), t.value_date, "{t:?}");
        assert!(
            t.value_date.as_str() >= first && t.value_date.as_str() <= last,
            "{}",
            t.value_date
        );
        let hour = local.hour();
        if t.kind == "salary" {
            assert!((6..10).contains(&hour), "salary at {hour}h");
        }
        let restaurant = t
            .merchant_id
            .as_ref()
            .is_some_and(|m| s.merchants[m].mcc == "5812" && !s.merchants[m].online);
        if restaurant && t.city.as_deref() == Some(c.city.as_str()) {
            home_meals += 1;
            assert!(
                (12..15).contains(&hour) || (19..23).contains(&hour),
                "restaurant at {hour}h: {t:?}"
            );
        }
    }
    assert!(home_meals > 10, "{home_meals} restaurant meals");
}

#[tokio::test]
async fn repayments_pair_up_and_subscriptions_recur() {
    let db = bank(10, 40, 3).await;
    let s = Snapshot::read(&db.pool).await;
    let repayments: Vec<&Txn> = s
        .txns
        .iter()
        .filter(|t| t.kind == "card_repayment")
        .collect();
    assert!(!repayments.is_empty());
    for credit in repayments.iter().filter(|t| t.amount > 0) {
        let owner = &s.accounts[&credit.account_id].customer_id;
        let debit = repayments.iter().find(|d| {
            d.amount == -credit.amount
                && d.booked_at == credit.booked_at
                && &s.accounts[&d.account_id].customer_id == owner
        });
        let debit = debit.unwrap_or_else(|| panic!("no deposit debit for {credit:?}"));
        assert_ne!(s.accounts[&debit.account_id].kind, "credit_card");
    }
    assert_eq!(
        repayments.iter().filter(|t| t.amount > 0).count(),
        repayments.iter().filter(|t| t.amount < 0).count()
    );
    // A subscription is charged to the same merchant on the same card every month.
    let mut monthly: HashMap<(&str, &str), usize> = HashMap::new();
    for t in s.txns.iter().filter(|t| t.kind == "subscription") {
        *monthly
            .entry((
                t.card_id.as_deref().unwrap(),
                t.merchant_id.as_deref().unwrap(),
            ))
            .or_default() += 1;
    }
    assert!(!monthly.is_empty());
    assert!(
        monthly.values().filter(|&&n| n == 3).count() * 2 >= monthly.len(),
        "{monthly:?}"
    );
}

#[tokio::test]
async fn meta_records_the_parameters_and_a_full_bank_is_refused() {
    let p = params(11, 5, 1);
    let (db, report) = bank_with(&p, BATCH).await;
    let meta: HashMap<String, String> = sqlx::query_as("SELECT key, value FROM meta")
        .fetch_all(&db.pool)
        .await
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(meta["sim.seed"], "11");
    assert_eq!(meta["sim.customers"], "5");
    assert_eq!(meta["sim.months"], "1");
    assert_eq!(meta["sim.end"], "2025-03-31");
    assert_eq!(report.customers, 5);
    let counted: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM transactions")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(report.transactions, counted as u64);
    let again = populate(&db.pool, &p, "x", &|_| {}).await;
    assert!(
        matches!(again, Err(sqlx::Error::InvalidArgument(_))),
        "{again:?}"
    );
}

#[tokio::test]
async fn progress_is_reported_after_every_batch() {
    let db = TempDb::new().await;
    let seen = std::sync::Mutex::new(Vec::new());
    populate_in_batches(
        &db.pool,
        &params(12, 10, 1),
        "x",
        &|n| seen.lock().unwrap().push(n),
        4,
    )
    .await
    .unwrap();
    assert_eq!(*seen.lock().unwrap(), vec![4, 8, 10]);
}
