//! The brief's privacy promises, checked on the real files and logs:
//! nothing readable crosses or rests where it must not, and ending a consent
//! destroys the chat app's copy for good.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use anumati::system::System;
use anumati_bank::sim::SimParams;
use anumati_domain::consent::ConsentMode;
use anumati_store::{DataDir, Role};
use anumati_wire::clock::{Clock, ManualClock};
use jiff::SignedDuration;

/// Everything every role logs in this test binary, at every level.
fn captured_logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || Sink(sink.clone()))
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        buffer
    })
}

struct Sink(Arc<Mutex<Vec<u8>>>);
impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

struct Setup {
    system: System,
    clock: ManualClock,
    login: String,
    _dir: tempfile::TempDir,
}

async fn setup() -> Setup {
    captured_logs();
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::open_or_create(dir.path().join("data")).unwrap();
    let clock = ManualClock::new("2026-11-20T12:00:00Z".parse().unwrap());
    let system = System::open_with_clock(data, Arc::new(clock.clone()))
        .await
        .unwrap();
    let params = SimParams {
        customers: 4,
        months: 2,
        seed: 21,
        end: "2026-11-19".parse().unwrap(),
    };
    system.fill(&params, &|_| {}).await.unwrap();
    let login = system.bank.store().customers(0, 1).await.unwrap()[0]
        .login
        .clone();
    Setup {
        system,
        clock,
        login,
        _dir: dir,
    }
}

/// Merchant names and descriptions of the customer's transactions: what must never show up in plaintext.
async fn secrets_of(s: &Setup) -> Vec<String> {
    let (customer, _) = s
        .system
        .bank
        .store()
        .customer_by_login(&s.login)
        .await
        .unwrap()
        .unwrap();
    let mut words = std::collections::BTreeSet::new();
    for account in s
        .system
        .bank
        .store()
        .accounts_of(&customer.id)
        .await
        .unwrap()
    {
        let page = s
            .system
            .bank
            .store()
            .transactions(
                &account,
                jiff::Timestamp::UNIX_EPOCH,
                s.clock.now(),
                500,
                None,
            )
            .await
            .unwrap();
        for t in page.transactions {
            words.insert(t.description.clone());
            if let Some(m) = t.merchant {
                words.insert(m.name);
            }
        }
    }
    let words: Vec<String> = words.into_iter().filter(|w| w.len() >= 6).collect();
    assert!(
        words.len() >= 5,
        "the customer has merchants to look for: {words:?}"
    );
    words
}

