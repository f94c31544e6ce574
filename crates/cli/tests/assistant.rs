//! The assistant end to end on a seeded bank: every figure an answer states
//! is held against the bank's own ledger (SQL over the bank node's
//! database), the conversation keeps its context, actions wait for a "yes",
//! and the replies themselves are pinned by snapshots.

use std::sync::Arc;

use anumati::system::{grant_consent, System};
use anumati_app::Reply;
use anumati_bank::sim::SimParams;
use anumati_domain::consent::ConsentMode;
use anumati_domain::{Currency, Money};
use anumati_store::DataDir;
use anumati_wire::clock::ManualClock;

struct Setup {
    system: System,
    login: String,
    customer: String,
    _dir: tempfile::TempDir,
}

/// Noon in India on 20 November 2026; the bank's history ends the day before.
const NOW: &str = "2026-11-20T06:30:00Z";

async fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::open_or_create(dir.path().join("data")).unwrap();
    let clock = ManualClock::new(NOW.parse().unwrap());
    let system = System::open_with_clock(data, Arc::new(clock))
        .await
        .unwrap();
    let params = SimParams {
        customers: 3,
        months: 4,
        seed: 77,
        end: "2026-11-19".parse().unwrap(),
    };
    system.fill(&params, &|_| {}).await.unwrap();
    // The first Indian customer.
    let mut chosen = None;
    for c in system.bank.store().customers(0, 3).await.unwrap() {
        let accounts = system.bank.store().accounts_of(&c.id).await.unwrap();
        if accounts.iter().all(|a| a.currency == Currency::INR) {
            chosen = Some(c);
            break;
        }
    }
    let customer = chosen.expect("an Indian customer among the first three");
    grant_consent(&system, &customer.login, ConsentMode::View)
        .await
        .unwrap();
    Setup {
        system,
        login: customer.login.clone(),
        customer: customer.id.to_string(),
        _dir: dir,
    }
}

impl Setup {
    async fn say(&self, text: &str) -> Reply {
        self.system.app.chat(&self.login, text).await.unwrap()
    }

    /// Spending by the ledger's definition: money leaving the customer's
    /// accounts in the period, card repayments excepted.
    async fn ledger_spent(&self, from: &str, to: &str, category: Option<&str>) -> i64 {
        sqlx::query_scalar(
            "SELECT COALESCE(SUM(-t.amount_minor), 0) FROM transactions t
             JOIN accounts a ON a.id = t.account_id
             WHERE a.customer_id = ? AND t.amount_minor < 0 AND t.kind != 'card_repayment'
               AND t.value_date BETWEEN ? AND ? AND (? IS NULL OR t.category = ?)",
        )
        .bind(&self.customer)
        .bind(from)
        .bind(to)
        .bind(category)
        .bind(category)
        .fetch_one(self.system.bank.store().pool())
        .await
        .unwrap()
    }

    async fn ledger_received(&self, from: &str, to: &str) -> i64 {
        sqlx::query_scalar(
            "SELECT COALESCE(SUM(t.amount_minor), 0) FROM transactions t
             JOIN accounts a ON a.id = t.account_id
             WHERE a.customer_id = ? AND t.amount_minor > 0 AND t.kind != 'card_repayment'
               AND t.value_date BETWEEN ? AND ?",
        )
        .bind(&self.customer)
        .bind(from)
        .bind(to)
        .fetch_one(self.system.bank.store().pool())
        .await
        .unwrap()
    }
}

fn inr(minor: i64) -> Money {
    Money::from_minor(minor, Currency::INR)
}

/// The single INR total a reply's data carries under `key`.
fn total(reply: &Reply, key: &str) -> i64 {
    let totals: Vec<Money> = serde_json::from_value(reply.data[key].clone())
        .unwrap_or_else(|e| panic!("{key} in {}: {e}", reply.data));
    match totals.as_slice() {
        [] => 0,
        [m] => {
            assert_eq!(m.currency(), Currency::INR);
            m.minor()
        }
        more => panic!("several currencies: {more:?}"),
    }
}

