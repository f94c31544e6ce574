//! One process, three roles. Each role gets its own folder and database under
//! the data directory and its own router; they reach each other only through
//! [`Peer`]s over those routers. Publicly, the web chat is at `/`, the
//! consent manager under `/cm` and the bank node under `/bank`.

use anyhow::Context as _;
use std::sync::Arc;

use anumati_app::vault::{MasterKey, Vault};
use anumati_app::{AppStore, ChatApp, ChatAppConfig};
use anumati_bank::{BankNode, BankStore};
use anumati_consent::{ConsentManager, ConsentStore};
use anumati_store::{open_sqlite, DataDir, Role};
use anumati_wire::clock::{SharedClock, SystemClock};
use anumati_wire::jws::{KeySet, Signer};
use anumati_wire::Peer;
use axum::Router;
use serde::Deserialize;

pub const CONSENT_PREFIX: &str = "/cm";
pub const BANK_PREFIX: &str = "/bank";
/// The demo password every synthetic customer has.
pub const DEMO_PASSWORD: &str = "demo";

pub struct System {
    /// True when this start created the chat app's master key (back it up).
    pub master_key_created: bool,
    pub data: DataDir,
    pub bank: BankNode,
    pub consent: ConsentManager,
    pub app: ChatApp,
    pub clock: SharedClock,
}

impl System {
    /// Opens (migrating as needed) the three roles in `data`.
    pub async fn open(data: DataDir) -> anyhow::Result<System> {
        Self::open_with_clock(data, Arc::new(SystemClock)).await
    }

