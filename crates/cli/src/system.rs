//! One process, three roles. Each role gets its own folder and database under
//! the data directory and its own router; they reach each other only through
//! [`Peer`]s over those routers. Publicly, the web chat is at `/`, the
//! consent manager under `/cm` and the bank node under `/bank`.

use std::sync::Arc;

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
        let bank_pool = open_sqlite(&data.database(Role::Bank), &anumati_bank::store::MIGRATOR).await?;
        let consent_pool = open_sqlite(&data.database(Role::Consent), &anumati_consent::store::MIGRATOR).await?;
        let app_pool = open_sqlite(&data.database(Role::App), &anumati_app::store::MIGRATOR).await?;

        let bank = BankNode::new(
            anumati_bank::DEFAULT_BANK_ID,
            BankStore::new(bank_pool),
            anumati_consent::DEFAULT_CONSENT_MANAGER_ID,
            clock.clone(),
        );
        let bank_peer = Peer::in_process("bank node", anumati_bank::api::router(bank.clone()));

        let cm_signer = Signer::load_or_create("cm-1", &data.role(Role::Consent).join("signing.key"))?;
        let consent = ConsentManager::new(
            anumati_consent::DEFAULT_CONSENT_MANAGER_ID,
            ConsentStore::new(consent_pool),
            cm_signer,
            bank_peer.clone(),
            anumati_bank::DEFAULT_BANK_ID,
            clock.clone(),
            CONSENT_PREFIX,
        );
        let cm_peer = Peer::in_process("consent manager", anumati_consent::api::router(consent.clone()));

        // The bank learns the consent manager's keys from its published JWKS.
        #[derive(Deserialize)]
        struct Jwks {
            keys: Vec<anumati_wire::jws::PublicJwk>,
        }
        let jwks: Jwks = cm_peer.get("/.well-known/jwks.json", &[]).await?;
        let mut keys = KeySet::new();
        for jwk in jwks.keys {
            keys.insert(jwk.kid.clone(), jwk.verifying_key()?);
        }
        bank.trust_consent_manager(keys);

        let app_signer = Signer::load_or_create("app-1", &data.role(Role::App).join("signing.key"))?;
        let app = ChatApp::new(
            ChatAppConfig {
                id: anumati_app::DEFAULT_APP_ID.into(),
                consent_manager_id: anumati_consent::DEFAULT_CONSENT_MANAGER_ID.into(),
                public_prefix: String::new(),
                consent_manager_prefix: CONSENT_PREFIX.into(),
            },
            AppStore::new(app_pool),
            app_signer,
            cm_peer,
            bank_peer,
            clock.clone(),
        );
        // Onboarding the data user at the consent manager: its id and public key.
        consent
            .register_consumer(app.id(), "anumati chat", &app.public_jwk())
            .await?;
        Ok(System { data, bank, consent, app, clock })
    }

    /// Every public route of the process.
    pub fn router(&self) -> Router {
        Router::new()
            .nest(CONSENT_PREFIX, anumati_consent::api::router(self.consent.clone()))
            .nest(BANK_PREFIX, anumati_bank::api::router(self.bank.clone()))
            .merge(anumati_app::web::router(self.app.clone()))
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
            let users: Vec<(String, String)> = customers.iter().map(|c| (c.login.clone(), password_hash.to_owned())).collect();
            added += self.app.store().add_users(&users, self.clock.now()).await?;
            offset += PAGE;
        }
        Ok(added)
    }
}

/// Grants the chat app's default consent for `login` without the web page: the
/// operator stands in for the customer's login at the bank. Returns the
/// consent id, how many accounts it covers, and the status the app recorded.
pub async fn grant_default_consent(system: &System, login: &str) -> anyhow::Result<(String, usize, String)> {
    let Some((customer, _)) = system.bank.store().customer_by_login(login).await? else {
        anyhow::bail!("unknown login {login:?} (list them with `anumati customers --data DIR`)");
    };
    let (handle, _) = system.app.start_link(login).await?;
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
    let ids: Vec<String> = authenticated.accounts.iter().map(|a| a.id.clone()).collect();
    let record = system.consent.decide(&handle, &authenticated, &ids, true).await?;
    let status = system.app.complete_link(login, &handle).await?;
    Ok((record.consent_id.unwrap_or_default(), ids.len(), status))
}