#[tokio::test]
async fn every_figure_an_answer_states_equals_the_ledger() {
    let s = setup().await;

    // Spending last month, in the three languages: the same figure each time.
    let expected = s.ledger_spent("2026-10-01", "2026-10-31", None).await;
    assert!(expected > 0);
    for question in [
        "how much did I spend last month?",
        "पिछले महीने मैंने कितना खर्च किया?",
        "pichle mahine kitna kharch kiya?",
    ] {
        let r = s.say(question).await;
        assert_eq!(r.intent, "spend_summary", "{question}: {}", r.reply);
        assert_eq!(total(&r, "total"), expected, "{question}");
        assert!(
            r.reply.contains(&inr(expected).to_string()),
            "{question}: {}",
            r.reply
        );
        // and each line of the breakdown is the ledger's figure for that category
        for group in r.data["breakdown"].as_array().unwrap() {
            let key = group["key"].as_str().unwrap();
            let by_ledger = s.ledger_spent("2026-10-01", "2026-10-31", Some(key)).await;
            let stated: Vec<Money> = serde_json::from_value(group["total"].clone()).unwrap();
            assert_eq!(stated, [inr(by_ledger)], "{key}");
        }
    }

    // A category and a period.
    let r = s.say("how much did I spend on food in October?").await;
    assert_eq!(r.intent, "spend_summary");
    let food = s
        .ledger_spent("2026-10-01", "2026-10-31", Some("food"))
        .await;
    assert_eq!(total(&r, "total"), food, "{}", r.reply);
    assert!(r.reply.contains(&inr(food).to_string()), "{}", r.reply);

    // This month so far against last month.
    let r = s
        .say("compare my spending this month with last month")
        .await;
    assert_eq!(r.intent, "compare_periods", "{}", r.reply);
    let this = s.ledger_spent("2026-11-01", "2026-11-30", None).await;
    let last = s.ledger_spent("2026-10-01", "2026-10-31", None).await;
    let periods = r.data["periods"].as_array().unwrap();
    let stated = |i: usize| -> i64 {
        let t: Vec<Money> = serde_json::from_value(periods[i]["total"].clone()).unwrap();
        t.first().map_or(0, |m| m.minor())
    };
    assert_eq!((stated(0), stated(1)), (this, last));
    assert!(
        r.reply.contains(&inr((this - last).abs()).to_string()),
        "{}",
        r.reply
    );
    assert!(r.image.is_some(), "a comparison comes with a chart");

    // Income last month.
    let r = s.say("how much salary did I get last month").await;
    assert_eq!(r.intent, "income", "{}", r.reply);
    assert_eq!(
        total(&r, "total"),
        s.ledger_received("2026-10-01", "2026-10-31").await
    );

    // Balances: each account's booked balance is the bank's.
    let r = s.say("what's my balance?").await;
    assert_eq!(r.intent, "balance");
    let customer = anumati_domain::CustomerId::new(s.customer.clone());
    for account in s.system.bank.store().accounts_of(&customer).await.unwrap() {
        let booked = s
            .system
            .bank
            .store()
            .booked_balance(&account)
            .await
            .unwrap();
        let listed = r.data["balances"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["account_id"] == account.id.as_str())
            .expect("every consented account is listed");
        assert_eq!(
            serde_json::from_value::<Money>(listed["booked"].clone()).unwrap(),
            booked
        );
        assert!(r.reply.contains(&booked.to_string()));
    }

    // The largest purchase last month is the ledger's most negative spending entry.
    let r = s.say("what were my biggest purchases last month").await;
    assert_eq!(r.intent, "largest_purchases", "{}", r.reply);
    let most: i64 = sqlx::query_scalar(
        "SELECT MIN(t.amount_minor) FROM transactions t JOIN accounts a ON a.id = t.account_id
         WHERE a.customer_id = ? AND t.amount_minor < 0 AND t.kind != 'card_repayment'
           AND t.value_date BETWEEN '2026-10-01' AND '2026-10-31'",
    )
    .bind(&s.customer)
    .fetch_one(s.system.bank.store().pool())
    .await
    .unwrap();
    let first: Money = serde_json::from_value(r.data["transactions"][0]["amount"].clone()).unwrap();
    assert_eq!(first.minor(), most);
}

#[tokio::test]
async fn follow_ups_keep_the_question_and_change_one_detail() {
    let s = setup().await;
    let r = s.say("how much did I spend on food last month?").await;
    assert_eq!(r.intent, "spend_summary");
    let r = s.say("and the month before?").await;
    assert_eq!(r.intent, "spend_summary", "{}", r.reply);
    assert_eq!(
        total(&r, "total"),
        s.ledger_spent("2026-09-01", "2026-09-30", Some("food"))
            .await,
        "{}",
        r.reply
    );
    // Narrow to one of the customer's own merchants, misspelt.
    let merchant: String = sqlx::query_scalar(
        "SELECT m.name FROM transactions t JOIN accounts a ON a.id = t.account_id
         JOIN merchants m ON m.id = t.merchant_id
         WHERE a.customer_id = ? AND t.value_date BETWEEN '2026-09-01' AND '2026-09-30'
         GROUP BY m.name ORDER BY COUNT(*) DESC, m.name LIMIT 1",
    )
    .bind(&s.customer)
    .fetch_one(s.system.bank.store().pool())
    .await
    .unwrap();
    let r = s.say(&format!("only {}", merchant.to_lowercase())).await;
    assert_eq!(r.intent, "spend_summary", "{}", r.reply);
    assert_eq!(r.data["from"], "2026-09-01", "{}", r.data);
    assert!(r.reply.contains(&merchant), "{}", r.reply);
}

