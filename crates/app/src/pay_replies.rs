//! The `pay` conversation's replies: from a complete form to the bank's
//! terms and a code, from the code to the payment (see [`crate::payments`]
//! for the calls, [`crate::dialogue`] for when each step happens).
//!
//! 1. The form has a payee and an amount: the payee is found among the
//!    customer's saved payees (or is a `name@bank` address they typed), and
//!    the bank is asked for a payment consent. Its answer — the payee as the
//!    bank names them with their address or account masked, the amount, the
//!    fee and the paying account masked — is shown, and the bank texts a
//!    code. Typing the code is the customer's confirmation.
//! 2. The code: right, the payment is made and its result reported; wrong,
//!    the tries left are said; the third wrong code, or an expired one, ends
//!    the payment at the bank.
//! 3. "resend code" is step 1 again: [`ChatApp::start_pay`] cancels the
//!    waiting consent and asks for a new one (at most [`MAX_ASKS`] codes per
//!    payment); "cancel" cancels it.

use crate::assistant::describe_intent;
use crate::confidence::Confidence;
use crate::dialogue::{Form, PendingPayment, State};
use crate::nlu::Lang;
use crate::payments::{idempotency_key, Approved, Creditor, Payee, Payees, Refusal, Started};
use crate::{AppError, ChatApp, Reply};

/// Codes sent for one payment at most (the first and two resends).
pub const MAX_ASKS: u8 = 3;
/// Payees offered as buttons when a name is not among them.
const PAYEES_OFFERED: usize = 8;

/// The bank's refusal in the customer's words.
fn refusal_words(r: &Refusal, lang: Lang) -> String {
    let (en, hi) = match r.code.as_str() {
        "insufficient_funds" => (
            "there is not enough money in your account",
            "आपके खाते में पर्याप्त पैसे नहीं हैं",
        ),
        "payment_limit_exceeded" => (
            "the amount is over the limit for one payment",
            "राशि एक भुगतान की सीमा से ज़्यादा है",
        ),
        "daily_limit_exceeded" => (
            "it would pass today's payment limit",
            "यह आज की भुगतान सीमा से ज़्यादा होगा",
        ),
        "creditor_not_found" => (
            "the bank cannot find that payee",
            "बैंक को वह प्राप्तकर्ता नहीं मिला",
        ),
        "creditor_is_debtor" => (
            "the payment would go to the account it comes from",
            "भुगतान उसी खाते में जाता जिससे निकलता",
        ),
        "currency_mismatch" => (
            "your account is in another currency",
            "आपका खाता किसी और मुद्रा में है",
        ),
        "otp_attempts_exhausted" => ("the code was wrong three times", "कोड तीन बार गलत था"),
        "otp_expired" | "consent_expired" => ("the code expired", "कोड की समय-सीमा खत्म हो गई"),
        "debtor_account_invalid" => (
            "you have no account that can pay",
            "आपके पास भुगतान करने वाला कोई खाता नहीं है",
        ),
        _ => ("the bank refused the payment", "बैंक ने भुगतान से मना कर दिया"),
    };
    match lang {
        Lang::En => format!("Not sent: {en}. No money has left your account."),
        Lang::Hi => format!("नहीं भेजा गया: {hi}। आपके खाते से कोई पैसा नहीं गया।"),
    }
}

