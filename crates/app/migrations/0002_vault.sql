-- The customer's copy of consented data, sealed per customer (see src/vault.rs).
-- `wrapped` is the customer's data key sealed under the master key; deleting it
-- (crypto-shredding) makes every sealed record unreadable for good.
CREATE TABLE data_keys (
    login   TEXT PRIMARY KEY,
    wrapped BLOB NOT NULL
);

CREATE TABLE vault (
    login      TEXT NOT NULL,
    kind       TEXT NOT NULL,
    id         TEXT NOT NULL,
    sealed     BLOB NOT NULL,
    keep_until BIGINT NOT NULL,
    PRIMARY KEY (login, kind, id)
);
CREATE INDEX vault_by_expiry ON vault(keep_until);
