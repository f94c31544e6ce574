//! The entity extractor, in English, Hindi (Devanagari) and Hinglish.
//!
//! "Today" is Wednesday 18 June 2025 throughout.

use anumati_domain::{Category, Currency, Money};
use anumati_nlu::entities::{extract, Context, Entities};
use jiff::civil::{date, Date};
use proptest::prelude::*;

const TODAY: Date = date(2025, 6, 18);

fn strings(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|s| (*s).to_owned()).collect()
}

struct Fixture {
    merchants: Vec<String>,
    places: Vec<String>,
    payees: Vec<String>,
}

impl Fixture {
    fn new() -> Self {
        Fixture {
            merchants: strings(&[
                "Amazon",
                "Swiggy",
                "Swiggy Instamart",
                "Big Bazaar",
                "Zomato",
                "Flipkart",
                "Uber",
                "Ola",
                "Netflix",
                "DMart",
                "Paytm",
            ]),
            places: strings(&["Mumbai", "Bengaluru", "Delhi", "New York", "Pune"]),
            payees: strings(&["Priya Sharma", "Priya Patel", "Rahul Verma", "Amit Kumar"]),
        }
    }

    fn ctx(&self, currency: Currency) -> Context<'_> {
        Context {
            today: TODAY,
            merchants: &self.merchants,
            places: &self.places,
            payees: &self.payees,
            default_currency: currency,
        }
    }
}

fn inr(text: &str) -> Entities {
    extract(text, &Fixture::new().ctx(Currency::INR))
}

fn usd(text: &str) -> Entities {
    extract(text, &Fixture::new().ctx(Currency::USD))
}

/// The period as (start, end).
fn period(e: &Entities) -> Option<(Date, Date)> {
    e.period.as_ref().map(|p| (p.start, p.end))
}

fn day(m: i8, d: i8) -> (Date, Date) {
    (date(2025, m, d), date(2025, m, d))
}

fn rupees(minor: i64) -> Option<Money> {
    Some(Money::from_minor(minor, Currency::INR))
}

fn dollars(minor: i64) -> Option<Money> {
    Some(Money::from_minor(minor, Currency::USD))
}

// ------------------------------------------------------------------ periods

#[test]
fn today_and_yesterday_in_three_languages() {
    for text in [
        "what did I spend today",
        "आज कितना खर्च हुआ",
        "aaj kitna kharch hua",
    ] {
        assert_eq!(period(&inr(text)), Some(day(6, 18)), "{text}");
    }
    for text in [
        "how much did I spend yesterday",
        "कल कितना खर्च किया",
        "kal kitna kharch kiya",
        "kal ka kharcha",
    ] {
        let e = inr(text);
        assert_eq!(period(&e), Some(day(6, 17)), "{text}");
        assert_eq!(e.period.unwrap().label, "yesterday");
    }
    for text in [
        "परसों कितना खर्च हुआ",
        "parso kya kharida",
        "parson kitna gaya",
    ] {
        assert_eq!(period(&inr(text)), Some(day(6, 16)), "{text}");
    }
}

#[test]
fn kal_means_tomorrow_when_the_verb_is_future() {
    for text in [
        "कल 500 भेजना है",
        "kal bhej dena",
        "कल भेजूँगा",
        "kal Priya ko 500 bhej do",
        "kal rent pay karna hai",
        "kal kitna kharch hoga",
        "will I be charged kal?",
        "send 500 to Rahul kal",
    ] {
        let e = inr(text);
        assert_eq!(period(&e), Some(day(6, 19)), "{text}");
        assert_eq!(e.period.unwrap().label, "tomorrow", "{text}");
    }
    assert_eq!(period(&inr("parso bhej dena")), Some(day(6, 20)));
    assert_eq!(period(&inr("परसों भेजेंगे")), Some(day(6, 20)));
    assert_eq!(period(&inr("kal recharge kar do")), Some(day(6, 19)));
    assert_eq!(period(&inr("kal bhej dijiye")), Some(day(6, 19)));
    // a generic imperative is not a payment: "show me yesterday's"
    assert_eq!(
        period(&inr("kal ka statement dikha dijiye")),
        Some(day(6, 17))
    );
    assert_eq!(period(&inr("कल का खर्च बताओ")), Some(day(6, 17)));
    // "do" before a scale is the number two
    assert_eq!(period(&inr("kal do hazaar gaye")), Some(day(6, 17)));
    // the last marker wins: "dena pada" is past
    assert_eq!(period(&inr("kal kitna dena pada")), Some(day(6, 17)));
    assert_eq!(period(&inr("कल कितने पैसे लगे")), Some(day(6, 17)));
    // explicit words are not overridden
    assert_eq!(period(&inr("send 500 to Rahul tomorrow")), Some(day(6, 19)));
    assert_eq!(period(&inr("pay yesterday's bill")), Some(day(6, 17)));
}

