//! The webhook router end to end: signature first, handshake, parsing,
//! redelivery and per-sender limits.

use std::num::NonZeroU32;
use std::time::Duration;

use anumati_channels::config::{MessengerConfig, TelegramConfig, WhatsAppConfig};
use anumati_channels::signature::hub_signature;
use anumati_channels::{router_with_limits, ChannelsConfig, Inbound, InboundKind, Limits, Sender};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use governor::Quota;
use http_body_util::BodyExt;
use secrecy::SecretString;
use tokio::sync::mpsc;
use tower::ServiceExt;

const M_SECRET: &str = "messenger-app-secret";
const W_SECRET: &str = "whatsapp-app-secret";
const TG_SECRET: &str = "tg-secret_token-1";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn config() -> ChannelsConfig {
    ChannelsConfig {
        messenger: Some(MessengerConfig {
            app_secret: SecretString::from(M_SECRET),
            verify_token: SecretString::from("m-verify"),
            page_token: SecretString::from("m-page"),
            graph_url: "http://127.0.0.1:9".into(),
        }),
        whatsapp: Some(WhatsAppConfig {
            app_secret: SecretString::from(W_SECRET),
            verify_token: SecretString::from("w-verify"),
            token: SecretString::from("w-token"),
            graph_url: "http://127.0.0.1:9".into(),
            template: None,
        }),
        telegram: Some(TelegramConfig {
            bot_token: SecretString::from("1:bot"),
            secret_token: SecretString::from(TG_SECRET),
            api_url: "http://127.0.0.1:9".into(),
        }),
    }
}

fn app_with(config: ChannelsConfig, limits: Limits) -> (Router, mpsc::UnboundedReceiver<Inbound>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let router = router_with_limits(config, limits, move |inbound: Inbound| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(inbound);
        }
    });
    (router, rx)
}

fn app() -> (Router, mpsc::UnboundedReceiver<Inbound>) {
    app_with(config(), Limits::default())
}

fn post(path: &str, body: &[u8], header: Option<(&str, &str)>) -> Request<Body> {
    let mut b = Request::post(path).header("content-type", "application/json");
    if let Some((k, v)) = header {
        b = b.header(k, v);
    }
    b.body(Body::from(body.to_vec())).unwrap()
}

fn signed(path: &str, secret: &str, body: &[u8]) -> Request<Body> {
    let sig = hub_signature(&SecretString::from(secret), body);
    post(path, body, Some(("X-Hub-Signature-256", &sig)))
}

async fn send(app: &Router, req: Request<Body>) -> (StatusCode, String) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// Everything handled so far: waits a little for spawned handlers.
async fn drain(rx: &mut mpsc::UnboundedReceiver<Inbound>) -> Vec<Inbound> {
    let mut out = Vec::new();
    while let Ok(Some(e)) = tokio::time::timeout(Duration::from_millis(200), rx.recv()).await {
        out.push(e);
    }
    out
}

const MESSENGER: &str = "/channels/messenger/webhook";
const WHATSAPP: &str = "/channels/whatsapp/webhook";
const TELEGRAM: &str = "/channels/telegram/webhook";

#[tokio::test]
async fn messenger_signed_message_is_handled() {
    let (app, mut rx) = app();
    let (status, body) = send(
        &app,
        signed(MESSENGER, M_SECRET, &fixture("messenger_text.json")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "EVENT_RECEIVED");
    let got = drain(&mut rx).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].kind, InboundKind::Text("what's my balance?".into()));
}

