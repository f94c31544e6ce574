//! Fraud alerts in chat: "was this you?" — and one tap locks the card.
//!
//! Only under a STREAM consent: the customer turns alerts on ("turn on
//! fraud alerts"), approves a STREAM consent on the consent manager's page,
//! and the app subscribes to the bank's card events through the consent
//! manager (`POST /v1/streams`, logged as `stream.subscribe`). The bank
//! sends each of the customer's card authorisations as its versioned JSON
//! event, through the embedded mode's bounded queue
//! ([`anumati_wire::stream::Delivery`]), to [`ChatApp::spawn_alerts`]'s task.
//!
//! For each event the app checks that the consent is still one of its own
//! ACTIVE STREAM consents (the bank checks too), scores it with the online
//! detector ([`anumati_fraud::Detector`]: per-card and per-customer state
//! in bounded memory, the bank's thresholds) and, on an alert, pushes to the
//! customer's web chat and linked messaging chats the merchant, amount,
//! place and reasons, with the quick replies "Yes, it was me" and "No, lock
//! my card". The alert waits in the conversation: "No" locks the cards at
//! the bank through the consent manager (logged as `card.lock`), "Yes" is
//! noted; "unlock my card" reverses a lock as always. A revoked consent
//! stops alerts at once: the bank stops sending and the app drops anything
//! still queued.

use std::collections::HashMap;
use std::sync::Mutex;

use anumati_domain::consent::{ConsentArtefact, ConsentMode};
use anumati_fraud::{CardAuthorisation, Detector};
use anumati_wire::stream::Delivery;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::confidence::Confidence;
use crate::dialogue::State;
use crate::nlu::Lang;
use crate::{AppError, ChatApp, Reply};

/// The quick replies of an alert, and what they mean.
pub const ALERT_YES: &str = "Yes, it was me";
pub const ALERT_NO: &str = "No, lock my card";
const ALERT_YES_HI: &str = "हाँ, यह मैं था";
const ALERT_NO_HI: &str = "नहीं, कार्ड लॉक करो";

/// An alert waiting for the customer's answer (in the conversation's state).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingAlert {
    pub consent_id: String,
    pub authorisation_id: String,
    pub merchant: String,
}

/// How the customer answered an alert, from their words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertAnswer {
    ItWasMe,
    LockMyCard,
}

/// Reads an answer to a waiting alert: the quick replies or words that can
/// only mean one ("it was me", "not me", "lock my card"); a bare yes or no
/// only when no form (a payment, a card lock) waits for it.
pub fn alert_answer(normalised: &str, intent: &str, form_waiting: bool) -> Option<AlertAnswer> {
    let n = normalised.trim_end_matches(['.', '!']);
    let is = |w: &str| n == anumati_nlu::text::normalise(w);
    let unlock = n.contains("unlock") || n.contains("अनलॉक");
    if is(ALERT_NO)
        || is(ALERT_NO_HI)
        || n.contains("not me")
        || n.contains("wasn't me")
        || (n.contains("lock my card") && !unlock)
    {
        return Some(AlertAnswer::LockMyCard);
    }
    if is(ALERT_YES) || is(ALERT_YES_HI) || n.contains("it was me") {
        return Some(AlertAnswer::ItWasMe);
    }
    if form_waiting || unlock {
        return None;
    }
    match intent {
        "deny" | "card_lock" => Some(AlertAnswer::LockMyCard),
        "affirm" => Some(AlertAnswer::ItWasMe),
        _ => None,
    }
}

/// The bank's decision, which the event carries beside the detector's fields.
#[derive(Debug, Default, Deserialize)]
struct Outcome {
    #[serde(default)]
    decision: Option<String>,
    #[serde(default)]
    reason: Option<String>,
}

/// The detector the app scores events with (bounded memory; the bank's
/// thresholds), and what the app's links say of the consents events come
/// under.
pub(crate) struct Alerts {
    detector: Mutex<Detector>,
    consents: Mutex<LiveConsents>,
}

