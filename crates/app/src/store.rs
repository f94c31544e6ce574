//! The chat app's store: users, sessions, linked consents.

use jiff::Timestamp;
use sqlx::SqlitePool;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// A consent the app holds for a user.
#[derive(Debug, Clone)]
pub struct Link {
    pub handle: String,
    pub consent_id: Option<String>,
    pub artefact: Option<String>,
    pub status: String,
}

#[derive(Debug, Clone)]
pub struct AppStore {
    pool: SqlitePool,
    /// Bumped after every write to `links`: a cache of what the links say
    /// (the alert task's) is good while this has not moved.
    links_generation: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl AppStore {
    pub fn new(pool: SqlitePool) -> Self {
        AppStore {
            pool,
            links_generation: Default::default(),
        }
    }

    /// How many times the links have been written (see `links_generation`).
    pub fn links_generation(&self) -> u64 {
        self.links_generation
            .load(std::sync::atomic::Ordering::Acquire)
    }

    fn links_written(&self) {
        self.links_generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Adds users that do not exist yet, in one transaction; returns how many were added.
    pub async fn add_users(
        &self,
        users: &[(String, String)],
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut added = 0;
        for (login, hash) in users {
            added += sqlx::query("INSERT INTO users (login, password_hash, created_at) VALUES (?, ?, ?) ON CONFLICT (login) DO NOTHING")
                .bind(login)
                .bind(hash)
                .bind(now.as_second())
                .execute(&mut *tx)
                .await?
                .rows_affected();
        }
        tx.commit().await?;
        Ok(added)
    }

    pub async fn password_hash(&self, login: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT password_hash FROM users WHERE login = ?")
                .bind(login)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn create_session(
        &self,
        token: &str,
        login: &str,
        expires_at: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO sessions (token, login, expires_at) VALUES (?, ?, ?)")
            .bind(token)
            .bind(login)
            .bind(expires_at.as_second())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn session_login(
        &self,
        token: &str,
        now: Timestamp,
    ) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT login FROM sessions WHERE token = ? AND expires_at > ?")
                .bind(token)
                .bind(now.as_second())
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn end_session(&self, token: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token = ?")
            .bind(token)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn insert_link(
        &self,
        handle: &str,
        login: &str,
        approval_url: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO links (handle, login, approval_url, status, created_at, updated_at) VALUES (?, ?, ?, 'PENDING', ?, ?)")
            .bind(handle)
            .bind(login)
            .bind(approval_url)
            .bind(now.as_second())
            .bind(now.as_second())
            .execute(&self.pool)
            .await?;
        self.links_written();
        Ok(())
    }

    /// The user's newest request still waiting for a decision, made after `since`: (handle, approval URL).
    pub async fn pending_link(
        &self,
        login: &str,
        since: Timestamp,
    ) -> Result<Option<(String, String)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT handle, approval_url FROM links WHERE login = ? AND status = 'PENDING' AND created_at > ?
             ORDER BY created_at DESC, handle LIMIT 1",
        )
        .bind(login)
        .bind(since.as_second())
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn link_owner(&self, handle: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT login FROM links WHERE handle = ?")
                .bind(handle)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn update_link(
        &self,
        handle: &str,
        status: &str,
        consent_id: Option<&str>,
        artefact: Option<&str>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE links SET status = ?1, consent_id = COALESCE(?2, consent_id), artefact = COALESCE(?3, artefact), updated_at = ?4,
                    activated_seq = CASE WHEN ?1 = 'ACTIVE' THEN (SELECT COALESCE(MAX(activated_seq), 0) + 1 FROM links) ELSE activated_seq END
             WHERE handle = ?5")
            .bind(status)
            .bind(consent_id)
            .bind(artefact)
            .bind(now.as_second())
            .bind(handle)
            .execute(&self.pool)
            .await?;
        self.links_written();
        Ok(())
    }

    /// Marks a link ended (revoked, expired, erased) and forgets its artefact.
    pub async fn end_link(
        &self,
        handle: &str,
        status: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE links SET status = ?, artefact = NULL, updated_at = ? WHERE handle = ?",
        )
        .bind(status)
        .bind(now.as_second())
        .bind(handle)
        .execute(&self.pool)
        .await?;
        self.links_written();
        Ok(())
    }

    pub async fn set_link_status(
        &self,
        handle: &str,
        status: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE links SET status = ?, updated_at = ? WHERE handle = ? AND artefact IS NOT NULL",
        )
        .bind(status)
        .bind(now.as_second())
        .bind(handle)
        .execute(&self.pool)
        .await?;
        self.links_written();
        Ok(())
    }

    /// The user's newest link in this status.
    pub async fn link_with_status(
        &self,
        login: &str,
        status: &str,
    ) -> Result<Option<Link>, StoreError> {
        let row: Option<(String, Option<String>, Option<String>, String)> = sqlx::query_as(
            "SELECT handle, consent_id, artefact, status FROM links WHERE login = ? AND status = ?
             ORDER BY COALESCE(activated_seq, 0) DESC, updated_at DESC, handle LIMIT 1",
        )
        .bind(login)
        .bind(status)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(handle, consent_id, artefact, status)| Link {
            handle,
            consent_id,
            artefact,
            status,
        }))
    }

    /// (handle, login) of the link holding this consent.
    pub async fn link_by_consent(
        &self,
        consent_id: &str,
    ) -> Result<Option<(String, String)>, StoreError> {
        Ok(
            sqlx::query_as("SELECT handle, login FROM links WHERE consent_id = ?")
                .bind(consent_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// (login, status, artefact) of the link that holds this consent.
    pub async fn link_of_consent(
        &self,
        consent_id: &str,
    ) -> Result<Option<(String, String, Option<String>)>, StoreError> {
        Ok(
            sqlx::query_as("SELECT login, status, artefact FROM links WHERE consent_id = ?")
                .bind(consent_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// (handle, login, artefact) of every active or paused link.
    pub async fn live_links(&self) -> Result<Vec<(String, String, String)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT handle, login, artefact FROM links WHERE status IN ('ACTIVE', 'PAUSED') AND artefact IS NOT NULL ORDER BY handle",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Every link of a user, newest first.
    pub async fn links_of(&self, login: &str) -> Result<Vec<Link>, StoreError> {
        let rows: Vec<(String, Option<String>, Option<String>, String)> = sqlx::query_as(
            "SELECT handle, consent_id, artefact, status FROM links WHERE login = ? ORDER BY COALESCE(activated_seq, 0) DESC, updated_at DESC, handle",
        )
        .bind(login)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(handle, consent_id, artefact, status)| Link {
                handle,
                consent_id,
                artefact,
                status,
            })
            .collect())
    }

    /// The user's newest active consent, if any.
    pub async fn active_link(&self, login: &str) -> Result<Option<Link>, StoreError> {
        self.link_with_status(login, "ACTIVE").await
    }

    /// Records a hand-off to a person; returns its reference number.
    pub async fn add_handoff(
        &self,
        login: &str,
        reason: &str,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO handoffs (login, reason, created_at) VALUES (?, ?, ?) RETURNING id",
        )
        .bind(login)
        .bind(reason)
        .bind(now.as_second())
        .fetch_one(&self.pool)
        .await?)
    }

    /// A customer's hand-offs, oldest first, as (reference, reason).
    pub async fn handoffs_of(&self, login: &str) -> Result<Vec<(i64, String)>, StoreError> {
        Ok(
            sqlx::query_as("SELECT id, reason FROM handoffs WHERE login = ? ORDER BY id")
                .bind(login)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    pub async fn delete_handoffs(&self, login: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM handoffs WHERE login = ?")
            .bind(login)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
