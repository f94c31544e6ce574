//! The chat app's copy of consented data, encrypted per customer.
//!
//! Each customer has a random 256-bit data key. It is stored only wrapped
//! (AES-256-GCM) under the app's master key, and every record of that
//! customer's data is sealed (AES-256-GCM) under the data key, with the
//! customer, the kind and the record id as associated data so a sealed record
//! cannot be moved to another customer or slot.
//!
//! Crypto-shredding: revoking, expiring or erasing deletes the customer's
//! wrapped key and sealed records. The database runs with `secure_delete` and
//! the WAL is checkpointed and truncated after a shred, so the wrapped key's
//! bytes are gone from every file; without them nothing that was sealed can be
//! opened again, even by someone who holds the master key.
//!
//! The master key comes from `ANUMATI_MASTER_KEY` (64 hex digits) or from
//! `app/master.key`, created on first start.

use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use jiff::Timestamp;
use secrecy::{ExposeSecret, SecretBox};
use sqlx::{SqliteConnection, SqlitePool};

const NONCE_BYTES: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("master key: {0}")]
    MasterKey(String),
    #[error("sealed data does not open (wrong key, or tampered)")]
    Open,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// The app's master key. Never printed.
pub struct MasterKey(SecretBox<[u8; 32]>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey([redacted])")
    }
}

fn parse_hex_key(text: &str) -> Result<SecretBox<[u8; 32]>, VaultError> {
    let text = text.trim();
    if text.len() != 64 {
        return Err(VaultError::MasterKey("expected 64 hex digits".into()));
    }
    let mut key = SecretBox::new(Box::new([0u8; 32]));
    {
        use secrecy::ExposeSecretMut;
        let bytes = key.expose_secret_mut();
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = u8::from_str_radix(&text[2 * i..2 * i + 2], 16)
                .map_err(|_| VaultError::MasterKey("expected 64 hex digits".into()))?;
        }
    }
    Ok(key)
}

impl MasterKey {
    pub fn from_hex(text: &str) -> Result<Self, VaultError> {
        Ok(MasterKey(parse_hex_key(text)?))
    }

    /// `ANUMATI_MASTER_KEY`, else the key file, else a new key written to the
    /// key file. Returns whether a new key was created (the caller warns).
    pub fn load_or_create(path: &Path) -> Result<(Self, bool), VaultError> {
        if let Ok(text) = std::env::var("ANUMATI_MASTER_KEY") {
            return Ok((MasterKey::from_hex(&text)?, false));
        }
        if path.exists() {
            let text =
                SecretBox::new(Box::new(std::fs::read_to_string(path).map_err(|e| {
                    VaultError::MasterKey(format!("{}: {e}", path.display()))
                })?));
            return Ok((MasterKey(parse_hex_key(text.expose_secret())?), false));
        }
        let key: [u8; 32] = rand::random();
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        write_private(path, &hex)
            .map_err(|e| VaultError::MasterKey(format!("{}: {e}", path.display())))?;
        Ok((MasterKey(SecretBox::new(Box::new(key))), true))
    }

    pub fn generate() -> Self {
        MasterKey(SecretBox::new(Box::new(rand::random())))
    }
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

fn seal(key: &[u8; 32], plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
    let cipher = Aes256Gcm::new(key.into());
    let nonce: [u8; NONCE_BYTES] = rand::random();
    let mut out = nonce.to_vec();
    out.extend(
        cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .expect("AES-GCM seals any message under 64 GiB"),
    );
    out
}

fn open(key: &[u8; 32], sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, VaultError> {
    if sealed.len() < NONCE_BYTES {
        return Err(VaultError::Open);
    }
    let (nonce, body) = sealed.split_at(NONCE_BYTES);
    Aes256Gcm::new(key.into())
        .decrypt(Nonce::from_slice(nonce), Payload { msg: body, aad })
        .map_err(|_| VaultError::Open)
}

fn record_aad(login: &str, kind: &str, id: &str) -> Vec<u8> {
    format!("anumati-vault/v1\0{login}\0{kind}\0{id}").into_bytes()
}

/// One record for [`Vault::put_many`] (no `Debug`: it holds plaintext).
#[derive(Clone, Copy)]
pub struct Record<'a> {
    pub login: &'a str,
    pub kind: &'a str,
    pub id: &'a str,
    pub plaintext: &'a [u8],
    pub keep_until: Timestamp,
}

/// Per-customer encrypted storage in the app's database.
#[derive(Clone)]
pub struct Vault {
    pool: SqlitePool,
    master: std::sync::Arc<MasterKey>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vault")
    }
}

