-- The double-entry ledger, card holds, payment consents, payments and the
-- simulated SMS gateway.
--
-- Every movement of money is a journal entry of two or more postings that sum
-- to zero per currency. A customer account's booked balance is the sum of its
-- postings. The bank's own side of a movement goes to an internal account,
-- one per purpose and currency (`int_<purpose>_<CUR>`):
--   opening          opening balances (the bank's equity against them)
--   card_settlement  card payments, settled with the card networks
--   clearing         money that left for or came from other banks
--   fees             the bank's fee income
-- `transactions` stays the customer's statement: every statement line is one
-- posting on a customer account. A line written without `entry_id` (the
-- simulator, statement imports) is its own journal entry, id = the
-- transaction's id, balanced by a trigger against the clearing or card
-- settlement account; a line with `entry_id` belongs to an entry its writer
-- made (payments).

CREATE TABLE internal_accounts (
    id       TEXT PRIMARY KEY,
    purpose  TEXT NOT NULL CHECK (purpose IN ('opening', 'card_settlement', 'clearing', 'fees')),
    currency TEXT NOT NULL,
    UNIQUE (purpose, currency)
);

CREATE TABLE journal_entries (
    id   TEXT PRIMARY KEY,
    at   BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('opening', 'statement', 'transfer', 'outbound', 'return', 'card_capture'))
);

CREATE TABLE postings (
    id           INTEGER PRIMARY KEY,
    entry_id     TEXT NOT NULL REFERENCES journal_entries(id),
    account_id   TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    currency     TEXT NOT NULL
);
CREATE INDEX postings_by_account ON postings(account_id, amount_minor);
CREATE INDEX postings_by_entry ON postings(entry_id);

ALTER TABLE transactions ADD COLUMN entry_id TEXT;

-- Backfill: every existing opening balance and statement line becomes a
-- balanced journal entry. Nothing a customer sees changes.
INSERT OR IGNORE INTO internal_accounts (id, purpose, currency)
    SELECT 'int_opening_' || currency, 'opening', currency FROM accounts GROUP BY currency;
INSERT OR IGNORE INTO internal_accounts (id, purpose, currency)
    SELECT 'int_clearing_' || currency, 'clearing', currency FROM transactions GROUP BY currency;
INSERT OR IGNORE INTO internal_accounts (id, purpose, currency)
    SELECT 'int_card_settlement_' || currency, 'card_settlement', currency FROM transactions GROUP BY currency;

INSERT INTO journal_entries (id, at, kind)
    SELECT 'open_' || id, CAST(strftime('%s', opened_on) AS INTEGER), 'opening'
    FROM accounts WHERE opening_balance_minor <> 0;
INSERT INTO postings (entry_id, account_id, amount_minor, currency)
    SELECT 'open_' || id, id, opening_balance_minor, currency
    FROM accounts WHERE opening_balance_minor <> 0;
INSERT INTO postings (entry_id, account_id, amount_minor, currency)
    SELECT 'open_' || id, 'int_opening_' || currency, -opening_balance_minor, currency
    FROM accounts WHERE opening_balance_minor <> 0;

INSERT INTO journal_entries (id, at, kind)
    SELECT id, booked_at, 'statement' FROM transactions;
INSERT INTO postings (entry_id, account_id, amount_minor, currency)
    SELECT id, account_id, amount_minor, currency FROM transactions;
INSERT INTO postings (entry_id, account_id, amount_minor, currency)
    SELECT id,
           CASE kind WHEN 'card_payment' THEN 'int_card_settlement_' ELSE 'int_clearing_' END || currency,
           -amount_minor, currency
    FROM transactions;

-- New accounts and statement lines from writers that know nothing of the
-- ledger (the simulator, statement imports) are balanced here.
CREATE TRIGGER accounts_opening_entry AFTER INSERT ON accounts
WHEN NEW.opening_balance_minor <> 0
BEGIN
    INSERT OR IGNORE INTO internal_accounts (id, purpose, currency)
        VALUES ('int_opening_' || NEW.currency, 'opening', NEW.currency);
    INSERT INTO journal_entries (id, at, kind)
        VALUES ('open_' || NEW.id, CAST(strftime('%s', NEW.opened_on) AS INTEGER), 'opening');
    INSERT INTO postings (entry_id, account_id, amount_minor, currency)
        VALUES ('open_' || NEW.id, NEW.id, NEW.opening_balance_minor, NEW.currency),
               ('open_' || NEW.id, 'int_opening_' || NEW.currency, -NEW.opening_balance_minor, NEW.currency);
END;

CREATE TRIGGER transactions_statement_entry AFTER INSERT ON transactions
WHEN NEW.entry_id IS NULL
BEGIN
    INSERT OR IGNORE INTO internal_accounts (id, purpose, currency)
        VALUES (CASE NEW.kind WHEN 'card_payment' THEN 'int_card_settlement_' ELSE 'int_clearing_' END || NEW.currency,
                CASE NEW.kind WHEN 'card_payment' THEN 'card_settlement' ELSE 'clearing' END,
                NEW.currency);
    INSERT INTO journal_entries (id, at, kind) VALUES (NEW.id, NEW.booked_at, 'statement');
    INSERT INTO postings (entry_id, account_id, amount_minor, currency)
        VALUES (NEW.id, NEW.account_id, NEW.amount_minor, NEW.currency),
               (NEW.id,
                CASE NEW.kind WHEN 'card_payment' THEN 'int_card_settlement_' ELSE 'int_clearing_' END || NEW.currency,
                -NEW.amount_minor, NEW.currency);