/// Consent id → the customer it is a live STREAM consent of (`None`: not
/// one), as the links said at `generation` ([`crate::store::AppStore::links_generation`]):
/// any write to the links empties it, so a revocation counts from the next event.
#[derive(Default)]
struct LiveConsents {
    generation: u64,
    by_id: HashMap<String, Option<(String, Timestamp)>>,
}

/// Most consents [`LiveConsents`] remembers.
const LIVE_CONSENTS_KEPT: usize = 100_000;

/// Most events the alert task takes from its queue at once.
pub const ALERT_BATCH: usize = 512;

impl Alerts {
    pub(crate) fn new(detector: Detector) -> Self {
        Alerts {
            detector: Mutex::new(detector),
            consents: Mutex::default(),
        }
    }
}

/// An alert decided, before it is told.
struct Raised {
    login: String,
    consent_id: String,
    event: CardAuthorisation,
    assessment: anumati_fraud::Assessment,
    declined: bool,
}

fn place(event: &CardAuthorisation, lang: Lang) -> String {
    let how = match (event.card_present, lang) {
        (true, Lang::En) => "in person",
        (false, Lang::En) => "online",
        (true, Lang::Hi) => "दुकान पर",
        (false, Lang::Hi) => "ऑनलाइन",
    };
    match &event.city {
        Some(city) => format!("{how}, {city}, {}", event.country),
        None => format!("{how}, {}", event.country),
    }
}

impl ChatApp {
    /// The customer's newest ACTIVE consent in STREAM mode, if any.
    pub(crate) async fn active_stream_consent(
        &self,
        login: &str,
    ) -> Result<Option<ConsentArtefact>, AppError> {
        Ok(self
            .active_consents(login)
            .await?
            .into_iter()
            .find(|a| a.mode == ConsentMode::Stream))
    }

    /// Subscribes to the bank's card events under the customer's STREAM
    /// consent (through the consent manager). `false` when there is none.
    pub async fn subscribe_alerts(&self, login: &str) -> Result<bool, AppError> {
        let Some(artefact) = self.active_stream_consent(login).await? else {
            return Ok(false);
        };
        let body = serde_json::json!({ "consentId": artefact.consent_id });
        let response = self
            .cm_call(axum::http::Method::POST, "/v1/streams", Some(&body))
            .await?;
        if !response.status.is_success() {
            tracing::warn!(status = %response.status, "stream subscription refused");
            return Ok(false);
        }
        tracing::info!(consent = %artefact.consent_id, "fraud alerts on");
        Ok(true)
    }

    /// Subscribes again to every live STREAM consent (at start: the bank
    /// keeps subscriptions in memory). Returns how many.
    pub async fn resubscribe_alerts(&self) -> Result<usize, AppError> {
        let mut logins: Vec<String> = self
            .store()
            .live_links()
            .await?
            .into_iter()
            .filter(|(_, _, artefact)| {
                anumati_wire::jws::peek_unverified::<ConsentArtefact>(artefact)
                    .is_ok_and(|a| a.mode == ConsentMode::Stream)
            })
            .map(|(_, login, _)| login)
            .collect();
        logins.dedup();
        let mut n = 0;
        for login in logins {
            if self.subscribe_alerts(&login).await? {
                n += 1;
            }
        }
        Ok(n)
    }

