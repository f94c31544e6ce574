-- Statement entries imported from files (MT940, camt, …), by a key derived
-- from the entry's own fields, so importing the same file twice adds nothing.
CREATE TABLE imported_entries (
    entry_key      TEXT PRIMARY KEY,
    transaction_id TEXT NOT NULL REFERENCES transactions(id) DEFERRABLE INITIALLY DEFERRED,
    source         TEXT NOT NULL,
    imported_at    BIGINT NOT NULL
);
