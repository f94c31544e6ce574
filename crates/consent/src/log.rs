//! The access log: every consent change and every data access — who, whose
//! data, which consent, purpose, data kinds, when, outcome, refusals included —
//! appended to an RFC 6962 Merkle log with signed tree heads.
//!
//! Each append signs a new tree head (EdDSA compact JWS over
//! `{tree_size, timestamp, root_hash}`), so every entry is covered by a
//! signature as soon as it is written. Anyone holding the consent manager's
//! public key can check a head, an inclusion proof of an entry, and a
//! consistency proof between two heads; [`verify_all`] recomputes the whole
//! tree from the stored entries and detects any edited, removed, inserted or
//! reordered entry.

use anumati_merkle::{hash_to_hex, leaf_hash, ConsistencyProof, Hash, InclusionProof, Tree};
use anumati_wire::jws::{KeySet, Signer};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sqlx::{Row, SqlitePool};
use tokio::sync::Mutex;

use crate::store::StoreError;

/// What happened. Serialised into the leaf exactly as written here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LogEntry {
    pub idx: u64,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// `consent.requested`, `consent.approved`, `consent.rejected`,
    /// `consent.revoked`, `consent.paused`, `consent.resumed`,
    /// `consent.expired`, `data.fetch`, `data.erased`, `card.lock`,
    /// `card.unlock`.
    pub event: String,
    /// Who acted: a data user's id, `customer`, `consent-manager`.
    pub actor: String,
    /// Whose data (the bank's customer id), when known.
    pub customer: Option<String>,
    pub consent_id: Option<String>,
    pub purpose: Option<String>,
    pub data_kinds: Vec<String>,
    /// `ok` or `refused`.
    pub outcome: String,
    pub reason: Option<String>,
}

/// A new entry, before the log gives it its place and time.
#[derive(Debug, Clone, Default)]
pub struct NewEntry {
    pub event: &'static str,
    pub actor: String,
    pub customer: Option<String>,
    pub consent_id: Option<String>,
    pub purpose: Option<String>,
    pub data_kinds: Vec<String>,
    pub refused: Option<String>,
}

/// A signed tree head as served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SignedTreeHead {
    pub tree_size: u64,
    #[schema(value_type = String, format = DateTime)]
    pub timestamp: Timestamp,
    /// Hex SHA-256 root.
    pub root_hash: String,
    /// Compact JWS by the consent manager over the three fields above.
    pub signature: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct HeadClaims {
    tree_size: u64,
    timestamp: Timestamp,
    root_hash: String,
}

/// The appender: one writer at a time, with the tree's compact state in memory.
pub struct AccessLog {
    pool: SqlitePool,
    tree: Mutex<Option<Tree>>,
}

impl std::fmt::Debug for AccessLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessLog")
    }
}

async fn load_tree(pool: &SqlitePool) -> Result<Tree, StoreError> {
    let mut tree = Tree::new();
    let mut rows = sqlx::query("SELECT leaf_hash FROM log_entries ORDER BY idx").fetch(pool);
    use futures_util::TryStreamExt as _;
    while let Some(row) = rows.try_next().await? {
        let bytes: Vec<u8> = row.get(0);
        let hash: Hash = bytes
            .try_into()
            .map_err(|_| StoreError::Corrupt("leaf hash length".into()))?;
        tree.push(hash);
    }
    Ok(tree)
}

impl AccessLog {
    pub fn new(pool: SqlitePool) -> Self {
        AccessLog {
            pool,
            tree: Mutex::new(None),
        }
    }

