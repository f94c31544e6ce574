//! Fraud alerts end to end, in one process as the demo runs: a card network
//! asks the bank node for authorisations; the bank streams them to the chat
//! app only under a STREAM consent; the app's detector alerts the customer
//! in chat; "No, lock my card" locks the card at the bank, which then
//! declines it; revoking the consent stops the alerts at once.

use std::sync::Arc;
use std::time::Duration;

use anumati::system::{grant_consent, System};
use anumati_app::Reply;
use anumati_bank::sim::SimParams;
use anumati_bank::stream::AuthorisationRequest;
use anumati_domain::consent::ConsentMode;
use anumati_domain::{Currency, Money};
use anumati_store::DataDir;
use anumati_wire::clock::ManualClock;
use anumati_wire::jws::{ClientAssertion, KeySet, Signer};
use anumati_wire::Peer;
use tokio::sync::broadcast;

struct Setup {
    system: System,
    login: String,
    card: String,
    _dir: tempfile::TempDir,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::open_or_create(dir.path().join("data")).unwrap();
    let clock = ManualClock::new("2026-11-20T06:30:00Z".parse().unwrap());
    let system = System::open_with_clock(data, Arc::new(clock))
        .await
        .unwrap();
    let params = SimParams {
        customers: 3,
        months: 2,
        seed: 5,
        end: "2026-11-19".parse().unwrap(),
    };
    system.fill(&params, &|_| {}).await.unwrap();
    for c in system.bank.store().customers(0, 3).await.unwrap() {
        for account in system.bank.store().accounts_of(&c.id).await.unwrap() {
            if account.currency != Currency::INR {
                continue;
            }
            if let Some(card) = system
                .bank
                .store()
                .cards_of(&account.id)
                .await
                .unwrap()
                .first()
            {
                return Setup {
                    login: c.login.clone(),
                    card: card.id.to_string(),
                    system,
                    _dir: dir,
                };
            }
        }
    }
    panic!("no customer with an INR card among the first three");
}

fn payment(card: &str, rupees: i64, merchant: &str) -> AuthorisationRequest {
    AuthorisationRequest {
        card_id: card.to_owned(),
        amount: Money::from_minor(rupees * 100, Currency::INR),
        merchant: merchant.to_owned(),
        mcc: "5967".into(),
        terminal: format!("web-{merchant}"),
        card_present: false,
        country: "IN".into(),
        city: None,
        lat: None,
        lon: None,
    }
}

impl Setup {
    async fn authorise(&self, req: &AuthorisationRequest) -> String {
        self.system.bank.authorise(req).await.unwrap().decision
    }

    /// A card-testing burst: six small online payments within minutes.
    async fn card_testing(&self) {
        for i in 0..6 {
            self.authorise(&payment(&self.card, 49 + i, "QuickTopUp"))
                .await;
        }
    }

    async fn say(&self, text: &str) -> Reply {
        self.system.app.chat(&self.login, text).await.unwrap()
    }

    async fn card_locked(&self) -> bool {
        self.system
            .bank
            .store()
            .card_locked(&anumati_domain::CardId::new(self.card.clone()))
            .await
            .unwrap()
            .unwrap()
    }
}

