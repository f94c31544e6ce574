//! Card locks end to end, the three roles in one process: the chat app asks
//! the consent manager, which checks the app's consent, logs the request and
//! relays it to the bank node, which locks exactly that customer's cards.

use std::sync::Arc;

use anumati::system::{grant_consent, System};
use anumati_app::cards::{CardLock, CardState};
use anumati_bank::sim::SimParams;
use anumati_domain::consent::{ConsentMode, ConsentStatus};
use anumati_domain::{CardId, CustomerId};
use anumati_store::DataDir;
use anumati_wire::clock::ManualClock;

struct Customer {
    login: String,
    id: CustomerId,
    cards: Vec<CardId>,
}

struct Setup {
    system: System,
    /// Two customers with cards.
    asha: Customer,
    other: Customer,
    _dir: tempfile::TempDir,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::open_or_create(dir.path().join("data")).unwrap();
    let clock = ManualClock::new("2026-11-20T12:00:00Z".parse().unwrap());
    let system = System::open_with_clock(data, Arc::new(clock.clone()))
        .await
        .unwrap();
    let params = SimParams {
        customers: 5,
        months: 1,
        seed: 31,
        end: "2026-11-19".parse().unwrap(),
    };
    system.fill(&params, &|_| {}).await.unwrap();
    let mut with_cards = Vec::new();
    for customer in system.bank.store().customers(0, 100).await.unwrap() {
        let mut cards = Vec::new();
        for account in system.bank.store().accounts_of(&customer.id).await.unwrap() {
            cards.extend(
                system
                    .bank
                    .store()
                    .cards_of(&account.id)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|c| c.id),
            );
        }
        if !cards.is_empty() {
            cards.sort();
            with_cards.push(Customer {
                login: customer.login,
                id: customer.id,
                cards,
            });
        }
    }
    assert!(with_cards.len() >= 2, "two customers with cards");
    let other = with_cards.remove(1);
    let asha = with_cards.remove(0);
    Setup {
        system,
        asha,
        other,
        _dir: dir,
    }
}

/// Every locked card in the bank node's store, in id order.
async fn locked_in_bank(s: &Setup) -> Vec<CardId> {
    sqlx::query_scalar::<_, String>("SELECT id FROM cards WHERE status = 'locked' ORDER BY id")
        .fetch_all(s.system.bank.store().pool())
        .await
        .unwrap()
        .into_iter()
        .map(CardId::new)
        .collect()
}

/// The access log's card entries about a customer, oldest first: (event, outcome, consent, reason).
async fn card_log(
    s: &Setup,
    customer: &CustomerId,
) -> Vec<(String, String, String, Option<String>)> {
    let mut entries = s
        .system
        .consent
        .log()
        .of_customer(customer.as_str(), jiff::Timestamp::UNIX_EPOCH, 500)
        .await
        .unwrap();
    entries.reverse();
    entries
        .into_iter()
        .filter(|e| e.event.starts_with("card."))
        .map(|e| {
            (
                e.event,
                e.outcome,
                e.consent_id.unwrap_or_default(),
                e.reason,
            )
        })
        .collect()
}

fn done(outcome: CardLock) -> Vec<CardState> {
    match outcome {
        CardLock::Done(cards) => cards,
        other => panic!("expected Done, got {other:?}"),
    }
}

