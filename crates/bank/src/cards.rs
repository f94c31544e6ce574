//! Card locks: the customer locks (or unlocks) their cards from a data user's
//! app. The consent manager relays the request with the consent artefact it
//! signed, as it relays FI requests; the bank verifies the artefact as it
//! does for data ([`BankNode::verify_artefact`]: signature, provider, notified
//! status, window — a lock asks for no data, so no purpose), checks that every
//! account the artefact lists is its customer's, and then locks or unlocks
//! every card on those accounts. Nothing else is touched, and asking twice
//! changes nothing more.
//!
//! The answer names each card by id, its PAN masked to the first six and last
//! four digits (the bank never stores more), its account and its lock state.
//! Authorisations on a locked card must be declined: the authorisation path
//! reads [`crate::BankStore::card_locked`].

use anumati_domain::consent::ConsentRefusal;
use anumati_domain::{AccountId, Card, CardId, CardStatus, CustomerId};
use serde::{Deserialize, Serialize};

use crate::{BankError, BankNode};

/// What the consent manager forwards to the bank.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CardLockRequest {
    /// The consent artefact (compact JWS by the consent manager).
    pub consent: String,
    /// `true` locks the cards, `false` unlocks them.
    pub lock: bool,
}

/// One card after the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CardLockState {
    pub card_id: CardId,
    /// First six and last four digits only.
    pub masked_pan: String,
    pub account_id: AccountId,
    pub locked: bool,
}

/// The bank's answer: every card on the consented accounts, as it now is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CardLockResponse {
    pub cards: Vec<CardLockState>,
}

/// Shortest PAN (ISO/IEC 7812) a masked PAN can stand for.
const PAN_DIGITS_MIN: usize = 13;

/// Masks a (stored, already masked) PAN to its first six and last four
/// characters again before it leaves the bank, so that a full PAN could not
/// leave even if one were ever stored by mistake. Anything too short to be a
/// PAN is masked whole.
pub fn mask_six_four(pan: &str) -> String {
    let chars: Vec<char> = pan.chars().filter(|c| !c.is_whitespace()).collect();
    let n = chars.len();
    if n < PAN_DIGITS_MIN {
        return "X".repeat(n);
    }
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| if i < 6 || i >= n - 4 { *c } else { 'X' })
        .collect()
}

impl From<Card> for CardLockState {
    fn from(card: Card) -> Self {
        CardLockState {
            masked_pan: mask_six_four(&card.masked_pan),
            card_id: card.id,
            account_id: card.account_id,
            locked: card.status == CardStatus::Locked,
        }
    }
}

impl BankNode {
    /// Locks or unlocks the cards of a consent's accounts, as relayed by the
    /// consent manager (which has authenticated the caller already: the API
    /// route checks the consent manager's `x-client-assertion`).
    pub async fn lock_cards(
        &self,
        request: &CardLockRequest,
    ) -> Result<CardLockResponse, BankError> {
        let artefact = self.verify_artefact(Some(&request.consent), None).await?;
        let customer = CustomerId::new(artefact.customer.id.clone());
        // Every account the artefact lists must be the customer's, or nothing is done.
        let mut accounts = Vec::with_capacity(artefact.accounts.len());
        for listed in &artefact.accounts {
            let account = self
                .store()
                .account(&listed.link_ref_number)
                .await?
                .ok_or(BankError::AccountNotFound)?;
            if account.customer_id != customer {
                return Err(
                    ConsentRefusal::AccountNotCovered(listed.link_ref_number.clone()).into(),
                );
            }
            accounts.push(account.id);
        }
        let cards = self
            .store()
            .set_cards_locked(&customer, &accounts, request.lock, self.now())
            .await?;
        tracing::info!(
            consent = %artefact.consent_id,
            cards = cards.len(),
            lock = request.lock,
            "card lock state set"
        );
        Ok(CardLockResponse {
            cards: cards.into_iter().map(CardLockState::from).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::mask_six_four;

    #[test]
    fn masks_all_but_six_and_four() {
        assert_eq!(mask_six_four("4143671234561234"), "414367XXXXXX1234");
        assert_eq!(mask_six_four("414367XXXXXX1234"), "414367XXXXXX1234");
        assert_eq!(mask_six_four("4111 1111 1111 1234"), "411111XXXXXX1234");
        assert_eq!(mask_six_four("1234"), "XXXX");
        assert_eq!(mask_six_four(""), "");
    }
}