fn files_under(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

fn assert_absent(dir: &Path, secrets: &[String], what: &str) {
    for (name, bytes) in files_under(dir) {
        for s in secrets {
            assert!(
                !contains(&bytes, s.as_bytes()),
                "{what}: {name} contains {s:?} in plaintext"
            );
        }
    }
}

#[tokio::test]
async fn nothing_readable_at_the_consent_manager_in_the_app_files_or_in_the_logs() {
    let s = setup().await;
    let secrets = secrets_of(&s).await;
    anumati::system::grant_consent(&s.system, &s.login, ConsentMode::Store)
        .await
        .unwrap();
    let reply = s
        .system
        .app
        .chat(&s.login, "show my last 50 transactions")
        .await
        .unwrap();
    let shown = serde_json::to_string(&reply.data).unwrap();
    assert!(
        secrets.iter().any(|w| shown.contains(w.as_str())),
        "the customer does see their merchants"
    );
    s.system
        .app
        .chat(&s.login, "what's my balance?")
        .await
        .unwrap();

    let root = s.system.data.root().to_owned();
    assert_absent(
        &root.join(Role::Consent.folder()),
        &secrets,
        "consent manager",
    );
    assert_absent(
        &root.join(Role::App.folder()),
        &secrets,
        "chat app (sealed copy)",
    );
    // The bank data copy (kind `fi`); the conversation's context is a sealed record too.
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM vault WHERE kind = 'fi'")
        .fetch_one(s.system.app.store().pool())
        .await
        .unwrap();
    assert_eq!(stored, 1, "the STORE copy is kept, sealed");
    let logs = String::from_utf8_lossy(&captured_logs().lock().unwrap()).into_owned();
    assert!(logs.contains("FI served"), "logs were captured");
    for w in &secrets {
        assert!(!logs.contains(w.as_str()), "logs contain {w:?}");
    }
}

#[tokio::test]
async fn view_mode_data_never_reaches_disk() {
    let s = setup().await;
    let secrets = secrets_of(&s).await;
    anumati::system::grant_consent(&s.system, &s.login, ConsentMode::View)
        .await
        .unwrap();
    let reply = s
        .system
        .app
        .chat(&s.login, "show my last 20 transactions")
        .await
        .unwrap();
    assert_eq!(reply.data["transactions"].as_array().unwrap().len(), 20);
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM vault WHERE kind = 'fi'")
        .fetch_one(s.system.app.store().pool())
        .await
        .unwrap();
    assert_eq!(stored, 0);
    assert_absent(
        &s.system.data.root().join(Role::App.folder()),
        &secrets,
        "chat app",
    );
}

/// The customer's wrapped data key and sealed copy, as stored.
async fn sealed(s: &Setup) -> (Vec<u8>, Vec<u8>) {
    let pool = s.system.app.store().pool();
    let wrapped: Vec<u8> = sqlx::query_scalar("SELECT wrapped FROM data_keys WHERE login = ?")
        .bind(&s.login)
        .fetch_one(pool)
        .await
        .unwrap();
    let copy: Vec<u8> = sqlx::query_scalar("SELECT sealed FROM vault WHERE login = ?")
        .bind(&s.login)
        .fetch_one(pool)
        .await
        .unwrap();
    (wrapped, copy)
}

async fn assert_shredded(s: &Setup, before: &(Vec<u8>, Vec<u8>)) {
    let pool = s.system.app.store().pool();
    let keys: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM data_keys WHERE login = ?")
        .bind(&s.login)
        .fetch_one(pool)
        .await
        .unwrap();
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM vault WHERE login = ?")
        .bind(&s.login)
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!((keys, rows), (0, 0));
    // Not in the database, its WAL or its journal: with the wrapped key gone from every
    // file, the master key has nothing to unwrap, and the sealed copy cannot be opened.
    for (name, bytes) in files_under(&s.system.data.root().join(Role::App.folder())) {
        assert!(
            !contains(&bytes, &before.0),
            "{name} still holds the wrapped data key"
        );
        assert!(
            !contains(&bytes, &before.1[..64]),
            "{name} still holds the sealed copy"
        );
    }
    assert!(s
        .system
        .app
        .vault()
        .all(&s.login, s.clock.now())
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn revoking_destroys_the_copy() {
    let s = setup().await;
    anumati::system::grant_consent(&s.system, &s.login, ConsentMode::Store)
        .await
        .unwrap();
    s.system
        .app
        .chat(&s.login, "what's my balance?")
        .await
        .unwrap();
    let before = sealed(&s).await;
    let reply = s
        .system
        .app
        .chat(&s.login, "revoke the chat app's access")
        .await
        .unwrap();
    assert_eq!(reply.intent, "consent_revoke");
    let reply = s.system.app.chat(&s.login, "yes").await.unwrap();
    assert_eq!(reply.intent, "consent_revoke");
    assert!(reply.data["revoked"].is_string(), "{:?}", reply);
    assert_shredded(&s, &before).await;
}

#[tokio::test]
async fn erasing_destroys_the_copy_and_is_logged() {
    let s = setup().await;
    anumati::system::grant_consent(&s.system, &s.login, ConsentMode::Store)
        .await
        .unwrap();
    s.system
        .app
        .chat(&s.login, "what's my balance?")
        .await
        .unwrap();
    let before = sealed(&s).await;
    let export = s.system.app.chat(&s.login, "export my data").await.unwrap();
    assert_eq!(export.intent, "export_data");
    assert!(
        export.data["stored_data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["kind"] == "fi" && r["data"]["accounts"].is_array()),
        "the export holds the decrypted copy"
    );
    let reply = s
        .system
        .app
        .chat(&s.login, "मेरा डेटा मिटा दो")
        .await
        .unwrap();
    assert_eq!(reply.intent, "delete_data");
    assert_eq!(
        reply.data,
        serde_json::json!({}),
        "nothing is erased before a yes"
    );
    let reply = s.system.app.chat(&s.login, "हाँ").await.unwrap();
    assert_eq!(reply.intent, "delete_data");
    assert_eq!(reply.data["erased"], true);
    assert_shredded(&s, &before).await;
    let export = s.system.app.export(&s.login).await.unwrap();
    assert_eq!(export["stored_data"], serde_json::json!([]));
    let (customer, _) = s
        .system
        .bank
        .store()
        .customer_by_login(&s.login)
        .await
        .unwrap()
        .unwrap();
    let log = s
        .system
        .consent
        .log()
        .of_customer(customer.id.as_str(), jiff::Timestamp::UNIX_EPOCH, 50)
        .await
        .unwrap();
    assert_eq!(log[0].event, "data.erased");
    assert_eq!(log[1].event, "consent.revoked");
}

#[tokio::test]
async fn data_life_and_expiry_are_enforced_by_the_worker() {
    let s = setup().await;
    anumati::system::grant_consent(&s.system, &s.login, ConsentMode::Store)
        .await
        .unwrap();
    s.system
        .app
        .chat(&s.login, "what's my balance?")
        .await
        .unwrap();
    let before = sealed(&s).await;

    // Data life (30 days) ends before the consent (365 days): the copy goes, the consent stays.
    s.clock.advance(SignedDuration::from_hours(24 * 31));
    s.system.run_lifetimes_once().await.unwrap();
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM vault")
        .fetch_one(s.system.app.store().pool())
        .await
        .unwrap();
    assert_eq!(rows, 0);
    assert!(s
        .system
        .app
        .store()
        .active_link(&s.login)
        .await
        .unwrap()
        .is_some());
    let reply = s
        .system
        .app
        .chat(&s.login, "what's my balance?")
        .await
        .unwrap();
    assert!(
        reply.data["balances"].is_array(),
        "a live consent fetches again"
    );

    // Expiry: the consent manager expires it, tells the bank and the app; the copy is shredded.
    s.clock.advance(SignedDuration::from_hours(24 * 340));
    s.system.run_lifetimes_once().await.unwrap();
    let link = s.system.app.store().links_of(&s.login).await.unwrap();
    assert_eq!(link[0].status, "EXPIRED");
    assert!(link[0].artefact.is_none());
    let keys: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM data_keys")
        .fetch_one(s.system.app.store().pool())
        .await
        .unwrap();
    assert_eq!(keys, 0);
    for (name, bytes) in files_under(&s.system.data.root().join(Role::App.folder())) {
        assert!(
            !contains(&bytes, &before.0),
            "{name} still holds the first data key"
        );
    }
    let reply = s
        .system
        .app
        .chat(&s.login, "what's my balance?")
        .await
        .unwrap();
    assert_eq!(reply.data, serde_json::json!({}));
    let (customer, _) = s
        .system
        .bank
        .store()
        .customer_by_login(&s.login)
        .await
        .unwrap()
        .unwrap();
    let log = s
        .system
        .consent
        .log()
        .of_customer(customer.id.as_str(), jiff::Timestamp::UNIX_EPOCH, 50)
        .await
        .unwrap();
    assert_eq!(log[0].event, "consent.expired");
}

#[tokio::test]
async fn a_revoke_during_a_running_fetch_keeps_nothing() {
    let s = setup().await;
    anumati::system::grant_consent(&s.system, &s.login, ConsentMode::Store)
        .await
        .unwrap();
    let link = s
        .system
        .app
        .store()
        .active_link(&s.login)
        .await
        .unwrap()
        .unwrap();
    let artefact: anumati_domain::consent::ConsentArtefact =
        anumati_wire::jws::peek_unverified(link.artefact.as_deref().unwrap()).unwrap();
    // The fetch has its answer; the customer revokes before it is stored.
    let snapshot = s.system.app.fetch(&artefact).await.unwrap();
    s.system.app.revoke(&s.login).await.unwrap();
    assert!(!s
        .system
        .app
        .keep(&s.login, &link, &artefact, &snapshot)
        .await
        .unwrap());
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM vault")
        .fetch_one(s.system.app.store().pool())
        .await
        .unwrap();
    assert_eq!(rows, 0);
}

#[tokio::test]
async fn the_customer_sees_and_controls_sharing_in_chat() {
    let s = setup().await;
    anumati::system::grant_consent(&s.system, &s.login, ConsentMode::Store)
        .await
        .unwrap();
    let who = s
        .system
        .app
        .chat(&s.login, "who has my data?")
        .await
        .unwrap();
    assert_eq!(who.intent, "consent_status");
    assert_eq!(who.data["consents"].as_array().unwrap().len(), 1);
    assert!(who.reply.contains("anumati-chat"));
    let who_hi = s
        .system
        .app
        .chat(&s.login, "मेरा डेटा किसके पास है")
        .await
        .unwrap();
    assert_eq!(who_hi.intent, "consent_status");
    assert!(who_hi.reply.contains("आपका डेटा"));

    s.system
        .app
        .chat(&s.login, "what's my balance?")
        .await
        .unwrap();
    let log = s
        .system
        .app
        .chat(&s.login, "who accessed my data this week?")
        .await
        .unwrap();
    assert_eq!(log.intent, "access_log");
    let events: Vec<&str> = log.data["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(events, vec!["data.fetch", "consent.approved"]);
    assert!(log.data["head"]["signature"].is_string());
    assert_eq!(log.data["head_verified"], true);

    let paused = s.system.app.chat(&s.login, "pause sharing").await.unwrap();
    assert!(paused.data["paused"].is_string());
    let reply = s
        .system
        .app
        .chat(&s.login, "what's my balance?")
        .await
        .unwrap();
    assert_eq!(reply.data, serde_json::json!({}), "nothing while paused");
    let resumed = s.system.app.chat(&s.login, "resume sharing").await.unwrap();
    assert!(resumed.data["resumed"].is_string());
    s.clock.advance(SignedDuration::from_mins(11));
    let reply = s
        .system
        .app
        .chat(&s.login, "what's my balance?")
        .await
        .unwrap();
    assert!(reply.data["balances"].is_array());
}

#[tokio::test]
async fn revoke_ends_every_consent_the_customer_gave_the_app() {
    let s = setup().await;
    let (first, _, _) = anumati::system::grant_consent(&s.system, &s.login, ConsentMode::Store)
        .await
        .unwrap();
    let (second, _, _) = anumati::system::grant_consent(&s.system, &s.login, ConsentMode::View)
        .await
        .unwrap();
    s.system.app.chat(&s.login, "pause sharing").await.unwrap();
    s.system.app.chat(&s.login, "revoke access").await.unwrap();
    s.system.app.chat(&s.login, "yes").await.unwrap();
    for id in [first, second] {
        let record = s
            .system
            .consent
            .store()
            .by_consent_id(&id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(record.status.as_str(), "REVOKED", "{id}");
    }
    let reply = s
        .system
        .app
        .chat(&s.login, "what's my balance?")
        .await
        .unwrap();
    assert_eq!(reply.data, serde_json::json!({}));
}
