-- The consent manager's own tables. It never stores the data it relays.
-- Times are BIGINT Unix seconds (UTC).

-- Data users allowed to request consents, and the key their calls are signed with.
CREATE TABLE data_consumers (
    id       TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    jwk      TEXT NOT NULL
);

-- A consent from request to end. `artefact` is the signed compact JWS once approved.
CREATE TABLE consents (
    handle        TEXT PRIMARY KEY,
    consent_id    TEXT UNIQUE,
    consumer_id   TEXT NOT NULL REFERENCES data_consumers(id),
    customer      TEXT NOT NULL,
    customer_id   TEXT,
    request_json  TEXT NOT NULL,
    redirect_uri  TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('PENDING','ACTIVE','PAUSED','REVOKED','EXPIRED','REJECTED')),
    artefact      TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX consents_by_customer ON consents(customer_id);

-- Short-lived sessions of customers on the approval page.
CREATE TABLE page_sessions (
    token         TEXT PRIMARY KEY,
    handle        TEXT NOT NULL REFERENCES consents(handle),
    customer_id   TEXT NOT NULL,
    login         TEXT NOT NULL,
    name          TEXT NOT NULL,
    accounts_json TEXT NOT NULL,
    csrf          TEXT NOT NULL,
    expires_at    BIGINT NOT NULL
);
