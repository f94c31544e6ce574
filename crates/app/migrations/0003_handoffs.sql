-- Conversations the assistant passed to a person at the bank: who, why, when.
-- The customer's words are not copied here; erasing the customer's data
-- deletes their rows.
CREATE TABLE handoffs (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    login      TEXT NOT NULL REFERENCES users(login),
    reason     TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX handoffs_by_login ON handoffs(login);