/// The terms the bank gave, and the request for the code.
fn terms(p: &PendingPayment, lang: Lang, resent: bool) -> String {
    let fee = |lang: Lang| match (p.fee.is_zero(), lang) {
        (true, Lang::En) => "No fee.".to_owned(),
        (false, Lang::En) => format!("Fee: {}.", p.fee),
        (true, Lang::Hi) => "कोई शुल्क नहीं।".to_owned(),
        (false, Lang::Hi) => format!("शुल्क: {}।", p.fee),
    };
    let bank = match (p.internal, lang) {
        (true, Lang::En) => "at this bank",
        (false, Lang::En) => "at another bank",
        (true, Lang::Hi) => "इसी बैंक में",
        (false, Lang::Hi) => "दूसरे बैंक में",
    };
    match lang {
        Lang::En => format!(
            "Pay {} to {} ({}, {bank}) from your account {}? {} {}: type it here to confirm, or say cancel.",
            p.amount,
            p.payee,
            p.payee_masked,
            p.debtor_masked,
            fee(lang),
            if resent {
                "I have asked the bank for a new one-time code to your phone"
            } else {
                "The bank has sent a one-time code to your phone"
            }
        ),
        Lang::Hi => format!(
            "{} ({}, {bank}) को आपके खाते {} से {} भेजें? {} {}: पुष्टि के लिए उसे यहाँ लिखें, या रद्द करें।",
            p.payee,
            p.payee_masked,
            p.debtor_masked,
            p.amount,
            fee(lang),
            if resent {
                "बैंक ने आपके फ़ोन पर नया वन-टाइम कोड भेजा है"
            } else {
                "बैंक ने आपके फ़ोन पर एक वन-टाइम कोड भेजा है"
            }
        ),
    }
}

fn code_buttons(lang: Lang) -> Vec<String> {
    vec![
        lang.pick("Resend code", "कोड दोबारा भेजें").to_owned(),
        lang.pick("Cancel", "रद्द करें").to_owned(),
    ]
}

fn pending_json(p: &PendingPayment, status: &str) -> serde_json::Value {
    serde_json::json!({ "payment": {
        "status": status,
        "consent_id": p.consent_id,
        "payee": p.payee,
        "payee_masked": p.payee_masked,
        "amount": p.amount.to_decimal_string(),
        "fee": p.fee.to_decimal_string(),
        "currency": p.amount.currency().code(),
    }})
}

/// The saved payee `name` means: exactly that name (any case), else `None`.
fn find_payee<'a>(payees: &'a [Payee], name: &str) -> Option<&'a Payee> {
    payees.iter().find(|p| p.name == name).or_else(|| {
        payees
            .iter()
            .find(|p| p.name.to_lowercase() == name.to_lowercase())
    })
}

/// A UPI-style address typed as the payee (`name@bank`).
fn as_address(name: &str) -> Option<String> {
    let name = name.trim().to_lowercase();
    let (user, handle) = name.split_once('@')?;
    let ok = |s: &str, extra: &[char]| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || extra.contains(&c))
    };
    (ok(user, &['.', '-', '_']) && ok(handle, &['.'])).then_some(name)
}

impl ChatApp {
    fn pay_text(&self, c: Confidence, text: String) -> Reply {
        self.reply("pay", c, text, serde_json::json!({}))
    }

