//! The assistant behind the messaging platforms, end to end: the whole
//! process on a loopback port with its webhooks, a mock of the platforms'
//! send APIs on another, and the test as the platform and as the customer's
//! browser. Account linking goes through the consent manager's bank login
//! and a code typed into the same chat; redelivered updates are answered
//! once; messages of the app's own respect the 24-hour windows.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anumati::system::{grant_default_consent, System, DEMO_PASSWORD};
use anumati_app::channels::GatewayOptions;
use anumati_app::Confidence;
use anumati_bank::sim::{self, SimParams};
use anumati_channels::config::{
    ChannelsConfig, MessengerConfig, TelegramConfig, WhatsAppConfig, WhatsAppTemplate,
};
use anumati_store::DataDir;
use anumati_wire::clock::ManualClock;
use axum::extract::State;
use axum::http::Uri;
use axum::Json;
use hmac::{Hmac, Mac};
use secrecy::SecretString;
use serde_json::{json, Value};
use sha2::Sha256;

const TG_SECRET: &str = "tg-secret-token";
const M_SECRET: &str = "messenger-app-secret";
const W_SECRET: &str = "whatsapp-app-secret";

/// What the mock platform received: path and JSON body.
#[derive(Clone, Default)]
struct Sent(Arc<Mutex<Vec<(String, Value)>>>);

impl Sent {
    fn all(&self) -> Vec<(String, Value)> {
        self.0.lock().unwrap().clone()
    }

