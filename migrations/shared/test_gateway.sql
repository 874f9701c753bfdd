-- The built-in test payment gateway's ledger (a card processor keeps its own):
-- one row per idempotency key, so an order is captured at most once, ever,
-- whichever worker process retries the charge.
CREATE TABLE test_gateway_charges (
    idempotency_key TEXT PRIMARY KEY,
    result          TEXT   NOT NULL,
    captures        BIGINT NOT NULL
);
