-- An account's held amount is summed on every authorisation and balance
-- read: keep the pending holds' status and amounts in their index, so that
-- the sum reads the index alone instead of every hold's row.
DROP INDEX holds_pending;
CREATE INDEX holds_pending ON holds(account_id, status, amount_minor) WHERE status = 'pending';