    /// Waits (at most 20 s) until `n` messages arrived; returns them all.
    async fn wait_for(&self, n: usize) -> Vec<(String, Value)> {
        for _ in 0..400 {
            if self.0.lock().unwrap().len() >= n {
                return self.all();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("expected {n} sends, got {:#?}", self.all());
    }
}

async fn mock_platform() -> (String, Sent) {
    async fn any(State(sent): State<Sent>, uri: Uri, Json(body): Json<Value>) -> Json<Value> {
        sent.0.lock().unwrap().push((uri.path().to_owned(), body));
        Json(json!({ "ok": true, "message_id": "m" }))
    }
    let sent = Sent::default();
    let app = axum::Router::new()
        .fallback(axum::routing::post(any))
        .with_state(sent.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), sent)
}

struct Setup {
    system: Arc<System>,
    clock: ManualClock,
    base: String,
    sent: Sent,
    login: String,
    http: reqwest::Client,
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
        customers: 3,
        months: 1,
        seed: 7,
        end: "2026-11-19".parse().unwrap(),
    };
    let hash = anumati_bank::api::hash_password(DEMO_PASSWORD);
    sim::populate(system.bank.store().pool(), &params, &hash, &|_| {})
        .await
        .unwrap();
    let login = system.bank.store().customers(0, 1).await.unwrap()[0]
        .login
        .clone();
    let (mock, sent) = mock_platform().await;
    let channels = ChannelsConfig {
        messenger: Some(MessengerConfig {
            app_secret: SecretString::from(M_SECRET),
            verify_token: SecretString::from("m-verify"),
            page_token: SecretString::from("m-page-token"),
            graph_url: mock.clone(),
        }),
        whatsapp: Some(WhatsAppConfig {
            app_secret: SecretString::from(W_SECRET),
            verify_token: SecretString::from("w-verify"),
            token: SecretString::from("w-token"),
            graph_url: mock.clone(),
            template: Some(WhatsAppTemplate {
                name: "account_update".into(),
                language: "en".into(),
            }),
        }),
        telegram: Some(TelegramConfig {
            bot_token: SecretString::from("123:bot-token"),
            secret_token: SecretString::from(TG_SECRET),
            api_url: mock.clone(),
        }),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let system = Arc::new(system);
    let router = system.router_with_channels(channels, GatewayOptions::new(&base));
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    Setup {
        system,
        clock,
        base,
        sent,
        login,
        http: reqwest::Client::new(),
        _dir: dir,
    }
}

fn telegram_update(update_id: u64, chat: i64, text: &str) -> Value {
    json!({
        "update_id": update_id,
        "message": {
            "message_id": update_id + 1000,
            "from": { "id": chat, "is_bot": false, "first_name": "Asha" },
            "chat": { "id": chat, "first_name": "Asha", "type": "private" },
            "date": 1764000000,
            "text": text,
        }
    })
}

impl Setup {
    async fn telegram(&self, update: &Value) -> u16 {
        self.http
            .post(format!("{}/channels/telegram/webhook", self.base))
            .header("X-Telegram-Bot-Api-Secret-Token", TG_SECRET)
            .json(update)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    async fn meta(&self, platform: &str, secret: &str, body: &Value) -> u16 {
        let raw = serde_json::to_vec(body).unwrap();
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(&raw);
        let sig: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        self.http
            .post(format!("{}/channels/{platform}/webhook", self.base))
            .header("X-Hub-Signature-256", format!("sha256={sig}"))
            .header("content-type", "application/json")
            .body(raw)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// Plays the customer's browser on the consent manager's link page and
    /// returns the code the app shows after the bank login.
    async fn bank_login_code(&self, url: &str, login: &str, password: &str) -> (u16, String) {
        let page = self.http.get(url).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains("Log in with your bank"), "{html}");
        let after = self
            .http
            .post(format!("{url}/login"))
            .form(&[("login", login), ("password", password)])
            .send()
            .await
            .unwrap();
        let status = after.status().as_u16();
        let html = after.text().await.unwrap();
        let code = html
            .split("id=\"code\">")
            .nth(1)
            .map(|rest| rest.chars().take_while(char::is_ascii_digit).collect())
            .unwrap_or_default();
        (status, code)
    }
}

/// The text of the `i`-th message the platform was asked to send.
fn text_of(sent: &[(String, Value)], i: usize) -> String {
    let body = &sent[i].1;
    body["text"]
        .as_str()
        .or(body["message"]["text"].as_str())
        .or(body["text"]["body"].as_str())
        .unwrap_or_default()
        .to_owned()
}

fn link_in(text: &str) -> String {
    text.split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("a link")
        .trim_end_matches(['.', ','])
        .to_owned()
}

#[tokio::test]
async fn telegram_chat_is_linked_only_through_the_bank_login_and_code() {
    let s = setup().await;
    // A stranger's chat: the assistant answers with a link, never with data.
    assert_eq!(
        s.telegram(&telegram_update(1, 42, "what's my balance?"))
            .await,
        200
    );
    let sent = s.sent.wait_for(1).await;
    assert_eq!(sent[0].0, "/bot123:bot-token/sendMessage");
    assert_eq!(sent[0].1["chat_id"], "42");
    let first = text_of(&sent, 0);
    assert!(first.contains("link this chat"), "{first}");
    assert!(!first.contains('₹'), "no data before linking: {first}");
    let url = link_in(&first);
    assert!(url.starts_with(&format!("{}/cm/link/", s.base)), "{url}");

    // A second message before linking gets the same link, not a new one.
    s.telegram(&telegram_update(2, 42, "hello?")).await;
    let sent = s.sent.wait_for(2).await;
    assert_eq!(link_in(&text_of(&sent, 1)), url);

    // A wrong bank password gives no code.
    let (_, code) = s.bank_login_code(&url, &s.login, "wrong password").await;
    assert!(code.is_empty());
    // The right one does; the code typed into ANOTHER chat links nothing.
    let (status, code) = s.bank_login_code(&url, &s.login, DEMO_PASSWORD).await;
    assert_eq!(status, 200);
    assert_eq!(code.len(), 6, "a six-digit code");
    s.telegram(&telegram_update(3, 43, &code)).await;
    let sent = s.sent.wait_for(3).await;
    assert_eq!(sent[2].1["chat_id"], "43");
    assert!(
        text_of(&sent, 2).contains("no link waiting"),
        "{}",
        text_of(&sent, 2)
    );

    // The link page cannot be used twice.
    let again = s.http.get(&url).send().await.unwrap();
    assert_eq!(again.status(), 409);

    // A wrong code, then the right one, in the right chat.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    s.telegram(&telegram_update(4, 42, wrong)).await;
    let sent = s.sent.wait_for(4).await;
    assert!(
        text_of(&sent, 3).contains("not right"),
        "{}",
        text_of(&sent, 3)
    );
    s.telegram(&telegram_update(5, 42, &code)).await;
    let sent = s.sent.wait_for(5).await;
    let linked = text_of(&sent, 4);
    assert!(
        linked.contains("Linked") && linked.contains(&s.login),
        "{linked}"
    );

    // Linked, but no consent yet: the consent page, as an absolute link.
    s.telegram(&telegram_update(6, 42, "what's my balance?"))
        .await;
    let sent = s.sent.wait_for(6).await;
    let ask = text_of(&sent, 5);
    assert!(ask.contains(&format!("{}/cm/consent/", s.base)), "{ask}");

    // With the consent, the balance; the same update delivered three times
    // at once is answered once.
    grant_default_consent(&s.system, &s.login).await.unwrap();
    // The app's own notice reaches the linked chat too.
    let sent = s.sent.wait_for(7).await;
    assert!(
        text_of(&sent, 6).contains("Your bank is linked"),
        "{}",
        text_of(&sent, 6)
    );
    let update = telegram_update(7, 42, "what's my balance?");
    let (a, b, c) = tokio::join!(
        s.telegram(&update),
        s.telegram(&update),
        s.telegram(&update)
    );
    assert_eq!((a, b, c), (200, 200, 200));
    let sent = s.sent.wait_for(8).await;
    let balance = text_of(&sent, 7);
    assert!(balance.contains('₹') || balance.contains('$'), "{balance}");
    s.telegram(&telegram_update(8, 42, "thanks")).await;
    let sent = s.sent.wait_for(9).await;
    assert_eq!(
        sent.iter()
            .filter(|(_, b)| b["text"].as_str() == Some(balance.as_str()))
            .count(),
        1,
        "the redelivered update was answered once"
    );

    // A chart goes as a PNG the platform fetches from us.
    s.telegram(&telegram_update(
        20,
        42,
        "how much did I spend by category?",
    ))
    .await;
    let sent = s.sent.wait_for(11).await;
    assert!(text_of(&sent, 9).contains('₹'), "{}", text_of(&sent, 9));
    assert_eq!(sent[10].0, "/bot123:bot-token/sendPhoto");
    let photo = sent[10].1["photo"].as_str().unwrap().to_owned();
    assert!(
        photo.starts_with(&format!("{}/channels/media/", s.base)),
        "{photo}"
    );
    let image = s.http.get(&photo).send().await.unwrap();
    assert_eq!(image.status(), 200);
    assert_eq!(image.headers()["content-type"], "image/png");
    assert_eq!(&image.bytes().await.unwrap()[..4], b"\x89PNG");

    // Unlink: the next question gets the linking link again, no data.
    s.telegram(&telegram_update(9, 42, "unlink")).await;
    let sent = s.sent.wait_for(12).await;
    assert!(text_of(&sent, 11).contains("no longer linked"));
    s.telegram(&telegram_update(10, 42, "what's my balance?"))
        .await;
    let sent = s.sent.wait_for(13).await;
    let after = text_of(&sent, 12);
    assert!(
        after.contains("link this chat") && !after.contains('₹'),
        "{after}"
    );
}

#[tokio::test]
async fn five_wrong_codes_end_the_attempt() {
    let s = setup().await;
    s.telegram(&telegram_update(1, 50, "hi")).await;
    let url = link_in(&text_of(&s.sent.wait_for(1).await, 0));
    let (_, code) = s.bank_login_code(&url, &s.login, DEMO_PASSWORD).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for i in 0..5 {
        s.telegram(&telegram_update(2 + i, 50, wrong)).await;
        s.sent.wait_for(2 + i as usize).await;
    }
    let sent = s.sent.wait_for(6).await;
    assert!(
        text_of(&sent, 5).contains("last try"),
        "{}",
        text_of(&sent, 5)
    );
    // The right code no longer helps.
    s.telegram(&telegram_update(10, 50, &code)).await;
    let sent = s.sent.wait_for(7).await;
    assert!(
        text_of(&sent, 6).contains("no link waiting"),
        "{}",
        text_of(&sent, 6)
    );
}

fn messenger_text(psid: &str, mid: &str, text: &str) -> Value {
    json!({
        "object": "page",
        "entry": [{
            "id": "PAGE_ID",
            "time": 1764000000000u64,
            "messaging": [{
                "sender": { "id": psid },
                "recipient": { "id": "PAGE_ID" },
                "timestamp": 1764000000000u64,
                "message": { "mid": mid, "text": text }
            }]
        }]
    })
}

fn whatsapp_text(from: &str, id: &str, text: &str) -> Value {
    json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": "WABA_ID",
            "changes": [{
                "field": "messages",
                "value": {
                    "messaging_product": "whatsapp",
                    "metadata": { "display_phone_number": "15550000000", "phone_number_id": "PHONE_ID" },
                    "contacts": [{ "profile": { "name": "Asha" }, "wa_id": from }],
                    "messages": [{ "from": from, "id": id, "timestamp": "1764000000", "type": "text", "text": { "body": text } }]
                }
            }]
        }]
    })
}