    /// Step 1: the form is complete; ask the bank for a consent and a code.
    pub(crate) async fn start_pay(
        &self,
        login: &str,
        mut form: Form,
        lang: Lang,
        c: Confidence,
        state: &mut State,
        payees: Option<&Payees>,
    ) -> Result<Reply, AppError> {
        state.form = None;
        let Form::Pay {
            payee,
            amount,
            note,
            replaces,
            asks,
            pending,
            ..
        } = form.clone()
        else {
            return Ok(self.confirm(&form, lang, c));
        };
        if let Some(old) = replaces.or(pending.map(|p| p.consent_id)) {
            self.cancel_payment(&old).await;
        }
        if let Form::Pay {
            replaces, pending, ..
        } = &mut form
        {
            *replaces = None;
            *pending = None;
        }
        if !self.payments_enabled() {
            return Ok(self.pay_text(c, lang.pick(
                "Payments from the chat are not switched on at this bank yet, so nothing was sent.",
                "इस बैंक में अभी चैट से भुगतान चालू नहीं है, इसलिए कुछ नहीं भेजा गया।",
            ).into()));
        }
        let (Some(name), Some(amount)) = (payee, amount) else {
            return Ok(self.pay_text(c, describe_intent("pay", lang)));
        };
        let fetched;
        let payees = match payees {
            Some(p) => p,
            None => {
                fetched = self.payees(login).await?;
                &fetched
            }
        };
        let (customer_id, list) = match payees {
            Payees::NotLinked => {
                let mut r = self.pay_text(c, lang.pick(
                    "To send money from here I need your bank linked first. Link it, then ask again.",
                    "यहाँ से पैसे भेजने के लिए पहले आपका बैंक जुड़ा होना चाहिए। बैंक जोड़ें, फिर दोबारा कहें।",
                ).into());
                r.link = Some(self.link_page(login).await?);
                return Ok(r);
            }
            Payees::Refused(_) => {
                return Ok(self.pay_text(c, lang.pick(
                    "The bank refused: your consent does not allow this now (it may be paused, revoked or expired). Nothing was sent.",
                    "बैंक ने मना कर दिया: आपकी सहमति अभी इसकी अनुमति नहीं देती। कुछ नहीं भेजा गया।",
                ).into()));
            }
            Payees::Found {
                customer_id,
                payees,
            } => (customer_id, payees),
        };
        let creditor = match (find_payee(list, &name), as_address(&name)) {
            (Some(p), _) => Creditor::Beneficiary(p.clone()),
            (None, Some(address)) => Creditor::Address(address),
            (None, None) => {
                // Not a saved payee: ask again, offering the saved ones.
                let text = match (lang, list.is_empty()) {
                    (Lang::En, false) => format!("I cannot find \"{name}\" among your saved payees. Whom should I pay?"),
                    (Lang::En, true) => format!("I cannot find \"{name}\": you have no saved payees. Type their address (like name@bank), or cancel."),
                    (Lang::Hi, false) => format!("आपके सहेजे गए प्राप्तकर्ताओं में \"{name}\" नहीं मिला। किसे पैसे भेजने हैं?"),
                    (Lang::Hi, true) => format!("\"{name}\" नहीं मिला: आपका कोई सहेजा गया प्राप्तकर्ता नहीं है। उनका पता (जैसे name@bank) लिखें, या रद्द करें।"),
                };
                let mut r = self.pay_text(c, text);
                r.quick_replies = list
                    .iter()
                    .take(PAYEES_OFFERED)
                    .map(|p| p.name.clone())
                    .collect();
                r.quick_replies
                    .push(lang.pick("Cancel", "रद्द करें").to_owned());
                if let Form::Pay { payee, .. } = &mut form {
                    *payee = None;
                }
                state.form = Some(form);
                return Ok(r);
            }
        };
        if asks >= MAX_ASKS {
            return Ok(self.pay_text(c, lang.pick(
                "I have asked for three codes for this payment already, so I have cancelled it. Nothing was sent; you can start again.",
                "इस भुगतान के लिए तीन कोड पहले ही माँगे जा चुके हैं, इसलिए इसे रद्द कर दिया। कुछ नहीं भेजा गया; आप फिर से शुरू कर सकते हैं।",
            ).into()));
        }
        let creditor_id = match &creditor {
            Creditor::Beneficiary(p) => p.beneficiary_id.clone(),
            Creditor::Address(a) => a.clone(),
        };
        let reference: String = note.unwrap_or_default().chars().take(35).collect();
        let nonce = anumati_wire::html::random_token();
        let key = idempotency_key(
            "consent",
            &[
                login,
                &nonce,
                &creditor_id,
                &amount.to_decimal_string(),
                amount.currency().code(),
                &reference,
            ],
        );
        let resent = asks > 0;
        match self
            .start_payment(customer_id, &creditor, amount, &reference, &key)
            .await?
        {
            Started::AwaitingCode(p) => {
                let mut r = self.pay_text(c, terms(&p, lang, resent));
                r.data = pending_json(&p, "awaiting_code");
                r.quick_replies = code_buttons(lang);
                if let Form::Pay { pending, asks, .. } = &mut form {
                    *pending = Some(Box::new(p));
                    *asks += 1;
                }
                state.form = Some(form);
                Ok(r)
            }
            Started::Refused(refusal) => {
                tracing::info!(code = %refusal.code, "payment consent refused");
                let mut r = self.pay_text(c, refusal_words(&refusal, lang));
                r.data = serde_json::json!({ "payment": { "status": "refused", "reason": refusal.code } });
                Ok(r)
            }
        }
    }