    /// Appends entries in one transaction and signs the new head.
    pub async fn append(
        &self,
        signer: &Signer,
        now: Timestamp,
        entries: &[NewEntry],
    ) -> Result<SignedTreeHead, StoreError> {
        let mut guard = self.tree.lock().await;
        if guard.is_none() {
            *guard = Some(load_tree(&self.pool).await?);
        }
        let tree = guard.as_mut().expect("loaded above");
        let mut next = tree.clone();
        let mut tx = self.pool.begin().await?;
        for new in entries {
            let entry = LogEntry {
                idx: next.size(),
                at: now,
                event: new.event.to_owned(),
                actor: new.actor.clone(),
                customer: new.customer.clone(),
                consent_id: new.consent_id.clone(),
                purpose: new.purpose.clone(),
                data_kinds: new.data_kinds.clone(),
                outcome: if new.refused.is_some() {
                    "refused"
                } else {
                    "ok"
                }
                .to_owned(),
                reason: new.refused.clone(),
            };
            let text =
                serde_json::to_string(&entry).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let hash = leaf_hash(text.as_bytes());
            sqlx::query("INSERT INTO log_entries (idx, entry, leaf_hash, customer_id, consent_id, at) VALUES (?, ?, ?, ?, ?, ?)")
                .bind(entry.idx as i64)
                .bind(&text)
                .bind(hash.to_vec())
                .bind(&entry.customer)
                .bind(&entry.consent_id)
                .bind(now.as_second())
                .execute(&mut *tx)
                .await?;
            next.push(hash);
        }
        let head = sign_head(signer, next.size(), now, &next.root());
        sqlx::query("INSERT INTO tree_heads (tree_size, root_hash, at, signed) VALUES (?, ?, ?, ?) ON CONFLICT (tree_size) DO NOTHING")
            .bind(head.tree_size as i64)
            .bind(&head.root_hash)
            .bind(now.as_second())
            .bind(&head.signature)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        *tree = next;
        Ok(head)
    }

    /// The newest signed tree head (the empty tree's, unsigned, before any entry).
    pub async fn latest_head(&self) -> Result<Option<SignedTreeHead>, StoreError> {
        let row = sqlx::query("SELECT tree_size, root_hash, at, signed FROM tree_heads ORDER BY tree_size DESC LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| head_from_row(&r)).transpose()
    }

    pub async fn head_at(&self, size: u64) -> Result<Option<SignedTreeHead>, StoreError> {
        let row = sqlx::query(
            "SELECT tree_size, root_hash, at, signed FROM tree_heads WHERE tree_size = ?",
        )
        .bind(size as i64)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| head_from_row(&r)).transpose()
    }

    async fn leaf_hashes(&self, size: u64) -> Result<Vec<Hash>, StoreError> {
        let rows: Vec<Vec<u8>> =
            sqlx::query_scalar("SELECT leaf_hash FROM log_entries WHERE idx < ? ORDER BY idx")
                .bind(size as i64)
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter()
            .map(|b| {
                b.try_into()
                    .map_err(|_| StoreError::Corrupt("leaf hash length".into()))
            })
            .collect()
    }

    /// Inclusion proof of entry `idx` in the tree of `tree_size`.
    pub async fn inclusion(&self, idx: u64, tree_size: u64) -> Result<InclusionProof, LogError> {
        let hashes = self.leaf_hashes(tree_size).await?;
        if (hashes.len() as u64) < tree_size {
            return Err(LogError::BadRequest(format!(
                "the log has only {} entries",
                hashes.len()
            )));
        }
        let path = anumati_merkle::inclusion_proof(&hashes, idx, tree_size)
            .map_err(|e| LogError::BadRequest(e.to_string()))?;
        Ok(InclusionProof::new(idx, tree_size, &path))
    }

    /// Consistency proof between two tree sizes.
    pub async fn consistency(&self, first: u64, second: u64) -> Result<ConsistencyProof, LogError> {
        let hashes = self.leaf_hashes(second).await?;
        if (hashes.len() as u64) < second {
            return Err(LogError::BadRequest(format!(
                "the log has only {} entries",
                hashes.len()
            )));
        }
        let proof = anumati_merkle::consistency_proof(&hashes, first, second)
            .map_err(|e| LogError::BadRequest(e.to_string()))?;
        Ok(ConsistencyProof::new(first, second, &proof))
    }

