-- Up Migration
-- EVM transfers: every transaction custody signs is stored here BEFORE it is broadcast, under the
-- clientRef of the transfer it carries. A retry after a crash or a lost answer finds it and
-- broadcasts the very same signed bytes (same nonce, same hash) instead of signing another, so a
-- transfer can reach the chain at most once. Append-only: a signed transaction is never edited.
CREATE TABLE evm_signed_transactions (
  client_ref    TEXT PRIMARY KEY,
  chain         TEXT NOT NULL,
  from_address  TEXT NOT NULL,
  to_address    TEXT NOT NULL,
  nonce         BIGINT NOT NULL CHECK (nonce >= 0),
  tx_hash       TEXT NOT NULL UNIQUE,
  -- The signed transaction (public once broadcast; holds no key).
  raw           TEXT NOT NULL,
  signed_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX evm_signed_transactions_sender ON evm_signed_transactions (chain, from_address, nonce);
CREATE TRIGGER evm_signed_transactions_append_only BEFORE UPDATE OR DELETE ON evm_signed_transactions
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
