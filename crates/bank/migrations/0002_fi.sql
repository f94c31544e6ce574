-- Nonces of the data users' key material, per consent: a nonce seen once is
-- never accepted again (replay protection for FI requests).
CREATE TABLE fi_nonces (
    consent_id TEXT NOT NULL,
    nonce      TEXT NOT NULL,
    at         BIGINT NOT NULL,
    PRIMARY KEY (consent_id, nonce)
);
