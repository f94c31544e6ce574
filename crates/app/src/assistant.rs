//! Answering: from a message, in its conversation, to a reply, on every
//! channel. [`crate::dialogue`] decides what a message means; this carries
//! the decision out.

use anumati_domain::consent::ConsentArtefact;
use anumati_domain::Currency;
use anumati_nlu::entities::Context;
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;

use crate::answers::{self, local_today};
use crate::cards::CardLock;
use crate::confidence::Confidence;
use crate::data::{Access, Snapshot};
use crate::dialogue::{self, Decision, Form, Query, Slot, State, Turn};
use crate::nlu::{Lang, Understanding};
use crate::payments::Payees;
use crate::{AppError, ChatApp, Reply, StatusChange, MESSAGE_CHARS_MAX};

/// How long the conversation's context is kept (sealed in the vault).
pub const CONTEXT_MINUTES: i64 = 30;
const DIALOGUE_KIND: &str = "dialogue";

/// "turn on fraud alerts", "alerts chalu karo", "अलर्ट चालू करो".
fn asks_for_alerts(normalised: &str) -> bool {
    let alert = normalised.contains("alert") || normalised.contains("अलर्ट");
    let on = [
        "turn on",
        "switch on",
        "enable",
        "start",
        "set up",
        "activate",
        "chalu",
        "shuru",
        "चालू",
        "शुरू",
        "on",
    ]
    .iter()
    .any(|w| normalised.split(' ').any(|x| x == *w) || (w.contains(' ') && normalised.contains(w)));
    alert && on
}

/// A plain-words name of an intent, for "did you mean …?".
pub(crate) fn describe_intent(intent: &str, lang: Lang) -> String {
    let (en, hi) = match intent {
        "balance" => ("your balance", "आपका बैलेंस"),
        "transactions" => ("your transactions", "आपके लेन-देन"),
        "spend_summary" => ("how much you spent", "आपने कितना खर्च किया"),
        "where_shopped" => ("where you spent", "आपने कहाँ खर्च किया"),
        "compare_periods" => ("comparing your spending", "खर्च की तुलना"),
        "recurring_payments" => ("your regular payments", "आपके नियमित भुगतान"),
        "income" => ("the money you received", "आपको मिला पैसा"),
        "largest_purchases" => ("your largest purchases", "आपकी सबसे बड़ी ख़रीदें"),
        "card_lock" => ("locking your card", "कार्ड लॉक करना"),
        "card_unlock" => ("unlocking your card", "कार्ड अनलॉक करना"),
        "report_fraud" => ("reporting fraud", "धोखाधड़ी की शिकायत"),
        "pay" => ("sending money", "पैसे भेजना"),
        "link_bank" => ("linking your bank", "बैंक जोड़ना"),
        "consent_status" => ("who has your data", "आपका डेटा किसके पास है"),
        "access_log" => ("who accessed your data", "आपका डेटा किसने देखा"),
        "consent_revoke" => ("revoking access to your data", "डेटा की पहुँच रद्द करना"),
        "consent_pause" => ("pausing sharing", "साझा करना रोकना"),
        "consent_resume" => ("resuming sharing", "साझा करना फिर शुरू करना"),
        "export_data" => ("a copy of your data", "आपके डेटा की कॉपी"),
        "delete_data" => ("deleting your data", "आपका डेटा मिटाना"),
        other => return other.replace('_', " "),
    };
    lang.pick(en, hi).to_owned()
}

fn yes_cancel(lang: Lang) -> Vec<String> {
    vec![
        lang.pick("Yes", "हाँ").to_owned(),
        lang.pick("Cancel", "रद्द करें").to_owned(),
    ]
}