    pub async fn open_with_clock(data: DataDir, clock: SharedClock) -> anyhow::Result<System> {
        let bank_pool =
            open_sqlite(&data.database(Role::Bank), &anumati_bank::store::MIGRATOR).await?;
        let consent_pool = open_sqlite(
            &data.database(Role::Consent),
            &anumati_consent::store::MIGRATOR,
        )
        .await?;
        let app_pool =
            open_sqlite(&data.database(Role::App), &anumati_app::store::MIGRATOR).await?;

        let bank_signer =
            Signer::load_or_create("bank-1", &data.role(Role::Bank).join("signing.key"))?;
        let bank = BankNode::new(
            anumati_bank::DEFAULT_BANK_ID,
            BankStore::new(bank_pool),
            bank_signer,
            anumati_consent::DEFAULT_CONSENT_MANAGER_ID,
            clock.clone(),
        );
        let bank_peer = Peer::in_process("bank node", anumati_bank::api::router(bank.clone()));

        let cm_signer =
            Signer::load_or_create("cm-1", &data.role(Role::Consent).join("signing.key"))?;
        let consent = ConsentManager::new(
            anumati_consent::DEFAULT_CONSENT_MANAGER_ID,
            ConsentStore::new(consent_pool),
            cm_signer,
            bank_peer.clone(),
            anumati_bank::DEFAULT_BANK_ID,
            clock.clone(),
            CONSENT_PREFIX,
        );
        let cm_peer = Peer::in_process(
            "consent manager",
            anumati_consent::api::router(consent.clone()),
        );

        // The bank learns the consent manager's keys from its published JWKS.
        #[derive(Deserialize)]
        struct Jwks {
            keys: Vec<anumati_wire::jws::PublicJwk>,
        }
        async fn key_set(peer: &Peer) -> anyhow::Result<KeySet> {
            let jwks: Jwks = peer.get("/.well-known/jwks.json", &[]).await?;
            let mut keys = KeySet::new();
            for jwk in jwks.keys {
                keys.insert(jwk.kid.clone(), jwk.verifying_key()?);
            }
            Ok(keys)
        }
        let cm_keys = key_set(&cm_peer).await?;
        bank.trust_consent_manager(cm_keys.clone());

        let app_signer =
            Signer::load_or_create("app-1", &data.role(Role::App).join("signing.key"))?;
        // The bank's FAQ: its own file when it names one, else the shipped one.
        let faq = match std::env::var_os("ANUMATI_FAQ") {
            Some(path) => {
                let path = std::path::PathBuf::from(path);
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("reading the FAQ {}", path.display()))?;
                anumati_app::faq::Faq::parse(&text, &path.display().to_string())?
            }
            None => anumati_app::faq::Faq::builtin(),
        };
        let (master, master_key_created) =
            MasterKey::load_or_create(&data.role(Role::App).join("master.key"))?;
        let vault = Vault::new(app_pool.clone(), master);
        let app = ChatApp::new(
            ChatAppConfig {
                id: anumati_app::DEFAULT_APP_ID.into(),
                language: anumati_app::nlu::Language::cached(
                    &data.role(Role::App).join("nlu.model"),
                    faq,
                ),
                consent_manager_id: anumati_consent::DEFAULT_CONSENT_MANAGER_ID.into(),
                public_prefix: String::new(),
                consent_manager_prefix: CONSENT_PREFIX.into(),
                fraud: anumati_fraud::DetectorConfig {
                    // About 400 MB of detector state at most in the chat app.
                    max_cards: DETECTOR_TRACKED,
                    max_customers: DETECTOR_TRACKED,
                    max_terminals: DETECTOR_TRACKED,
                    ..anumati_fraud::DetectorConfig::default()
                },
            },
            AppStore::new(app_pool),
            vault,
            app_signer,
            cm_peer,
            clock.clone(),
        );
        app.trust_bank(key_set(&bank_peer).await?);
        // The chat app initiates payments at the bank as a client of its own;
        // the demo's phone page shows the bank's SMS; unfinished payments
        // are brought to a final state before anything else runs.
        let app_jwk = app.public_jwk();
        let mut app_keys = KeySet::new();
        app_keys.insert(app_jwk.kid.clone(), app_jwk.verifying_key()?);
        bank.trust_payment_client(app.id(), app_keys);
        app.connect_bank(bank_peer.clone(), anumati_bank::DEFAULT_BANK_ID);
        // Live card events for fraud alerts: the bank's bounded queue to the app.
        let (events, events_rx) = tokio::sync::mpsc::channel(ALERT_QUEUE);
        bank.connect_stream(app.id(), events);
        app.spawn_alerts(events_rx);
        bank.enable_phone_page(true);
        bank.recover_payments().await?;
        app.trust_consent_manager(cm_keys);
        consent.connect_consumer(
            app.id(),
            Peer::in_process("chat app", anumati_app::web::router(app.clone())),
        );
        // Onboarding the data user at the consent manager: its id and public key.
        consent
            .register_consumer(app.id(), "anumati chat", &app.public_jwk())
            .await?;
        app.resubscribe_alerts().await?;
        Ok(System {
            master_key_created,
            data,
            bank,
            consent,
            app,
            clock,
        })
    }

    /// Every public route of the process.
    pub fn router(&self) -> Router {
        Router::new()
            .nest(
                CONSENT_PREFIX,
                anumati_consent::api::router(self.consent.clone()),
            )
            .nest(BANK_PREFIX, anumati_bank::api::router(self.bank.clone()))
            .merge(anumati_app::web::router(self.app.clone()))
    }

    /// [`Self::router`] with the messaging platforms' webhooks at
    /// `/channels/…` (a platform answers 404 until it is configured).
    pub fn router_with_channels(
        &self,
        channels: anumati_channels::ChannelsConfig,
        options: anumati_app::channels::GatewayOptions,
    ) -> Router {
        self.router().merge(anumati_app::channels::router(
            self.app.clone(),
            channels,
            options,
        ))
    }

    /// One pass of the lifetime worker: the consent manager expires consents
    /// (telling the bank and the chat app), the chat app purges copies whose
    /// data life ended. Time comes from the system's clock, so tests drive it.
    pub async fn run_lifetimes_once(&self) -> anyhow::Result<()> {
        self.consent.expire_due().await?;
        self.app.run_lifetimes().await?;
        self.bank.recover_payments().await?;
        Ok(())
    }

    /// Runs [`Self::run_lifetimes_once`] every `every` until the process ends.
    pub fn spawn_lifetime_worker(
        self: &Arc<Self>,
        every: std::time::Duration,
    ) -> tokio::task::JoinHandle<()> {
        let system = Arc::clone(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                if let Err(e) = system.run_lifetimes_once().await {
                    tracing::error!(error = %e, "lifetime worker pass failed");
                }
            }
        })
    }

    /// Fills an empty bank with the seeded synthetic customers (`progress`
    /// hears how many are done), gives each a chat login with the password
    /// [`DEMO_PASSWORD`] and saves the demo payees.
    pub async fn fill(
        &self,
        params: &anumati_bank::sim::SimParams,
        progress: &(dyn Fn(u64) + Sync),
    ) -> anyhow::Result<anumati_bank::sim::SimReport> {
        let hash = anumati_bank::api::hash_password(DEMO_PASSWORD);
        let report =
            anumati_bank::sim::populate(self.bank.store().pool(), params, &hash, progress).await?;
        self.provision_chat_users(&hash).await?;
        self.add_demo_payees().await?;
        Ok(report)
    }

    /// Saves a few payees for the first [`DEMO_PAYEE_CUSTOMERS`] customers, so
    /// that "send ₹500 to Priya" has someone to pay: the next two customers
    /// by their address (`login@anumati`, this bank), and two Priyas at other
    /// banks, one by account number and one by address (so "Priya" asks
    /// "which one?"). Deterministic: the same bank gets the same payees.
    pub async fn add_demo_payees(&self) -> anyhow::Result<u64> {
        use anumati_bank::payments::{
            NewBeneficiary, ObAccount, SCHEME_ACCOUNT_NUMBER, SCHEME_VPA, VPA_HANDLE,
        };
        let customers = self.bank.store().customers(0, DEMO_PAYEE_CUSTOMERS).await?;
        let n = customers.len();
        let account = |scheme: &str, id: String| ObAccount {
            scheme_name: scheme.to_owned(),
            identification: id,
            name: None,
        };
        let mut list = Vec::with_capacity(n * 4);
        for (i, c) in customers.iter().enumerate() {
            for step in [1, 2] {
                let other = &customers[(i + step) % n];
                if other.id != c.id {
                    list.push(NewBeneficiary {
                        customer_id: c.id.to_string(),
                        name: other.name.clone(),
                        account: account(SCHEME_VPA, format!("{}@{VPA_HANDLE}", other.login)),
                    });
                }
            }
            list.push(NewBeneficiary {
                customer_id: c.id.to_string(),
                name: "Priya Nair".into(),
                account: account(SCHEME_ACCOUNT_NUMBER, format!("9180{:08}", i + 1)),
            });
            list.push(NewBeneficiary {
                customer_id: c.id.to_string(),
                name: "Priya Kapoor".into(),
                account: account(SCHEME_VPA, "priya.kapoor@okbank".into()),
            });
        }
        Ok(self
            .bank
            .store()
            .add_beneficiaries(&list, self.clock.now())
            .await?)
    }

    /// Gives every bank customer a chat account with the same login (as if
    /// each had signed up to the chat app), with the demo password.
    pub async fn provision_chat_users(&self, password_hash: &str) -> anyhow::Result<u64> {
        let mut added = 0;
        let mut offset = 0;
        const PAGE: i64 = 5_000;
        loop {
            let customers = self.bank.store().customers(offset, PAGE).await?;
            if customers.is_empty() {
                break;
            }
            let users: Vec<(String, String)> = customers
                .iter()
                .map(|c| (c.login.clone(), password_hash.to_owned()))
                .collect();
            added += self.app.store().add_users(&users, self.clock.now()).await?;
            offset += PAGE;
        }
        Ok(added)
    }
}

