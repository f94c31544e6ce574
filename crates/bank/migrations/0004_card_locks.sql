-- Card locks, asked for by the customer through a data user and the consent
-- manager (`POST /v1/cards/lock`). `status` stays the lock state itself
-- ('active' or 'locked'); `locked_at` is when the card was locked (Unix
-- seconds), NULL while it is active. A card locked before this column existed
-- keeps NULL (when it was locked is not known), so the check only forbids a
-- lock time on an active card.
ALTER TABLE cards ADD COLUMN locked_at BIGINT CHECK (locked_at IS NULL OR status = 'locked');