#[tokio::test]
async fn bad_signatures_get_403_and_nothing_is_processed() {
    let (app, mut rx) = app();
    let body = fixture("messenger_text.json");
    let good = hub_signature(&SecretString::from(M_SECRET), &body);
    let wrong_secret = hub_signature(&SecretString::from("not-the-secret"), &body);
    let sha1 = good.replacen("sha256=", "sha1=", 1);
    let no_prefix = good["sha256=".len()..].to_owned();
    let mut changed = body.clone();
    let i = changed.iter().position(|&b| b == b'?').unwrap();
    changed[i] = b'!';

    let cases: Vec<(&str, Request<Body>)> = vec![
        ("missing", post(MESSENGER, &body, None)),
        (
            "wrong secret",
            post(
                MESSENGER,
                &body,
                Some(("X-Hub-Signature-256", &wrong_secret)),
            ),
        ),
        (
            "wrong prefix",
            post(MESSENGER, &body, Some(("X-Hub-Signature-256", &sha1))),
        ),
        (
            "no prefix",
            post(MESSENGER, &body, Some(("X-Hub-Signature-256", &no_prefix))),
        ),
        (
            "not hex",
            post(
                MESSENGER,
                &body,
                Some(("X-Hub-Signature-256", &format!("sha256={}", "g".repeat(64)))),
            ),
        ),
        (
            "body changed by one byte",
            post(MESSENGER, &changed, Some(("X-Hub-Signature-256", &good))),
        ),
        // Signed for Messenger, sent to WhatsApp: each platform has its secret.
        (
            "other platform's secret",
            signed(WHATSAPP, M_SECRET, &fixture("whatsapp_text.json")),
        ),
    ];
    for (name, req) in cases {
        let (status, _) = send(&app, req).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{name}");
    }
    assert!(drain(&mut rx).await.is_empty());

    // Nothing was recorded either: the genuine delivery is still handled.
    let (status, _) = send(&app, signed(MESSENGER, M_SECRET, &body)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(drain(&mut rx).await.len(), 1);
}

#[tokio::test]
async fn verification_handshake() {
    let (app, _rx) = app();
    let get = |uri: String| Request::get(uri).body(Body::empty()).unwrap();
    let (status, body) = send(
        &app,
        get(format!(
            "{MESSENGER}?hub.mode=subscribe&hub.verify_token=m-verify&hub.challenge=1158201444"
        )),
    )
    .await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "1158201444"));
    let (status, body) = send(
        &app,
        get(format!(
            "{WHATSAPP}?hub.mode=subscribe&hub.verify_token=w-verify&hub.challenge=abc"
        )),
    )
    .await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "abc"));

    for uri in [
        format!("{MESSENGER}?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1"),
        format!("{MESSENGER}?hub.mode=subscribe&hub.verify_token=w-verify&hub.challenge=1"),
        format!("{MESSENGER}?hub.mode=unsubscribe&hub.verify_token=m-verify&hub.challenge=1"),
        format!("{MESSENGER}?hub.verify_token=m-verify&hub.challenge=1"),
        format!("{MESSENGER}?hub.mode=subscribe&hub.challenge=1"),
        format!("{MESSENGER}?hub.mode=subscribe&hub.verify_token=m-verify"),
        format!("{WHATSAPP}?hub.mode=subscribe&hub.verify_token=m-verify&hub.challenge=1"),
    ] {
        let (status, _) = send(&app, get(uri.clone())).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{uri}");
    }
}

#[tokio::test]
async fn whatsapp_messages_handled_statuses_ignored() {
    let (app, mut rx) = app();
    for name in [
        "whatsapp_text.json",
        "whatsapp_button_reply.json",
        "whatsapp_statuses.json",
    ] {
        let (status, _) = send(&app, signed(WHATSAPP, W_SECRET, &fixture(name))).await;
        assert_eq!(status, StatusCode::OK, "{name}");
    }
    let mut got = drain(&mut rx).await;
    got.sort_by_key(|e| e.timestamp);
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(matches!(got[0].kind, InboundKind::Text(_)));
    assert!(matches!(got[1].kind, InboundKind::QuickReply { .. }));
    assert!(got
        .iter()
        .all(|e| e.recipient.as_deref() == Some("106540352242922")));
}

