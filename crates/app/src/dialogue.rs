//! The conversation: what a message means given what came before.
//!
//! Pure: [`decide`] takes the saved [`State`] and one understood [`Turn`] and
//! says what to do ([`Decision`]); the assistant carries it out and saves the
//! state back (sealed in the customer's vault, for half an hour).
//!
//! The rules, in the order they apply:
//! 1. A form in progress (a payment, a card lock) takes "yes", "no",
//!    "cancel" and the slots it is missing. Another confident question in the
//!    middle is answered and the form is kept, with a reminder; after two
//!    such detours, or when the customer says "cancel", the form is dropped.
//! 2. A guess awaiting confirmation ("Did you mean …?") takes "yes" (answer
//!    the guess) or "no" (ask to rephrase).
//! 3. A short message that only adds or changes a detail ("only Swiggy",
//!    "and the month before?") is a follow-up of the last data question.
//! 4. A confident intent is answered; an unsure one is confirmed first; one
//!    not understood is met with a request to rephrase, and the second
//!    misunderstanding in a row goes to a person (two-stage fallback).

use anumati_domain::{Category, Money};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::confidence::Confidence;

/// At or above this the assistant acts on the intent.
pub const ACT: Confidence = Confidence::from_milli(500);
/// At or above this (and below [`ACT`]) it asks "did you mean …?".
pub const GUESS: Confidence = Confidence::from_milli(200);
/// Below this a customer-service answer goes to a person instead.
pub const FAQ_HANDOFF: Confidence = Confidence::from_milli(350);

/// Questions answered from the customer's consented bank data.
pub const DATA_INTENTS: &[&str] = &[
    "balance",
    "transactions",
    "spend_summary",
    "where_shopped",
    "compare_periods",
    "recurring_payments",
    "income",
    "largest_purchases",
];

/// Words at most in a message that can be a follow-up.
const FOLLOW_UP_WORDS: usize = 6;

/// The details of a data question (its slots).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Query {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<Date>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Date>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merchant: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merchant_candidates: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
}

impl Query {
    pub fn from_entities(e: &anumati_nlu::entities::Entities) -> Query {
        Query {
            from: e.period.as_ref().map(|p| p.start),
            to: e.period.as_ref().map(|p| p.end),
            period: e.period.as_ref().map(|p| p.label.clone()),
            merchant: e.merchant.clone(),
            merchant_candidates: e.merchant_candidates.clone(),
            category: e.category,
            place: e.place.clone(),
            min: e.amount_min,
            max: e.amount_max,
            count: e.count,
        }
    }

    /// Whether it names any detail at all.
    pub fn is_empty(&self) -> bool {
        *self == Query::default()
    }

    /// This query with the details `newer` names replacing its own.
    pub fn merged(&self, newer: &Query) -> Query {
        let mut q = self.clone();
        if newer.from.is_some() || newer.to.is_some() {
            q.from = newer.from;
            q.to = newer.to;
            q.period = newer.period.clone();
        }
        if newer.merchant.is_some() || !newer.merchant_candidates.is_empty() {
            q.merchant = newer.merchant.clone();
            q.merchant_candidates = newer.merchant_candidates.clone();
            // "only Swiggy" narrows to a merchant, which has its own category.
            if newer.category.is_none() {
                q.category = None;
            }
        }
        if newer.category.is_some() {
            q.category = newer.category;
            if newer.merchant.is_none() {
                q.merchant = None;
            }
        }
        if newer.place.is_some() {
            q.place = newer.place.clone();
        }
        if newer.min.is_some() || newer.max.is_some() {
            q.min = newer.min;
            q.max = newer.max;
        }
        if newer.count.is_some() {
            q.count = newer.count;
        }
        q
    }

