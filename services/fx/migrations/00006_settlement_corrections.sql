-- Up Migration
-- Correcting a settlement's rate or CNY amount (issue 13, part 2) without editing it: one FX officer
-- requests the correction (its author), another person approves it (its approver, never the author),
-- and only the approval books two entries against the tranche: a REVERSAL of the version in force
-- (the original, or the last correction) and a CORRECTION with the corrected figures. The original
-- settlement row stays as it was; the version in force is its last CORRECTION entry, if any.

CREATE TABLE settlement_correction_requests (
  correction_id     TEXT PRIMARY KEY,
  settlement_id     TEXT NOT NULL REFERENCES settlements (settlement_id),
  declaration_id    TEXT NOT NULL REFERENCES declarations (declaration_id),
  case_id           TEXT NOT NULL,
  -- What the author said the tranche should have been (at least one of the two).
  corrected_rate    NUMERIC CHECK (corrected_rate > 0),
  corrected_cny     NUMERIC CHECK (corrected_cny >= 0 AND corrected_cny = round(corrected_cny, 2)),
  -- The version the request corrects: null for the original, else the correction in force then.
  corrects          TEXT,
  reason            TEXT NOT NULL,
  author            TEXT NOT NULL,
  author_act_id     TEXT NOT NULL,
  requested_at      TIMESTAMPTZ NOT NULL,
  CHECK (corrected_rate IS NOT NULL OR corrected_cny IS NOT NULL)
);
CREATE INDEX settlement_correction_requests_settlement ON settlement_correction_requests (settlement_id);

CREATE TABLE settlement_corrections (
  correction_id     TEXT PRIMARY KEY REFERENCES settlement_correction_requests (correction_id),
  settlement_id     TEXT NOT NULL REFERENCES settlements (settlement_id),
  case_id           TEXT NOT NULL,
  -- Corrections of one tranche are numbered: a version is corrected once (two approvals racing on one
  -- version cannot both book).
  seq               INTEGER NOT NULL CHECK (seq > 0),
  reason            TEXT NOT NULL,
  author            TEXT NOT NULL,
  approver          TEXT NOT NULL CHECK (approver <> author),
  approver_act_id   TEXT NOT NULL,
  corrected_at      TIMESTAMPTZ NOT NULL,
  UNIQUE (settlement_id, seq)
);

-- The entries: per correction a REVERSAL (the version in force, negated) and a CORRECTION (the new
-- figures). Signed like a ledger, so a tranche's CNY in force is its original plus its entries, and the
-- conservation the settlements table keeps holds for every entry too.
CREATE TABLE settlement_entries (
  correction_id       TEXT NOT NULL REFERENCES settlement_corrections (correction_id),
  kind                TEXT NOT NULL CHECK (kind IN ('REVERSAL', 'CORRECTION')),
  settlement_id       TEXT NOT NULL REFERENCES settlements (settlement_id),
  case_id             TEXT NOT NULL,
  currency            TEXT NOT NULL,
  net_foreign_amount  NUMERIC NOT NULL,
  rate                NUMERIC NOT NULL CHECK (rate > 0),
  cny_amount          NUMERIC NOT NULL CHECK (cny_amount = round(cny_amount, 2)),
  rounding_remainder  NUMERIC NOT NULL CHECK (abs(rounding_remainder) < 0.01),
  at                  TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (correction_id, kind),
  CHECK ((kind = 'REVERSAL' AND net_foreign_amount < 0) OR (kind = 'CORRECTION' AND net_foreign_amount > 0)),
  CHECK (cny_amount + rounding_remainder = net_foreign_amount * rate)
);

CREATE TRIGGER settlement_correction_requests_append_only BEFORE UPDATE OR DELETE ON settlement_correction_requests
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER settlement_correction_requests_no_truncate BEFORE TRUNCATE ON settlement_correction_requests
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER settlement_corrections_append_only BEFORE UPDATE OR DELETE ON settlement_corrections
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER settlement_corrections_no_truncate BEFORE TRUNCATE ON settlement_corrections
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER settlement_entries_append_only BEFORE UPDATE OR DELETE ON settlement_entries
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER settlement_entries_no_truncate BEFORE TRUNCATE ON settlement_entries
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- Money tables, bound to the audit chain like the others (docs/AUDIT.md).
SELECT audit_bind_table('settlement_correction_requests');
SELECT audit_bind_table('settlement_corrections');
SELECT audit_bind_table('settlement_entries');
