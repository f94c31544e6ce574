//! `anumati bench channels`: webhook → Send API reply latency and
//! throughput on loopback. The whole process serves the Telegram webhook; a
//! mock Bot API on another loopback port notes when each reply arrives; a
//! load generator posts updates from many linked chats. A benchmark, not a
//! test: it asserts nothing and its figures go to BENCHMARKS.md.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anumati_channels::config::{ChannelsConfig, TelegramConfig};
use axum::extract::State;
use axum::Json;
use secrecy::SecretString;
use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::oneshot;

use crate::system::{System, DEMO_PASSWORD};

const SECRET: &str = "bench-secret-token";
/// The benchmark's chat ids: ten digits from here ("id:7…" in the store).
const CHAT_BASE: i64 = 7_000_000_000;

#[derive(Debug, Serialize)]
pub struct ChannelsBenchReport {
    /// Platform chats linked to bank customers.
    pub senders: usize,
    /// Bank customers behind them (each with the default consent).
    pub customers: usize,
    pub requests: usize,
    pub concurrency: usize,
    pub errors: usize,
    pub seconds: f64,
    pub replies_per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

type Waiters = Arc<Mutex<HashMap<String, oneshot::Sender<Instant>>>>;

async fn mock_bot_api(State(waiters): State<Waiters>, Json(body): Json<Value>) -> Json<Value> {
    let now = Instant::now();
    if let Some(chat) = body["chat_id"].as_str() {
        // Telegram clients send chat ids as strings here (see send.rs).
        if let Some(tx) = waiters.lock().expect("waiters").remove(chat) {
            let _ = tx.send(now);
        }
    }
    Json(json!({ "ok": true, "result": {} }))
}

/// Links `senders` Telegram chats to the first `customers` bank customers
/// (round robin; each customer gets the default consent), then posts
/// `requests` updates saying `message` with `concurrency` in flight, each
/// from a different chat, and times each until its reply reaches the mock
/// Bot API.
pub async fn channels(
    system: System,
    senders: usize,
    customers: usize,
    requests: usize,
    concurrency: usize,
    message: &str,
) -> anyhow::Result<ChannelsBenchReport> {
    let bank_customers = system.bank.store().customers(0, customers as i64).await?;
    anyhow::ensure!(
        !bank_customers.is_empty(),
        "the bank has no customers; run `anumati simulate` first"
    );
    anyhow::ensure!(
        senders >= concurrency,
        "need at least one chat per request in flight"
    );
    if !system.app.user_exists(&bank_customers[0].login).await? {
        system
            .provision_chat_users(&anumati_bank::api::hash_password(DEMO_PASSWORD))
            .await?;
    }
    for c in &bank_customers {
        if system.app.store().active_link(&c.login).await?.is_none() {
            crate::grant_default_consent(&system, &c.login).await?;
        }
    }
    // The linked chats: what the account-linking flow leaves behind.
    let now = system.clock.now().as_second();
    let pool = system.app.store().pool();
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM channel_senders WHERE platform = 'telegram' AND sender LIKE 'id:7%' AND length(sender) = 13")
        .execute(&mut *tx)
        .await?;
    for i in 0..senders {
        sqlx::query(
            "INSERT INTO channel_senders (platform, sender, login, linked_at, last_inbound_at) VALUES ('telegram', ?, ?, ?, ?)",
        )
        .bind(format!("id:{}", CHAT_BASE + i as i64))
        .bind(&bank_customers[i % bank_customers.len()].login)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;

    let waiters: Waiters = Arc::new(Mutex::new(HashMap::new()));
    let mock = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let mock_url = format!("http://{}", mock.local_addr()?);
    let mock_app = axum::Router::new()
        .fallback(axum::routing::post(mock_bot_api))
        .with_state(waiters.clone());
    let mock_server = tokio::spawn(async move { axum::serve(mock, mock_app).await });

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let config = ChannelsConfig {
        telegram: Some(TelegramConfig {
            bot_token: SecretString::from("1:bench"),
            secret_token: SecretString::from(SECRET),
            api_url: mock_url,
        }),
        ..ChannelsConfig::default()
    };
    let mut options = anumati_app::channels::GatewayOptions::new(&base);
    // Every chat speaks once or twice here; the limit is not what is measured.
    options.limits.per_sender =
        governor::Quota::per_second(std::num::NonZeroU32::new(1_000).expect("non-zero"));
    let router = system.router_with_channels(config, options);
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;

    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (client, next, base, message, waiters) = (
            client.clone(),
            next.clone(),
            base.clone(),
            message.to_owned(),
            waiters.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0usize;
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= requests {
                    break;
                }
                // Consecutive requests use different chats; with fewer in
                // flight than chats, no chat has two at once.
                let chat = (CHAT_BASE + ((i * 7919) % senders) as i64).to_string();
                let (tx, rx) = oneshot::channel();
                waiters.lock().expect("waiters").insert(chat.clone(), tx);
                let update = json!({
                    "update_id": 1_000_000_000u64 + i as u64,
                    "message": {
                        "message_id": i,
                        "from": { "id": 1, "is_bot": false, "first_name": "Bench" },
                        "chat": { "id": CHAT_BASE + ((i * 7919) % senders) as i64, "type": "private" },
                        "date": 1764000000,
                        "text": message,
                    }
                });
                let t0 = Instant::now();
                let posted = client
                    .post(format!("{base}/channels/telegram/webhook"))
                    .header("X-Telegram-Bot-Api-Secret-Token", SECRET)
                    .json(&update)
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success());
                let replied = match (posted, tokio::time::timeout(Duration::from_secs(30), rx).await) {
                    (true, Ok(Ok(at))) => Some(at),
                    _ => None,
                };
                match replied {
                    Some(at) => latencies.push(at.saturating_duration_since(t0)),
                    None => {
                        waiters.lock().expect("waiters").remove(&chat);
                        errors += 1;
                    }
                }
            }
            (latencies, errors)
        }));
    }
    let (latencies, errors) = crate::bench::gather(workers, requests).await?;
    let seconds = started.elapsed().as_secs_f64();
    server.abort();
    mock_server.abort();
    Ok(ChannelsBenchReport {
        senders,
        customers: bank_customers.len(),
        requests,
        concurrency,
        errors,
        seconds,
        replies_per_second: latencies.len() as f64 / seconds,
        p50_ms: latencies.ms(50),
        p99_ms: latencies.ms(99),
        max_ms: latencies.ms(100),
    })
}