#[tokio::test]
async fn lock_cards_locks_exactly_that_customers_cards_and_is_logged() {
    let s = setup().await;
    let app = &s.system.app;

    // Without a consent there is nothing to act under.
    assert_eq!(
        app.lock_cards(&s.asha.login, true).await.unwrap(),
        CardLock::NotLinked
    );
    assert!(locked_in_bank(&s).await.is_empty());

    let (consent_id, _, status) = grant_consent(&s.system, &s.asha.login, ConsentMode::Store)
        .await
        .unwrap();
    assert_eq!(status, "ACTIVE");

    let cards = done(app.lock_cards(&s.asha.login, true).await.unwrap());
    let mut ids: Vec<CardId> = cards
        .iter()
        .map(|c| CardId::new(c.card_id.clone()))
        .collect();
    ids.sort();
    assert_eq!(ids, s.asha.cards, "every card of the customer, no other");
    for card in &cards {
        assert!(card.locked);
        assert_eq!(card.masked_pan.len(), 16, "{}", card.masked_pan);
        assert_eq!(&card.masked_pan[6..12], "XXXXXX", "{}", card.masked_pan);
    }
    // In the bank: exactly that customer's cards are locked.
    assert_eq!(locked_in_bank(&s).await, s.asha.cards);
    for card in &s.asha.cards {
        assert_eq!(
            s.system.bank.store().card_locked(card).await.unwrap(),
            Some(true)
        );
    }
    for card in &s.other.cards {
        assert_eq!(
            s.system.bank.store().card_locked(card).await.unwrap(),
            Some(false)
        );
    }
    // The consent's access log shows it.
    assert_eq!(
        card_log(&s, &s.asha.id).await,
        vec![("card.lock".into(), "ok".into(), consent_id.clone(), None)]
    );
    assert!(card_log(&s, &s.other.id).await.is_empty());

    // Asking twice changes nothing.
    let again = done(app.lock_cards(&s.asha.login, true).await.unwrap());
    assert_eq!(again, cards);
    assert_eq!(locked_in_bank(&s).await, s.asha.cards);

    // Unlocking.
    let cards = done(app.lock_cards(&s.asha.login, false).await.unwrap());
    assert_eq!(cards.len(), s.asha.cards.len());
    assert!(cards.iter().all(|c| !c.locked));
    assert!(locked_in_bank(&s).await.is_empty());
    let log = card_log(&s, &s.asha.id).await;
    assert_eq!(log.len(), 3);
    assert_eq!(
        log[2],
        ("card.unlock".into(), "ok".into(), consent_id, None)
    );

    // The whole log still verifies.
    let report = anumati_consent::log::verify_all(
        s.system.consent.store().pool(),
        &s.system.consent.key_set(),
    )
    .await
    .unwrap();
    assert!(report.ok(), "{:?}", report.problems);
}

#[tokio::test]
async fn after_revoking_the_consent_lock_cards_is_refused_and_nothing_changes() {
    let s = setup().await;
    let app = &s.system.app;
    let (consent_id, _, _) = grant_consent(&s.system, &s.asha.login, ConsentMode::Store)
        .await
        .unwrap();
    done(app.lock_cards(&s.asha.login, true).await.unwrap());
    assert_eq!(locked_in_bank(&s).await, s.asha.cards);

    // The customer revokes at the consent manager (its page); the app has not
    // heard yet and still asks: the consent manager refuses, and logs it.
    s.system
        .consent
        .set_status(app.id(), &consent_id, ConsentStatus::Revoked)
        .await
        .unwrap();
    assert_eq!(
        app.lock_cards(&s.asha.login, false).await.unwrap(),
        CardLock::Refused(409)
    );
    assert_eq!(locked_in_bank(&s).await, s.asha.cards, "nothing changed");
    let log = card_log(&s, &s.asha.id).await;
    assert_eq!(
        log.last().unwrap(),
        &(
            "card.unlock".into(),
            "refused".into(),
            consent_id.clone(),
            Some("consent is REVOKED".into())
        )
    );

    // A second customer revokes through the chat app: the app has no consent
    // to act under any more, and asks no one.
    let (other_consent, _, _) = grant_consent(&s.system, &s.other.login, ConsentMode::Store)
        .await
        .unwrap();
    assert_eq!(
        app.revoke(&s.other.login).await.unwrap().as_deref(),
        Some(other_consent.as_str())
    );
    assert_eq!(
        app.lock_cards(&s.other.login, true).await.unwrap(),
        CardLock::NotLinked
    );
    assert_eq!(locked_in_bank(&s).await, s.asha.cards, "nothing changed");
    assert!(card_log(&s, &s.other.id).await.is_empty());
}

#[tokio::test]
async fn a_paused_consent_cannot_lock_until_resumed() {
    let s = setup().await;
    let app = &s.system.app;
    let (consent_id, _, _) = grant_consent(&s.system, &s.asha.login, ConsentMode::Store)
        .await
        .unwrap();
    s.system
        .consent
        .set_status(app.id(), &consent_id, ConsentStatus::Paused)
        .await
        .unwrap();
    assert_eq!(
        app.lock_cards(&s.asha.login, true).await.unwrap(),
        CardLock::Refused(409)
    );
    assert!(locked_in_bank(&s).await.is_empty());
    s.system
        .consent
        .set_status(app.id(), &consent_id, ConsentStatus::Active)
        .await
        .unwrap();
    done(app.lock_cards(&s.asha.login, true).await.unwrap());
    assert_eq!(locked_in_bank(&s).await, s.asha.cards);
    let outcomes: Vec<String> = card_log(&s, &s.asha.id)
        .await
        .into_iter()
        .map(|(_, outcome, _, _)| outcome)
        .collect();
    assert_eq!(outcomes, ["refused", "ok"]);
}
