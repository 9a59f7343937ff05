-- Up Migration
-- Custody: one segregated account per (case, asset), intakes of seized coins, the destination
-- whitelist, outgoing transfers, and the append-only ledger whose sum is each account's balance.

-- Rows that record money or evidence are never edited or deleted: a correction is a new row.
-- refuse_change() is the shared migrations' (packages/shared/migrations/00002_refuse_change.sql).

CREATE TABLE custody_accounts (
  case_id    TEXT NOT NULL,
  asset      TEXT NOT NULL CHECK (asset IN ('BTC', 'ETH', 'USDT')),
  chain      TEXT NOT NULL CHECK (chain IN ('bitcoin', 'ethereum')),
  address    TEXT NOT NULL,
  opened_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (case_id, asset),
  UNIQUE (chain, address)
);
CREATE TRIGGER custody_accounts_append_only BEFORE UPDATE OR DELETE ON custody_accounts
  FOR EACH ROW EXECUTE FUNCTION refuse_change();

CREATE TABLE intakes (
  intake_id        TEXT PRIMARY KEY,
  case_id          TEXT NOT NULL,
  lot_id           TEXT NOT NULL,
  asset            TEXT NOT NULL,
  chain            TEXT NOT NULL,
  declared_amount  NUMERIC NOT NULL CHECK (declared_amount > 0),
  received_amount  NUMERIC NOT NULL CHECK (received_amount >= 0),
  difference       NUMERIC GENERATED ALWAYS AS (received_amount - declared_amount) STORED,
  status           TEXT NOT NULL CHECK (status IN ('RECEIVED', 'DISCREPANCY')),
  tx_hash          TEXT NOT NULL,
  -- What the chain showed when the intake was recorded: the evidence of the verification.
  from_address     TEXT NOT NULL,
  to_address       TEXT NOT NULL,
  block_height     BIGINT NOT NULL,
  confirmations    INTEGER NOT NULL CHECK (confirmations > 0),
  evidence         JSONB NOT NULL,
  recorded_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  FOREIGN KEY (case_id, asset) REFERENCES custody_accounts (case_id, asset),
  -- The same sweep transaction is never taken in twice.
  UNIQUE (chain, tx_hash),
  CHECK ((status = 'RECEIVED') = (received_amount = declared_amount))
);
CREATE INDEX intakes_case ON intakes (case_id);
CREATE TRIGGER intakes_append_only BEFORE UPDATE OR DELETE ON intakes
  FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- Issue #5 adds two approvers and a cooling-off period: new statuses (e.g. PENDING_APPROVAL,
-- REVOKED) and approval rows; a transfer only ever goes to an ACTIVE entry.
CREATE TABLE whitelist_entries (
  entry_id      TEXT PRIMARY KEY,
  chain         TEXT NOT NULL CHECK (chain IN ('bitcoin', 'ethereum')),
  address       TEXT NOT NULL,
  label         TEXT NOT NULL,
  requested_by  TEXT NOT NULL,
  status        TEXT NOT NULL CHECK (status IN ('ACTIVE')),
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (chain, address)
);

CREATE TABLE transfers (
  transfer_id     TEXT PRIMARY KEY,
  -- The Idempotency-Key of the request that created it: a retry after an unknown broadcast outcome
  -- finds this row (and its clientRef) instead of creating a second transfer.
  request_key     TEXT NOT NULL UNIQUE,
  case_id         TEXT NOT NULL,
  asset           TEXT NOT NULL,
  chain           TEXT NOT NULL,
  from_address    TEXT NOT NULL,
  to_address      TEXT NOT NULL,
  whitelist_entry TEXT NOT NULL REFERENCES whitelist_entries (entry_id),
  purpose         TEXT NOT NULL,
  amount          NUMERIC NOT NULL CHECK (amount > 0),
  fee             NUMERIC NOT NULL CHECK (fee >= 0 AND fee < amount),
  net_amount      NUMERIC GENERATED ALWAYS AS (amount - fee) STORED,
  -- The chain's idempotency reference, derived from transfer_id: a re-broadcast returns the same transaction.
  client_ref      TEXT NOT NULL UNIQUE,
  -- PENDING_BROADCAST: written, broadcast outcome not known yet (the amount is reserved).
  status          TEXT NOT NULL CHECK (status IN ('PENDING_BROADCAST', 'BROADCAST', 'CONFIRMED', 'FAILED')),
  tx_hash         TEXT UNIQUE,
  confirmations   INTEGER NOT NULL DEFAULT 0,
  failure         TEXT,
  created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  broadcast_at    TIMESTAMPTZ,
  FOREIGN KEY (case_id, asset) REFERENCES custody_accounts (case_id, asset),
  CHECK ((tx_hash IS NULL) = (status IN ('PENDING_BROADCAST', 'FAILED')))
);
CREATE INDEX transfers_account ON transfers (case_id, asset);

-- What a transfer may change after it is written: its progress, never its amounts or parties.
CREATE FUNCTION transfers_progress_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'transfers: DELETE refused' USING ERRCODE = 'restrict_violation';
  END IF;
  IF (NEW.transfer_id, NEW.request_key, NEW.case_id, NEW.asset, NEW.chain, NEW.from_address, NEW.to_address,
      NEW.amount, NEW.fee, NEW.client_ref)
     IS DISTINCT FROM
     (OLD.transfer_id, OLD.request_key, OLD.case_id, OLD.asset, OLD.chain, OLD.from_address, OLD.to_address,
      OLD.amount, OLD.fee, OLD.client_ref)
     OR (OLD.tx_hash IS NOT NULL AND NEW.tx_hash IS DISTINCT FROM OLD.tx_hash) THEN
    RAISE EXCEPTION 'transfers: amounts, parties and a stored txHash never change' USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER transfers_progress_only BEFORE UPDATE OR DELETE ON transfers
  FOR EACH ROW EXECUTE FUNCTION transfers_progress_only();

CREATE TABLE ledger_entries (
  entry_id    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  case_id     TEXT NOT NULL,
  asset       TEXT NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('INTAKE', 'TRANSFER_OUT', 'NETWORK_FEE')),
  -- Signed: credits positive, debits negative.
  amount      NUMERIC NOT NULL CHECK (amount <> 0),
  -- The intake id or transfer id the entry books.
  reference   TEXT NOT NULL,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  FOREIGN KEY (case_id, asset) REFERENCES custody_accounts (case_id, asset),
  CHECK ((kind = 'INTAKE') = (amount > 0)),
  -- Each intake or transfer is booked once.
  UNIQUE (kind, reference)
);
CREATE INDEX ledger_entries_account ON ledger_entries (case_id, asset);
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