#[test]
fn weeks() {
    let last = Some((date(2025, 6, 9), date(2025, 6, 15)));
    for text in [
        "spending last week",
        "पिछले हफ्ते",
        "पिछले हफ़्ते का खर्च",
        "pichle hafte kitna gaya",
        "pichhle week",
    ] {
        let e = inr(text);
        assert_eq!(period(&e), last, "{text}");
        assert_eq!(e.period.unwrap().label, "last week");
    }
    let this = Some((date(2025, 6, 16), date(2025, 6, 18)));
    for text in ["this week", "इस हफ्ते", "is hafte"] {
        assert_eq!(period(&inr(text)), this, "{text}");
    }
    assert_eq!(
        period(&inr("agle hafte bhejna hai")),
        Some((date(2025, 6, 23), date(2025, 6, 29)))
    );
}

#[test]
fn months() {
    let last = Some((date(2025, 5, 1), date(2025, 5, 31)));
    for text in [
        "last month",
        "पिछले महीने",
        "pichhle mahine",
        "pichle mahine ka kharcha",
        "previous month",
    ] {
        let e = inr(text);
        assert_eq!(period(&e), last, "{text}");
        assert_eq!(e.period.unwrap().label, "last month");
    }
    let this = Some((date(2025, 6, 1), date(2025, 6, 18)));
    for text in ["this month", "इस महीने", "is mahine", "iss month"] {
        assert_eq!(period(&inr(text)), this, "{text}");
    }
}

#[test]
fn named_months_are_the_most_recent_not_in_the_future() {
    let march = Some((date(2025, 3, 1), date(2025, 3, 31)));
    for text in [
        "in March",
        "मार्च में",
        "march mein",
        "march me kitna gaya",
        "Mar 2025",
        "March 2025",
        "मार्च 2025",
    ] {
        let e = inr(text);
        assert_eq!(period(&e), march, "{text}");
        assert_eq!(e.period.unwrap().label, "March 2025");
    }
    assert_eq!(
        period(&inr("in August")),
        Some((date(2024, 8, 1), date(2024, 8, 31)))
    );
    assert_eq!(
        period(&inr("march 2024")),
        Some((date(2024, 3, 1), date(2024, 3, 31)))
    );
    // the current month ends today
    assert_eq!(
        period(&inr("june mein")),
        Some((date(2025, 6, 1), date(2025, 6, 18)))
    );
    // "may" the verb is no month; "in may" is
    assert_eq!(inr("may I see my balance").period, None);
    assert_eq!(
        period(&inr("spent in may")),
        Some((date(2025, 5, 1), date(2025, 5, 31)))
    );
}

#[test]
fn rolling_windows() {
    let three = Some((date(2025, 3, 19), date(2025, 6, 18)));
    for text in [
        "last 3 months",
        "पिछले 3 महीने",
        "पिछले ३ महीने",
        "पिछले तीन महीनों में",
        "pichle 3 mahine",
        "pichle teen mahine",
        "in the past 3 months",
    ] {
        let e = inr(text);
        assert_eq!(period(&e), three, "{text}");
        assert_eq!(e.period.unwrap().label, "last 3 months");
        assert_eq!(e.count, None, "{text}");
        assert_eq!(e.amount, None, "{text}");
    }
    for text in ["past 10 days", "pichle 10 din", "पिछले 10 दिन"] {
        assert_eq!(
            period(&inr(text)),
            Some((date(2025, 6, 9), date(2025, 6, 18))),
            "{text}"
        );
    }
    for text in ["3 days ago", "3 din pehle", "3 दिन पहले"] {
        assert_eq!(period(&inr(text)), Some(day(6, 15)), "{text}");
    }
}