    /// Runs the alert task: reads the bank's events until the queue closes,
    /// taking whatever is waiting (up to [`ALERT_BATCH`]) at once.
    pub fn spawn_alerts(
        &self,
        mut events: mpsc::Receiver<Delivery>,
    ) -> tokio::task::JoinHandle<()> {
        let app = self.clone();
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(ALERT_BATCH);
            while events.recv_many(&mut batch, ALERT_BATCH).await > 0 {
                if let Err(e) = app.on_card_events(&batch).await {
                    tracing::warn!(error = %e, events = batch.len(), "card events not handled");
                }
                batch.clear();
            }
        })
    }

    /// Scores one event and, on an alert, tells the customer. Returns the
    /// alert pushed, if any.
    pub async fn on_card_event(&self, delivery: &Delivery) -> Result<Option<Reply>, AppError> {
        Ok(self
            .on_card_events(std::slice::from_ref(delivery))
            .await?
            .into_iter()
            .next())
    }

    /// Scores events in order and tells the customers of those that alert:
    /// one read of each such customer's conversation, one write of them all.
    /// Returns the alerts pushed.
    pub async fn on_card_events(&self, deliveries: &[Delivery]) -> Result<Vec<Reply>, AppError> {
        let mut raised: Vec<Raised> = Vec::new();
        for delivery in deliveries {
            let event = match CardAuthorisation::from_json(&delivery.event) {
                Ok(e) => e,
                Err(e) => {
                    tracing::warn!(error = %e, "card event refused");
                    continue;
                }
            };
            // Still one of this app's ACTIVE, unexpired STREAM consents?
            let Some(login) = self.live_stream_consent(&delivery.consent_id).await? else {
                continue;
            };
            let outcome: Outcome = serde_json::from_str(&delivery.event).unwrap_or_default();
            let assessment = self
                .inner
                .alerts
                .detector
                .lock()
                .expect("detector lock")
                .assess(&event);
            // A payment the bank declined on a card the customer locked needs
            // no question (the detector has still seen it).
            let on_locked_card = outcome.reason.as_deref() == Some("card_locked");
            if !assessment.alert || on_locked_card {
                continue;
            }
            raised.push(Raised {
                login,
                consent_id: delivery.consent_id.clone(),
                event,
                assessment,
                declined: outcome.decision.as_deref() == Some("declined"),
            });
        }
        if raised.is_empty() {
            return Ok(Vec::new());
        }

        // Each customer's conversation once: the alert waits in it (the
        // newest, when several came at once).
        let mut states: Vec<(String, State)> = Vec::new();
        let mut replies = Vec::with_capacity(raised.len());
        for alert in &raised {
            let i = match states.iter().position(|(login, _)| *login == alert.login) {
                Some(i) => i,
                None => {
                    let state = self.load_dialogue_state(&alert.login).await?;
                    states.push((alert.login.clone(), state));
                    states.len() - 1
                }
            };
            let state = &mut states[i].1;
            let lang = if state.hindi { Lang::Hi } else { Lang::En };
            replies.push((alert.login.as_str(), self.alert_reply(alert, lang)));
            state.alert = Some(PendingAlert {
                consent_id: alert.consent_id.clone(),
                authorisation_id: alert.event.id.clone(),
                merchant: alert.event.merchant.clone(),
            });
        }
        let states: Vec<(&str, &State)> = states.iter().map(|(l, s)| (l.as_str(), s)).collect();
        self.save_dialogue_states(&states).await?;
        let mut pushed = Vec::with_capacity(replies.len());
        for (login, reply) in replies {
            tracing::info!(authorisation = %reply.data["alert"]["authorisation_id"], "fraud alert sent");
            self.push(login, reply.clone());
            pushed.push(reply);
        }
        Ok(pushed)
    }

    /// The customer whose live STREAM consent this is, if it is one: ACTIVE
    /// in the app's links, in STREAM mode and not expired.
    async fn live_stream_consent(&self, consent_id: &str) -> Result<Option<String>, AppError> {
        let generation = self.store().links_generation();
        let now = self.now();
        {
            let mut cache = self.inner.alerts.consents.lock().expect("consent cache");
            if cache.generation != generation {
                cache.by_id.clear();
                cache.generation = generation;
            }
            if let Some(known) = cache.by_id.get(consent_id) {
                return Ok(known
                    .as_ref()
                    .filter(|(_, expiry)| now < *expiry)
                    .map(|(login, _)| login.clone()));
            }
        }
        let live = match self.store().link_of_consent(consent_id).await? {
            Some((login, status, Some(artefact))) if status == "ACTIVE" => {
                anumati_wire::jws::peek_unverified::<ConsentArtefact>(&artefact)
                    .ok()
                    .filter(|a| a.mode == ConsentMode::Stream)
                    .map(|a| (login, a.expiry))
            }
            _ => None,
        };
        let mut cache = self.inner.alerts.consents.lock().expect("consent cache");
        // Links written meanwhile: what was read may be stale; do not keep it.
        if cache.generation == generation {
            if cache.by_id.len() >= LIVE_CONSENTS_KEPT {
                cache.by_id.clear();
            }
            cache.by_id.insert(consent_id.to_owned(), live.clone());
        }
        Ok(live
            .filter(|(_, expiry)| now < *expiry)
            .map(|(login, _)| login))
    }

    /// The alert's message in the customer's language, with its quick replies.
    fn alert_reply(&self, alert: &Raised, lang: Lang) -> Reply {
        let event = &alert.event;
        let in_lang = match lang {
            Lang::En => anumati_fraud::Language::En,
            Lang::Hi => anumati_fraud::Language::Hi,
        };
        let reasons: Vec<&str> = alert
            .assessment
            .reasons
            .iter()
            .map(|r| r.text_in(in_lang))
            .collect();
        let text = match lang {
            Lang::En => format!(
                "Was this you? A card payment of {} at {} ({}){}. Why I ask: {}.",
                event.amount,
                event.merchant,
                place(event, lang),
                if alert.declined {
                    " — the bank declined it"
                } else {
                    ""
                },
                reasons.join("; ")
            ),
            Lang::Hi => format!(
                "क्या यह आप थे? {} ({}) पर {} का कार्ड भुगतान{}। कारण: {}।",
                event.merchant,
                place(event, lang),
                event.amount,
                if alert.declined {
                    " — बैंक ने इसे अस्वीकार किया"
                } else {
                    ""
                },
                reasons.join("; ")
            ),
        };
        let mut reply = self.reply(
            "fraud_alert",
            Confidence::CERTAIN,
            text,
            serde_json::json!({ "alert": {
                "authorisation_id": event.id,
                "merchant": event.merchant,
                "amount": event.amount,
                "score": (alert.assessment.score * 1000.0).round() / 1000.0,
                "reasons": alert.assessment.reasons,
            }}),
        );
        reply.quick_replies = match lang {
            Lang::En => vec![ALERT_YES.into(), ALERT_NO.into()],
            Lang::Hi => vec![ALERT_YES_HI.into(), ALERT_NO_HI.into()],
        };
        reply
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(text: &str, intent: &str, form: bool) -> Option<AlertAnswer> {
        alert_answer(&anumati_nlu::text::normalise(text), intent, form)
    }

    #[test]
    fn answers_to_an_alert() {
        assert_eq!(
            answer(ALERT_NO, "card_lock", true),
            Some(AlertAnswer::LockMyCard)
        );
        assert_eq!(
            answer(ALERT_YES, "affirm", true),
            Some(AlertAnswer::ItWasMe)
        );
        assert_eq!(
            answer(ALERT_NO_HI, "card_lock", false),
            Some(AlertAnswer::LockMyCard)
        );
        assert_eq!(
            answer("that was not me!", "deny", true),
            Some(AlertAnswer::LockMyCard)
        );
        assert_eq!(answer("no", "deny", false), Some(AlertAnswer::LockMyCard));
        // A yes or no for a form in progress is the form's.
        assert_eq!(answer("yes", "affirm", true), None);
        // "unlock my card" is never a lock.
        assert_eq!(answer("unlock my card", "card_unlock", false), None);
        assert_eq!(answer("what's my balance?", "balance", false), None);
    }
}
