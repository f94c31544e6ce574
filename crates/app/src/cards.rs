//! Locking and unlocking the customer's cards from the chat.
//!
//! The app asks the consent manager (`POST /v1/cards/lock`) under the
//! customer's active consent; the consent manager checks that the consent is
//! this app's and ACTIVE, logs the request (`card.lock` / `card.unlock`) and
//! relays it to the bank with the artefact it signed; the bank checks the
//! artefact and locks or unlocks every card on the consented accounts. The
//! app needs no data for it and keeps nothing of the answer.

use serde::{Deserialize, Serialize};

use crate::{AppError, ChatApp};

/// How a lock (or unlock) went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardLock {
    /// No active consent: the customer must link their bank first.
    NotLinked,
    /// The consent manager or the bank refused; the HTTP status says why
    /// (409: the consent is paused or ended; 403: the bank refused the
    /// artefact; 502: the answer made no sense; 503: unreachable).
    Refused(u16),
    /// Done: every card on the consented accounts, as it now is.
    Done(Vec<CardState>),
}

/// One card after the request, as the chat may show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CardState {
    pub card_id: String,
    /// First six and last four digits only.
    pub masked_pan: String,
    pub locked: bool,
}

#[derive(Deserialize)]
struct Answer {
    cards: Vec<AnswerCard>,
}

#[derive(Deserialize)]
struct AnswerCard {
    card_id: String,
    masked_pan: String,
    account_id: String,
    locked: bool,
}

/// Keeps the first six and last four characters of a masked PAN and masks
/// the rest again, whatever came back: the chat never shows more.
fn six_four(pan: &str) -> String {
    let chars: Vec<char> = pan.chars().filter(|c| !c.is_whitespace()).collect();
    let n = chars.len();
    if n < 13 {
        return "X".repeat(n);
    }
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| if i < 6 || i >= n - 4 { *c } else { 'X' })
        .collect()
}

impl ChatApp {
    /// Locks (`lock`) or unlocks the user's cards, once they confirmed it in
    /// the chat, through the consent manager under their active consent.
    pub async fn lock_cards(&self, login: &str, lock: bool) -> Result<CardLock, AppError> {
        // Any active consent covers its accounts' cards: the data consent,
        // or the STREAM consent of fraud alerts.
        let Some(artefact) = self.active_consents(login).await?.into_iter().next() else {
            return Ok(CardLock::NotLinked);
        };
        let body = serde_json::json!({
            "consentId": artefact.consent_id,
            "lock": lock,
        });
        let response = match self
            .cm_call(axum::http::Method::POST, "/v1/cards/lock", Some(&body))
            .await
        {
            Ok(r) => r,
            Err(AppError::ConsentManager(reason)) => {
                tracing::warn!(reason, "card lock failed");
                return Ok(CardLock::Refused(503));
            }
            Err(e) => return Err(e),
        };
        if !response.status.is_success() {
            tracing::info!(status = %response.status, lock, "card lock refused");
            return Ok(CardLock::Refused(response.status.as_u16()));
        }
        let answer: Answer = match serde_json::from_slice(&response.body) {
            Ok(a) => a,
            Err(e) => {
                tracing::error!(error = %e, "card lock answer is not the expected JSON");
                return Ok(CardLock::Refused(502));
            }
        };
        let mut cards = Vec::with_capacity(answer.cards.len());
        for card in answer.cards {
            if !artefact
                .accounts
                .iter()
                .any(|a| a.link_ref_number.as_str() == card.account_id)
            {
                tracing::error!("card lock answer names an account outside the consent");
                return Ok(CardLock::Refused(502));
            }
            if card.locked != lock {
                tracing::error!("card lock answer does not show the asked state");
                return Ok(CardLock::Refused(502));
            }
            cards.push(CardState {
                card_id: card.card_id,
                masked_pan: six_four(&card.masked_pan),
                locked: card.locked,
            });
        }
        Ok(CardLock::Done(cards))
    }
}

#[cfg(test)]
mod tests {
    use super::six_four;

    #[test]
    fn shows_six_and_four_at_most() {
        assert_eq!(six_four("414367XXXXXX1234"), "414367XXXXXX1234");
        assert_eq!(six_four("4143671234561234"), "414367XXXXXX1234");
        assert_eq!(six_four("12345"), "XXXXX");
    }
}
