-- The access log: an append-only RFC 6962 Merkle log of every consent change
-- and every data access (refusals included). `entry` is the leaf's exact bytes
-- (canonical JSON); `leaf_hash` is SHA-256(0x00 || entry), kept for proofs and
-- recomputed by `anumati audit verify`.
CREATE TABLE log_entries (
    idx         BIGINT PRIMARY KEY,
    entry       TEXT NOT NULL,
    leaf_hash   BLOB NOT NULL,
    customer_id TEXT,
    consent_id  TEXT,
    at          BIGINT NOT NULL
);
CREATE INDEX log_entries_by_consent ON log_entries(consent_id, idx);
CREATE INDEX log_entries_by_customer ON log_entries(customer_id, idx);

-- Signed tree heads: the consent manager's signature over (size, time, root).
CREATE TABLE tree_heads (
    tree_size BIGINT PRIMARY KEY,
    root_hash TEXT NOT NULL,
    at        BIGINT NOT NULL,
    signed    TEXT NOT NULL
);

-- When each consent ends, for the expiry worker.
ALTER TABLE consents ADD COLUMN expires_at BIGINT;
CREATE INDEX consents_by_expiry ON consents(status, expires_at);