impl ChatApp {
    /// Answers one message from a logged-in user, on any channel.
    pub async fn chat(&self, login: &str, message: &str) -> Result<Reply, AppError> {
        let chars = message.chars().count();
        if chars > MESSAGE_CHARS_MAX {
            return Err(AppError::MessageTooLong(chars));
        }
        if message.trim().is_empty() {
            return Err(AppError::EmptyMessage);
        }
        if !self.user_exists(login).await? {
            return Err(AppError::UnknownLogin(login.to_owned()));
        }
        let now = self.now();
        let context = Context {
            today: local_today(now, &[]),
            merchants: &[],
            places: &[],
            payees: &[],
            default_currency: Currency::INR,
        };
        let mut u = self.language().understand(message, &context);
        let mut state = self.load_dialogue_state(login).await?;
        if message.chars().any(char::is_alphabetic) {
            state.hindi = u.lang == Lang::Hi;
        } else if state.hindi {
            u.lang = Lang::Hi;
        }
        // An alert waiting for its answer takes "Yes, it was me" / "No, lock my card".
        let normalised = anumati_nlu::text::normalise(message);
        if let Some(alert) = state.alert.clone() {
            if let Some(answer) =
                crate::alerts::alert_answer(&normalised, &u.intent, state.form.is_some())
            {
                state.alert = None;
                let mut reply = self
                    .answer_alert(login, &alert, answer, u.lang, u.confidence)
                    .await?;
                self.save_dialogue_state(login, &state).await?;
                reply.confidence = u.confidence;
                return Ok(reply);
            }
        }
        if asks_for_alerts(&normalised) {
            let mut r = self.text(
                "alerts_on",
                u.confidence,
                u.lang.pick(
                    "Fraud alerts need your consent to send me your card payments as they happen (a STREAM consent). Approve it here; you can revoke it at any time, and the alerts stop at once.",
                    "फ्रॉड अलर्ट के लिए आपकी सहमति चाहिए कि बैंक आपके कार्ड भुगतान होते ही मुझे भेजे (STREAM सहमति)। यहाँ स्वीकार करें; आप इसे कभी भी रद्द कर सकते हैं, और अलर्ट तुरंत बंद हो जाएँगे।",
                ),
            );
            r.link = Some(
                self.start_link_in_mode(login, anumati_domain::consent::ConsentMode::Stream)
                    .await?
                    .1,
            );
            self.save_dialogue_state(login, &state).await?;
            return Ok(r);
        }
        // A payment names a payee: read the customer's saved payees (under
        // their consent) only then, and find the names among them.
        let paying = match &state.form {
            Some(form @ Form::Pay { .. }) => form.pending().is_none(),
            _ => u.intent == "pay" && u.confidence >= dialogue::GUESS,
        };
        let payees = if paying && self.payments_enabled() {
            let payees = self.payees(login).await?;
            if let Payees::Found { payees: list, .. } = &payees {
                let names: Vec<String> = list.iter().map(|p| p.name.clone()).collect();
                let context = Context {
                    payees: &names,
                    ..context
                };
                u.entities = anumati_nlu::entities::extract(message, &context);
            }
            Some(payees)
        } else {
            None
        };
        let turn = Turn {
            intent: u.intent.clone(),
            confidence: u.confidence,
            entities: u.entities.clone(),
            words: u.words,
            narrows: u.narrows,
            payee_text: u.payee_text.clone(),
            note: u.note.clone(),
            code: u.code.clone(),
            resend: u.resend,
        };
        let decision = dialogue::decide(&mut state, &turn);
        let mut reply = self
            .carry_out(login, message, &u, decision, &mut state, payees.as_ref())
            .await?;
        // After an erasure nothing about the customer is kept, not even context.
        // After a revocation too: the shredded key stays shredded.
        if reply.data.get("erased").is_none() && reply.data.get("revoked").is_none() {
            self.save_dialogue_state(login, &state).await?;
        }
        reply.confidence = u.confidence;
        if let serde_json::Value::Object(map) =
            serde_json::to_value(&u.entities).map_err(|e| AppError::Corrupt(e.to_string()))?
        {
            reply.entities = map;
        }
        Ok(reply)
    }

    pub(crate) async fn load_dialogue_state(&self, login: &str) -> Result<State, AppError> {
        let bytes = self
            .vault()
            .get(login, DIALOGUE_KIND, "state", self.now())
            .await?;
        // An unreadable context (a format from an older version) is forgotten.
        Ok(bytes
            .and_then(|b| {
                serde_json::from_slice(&b)
                    .map_err(|e| tracing::warn!(error = %e, "conversation context unreadable; starting afresh"))
                    .ok()
            })
            .unwrap_or_default())
    }

    pub(crate) async fn save_dialogue_state(
        &self,
        login: &str,
        state: &State,
    ) -> Result<(), AppError> {
        self.save_dialogue_states(&[(login, state)]).await
    }