    /// The same question about the period just before: the previous calendar
    /// month for a month (whole, or so far this month), otherwise a period
    /// as long ending the day before. `None` when the query has no period.
    pub fn previous_period(&self) -> Option<Query> {
        let (from, to) = (self.from?, self.to?);
        let same_month = from.day() == 1 && (to.year(), to.month()) == (from.year(), from.month());
        let a_month = same_month
            && (to == from.last_of_month()
                || self.period.as_deref().is_some_and(|p| p.contains("month")));
        let (from, to, label) = if a_month {
            let prev = from.checked_sub(jiff::Span::new().months(1)).ok()?;
            (
                prev,
                prev.last_of_month(),
                prev.strftime("%B %Y").to_string(),
            )
        } else {
            let days = i64::from((to - from).get_days()) + 1;
            let end = from.yesterday().ok()?;
            let start = end.checked_sub(jiff::Span::new().days(days - 1)).ok()?;
            (
                start,
                end,
                format!(
                    "{} to {}",
                    start.strftime("%-d %B %Y"),
                    end.strftime("%-d %B %Y")
                ),
            )
        };
        Some(Query {
            from: Some(from),
            to: Some(to),
            period: Some(label),
            ..self.clone()
        })
    }
}

/// A payment the bank has priced and texted a code for: what the customer
/// was shown, and the consent the code approves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingPayment {
    pub consent_id: String,
    /// The payee as the bank names them, and their address or account
    /// number masked to its last four.
    pub payee: String,
    pub payee_masked: String,
    /// A customer of this bank.
    pub internal: bool,
    pub amount: Money,
    pub fee: Money,
    /// The paying account, masked.
    pub debtor_masked: String,
}

/// An action that needs details and a "yes" before it happens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Form {
    Pay {
        payee: Option<String>,
        #[serde(default)]
        payee_candidates: Vec<String>,
        amount: Option<Money>,
        /// What the payment is for ("for dinner"): its reference at the bank.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
        /// Set once the bank texted a code; the form then waits for it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pending: Option<Box<PendingPayment>>,
        /// A consent the customer changed their mind about (another payee or
        /// amount): cancelled at the bank before the next one is asked for.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        replaces: Option<String>,
        /// Codes asked for so far (a resend asks again); part of the
        /// consent's idempotency key, so each ask is a new consent.
        #[serde(default)]
        asks: u8,
    },
    /// An action that needs only a "yes": `card_lock`, `card_unlock`,
    /// `consent_revoke`, `delete_data`.
    Action { intent: String },
}

/// Intents that act only after a "yes".
pub const CONFIRMED_ACTIONS: &[&str] =
    &["card_lock", "card_unlock", "consent_revoke", "delete_data"];

impl Form {
    pub fn intent(&self) -> &str {
        match self {
            Form::Pay { .. } => "pay",
            Form::Action { intent } => intent,
        }
    }

    /// The first detail still missing, if any.
    pub fn missing(&self) -> Option<Slot> {
        match self {
            Form::Pay { payee: None, .. } => Some(Slot::Payee),
            Form::Pay { amount: None, .. } => Some(Slot::Amount),
            Form::Pay {
                pending: Some(_), ..
            } => Some(Slot::Code),
            _ => None,
        }
    }

    /// The consent waiting for a code, if any.
    pub fn pending(&self) -> Option<&PendingPayment> {
        match self {
            Form::Pay { pending, .. } => pending.as_deref(),
            Form::Action { .. } => None,
        }
    }