#[test]
fn years() {
    let last = Some((date(2024, 1, 1), date(2024, 12, 31)));
    for text in ["last year", "पिछले साल", "pichle saal", "in 2024", "2024 में"]
    {
        assert_eq!(period(&inr(text)), last, "{text}");
    }
    assert_eq!(
        period(&inr("this year")),
        Some((date(2025, 1, 1), date(2025, 6, 18)))
    );
    assert_eq!(
        period(&inr("is financial year")),
        Some((date(2025, 4, 1), date(2025, 6, 18)))
    );
    assert_eq!(inr("last fy").period.unwrap().label, "FY 2024-25");
}

#[test]
fn since_and_between() {
    let since_may = Some((date(2025, 5, 1), date(2025, 6, 18)));
    for text in [
        "since 1 May",
        "since May 1st",
        "1 मई से",
        "1 may se ab tak",
        "from 1st may",
    ] {
        let e = inr(text);
        assert_eq!(period(&e), since_may, "{text}");
        assert_eq!(e.amount, None, "{text}");
    }
    let first_half = Some((date(2025, 6, 1), date(2025, 6, 15)));
    for text in [
        "between 1 and 15 June",
        "1-15 June",
        "from 1 to 15 june",
        "1 से 15 जून तक",
        "1 se 15 june tak",
    ] {
        let e = inr(text);
        assert_eq!(period(&e), first_half, "{text}");
        assert_eq!(
            (e.amount, e.amount_min, e.amount_max),
            (None, None, None),
            "{text}"
        );
    }
    assert_eq!(
        period(&inr("between march and may")),
        Some((date(2025, 3, 1), date(2025, 5, 31)))
    );
    assert_eq!(
        period(&inr("since last week")),
        Some((date(2025, 6, 9), date(2025, 6, 18)))
    );
}

#[test]
fn single_days_weekdays_and_weekends() {
    assert_eq!(period(&inr("on 5 June")), Some(day(6, 5)));
    assert_eq!(period(&inr("June 5th")), Some(day(6, 5)));
    assert_eq!(period(&inr("5 जून को")), Some(day(6, 5)));
    // a day later in the year than today is last year's, in the past tense
    assert_eq!(
        period(&inr("on 20 June")),
        Some((date(2024, 6, 20), date(2024, 6, 20)))
    );
    // numeric dates: day first in India, month first in the US
    assert_eq!(period(&inr("on 5/6/2025")), Some(day(6, 5)));
    assert_eq!(period(&usd("on 5/6/2025")), Some(day(5, 6)));
    assert_eq!(period(&inr("2025-06-05")), Some(day(6, 5)));
    assert_eq!(
        period(&inr("last weekend")),
        Some((date(2025, 6, 14), date(2025, 6, 15)))
    );
    assert_eq!(
        period(&inr("pichle weekend pe kitna udaya")),
        Some((date(2025, 6, 14), date(2025, 6, 15)))
    );
    assert_eq!(period(&inr("on monday")), Some(day(6, 16)));
    assert_eq!(period(&inr("सोमवार को")), Some(day(6, 16)));
    assert_eq!(period(&inr("last wednesday")), Some(day(6, 11)));
    assert_eq!(period(&inr("next monday bhejna")), Some(day(6, 23)));
    assert_eq!(
        inr("the month before last")
            .period
            .map(|p| (p.start, p.end, p.label)),
        Some((
            date(2025, 4, 1),
            date(2025, 4, 30),
            "month before last".to_owned()
        ))
    );
}

#[test]
fn follow_ups_step_back() {
    for text in [
        "and the month before?",
        "what about the week before",
        "before that?",
        "usse pehle wala mahina",
        "aur usse pehle?",
        "उससे पहले",
        "उससे पहले वाला महीना",
    ] {
        let e = inr(text);
        assert!(e.previous_period, "{text}");
        assert_eq!(e.period, None, "{text}");
    }
    let e = inr("the month before last");
    assert!(!e.previous_period);
    assert!(!inr("last month").previous_period);
}