#[tokio::test]
async fn actions_wait_for_yes_and_cancel_at_any_step() {
    let s = setup().await;
    // A payment collects what it needs, then waits; "cancel" ends it.
    let r = s.say("send money").await;
    assert_eq!(r.intent, "pay");
    assert!(r.quick_replies.iter().any(|q| q == "Cancel"));
    let r = s.say("cancel").await;
    assert!(r.reply.starts_with("Cancelled"), "{}", r.reply);
    // Slots filled from one message; two saved Priyas: which one?
    let r = s.say("send 500 to priya").await;
    assert_eq!(r.intent, "pay");
    assert!(r.reply.starts_with("Which one"), "{}", r.reply);
    for name in ["Priya Nair", "Priya Kapoor", "Cancel"] {
        assert!(
            r.quick_replies.iter().any(|q| q == name),
            "{:?}",
            r.quick_replies
        );
    }
    // The bank's terms (payee masked, fee, paying account) and its code.
    let r = s.say("Priya Nair").await;
    assert!(
        r.reply
            .starts_with("Pay ₹500.00 to Priya Nair (XXXXXXXX0001, at another bank)"),
        "{}",
        r.reply
    );
    assert!(r.reply.contains("Fee: ₹2.00"), "{}", r.reply);
    assert_eq!(r.data["payment"]["status"], "awaiting_code");
    let r = s.say("cancel").await;
    assert!(r.reply.starts_with("Cancelled"), "{}", r.reply);
    // One slot at a time; a name that is not a saved payee is asked again.
    let r = s.say("I want to send money").await;
    assert!(r.reply.starts_with("Whom should I pay?"), "{}", r.reply);
    let r = s.say("Rahul Verma").await;
    assert!(r.reply.contains("send to Rahul Verma"), "{}", r.reply);
    let r = s.say("₹1,500").await;
    assert!(
        r.reply
            .contains("cannot find \"Rahul Verma\" among your saved payees"),
        "{}",
        r.reply
    );
    assert!(
        r.quick_replies.iter().any(|q| q == "Priya Kapoor"),
        "{:?}",
        r.quick_replies
    );
    let r = s.say("Priya Kapoor").await;
    assert!(
        r.reply
            .starts_with("Pay ₹1,500.00 to Priya Kapoor (priya.kapoor@okbank"),
        "{}",
        r.reply
    );
    let r = s.say("cancel").await;
    assert!(r.reply.starts_with("Cancelled"), "{}", r.reply);
    // A question in the middle of an action is answered, and the action waits.
    let r = s.say("delete my data").await;
    assert_eq!(r.intent, "delete_data");
    assert_eq!(r.quick_replies, ["Yes", "Cancel"]);
    let r = s.say("what's my balance?").await;
    assert_eq!(r.intent, "balance");
    assert!(r.reply.contains("shall we go on?"), "{}", r.reply);
    let r = s.say("no").await;
    assert!(r.reply.starts_with("Cancelled"), "{}", r.reply);
    let r = s.say("what's my balance?").await;
    assert!(
        r.data["balances"].is_array(),
        "the data is still there: {}",
        r.reply
    );
}

impl Setup {
    /// The customer's money by the ledger: every posting on their accounts.
    async fn ledger_total(&self, customer: &str) -> i64 {
        sqlx::query_scalar(
            "SELECT COALESCE(SUM(p.amount_minor), 0) FROM postings p
             JOIN accounts a ON a.id = p.account_id WHERE a.customer_id = ?",
        )
        .bind(customer)
        .fetch_one(self.system.bank.store().pool())
        .await
        .unwrap()
    }

    /// The one-time code in the newest SMS on the customer's phone.
    async fn last_code(&self) -> String {
        let sms = self
            .system
            .bank
            .store()
            .outbox(&self.customer)
            .await
            .unwrap();
        let body = &sms.last().expect("an SMS").body;
        body.split_whitespace()
            .find(|w| w.len() == 6 && w.bytes().all(|b| b.is_ascii_digit()))
            .expect("a code in the SMS")
            .to_owned()
    }