#[tokio::test]
async fn messenger_echo_and_receipts_not_handled() {
    let (app, mut rx) = app();
    let (status, _) = send(
        &app,
        signed(MESSENGER, M_SECRET, &fixture("messenger_ignored.json")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(drain(&mut rx).await.is_empty());
}

#[tokio::test]
async fn telegram_secret_token_checked() {
    let (app, mut rx) = app();
    let body = fixture("telegram_message.json");
    for header in [
        None,
        Some(("X-Telegram-Bot-Api-Secret-Token", "tg-secret_token-2")),
    ] {
        let (status, _) = send(&app, post(TELEGRAM, &body, header)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{header:?}");
    }
    assert!(drain(&mut rx).await.is_empty());
    let ok = Some(("X-Telegram-Bot-Api-Secret-Token", TG_SECRET));
    assert_eq!(
        send(&app, post(TELEGRAM, &body, ok)).await.0,
        StatusCode::OK
    );
    let cb = fixture("telegram_callback_query.json");
    assert_eq!(send(&app, post(TELEGRAM, &cb, ok)).await.0, StatusCode::OK);
    let got = drain(&mut rx).await;
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got.iter().all(|e| e.sender == Sender::Id("1111111".into())));
}

#[tokio::test]
async fn malformed_body_with_valid_signature_is_400() {
    let (app, mut rx) = app();
    for body in [&b"{not json"[..], br#"{"object":"user","entry":[]}"#] {
        let (status, _) = send(&app, signed(MESSENGER, M_SECRET, body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
    let ok = Some(("X-Telegram-Bot-Api-Secret-Token", TG_SECRET));
    assert_eq!(
        send(&app, post(TELEGRAM, b"[1,2", ok)).await.0,
        StatusCode::BAD_REQUEST
    );
    assert!(drain(&mut rx).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redelivery_three_times_at_once_is_handled_once() {
    let (app, mut rx) = app();
    let body = fixture("whatsapp_text.json");
    let r = || signed(WHATSAPP, W_SECRET, &body);
    let (a, b, c) = tokio::join!(
        tokio::spawn({
            let app = app.clone();
            let req = r();
            async move { send(&app, req).await.0 }
        }),
        tokio::spawn({
            let app = app.clone();
            let req = r();
            async move { send(&app, req).await.0 }
        }),
        tokio::spawn({
            let app = app.clone();
            let req = r();
            async move { send(&app, req).await.0 }
        }),
    );
    // Every delivery is acknowledged, so the platform stops redelivering…
    for s in [a.unwrap(), b.unwrap(), c.unwrap()] {
        assert_eq!(s, StatusCode::OK);
    }
    // …and the customer is answered once.
    assert_eq!(drain(&mut rx).await.len(), 1);
    // A later redelivery too.
    assert_eq!(send(&app, r()).await.0, StatusCode::OK);
    assert!(drain(&mut rx).await.is_empty());
}

fn telegram_text(update_id: u64, chat: u64) -> Vec<u8> {
    format!(
        r#"{{"update_id":{update_id},"message":{{"message_id":{update_id},"date":1441645532,"chat":{{"id":{chat},"type":"private"}},"text":"balance?"}}}}"#
    )
    .into_bytes()
}

#[tokio::test]
async fn flood_from_one_sender_does_not_stop_others() {
    let limits = Limits {
        per_sender: Quota::per_hour(NonZeroU32::new(3).unwrap()),
        ..Limits::default()
    };
    let (app, mut rx) = app_with(config(), limits);
    let ok = Some(("X-Telegram-Bot-Api-Secret-Token", TG_SECRET));
    for i in 0..50 {
        let (status, _) = send(&app, post(TELEGRAM, &telegram_text(1000 + i, 42), ok)).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, _) = send(&app, post(TELEGRAM, &telegram_text(5000, 43), ok)).await;
    assert_eq!(status, StatusCode::OK);
    let got = drain(&mut rx).await;
    let from = |chat: &str| {
        got.iter()
            .filter(|e| e.sender == Sender::Id(chat.into()))
            .count()
    };
    assert_eq!(from("42"), 3, "the flooder gets its quota only");
    assert_eq!(from("43"), 1, "the other sender is answered");
}

#[tokio::test]
async fn unconfigured_platform_is_404() {
    let config = ChannelsConfig {
        telegram: None,
        ..config()
    };
    let (app, _rx) = app_with(config, Limits::default());
    let ok = Some(("X-Telegram-Bot-Api-Secret-Token", TG_SECRET));
    let (status, _) = send(&app, post(TELEGRAM, &fixture("telegram_message.json"), ok)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Whatever a correctly signed body holds, the answer is 200 or 400:
    /// never a panic, never a 5xx that would make the platform retry.
    #[test]
    fn arbitrary_signed_bodies_get_200_or_400(
        body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let statuses = rt.block_on(async {
            let (app, _rx) = app();
            let mut out = Vec::new();
            out.push(send(&app, signed(MESSENGER, M_SECRET, &body)).await.0);
            out.push(send(&app, signed(WHATSAPP, W_SECRET, &body)).await.0);
            let ok = Some(("X-Telegram-Bot-Api-Secret-Token", TG_SECRET));
            out.push(send(&app, post(TELEGRAM, &body, ok)).await.0);
            out
        });
        for s in statuses {
            proptest::prop_assert!(s == StatusCode::OK || s == StatusCode::BAD_REQUEST, "{}", s);
        }
    }
}
