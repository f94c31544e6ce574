//! The documented payload shapes of each platform, parsed into `Inbound`s.

use anumati_channels::inbound::{
    parse, parse_messenger, parse_telegram, parse_whatsapp, ParseError,
};
use anumati_channels::{Inbound, InboundKind, Platform, Sender};
use jiff::Timestamp;
use proptest::prelude::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn received() -> Timestamp {
    Timestamp::from_second(1_800_000_000).unwrap()
}

fn one(events: Vec<Inbound>) -> Inbound {
    assert_eq!(events.len(), 1, "{events:?}");
    events.into_iter().next().unwrap()
}

#[test]
fn messenger_text() {
    let e = one(parse_messenger(&fixture("messenger_text.json"), received()).unwrap());
    assert_eq!(e.platform, Platform::Messenger);
    assert_eq!(e.sender, Sender::Id("6004523812345678".into()));
    assert_eq!(e.recipient.as_deref(), Some("104355912345678"));
    assert_eq!(e.message_id, "m_1457764197618:41d102a3e1ae206a38");
    assert_eq!(e.kind, InboundKind::Text("what's my balance?".into()));
    assert_eq!(
        e.timestamp,
        Timestamp::from_millisecond(1458692752478).unwrap()
    );
}

#[test]
fn messenger_quick_reply_payload_takes_precedence() {
    let e = one(parse_messenger(&fixture("messenger_quick_reply.json"), received()).unwrap());
    assert_eq!(
        e.kind,
        InboundKind::QuickReply {
            payload: "FRAUD_ALERT_NOT_ME:txn_81723".into(),
            text: "No, not me".into()
        }
    );
}

#[test]
fn messenger_postback_from_user_ref() {
    let e = one(parse_messenger(&fixture("messenger_postback_user_ref.json"), received()).unwrap());
    assert_eq!(e.sender, Sender::UserRef("checkbox-ref-7d1a2b".into()));
    assert_eq!(
        e.kind,
        InboundKind::Postback {
            payload: "SHOW_SPENDING".into()
        }
    );
    assert!(e.message_id.starts_with("m_AG5Hz2"));
}

#[test]
fn messenger_echo_delivery_and_read_ignored() {
    let events = parse_messenger(&fixture("messenger_ignored.json"), received()).unwrap();
    assert!(events.is_empty(), "{events:?}");
}

#[test]
fn messenger_other_object_is_an_error() {
    let body = br#"{"object":"instagram","entry":[]}"#;
    assert_eq!(
        parse_messenger(body, received()),
        Err(ParseError::UnexpectedObject("instagram".into()))
    );
    // A WhatsApp payload on the Messenger webhook is refused, not half-read.
    assert!(parse_messenger(&fixture("whatsapp_text.json"), received()).is_err());
}

#[test]
fn messenger_message_without_sender_is_an_error() {
    let body = br#"{"object":"page","entry":[{"messaging":[{"recipient":{"id":"1"},"timestamp":1,"message":{"mid":"m1","text":"hi"}}]}]}"#;
    assert_eq!(
        parse_messenger(body, received()),
        Err(ParseError::Invalid("sender missing"))
    );
}

#[test]
fn whatsapp_text() {
    let e = one(parse_whatsapp(&fixture("whatsapp_text.json"), received()).unwrap());
    assert_eq!(e.platform, Platform::WhatsApp);
    assert_eq!(e.sender, Sender::Id("919812345678".into()));
    assert_eq!(e.recipient.as_deref(), Some("106540352242922"));
    assert_eq!(
        e.message_id,
        "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="
    );
    assert_eq!(
        e.kind,
        InboundKind::Text("maine pichle mahine khane pe kitna kharch kiya?".into())
    );
    assert_eq!(e.timestamp, Timestamp::from_second(1749416383).unwrap());
}

#[test]
fn whatsapp_interactive_button_reply() {
    let e = one(parse_whatsapp(&fixture("whatsapp_button_reply.json"), received()).unwrap());
    assert_eq!(
        e.kind,
        InboundKind::QuickReply {
            payload: "LOCK_CARD:card_4411".into(),
            text: "Lock my card".into()
        }
    );
}

#[test]
fn whatsapp_statuses_ignored() {
    let events = parse_whatsapp(&fixture("whatsapp_statuses.json"), received()).unwrap();
    assert!(events.is_empty(), "{events:?}");
}

#[test]
fn whatsapp_bad_timestamp_is_an_error() {
    let body = String::from_utf8(fixture("whatsapp_text.json"))
        .unwrap()
        .replace("\"1749416383\"", "\"yesterday\"");
    assert_eq!(
        parse_whatsapp(body.as_bytes(), received()),
        Err(ParseError::Invalid("timestamp"))
    );
}

#[test]
fn telegram_message() {
    let e = one(parse_telegram(&fixture("telegram_message.json"), received()).unwrap());
    assert_eq!(e.platform, Platform::Telegram);
    assert_eq!(e.sender, Sender::Id("1111111".into()));
    assert_eq!(e.recipient, None);
    assert_eq!(e.message_id, "10000");
    assert_eq!(
        e.kind,
        InboundKind::Text("where did I shop last week?".into())
    );
    assert_eq!(e.timestamp, Timestamp::from_second(1441645532).unwrap());
}

#[test]
fn telegram_callback_query() {
    let e = one(parse_telegram(&fixture("telegram_callback_query.json"), received()).unwrap());
    assert_eq!(e.sender, Sender::Id("1111111".into()));
    assert_eq!(e.message_id, "10001");
    assert_eq!(
        e.kind,
        InboundKind::Postback {
            payload: "FRAUD_ALERT_YES_ME:txn_81723".into()
        }
    );
    assert_eq!(e.timestamp, received());
}

#[test]
fn telegram_edited_message_ignored() {
    assert!(parse_telegram(&fixture("telegram_edited.json"), received())
        .unwrap()
        .is_empty());
}

#[test]
fn malformed_json_is_a_typed_error() {
    for platform in [Platform::Messenger, Platform::WhatsApp, Platform::Telegram] {
        for body in [
            &b""[..],
            b"{",
            b"null",
            b"[]",
            b"{\"update_id\":\"x\"}",
            b"\xff\xfe",
        ] {
            assert!(
                matches!(
                    parse(platform, body, received()),
                    Err(ParseError::Json { .. })
                ),
                "{platform:?} {body:?}"
            );
        }
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        for platform in [Platform::Messenger, Platform::WhatsApp, Platform::Telegram] {
            let _ = parse(platform, &body, received());
        }
    }

    #[test]
    fn mutated_fixtures_never_panic(
        idx in 0usize..9,
        pos in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let names = [
            "messenger_text.json", "messenger_quick_reply.json",
            "messenger_postback_user_ref.json", "messenger_ignored.json",
            "whatsapp_text.json", "whatsapp_button_reply.json", "whatsapp_statuses.json",
            "telegram_message.json", "telegram_callback_query.json",
        ];
        let mut body = fixture(names[idx]);
        let i = pos.index(body.len());
        body[i] = byte;
        for platform in [Platform::Messenger, Platform::WhatsApp, Platform::Telegram] {
            let _ = parse(platform, &body, received());
        }
    }
}