// ------------------------------------------------------------------ amounts

#[test]
fn rupee_amounts() {
    let cases: &[(&str, i64)] = &[
        ("pay ₹500", 50_000),
        ("Rs 500", 50_000),
        ("rs. 5,000", 500_000),
        ("Rs.5000", 500_000),
        ("INR 500", 50_000),
        ("500 rupees", 50_000),
        ("500 रुपये", 50_000),
        ("₹५००", 50_000),
        ("5k", 500_000),
        ("Rs 5k", 500_000),
        ("₹5K", 500_000),
        ("2.5 lakh", 25_000_000),
        ("2.5L", 25_000_000),
        ("1 crore", 1_000_000_000),
        ("1.25 cr", 1_250_000_000),
        ("2,50,000", 25_000_000),
        ("250,000", 25_000_000),
        ("₹1,23,45,678.50", 1_234_567_850),
        ("₹5.50", 550),
        ("5000/-", 500_000),
    ];
    for (text, minor) in cases {
        assert_eq!(inr(text).amount, rupees(*minor), "{text}");
    }
}

#[test]
fn hindi_and_hinglish_amounts() {
    let cases: &[(&str, i64)] = &[
        ("5 हज़ार", 500_000),
        ("5 हजार", 500_000),
        ("5 hazaar", 500_000),
        ("5 hazar bhej do", 500_000),
        ("paanch sau", 50_000),
        ("दो लाख", 20_000_000),
        ("डेढ़ हज़ार", 150_000),
        ("dedh hazaar", 150_000),
        ("ढाई लाख", 25_000_000),
        ("dhai lakh", 25_000_000),
        ("सवा सौ", 12_500),
        ("sava sau", 12_500),
        ("सवा लाख", 12_500_000),
        ("sawa do lakh", 22_500_000),
        ("साढ़े तीन हज़ार", 350_000),
        ("sadhe teen hazaar", 350_000),
        ("saadhe 3 hazar", 350_000),
        ("पौने दो लाख", 17_500_000),
        ("डेढ़ सौ रुपये", 15_000),
        ("1 lakh 20 hazaar", 12_000_000),
        ("एक लाख बीस हज़ार", 12_000_000),
        ("do hazaar paanch sau", 250_000),
        ("2 crore 50 lakh", 2_500_000_000),
    ];
    for (text, minor) in cases {
        assert_eq!(inr(text).amount, rupees(*minor), "{text}");
    }
}

#[test]
fn dollar_amounts_and_default_currency() {
    assert_eq!(inr("$20").amount, dollars(2_000));
    assert_eq!(inr("USD 20.50").amount, dollars(2_050));
    assert_eq!(inr("20 dollars").amount, dollars(2_000));
    assert_eq!(inr("twenty dollars").amount, dollars(2_000));
    assert_eq!(usd("pay 20").amount, dollars(2_000));
    assert_eq!(usd("send 1.5k to Rahul").amount, dollars(150_000));
    assert_eq!(usd("2m").amount, dollars(200_000_000));
    assert_eq!(inr("pay 500").amount, rupees(50_000));
    assert_eq!(usd("₹500").amount, rupees(50_000));
}

#[test]
fn amounts_are_never_rounded() {
    for text in [
        "₹5.555",
        "pay 5.555",
        "$0.001",
        "₹0",
        "Rs 0.00",
        "99999999999999999999999 crore",
    ] {
        let e = inr(text);
        assert_eq!(e.amount, None, "{text}");
    }
    // trailing zeros are not rounding
    assert_eq!(inr("₹5.550").amount, rupees(555));
    // exact with a scale: 2.555 lakh is whole rupees
    assert_eq!(inr("2.555 lakh").amount, rupees(25_550_000));
    // a refused amount is not reread as another
    assert_eq!(inr("pay 5.555 now").amount, None);
}