    /// Saves several customers' conversations in one transaction.
    pub(crate) async fn save_dialogue_states(
        &self,
        states: &[(&str, &State)],
    ) -> Result<(), AppError> {
        let until = self.now() + SignedDuration::from_mins(CONTEXT_MINUTES);
        let bytes = states
            .iter()
            .map(|(_, state)| {
                serde_json::to_vec(state).map_err(|e| AppError::Corrupt(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let records: Vec<crate::vault::Record<'_>> = states
            .iter()
            .zip(&bytes)
            .map(|((login, _), bytes)| crate::vault::Record {
                login,
                kind: DIALOGUE_KIND,
                id: "state",
                plaintext: bytes,
                keep_until: until,
            })
            .collect();
        self.vault().put_many(&records).await?;
        Ok(())
    }

    fn text(&self, intent: &str, confidence: Confidence, text: impl Into<String>) -> Reply {
        self.reply(intent, confidence, text.into(), serde_json::json!({}))
    }

    async fn carry_out(
        &self,
        login: &str,
        message: &str,
        u: &Understanding,
        decision: Decision,
        state: &mut State,
        payees: Option<&Payees>,
    ) -> Result<Reply, AppError> {
        let lang = u.lang;
        let c = u.confidence;
        Ok(match decision {
            Decision::Answer {
                intent,
                query,
                reminder,
            } => {
                let mut r = self
                    .answer(login, message, &intent, &query, u, state)
                    .await?;
                if let Some(form) = reminder {
                    r.reply.push_str(&format!(
                        "\n\n{} {}",
                        lang.pick("We were in the middle of", "हम बीच में थे:"),
                        describe_intent(form.intent(), lang)
                    ));
                    r.reply
                        .push_str(lang.pick(" — shall we go on?", " — आगे बढ़ें?"));
                    r.quick_replies = yes_cancel(lang);
                }
                r
            }
            Decision::Ask(form, slot) => self.ask(&form, slot, lang, c),
            // A resend is a new consent too: `start_pay` cancels the waiting one.
            Decision::Confirm(form @ Form::Pay { .. })
            | Decision::Execute(form @ Form::Pay { .. })
            | Decision::Resend(form) => self.start_pay(login, form, lang, c, state, payees).await?,
            Decision::Confirm(form) => self.confirm(&form, lang, c),
            Decision::Execute(form) => self.execute(login, &form, lang, c).await?,
            Decision::Authorise(form, code) => {
                self.authorise_pay(&form, &code, lang, c, state).await?
            }
            Decision::Cancelled(form) => {
                if let Some(p) = form.pending() {
                    self.cancel_payment(&p.consent_id).await;
                }
                self.text(
                    form.intent(),
                    c,
                    lang.pick(
                        "Cancelled — nothing was done.",
                        "रद्द कर दिया — कुछ नहीं किया गया।",
                    ),
                )
            }
            Decision::Dropped { form, then } => {
                if let Some(p) = form.pending() {
                    self.cancel_payment(&p.consent_id).await;
                }
                let mut r =
                    Box::pin(self.carry_out(login, message, u, *then, state, payees)).await?;
                r.reply = format!(
                    "{} {}.\n{}",
                    lang.pick("I have set aside", "मैंने यह छोड़ दिया:"),
                    describe_intent(form.intent(), lang),
                    r.reply
                );
                r
            }
            Decision::ConfirmGuess(intent) => {
                let mut r = self.text(
                    &intent,
                    c,
                    match lang {
                        Lang::En => format!("Did you mean {}?", describe_intent(&intent, lang)),
                        Lang::Hi => {
                            format!("क्या आप {} के बारे में पूछ रहे हैं?", describe_intent(&intent, lang))
                        }
                    },
                );
                r.quick_replies =
                    vec![lang.pick("Yes", "हाँ").into(), lang.pick("No", "नहीं").into()];
                r
            }
            Decision::Rephrase => {
                let mut r = self.text(
                    "fallback",
                    c,
                    lang.pick(
                        "Sorry, I did not understand that. Could you say it another way? For example \"what's my balance?\" or \"how much did I spend on food last month?\"",
                        "माफ़ कीजिए, मैं समझ नहीं पाया। क्या आप इसे दूसरे तरीके से कह सकते हैं? जैसे \"मेरा बैलेंस क्या है?\" या \"पिछले महीने खाने पर कितना खर्च हुआ?\"",
                    ),
                );
                r.quick_replies = vec![lang.pick("Talk to a person", "किसी व्यक्ति से बात करें").into()];
                r
            }
            Decision::Handoff => self.handoff(login, "human_agent", lang, c, "").await?,
        })
    }

    async fn handoff(
        &self,
        login: &str,
        reason: &str,
        lang: Lang,
        c: Confidence,
        before: &str,
    ) -> Result<Reply, AppError> {
        let reference = self.store().add_handoff(login, reason, self.now()).await?;
        tracing::info!(reference, reason, "conversation handed to a person");
        let mut r = self.text(
            "human_agent",
            c,
            format!(
                "{before}{}",
                match lang {
                    Lang::En => format!("I am passing this conversation to a person at the bank (reference H-{reference}); they will reply here."),
                    Lang::Hi => format!("मैं यह बातचीत बैंक के एक व्यक्ति को सौंप रहा हूँ (संदर्भ H-{reference}); वे यहीं जवाब देंगे।"),
                }
            ),
        );
        r.data = serde_json::json!({ "handoff": reference, "reason": reason });
        Ok(r)
    }

    fn ask(&self, form: &Form, slot: Slot, lang: Lang, c: Confidence) -> Reply {
        let mut r = match (form, slot) {
            (
                Form::Pay {
                    payee_candidates, ..
                },
                Slot::Payee,
            ) if !payee_candidates.is_empty() => {
                let mut r = self.text(
                    "pay",
                    c,
                    lang.pick("Which one do you mean?", "आप किसकी बात कर रहे हैं?"),
                );
                r.quick_replies = payee_candidates.clone();
                r
            }
            (_, Slot::Payee) => {
                self.text("pay", c, lang.pick("Whom should I pay?", "किसे पैसे भेजने हैं?"))
            }
            (Form::Pay { payee, .. }, Slot::Amount) => self.text(
                "pay",
                c,
                match lang {
                    Lang::En => format!(
                        "How much should I send to {}?",
                        payee.as_deref().unwrap_or("them")
                    ),
                    Lang::Hi => format!("{} को कितने भेजने हैं?", payee.as_deref().unwrap_or("उन")),
                },
            ),
            (_, Slot::Amount) => self.text(form.intent(), c, lang.pick("How much?", "कितने?")),
            (_, Slot::Code) => {
                let mut r = self.text(
                    "pay",
                    c,
                    lang.pick(
                        "Please type the 6-digit code the bank sent to your phone, or say cancel.",
                        "कृपया बैंक द्वारा आपके फ़ोन पर भेजा गया 6 अंकों का कोड लिखें, या रद्द करें।",
                    ),
                );
                r.quick_replies = vec![lang.pick("Resend code", "कोड दोबारा भेजें").to_owned()];
                r
            }
        };
        r.quick_replies
            .push(lang.pick("Cancel", "रद्द करें").to_owned());
        r
    }

    pub(crate) fn confirm(&self, form: &Form, lang: Lang, c: Confidence) -> Reply {
        let text = match form {
            // A payment is shown by the bank's terms, with its code (`start_pay`).
            Form::Pay { .. } => describe_intent("pay", lang),
            Form::Action { intent } => match intent.as_str() {
                "card_lock" => lang.pick("Lock your cards? While they are locked, card payments are declined. You can unlock them here at any time.", "अपने कार्ड लॉक करें? लॉक रहने तक कार्ड से भुगतान अस्वीकार होंगे। आप यहीं कभी भी अनलॉक कर सकते हैं।").to_owned(),
                "card_unlock" => lang.pick("Unlock your cards, so card payments work again?", "अपने कार्ड अनलॉक करें, ताकि कार्ड से भुगतान फिर हो सकें?").to_owned(),
                "consent_revoke" => lang.pick("Revoke the chat app's access to your bank data? The bank will refuse it from then on and the copy the app kept is destroyed.", "चैट ऐप की आपके बैंक डेटा तक पहुँच रद्द करें? इसके बाद बैंक मना कर देगा और ऐप की रखी कॉपी नष्ट हो जाएगी।").to_owned(),
                "delete_data" => lang.pick("Delete everything the chat app holds about you? This revokes the consent and cannot be undone.", "चैट ऐप के पास आपका जो कुछ है, सब मिटा दें? इससे सहमति रद्द होगी और यह वापस नहीं होगा।").to_owned(),
                other => describe_intent(other, lang),
            },
        };
        let mut r = self.text(form.intent(), c, text);
        r.quick_replies = yes_cancel(lang);
        r
    }

    async fn execute(
        &self,
        login: &str,
        form: &Form,
        lang: Lang,
        c: Confidence,
    ) -> Result<Reply, AppError> {
        let plain = |text: &str| self.text(form.intent(), c, text);
        Ok(match form {
            Form::Pay { .. } => plain(&describe_intent("pay", lang)),
            Form::Action { intent } => match intent.as_str() {
                "consent_revoke" => match self.revoke(login).await? {
                    Some(id) => {
                        let mut r = plain(lang.pick(
                            "Done: the chat app's access to your bank data is revoked, and the copy it kept is destroyed. The bank will refuse it from now on.",
                            "हो गया: चैट ऐप की आपके बैंक डेटा तक पहुँच रद्द कर दी गई है और उसकी रखी कॉपी नष्ट कर दी गई है।",
                        ));
                        r.data = serde_json::json!({ "revoked": id });
                        r
                    }
                    None => plain(lang.pick(
                        "Your bank is not linked, so nothing is shared.",
                        "आपका बैंक जुड़ा नहीं है, इसलिए कुछ भी साझा नहीं हो रहा।",
                    )),
                },
                "delete_data" => self.delete_reply(login, intent, c, lang).await?,
                "card_lock" | "card_unlock" => {
                    self.card_lock_reply(login, intent == "card_lock", lang, c)
                        .await?
                }
                other => plain(&describe_intent(other, lang)),
            },
        })
    }

    /// The customer's answer to a fraud alert.
    async fn answer_alert(
        &self,
        login: &str,
        alert: &crate::alerts::PendingAlert,
        answer: crate::alerts::AlertAnswer,
        lang: Lang,
        c: Confidence,
    ) -> Result<Reply, AppError> {
        tracing::info!(authorisation = %alert.authorisation_id, ?answer, "fraud alert answered");
        match answer {
            crate::alerts::AlertAnswer::ItWasMe => {
                let mut r = self.text(
                    "fraud_alert",
                    c,
                    match lang {
                        Lang::En => format!(
                            "Thank you — the payment at {} was yours, so nothing changes.",
                            alert.merchant
                        ),
                        Lang::Hi => format!(
                            "धन्यवाद — {} का भुगतान आपका था, इसलिए कुछ नहीं बदला।",
                            alert.merchant
                        ),
                    },
                );
                r.data = serde_json::json!({ "alert": { "authorisation_id": alert.authorisation_id, "answer": "it_was_me" } });
                Ok(r)
            }
            crate::alerts::AlertAnswer::LockMyCard => {
                let mut r = self.card_lock_reply(login, true, lang, c).await?;
                r.data["alert"] = serde_json::json!({ "authorisation_id": alert.authorisation_id, "answer": "lock" });
                Ok(r)
            }
        }
    }

    async fn card_lock_reply(
        &self,
        login: &str,
        lock: bool,
        lang: Lang,
        c: Confidence,
    ) -> Result<Reply, AppError> {
        let intent = if lock { "card_lock" } else { "card_unlock" };
        let say = |en: &str, hi: &str| self.text(intent, c, lang.pick(en, hi));
        Ok(match self.lock_cards(login, lock).await? {
            CardLock::NotLinked => {
                let mut r = say(
                    "To lock or unlock your cards from here I need your bank linked. You can also call the bank's helpline.",
                    "यहाँ से कार्ड लॉक या अनलॉक करने के लिए आपका बैंक जुड़ा होना चाहिए। आप बैंक की हेल्पलाइन पर भी कॉल कर सकते हैं।",
                );
                r.link = Some(self.link_page(login).await?);
                r
            }
            CardLock::Refused(_) => say(
                "The bank refused: your consent does not allow this now (it may be paused, revoked or expired).",
                "बैंक ने मना कर दिया: आपकी सहमति अभी इसकी अनुमति नहीं देती।",
            ),
            CardLock::Done(cards) => {
                let list: Vec<String> = cards.iter().map(|c| c.masked_pan.clone()).collect();
                let mut r = self.text(
                    intent,
                    c,
                    match (lang, lock) {
                        (Lang::En, true) => format!("Locked: {}. Card payments are declined until you say \"unlock my card\".", list.join(", ")),
                        (Lang::En, false) => format!("Unlocked: {}. Your cards work again.", list.join(", ")),
                        (Lang::Hi, true) => format!("लॉक हो गया: {}। \"मेरा कार्ड अनलॉक करो\" कहने तक कार्ड से भुगतान अस्वीकार होंगे।", list.join(", ")),
                        (Lang::Hi, false) => format!("अनलॉक हो गया: {}। आपके कार्ड फिर से चलेंगे।", list.join(", ")),
                    },
                );
                r.data = serde_json::json!({ "cards": cards });
                r
            }
        })
    }

    /// Answers one intent (with the details of the question).
    async fn answer(
        &self,
        login: &str,
        message: &str,
        intent: &str,
        query: &Query,
        u: &Understanding,
        state: &mut State,
    ) -> Result<Reply, AppError> {
        let lang = u.lang;
        let c = u.confidence;
        let say = |en: &str, hi: &str| self.text(intent, c, lang.pick(en, hi));
        match intent {
            "greeting" => return Ok(say("Hello! I can tell you your balance, your transactions and where your money goes. Ask \"what's my balance?\" or \"how much did I spend on food this month?\"", "नमस्ते! मैं आपका बैलेंस, लेन-देन और आपका पैसा कहाँ जाता है, बता सकता हूँ। पूछिए \"मेरा बैलेंस क्या है?\"")),
            "thanks" => return Ok(say("You're welcome.", "आपका स्वागत है।")),
            "help" => return Ok(say("Ask me about your money: \"what's my balance?\", \"show my last 5 transactions\", \"how much did I spend on food last month?\", \"where did I shop this week?\", \"compare this month with last month\", \"my subscriptions\", \"my salary\", \"biggest purchases\". Cards: \"lock my card\". About your data: \"who has my data?\", \"who accessed my data this week?\", \"pause sharing\", \"revoke access\", \"export my data\", \"delete my data\". I answer in English and Hindi.", "मुझसे अपने पैसों के बारे में पूछिए: \"मेरा बैलेंस क्या है?\", \"पिछले 5 लेन-देन दिखाओ\", \"पिछले महीने खाने पर कितना खर्च हुआ?\", \"इस महीने की तुलना पिछले महीने से करो\"। कार्ड: \"मेरा कार्ड लॉक करो\"। डेटा: \"मेरा डेटा किसके पास है?\", \"साझा करना रोको\", \"मेरा डेटा मिटाओ\"।")),
            "human_agent" => return self.handoff(login, "human_agent", lang, c, "").await,
            "affirm" | "deny" | "cancel" => return Ok(say("There is nothing waiting for a yes or no right now.", "अभी हाँ या ना के लिए कुछ बाकी नहीं है।")),
            "fallback" => return Ok(say("Sorry, I did not understand that. Try \"what's my balance?\"", "माफ़ कीजिए, मैं समझ नहीं पाया। पूछिए \"मेरा बैलेंस क्या है?\"")),
            "consent_pause" => {
                return Ok(match self.change_status(login, StatusChange::Pause).await? {
                    Some(id) => {
                        let mut r = say("Sharing is paused: the bank will refuse the chat app until you say \"resume sharing\".", "साझा करना रोक दिया गया है। फिर से शुरू करने के लिए \"resume sharing\" कहें।");
                        r.data = serde_json::json!({ "paused": id });
                        r
                    }
                    None => say("Nothing is being shared right now.", "अभी कुछ भी साझा नहीं हो रहा।"),
                });
            }
            "consent_resume" => {
                return Ok(match self.change_status(login, StatusChange::Resume).await? {
                    Some(id) => {
                        let mut r = say("Sharing is on again.", "साझा करना फिर से शुरू हो गया है।");
                        r.data = serde_json::json!({ "resumed": id });
                        r
                    }
                    None => say("There is no paused consent to resume.", "फिर से शुरू करने के लिए कोई रुकी हुई सहमति नहीं है।"),
                });
            }
            "consent_status" => return self.consent_status_reply(login, intent, c, lang).await,
            "access_log" => return self.access_log_reply(login, intent, c, lang, query).await,
            "export_data" => return self.export_reply(login, intent, c, lang).await,
            "link_bank" => {
                let url = self.link_page(login).await?;
                let mut r = say("Link your bank here — you will see exactly what is shared, and you can revoke it at any time.", "अपना बैंक यहाँ जोड़ें — आप देखेंगे कि क्या साझा होगा, और इसे कभी भी रद्द कर सकते हैं।");
                r.link = Some(url);
                return Ok(r);
            }
            "report_fraud" => {
                let mut r = self
                    .handoff(login, "report_fraud", lang, c, lang.pick(
                        "I'm sorry. To stop any more card payments now, say \"lock my card\". ",
                        "हमें खेद है। अभी आगे के कार्ड भुगतान रोकने के लिए \"मेरा कार्ड लॉक करो\" कहें। ",
                    ))
                    .await?;
                r.intent = intent.to_owned();
                r.quick_replies = vec![lang.pick("Lock my card", "मेरा कार्ड लॉक करो").into()];
                return Ok(r);
            }
            _ => {}
        }
        if let Some(faq) = self.language().faq().get(intent) {
            let text = match lang {
                Lang::Hi => faq.answer_hi.as_deref().unwrap_or(&faq.answer),
                Lang::En => &faq.answer,
            };
            if faq.handoff || c < dialogue::FAQ_HANDOFF {
                let mut r = self
                    .handoff(login, intent, lang, c, &format!("{text}\n"))
                    .await?;
                r.intent = intent.to_owned();
                return Ok(r);
            }
            return Ok(self.text(intent, c, text));
        }
        if !dialogue::DATA_INTENTS.contains(&intent) {
            return Ok(say(
                "Sorry, I cannot help with that here yet.",
                "माफ़ कीजिए, इसमें मैं अभी यहाँ मदद नहीं कर सकता।",
            ));
        }
        match self.account_data(login).await? {
            Access::NotLinked => {
                let url = self.link_page(login).await?;
                let mut r = say(
                    "To answer that I need your permission to see your bank data. Link your bank here — you will see exactly what is shared, and you can revoke it at any time.",
                    "इसका जवाब देने के लिए मुझे आपके बैंक डेटा को देखने की अनुमति चाहिए। यहाँ अपना बैंक जोड़ें (link) — आप देखेंगे कि क्या साझा होगा, और इसे कभी भी रद्द कर सकते हैं।",
                );
                r.link = Some(url);
                Ok(r)
            }
            Access::Refused(status) => Ok(say(
                match status {
                    403 | 409 => "The bank refused: your consent does not allow this (it may have expired, been paused or revoked). Say \"link my bank\" to grant a new one.",
                    429 => "The bank refused: you have reached today's limit of requests under your consent.",
                    _ => "I could not reach your bank just now. Please try again in a moment.",
                },
                match status {
                    403 | 409 => "बैंक ने मना कर दिया: आपकी सहमति इसकी अनुमति नहीं देती (शायद वह समाप्त, रुकी या रद्द है)। नई सहमति के लिए \"link my bank\" कहें।",
                    429 => "बैंक ने मना कर दिया: आपकी सहमति के तहत आज की सीमा पूरी हो गई है।",
                    _ => "अभी आपके बैंक तक नहीं पहुँच सका। कृपया थोड़ी देर में फिर कोशिश करें।",
                },
            )),
            Access::Data { snapshot, stale } => {
                let query = self.resolve(message, query, &snapshot, state, intent);
                let today = local_today(self.now(), &snapshot.accounts);
                let mut r = self.data_answer(intent, &query, &snapshot, today, u);
                if stale {
                    r.reply.push_str(&format!(
                        "\n({} {})",
                        lang.pick("as of", "इस समय तक:"),
                        snapshot.fetched_at.strftime("%-d %b %H:%M UTC")
                    ));
                }
                Ok(r)
            }
        }
    }

    /// Reads the message again with what only the data can tell: the
    /// customer's own merchants and cities, and their currency.
    fn resolve(
        &self,
        message: &str,
        query: &Query,
        snapshot: &Snapshot,
        state: &mut State,
        intent: &str,
    ) -> Query {
        let mut merchants: Vec<String> = Vec::new();
        let mut places: Vec<String> = Vec::new();
        for t in snapshot
            .accounts
            .iter()
            .filter_map(|a| a.transactions.as_ref())
            .flatten()
        {
            if let Some(m) = &t.merchant {
                if !merchants.contains(&m.name) {
                    merchants.push(m.name.clone());
                }
                if !m.place.city.is_empty() && !places.contains(&m.place.city) {
                    places.push(m.place.city.clone());
                }
            }
        }
        let currency = snapshot
            .accounts
            .first()
            .and_then(|a| a.currency.parse::<Currency>().ok())
            .unwrap_or(Currency::INR);
        let context = Context {
            today: local_today(self.now(), &snapshot.accounts),
            merchants: &merchants,
            places: &places,
            payees: &[],
            default_currency: currency,
        };
        let entities = anumati_nlu::entities::extract(message, &context);
        let mut fresh = Query::from_entities(&entities);
        // Periods and amounts were read without the data; keep the query's.
        fresh.from = None;
        fresh.to = None;
        fresh.period = None;
        if fresh.min.is_some_and(|m| m.currency() != currency)
            || fresh.max.is_some_and(|m| m.currency() != currency)
        {
            fresh.min = None;
            fresh.max = None;
        }
        let merged = query.merged(&Query {
            merchant: fresh.merchant,
            merchant_candidates: fresh.merchant_candidates,
            place: fresh.place,
            ..Query::default()
        });
        if let Some((last_intent, last)) = &mut state.last {
            if last_intent == intent {
                *last = merged.clone();
            }
        }
        merged
    }

    fn data_answer(
        &self,
        intent: &str,
        query: &Query,
        snapshot: &Snapshot,
        today: jiff::civil::Date,
        u: &Understanding,
    ) -> Reply {
        let lang = u.lang;
        if query.merchant.is_none() && query.merchant_candidates.len() > 1 {
            let mut r = self.text(
                intent,
                u.confidence,
                lang.pick("Which one do you mean?", "आप किसकी बात कर रहे हैं?"),
            );
            r.quick_replies = query
                .merchant_candidates
                .iter()
                .map(|m| format!("only {m}"))
                .collect();
            return r;
        }
        let a = match intent {
            "balance" => answers::balances(snapshot, lang),
            "transactions" => answers::transactions(snapshot, query, today, lang),
            "spend_summary" => answers::spend_summary(snapshot, query, today, lang),
            "where_shopped" => answers::where_shopped(snapshot, query, today, lang),
            "compare_periods" => answers::compare_periods(snapshot, query, today, lang),
            "recurring_payments" => answers::recurring(snapshot, lang),
            "income" => answers::income(snapshot, query, today, lang),
            _ => answers::largest(snapshot, query, today, lang),
        };
        let mut r = self.reply(intent, u.confidence, a.text, a.data);
        r.image = a.image;
        r
    }

    async fn consent_status_reply(
        &self,
        login: &str,
        intent: &str,
        c: Confidence,
        lang: Lang,
    ) -> Result<Reply, AppError> {
        let hi = lang == Lang::Hi;
        let mut lines = Vec::new();
        let mut consents = Vec::new();
        for link in self.store().links_of(login).await? {
            if !matches!(link.status.as_str(), "ACTIVE" | "PAUSED") {
                continue;
            }
            let Some(a) = link
                .artefact
                .as_deref()
                .and_then(|a| anumati_wire::jws::peek_unverified::<ConsentArtefact>(a).ok())
            else {
                continue;
            };
            lines.push(format!(
                "• {} ({}) sees {} of {} for \"{}\", until {}",
                a.data_consumer.id,
                link.status,
                a.consent_types
                    .iter()
                    .map(|t| format!("{t:?}").to_lowercase())
                    .collect::<Vec<_>>()
                    .join(", "),
                a.accounts
                    .iter()
                    .map(|x| x.masked_acc_number.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                a.purpose.text,
                a.expiry.strftime("%-d %b %Y"),
            ));
            consents.push(serde_json::json!({ "consent_id": a.consent_id, "status": link.status, "artefact": a }));
        }
        let text = if lines.is_empty() {
            (if hi {
                "अभी आपका डेटा किसी के साथ साझा नहीं हो रहा।"
            } else {
                "Nobody has access to your bank data through this chat."
            })
            .to_owned()
        } else {
            format!(
                "{}\n{}",
                if hi {
                    "आपका डेटा इनके पास है:"
                } else {
                    "Who has access to your bank data:"
                },
                lines.join("\n")
            )
        };
        Ok(self.reply(intent, c, text, serde_json::json!({ "consents": consents })))
    }

    async fn access_log_reply(
        &self,
        login: &str,
        intent: &str,
        c: Confidence,
        lang: Lang,
        query: &Query,
    ) -> Result<Reply, AppError> {
        let hi = lang == Lang::Hi;
        // "today", "this month": back to the period's first day; a week by default.
        let today = local_today(self.now(), &[]);
        let days = query
            .from
            .map(|from| i64::from((today - from).get_days()).max(0) + 1)
            .unwrap_or(7);
        let since = self.now() - SignedDuration::from_hours(24 * days);
        let links = self.store().links_of(login).await?;
        let Some(consent_id) = links.iter().find_map(|l| l.consent_id.clone()) else {
            return Ok(self.reply(
                intent,
                c,
                "You have never linked your bank, so nobody accessed your data through this chat."
                    .into(),
                serde_json::json!({ "entries": [] }),
            ));
        };
        #[derive(Deserialize)]
        struct Log {
            entries: Vec<serde_json::Value>,
            head: Option<serde_json::Value>,
        }
        let path = format!("/v1/consents/{consent_id}/log?since={}&limit=50", since);
        let response = self.cm_call(axum::http::Method::GET, &path, None).await?;
        if !response.status.is_success() {
            return Err(AppError::ConsentManager(format!(
                "access log answered {}",
                response.status
            )));
        }
        let log: Log = serde_json::from_slice(&response.body)
            .map_err(|e| AppError::ConsentManager(e.to_string()))?;
        // The head must carry the consent manager's signature over exactly its fields.
        let head_verified = log.head.as_ref().is_some_and(|head| {
            self.consent_manager_keys()
                .verify::<serde_json::Value>(head["signature"].as_str().unwrap_or(""))
                .is_ok_and(|claims| {
                    claims["tree_size"] == head["tree_size"]
                        && claims["root_hash"] == head["root_hash"]
                        && claims["timestamp"] == head["timestamp"]
                })
        });
        let mut text = format!(
            "{} ({} entries, last {days} days):",
            if hi {
                "आपके डेटा तक किसने पहुँच की"
            } else {
                "Who accessed your data"
            },
            log.entries.len()
        );
        for e in log.entries.iter().take(10) {
            let at = e["at"]
                .as_str()
                .and_then(|t| t.parse::<Timestamp>().ok())
                .map(|t| t.strftime("%-d %b %H:%M").to_string())
                .unwrap_or_default();
            let what = match e["event"].as_str().unwrap_or("") {
                "data.fetch" => "fetched your data",
                "consent.approved" => "— you approved a consent",
                "consent.rejected" => "— you denied a consent",
                "consent.revoked" => "revoked the consent",
                "consent.paused" => "paused the consent",
                "consent.resumed" => "resumed the consent",
                "consent.expired" => "— the consent expired",
                "data.erased" => "erased your data",
                "card.lock" => "locked your cards",
                "card.unlock" => "unlocked your cards",
                "payees.read" => "read your saved payees (to pay one)",
                other => other,
            };
            let outcome = if e["outcome"] == "refused" {
                format!(" — REFUSED ({})", e["reason"].as_str().unwrap_or(""))
            } else {
                String::new()
            };
            text.push_str(&format!(
                "\n• {at} {} {what} (purpose {}){outcome}",
                e["actor"].as_str().unwrap_or("?"),
                e["purpose"].as_str().unwrap_or("-")
            ));
        }
        Ok(self.reply(
            intent,
            c,
            text,
            serde_json::json!({ "entries": log.entries, "head": log.head, "head_verified": head_verified }),
        ))
    }

    /// Everything the app holds about the user, decrypted, as one JSON document.
    pub async fn export(&self, login: &str) -> Result<serde_json::Value, AppError> {
        let links: Vec<serde_json::Value> = self
            .store()
            .links_of(login)
            .await?
            .into_iter()
            .map(|l| {
                let artefact = l.artefact.as_deref().and_then(|a| anumati_wire::jws::peek_unverified::<serde_json::Value>(a).ok());
                serde_json::json!({ "handle": l.handle, "consent_id": l.consent_id, "status": l.status, "artefact": artefact })
            })
            .collect();
        let mut stored = Vec::new();
        for (kind, id, bytes) in self.vault().all(login, self.now()).await? {
            let value: serde_json::Value =
                serde_json::from_slice(&bytes).map_err(|e| AppError::Corrupt(e.to_string()))?;
            stored.push(serde_json::json!({ "kind": kind, "id": id, "data": value }));
        }
        Ok(serde_json::json!({
            "login": login,
            "exported_at": self.now(),
            "consents": links,
            "stored_data": stored,
        }))
    }

    async fn export_reply(
        &self,
        login: &str,
        intent: &str,
        c: Confidence,
        lang: Lang,
    ) -> Result<Reply, AppError> {
        let export = self.export(login).await?;
        let mut reply = self.reply(
            intent,
            c,
            lang.pick(
                "Here is everything the chat app holds about you, as a JSON file.",
                "चैट ऐप के पास आपका जो कुछ है, वह सब यहाँ JSON फ़ाइल में है।",
            )
            .into(),
            export,
        );
        reply.link = Some("api/export".into());
        Ok(reply)
    }

    /// Erases everything the app holds about the user's bank data: revokes
    /// the consent, destroys the data key, and has the erasure logged.
    pub async fn erase(&self, login: &str) -> Result<(), AppError> {
        let consent = self
            .store()
            .links_of(login)
            .await?
            .into_iter()
            .find(|l| matches!(l.status.as_str(), "ACTIVE" | "PAUSED"));
        if consent.is_some() {
            self.revoke(login).await?;
        }
        self.vault().shred(login).await?;
        self.store().delete_handoffs(login).await?;
        for link in self.store().links_of(login).await? {
            self.store()
                .end_link(
                    &link.handle,
                    if link.status == "PENDING" {
                        "REJECTED"
                    } else {
                        &link.status
                    },
                    self.now(),
                )
                .await?;
            if let Some(consent_id) = link.consent_id {
                let response = self
                    .cm_call(
                        axum::http::Method::POST,
                        &format!("/v1/consents/{consent_id}/erased"),
                        None,
                    )
                    .await?;
                if !response.status.is_success() {
                    return Err(AppError::ConsentManager(format!(
                        "erasure log answered {}",
                        response.status
                    )));
                }
            }
        }
        Ok(())
    }

    async fn delete_reply(
        &self,
        login: &str,
        intent: &str,
        c: Confidence,
        lang: Lang,
    ) -> Result<Reply, AppError> {
        let hi = lang == Lang::Hi;
        self.erase(login).await?;
        Ok(self.reply(
            intent,
            c,
            (if hi {
                "आपका डेटा मिटा दिया गया है: सहमति रद्द, कुंजी नष्ट, और यह मिटाना लॉग में दर्ज है।"
            } else {
                "Your data is erased: the consent is revoked, your data key is destroyed, and the erasure is in the access log."
            })
            .to_owned(),
            serde_json::json!({ "erased": true }),
        ))
    }
}