    async fn sms_count(&self) -> usize {
        self.system
            .bank
            .store()
            .outbox(&self.customer)
            .await
            .unwrap()
            .len()
    }
}

/// A code that is not `code`.
fn wrong(code: &str) -> String {
    let first = (code.as_bytes()[0] - b'0' + 1) % 10;
    format!("{first}{}", &code[1..])
}

#[tokio::test]
async fn a_payment_happens_once_with_its_code_and_the_ledger_agrees() {
    let s = setup().await;
    let me = s.customer.clone();
    let before = s.ledger_total(&me).await;
    // A payee at this bank: one of the next customers, by their saved name.
    let payees = s.system.bank.store().beneficiaries(&me).await.unwrap();
    let friend = payees
        .iter()
        .find(|p| p.internal)
        .expect("a payee at this bank");
    let friend_id: String = sqlx::query_scalar("SELECT id FROM customers WHERE name = ?")
        .bind(&friend.name)
        .fetch_one(s.system.bank.store().pool())
        .await
        .unwrap();
    let friend_before = s.ledger_total(&friend_id).await;

    let r = s
        .say(&format!("send 250 to {} for dinner", friend.name))
        .await;
    assert_eq!(r.intent, "pay", "{}", r.reply);
    assert!(
        r.reply
            .starts_with(&format!("Pay ₹250.00 to {} (", friend.name)),
        "{}",
        r.reply
    );
    assert!(
        r.reply.contains("at this bank") && r.reply.contains("No fee."),
        "{}",
        r.reply
    );
    assert_eq!(r.quick_replies, ["Resend code", "Cancel"]);
    let code = s.last_code().await;
    // "yes" is not the code; a wrong code says how many tries are left.
    let r = s.say("yes").await;
    assert!(r.reply.contains("6-digit code"), "{}", r.reply);
    let r = s.say(&wrong(&code)).await;
    assert!(r.reply.contains("not right. 2 tries left"), "{}", r.reply);
    assert_eq!(s.ledger_total(&me).await, before, "nothing moved yet");
    let r = s.say(&format!("my code is {code}")).await;
    assert!(r.reply.starts_with("Done: ₹250.00 sent to"), "{}", r.reply);
    let payment_id = r.data["payment"]["payment_id"].as_str().unwrap().to_owned();
    assert!(r.reply.contains(&payment_id));
    // Exactly once, by the ledger, on both sides; the note is the reference.
    assert_eq!(s.ledger_total(&me).await, before - 25_000);
    assert_eq!(s.ledger_total(&friend_id).await, friend_before + 25_000);
    let reference: String =
        sqlx::query_scalar("SELECT reference FROM payment_consents WHERE customer_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1")
            .bind(&me)
            .fetch_one(s.system.bank.store().pool())
            .await
            .unwrap();
    assert_eq!(reference, "dinner");
    // The code again pays nothing more: the form is over.
    let r = s.say(&code).await;
    assert_ne!(
        r.data["payment"]["status"], "AcceptedSettlementCompleted",
        "{}",
        r.reply
    );
    assert_eq!(s.ledger_total(&me).await, before - 25_000);

    // To another bank: the fee is charged with it.
    s.say("send 500 to priya").await;
    let r = s.say("Priya Nair").await;
    assert!(r.reply.contains("Fee: ₹2.00"), "{}", r.reply);
    let r = s.say(&s.last_code().await).await;
    assert!(r.reply.contains("on its way to their bank"), "{}", r.reply);
    assert_eq!(s.ledger_total(&me).await, before - 25_000 - 50_200);

    // The payees were read under the consent, and the access log says so.
    let r = s.say("who accessed my data this week?").await;
    assert!(r.reply.contains("read your saved payees"), "{}", r.reply);
}

