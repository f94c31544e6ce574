//! `anumati bench chat`: chat turns per second and latency through the HTTP
//! chat API, against the real server on a loopback port. A benchmark, not a
//! test: it asserts nothing and its figures go to BENCHMARKS.md.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;

use crate::system::{System, DEMO_PASSWORD};

#[derive(Debug, Serialize)]
pub struct ChatBenchReport {
    pub users: usize,
    pub requests: usize,
    pub concurrency: usize,
    pub errors: usize,
    pub seconds: f64,
    pub turns_per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// Grants `users` customers the default consent, logs them in over HTTP, then
/// sends `requests` "what's my balance?" turns with `concurrency` in flight.
pub async fn chat(
    system: System,
    users: usize,
    requests: usize,
    concurrency: usize,
    message: &str,
) -> anyhow::Result<ChatBenchReport> {
    let customers = system.bank.store().customers(0, users as i64).await?;
    anyhow::ensure!(
        !customers.is_empty(),
        "the bank has no customers; run `anumati simulate` first"
    );
    if !system.app.user_exists(&customers[0].login).await? {
        // A data directory whose chat app was reset: give the customers their chat logins again.
        system
            .provision_chat_users(&anumati_bank::api::hash_password(DEMO_PASSWORD))
            .await?;
    }
    for c in &customers {
        if system.app.store().active_link(&c.login).await?.is_none() {
            crate::grant_default_consent(&system, &c.login).await?;
        }
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let router = system.router();
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    let base = format!("http://{addr}");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;

    let mut tokens = Vec::with_capacity(customers.len());
    for c in &customers {
        #[derive(serde::Deserialize)]
        struct Token {
            token: String,
        }
        let t: Token = client
            .post(format!("{base}/api/login"))
            .json(&serde_json::json!({ "login": c.login, "password": DEMO_PASSWORD }))
            .send()
            .await?
            .error_for_status()
            .context("login")?
            .json()
            .await?;
        tokens.push(t.token);
    }
    let tokens = Arc::new(tokens);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (client, tokens, next, base, message) = (
            client.clone(),
            tokens.clone(),
            next.clone(),
            base.clone(),
            message.to_owned(),
        );
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0usize;
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= requests {
                    break;
                }
                let token = &tokens[i % tokens.len()];
                let t0 = Instant::now();
                let res = client
                    .post(format!("{base}/api/messages"))
                    .bearer_auth(token)
                    .json(&serde_json::json!({ "text": message }))
                    .send()
                    .await;
                // A turn counts only if it carried the customer's data, not an apology.
                let good = match res {
                    Ok(r) if r.status().is_success() => {
                        r.json::<serde_json::Value>().await.is_ok_and(|reply| {
                            reply["data"].as_object().is_some_and(|d| !d.is_empty())
                        })
                    }
                    _ => false,
                };
                latencies.push(t0.elapsed());
                if !good {
                    errors += 1;
                }
            }
            (latencies, errors)
        }));
    }
    let (latencies, errors) = gather(workers, requests).await?;
    let seconds = started.elapsed().as_secs_f64();
    server.abort();
    Ok(ChatBenchReport {
        users: customers.len(),
        requests,
        concurrency,
        errors,
        seconds,
        turns_per_second: requests as f64 / seconds,
        p50_ms: latencies.ms(50),
        p99_ms: latencies.ms(99),
        max_ms: latencies.ms(100),
    })
}

/// Latencies, sorted.
pub(crate) struct Latencies(Vec<Duration>);

impl Latencies {
    pub(crate) fn from_unsorted(mut all: Vec<Duration>) -> Latencies {
        all.sort();
        Latencies(all)
    }

