//! The send API clients against a local mock platform that fails, then
//! succeeds.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anumati_channels::config::{MessengerConfig, TelegramConfig, WhatsAppConfig};
use anumati_channels::send::{
    Button, MessengerClient, RetryPolicy, SendError, TelegramClient, WhatsAppClient,
};
use anumati_channels::Sender;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use secrecy::SecretString;
use serde_json::{json, Value};

#[derive(Debug, Clone)]
struct Seen {
    path: String,
    authorization: Option<String>,
    body: Value,
}

#[derive(Clone)]
struct Mock {
    /// Statuses to answer, in order; 200 once exhausted.
    script: Arc<Mutex<Vec<u16>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

async fn any(
    State(m): State<Mock>,
    uri: Uri,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    m.seen.lock().unwrap().push(Seen {
        path: uri.path().to_owned(),
        authorization: headers
            .get("authorization")
            .map(|v| v.to_str().unwrap().to_owned()),
        body,
    });
    let next = {
        let mut script = m.script.lock().unwrap();
        if script.is_empty() {
            200
        } else {
            script.remove(0)
        }
    };
    let status = StatusCode::from_u16(next).unwrap();
    if status.is_success() {
        Json(json!({ "message_id": "m_ok" })).into_response()
    } else {
        (status, Json(json!({ "error": { "message": "try later" } }))).into_response()
    }
}

/// A mock platform on 127.0.0.1:0 answering `script` then 200.
async fn mock(script: Vec<u16>) -> (String, Mock) {
    let m = Mock {
        script: Arc::new(Mutex::new(script)),
        seen: Arc::default(),
    };
    let app = axum::Router::new().fallback(any).with_state(m.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, m)
}

fn fast() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(50),
    }
}

fn buttons() -> Vec<Button> {
    vec![
        Button {
            title: "Yes, me".into(),
            payload: "FRAUD_YES:t1".into(),
        },
        Button {
            title: "No".into(),
            payload: "FRAUD_NO:t1".into(),
        },
    ]
}

#[tokio::test]
async fn messenger_fails_twice_then_succeeds() {
    let (url, m) = mock(vec![500, 429]).await;
    let config = MessengerConfig {
        app_secret: SecretString::from("s"),
        verify_token: SecretString::from("v"),
        page_token: SecretString::from("page-token-1"),
        graph_url: format!("{url}/v21.0/"),
    };
    let mut client = MessengerClient::new(reqwest::Client::new(), &config);
    client.retry = fast();
    let out = client
        .send_text(
            &Sender::Id("6004523812345678".into()),
            "Was this you?",
            &buttons(),
        )
        .await
        .unwrap();
    assert_eq!(out["message_id"], "m_ok");
    let seen = m.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3, "two failures, one success");
    for s in &seen {
        assert_eq!(s.path, "/v21.0/me/messages");
        assert_eq!(s.authorization.as_deref(), Some("Bearer page-token-1"));
    }
    let b = &seen[2].body;
    assert_eq!(b["recipient"]["id"], "6004523812345678");
    assert_eq!(b["message"]["text"], "Was this you?");
    assert_eq!(b["message"]["quick_replies"][0]["content_type"], "text");
    assert_eq!(b["message"]["quick_replies"][1]["payload"], "FRAUD_NO:t1");
}

#[test]
fn messenger_user_ref_recipient() {
    let b = MessengerClient::body(&Sender::UserRef("ref-1".into()), "hi", &[]);
    assert_eq!(b["recipient"], json!({ "user_ref": "ref-1" }));
    assert!(b["message"].get("quick_replies").is_none());
}

#[tokio::test]
async fn whatsapp_fails_twice_then_succeeds() {
    let (url, m) = mock(vec![503, 502]).await;
    let config = WhatsAppConfig {
        app_secret: SecretString::from("s"),
        verify_token: SecretString::from("v"),
        token: SecretString::from("wa-token"),
        graph_url: url,
        template: None,
    };
    let mut client = WhatsAppClient::new(reqwest::Client::new(), &config);
    client.retry = fast();
    client
        .send_text(
            "106540352242922",
            "919812345678",
            "Lock your card?",
            &buttons(),
        )
        .await
        .unwrap();
    let seen = m.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[2].path, "/106540352242922/messages");
    assert_eq!(seen[2].authorization.as_deref(), Some("Bearer wa-token"));
    let b = &seen[2].body;
    assert_eq!(b["messaging_product"], "whatsapp");
    assert_eq!(b["to"], "919812345678");
    assert_eq!(b["type"], "interactive");
    assert_eq!(
        b["interactive"]["action"]["buttons"][0]["reply"]["id"],
        "FRAUD_YES:t1"
    );
    let text = WhatsAppClient::body("91", "plain", &[]);
    assert_eq!(text["type"], "text");
    assert_eq!(text["text"]["body"], "plain");
}

#[tokio::test]
async fn telegram_fails_twice_then_succeeds() {
    let (url, m) = mock(vec![429, 500]).await;
    let config = TelegramConfig {
        bot_token: SecretString::from("123:ABC"),
        secret_token: SecretString::from("s"),
        api_url: url,
    };
    let mut client = TelegramClient::new(reqwest::Client::new(), &config);
    client.retry = fast();
    client
        .send_text("1111111", "Your balance", &buttons())
        .await
        .unwrap();
    let seen = m.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[2].path, "/bot123:ABC/sendMessage");
    let b = &seen[2].body;
    assert_eq!(b["chat_id"], "1111111");
    assert_eq!(
        b["reply_markup"]["inline_keyboard"][1][0]["callback_data"],
        "FRAUD_NO:t1"
    );
}

#[tokio::test]
async fn attempts_are_bounded_and_4xx_is_not_retried() {
    let (url, m) = mock(vec![500; 10]).await;
    let config = TelegramConfig {
        bot_token: SecretString::from("123:SECRETTOKEN"),
        secret_token: SecretString::from("s"),
        api_url: url.clone(),
    };
    let mut client = TelegramClient::new(reqwest::Client::new(), &config);
    client.retry = fast();
    let err = client.send_text("1", "x", &[]).await.unwrap_err();
    assert_eq!(
        err,
        SendError::GaveUp {
            attempts: 4,
            last: "HTTP 500".into()
        }
    );
    assert_eq!(m.seen.lock().unwrap().len(), 4);

    let (url, m) = mock(vec![400]).await;
    let config = TelegramConfig {
        api_url: url,
        ..config
    };
    let mut client = TelegramClient::new(reqwest::Client::new(), &config);
    client.retry = fast();
    assert_eq!(
        client.send_text("1", "x", &[]).await.unwrap_err(),
        SendError::Rejected(400)
    );
    assert_eq!(m.seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn transport_errors_do_not_leak_the_token() {
    // Nothing listens on port 9 (discard) on loopback here.
    let config = TelegramConfig {
        bot_token: SecretString::from("123:SECRETTOKEN"),
        secret_token: SecretString::from("s"),
        api_url: "http://127.0.0.1:9".into(),
    };
    let mut client = TelegramClient::new(reqwest::Client::new(), &config);
    client.retry = RetryPolicy {
        max_attempts: 2,
        ..fast()
    };
    let err = client.send_text("1", "x", &[]).await.unwrap_err();
    assert!(
        matches!(err, SendError::GaveUp { attempts: 2, .. }),
        "{err:?}"
    );
    assert!(!err.to_string().contains("SECRETTOKEN"), "{err}");
    assert!(!format!("{err:?}").contains("SECRETTOKEN"));
}
