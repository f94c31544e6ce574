//! Storage plumbing that every role shares, and nothing role-specific.
//!
//! - [`DataDir`] is the data directory (`./anumati-data` by default) with one
//!   folder per role. It refuses a folder that is not anumati's, so a typo in
//!   `--data` cannot scatter databases over someone's home directory.
//! - [`open_sqlite`] opens a role's SQLite database with explicit pragmas (WAL,
//!   `synchronous`, foreign keys, busy timeout) and runs its embedded
//!   migrations. Each role crate owns its migrations and its queries; no role
//!   ever opens another role's database.
//!
//! SQL is kept portable (no SQLite-only syntax in the role stores) so that the
//! PostgreSQL backend can share the queries.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

/// The file that marks a folder as an anumati data directory.
pub const MARKER_FILE: &str = "anumati-data.toml";
const MARKER_CONTENTS: &str =
    "# This folder holds anumati's data: one folder per role.\nformat = 1\n";

/// Longest a writer waits for SQLite's lock before the request fails.
const BUSY_TIMEOUT_MS: u64 = 5_000;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: no anumati data here (run `anumati demo` or `anumati simulate` first)")]
    Missing { path: PathBuf },
    #[error("{path}: not an anumati data directory (it is not empty and has no {MARKER_FILE}); refusing to touch it")]
    NotOurs { path: PathBuf },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
}

/// The three roles; each has a folder of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Bank,
    Consent,
    App,
}

impl Role {
    pub fn folder(&self) -> &'static str {
        match self {
            Role::Bank => "bank",
            Role::Consent => "consent",
            Role::App => "app",
        }
    }
}

/// A validated anumati data directory.
#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// Opens an existing data directory.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let root = root.into();
        if !root.join(MARKER_FILE).is_file() {
            if !root.exists() {
                return Err(StoreError::Missing { path: root });
            }
            return Err(StoreError::NotOurs { path: root });
        }
        Ok(DataDir { root })
    }

    /// Opens the directory, creating it (and its role folders) when it does not
    /// exist or is empty. A non-empty folder without the marker is refused.
    pub fn open_or_create(root: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let root = root.into();
        let io = |source| StoreError::Io {
            path: root.clone(),
            source,
        };
        if root.join(MARKER_FILE).is_file() {
            return Ok(DataDir { root });
        }
        if root.exists() {
            let mut entries = std::fs::read_dir(&root).map_err(io)?;
            if entries.next().is_some() {
                return Err(StoreError::NotOurs { path: root });
            }
        }
        std::fs::create_dir_all(&root).map_err(io)?;
        for role in [Role::Bank, Role::Consent, Role::App] {
            std::fs::create_dir_all(root.join(role.folder())).map_err(io)?;
        }
        std::fs::write(root.join(MARKER_FILE), MARKER_CONTENTS).map_err(io)?;
        Ok(DataDir { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The role's own folder.
    pub fn role(&self, role: Role) -> PathBuf {
        self.root.join(role.folder())
    }

    /// The role's SQLite database file.
    pub fn database(&self, role: Role) -> PathBuf {
        self.role(role).join(format!("{}.db", role.folder()))
    }
}

/// Opens (creating if needed) a SQLite database with anumati's pragmas and
/// runs the role's migrations.
pub async fn open_sqlite(path: &Path, migrator: &Migrator) -> Result<SqlitePool, StoreError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|source| StoreError::Io {
            path: parent.to_owned(),
            source,
        })?;
    }
    let options = SqliteConnectOptions::from_str("sqlite://")?
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // FULL: a committed transaction survives power loss, not just a crash.
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_millis(BUSY_TIMEOUT_MS))
        // Deleted rows are overwritten, so erased data (and shredded keys) do not linger in free pages.
        .pragma("secure_delete", "on")
        .pragma("temp_store", "memory")
        .pragma("cache_size", "-16000")
        // Pages the cache lacks are read straight from the file's mapping
        // (no copy through a read call each time): 256 MiB of it.
        .pragma("mmap_size", "268435456");
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await?;
    migrator.run(&pool).await?;
    tracing::debug!(path = %path.display(), "database open");
    Ok(pool)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("anumati-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn creates_role_folders_and_marker() {
        let dir = scratch("create");
        let data = DataDir::open_or_create(&dir).unwrap();
        for role in [Role::Bank, Role::Consent, Role::App] {
            assert!(data.role(role).is_dir());
        }
        assert!(DataDir::open(&dir).is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn refuses_a_folder_that_is_not_ours_and_leaves_it_alone() {
        let dir = scratch("foreign");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("thesis.tex"), "precious").unwrap();
        assert!(matches!(
            DataDir::open_or_create(&dir),
            Err(StoreError::NotOurs { .. })
        ));
        assert!(matches!(
            DataDir::open(&dir),
            Err(StoreError::NotOurs { .. })
        ));
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("thesis.tex")]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_folder_is_not_created_by_open() {
        let dir = scratch("missing");
        assert!(matches!(
            DataDir::open(&dir),
            Err(StoreError::Missing { .. })
        ));
        assert!(!dir.exists());
    }
}
