-- Identity requests: a data user asks who a chat account belongs to (account
-- linking for messaging platforms). The customer answers by logging in with
-- the bank on the consent manager's page; the data user learns the login once
-- (the first read of a VERIFIED request claims it). No bank data is involved.
CREATE TABLE identity_requests (
    handle       TEXT PRIMARY KEY,
    consumer_id  TEXT NOT NULL REFERENCES data_consumers(id),
    redirect_uri TEXT NOT NULL,
    -- What is being linked, as shown to the customer ("your Telegram chat").
    what         TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('PENDING','VERIFIED','CLAIMED')),
    customer     TEXT,
    customer_id  TEXT,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