#[test]
fn numbers_that_are_not_money() {
    for text in [
        "at 5 pm",
        "10% off",
        "my 5th order",
        "card ending 1234",
        "call 9876543210",
        "5 transactions",
        "1,2,3",
    ] {
        let e = inr(text);
        assert_eq!(e.amount, None, "{text}");
    }
}

#[test]
fn bounds_and_ranges() {
    let e = inr("transactions above ₹500");
    assert_eq!(
        (e.amount, e.amount_min, e.amount_max),
        (None, rupees(50_000), None)
    );
    for text in [
        "over 500",
        "more than Rs 500",
        "at least 500",
        "500 se zyada",
        "500 से ज़्यादा",
        "500 से अधिक",
        "500 ke upar",
        "500 or more",
    ] {
        let e = inr(text);
        assert_eq!(
            (e.amount, e.amount_min, e.amount_max),
            (None, rupees(50_000), None),
            "{text}"
        );
    }
    for text in [
        "under 500",
        "below ₹500",
        "less than 500",
        "500 से कम",
        "500 se kam",
        "upto 500",
        "500 tak",
    ] {
        let e = inr(text);
        assert_eq!(
            (e.amount, e.amount_min, e.amount_max),
            (None, None, rupees(50_000)),
            "{text}"
        );
    }
    for text in [
        "between 1k and 5k",
        "1k-5k",
        "from 1000 to 5000",
        "1 se 5 hazaar tak",
        "1000 और 5000 के बीच",
        "₹1,000 to ₹5,000",
    ] {
        let e = inr(text);
        assert_eq!(
            (e.amount, e.amount_min, e.amount_max),
            (None, rupees(100_000), rupees(500_000)),
            "{text}"
        );
    }
    // bounds the wrong way round make the range they would the right way round
    let e = inr("over 5000 and under 1000");
    assert_eq!(
        (e.amount_min, e.amount_max),
        (rupees(100_000), rupees(500_000))
    );
    let e = inr("2 se 5 lakh tak");
    assert_eq!(
        (e.amount_min, e.amount_max),
        (rupees(20_000_000), rupees(50_000_000))
    );
    let e = inr("500 to 5k");
    assert_eq!(
        (e.amount_min, e.amount_max),
        (rupees(50_000), rupees(500_000))
    );
    let e = usd("under $50 at amazon");
    assert_eq!(e.amount_max, dollars(5_000));
    assert_eq!(e.merchant.as_deref(), Some("Amazon"));
}

// ---------------------------------------------------------------- merchants

#[test]
fn merchants_fuzzy() {
    let cases: &[(&str, &str)] = &[
        ("amzn orders", "Amazon"),
        ("AMAZON", "Amazon"),
        ("swigy pe kitna gaya", "Swiggy"),
        ("big bazar", "Big Bazaar"),
        ("bigbazaar", "Big Bazaar"),
        ("flipkrat", "Flipkart"),
        ("zomoto last month", "Zomato"),
        ("netflx subscription", "Netflix"),
        ("d-mart", "DMart"),
        ("instamart", "Swiggy Instamart"),
        ("अमेज़न पर कितना खर्च किया", "Amazon"),
        ("स्विगी", "Swiggy"),
        ("ज़ोमैटो पर", "Zomato"),
    ];
    for (text, merchant) in cases {
        let e = inr(text);
        assert_eq!(e.merchant.as_deref(), Some(*merchant), "{text}: {e:?}");
        assert!(e.merchant_candidates.is_empty(), "{text}");
    }
}

#[test]
fn ordinary_words_never_match_merchants() {
    let merchants = strings(&[
        "On",
        "The Store",
        "Me Time",
        "Kal Bakery",
        "Ola",
        "Uber",
        "Rento",
        "Amazon",
    ]);
    let ctx = Context {
        today: TODAY,
        merchants: &merchants,
        places: &[],
        payees: &[],
        default_currency: Currency::INR,
    };
    for text in [
        "on",
        "show me the money",
        "kal kitna kharch kiya",
        "what did I spend on rent",
        "ola ola",
        "the",
        "me",
        "मुझे कल का खर्च बताओ",
        "that was amazing",
    ] {
        let e = extract(text, &ctx);
        let hits: Vec<_> = e.merchant.iter().chain(&e.merchant_candidates).collect();
        let allowed = text.starts_with("ola");
        assert!(allowed || hits.is_empty(), "{text}: {hits:?}");
    }
    // a name spelt exactly in full still matches
    assert_eq!(
        extract("kal bakery", &ctx).merchant.as_deref(),
        Some("Kal Bakery")
    );
}