/// Links `sender` on `platform` by the real flow; the platform's sends so
/// far are `before`.
async fn link(s: &Setup, before: usize, mut send: impl AsyncFnMut(&str) -> u16) -> usize {
    assert_eq!(send("hi").await, 200);
    let sent = s.sent.wait_for(before + 1).await;
    let url = link_in(&text_of(&sent, before));
    let (_, code) = s.bank_login_code(&url, &s.login, DEMO_PASSWORD).await;
    send(&code).await;
    let sent = s.sent.wait_for(before + 2).await;
    assert!(text_of(&sent, before + 1).contains("Linked"));
    before + 2
}

#[tokio::test]
async fn messenger_and_whatsapp_signatures_replies_and_windows() {
    let s = setup().await;
    // A body signed with the wrong secret is refused and nothing is sent.
    let body = messenger_text("PSID1", "mid.0", "hi");
    assert_eq!(s.meta("messenger", "not-the-secret", &body).await, 403);
    assert_eq!(
        s.meta("whatsapp", M_SECRET, &whatsapp_text("9190", "w.0", "hi"))
            .await,
        403
    );

    let mut n = 0;
    let mut mid = 0;
    n = link(&s, n, async |text: &str| {
        mid += 1;
        s.meta(
            "messenger",
            M_SECRET,
            &messenger_text("PSID1", &format!("mid.{mid}"), text),
        )
        .await
    })
    .await;
    let sent = s.sent.all();
    assert_eq!(sent[0].0, "/me/messages");
    assert_eq!(sent[0].1["recipient"]["id"], "PSID1");
    assert_eq!(sent[0].1["messaging_type"], "RESPONSE");

    let mut wid = 0;
    n = link(&s, n, async |text: &str| {
        wid += 1;
        s.meta(
            "whatsapp",
            W_SECRET,
            &whatsapp_text("919812345678", &format!("wamid.{wid}"), text),
        )
        .await
    })
    .await;
    let sent = s.sent.all();
    assert_eq!(sent[n - 1].0, "/PHONE_ID/messages");
    assert_eq!(sent[n - 1].1["messaging_product"], "whatsapp");
    assert_eq!(sent[n - 1].1["to"], "919812345678");

    // A message of the app's own within 24 hours: an update on both.
    let notice = s.system.app.reply(
        "notice",
        Confidence::CERTAIN,
        "Your card ending 1234 was used for ₹4,250.00 at Croma.".into(),
        json!({}),
    );
    s.system.app.push(&s.login, notice.clone());
    let sent = s.sent.wait_for(n + 2).await;
    let pushed: Vec<&(String, Value)> = sent[n..].iter().collect();
    let m = pushed.iter().find(|(p, _)| p == "/me/messages").unwrap();
    assert_eq!(m.1["messaging_type"], "UPDATE");
    let w = pushed
        .iter()
        .find(|(p, _)| p == "/PHONE_ID/messages")
        .unwrap();
    assert_eq!(w.1["type"], "text");
    n += 2;

    // A day later: Messenger only with the ACCOUNT_UPDATE tag, WhatsApp only
    // as the bank's template.
    s.clock.advance(jiff::SignedDuration::from_hours(25));
    s.system.app.push(&s.login, notice);
    let sent = s.sent.wait_for(n + 2).await;
    let pushed: Vec<&(String, Value)> = sent[n..].iter().collect();
    let m = pushed.iter().find(|(p, _)| p == "/me/messages").unwrap();
    assert_eq!(m.1["messaging_type"], "MESSAGE_TAG");
    assert_eq!(m.1["tag"], "ACCOUNT_UPDATE");
    let w = pushed
        .iter()
        .find(|(p, _)| p == "/PHONE_ID/messages")
        .unwrap();
    assert_eq!(w.1["type"], "template");
    assert_eq!(w.1["template"]["name"], "account_update");
    assert!(w.1["template"]["components"][0]["parameters"][0]["text"]
        .as_str()
        .unwrap()
        .contains("Croma"));
}