END;

-- Card authorisations not yet settled: they lower the available balance.
-- A hold is released (the authorisation lapsed or was reversed) or captured
-- (settled: a journal entry, `entry_id`); either way it is final.
CREATE TABLE holds (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts(id),
    card_id      TEXT REFERENCES cards(id),
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    currency     TEXT NOT NULL,
    merchant     TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'released', 'captured')),
    created_at   BIGINT NOT NULL,
    closed_at    BIGINT,
    entry_id     TEXT REFERENCES journal_entries(id),
    CHECK ((status = 'captured') = (entry_id IS NOT NULL))
);
CREATE INDEX holds_pending ON holds(account_id) WHERE status = 'pending';

-- Payees a customer saved: a UPI-style address (`name@bank`) or an account number.
CREATE TABLE beneficiaries (
    id             TEXT PRIMARY KEY,
    customer_id    TEXT NOT NULL REFERENCES customers(id),
    name           TEXT NOT NULL,
    vpa            TEXT,
    account_number TEXT,
    created_at     BIGINT NOT NULL,
    CHECK ((vpa IS NULL) <> (account_number IS NULL))
);
CREATE INDEX beneficiaries_by_customer ON beneficiaries(customer_id);

-- UK Open Banking domestic-payment-consents. The one-time code is kept only
-- as a salted SHA-256 (`otp_hash`, `otp_salt`); three wrong codes reject the consent.
CREATE TABLE payment_consents (
    id                      TEXT PRIMARY KEY,
    client_id               TEXT NOT NULL,
    customer_id             TEXT NOT NULL REFERENCES customers(id),
    debtor_account_id       TEXT NOT NULL REFERENCES accounts(id),
    amount_minor            BIGINT NOT NULL CHECK (amount_minor > 0),
    currency                TEXT NOT NULL,
    fee_minor               BIGINT NOT NULL CHECK (fee_minor >= 0),
    creditor_scheme         TEXT NOT NULL,
    creditor_identification TEXT NOT NULL,
    creditor_name           TEXT NOT NULL,
    creditor_account_id     TEXT REFERENCES accounts(id),
    reference               TEXT NOT NULL,
    status                  TEXT NOT NULL CHECK (status IN ('AwaitingAuthorisation', 'Authorised', 'Rejected', 'Consumed')),
    status_reason           TEXT,
    created_at              BIGINT NOT NULL,
    expires_at              BIGINT NOT NULL,
    otp_hash                TEXT,
    otp_salt                TEXT,
    otp_expires_at          BIGINT,
    otp_failures            INTEGER NOT NULL DEFAULT 0,
    updated_at              BIGINT NOT NULL
);
CREATE INDEX payment_consents_open ON payment_consents(status, expires_at);

-- Executed payments: one per consumed consent, with the journal entry that
-- moved the money. External payments wait in `outbound_queue` until the
-- clearing network settles or returns them.
CREATE TABLE payments (
    id                  TEXT PRIMARY KEY,
    consent_id          TEXT NOT NULL UNIQUE REFERENCES payment_consents(id),
    client_id           TEXT NOT NULL,
    customer_id         TEXT NOT NULL REFERENCES customers(id),
    debtor_account_id   TEXT NOT NULL REFERENCES accounts(id),
    creditor_account_id TEXT REFERENCES accounts(id),
    amount_minor        BIGINT NOT NULL CHECK (amount_minor > 0),
    fee_minor           BIGINT NOT NULL CHECK (fee_minor >= 0),
    currency            TEXT NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('AcceptedSettlementInProcess', 'AcceptedSettlementCompleted', 'Rejected')),
    status_reason       TEXT,
    entry_id            TEXT NOT NULL UNIQUE REFERENCES journal_entries(id),
    return_entry_id     TEXT UNIQUE REFERENCES journal_entries(id),
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    CHECK ((status = 'Rejected') = (return_entry_id IS NOT NULL))
);
CREATE INDEX payments_by_customer ON payments(customer_id, created_at);

CREATE TABLE outbound_queue (
    payment_id TEXT PRIMARY KEY REFERENCES payments(id),
    status     TEXT NOT NULL CHECK (status IN ('queued', 'settled', 'returned')),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX outbound_queued ON outbound_queue(status) WHERE status = 'queued';

-- x-idempotency-key, per client: the request's hash and the first answer.
CREATE TABLE idempotency_keys (
    client_id    TEXT NOT NULL,
    key          TEXT NOT NULL,
    operation    TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status_code  INTEGER NOT NULL,
    response     TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (client_id, key)
);

-- The simulated SMS gateway: messages "sent" to a customer's phone.
CREATE TABLE sms_outbox (
    id          INTEGER PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    body        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX sms_outbox_by_customer ON sms_outbox(customer_id, id);
