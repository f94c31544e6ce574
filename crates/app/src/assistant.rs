//! Answering: from an understood message to a reply, on every channel.

use anumati_domain::consent::ConsentArtefact;
use anumati_domain::fi::AccountData;
use anumati_domain::Transaction;
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;

use crate::data::{Access, Snapshot};
use crate::{nlu, AppError, ChatApp, Reply, StatusChange, MESSAGE_CHARS_MAX};

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Hindi replies when the customer wrote in Devanagari.
fn hindi(message: &str) -> bool {
    message
        .chars()
        .any(|c| ('\u{0900}'..='\u{097F}').contains(&c))
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
        let understanding = nlu::understand(message);
        let mut reply = self.answer(login, &understanding, hindi(message)).await?;
        reply.intent = understanding.intent.to_owned();
        reply.confidence = understanding.confidence;
        reply.entities = understanding.entities;
        Ok(reply)
    }

    async fn answer(
        &self,
        login: &str,
        u: &nlu::Understanding,
        hi: bool,
    ) -> Result<Reply, AppError> {
        let plain = |text: &str| {
            self.reply(
                u.intent,
                u.confidence,
                text.to_owned(),
                serde_json::json!({}),
            )
        };
        let say = |en: &str, hi_text: &str| plain(if hi { hi_text } else { en });
        match u.intent {
            "greeting" => return Ok(say("Hello! I can tell you your balance and your recent transactions. Ask \"what's my balance?\"", "नमस्ते! मैं आपका बैलेंस और हाल के लेन-देन बता सकता हूँ।")),
            "thanks" => return Ok(say("You're welcome.", "आपका स्वागत है।")),
            "help" => return Ok(plain("Ask me \"what's my balance?\" or \"show my last 5 transactions\". About your data: \"who has my data?\", \"who accessed my data this week?\", \"pause sharing\", \"revoke access\", \"export my data\", \"delete my data\".")),
            "fallback" => return Ok(plain("Sorry, I did not understand that. Try \"what's my balance?\" or \"show my last 5 transactions\".")),
            "consent_revoke" => {
                return Ok(match self.revoke(login).await? {
                    Some(id) => {
                        let mut r = say(
                            "Done: the chat app's access to your bank data is revoked, and the copy it kept is destroyed. The bank will refuse it from now on.",
                            "हो गया: चैट ऐप की आपके बैंक डेटा तक पहुँच रद्द कर दी गई है और उसकी रखी कॉपी नष्ट कर दी गई है।",
                        );
                        r.data = serde_json::json!({ "revoked": id });
                        r
                    }
                    None => say("Your bank is not linked, so nothing is shared.", "आपका बैंक जुड़ा नहीं है, इसलिए कुछ भी साझा नहीं हो रहा।"),
                });
            }
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
                        let mut r = plain("Sharing is on again.");
                        r.data = serde_json::json!({ "resumed": id });
                        r
                    }
                    None => plain("There is no paused consent to resume."),
                });
            }
            "consent_status" => return self.consent_status_reply(login, u, hi).await,
            "access_log" => return self.access_log_reply(login, u, hi).await,
            "export_data" => return self.export_reply(login, u).await,
            "delete_data" => return self.delete_reply(login, u, hi).await,
            _ => {}
        }
        if u.intent == "link_bank" {
            let url = self.link_page(login).await?;
            let mut r = plain("Link your bank here — you will see exactly what is shared, and you can revoke it at any time.");
            r.link = Some(url);
            return Ok(r);
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
            Access::Refused(status) => Ok(plain(match status {
                403 | 409 => "The bank refused: your consent does not allow this (it may have expired, been paused or revoked). Say \"link my bank\" to grant a new one.",
                429 => "The bank refused: you have reached today's limit of requests under your consent.",
                _ => "I could not reach your bank just now. Please try again in a moment.",
            })),
            Access::Data { snapshot, stale } => {
                let mut reply = match u.intent {
                    "balance" => self.balances_reply(u, &snapshot, hi),
                    "transactions" => {
                        let count = u.entities.get("count").and_then(|v| v.as_u64()).unwrap_or(5) as usize;
                        self.transactions_reply(u, &snapshot, count)
                    }
                    _ => plain("Your bank is linked."),
                };
                if stale {
                    reply.reply.push_str(&format!("\n(as of {}; the bank's daily limit for fresh data is reached)", snapshot.fetched_at.strftime("%-d %b %H:%M UTC")));
                }
                Ok(reply)
            }
        }
    }

    fn balances_reply(&self, u: &nlu::Understanding, snapshot: &Snapshot, hi: bool) -> Reply {
        let mut text = String::from(if hi {
            "आपका बैलेंस:"
        } else {
            "Your balances:"
        });
        let mut balances = Vec::new();
        for a in &snapshot.accounts {
            let Some(summary) = &a.summary else { continue };
            text.push_str(&format!(
                "\n• {} {}: {}",
                capitalise(a.kind.label()),
                a.masked_number,
                summary.booked
            ));
            if a.kind == anumati_domain::AccountKind::CreditCard {
                text.push_str(&format!(" (available credit {})", summary.available));
            }
            balances.push(serde_json::json!({
                "account_id": a.account_id, "kind": a.kind, "masked_number": a.masked_number,
                "booked": summary.booked, "available": summary.available,
            }));
        }
        self.reply(
            u.intent,
            u.confidence,
            text,
            serde_json::json!({ "balances": balances, "as_of": snapshot.fetched_at }),
        )
    }

    fn transactions_reply(
        &self,
        u: &nlu::Understanding,
        snapshot: &Snapshot,
        count: usize,
    ) -> Reply {
        let mut all: Vec<&Transaction> = snapshot
            .accounts
            .iter()
            .filter_map(|a: &AccountData| a.transactions.as_ref())
            .flatten()
            .collect();
        all.sort_by(|a, b| b.booked_at.cmp(&a.booked_at).then_with(|| b.id.cmp(&a.id)));
        all.truncate(count);
        let mut text = if all.is_empty() {
            "You have no transactions in the consented period.".to_owned()
        } else {
            format!("Your last {} transactions:", all.len())
        };
        for t in &all {
            let what = t
                .merchant
                .as_ref()
                .map_or(t.description.as_str(), |m| m.name.as_str());
            let place = t
                .merchant
                .as_ref()
                .filter(|m| !m.place.city.is_empty())
                .map(|m| format!(", {}", m.place.city))
                .unwrap_or_default();
            text.push_str(&format!(
                "\n• {} {}{}: {}",
                t.value_date.strftime("%-d %b"),
                what,
                place,
                t.amount
            ));
        }
        self.reply(
            u.intent,
            u.confidence,
            text,
            serde_json::json!({ "transactions": all }),
        )
    }

    async fn consent_status_reply(
        &self,
        login: &str,
        u: &nlu::Understanding,
        hi: bool,
    ) -> Result<Reply, AppError> {
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
        Ok(self.reply(
            u.intent,
            u.confidence,
            text,
            serde_json::json!({ "consents": consents }),
        ))
    }

    async fn access_log_reply(
        &self,
        login: &str,
        u: &nlu::Understanding,
        hi: bool,
    ) -> Result<Reply, AppError> {
        let days = u.entities.get("days").and_then(|d| d.as_i64()).unwrap_or(7);
        let since = self.now() - SignedDuration::from_hours(24 * days);
        let links = self.store().links_of(login).await?;
        let Some(consent_id) = links.iter().find_map(|l| l.consent_id.clone()) else {
            return Ok(self.reply(
                u.intent,
                u.confidence,
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
            u.intent,
            u.confidence,
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

    async fn export_reply(&self, login: &str, u: &nlu::Understanding) -> Result<Reply, AppError> {
        let export = self.export(login).await?;
        let mut reply = self.reply(
            u.intent,
            u.confidence,
            "Here is everything the chat app holds about you, as a JSON file.".into(),
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
        u: &nlu::Understanding,
        hi: bool,
    ) -> Result<Reply, AppError> {
        self.erase(login).await?;
        Ok(self.reply(
            u.intent,
            u.confidence,
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
