-- The bank node's own tables. No other role opens this database.
-- Money is stored as BIGINT minor units beside a three-letter currency code.
-- Times are BIGINT Unix seconds (UTC); calendar dates are TEXT 'YYYY-MM-DD'.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE customers (
    id            TEXT PRIMARY KEY,
    login         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    name          TEXT NOT NULL,
    city          TEXT NOT NULL,
    country       TEXT NOT NULL,
    time_zone     TEXT NOT NULL
);

CREATE TABLE accounts (
    id                    TEXT PRIMARY KEY,
    customer_id           TEXT NOT NULL REFERENCES customers(id),
    kind                  TEXT NOT NULL CHECK (kind IN ('savings', 'current', 'credit_card')),
    number                TEXT NOT NULL UNIQUE,
    currency              TEXT NOT NULL,
    limit_minor           BIGINT NOT NULL CHECK (limit_minor >= 0),
    opening_balance_minor BIGINT NOT NULL,
    opened_on             TEXT NOT NULL
);
CREATE INDEX accounts_by_customer ON accounts(customer_id);

CREATE TABLE cards (
    id         TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    kind       TEXT NOT NULL CHECK (kind IN ('debit', 'credit')),
    masked_pan TEXT NOT NULL,
    network    TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('active', 'locked'))
);
CREATE INDEX cards_by_account ON cards(account_id);

CREATE TABLE merchants (
    id      TEXT PRIMARY KEY,
    name    TEXT NOT NULL,
    mcc     TEXT NOT NULL,
    city    TEXT NOT NULL,
    country TEXT NOT NULL,
    online  INTEGER NOT NULL CHECK (online IN (0, 1))
);

-- amount_minor is signed: negative leaves the account. A card payment keeps the
-- place where it happened (city, country) even for a chain merchant.
CREATE TABLE transactions (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts(id),
    booked_at    BIGINT NOT NULL,
    value_date   TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    currency     TEXT NOT NULL,
    kind         TEXT NOT NULL,
    channel      TEXT NOT NULL,
    description  TEXT NOT NULL,
    merchant_id  TEXT REFERENCES merchants(id),
    city         TEXT,
    country      TEXT,
    card_id      TEXT REFERENCES cards(id),
    counterparty TEXT,
    category     TEXT NOT NULL
);
CREATE INDEX transactions_by_account_time ON transactions(account_id, booked_at, id);

-- What the consent manager told the bank about consents (revocations, pauses).
CREATE TABLE consent_notices (
    consent_id TEXT PRIMARY KEY,
    status     TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Every data request served or refused, for frequency limits and audit.
CREATE TABLE data_fetches (
    id         INTEGER PRIMARY KEY,
    consent_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    kind       TEXT NOT NULL,
    at         BIGINT NOT NULL
);
CREATE INDEX data_fetches_by_consent ON data_fetches(consent_id, at);