    /// Step 2: the customer typed the code.
    pub(crate) async fn authorise_pay(
        &self,
        form: &Form,
        code: &str,
        lang: Lang,
        c: Confidence,
        state: &mut State,
    ) -> Result<Reply, AppError> {
        let Some(p) = form.pending() else {
            state.form = None;
            return Ok(self.pay_text(c, describe_intent("pay", lang)));
        };
        match self.approve_payment(&p.consent_id, code).await? {
            Approved::Paid(paid) => {
                state.form = None;
                let on_its_way = paid.status == "AcceptedSettlementInProcess";
                let text = match lang {
                    Lang::En => format!(
                        "Done: {} sent to {} ({}).{} Reference {}.",
                        p.amount,
                        p.payee,
                        p.payee_masked,
                        if on_its_way {
                            " It is on its way to their bank."
                        } else {
                            ""
                        },
                        paid.payment_id
                    ),
                    Lang::Hi => format!(
                        "हो गया: {} को {} भेज दिए गए ({})।{} संदर्भ {}।",
                        p.payee,
                        p.amount,
                        p.payee_masked,
                        if on_its_way {
                            " यह उनके बैंक की ओर जा रहा है।"
                        } else {
                            ""
                        },
                        paid.payment_id
                    ),
                };
                let mut r = self.pay_text(c, text);
                r.data = pending_json(p, &paid.status);
                r.data["payment"]["payment_id"] = paid.payment_id.into();
                Ok(r)
            }
            Approved::WrongCode(left) => {
                let mut r = self.pay_text(c, match lang {
                    Lang::En => format!("That code is not right. {left} {} left: type the code from the bank's message, or say cancel.", if left == 1 { "try" } else { "tries" }),
                    Lang::Hi => format!("यह कोड सही नहीं है। {left} कोशिश बाकी: बैंक के संदेश वाला कोड लिखें, या रद्द करें।"),
                });
                r.quick_replies = code_buttons(lang);
                r.data = pending_json(p, "awaiting_code");
                Ok(r)
            }
            Approved::Refused(refusal) => {
                state.form = None;
                let mut r = self.pay_text(c, refusal_words(&refusal, lang));
                r.data = serde_json::json!({ "payment": { "status": "refused", "reason": refusal.code } });
                Ok(r)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anumati_domain::Money;

    #[test]
    fn addresses_are_recognised() {
        assert_eq!(
            as_address("Priya.Kapoor@okbank").as_deref(),
            Some("priya.kapoor@okbank")
        );
        assert_eq!(as_address("Priya"), None);
        assert_eq!(as_address("@bank"), None);
        assert_eq!(as_address("a b@bank"), None);
    }

    #[test]
    fn payees_match_by_name_in_any_case() {
        let payee = |id: &str, name: &str| Payee {
            beneficiary_id: id.into(),
            name: name.into(),
            vpa: None,
            masked_account: Some("XXXX1234".into()),
            internal: false,
        };
        let list = [payee("b1", "Priya Nair"), payee("b2", "Rahul Verma")];
        assert_eq!(
            find_payee(&list, "rahul verma").map(|p| p.beneficiary_id.as_str()),
            Some("b2")
        );
        assert_eq!(find_payee(&list, "Priya"), None);
    }

    #[test]
    fn terms_state_payee_amount_fee_and_accounts() {
        let p = PendingPayment {
            consent_id: "pdc_1".into(),
            payee: "Priya Nair".into(),
            payee_masked: "XXXX4321".into(),
            internal: false,
            amount: Money::from_minor(12_345_600, anumati_domain::Currency::INR),
            fee: Money::from_minor(200, anumati_domain::Currency::INR),
            debtor_masked: "XXXX1234".into(),
        };
        let en = terms(&p, Lang::En, false);
        for part in [
            "₹1,23,456.00",
            "Priya Nair",
            "XXXX4321",
            "XXXX1234",
            "Fee: ₹2.00",
            "another bank",
        ] {
            assert!(en.contains(part), "{part} in {en}");
        }
        let hi = terms(&p, Lang::Hi, true);
        for part in ["₹1,23,456.00", "शुल्क: ₹2.00", "नया"] {
            assert!(hi.contains(part), "{part} in {hi}");
        }
    }
}
