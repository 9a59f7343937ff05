-- Up Migration
-- The lot manifest of a large case (manifest/store.ts): its lots registered in chunks through the control
-- API, then sealed, read by the worker's intake in pages. Append-only: a chunk once stored is never
-- changed (the same chunk again answers the stored one; another body under its index is refused), and a
-- seal is its own row, so a sealed manifest is fixed by what no statement may change.
CREATE TABLE lot_manifest_chunks (
  case_id        TEXT NOT NULL,
  chunk_index    INTEGER NOT NULL CHECK (chunk_index >= 0),
  chunk_sha256   TEXT NOT NULL CHECK (chunk_sha256 ~ '^[0-9a-f]{64}$'),
  lot_count      INTEGER NOT NULL CHECK (lot_count BETWEEN 1 AND 2000),
  submitted_by   TEXT NOT NULL,
  stored_at      TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (case_id, chunk_index)
);
-- One row per lot, numbered within its chunk: the page order is (chunk_index, position).
CREATE TABLE lot_manifest_lots (
  case_id          TEXT NOT NULL,
  chunk_index      INTEGER NOT NULL,
  position         INTEGER NOT NULL,
  lot_id           TEXT NOT NULL,
  asset            TEXT NOT NULL,
  declared_amount  NUMERIC NOT NULL CHECK (declared_amount > 0),
  lot              JSONB NOT NULL,
  PRIMARY KEY (case_id, chunk_index, position),
  -- A lot id appears once in a case, whichever chunk carries it.
  UNIQUE (case_id, lot_id),
  FOREIGN KEY (case_id, chunk_index) REFERENCES lot_manifest_chunks (case_id, chunk_index)
);
-- The seal: the count and SHA-256 over the chunks' hashes in index order, and each asset's total.
CREATE TABLE lot_manifest_seals (
  manifest_id     TEXT PRIMARY KEY,
  case_id         TEXT NOT NULL UNIQUE,
  chunks          INTEGER NOT NULL CHECK (chunks >= 1),
  lot_count       INTEGER NOT NULL CHECK (lot_count >= 1),
  manifest_sha256 TEXT NOT NULL CHECK (manifest_sha256 ~ '^[0-9a-f]{64}$'),
  totals          JSONB NOT NULL,
  sealed_by       TEXT NOT NULL,
  sealed_at       TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);

CREATE FUNCTION refuse_manifest_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% rows are never changed', TG_TABLE_NAME;
END
$$;
-- A chunk added after the seal would change what the seal fixed.
CREATE FUNCTION refuse_chunk_after_seal() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM lot_manifest_seals WHERE case_id = NEW.case_id) THEN
    RAISE EXCEPTION 'the lot manifest of case % is sealed', NEW.case_id;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER lot_manifest_chunks_append_only BEFORE UPDATE OR DELETE ON lot_manifest_chunks
  FOR EACH ROW EXECUTE FUNCTION refuse_manifest_change();
CREATE TRIGGER lot_manifest_lots_append_only BEFORE UPDATE OR DELETE ON lot_manifest_lots
  FOR EACH ROW EXECUTE FUNCTION refuse_manifest_change();
CREATE TRIGGER lot_manifest_seals_append_only BEFORE UPDATE OR DELETE ON lot_manifest_seals
  FOR EACH ROW EXECUTE FUNCTION refuse_manifest_change();
CREATE TRIGGER lot_manifest_chunks_sealed BEFORE INSERT ON lot_manifest_chunks
  FOR EACH ROW EXECUTE FUNCTION refuse_chunk_after_seal();
CREATE TRIGGER lot_manifest_chunks_no_truncate BEFORE TRUNCATE ON lot_manifest_chunks
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_manifest_change();
CREATE TRIGGER lot_manifest_lots_no_truncate BEFORE TRUNCATE ON lot_manifest_lots
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_manifest_change();
CREATE TRIGGER lot_manifest_seals_no_truncate BEFORE TRUNCATE ON lot_manifest_seals
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_manifest_change();