    /// The `p`th percentile in milliseconds (100: the largest); 0 when empty.
    pub(crate) fn ms(&self, p: usize) -> f64 {
        let n = self.0.len();
        self.0
            .get((n * p / 100).min(n.saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1e3)
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }
}

/// Waits for load-generator workers, each returning its latencies and error
/// count.
pub(crate) async fn gather(
    workers: Vec<tokio::task::JoinHandle<(Vec<Duration>, usize)>>,
    expected: usize,
) -> anyhow::Result<(Latencies, usize)> {
    let mut latencies = Vec::with_capacity(expected);
    let mut errors = 0;
    for w in workers {
        let (l, e) = w.await?;
        latencies.extend(l);
        errors += e;
    }
    latencies.sort();
    Ok((Latencies(latencies), errors))
}

#[derive(Debug, Serialize)]
pub struct AuditBenchReport {
    pub entries: u64,
    pub signed_heads: u64,
    pub append_seconds: f64,
    pub verify_seconds: f64,
    pub ok: bool,
}

/// Fills the consent manager's access log up to `entries` (in batches of
/// `per_head`, one signed tree head per batch) and times `audit verify`.
pub async fn audit(
    system: &System,
    entries: u64,
    per_head: u64,
) -> anyhow::Result<AuditBenchReport> {
    use anumati_consent::log::NewEntry;
    let started = Instant::now();
    let existing = system
        .consent
        .log()
        .latest_head()
        .await?
        .map_or(0, |h| h.tree_size);
    let mut written = existing;
    while written < entries {
        let n = per_head.min(entries - written);
        let batch: Vec<NewEntry> = (0..n)
            .map(|i| NewEntry {
                event: "data.fetch",
                actor: "anumati-chat".into(),
                customer: Some(format!("cus_{:06}", (written + i) % 100_000)),
                consent_id: Some(format!("cst_{:032x}", (written + i) % 100_000)),
                purpose: Some("102".into()),
                data_kinds: vec!["SUMMARY".into(), "TRANSACTIONS".into()],
                refused: None,
            })
            .collect();
        system.consent.record_batch(&batch).await?;
        written += n;
    }
    let append_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let report =
        anumati_consent::log::verify_all(system.consent.store().pool(), &system.consent.key_set())
            .await?;
    Ok(AuditBenchReport {
        entries: report.entries,
        signed_heads: report.signed_heads,
        append_seconds,
        verify_seconds: started.elapsed().as_secs_f64(),
        ok: report.ok(),
    })
}

#[derive(Debug, Serialize)]
pub struct FiBenchReport {
    pub requests: usize,
    pub median_us: f64,
    pub p99_us: f64,
    pub what: &'static str,
}

/// Times whole data requests, one at a time: the app's key generation, the
/// consent manager's relay and log append, the bank's artefact verification,
/// nonce and frequency bookkeeping, encryption and signing, and the app's
/// signature check and decryption.
pub async fn fi(system: &System, requests: usize) -> anyhow::Result<FiBenchReport> {
    let customers = system.bank.store().customers(0, 1).await?;
    let login = &customers.first().context("no customers")?.login;
    if !system.app.user_exists(login).await? {
        system
            .provision_chat_users(&anumati_bank::api::hash_password(DEMO_PASSWORD))
            .await?;
    }
    let mut times = Vec::with_capacity(requests);
    let mut artefact = None;
    for i in 0..requests {
        // A consent allows FETCHES_PER_DAY requests: take a new one before it runs out.
        if i % (anumati_app::FETCHES_PER_DAY as usize - 1) == 0 {
            crate::system::grant_consent(
                system,
                login,
                anumati_domain::consent::ConsentMode::Store,
            )
            .await?;
            let link = system
                .app
                .store()
                .active_link(login)
                .await?
                .context("no link")?;
            artefact = Some(anumati_wire::jws::peek_unverified::<
                anumati_domain::consent::ConsentArtefact,
            >(
                link.artefact.as_deref().context("no artefact")?
            )?);
        }
        let artefact = artefact.as_ref().expect("granted above");
        let t0 = Instant::now();
        system
            .app
            .fetch(artefact)
            .await
            .map_err(|e| anyhow::anyhow!("fetch failed: {e:?}"))?;
        times.push(t0.elapsed());
    }
    times.sort();
    let at = |p: usize| times[(times.len() * p / 100).min(times.len() - 1)].as_secs_f64() * 1e6;
    Ok(FiBenchReport {
        requests,
        median_us: at(50),
        p99_us: at(99),
        what: "one FI request end to end in one process: relay, log append, verification, encryption, signing, decryption",
    })
}
