//! The consent manager's card-lock relay: only the data user holding an
//! ACTIVE consent gets its lock relayed, with the artefact the consent
//! manager signed, and every attempt — relayed, refused here or refused by
//! the bank — is in the access log as `card.lock` or `card.unlock`.
//!
//! The bank is a stand-in router that checks the consent manager's client
//! assertion and records what reached it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use anumati_consent::log::LogEntry;
use anumati_consent::{
    AuthenticatedCustomer, ConsentManager, ConsentRequest, ConsentStore, LinkableAccount,
};
use anumati_domain::consent::{CardDataExtension, ConsentMode, ConsentStatus, ConsentType};
use anumati_domain::AccountKind;
use anumati_wire::clock::{Clock, ManualClock};
use anumati_wire::jws::{ClientAssertion, KeySet, Signer};
use anumati_wire::Peer;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

const CM_ID: &str = "anumati-consent";
const BANK_ID: &str = "anumati-bank";
const CUSTOMER_ID: &str = "cus_000001";

/// What the stand-in bank saw and how it answers.
struct FakeBank {
    cm_keys: KeySet,
    clock: ManualClock,
    /// Bodies of the card-lock requests that reached the bank.
    locks: Mutex<Vec<Value>>,
    /// Answer card locks with a refusal.
    refuse: AtomicBool,
}

fn fake_bank_router(bank: Arc<FakeBank>) -> Router {
    async fn notified() -> StatusCode {
        StatusCode::NO_CONTENT
    }
    async fn lock(
        State(bank): State<Arc<FakeBank>>,
        headers: HeaderMap,
        Json(body): Json<Value>,
    ) -> axum::response::Response {
        let assertion = headers
            .get("x-client-assertion")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if ClientAssertion::verify(
            assertion,
            &bank.cm_keys,
            CM_ID,
            BANK_ID,
            bank.clock.now().as_second(),
        )
        .is_err()
        {
            return StatusCode::UNAUTHORIZED.into_response();
        }
        let locked = body["lock"].as_bool().unwrap();
        bank.locks.lock().unwrap().push(body);
        if bank.refuse.load(Ordering::SeqCst) {
            return (
                StatusCode::FORBIDDEN,
                Json(json!({ "error": { "code": "consent_refused", "message": "consent has expired" } })),
            )
                .into_response();
        }
        Json(json!({ "cards": [{
            "card_id": "crd_000001_1",
            "masked_pan": "414367XXXXXX1234",
            "account_id": "acc_000001_1",
            "locked": locked,
        }] }))
        .into_response()
    }
    Router::new()
        .route("/v1/consent-notifications", post(notified))
        .route("/v1/cards/lock", post(lock))
        .with_state(bank)
}

struct Setup {
    _dir: tempdir::Dir,
    cm: ConsentManager,
    api: Peer,
    bank: Arc<FakeBank>,
    clock: ManualClock,
    app_a: Signer,
    app_b: Signer,
    consent_id: String,
}