/// Cards, customers and terminals the chat app's fraud detector tracks at
/// most each (it forgets the least recently seen beyond that).
pub const DETECTOR_TRACKED: usize = 200_000;

/// Card events waiting for the chat app's fraud detector at most; the bank
/// drops (and counts) events past it rather than slow an authorisation.
pub const ALERT_QUEUE: usize = 16_384;

/// How many customers (the first by id) [`System::add_demo_payees`] gives payees.
pub const DEMO_PAYEE_CUSTOMERS: i64 = 1_000;

/// Grants the chat app's default consent for `login` without the web page: the
/// operator stands in for the customer's login at the bank. Returns the
/// consent id, how many accounts it covers, and the status the app recorded.
pub async fn grant_default_consent(
    system: &System,
    login: &str,
) -> anyhow::Result<(String, usize, String)> {
    grant_consent(system, login, anumati_domain::consent::ConsentMode::Store).await
}

/// As [`grant_default_consent`], in the given mode (VIEW: shown, never stored).
pub async fn grant_consent(
    system: &System,
    login: &str,
    mode: anumati_domain::consent::ConsentMode,
) -> anyhow::Result<(String, usize, String)> {
    let Some((customer, _)) = system.bank.store().customer_by_login(login).await? else {
        anyhow::bail!("unknown login {login:?} (list them with `anumati customers --data DIR`)");
    };
    let (handle, _) = system.app.start_link_in_mode(login, mode).await?;
    let accounts = system.bank.store().accounts_of(&customer.id).await?;
    let authenticated = anumati_consent::AuthenticatedCustomer {
        customer_id: customer.id.to_string(),
        login: login.to_owned(),
        name: customer.name.clone(),
        accounts: accounts
            .iter()
            .map(|a| anumati_consent::LinkableAccount {
                id: a.id.to_string(),
                kind: a.kind,
                masked_number: a.masked_number.clone(),
                currency: a.currency.code().to_owned(),
            })
            .collect(),
    };
    let ids: Vec<String> = authenticated
        .accounts
        .iter()
        .map(|a| a.id.clone())
        .collect();
    let record = system
        .consent
        .decide(&handle, &authenticated, &ids, true)
        .await?;
    let status = system.app.complete_link(login, &handle).await?;
    Ok((record.consent_id.unwrap_or_default(), ids.len(), status))
}