#[test]
fn ambiguous_merchants_are_candidates() {
    let merchants = strings(&["Amazon Pay", "Amazon Fresh", "Swiggy"]);
    let ctx = Context {
        today: TODAY,
        merchants: &merchants,
        places: &[],
        payees: &[],
        default_currency: Currency::INR,
    };
    let e = extract("amazon pe kitna gaya", &ctx);
    assert_eq!(e.merchant, None);
    assert_eq!(e.merchant_candidates, ["Amazon Pay", "Amazon Fresh"]);
    let e = extract("amazon fresh", &ctx);
    assert_eq!(e.merchant.as_deref(), Some("Amazon Fresh"));
    assert!(e.merchant_candidates.is_empty());
}

// --------------------------------------------------------------- categories

#[test]
fn categories_in_three_languages() {
    let cases: &[(&str, Category)] = &[
        ("how much on food", Category::Food),
        ("eating out last month", Category::Food),
        ("restaurants", Category::Food),
        ("khane pe kitna gaya", Category::Food),
        ("खाना", Category::Food),
        ("groceries", Category::Groceries),
        ("kirana ka kharcha", Category::Groceries),
        ("राशन", Category::Groceries),
        ("sabzi", Category::Groceries),
        ("travel", Category::Travel),
        ("flights this year", Category::Travel),
        ("यात्रा", Category::Travel),
        ("safar", Category::Travel),
        ("taxi", Category::Transport),
        ("auto ka kharcha", Category::Transport),
        ("metro", Category::Transport),
        ("petrol", Category::Fuel),
        ("पेट्रोल पर", Category::Fuel),
        ("shopping", Category::Shopping),
        ("खरीदारी", Category::Shopping),
        ("kharidari", Category::Shopping),
        ("movies", Category::Entertainment),
        ("मनोरंजन", Category::Entertainment),
        ("medicine", Category::Health),
        ("pharmacy", Category::Health),
        ("दवा", Category::Health),
        ("dawai", Category::Health),
        ("electricity bill", Category::Utilities),
        ("बिजली का बिल", Category::Utilities),
        ("bijli", Category::Utilities),
        ("school fees", Category::Education),
        ("subscriptions", Category::Subscriptions),
        ("rent", Category::Rent),
        ("किराया", Category::Rent),
        ("kiraya", Category::Rent),
        ("salary", Category::Income),
        ("atm withdrawals", Category::Cash),
        ("नकद", Category::Cash),
        ("restaurent", Category::Food),
    ];
    for (text, cat) in cases {
        assert_eq!(inr(text).category, Some(*cat), "{text}");
    }
    // merchants are not categories
    let e = inr("swiggy");
    assert_eq!((e.category, e.merchant.as_deref()), (None, Some("Swiggy")));
    // phrases that only look like a category
    assert_eq!(inr("auto debit last month").category, None);
    assert_eq!(inr("cashback").category, None);
    // "gas": fuel in the US, the gas bill in India
    assert_eq!(usd("gas").category, Some(Category::Fuel));
    assert_eq!(inr("gas").category, Some(Category::Utilities));
}

// ------------------------------------------------------------------- places

#[test]
fn places_and_their_other_names() {
    let cases: &[(&str, &str)] = &[
        ("spent in Mumbai", "Mumbai"),
        ("in Bombay", "Mumbai"),
        ("मुंबई में", "Mumbai"),
        ("bangalore", "Bengaluru"),
        ("दिल्ली में खर्च", "Delhi"),
        ("NYC trip", "New York"),
        ("new york", "New York"),
        ("poona", "Pune"),
        ("mumbay", "Mumbai"),
    ];
    for (text, place) in cases {
        assert_eq!(inr(text).place.as_deref(), Some(*place), "{text}");
    }
    // a word of a longer place name is not the place
    assert_eq!(inr("bought a new phone").place, None);
    // aliases map to the bank's own spelling
    let places = strings(&["Bangalore"]);
    let ctx = Context {
        today: TODAY,
        merchants: &[],
        places: &places,
        payees: &[],
        default_currency: Currency::INR,
    };
    assert_eq!(
        extract("bengaluru", &ctx).place.as_deref(),
        Some("Bangalore")
    );
}