mod tempdir {
    pub struct Dir(pub std::path::PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn consent_request(customer: &str) -> ConsentRequest {
    ConsentRequest {
        customer: customer.into(),
        purpose_code: "102".into(),
        consent_types: vec![ConsentType::Summary, ConsentType::Transactions],
        extensions: CardDataExtension::default(),
        mode: ConsentMode::Store,
        history_months: 12,
        valid_days: 365,
        fetches_per_day: 10,
        data_life_days: 30,
        redirect_uri: "/link/callback".into(),
    }
}

async fn setup() -> Setup {
    let dir = std::env::temp_dir().join(format!(
        "anumati-cm-cards-{}",
        anumati_wire::html::random_token()
    ));
    let pool =
        anumati_store::open_sqlite(&dir.join("consent.db"), &anumati_consent::store::MIGRATOR)
            .await
            .unwrap();
    let clock = ManualClock::new("2026-11-01T12:00:00Z".parse().unwrap());
    let signer = Signer::generate("cm-1");
    let mut cm_keys = KeySet::new();
    cm_keys.insert(signer.kid(), signer.verifying_key());
    let bank = Arc::new(FakeBank {
        cm_keys,
        clock: clock.clone(),
        locks: Mutex::new(Vec::new()),
        refuse: AtomicBool::new(false),
    });
    let cm = ConsentManager::new(
        CM_ID,
        ConsentStore::new(pool),
        signer,
        Peer::in_process("bank", fake_bank_router(bank.clone())),
        BANK_ID,
        Arc::new(clock.clone()),
        "/cm",
    );
    let app_a = Signer::generate("app-a-1");
    let app_b = Signer::generate("app-b-1");
    cm.register_consumer("app-a", "App A", &app_a.public_jwk())
        .await
        .unwrap();
    cm.register_consumer("app-b", "App B", &app_b.public_jwk())
        .await
        .unwrap();
    let handle = cm.request("app-a", &consent_request("asha")).await.unwrap();
    let customer = AuthenticatedCustomer {
        customer_id: CUSTOMER_ID.into(),
        login: "asha".into(),
        name: "Asha".into(),
        accounts: vec![LinkableAccount {
            id: "acc_000001_1".into(),
            kind: AccountKind::Savings,
            masked_number: "XXXXXX1234".into(),
            currency: "INR".into(),
        }],
    };
    let record = cm
        .decide(&handle, &customer, &["acc_000001_1".into()], true)
        .await
        .unwrap();
    assert_eq!(record.status, ConsentStatus::Active);
    let api = Peer::in_process("cm", anumati_consent::api::router(cm.clone()));
    Setup {
        _dir: tempdir::Dir(dir),
        cm,
        api,
        bank,
        clock,
        app_a,
        app_b,
        consent_id: record.consent_id.unwrap(),
    }
}

/// `POST /v1/cards/lock` as data user `id` signing with `signer`.
async fn lock(s: &Setup, id: &str, signer: &Signer, lock: bool) -> (u16, Value) {
    let assertion = signer.sign(&ClientAssertion::new(id, CM_ID, s.clock.now().as_second()));
    let response = s
        .api
        .send(
            Method::POST,
            "/v1/cards/lock",
            &[
                ("x-client-id", id),
                ("x-client-assertion", assertion.as_str()),
            ],
            Some(&json!({ "consentId": s.consent_id, "lock": lock })),
        )
        .await
        .unwrap();
    (
        response.status.as_u16(),
        serde_json::from_slice(&response.body).unwrap_or(Value::Null),
    )
}

/// The card entries of the access log, oldest first.
async fn card_entries(cm: &ConsentManager) -> Vec<LogEntry> {
    let size = cm
        .log()
        .latest_head()
        .await
        .unwrap()
        .map_or(0, |h| h.tree_size);
    cm.log()
        .range(0, size)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.event.starts_with("card."))
        .collect()
}

fn relayed(s: &Setup) -> Vec<Value> {
    s.bank.locks.lock().unwrap().clone()
}

#[tokio::test]
async fn a_lock_is_relayed_with_the_signed_artefact_and_logged() {
    let s = setup().await;
    let (status, body) = lock(&s, "app-a", &s.app_a, true).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["cards"][0]["card_id"], "crd_000001_1");
    assert_eq!(body["cards"][0]["masked_pan"], "414367XXXXXX1234");
    assert_eq!(body["cards"][0]["locked"], true);

    let stored =
        s.cm.store()
            .by_consent_id(&s.consent_id)
            .await
            .unwrap()
            .unwrap()
            .artefact
            .unwrap();
    let seen = relayed(&s);
    assert_eq!(seen, vec![json!({ "consent": stored, "lock": true })]);

    let entries = card_entries(&s.cm).await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    let e = &entries[0];
    assert_eq!(e.event, "card.lock");
    assert_eq!(e.actor, "app-a");
    assert_eq!(e.customer.as_deref(), Some(CUSTOMER_ID));
    assert_eq!(e.consent_id.as_deref(), Some(s.consent_id.as_str()));
    assert_eq!(e.outcome, "ok");
    assert_eq!(e.reason, None);
    assert!(e.data_kinds.is_empty(), "a lock reads no data");
    // Nothing of the bank's answer is logged.
    let logged = serde_json::to_string(&entries).unwrap();
    assert!(!logged.contains("XXXXXX1234") && !logged.contains("crd_"));

    let (status, body) = lock(&s, "app-a", &s.app_a, false).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["cards"][0]["locked"], false);
    assert_eq!(relayed(&s)[1]["lock"], false);
    let entries = card_entries(&s.cm).await;
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1].event, "card.unlock");
    assert_eq!(entries[1].outcome, "ok");

    // The data user (and so the customer) sees it in the customer's log.
    let assertion = s.app_a.sign(&ClientAssertion::new(
        "app-a",
        CM_ID,
        s.clock.now().as_second(),
    ));
    let log: Value = s
        .api
        .get(
            &format!("/v1/consents/{}/log", s.consent_id),
            &[
                ("x-client-id", "app-a"),
                ("x-client-assertion", assertion.as_str()),
            ],
        )
        .await
        .unwrap();
    let events: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert!(
        events.contains(&"card.lock") && events.contains(&"card.unlock"),
        "{events:?}"
    );

    let report = anumati_consent::log::verify_all(s.cm.store().pool(), &s.cm.key_set())
        .await
        .unwrap();
    assert!(report.ok(), "{:?}", report.problems);
}