/// The next pushed message that is a fraud alert, if one comes within `wait`.
async fn next_alert(rx: &mut broadcast::Receiver<Reply>, wait: Duration) -> Option<Reply> {
    tokio::time::timeout(wait, async {
        loop {
            match rx.recv().await {
                Ok(r) if r.intent == "fraud_alert" => return Some(r),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
    })
    .await
    .ok()
    .flatten()
}

#[tokio::test]
async fn an_alert_under_a_stream_consent_locks_the_card_and_revoking_stops_alerts() {
    let s = setup().await;
    let mut pushed = s.system.app.subscribe(&s.login);

    // No STREAM consent: the bank sends nothing, so no alert.
    s.card_testing().await;
    assert!(next_alert(&mut pushed, Duration::from_millis(500))
        .await
        .is_none());

    // The customer asks for alerts: a STREAM consent's page.
    let r = s.say("turn on fraud alerts").await;
    assert_eq!(r.intent, "alerts_on");
    assert!(
        r.link.as_deref().is_some_and(|l| l.contains("/consent/")),
        "{:?}",
        r.link
    );
    grant_consent(&s.system, &s.login, ConsentMode::Stream)
        .await
        .unwrap();

    // A card-testing burst: the customer is asked, with the merchant, amount and reasons.
    s.card_testing().await;
    let alert = next_alert(&mut pushed, Duration::from_secs(20))
        .await
        .expect("an alert");
    assert!(alert.reply.starts_with("Was this you?"), "{}", alert.reply);
    assert!(
        alert.reply.contains("QuickTopUp") && alert.reply.contains("online"),
        "{}",
        alert.reply
    );
    assert_eq!(alert.quick_replies, ["Yes, it was me", "No, lock my card"]);
    assert!(!alert.data["alert"]["reasons"]
        .as_array()
        .unwrap()
        .is_empty());

    // "No": the card is locked at the bank, and the bank declines it from then on.
    let r = s.say("No, lock my card").await;
    assert!(r.reply.starts_with("Locked:"), "{}", r.reply);
    assert!(s.card_locked().await);
    assert_eq!(
        s.authorise(&payment(&s.card, 30, "QuickTopUp")).await,
        "declined"
    );
    let decided = s
        .system
        .bank
        .authorise(&payment(&s.card, 30, "Grocer"))
        .await
        .unwrap();
    assert_eq!(decided.reason.as_deref(), Some("card_locked"));

    // "unlock my card" reverses it.
    s.say("unlock my card").await;
    let r = s.say("yes").await;
    assert!(r.reply.starts_with("Unlocked:"), "{}", r.reply);
    assert!(!s.card_locked().await);

    // The consent manager's log shows the subscription and the lock.
    let log = s.say("who accessed my data this week?").await;
    let events: Vec<&str> = log.data["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["event"].as_str())
        .collect();
    for event in ["stream.subscribe", "card.lock", "card.unlock"] {
        assert!(events.contains(&event), "{event} in {events:?}");
    }

    // Revoking stops alerts at once (what was already being scored may
    // still arrive: let it, then start afresh).
    s.system.app.revoke(&s.login).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    while pushed.try_recv().is_ok() {}
    s.card_testing().await;
    assert!(next_alert(&mut pushed, Duration::from_millis(500))
        .await
        .is_none());
    assert_eq!(s.system.bank.stream_dropped(), 0);

    // The app checks too: events the bank sent under a consent that has
    // since been revoked (still queued, say) alert no one. The events are
    // taken from the bank's queue here and handed to the app by hand.
    grant_consent(&s.system, &s.login, ConsentMode::Stream)
        .await
        .unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    s.system.bank.connect_stream(s.system.app.id(), tx);
    assert!(s.system.app.subscribe_alerts(&s.login).await.unwrap());
    s.card_testing().await;
    let mut queued = Vec::new();
    while let Ok(d) = rx.try_recv() {
        queued.push(d);
    }
    assert_eq!(queued.len(), 6);
    let alerts = s.system.app.on_card_events(&queued).await.unwrap();
    assert!(!alerts.is_empty(), "a burst under a live consent alerts");
    s.system.app.revoke(&s.login).await.unwrap();
    let alerts = s.system.app.on_card_events(&queued).await.unwrap();
    assert!(alerts.is_empty(), "{alerts:?}");
}

#[tokio::test]
async fn only_a_trusted_card_network_may_ask_and_a_data_consent_cannot_stream() {
    let s = setup().await;
    let bank = Peer::in_process(
        "bank node",
        anumati_bank::api::router(s.system.bank.clone()),
    );
    let network = Signer::generate("net-1");
    let body = serde_json::to_value(payment(&s.card, 120, "Cafe")).unwrap();
    let assertion = network.sign(&ClientAssertion::new(
        "visa-sim",
        anumati_bank::DEFAULT_BANK_ID,
        s.system.clock.now().as_second(),
    ));
    let headers = [("x-client-assertion", assertion.as_str())];
    let ask = || {
        bank.send(
            axum::http::Method::POST,
            "/v1/card-authorisations",
            &headers,
            Some(&body),
        )
    };
    assert_eq!(ask().await.unwrap().status.as_u16(), 401);
    let mut keys = KeySet::new();
    keys.insert(network.kid(), network.verifying_key());
    s.system.bank.trust_card_network("visa-sim", keys);
    let trusted = ask().await.unwrap();
    assert_eq!(trusted.status.as_u16(), 200);
    let answer: serde_json::Value = serde_json::from_slice(&trusted.body).unwrap();
    assert_eq!(answer["decision"], "approved", "{answer}");

    // A data (VIEW) consent does not subscribe to live events: the bank refuses it.
    let (consent_id, _, _) = grant_consent(&s.system, &s.login, ConsentMode::View)
        .await
        .unwrap();
    assert!(!s.system.app.subscribe_alerts(&s.login).await.unwrap());
    let refused = s
        .system
        .consent
        .relay(
            anumati_app::DEFAULT_APP_ID,
            anumati_consent::Relay::Stream,
            &anumati_consent::ConsentRef { consent_id },
        )
        .await
        .unwrap();
    assert_eq!(refused.status.as_u16(), 403);
    let body: serde_json::Value = serde_json::from_slice(&refused.body).unwrap();
    assert_eq!(body["error"]["code"], "consent_wrong_mode", "{body}");
}