// ------------------------------------------------------------------- counts

#[test]
fn counts() {
    let cases: &[(&str, u32)] = &[
        ("last 5 transactions", 5),
        ("top 3 merchants", 3),
        ("show my last 10", 10),
        ("पिछले 10 लेन-देन", 10),
        ("pichle 10 transactions", 10),
        ("aakhri 5 payments", 5),
        ("5 transactions", 5),
        ("last five transactions", 5),
    ];
    for (text, n) in cases {
        let e = inr(text);
        assert_eq!(e.count, Some(*n), "{text}");
        assert_eq!(e.period, None, "{text}");
        assert_eq!(e.amount, None, "{text}");
    }
    let e = inr("पिछले 3 महीने");
    assert_eq!(e.count, None);
    assert!(e.period.is_some());
    let e = inr("last 5 swiggy orders");
    assert_eq!((e.count, e.merchant.as_deref()), (Some(5), Some("Swiggy")));
}

// ------------------------------------------------------------------- payees

#[test]
fn payees() {
    let e = inr("send ₹500 to Rahul");
    assert_eq!(e.payee.as_deref(), Some("Rahul Verma"));
    assert_eq!(e.amount, rupees(50_000));
    let e = inr("Amit ko 2k bhej do");
    assert_eq!(e.payee.as_deref(), Some("Amit Kumar"));
    assert_eq!(e.amount, rupees(200_000));
    // two Priyas: ask which
    for text in [
        "Priya ko 500 bhej do",
        "send ₹500 to Priya",
        "प्रिया को 500 भेजो",
    ] {
        let e = inr(text);
        assert_eq!(e.payee, None, "{text}");
        assert_eq!(
            e.payee_candidates,
            ["Priya Sharma", "Priya Patel"],
            "{text}"
        );
        assert_eq!(e.amount, rupees(50_000), "{text}");
    }
    let e = inr("pay priya sharma 500");
    assert_eq!(e.payee.as_deref(), Some("Priya Sharma"));
    assert!(e.payee_candidates.is_empty());
    // fuzzy and transliterated, with one Priya
    let payees = strings(&["Priya Sharma", "Pooja Singh"]);
    let ctx = Context {
        today: TODAY,
        merchants: &[],
        places: &[],
        payees: &payees,
        default_currency: Currency::INR,
    };
    for (text, payee) in [
        ("pirya ko 500", "Priya Sharma"),
        ("प्रिया को 500 भेजो", "Priya Sharma"),
        ("पूजा को 1000", "Pooja Singh"),
        ("puja ko 1000", "Pooja Singh"),
    ] {
        assert_eq!(extract(text, &ctx).payee.as_deref(), Some(payee), "{text}");
    }
}

// -------------------------------------------------------------------- whole

#[test]
fn a_whole_message() {
    let e = inr("pichle mahine Mumbai mein swigy pe 500 se zyada wale kitne the?");
    assert_eq!(period(&e), Some((date(2025, 5, 1), date(2025, 5, 31))));
    assert_eq!(e.place.as_deref(), Some("Mumbai"));
    assert_eq!(e.merchant.as_deref(), Some("Swiggy"));
    assert_eq!(e.amount_min, rupees(50_000));
    let e = inr("पिछले ३ महीने में खाने पर ₹5,000 से ज़्यादा कितनी बार खर्च किया");
    assert_eq!(e.period.unwrap().label, "last 3 months");
    assert_eq!(e.category, Some(Category::Food));
    assert_eq!(e.amount_min, rupees(500_000));
}