#[tokio::test]
async fn another_data_users_consent_is_not_found_and_nothing_is_relayed() {
    let s = setup().await;
    let (status, body) = lock(&s, "app-b", &s.app_b, true).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "not_found");
    assert!(relayed(&s).is_empty());
    assert!(card_entries(&s.cm).await.is_empty());

    // Claiming to be app-a with app-b's key does not work either.
    let (status, _) = lock(&s, "app-a", &s.app_b, true).await;
    assert_eq!(status, 401);
    // Nor does no authentication at all.
    let response = s
        .api
        .send(
            Method::POST,
            "/v1/cards/lock",
            &[],
            Some(&json!({ "consentId": s.consent_id, "lock": true })),
        )
        .await
        .unwrap();
    assert_eq!(response.status.as_u16(), 401);
    assert!(relayed(&s).is_empty());
    assert!(card_entries(&s.cm).await.is_empty());

    // An unknown consent.
    let assertion = s.app_a.sign(&ClientAssertion::new(
        "app-a",
        CM_ID,
        s.clock.now().as_second(),
    ));
    let response = s
        .api
        .send(
            Method::POST,
            "/v1/cards/lock",
            &[
                ("x-client-id", "app-a"),
                ("x-client-assertion", assertion.as_str()),
            ],
            Some(&json!({ "consentId": "cst_nobody", "lock": true })),
        )
        .await
        .unwrap();
    assert_eq!(response.status.as_u16(), 404);
    assert!(relayed(&s).is_empty());
}

#[tokio::test]
async fn paused_and_revoked_consents_are_refused_and_logged() {
    let s = setup().await;
    s.cm.set_status("app-a", &s.consent_id, ConsentStatus::Paused)
        .await
        .unwrap();
    let (status, body) = lock(&s, "app-a", &s.app_a, true).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "wrong_status");
    assert!(relayed(&s).is_empty(), "a paused consent is not relayed");
    let entries = card_entries(&s.cm).await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].event, "card.lock");
    assert_eq!(entries[0].outcome, "refused");
    assert_eq!(entries[0].reason.as_deref(), Some("consent is PAUSED"));

    s.cm.set_status("app-a", &s.consent_id, ConsentStatus::Active)
        .await
        .unwrap();
    assert_eq!(lock(&s, "app-a", &s.app_a, true).await.0, 200);
    assert_eq!(relayed(&s).len(), 1);

    s.cm.set_status("app-a", &s.consent_id, ConsentStatus::Revoked)
        .await
        .unwrap();
    let (status, _) = lock(&s, "app-a", &s.app_a, false).await;
    assert_eq!(status, 409);
    assert_eq!(relayed(&s).len(), 1, "a revoked consent is not relayed");
    let entries = card_entries(&s.cm).await;
    let last = entries.last().unwrap();
    assert_eq!(last.event, "card.unlock");
    assert_eq!(last.outcome, "refused");
    assert_eq!(last.reason.as_deref(), Some("consent is REVOKED"));
    assert_eq!(
        entries
            .iter()
            .map(|e| e.outcome.as_str())
            .collect::<Vec<_>>(),
        ["refused", "ok", "refused"]
    );
}

#[tokio::test]
async fn a_bank_refusal_is_passed_on_and_logged() {
    let s = setup().await;
    s.bank.refuse.store(true, Ordering::SeqCst);
    let (status, body) = lock(&s, "app-a", &s.app_a, true).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "consent_refused");
    let entries = card_entries(&s.cm).await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].outcome, "refused");
    assert_eq!(
        entries[0].reason.as_deref(),
        Some("consent_refused: consent has expired")
    );
}

#[tokio::test]
async fn the_route_is_documented() {
    let s = setup().await;
    let doc: Value = s.api.get("/openapi.json", &[]).await.unwrap();
    assert!(doc["paths"]["/v1/cards/lock"]["post"].is_object());
    assert!(doc["components"]["schemas"]["CardLockRequest"].is_object());
}