    /// Entries about one customer (newest first), at most `limit`, since `since`.
    pub async fn of_customer(
        &self,
        customer_id: &str,
        since: Timestamp,
        limit: u32,
    ) -> Result<Vec<LogEntry>, StoreError> {
        let rows: Vec<String> = sqlx::query_scalar("SELECT entry FROM log_entries WHERE customer_id = ? AND at >= ? ORDER BY idx DESC LIMIT ?")
            .bind(customer_id)
            .bind(since.as_second())
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|t| serde_json::from_str(t).map_err(|e| StoreError::Corrupt(e.to_string())))
            .collect()
    }

    /// Entries in `[start, end)`.
    pub async fn range(&self, start: u64, end: u64) -> Result<Vec<LogEntry>, StoreError> {
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT entry FROM log_entries WHERE idx >= ? AND idx < ? ORDER BY idx",
        )
        .bind(start as i64)
        .bind(end as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|t| serde_json::from_str(t).map_err(|e| StoreError::Corrupt(e.to_string())))
            .collect()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("{0}")]
    BadRequest(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for LogError {
    fn from(e: sqlx::Error) -> Self {
        LogError::Store(e.into())
    }
}

fn sign_head(signer: &Signer, tree_size: u64, timestamp: Timestamp, root: &Hash) -> SignedTreeHead {
    // Heads are stored to the second; sign exactly what is stored.
    let timestamp =
        Timestamp::from_second(timestamp.as_second()).expect("a valid time stays valid");
    let claims = HeadClaims {
        tree_size,
        timestamp,
        root_hash: hash_to_hex(root),
    };
    let signature = signer.sign(&claims);
    SignedTreeHead {
        tree_size,
        timestamp,
        root_hash: claims.root_hash,
        signature,
    }
}

fn head_from_row(r: &sqlx::sqlite::SqliteRow) -> Result<SignedTreeHead, StoreError> {
    Ok(SignedTreeHead {
        tree_size: r.get::<i64, _>("tree_size") as u64,
        root_hash: r.get("root_hash"),
        timestamp: Timestamp::from_second(r.get("at"))
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        signature: r.get("signed"),
    })
}

/// Checks a signed head's signature and that its fields are the signed ones.
pub fn verify_head(head: &SignedTreeHead, keys: &KeySet) -> Result<(), String> {
    let claims: HeadClaims = keys
        .verify(&head.signature)
        .map_err(|e| format!("tree head {}: {e}", head.tree_size))?;
    if claims.tree_size != head.tree_size
        || claims.root_hash != head.root_hash
        || claims.timestamp != head.timestamp
    {
        return Err(format!(
            "tree head {}: stored fields differ from the signed ones",
            head.tree_size
        ));
    }
    Ok(())
}

/// What `anumati audit verify` found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AuditReport {
    pub entries: u64,
    pub signed_heads: u64,
    pub problems: Vec<String>,
}

