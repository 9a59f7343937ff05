-- Up Migration
-- Every row that records value is bound to the chain (issue 12, part 3). A table is bound by
-- `audit_bind_table('<table>')`, called by the service's own migrations (the owner runs them): from
-- then on the database itself appends, at the commit of every transaction that inserts or changes a
-- row of that table, a record carrying the row's full image:
--
--   kind  row.inserted | row.updated      (row.bound: the rows a table already held when it was bound)
--   actor db:<session_user>               (the login that wrote it: a service role, or the owner by hand)
--   case  the row's case_id, if it has one
--   data  {"table": "<table>", "key": [<primary key values>], "row": <the row's image>}
--
-- The image is to_jsonb of the row with every number as its decimal text ("100.00", not 100): money
-- keeps its scale, and a reader parsing JSON into doubles loses nothing.
--
-- and `table.bound` once per binding: {"table", "key": [<primary key columns>], "appendOnly", "rows"}.
-- The verifier (audit/verify.ts) takes each bound table's latest image per key from the verified
-- chain and compares it with the table as it is: a row edited, deleted or added behind the chain's
-- back is named with its key, and each case's sums are re-derived from the images and compared.
--
-- Why a DEFERRED constraint trigger: the record is appended at commit, after all the transaction's
-- work, like the records the services append last: the chain's lock is taken after every row lock
-- the work takes, never before one (appending in the middle of a transaction could deadlock two
-- writers), and a row inserted then updated in one transaction is recorded as both, in order.
--
-- Why SECURITY DEFINER: the service roles may not append `row.*` or `table.*` records themselves
-- (audit_append refuses those kinds), so only the trigger, running with its owner's rights, can.
-- Images are rendered in UTC (timestamps in jsonb follow the session's TimeZone; the verifier reads
-- in UTC too).
--
-- A migration that changes a bound table's columns calls `audit_bind_table` again: the new binding
-- records every row's new image, so the change is itself on the chain.

-- The chain's one writer, unchanged from 00003 but for its name: no role but the owner may call it;
-- the service roles reach it through audit_append, the database through the functions below.
CREATE FUNCTION audit_chain_append(p_kind TEXT, p_actor TEXT, p_case_id TEXT, p_data JSONB)
RETURNS audit_records LANGUAGE plpgsql AS $$
DECLARE
  last_seq BIGINT;
  last_hash TEXT;
  new_at TIMESTAMPTZ;
  appended audit_records;
BEGIN
  IF p_kind IS NULL OR p_actor IS NULL OR p_data IS NULL THEN
    RAISE EXCEPTION 'audit_append: kind, actor and data are required' USING ERRCODE = 'not_null_violation';
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext(current_schema() || '.audit_records'));
  SELECT r.seq, r.hash INTO last_seq, last_hash FROM audit_records r ORDER BY r.seq DESC LIMIT 1;
  last_seq := coalesce(last_seq, 0);
  last_hash := coalesce(last_hash, repeat('0', 64));
  new_at := date_trunc('milliseconds', clock_timestamp());
  INSERT INTO audit_records (seq, at, kind, actor, case_id, data, prev_hash, hash, hash_v)
  VALUES (
    last_seq + 1, new_at, p_kind, p_actor, p_case_id, p_data, last_hash,
    audit_record_hash_v2(last_hash, last_seq + 1, new_at, p_kind, p_actor, p_case_id, p_data), 2
  )
  RETURNING * INTO appended;
  RETURN appended;
END;
$$;
REVOKE ALL ON FUNCTION audit_chain_append(TEXT, TEXT, TEXT, JSONB) FROM PUBLIC;

-- What the service roles call: any kind but the database's own.
CREATE OR REPLACE FUNCTION audit_append(p_kind TEXT, p_actor TEXT, p_case_id TEXT, p_data JSONB)
RETURNS audit_records LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
  IF p_kind LIKE 'row.%' OR p_kind LIKE 'table.%' THEN
    RAISE EXCEPTION 'audit_append: % records are appended by the database itself', p_kind
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN audit_chain_append(p_kind, p_actor, p_case_id, p_data);
END;
$$;

