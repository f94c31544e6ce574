//! End to end over HTTP: the whole system on port 0, a customer who links
//! their bank through the consent page and asks about it.

use std::net::SocketAddr;

use anumati::system::{System, DEMO_PASSWORD};
use anumati_bank::sim::SimParams;
use anumati_domain::Money;
use anumati_store::DataDir;
use serde_json::{json, Value};

struct Running {
    addr: SocketAddr,
    system: System,
    _dir: tempfile::TempDir,
}

async fn start() -> Running {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::open_or_create(dir.path().join("data")).unwrap();
    let system = System::open(data).await.unwrap();
    let params = SimParams {
        customers: 12,
        months: 2,
        seed: 11,
        end: "2026-11-20".parse().unwrap(),
    };
    system.fill(&params, &|_| {}).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = system.router();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    Running {
        addr,
        system,
        _dir: dir,
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap()
}

/// The value of `name="…" value="…"` in a page.
fn hidden_value(html: &str, name: &str) -> String {
    let marker = format!(r#"name="{name}" value=""#);
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("{name} not in page"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

fn checkbox_names(html: &str) -> Vec<String> {
    html.match_indices(r#"name="account:"#)
        .map(|(i, _)| html[i + 6..].split('"').next().unwrap().to_owned())
        .collect()
}

async fn say(c: &reqwest::Client, base: &str, text: &str) -> (reqwest::StatusCode, Value) {
    let res = c
        .post(format!("{base}/api/messages"))
        .json(&json!({ "text": text }))
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn login(c: &reqwest::Client, base: &str, user: &str) -> String {
    c.post(format!("{base}/login"))
        .form(&[("login", user), ("password", DEMO_PASSWORD)])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Goes through the consent page as `bank_login`; returns the final page.
async fn approve_link(
    c: &reqwest::Client,
    base: &str,
    bank_login: &str,
    approve: bool,
) -> (String, String) {
    let consent_page = c.get(format!("{base}/link")).send().await.unwrap();
    let url = consent_page.url().to_string();
    assert!(
        url.contains("/cm/consent/"),
        "linking leads to the consent page, got {url}"
    );
    let decision_page = c
        .post(format!("{url}/login"))
        .form(&[("login", bank_login), ("password", DEMO_PASSWORD)])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    if !decision_page.contains(r#"id="approve""#) {
        return (url, decision_page);
    }
    let mut form = vec![
        ("csrf".to_owned(), hidden_value(&decision_page, "csrf")),
        (
            "decision".to_owned(),
            if approve { "approve" } else { "deny" }.to_owned(),
        ),
    ];
    for name in checkbox_names(&decision_page) {
        form.push((name, "on".to_owned()));
    }
    let back = c
        .post(format!("{url}/decision"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let final_url = back.url().to_string();
    (final_url, back.text().await.unwrap())
}

#[tokio::test]
async fn link_consent_and_ask_match_the_ledger() {
    let run = start().await;
    let base = format!("http://{}", run.addr);
    let user = run.system.bank.store().customers(0, 1).await.unwrap()[0]
        .login
        .clone();
    let c = client();

    let page = login(&c, &base, &user).await;
    assert!(
        page.contains(r#"id="link-bank""#),
        "an unlinked user is asked to link the bank"
    );

    // Before linking: no data, and a link to the consent page.
    let (status, reply) = say(&c, &base, "what's my balance?").await;
    assert_eq!(status, 200);
    assert_eq!(reply["intent"], "balance");
    assert_eq!(reply["data"], json!({}));
    assert!(reply["link"].as_str().unwrap().starts_with("/cm/consent/"));

    // The consent page says in plain words what would be shared.
    let consent_page = c.get(format!("{base}/link")).send().await.unwrap();
    let url = consent_page.url().to_string();
    let decision = c
        .post(format!("{url}/login"))
        .form(&[("login", user.as_str()), ("password", DEMO_PASSWORD)])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for words in [
        "your balances",
        "your transactions",
        "Why:",
        "Data from",
        "Until",
        "merchants and places",
    ] {
        assert!(decision.contains(words), "consent page says {words:?}");
    }

    let (final_url, _) = approve_link(&c, &base, &user, true).await;
    assert!(
        final_url.ends_with("/?linked=ACTIVE"),
        "back in the chat, got {final_url}"
    );

    // Balances match the bank's ledger to the paisa.
    let (_, reply) = say(&c, &base, "what's my balance?").await;
    assert_eq!(reply["intent"], "balance");
    let balances = reply["data"]["balances"].as_array().unwrap();
    let customer = run
        .system
        .bank
        .store()
        .customer_by_login(&user)
        .await
        .unwrap()
        .unwrap()
        .0;
    let accounts = run
        .system
        .bank
        .store()
        .accounts_of(&customer.id)
        .await
        .unwrap();
    assert_eq!(balances.len(), accounts.len());
    for account in &accounts {
        let ledger = run
            .system
            .bank
            .store()
            .booked_balance(account)
            .await
            .unwrap();
        let shown = balances
            .iter()
            .find(|b| b["account_id"] == account.id.as_str())
            .unwrap();
        let shown: Money = serde_json::from_value(shown["booked"].clone()).unwrap();
        assert_eq!(shown, ledger);
        assert!(reply["reply"]
            .as_str()
            .unwrap()
            .contains(&ledger.to_string()));
    }

    // The last five transactions are the bank's last five.
    let (_, reply) = say(&c, &base, "show my last 5 transactions").await;
    assert_eq!(reply["intent"], "transactions");
    assert_eq!(reply["entities"]["count"], 5);
    let shown = reply["data"]["transactions"].as_array().unwrap();
    assert_eq!(shown.len(), 5);
    let mut newest = Vec::new();
    for account in &accounts {
        let page = run
            .system
            .bank
            .store()
            .transactions(
                account,
                jiff::Timestamp::UNIX_EPOCH,
                jiff::Timestamp::now(),
                5,
                None,
            )
            .await
            .unwrap();
        newest.extend(page.transactions);
    }
    newest.sort_by(|a, b| b.booked_at.cmp(&a.booked_at).then_with(|| b.id.cmp(&a.id)));
    for (t, s) in newest.iter().take(5).zip(shown) {
        assert_eq!(s["id"], t.id.as_str());
        assert_eq!(
            serde_json::from_value::<Money>(s["amount"].clone()).unwrap(),
            t.amount
        );
    }

    // Revoke in the chat: the bank refuses from then on, and the chat asks to link again.
    // Revoking asks first; nothing changes until the customer says yes.
    let (_, reply) = say(&c, &base, "revoke the chat app's access").await;
    assert_eq!(reply["intent"], "consent_revoke");
    assert_eq!(reply["quick_replies"][0], "Yes");
    let (_, reply) = say(&c, &base, "what's my balance?").await;
    assert!(reply["data"]["balances"].is_array(), "{reply}");
    let (_, reply) = say(&c, &base, "yes").await;
    assert_eq!(reply["intent"], "consent_revoke");
    assert!(reply["data"]["revoked"].is_string(), "{reply}");
    let (_, reply) = say(&c, &base, "what's my balance?").await;
    assert_eq!(reply["data"], json!({}));
    assert!(reply["link"].is_string());
}

#[tokio::test]
async fn data_moves_only_through_the_consent_manager_and_only_under_an_active_consent() {
    let run = start().await;
    let base = format!("http://{}", run.addr);
    let user = run.system.bank.store().customers(0, 1).await.unwrap()[0]
        .login
        .clone();
    let c = client();
    login(&c, &base, &user).await;
    approve_link(&c, &base, &user, true).await;
    let (_, reply) = say(&c, &base, "what's my balance?").await;
    assert!(reply["data"]["balances"].is_array());

    // The bank answers FI requests from the consent manager only.
    let res = reqwest::Client::new()
        .post(format!("{base}/bank/v1/fi/fetch"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error());
    assert!(!res.text().await.unwrap().contains("encryptedFI"));
    // The consent manager relays for a registered data user only.
    let res = reqwest::Client::new()
        .post(format!("{base}/cm/v1/fi/fetch"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error());

    // Revoked: a fetch with the artefact that worked is refused, and logged as refused.
    let link = run
        .system
        .app
        .store()
        .active_link(&user)
        .await
        .unwrap()
        .unwrap();
    let artefact: anumati_domain::consent::ConsentArtefact =
        anumati_wire::jws::peek_unverified(link.artefact.as_deref().unwrap()).unwrap();
    assert!(run.system.app.fetch(&artefact).await.is_ok());
    run.system.app.chat(&user, "revoke").await.unwrap();
    run.system.app.chat(&user, "yes").await.unwrap();
    assert!(matches!(
        run.system.app.fetch(&artefact).await,
        Err(anumati_app::data::FetchFailure::Refused(_))
    ));
    let customer = artefact.customer.id.clone();
    let entries = run
        .system
        .consent
        .log()
        .of_customer(&customer, jiff::Timestamp::UNIX_EPOCH, 100)
        .await
        .unwrap();
    let events: Vec<(&str, &str)> = entries
        .iter()
        .rev()
        .map(|e| (e.event.as_str(), e.outcome.as_str()))
        .collect();
    assert_eq!(
        events,
        vec![
            ("consent.approved", "ok"),
            ("data.fetch", "ok"),
            ("data.fetch", "ok"),
            ("consent.revoked", "ok"),
            ("data.fetch", "refused"),
        ]
    );
    let report = anumati_consent::log::verify_all(
        run.system.consent.store().pool(),
        &run.system.consent.key_set(),
    )
    .await
    .unwrap();
    assert!(report.ok(), "{:?}", report.problems);
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_changes_nothing() {
    let run = start().await;
    let base = format!("http://{}", run.addr);
    let customers = run.system.bank.store().customers(0, 2).await.unwrap();
    let (user, other) = (customers[0].login.clone(), customers[1].login.clone());
    let c = client();

    // Wrong password and unknown login: the same clear message.
    for (l, p) in [(user.as_str(), "wrong"), ("nobody.here", DEMO_PASSWORD)] {
        let page = c
            .post(format!("{base}/login"))
            .form(&[("login", l), ("password", p)])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("That login or password is wrong."));
    }
    let res = c
        .post(format!("{base}/api/login"))
        .json(&json!({"login": user, "password": "wrong"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    login(&c, &base, &user).await;
    // A 1 MB message is refused before it is read; a long one is refused with its reason.
    let huge = "a".repeat(1024 * 1024);
    let res = c
        .post(format!("{base}/api/messages"))
        .json(&json!({ "text": huge }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let (status, body) = say(&c, &base, &"b".repeat(3000)).await;
    assert_eq!(status, 413);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("too long"));

    // A consent id that does not exist.
    let res = c
        .get(format!("{base}/cm/consent/does-not-exist"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("does not exist"));

    // Logging in at the consent page as someone else is refused, and nothing is granted.
    let (_, page) = approve_link(&c, &base, &other, true).await;
    assert!(
        page.contains("This request is for another customer"),
        "{page}"
    );
    assert!(run
        .system
        .app
        .store()
        .active_link(&user)
        .await
        .unwrap()
        .is_none());

    // Someone else's consent handle via the callback is refused.
    let other_client = client();
    login(&other_client, &base, &other).await;
    let (_, _) = approve_link(&other_client, &base, &other, true).await;
    let other_handle = run
        .system
        .app
        .store()
        .active_link(&other)
        .await
        .unwrap()
        .unwrap()
        .handle;
    let res = c
        .get(format!("{base}/link/callback?handle={other_handle}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert!(run
        .system
        .app
        .store()
        .active_link(&user)
        .await
        .unwrap()
        .is_none());

    // Denying grants nothing.
    let (final_url, _) = approve_link(&c, &base, &user, false).await;
    assert!(final_url.ends_with("/?linked=REJECTED"), "{final_url}");
    assert!(run
        .system
        .app
        .store()
        .active_link(&user)
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn a_purpose_the_customer_did_not_grant_is_refused_and_logged() {
    let run = start().await;
    let base = format!("http://{}", run.addr);
    let user = run.system.bank.store().customers(0, 1).await.unwrap()[0]
        .login
        .clone();
    let (consent_id, _, _) = anumati::grant_default_consent(&run.system, &user)
        .await
        .unwrap();
    // Call the consent manager as the chat app would, but for advertising (not a ReBIT purpose)
    // and for wealth management (a purpose the customer did not grant).
    let app_key = anumati_wire::jws::Signer::load_or_create(
        "app-1",
        &run.system
            .data
            .role(anumati_store::Role::App)
            .join("signing.key"),
    )
    .unwrap();
    for purpose in ["advertising", "101"] {
        let assertion = app_key.sign(&anumati_wire::jws::ClientAssertion::new(
            "anumati-chat",
            "anumati-consent",
            jiff::Timestamp::now().as_second(),
        ));
        let keys = anumati_fi_crypto::EphemeralKeyPair::generate(
            jiff::Timestamp::now() + jiff::SignedDuration::from_mins(5),
        );
        let res = reqwest::Client::new()
            .post(format!("{base}/cm/v1/fi/fetch"))
            .header("x-client-id", "anumati-chat")
            .header("x-client-assertion", assertion)
            .json(&json!({ "consent_id": consent_id, "txnid": "t", "purpose": purpose, "KeyMaterial": keys.key_material() }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{purpose}");
        assert!(!res.text().await.unwrap().contains("encryptedFI"));
    }
    let customer = run
        .system
        .bank
        .store()
        .customer_by_login(&user)
        .await
        .unwrap()
        .unwrap()
        .0;
    let log = run
        .system
        .consent
        .log()
        .of_customer(customer.id.as_str(), jiff::Timestamp::UNIX_EPOCH, 10)
        .await
        .unwrap();
    for (entry, purpose) in log.iter().take(2).zip(["101", "advertising"]) {
        assert_eq!(
            (entry.event.as_str(), entry.outcome.as_str()),
            ("data.fetch", "refused")
        );
        assert_eq!(entry.purpose.as_deref(), Some(purpose));
        assert!(
            entry.reason.as_deref().unwrap().contains("purpose"),
            "{:?}",
            entry.reason
        );
    }
}

#[tokio::test]
async fn every_role_serves_its_openapi_document() {
    let run = start().await;
    let base = format!("http://{}", run.addr);
    for (path, expected) in [
        (
            "/openapi.json",
            vec![
                "/api/login",
                "/api/messages",
                "/api/export",
                "/v1/consent-notifications",
            ],
        ),
        (
            "/cm/openapi.json",
            vec![
                "/v1/consents",
                "/v1/consents/{handle}",
                "/v1/consents/{consent_id}/revoke",
                "/v1/fi/fetch",
                "/v1/log/sth",
                "/v1/log/proof",
                "/v1/log/consistency",
            ],
        ),
        (
            "/bank/openapi.json",
            vec![
                "/v1/fi/fetch",
                "/v1/customer-auth",
                "/v1/consent-notifications",
                "/.well-known/jwks.json",
            ],
        ),
    ] {
        let doc: serde_json::Value = reqwest::get(format!("{base}{path}"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{path}");
        for p in expected {
            assert!(doc["paths"].get(p).is_some(), "{path} documents {p}");
        }
    }
}
