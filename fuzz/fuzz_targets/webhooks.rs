//! Any bytes through each platform's webhook payload parser
//! (`anumati_channels::inbound`): Messenger, WhatsApp, Telegram.

#![no_main]

use anumati_channels::inbound::{self, Platform};
use jiff::Timestamp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let received = Timestamp::from_second(1_750_000_000).expect("a valid timestamp");
    for platform in [Platform::Messenger, Platform::WhatsApp, Platform::Telegram] {
        match inbound::parse(platform, data, received) {
            Ok(events) => {
                for e in &events {
                    let _ = e.sender.key();
                }
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
    // The per-platform functions directly too (the same code, but a
    // dispatch change should not hide one).
    let _ = inbound::parse_messenger(data, received);
    let _ = inbound::parse_whatsapp(data, received);
    let _ = inbound::parse_telegram(data, received);
});