-- A row's image as the chain records it (the verifier computes the same inline).
CREATE FUNCTION audit_row_image(r JSONB) RETURNS JSONB LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(
    jsonb_object_agg(k, CASE jsonb_typeof(v) WHEN 'number' THEN to_jsonb(v #>> '{}') ELSE v END),
    '{}'::jsonb
  ) FROM jsonb_each(r) AS e(k, v)
$$;

-- A row's key as the chain records it: its primary key values, in the key's column order.
CREATE FUNCTION audit_row_key(image JSONB, key_columns TEXT[]) RETURNS JSONB LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_agg(image -> c ORDER BY o) FROM unnest(key_columns) WITH ORDINALITY AS u(c, o)
$$;

CREATE FUNCTION audit_bound_row() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
  image JSONB;
BEGIN
  -- An UPDATE that changed nothing moved nothing.
  IF TG_OP = 'UPDATE' AND to_jsonb(NEW) = to_jsonb(OLD) THEN
    RETURN NULL;
  END IF;
  image := audit_row_image(to_jsonb(NEW));
  PERFORM audit_chain_append(
    CASE TG_OP WHEN 'INSERT' THEN 'row.inserted' ELSE 'row.updated' END,
    'db:' || session_user,
    image ->> 'case_id',
    jsonb_build_object('table', TG_TABLE_NAME, 'key', audit_row_key(image, TG_ARGV), 'row', image)
  );
  RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION audit_bound_row() FROM PUBLIC;

CREATE FUNCTION audit_bind_table(p_table TEXT) RETURNS BIGINT LANGUAGE plpgsql AS $$
DECLARE
  rel REGCLASS := to_regclass(format('%I.%I', current_schema(), p_table));
  key_columns TEXT[];
  append_only BOOLEAN;
  row_count BIGINT;
  bound RECORD;
BEGIN
  IF rel IS NULL THEN
    RAISE EXCEPTION 'audit_bind_table: no table %.%', current_schema(), p_table;
  END IF;
  SELECT array_agg(a.attname::text ORDER BY k.ord) INTO key_columns
    FROM pg_index i
    CROSS JOIN LATERAL unnest(i.indkey::smallint[]) WITH ORDINALITY AS k(attnum, ord)
    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
   WHERE i.indrelid = rel AND i.indisprimary;
  IF key_columns IS NULL THEN
    RAISE EXCEPTION 'audit_bind_table: % has no primary key to name its rows by', p_table;
  END IF;
  -- Append-only: a row-level BEFORE UPDATE trigger calling refuse_change() guards it (as db/service-role.ts reads it).
  append_only := EXISTS (
    SELECT 1 FROM pg_trigger t JOIN pg_proc f ON f.oid = t.tgfoid
     WHERE t.tgrelid = rel AND NOT t.tgisinternal AND f.proname = 'refuse_change'
       AND (t.tgtype & 1) = 1 AND (t.tgtype & 2) = 2 AND (t.tgtype & 16) = 16
  );
  EXECUTE format('DROP TRIGGER IF EXISTS audit_bound_row ON %s', rel);
  EXECUTE format(
    'CREATE CONSTRAINT TRIGGER audit_bound_row AFTER INSERT OR UPDATE ON %s DEFERRABLE INITIALLY DEFERRED '
      'FOR EACH ROW EXECUTE FUNCTION audit_bound_row(%s)',
    rel, (SELECT string_agg(quote_literal(c), ', ') FROM unnest(key_columns) AS c)
  );
  EXECUTE format('SELECT count(*) FROM %s', rel) INTO row_count;
  PERFORM audit_chain_append(
    'table.bound', 'db:' || session_user, NULL,
    jsonb_build_object('table', p_table, 'key', to_jsonb(key_columns), 'appendOnly', append_only, 'rows', row_count)
  );
  FOR bound IN EXECUTE format('SELECT audit_row_image(to_jsonb(t)) AS image FROM %s t', rel) LOOP
    PERFORM audit_chain_append(
      'row.bound', 'db:' || session_user, bound.image ->> 'case_id',
      jsonb_build_object('table', p_table, 'key', audit_row_key(bound.image, key_columns), 'row', bound.image)
    );
  END LOOP;
  RETURN row_count;
END;
$$;
REVOKE ALL ON FUNCTION audit_bind_table(TEXT) FROM PUBLIC;

-- Pinned search paths (as 00003 explains) and UTC for every image.
DO $$
BEGIN
  EXECUTE format('ALTER FUNCTION audit_chain_append(TEXT, TEXT, TEXT, JSONB) SET search_path = %I, pg_temp', current_schema());
  EXECUTE format('ALTER FUNCTION audit_append(TEXT, TEXT, TEXT, JSONB) SET search_path = %I, pg_temp', current_schema());
  EXECUTE format('ALTER FUNCTION audit_bound_row() SET search_path = %I, pg_temp', current_schema());
  EXECUTE format('ALTER FUNCTION audit_bind_table(TEXT) SET search_path = %I, pg_temp', current_schema());
END;
$$;
ALTER FUNCTION audit_bound_row() SET timezone = 'UTC';
ALTER FUNCTION audit_bind_table(TEXT) SET timezone = 'UTC';

-- The verifier finds a table's latest image per key without reading the whole chain again.
CREATE INDEX audit_records_bound_rows ON audit_records ((data ->> 'table'), (data ->> 'key'), seq)
  WHERE kind IN ('row.inserted', 'row.updated', 'row.bound');
