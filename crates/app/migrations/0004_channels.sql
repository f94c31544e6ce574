-- People who write to the assistant from a messaging platform. A row exists
-- from the first message; `login` is set only once the person proved, by
-- logging in with the bank on the consent manager's page and typing the code
-- it led to, which bank customer they are ("unlink" clears it).
-- `last_inbound_at` opens the platforms' 24-hour windows.
CREATE TABLE channel_senders (
    platform        TEXT NOT NULL,
    sender          TEXT NOT NULL,
    business_id     TEXT,
    login           TEXT REFERENCES users(login),
    linked_at       BIGINT,
    last_inbound_at BIGINT NOT NULL,
    PRIMARY KEY (platform, sender)
);
CREATE INDEX channel_senders_by_login ON channel_senders(login);

-- Account-linking attempts: the consent manager's identity request, and
-- once the bank login succeeded, the customer and a one-time code (its
-- SHA-256 only) that the person must type into the same chat.
CREATE TABLE channel_link_requests (
    cm_handle  TEXT PRIMARY KEY,
    platform   TEXT NOT NULL,
    sender     TEXT NOT NULL,
    login_url  TEXT NOT NULL,
    login      TEXT,
    code_hash  TEXT,
    attempts   INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX channel_link_requests_by_sender ON channel_link_requests(platform, sender, created_at);
