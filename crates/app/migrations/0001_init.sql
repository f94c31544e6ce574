-- The chat app's own tables. It holds its users, their sessions and the
-- consents they linked; bank data is fetched under a consent per question
-- (VIEW mode) and never written here.

CREATE TABLE users (
    login         TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE sessions (
    token      TEXT PRIMARY KEY,
    login      TEXT NOT NULL REFERENCES users(login),
    expires_at BIGINT NOT NULL
);

-- One row per consent request the app made for a user.
CREATE TABLE links (
    handle     TEXT PRIMARY KEY,
    login      TEXT NOT NULL REFERENCES users(login),
    consent_id   TEXT,
    artefact     TEXT,
    approval_url TEXT NOT NULL,
    status     TEXT NOT NULL,
    -- Order of activation: the newest active consent is the one the chat uses.
    activated_seq BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX links_by_login ON links(login, updated_at);