impl Vault {
    pub fn new(pool: SqlitePool, master: MasterKey) -> Self {
        Vault {
            pool,
            master: std::sync::Arc::new(master),
        }
    }

    async fn data_key(
        &self,
        login: &str,
        create: bool,
    ) -> Result<Option<SecretBox<[u8; 32]>>, VaultError> {
        let mut conn = self.pool.acquire().await?;
        self.data_key_in(&mut conn, login, create).await
    }

    /// The customer's data key, read (and, with `create`, made) on `conn`.
    async fn data_key_in(
        &self,
        conn: &mut SqliteConnection,
        login: &str,
        create: bool,
    ) -> Result<Option<SecretBox<[u8; 32]>>, VaultError> {
        let aad = format!("anumati-data-key/v1\0{login}");
        let wrapped: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT wrapped FROM data_keys WHERE login = ?")
                .bind(login)
                .fetch_optional(&mut *conn)
                .await?;
        if let Some(wrapped) = wrapped {
            let bytes = open(self.master.0.expose_secret(), &wrapped, aad.as_bytes())?;
            let key: [u8; 32] = bytes.try_into().map_err(|_| VaultError::Open)?;
            return Ok(Some(SecretBox::new(Box::new(key))));
        }
        if !create {
            return Ok(None);
        }
        let key: [u8; 32] = rand::random();
        let wrapped = seal(self.master.0.expose_secret(), &key, aad.as_bytes());
        sqlx::query(
            "INSERT INTO data_keys (login, wrapped) VALUES (?, ?) ON CONFLICT (login) DO NOTHING",
        )
        .bind(login)
        .bind(wrapped)
        .execute(&mut *conn)
        .await?;
        // Another writer may have won the race: read back whichever key is stored.
        Box::pin(self.data_key_in(conn, login, false)).await
    }

    /// Seals and stores (or replaces) one record until `keep_until`.
    pub async fn put(
        &self,
        login: &str,
        kind: &str,
        id: &str,
        plaintext: &[u8],
        keep_until: Timestamp,
    ) -> Result<(), VaultError> {
        self.put_many(&[Record {
            login,
            kind,
            id,
            plaintext,
            keep_until,
        }])
        .await
    }