impl AuditReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Recomputes the tree from every stored entry and checks every signed head:
/// its signature, and that the root of the entries up to its size is its root.
/// An edited entry changes a leaf; a removed, inserted or reordered one
/// changes indices or leaves; each shows up as a head whose root no longer
/// matches (and, for indices, as a gap or a duplicate).
pub async fn verify_all(pool: &SqlitePool, keys: &KeySet) -> Result<AuditReport, StoreError> {
    use futures_util::TryStreamExt as _;
    let heads: Vec<SignedTreeHead> =
        sqlx::query("SELECT tree_size, root_hash, at, signed FROM tree_heads ORDER BY tree_size")
            .fetch_all(pool)
            .await?
            .iter()
            .map(head_from_row)
            .collect::<Result<_, _>>()?;
    let mut report = AuditReport {
        signed_heads: heads.len() as u64,
        ..AuditReport::default()
    };
    const PROBLEMS_MAX: usize = 20;
    let problem = |report: &mut AuditReport, p: String| {
        if report.problems.len() < PROBLEMS_MAX {
            report.problems.push(p);
        }
    };
    for head in &heads {
        if let Err(e) = verify_head(head, keys) {
            problem(&mut report, e);
        }
    }
    let mut tree = Tree::new();
    let mut next_head = heads.iter().peekable();
    // Heads at size 0 would be trivially the empty root; none are written.
    let mut rows =
        sqlx::query("SELECT idx, entry, leaf_hash FROM log_entries ORDER BY idx").fetch(pool);
    while let Some(row) = rows.try_next().await? {
        let idx: i64 = row.get(0);
        let entry: &str = row.get(1);
        let stored: Vec<u8> = row.get(2);
        let position = tree.size();
        if idx as u64 != position {
            problem(&mut report, format!("entry at position {position} has index {idx}: an entry was removed, inserted or moved"));
        }
        match serde_json::from_str::<LogEntry>(entry) {
            Ok(parsed) if parsed.idx != position => problem(
                &mut report,
                format!(
                    "entry {position} says it is entry {}: entries were reordered",
                    parsed.idx
                ),
            ),
            Ok(_) => {}
            Err(e) => problem(
                &mut report,
                format!("entry {position} is not a log entry: {e}"),
            ),
        }
        let hash = leaf_hash(entry.as_bytes());
        if stored.as_slice() != hash.as_slice() {
            problem(
                &mut report,
                format!(
                    "entry {position} was edited: its stored leaf hash does not match its contents"
                ),
            );
        }
        tree.push(hash);
        while let Some(head) = next_head.peek() {
            if head.tree_size != tree.size() {
                break;
            }
            if head.root_hash != hash_to_hex(&tree.root()) {
                problem(&mut report, format!("signed tree head {} does not match the entries: entries up to it were changed", head.tree_size));
            }
            next_head.next();
        }
    }
    report.entries = tree.size();
    for head in next_head {
        problem(
            &mut report,
            format!(
                "signed tree head {} is beyond the {} entries stored: entries were removed",
                head.tree_size,
                tree.size()
            ),
        );
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn log_with(n: usize) -> (tempfile_dir::Dir, SqlitePool, AccessLog, Signer) {
        let dir = tempfile_dir::Dir::new();
        let pool =
            anumati_store::open_sqlite(&dir.path.join("consent.db"), &crate::store::MIGRATOR)
                .await
                .unwrap();
        let log = AccessLog::new(pool.clone());
        let signer = Signer::generate("cm-test");
        let now: Timestamp = "2026-11-01T10:00:00Z".parse().unwrap();
        for i in 0..n {
            log.append(
                &signer,
                now,
                &[NewEntry {
                    event: "data.fetch",
                    actor: "anumati-chat".into(),
                    customer: Some(format!("cus_{}", i % 3)),
                    consent_id: Some("cst_1".into()),
                    purpose: Some("102".into()),
                    data_kinds: vec!["SUMMARY".into()],
                    refused: (i % 4 == 3).then(|| "wrong purpose".to_owned()),
                }],
            )
            .await
            .unwrap();
        }
        (dir, pool, log, signer)
    }

    fn keys(signer: &Signer) -> KeySet {
        let mut k = KeySet::new();
        k.insert(signer.kid(), signer.verifying_key());
        k
    }

    /// Minimal temporary directory (the crate has no tempfile dependency).
    mod tempfile_dir {
        pub struct Dir {
            pub path: std::path::PathBuf,
        }
        impl Dir {
            pub fn new() -> Self {
                let path = std::env::temp_dir().join(format!(
                    "anumati-log-{}",
                    anumati_wire::html::random_token()
                ));
                std::fs::create_dir_all(&path).unwrap();
                Dir { path }
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.path);
            }
        }
    }

    #[tokio::test]
    async fn an_untouched_log_verifies_and_proofs_check_out() {
        let (_dir, pool, log, signer) = log_with(10).await;
        let report = verify_all(&pool, &keys(&signer)).await.unwrap();
        assert!(report.ok(), "{:?}", report.problems);
        assert_eq!((report.entries, report.signed_heads), (10, 10));

        let head = log.latest_head().await.unwrap().unwrap();
        verify_head(&head, &keys(&signer)).unwrap();
        let root = anumati_merkle::hash_from_hex(&head.root_hash).unwrap();
        let entries = log.range(0, 10).await.unwrap();
        for e in &entries {
            let proof = log.inclusion(e.idx, 10).await.unwrap();
            let leaf = leaf_hash(serde_json::to_string(e).unwrap().as_bytes());
            proof.verify(&leaf, &root).unwrap();
        }
        let old = log.head_at(4).await.unwrap().unwrap();
        let proof = log.consistency(4, 10).await.unwrap();
        proof
            .verify(
                &anumati_merkle::hash_from_hex(&old.root_hash).unwrap(),
                &root,
            )
            .unwrap();
        assert_eq!(entries.iter().filter(|e| e.outcome == "refused").count(), 2);
    }

    async fn tampered(sql: &[&str]) -> AuditReport {
        let (_dir, pool, _log, signer) = log_with(8).await;
        for statement in sql {
            sqlx::query(statement).execute(&pool).await.unwrap();
        }
        verify_all(&pool, &keys(&signer)).await.unwrap()
    }

    #[tokio::test]
    async fn detects_an_edited_entry_even_with_its_hash_recomputed() {
        // The attacker changes the outcome and recomputes the stored leaf hash.
        let (_dir, pool, _log, signer) = log_with(8).await;
        let entry: String = sqlx::query_scalar("SELECT entry FROM log_entries WHERE idx = 3")
            .fetch_one(&pool)
            .await
            .unwrap();
        let edited = entry.replace("\"refused\"", "\"ok\"");
        assert_ne!(entry, edited);
        sqlx::query("UPDATE log_entries SET entry = ?, leaf_hash = ? WHERE idx = 3")
            .bind(&edited)
            .bind(leaf_hash(edited.as_bytes()).to_vec())
            .execute(&pool)
            .await
            .unwrap();
        let report = verify_all(&pool, &keys(&signer)).await.unwrap();
        assert!(!report.ok());
        assert!(
            report
                .problems
                .iter()
                .any(|p| p.contains("signed tree head 4 does not match")),
            "{:?}",
            report.problems
        );
    }

    #[tokio::test]
    async fn detects_an_edit_that_leaves_the_hash_alone() {
        let report = tampered(&[
            "UPDATE log_entries SET entry = replace(entry, 'cus_0', 'cus_9') WHERE idx = 0",
        ])
        .await;
        assert!(
            report
                .problems
                .iter()
                .any(|p| p.contains("entry 0 was edited")),
            "{:?}",
            report.problems
        );
    }

    #[tokio::test]
    async fn detects_a_removed_entry() {
        let report = tampered(&["DELETE FROM log_entries WHERE idx = 5"]).await;
        assert!(!report.ok());
        assert!(
            report.problems.iter().any(|p| p.contains("removed")),
            "{:?}",
            report.problems
        );
        let report = tampered(&["DELETE FROM log_entries WHERE idx = 7"]).await;
        assert!(
            report
                .problems
                .iter()
                .any(|p| p.contains("beyond the 7 entries")),
            "{:?}",
            report.problems
        );
    }

    #[tokio::test]
    async fn detects_an_inserted_entry() {
        let report = tampered(&[
            "UPDATE log_entries SET idx = idx + 100 WHERE idx >= 2",
            "UPDATE log_entries SET idx = idx - 99 WHERE idx >= 100",
            "INSERT INTO log_entries (idx, entry, leaf_hash, at) SELECT 2, entry, leaf_hash, at FROM log_entries WHERE idx = 1",
        ])
        .await;
        assert!(!report.ok());
        assert_eq!(report.entries, 9);
        assert!(
            report
                .problems
                .iter()
                .any(|p| p.contains("signed tree head 3 does not match")),
            "{:?}",
            report.problems
        );
    }

    #[tokio::test]
    async fn detects_reordered_entries() {
        let report = tampered(&[
            "UPDATE log_entries SET idx = 100 WHERE idx = 2",
            "UPDATE log_entries SET idx = 2 WHERE idx = 3",
            "UPDATE log_entries SET idx = 3 WHERE idx = 100",
        ])
        .await;
        assert!(
            report.problems.iter().any(|p| p.contains("reordered")),
            "{:?}",
            report.problems
        );
        assert!(
            report
                .problems
                .iter()
                .any(|p| p.contains("signed tree head 3 does not match")),
            "{:?}",
            report.problems
        );
    }

    #[tokio::test]
    async fn detects_a_forged_head() {
        let report = tampered(&[
            "UPDATE tree_heads SET root_hash = '00' || substr(root_hash, 3) WHERE tree_size = 6",
        ])
        .await;
        assert!(
            report
                .problems
                .iter()
                .any(|p| p.contains("tree head 6: stored fields differ")),
            "{:?}",
            report.problems
        );
    }
}
