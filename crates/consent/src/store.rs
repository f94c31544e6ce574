//! The consent manager's store: consents, data users, page sessions.

use anumati_domain::consent::ConsentStatus;
use anumati_wire::jws::PublicJwk;
use jiff::Timestamp;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqlitePool};

use crate::{AuthenticatedCustomer, ConsentRequest};

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error("stored row is corrupt: {0}")]
    Corrupt(String),
}

#[derive(Debug, Clone)]
pub struct ConsentRecord {
    pub handle: String,
    pub consent_id: Option<String>,
    pub consumer_id: String,
    pub customer: String,
    pub customer_id: Option<String>,
    pub request: ConsentRequest,
    pub status: ConsentStatus,
    pub artefact: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct PageSession {
    pub handle: String,
    pub customer: AuthenticatedCustomer,
    pub csrf: String,
    pub expires_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct ConsentStore {
    pool: SqlitePool,
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

const CONSENT_COLUMNS: &str = "handle, consent_id, consumer_id, customer, customer_id, request_json, status, artefact, created_at, updated_at";

impl ConsentStore {
    pub fn new(pool: SqlitePool) -> Self {
        ConsentStore { pool }
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub async fn upsert_consumer(
        &self,
        id: &str,
        name: &str,
        jwk: &PublicJwk,
    ) -> Result<(), StoreError> {
        let jwk = serde_json::to_string(jwk).map_err(corrupt)?;
        sqlx::query(
            "INSERT INTO data_consumers (id, name, jwk) VALUES (?, ?, ?)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, jwk = excluded.jwk",
        )
        .bind(id)
        .bind(name)
        .bind(jwk)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn consumer_jwk(&self, id: &str) -> Result<Option<PublicJwk>, StoreError> {
        let jwk: Option<String> = sqlx::query_scalar("SELECT jwk FROM data_consumers WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        jwk.map(|j| serde_json::from_str(&j).map_err(corrupt))
            .transpose()
    }

    pub async fn insert_request(
        &self,
        handle: &str,
        consumer_id: &str,
        request: &ConsentRequest,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO consents (handle, consumer_id, customer, request_json, redirect_uri, status, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, 'PENDING', ?, ?)",
        )
        .bind(handle)
        .bind(consumer_id)
        .bind(&request.customer)
        .bind(serde_json::to_string(request).map_err(corrupt)?)
        .bind(&request.redirect_uri)
        .bind(now.as_second())
        .bind(now.as_second())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn by_handle(&self, handle: &str) -> Result<Option<ConsentRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {CONSENT_COLUMNS} FROM consents WHERE handle = ?"
        ))
        .bind(handle)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(record_from_row).transpose()
    }

    pub async fn by_consent_id(
        &self,
        consent_id: &str,
    ) -> Result<Option<ConsentRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {CONSENT_COLUMNS} FROM consents WHERE consent_id = ?"
        ))
        .bind(consent_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(record_from_row).transpose()
    }

    /// Consents decided by a customer (by bank customer id), newest first.
    pub async fn of_customer(&self, customer_id: &str) -> Result<Vec<ConsentRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {CONSENT_COLUMNS} FROM consents WHERE customer_id = ? ORDER BY created_at DESC, handle"
        ))
        .bind(customer_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(record_from_row).collect()
    }

    pub async fn approve(
        &self,
        handle: &str,
        consent_id: &str,
        customer_id: &str,
        artefact: &str,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE consents SET consent_id = ?, customer_id = ?, artefact = ?, expires_at = ?, status = 'ACTIVE', updated_at = ?
             WHERE handle = ? AND status = 'PENDING'",
        )
        .bind(consent_id)
        .bind(customer_id)
        .bind(artefact)
        .bind(expires_at.as_second())
        .bind(now.as_second())
        .bind(handle)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() != 1 {
            return Err(corrupt("consent was decided concurrently"));
        }
        Ok(())
    }

    /// Active or paused consents whose expiry has passed.
    pub async fn due_for_expiry(&self, now: Timestamp) -> Result<Vec<ConsentRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {CONSENT_COLUMNS} FROM consents WHERE status IN ('ACTIVE', 'PAUSED') AND expires_at <= ? ORDER BY expires_at, handle"
        ))
        .bind(now.as_second())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(record_from_row).collect()
    }

    pub async fn reject(
        &self,
        handle: &str,
        customer_id: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE consents SET status = 'REJECTED', customer_id = ?, updated_at = ? WHERE handle = ? AND status = 'PENDING'")
            .bind(customer_id)
            .bind(now.as_second())
            .bind(handle)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn set_status(
        &self,
        consent_id: &str,
        status: ConsentStatus,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE consents SET status = ?, updated_at = ? WHERE consent_id = ?")
            .bind(status.as_str())
            .bind(now.as_second())
            .bind(consent_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn create_session(
        &self,
        token: &str,
        session: &PageSession,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO page_sessions (token, handle, customer_id, login, name, accounts_json, csrf, expires_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(token)
        .bind(&session.handle)
        .bind(&session.customer.customer_id)
        .bind(&session.customer.login)
        .bind(&session.customer.name)
        .bind(serde_json::to_string(&session.customer.accounts).map_err(corrupt)?)
        .bind(&session.csrf)
        .bind(session.expires_at.as_second())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A live session for this handle, or none.
    pub async fn session(
        &self,
        token: &str,
        handle: &str,
        now: Timestamp,
    ) -> Result<Option<PageSession>, StoreError> {
        let row = sqlx::query(
            "SELECT handle, customer_id, login, name, accounts_json, csrf, expires_at FROM page_sessions
             WHERE token = ? AND handle = ? AND expires_at > ?",
        )
        .bind(token)
        .bind(handle)
        .bind(now.as_second())
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(PageSession {
            handle: r.get("handle"),
            customer: AuthenticatedCustomer {
                customer_id: r.get("customer_id"),
                login: r.get("login"),
                name: r.get("name"),
                accounts: serde_json::from_str(r.get("accounts_json")).map_err(corrupt)?,
            },
            csrf: r.get("csrf"),
            expires_at: Timestamp::from_second(r.get("expires_at")).map_err(corrupt)?,
        }))
    }

    pub async fn end_session(&self, token: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM page_sessions WHERE token = ?")
            .bind(token)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

fn record_from_row(r: &SqliteRow) -> Result<ConsentRecord, StoreError> {
    Ok(ConsentRecord {
        handle: r.get("handle"),
        consent_id: r.get("consent_id"),
        consumer_id: r.get("consumer_id"),
        customer: r.get("customer"),
        customer_id: r.get("customer_id"),
        request: serde_json::from_str(r.get("request_json")).map_err(corrupt)?,
        status: ConsentStatus::parse(r.get("status")).ok_or_else(|| corrupt("status"))?,
        artefact: r.get("artefact"),
        created_at: Timestamp::from_second(r.get("created_at")).map_err(corrupt)?,
        updated_at: Timestamp::from_second(r.get("updated_at")).map_err(corrupt)?,
    })
}