    /// Seals and stores (or replaces) several records in one transaction:
    /// all of them or none.
    pub async fn put_many(&self, records: &[Record<'_>]) -> Result<(), VaultError> {
        // IMMEDIATE: the write lock from the start, so that reading a data
        // key and then writing cannot meet another writer half-way.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let mut keys: Vec<(&str, SecretBox<[u8; 32]>)> = Vec::new();
        for r in records {
            let key = match keys.iter().position(|(login, _)| *login == r.login) {
                Some(i) => &keys[i].1,
                None => {
                    let key = self
                        .data_key_in(&mut tx, r.login, true)
                        .await?
                        .ok_or(VaultError::Open)?;
                    keys.push((r.login, key));
                    &keys[keys.len() - 1].1
                }
            };
            let sealed = seal(
                key.expose_secret(),
                r.plaintext,
                &record_aad(r.login, r.kind, r.id),
            );
            sqlx::query(
                "INSERT INTO vault (login, kind, id, sealed, keep_until) VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT (login, kind, id) DO UPDATE SET sealed = excluded.sealed, keep_until = excluded.keep_until",
            )
            .bind(r.login)
            .bind(r.kind)
            .bind(r.id)
            .bind(sealed)
            .bind(r.keep_until.as_second())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Opens one record; `None` when absent, expired or shredded.
    pub async fn get(
        &self,
        login: &str,
        kind: &str,
        id: &str,
        now: Timestamp,
    ) -> Result<Option<Vec<u8>>, VaultError> {
        let sealed: Option<Vec<u8>> = sqlx::query_scalar(
            "SELECT sealed FROM vault WHERE login = ? AND kind = ? AND id = ? AND keep_until > ?",
        )
        .bind(login)
        .bind(kind)
        .bind(id)
        .bind(now.as_second())
        .fetch_optional(&self.pool)
        .await?;
        let Some(sealed) = sealed else {
            return Ok(None);
        };
        let Some(key) = self.data_key(login, false).await? else {
            return Ok(None);
        };
        open(key.expose_secret(), &sealed, &record_aad(login, kind, id)).map(Some)
    }

    /// Every live record of a customer, as (kind, id, plaintext).
    pub async fn all(
        &self,
        login: &str,
        now: Timestamp,
    ) -> Result<Vec<(String, String, Vec<u8>)>, VaultError> {
        let rows: Vec<(String, String, Vec<u8>)> = sqlx::query_as("SELECT kind, id, sealed FROM vault WHERE login = ? AND keep_until > ? ORDER BY kind, id")
            .bind(login)
            .bind(now.as_second())
            .fetch_all(&self.pool)
            .await?;
        let Some(key) = self.data_key(login, false).await? else {
            return Ok(Vec::new());
        };
        rows.into_iter()
            .map(|(kind, id, sealed)| {
                let plain = open(key.expose_secret(), &sealed, &record_aad(login, &kind, &id))?;
                Ok((kind, id, plain))
            })
            .collect()
    }

    /// Destroys the customer's data key and sealed records, and flushes them out of the WAL.
    pub async fn shred(&self, login: &str) -> Result<(), VaultError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM vault WHERE login = ?")
            .bind(login)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM data_keys WHERE login = ?")
            .bind(login)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.checkpoint().await
    }

    /// Deletes records whose data life ended; returns how many.
    pub async fn purge_expired(&self, now: Timestamp) -> Result<u64, VaultError> {
        let n = sqlx::query("DELETE FROM vault WHERE keep_until <= ?")
            .bind(now.as_second())
            .execute(&self.pool)
            .await?
            .rows_affected();
        if n > 0 {
            self.checkpoint().await?;
        }
        Ok(n)
    }

    async fn checkpoint(&self) -> Result<(), VaultError> {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn vault() -> (Vault, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!(
            "anumati-vault-{}",
            anumati_wire::html::random_token()
        ));
        let pool = anumati_store::open_sqlite(&dir.join("app.db"), &crate::store::MIGRATOR)
            .await
            .unwrap();
        (Vault::new(pool, MasterKey::generate()), dir)
    }

    #[tokio::test]
    async fn records_put_together_open_for_their_own_customer_only() {
        let (vault, dir) = vault().await;
        let now: Timestamp = "2026-11-01T00:00:00Z".parse().unwrap();
        let until = now + jiff::SignedDuration::from_hours(1);
        let record = |login, plaintext| Record {
            login,
            kind: "dialogue",
            id: "state",
            plaintext,
            keep_until: until,
        };
        vault
            .put_many(&[
                record("asha", b"asha's"),
                record("ravi", b"ravi's"),
                record("asha", b"asha's, newer"),
            ])
            .await
            .unwrap();
        let get = |login| vault.get(login, "dialogue", "state", now);
        assert_eq!(get("asha").await.unwrap().unwrap(), b"asha's, newer");
        assert_eq!(get("ravi").await.unwrap().unwrap(), b"ravi's");
        assert_eq!(get("mira").await.unwrap(), None);
        // A record moved to another customer's row does not open.
        sqlx::query("UPDATE vault SET sealed = (SELECT sealed FROM vault WHERE login = 'asha') WHERE login = 'ravi'")
            .execute(&vault.pool)
            .await
            .unwrap();
        assert!(matches!(get("ravi").await, Err(VaultError::Open)));
        // Past its keep-until: gone.
        let later = until + jiff::SignedDuration::from_secs(1);
        assert_eq!(
            vault.get("asha", "dialogue", "state", later).await.unwrap(),
            None
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