#[tokio::test]
async fn wrong_codes_resends_and_hindi_end_payments_without_money_moving() {
    let s = setup().await;
    let me = s.customer.clone();
    let before = s.ledger_total(&me).await;
    // Three wrong codes: the bank cancels the payment.
    s.say("send 700 to priya kapoor").await;
    let code = s.last_code().await;
    for left in ["2 tries", "1 try"] {
        let r = s.say(&wrong(&code)).await;
        assert!(r.reply.contains(left), "{}", r.reply);
    }
    let r = s.say(&wrong(&code)).await;
    assert!(
        r.reply
            .starts_with("Not sent: the code was wrong three times"),
        "{}",
        r.reply
    );
    let r = s.say(&code).await;
    assert_ne!(
        r.data["payment"]["status"], "AcceptedSettlementInProcess",
        "{}",
        r.reply
    );

    // A resend texts a new code; the old one no longer works, the new one does.
    let r = s.say("send 100 to priya kapoor").await;
    assert!(r.reply.starts_with("Pay ₹100.00"), "{}", r.reply);
    let first = s.last_code().await;
    let sent = s.sms_count().await;
    let r = s.say("Resend code").await;
    assert!(r.reply.contains("new one-time code"), "{}", r.reply);
    assert_eq!(s.sms_count().await, sent + 1);
    let second = s.last_code().await;
    if first != second {
        let r = s.say(&first).await;
        assert!(!r.reply.starts_with("Done"), "{}", r.reply);
    }
    let r = s.say(&second).await;
    assert!(
        r.reply.starts_with("Done: ₹100.00 sent to Priya Kapoor"),
        "{}",
        r.reply
    );
    assert_eq!(s.ledger_total(&me).await, before - 10_200);

    // Hinglish and Hindi: the terms in Hindi, and "rehne do" cancels at the bank.
    let r = s.say("priya kapoor ko 300 bhej do").await;
    assert_eq!(r.intent, "pay", "{}", r.reply);
    assert!(
        r.reply.contains("को आपके खाते") && r.reply.contains("₹300.00"),
        "{}",
        r.reply
    );
    let r = s.say("rehne do").await;
    assert!(r.reply.contains("रद्द"), "{}", r.reply);
    let status: String = sqlx::query_scalar(
        "SELECT status FROM payment_consents WHERE customer_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1",
    )
    .bind(&me)
    .fetch_one(s.system.bank.store().pool())
    .await
    .unwrap();
    assert_eq!(status, "Rejected", "a cancelled consent cannot be paid");
    let r = s.say("प्रिया कपूर को 200 भेजो").await;
    assert_eq!(r.intent, "pay", "{}", r.reply);
    let r = s.say(&s.last_code().await).await;
    assert!(r.reply.starts_with("हो गया"), "{}", r.reply);
    assert_eq!(s.ledger_total(&me).await, before - 10_200 - 20_200);
}

#[tokio::test]
async fn no_payment_without_a_linked_bank() {
    let s = setup().await;
    s.system.app.revoke(&s.login).await.unwrap();
    let sent = s.sms_count().await;
    let r = s.say("send 500 to priya kapoor").await;
    assert!(r.reply.contains("bank linked"), "{}", r.reply);
    assert!(r.link.is_some());
    assert_eq!(s.sms_count().await, sent, "no code without a consent");
}

#[tokio::test]
async fn not_understood_twice_goes_to_a_person() {
    let s = setup().await;
    let r = s.say("what is the capital of peru").await;
    assert_eq!(r.intent, "fallback", "{}", r.reply);
    let r = s.say("recommend a good pasta recipe").await;
    assert_eq!(r.intent, "human_agent", "{}", r.reply);
    let handoffs = s.system.app.store().handoffs_of(&s.login).await.unwrap();
    assert_eq!(handoffs.len(), 1);
    assert!(r.reply.contains(&format!("H-{}", handoffs[0].0)));
    // Asking for a person works at once, in Hindi too.
    let r = s.say("मुझे किसी इंसान से बात करनी है").await;
    assert_eq!(r.intent, "human_agent", "{}", r.reply);
    assert_eq!(
        s.system
            .app
            .store()
            .handoffs_of(&s.login)
            .await
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn customer_service_questions_are_answered_from_the_bank_faq() {
    let s = setup().await;
    let faq = s.system.app.language().faq().clone();
    let r = s
        .say("my new card still hasn't arrived, it's been two weeks")
        .await;
    assert_eq!(r.intent, "card_arrival", "{}", r.reply);
    assert_eq!(r.reply, faq.get("card_arrival").unwrap().answer);
}

#[tokio::test]
async fn replies_are_pinned() {
    let s = setup().await;
    for (name, question) in [
        ("spend_last_month_en", "how much did I spend last month?"),
        ("spend_last_month_hi", "पिछले महीने मैंने कितना खर्च किया?"),
        ("where_shopped_en", "where did I shop in October?"),
        ("recurring_en", "what are my subscriptions?"),
        ("largest_hinglish", "is mahine sabse bada kharcha kya tha"),
        ("transactions_en", "show my last 3 transactions"),
    ] {
        let r = s.say(question).await;
        insta::assert_snapshot!(name, format!("{question}\n-- {} --\n{}", r.intent, r.reply));
    }
}