    fn fill(
        &mut self,
        e: &anumati_nlu::entities::Entities,
        named: Option<&str>,
        said: Option<&str>,
    ) {
        if let Form::Pay {
            payee,
            payee_candidates,
            amount,
            note,
            pending,
            replaces,
            ..
        } = self
        {
            let before = (payee.clone(), *amount);
            if e.payee.is_some() {
                *payee = e.payee.clone();
                payee_candidates.clear();
            } else if !e.payee_candidates.is_empty() {
                *payee_candidates = e.payee_candidates.clone();
            } else if let Some(name) = named.filter(|_| payee.is_none()) {
                // Not one of the customer's beneficiaries: their own words,
                // checked against the bank's payees when the payment is made.
                *payee = Some(name.to_owned());
                payee_candidates.clear();
            }
            if let Some(a) = e.amount {
                *amount = Some(a);
            }
            if let Some(n) = said {
                *note = Some(n.to_owned());
            }
            // Another payee or amount than the code was sent for: that
            // consent is given up and a new one asked for.
            if (payee.clone(), *amount) != before {
                if let Some(p) = pending.take() {
                    *replaces = Some(p.consent_id);
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Slot {
    Payee,
    Amount,
    /// The one-time code the bank texted.
    Code,
}

/// What the conversation remembers between messages.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// The last data question answered, for follow-ups.
    pub last: Option<(String, Query)>,
    pub form: Option<Form>,
    /// Questions answered while the form waited.
    #[serde(default)]
    pub detours: u8,
    /// An intent guessed at low confidence, with the details of its message.
    pub guess: Option<(String, Query)>,
    /// Misunderstandings in a row.
    #[serde(default)]
    pub misunderstood: u8,
    /// The customer last wrote in Hindi (Devanagari or Hinglish): a message
    /// without words (a code, an amount) is answered in that language.
    #[serde(default)]
    pub hindi: bool,
    /// A fraud alert waiting for "Yes, it was me" or "No, lock my card".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<crate::alerts::PendingAlert>,
}

/// One message, understood on its own.
#[derive(Debug, Clone)]
pub struct Turn {
    pub intent: String,
    pub confidence: Confidence,
    pub entities: anumati_nlu::entities::Entities,
    /// Words in the message.
    pub words: usize,
    /// The message opens like a narrowing follow-up ("only …", "sirf …").
    pub narrows: bool,
    /// A payee named in the customer's own words (see
    /// [`crate::nlu::Understanding::payee_text`]).
    pub payee_text: Option<String>,
    /// What a payment is for, in the customer's words ("for dinner").
    pub note: Option<String>,
    /// The message is a six-digit one-time code (and little else).
    pub code: Option<String>,
    /// The customer asks for the code again.
    pub resend: bool,
}

/// What to do with a message.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Answer `intent` (with these details). `reminder` is a form that waits.
    Answer {
        intent: String,
        query: Query,
        reminder: Option<Form>,
    },
    /// A form needs this detail.
    Ask(Form, Slot),
    /// A form is complete: show it and ask for a "yes".
    Confirm(Form),
    /// The customer said yes to a complete form.
    Execute(Form),
    /// The customer typed the one-time code for the form's pending payment.
    Authorise(Form, String),
    /// The customer asks for a new code for the form's pending payment.
    Resend(Form),
    /// The customer cancelled the form.
    Cancelled(Form),
    /// A form was dropped because the conversation moved on (or another
    /// action began); then comes what to do with the message.
    Dropped { form: Form, then: Box<Decision> },
    /// "Did you mean …?"
    ConfirmGuess(String),
    /// Say it another way, please.
    Rephrase,
    /// Pass the conversation to a person.
    Handoff,
}

fn is_data(intent: &str) -> bool {
    DATA_INTENTS.contains(&intent)
}

fn start_form(intent: &str) -> Option<Form> {
    match intent {
        "pay" => Some(Form::Pay {
            payee: None,
            payee_candidates: Vec::new(),
            amount: None,
            note: None,
            pending: None,
            replaces: None,
            asks: 0,
        }),
        other if CONFIRMED_ACTIONS.contains(&other) => Some(Form::Action {
            intent: other.to_owned(),
        }),
        _ => None,
    }
}

/// Decides what a message means in the conversation, and updates the state.
pub fn decide(state: &mut State, turn: &Turn) -> Decision {
    let confident = turn.confidence >= ACT;
    let intent = turn.intent.as_str();
    let query = Query::from_entities(&turn.entities);

    // 1. A form in progress.
    if let Some(mut form) = state.form.take() {
        // A payment waiting for its code takes the code, or a resend, first
        // (a code would otherwise read as an amount).
        if form.pending().is_some() {
            if let Some(code) = &turn.code {
                state.detours = 0;
                state.form = Some(form.clone());
                return Decision::Authorise(form, code.clone());
            }
            if turn.resend {
                state.detours = 0;
                state.form = Some(form.clone());
                return Decision::Resend(form);
            }
        }
        // A bare name answering "whom should I pay?" is not a "no".
        let names_payee = form.missing() == Some(Slot::Payee) && turn.payee_text.is_some();
        match intent {
            "cancel" | "deny" if !names_payee => {
                state.detours = 0;
                return Decision::Cancelled(form);
            }
            "affirm" if form.missing().is_none() => {
                state.detours = 0;
                return Decision::Execute(form);
            }
            _ => {}
        }
        let adds_detail = turn.entities.payee.is_some()
            || !turn.entities.payee_candidates.is_empty()
            || turn.entities.amount.is_some()
            || (form.missing() == Some(Slot::Payee) && turn.payee_text.is_some());
        let on_topic = intent == form.intent() || intent == "affirm" || !confident || adds_detail;
        if on_topic && matches!(form, Form::Pay { .. }) {
            form.fill(
                &turn.entities,
                turn.payee_text.as_deref(),
                turn.note.as_deref(),
            );
        }
        if on_topic {
            state.misunderstood = 0;
            let next = match form.missing() {
                Some(slot) => Decision::Ask(form.clone(), slot),
                None => Decision::Confirm(form.clone()),
            };
            state.form = Some(form);
            return next;
        }
        // A confident question about something else.
        state.detours += 1;
        if state.detours > 2 || start_form(intent).is_some() {
            state.detours = 0;
            let (intent, query) = answer_target(state, turn, query);
            let then = proceed(state, &intent, query, turn);
            return Decision::Dropped {
                form,
                then: Box::new(then),
            };
        }
        let (intent, query) = answer_target(state, turn, query);
        state.form = Some(form.clone());
        return Decision::Answer {
            intent,
            query,
            reminder: Some(form),
        };
    }

    // 2. A guess awaiting confirmation.
    if let Some((guessed, guessed_query)) = state.guess.take() {
        match intent {
            "affirm" => {
                state.misunderstood = 0;
                return proceed(state, &guessed, guessed_query, turn);
            }
            "deny" | "cancel" => {
                state.misunderstood = state.misunderstood.saturating_add(1);
                return Decision::Rephrase;
            }
            _ => {}
        }
    }

    // 3. A follow-up of the last data question: it narrows or shifts it
    // ("only Swiggy", "and the month before?"), or it is too unsure to stand
    // alone, or it asks the same thing about something else ("and on
    // travel?"). A confident question of another kind starts afresh.
    if let Some((last_intent, last_query)) = state.last.clone() {
        let shifts = turn.entities.previous_period || turn.narrows;
        let adds_detail = !query.is_empty() || shifts;
        let follows = shifts || !confident || intent == "fallback" || intent == last_intent;
        if adds_detail && follows && turn.words <= FOLLOW_UP_WORDS {
            let base = if turn.entities.previous_period {
                last_query.previous_period().unwrap_or(last_query)
            } else {
                last_query
            };
            state.misunderstood = 0;
            return proceed(state, &last_intent, base.merged(&query), turn);
        }
    }

    // 4. On its own.
    if intent == "human_agent" {
        state.misunderstood = 0;
        return Decision::Handoff;
    }
    if confident && intent != "fallback" {
        state.misunderstood = 0;
        return proceed(state, intent, query, turn);
    }
    if turn.confidence >= GUESS && intent != "fallback" {
        state.guess = Some((turn.intent.clone(), query));
        return Decision::ConfirmGuess(turn.intent.clone());
    }
    state.misunderstood = state.misunderstood.saturating_add(1);
    if state.misunderstood >= 2 {
        state.misunderstood = 0;
        return Decision::Handoff;
    }
    Decision::Rephrase
}

/// The intent and details a confident detour is answered with.
fn answer_target(state: &State, turn: &Turn, query: Query) -> (String, Query) {
    match (&state.last, turn.entities.previous_period) {
        (Some((last, q)), true) => (last.clone(), q.previous_period().unwrap_or(q.clone())),
        _ => (turn.intent.clone(), query),
    }
}

/// Starts a form or answers a question.
fn proceed(state: &mut State, intent: &str, query: Query, turn: &Turn) -> Decision {
    if let Some(mut form) = start_form(intent) {
        form.fill(
            &turn.entities,
            turn.payee_text.as_deref(),
            turn.note.as_deref(),
        );
        state.detours = 0;
        let d = match form.missing() {
            Some(slot) => Decision::Ask(form.clone(), slot),
            None => Decision::Confirm(form.clone()),
        };
        state.form = Some(form);
        return d;
    }
    if is_data(intent) {
        state.last = Some((intent.to_owned(), query.clone()));
    }
    Decision::Answer {
        intent: intent.to_owned(),
        query,
        reminder: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anumati_domain::Currency;
    use anumati_nlu::entities::{Entities, Period};
    use jiff::civil::date;

    fn turn(intent: &str, milli: u16, entities: Entities) -> Turn {
        Turn {
            intent: intent.into(),
            confidence: Confidence::from_milli(milli),
            entities,
            words: 3,
            narrows: false,
            payee_text: None,
            note: None,
            code: None,
            resend: false,
        }
    }

    fn pending(id: &str) -> PendingPayment {
        PendingPayment {
            consent_id: id.into(),
            payee: "Priya Sharma".into(),
            payee_masked: "priya@anumati".into(),
            internal: true,
            amount: inr(500),
            fee: inr(0),
            debtor_masked: "XXXX1234".into(),
        }
    }

    /// A payment form whose code the bank has sent.
    fn waiting_for_code() -> State {
        State {
            form: Some(Form::Pay {
                payee: Some("Priya Sharma".into()),
                payee_candidates: Vec::new(),
                amount: Some(inr(500)),
                note: None,
                pending: Some(Box::new(pending("pdc_1"))),
                replaces: None,
                asks: 1,
            }),
            ..State::default()
        }
    }

    #[test]
    fn a_code_is_taken_as_the_code_not_an_amount() {
        let mut s = waiting_for_code();
        let mut t = turn(
            "fallback",
            120,
            Entities {
                amount: Some(inr(123_456)),
                ..Entities::default()
            },
        );
        t.code = Some("123456".into());
        let d = decide(&mut s, &t);
        let Decision::Authorise(form, code) = d else {
            panic!("{d:?}")
        };
        assert_eq!(code, "123456");
        assert_eq!(form.pending().map(|p| p.consent_id.as_str()), Some("pdc_1"));
        // The form stays until the bank says how the code went.
        assert_eq!(s.form.as_ref().and_then(Form::pending), form.pending());
    }

    #[test]
    fn yes_while_a_code_is_awaited_asks_for_the_code() {
        let mut s = waiting_for_code();
        let d = decide(&mut s, &turn("affirm", 950, none()));
        assert!(matches!(d, Decision::Ask(_, Slot::Code)), "{d:?}");
        let mut t = turn("fallback", 100, none());
        t.resend = true;
        assert!(matches!(decide(&mut s, &t), Decision::Resend(_)));
    }

    #[test]
    fn another_amount_while_a_code_is_awaited_replaces_the_consent() {
        let mut s = waiting_for_code();
        let d = decide(
            &mut s,
            &turn(
                "pay",
                900,
                Entities {
                    amount: Some(inr(600)),
                    ..Entities::default()
                },
            ),
        );
        let Decision::Confirm(Form::Pay {
            amount,
            pending,
            replaces,
            ..
        }) = d
        else {
            panic!("{d:?}")
        };
        assert_eq!(
            (amount, pending, replaces.as_deref()),
            (Some(inr(600)), None, Some("pdc_1"))
        );
    }

    #[test]
    fn cancel_while_a_code_is_awaited_ends_the_payment() {
        let mut s = waiting_for_code();
        let d = decide(&mut s, &turn("cancel", 900, none()));
        assert!(
            matches!(&d, Decision::Cancelled(f) if f.pending().is_some()),
            "{d:?}"
        );
        assert_eq!(s.form, None);
    }

    fn none() -> Entities {
        Entities::default()
    }

    fn march() -> Entities {
        Entities {
            period: Some(Period {
                start: date(2026, 3, 1),
                end: date(2026, 3, 31),
                label: "in March".into(),
            }),
            ..Entities::default()
        }
    }

    fn inr(rupees: i64) -> Money {
        Money::from_minor(rupees * 100, Currency::INR)
    }

    #[test]
    fn a_confident_question_is_answered_and_remembered() {
        let mut s = State::default();
        let d = decide(&mut s, &turn("spend_summary", 900, march()));
        let Decision::Answer {
            intent,
            query,
            reminder: None,
        } = d
        else {
            panic!("{d:?}")
        };
        assert_eq!(intent, "spend_summary");
        assert_eq!(query.from, Some(date(2026, 3, 1)));
        assert_eq!(
            s.last.as_ref().map(|(i, _)| i.as_str()),
            Some("spend_summary")
        );
    }

    #[test]
    fn follow_ups_narrow_and_shift_the_last_question() {
        let mut s = State::default();
        decide(&mut s, &turn("spend_summary", 900, march()));
        // "only Swiggy": the classifier is unsure; the merchant is the news.
        let only = Entities {
            merchant: Some("Swiggy".into()),
            ..Entities::default()
        };
        let d = decide(&mut s, &turn("transactions", 300, only));
        let Decision::Answer { intent, query, .. } = d else {
            panic!("{d:?}")
        };
        assert_eq!(intent, "spend_summary");
        assert_eq!(query.merchant.as_deref(), Some("Swiggy"));
        assert_eq!(query.to, Some(date(2026, 3, 31)));
        // "and the month before?"
        let before = Entities {
            previous_period: true,
            ..Entities::default()
        };
        let d = decide(&mut s, &turn("fallback", 100, before));
        let Decision::Answer { intent, query, .. } = d else {
            panic!("{d:?}")
        };
        assert_eq!(intent, "spend_summary");
        assert_eq!(
            (query.from, query.to),
            (Some(date(2026, 2, 1)), Some(date(2026, 2, 28)))
        );
        assert_eq!(query.merchant.as_deref(), Some("Swiggy"));
    }

    #[test]
    fn this_month_so_far_is_compared_with_the_whole_month_before() {
        let q = Query {
            from: Some(date(2026, 11, 1)),
            to: Some(date(2026, 11, 20)),
            period: Some("this month".into()),
            ..Query::default()
        };
        let p = q.previous_period().unwrap();
        assert_eq!(
            (p.from, p.to),
            (Some(date(2026, 10, 1)), Some(date(2026, 10, 31)))
        );
    }

    #[test]
    fn a_confident_question_of_another_kind_starts_afresh() {
        let mut s = State::default();
        decide(&mut s, &turn("spend_summary", 900, march()));
        let five = Entities {
            count: Some(5),
            ..Entities::default()
        };
        let d = decide(&mut s, &turn("transactions", 900, five));
        let Decision::Answer { intent, query, .. } = d else {
            panic!("{d:?}")
        };
        assert_eq!(
            (intent.as_str(), query.count, query.from),
            ("transactions", Some(5), None)
        );
        // while the same question about something else keeps the period
        decide(&mut s, &turn("spend_summary", 900, march()));
        let travel = Entities {
            category: Some(Category::Travel),
            ..Entities::default()
        };
        let d = decide(&mut s, &turn("spend_summary", 900, travel));
        let Decision::Answer { query, .. } = d else {
            panic!("{d:?}")
        };
        assert_eq!(
            (query.category, query.from),
            (Some(Category::Travel), Some(date(2026, 3, 1)))
        );
    }

    #[test]
    fn a_period_that_is_not_a_month_shifts_by_its_length() {
        let q = Query {
            from: Some(date(2026, 3, 10)),
            to: Some(date(2026, 3, 16)),
            ..Query::default()
        };
        let p = q.previous_period().unwrap();
        assert_eq!(
            (p.from, p.to),
            (Some(date(2026, 3, 3)), Some(date(2026, 3, 9)))
        );
    }

    #[test]
    fn a_payment_fills_its_slots_then_waits_for_yes() {
        let mut s = State::default();
        let d = decide(&mut s, &turn("pay", 900, none()));
        assert!(matches!(d, Decision::Ask(_, Slot::Payee)), "{d:?}");
        let priya = Entities {
            payee: Some("Priya Sharma".into()),
            ..Entities::default()
        };
        let d = decide(&mut s, &turn("fallback", 150, priya));
        assert!(matches!(d, Decision::Ask(_, Slot::Amount)), "{d:?}");
        let amount = Entities {
            amount: Some(inr(500)),
            ..Entities::default()
        };
        let d = decide(&mut s, &turn("fallback", 100, amount));
        let Decision::Confirm(Form::Pay { payee, amount, .. }) = d else {
            panic!("{d:?}")
        };
        assert_eq!(
            (payee.as_deref(), amount),
            (Some("Priya Sharma"), Some(inr(500)))
        );
        let d = decide(&mut s, &turn("affirm", 950, none()));
        assert!(matches!(d, Decision::Execute(Form::Pay { .. })), "{d:?}");
        assert_eq!(s.form, None);
    }

    #[test]
    fn which_priya_is_asked_and_yes_does_not_skip_a_missing_detail() {
        let mut s = State::default();
        let two = Entities {
            payee_candidates: vec!["Priya Sharma".into(), "Priya Nair".into()],
            amount: Some(inr(500)),
            ..Entities::default()
        };
        let d = decide(&mut s, &turn("pay", 900, two));
        let Decision::Ask(
            Form::Pay {
                payee_candidates, ..
            },
            Slot::Payee,
        ) = d
        else {
            panic!("{d:?}")
        };
        assert_eq!(payee_candidates.len(), 2);
        let d = decide(&mut s, &turn("affirm", 900, none()));
        assert!(matches!(d, Decision::Ask(_, Slot::Payee)), "{d:?}");
    }

    #[test]
    fn cancel_at_any_step_drops_the_form() {
        let mut s = State::default();
        decide(&mut s, &turn("card_lock", 900, none()));
        assert!(s.form.is_some());
        let d = decide(&mut s, &turn("cancel", 900, none()));
        assert!(
            matches!(d, Decision::Cancelled(Form::Action { .. })),
            "{d:?}"
        );
        assert_eq!(s.form, None);
    }

    #[test]
    fn a_question_in_the_middle_of_a_form_is_answered_and_the_form_resumed() {
        let mut s = State::default();
        decide(&mut s, &turn("card_lock", 900, none()));
        let d = decide(&mut s, &turn("balance", 900, none()));
        let Decision::Answer {
            intent,
            reminder: Some(form),
            ..
        } = d
        else {
            panic!("{d:?}")
        };
        assert_eq!((intent.as_str(), form.intent()), ("balance", "card_lock"));
        let d = decide(&mut s, &turn("affirm", 900, none()));
        assert!(matches!(d, Decision::Execute(Form::Action { .. })), "{d:?}");
    }

    #[test]
    fn a_form_left_for_three_questions_is_dropped() {
        let mut s = State::default();
        decide(&mut s, &turn("delete_data", 900, none()));
        for _ in 0..2 {
            let d = decide(&mut s, &turn("balance", 900, none()));
            assert!(
                matches!(
                    d,
                    Decision::Answer {
                        reminder: Some(_),
                        ..
                    }
                ),
                "{d:?}"
            );
        }
        let d = decide(&mut s, &turn("balance", 900, none()));
        assert!(matches!(d, Decision::Dropped { .. }), "{d:?}");
        assert_eq!(s.form, None);
        // and a later "yes" deletes nothing
        let d = decide(&mut s, &turn("affirm", 900, none()));
        assert!(
            matches!(d, Decision::Answer { ref intent, .. } if intent == "affirm"),
            "{d:?}"
        );
    }

    #[test]
    fn an_unsure_guess_is_confirmed_first() {
        let mut s = State::default();
        let d = decide(&mut s, &turn("income", 300, march()));
        assert_eq!(d, Decision::ConfirmGuess("income".into()));
        let d = decide(&mut s, &turn("affirm", 900, none()));
        let Decision::Answer { intent, query, .. } = d else {
            panic!("{d:?}")
        };
        assert_eq!(intent, "income");
        assert_eq!(query.from, Some(date(2026, 3, 1)));
    }

    #[test]
    fn two_stage_fallback_then_a_person() {
        let mut s = State::default();
        assert_eq!(
            decide(&mut s, &turn("income", 300, none())),
            Decision::ConfirmGuess("income".into())
        );
        assert_eq!(
            decide(&mut s, &turn("deny", 900, none())),
            Decision::Rephrase
        );
        assert_eq!(
            decide(&mut s, &turn("fallback", 900, none())),
            Decision::Handoff
        );
        // and a fresh start after the hand-off
        assert_eq!(
            decide(&mut s, &turn("fallback", 900, none())),
            Decision::Rephrase
        );
    }

    #[test]
    fn asking_for_a_person_hands_off_at_once() {
        let mut s = State::default();
        assert_eq!(
            decide(&mut s, &turn("human_agent", 800, none())),
            Decision::Handoff
        );
    }

    #[test]
    fn state_survives_a_round_trip_through_json() {
        let mut s = State::default();
        decide(&mut s, &turn("spend_summary", 900, march()));
        decide(
            &mut s,
            &turn(
                "pay",
                900,
                Entities {
                    amount: Some(inr(500)),
                    ..Entities::default()
                },
            ),
        );
        let back: State = serde_json::from_slice(&serde_json::to_vec(&s).unwrap()).unwrap();
        assert_eq!(back, s);
    }
}