#[test]
fn serialises_without_empty_fields() {
    let e = inr("last month swiggy over 500");
    let json = serde_json::to_value(&e).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "period": {"start": "2025-05-01", "end": "2025-05-31", "label": "last month"},
            "amount_min": {"amount": "500.00", "currency": "INR"},
            "merchant": "Swiggy"
        })
    );
    assert_eq!(serde_json::from_value::<Entities>(json).unwrap(), e);
    let e = inr("usse pehle");
    assert_eq!(
        serde_json::to_value(&e).unwrap(),
        serde_json::json!({"previous_period": true})
    );
    assert_eq!(serde_json::to_string(&inr("")).unwrap(), "{}");
}

#[test]
fn long_messages_are_cut_at_a_space() {
    let long = format!("{} pay ₹500", "blah ".repeat(1_000));
    assert_eq!(inr(&long).amount, None);
    let long = format!("pay ₹500 {}", "अमेज़न ".repeat(1_000));
    let e = inr(&long);
    assert_eq!(e.amount, rupees(50_000));
    assert_eq!(e.merchant.as_deref(), Some("Amazon"));
}

// --------------------------------------------------------------- properties

fn positive(e: &Entities) -> bool {
    [e.amount, e.amount_min, e.amount_max]
        .iter()
        .flatten()
        .all(|m| m.minor() > 0)
}

const VOCAB: &[&str] = &[
    "₹",
    "rs",
    ".",
    "$",
    "5",
    "500",
    "5.555",
    "2,50,000",
    "k",
    "lakh",
    "crore",
    "हज़ार",
    "डेढ़",
    "सवा",
    "साढ़े",
    "तीन",
    "sadhe",
    "do",
    "between",
    "and",
    "to",
    "-",
    "/",
    "se",
    "से",
    "tak",
    "तक",
    "zyada",
    "कम",
    "over",
    "under",
    "last",
    "pichle",
    "पिछले",
    "3",
    "महीने",
    "mahine",
    "days",
    "kal",
    "कल",
    "परसों",
    "march",
    "may",
    "मई",
    "2025",
    "1",
    "15",
    "june",
    "since",
    "ago",
    "pehle",
    "usse",
    "उससे",
    "the",
    "month",
    "before",
    "weekend",
    "monday",
    "top",
    "transactions",
    "लेन",
    "देन",
    "amzn",
    "swigy",
    "big",
    "bazar",
    "priya",
    "प्रिया",
    "ko",
    "bhej",
    "dena",
    "hai",
    "है",
    "भेजूँगा",
    "bombay",
    "मुंबई",
    "food",
    "gas",
    "fy",
    "this",
    "is",
    "31",
    "29",
    "feb",
    "9999",
    "99999999999999999999",
    "0",
    "0.00",
    "%",
    "pm",
    "'",
];

fn context_strategy() -> impl Strategy<Value = (i16, i8, i8)> {
    (-9999i16..=9999, 1i8..=12, 1i8..=28)
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_text(text in any::<String>(), (y, m, d) in context_strategy()) {
        let f = Fixture::new();
        let ctx = Context { today: date(y, m, d), ..f.ctx(Currency::INR) };
        let e = extract(&text, &ctx);
        prop_assert!(positive(&e));
    }

    #[test]
    fn never_panics_on_likely_words(
        words in prop::collection::vec(prop::sample::select(VOCAB), 0..12),
        (y, m, d) in context_strategy(),
        usd in any::<bool>(),
    ) {
        let f = Fixture::new();
        let currency = if usd { Currency::USD } else { Currency::INR };
        let ctx = Context { today: date(y, m, d), ..f.ctx(currency) };
        let e = extract(&words.join(" "), &ctx);
        prop_assert!(positive(&e));
        if let Some(p) = &e.period {
            prop_assert!(p.start <= p.end);
        }
        if let (Some(lo), Some(hi)) = (e.amount_min, e.amount_max) {
            prop_assert!(lo.currency() != hi.currency() || lo.minor() <= hi.minor());
        }
        prop_assert!(e.merchant.is_none() || e.merchant_candidates.is_empty());
        prop_assert!(e.merchant_candidates.len() != 1);
        prop_assert!(e.payee_candidates.len() != 1);
    }
}
