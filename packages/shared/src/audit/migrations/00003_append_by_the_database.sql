-- Up Migration
-- Records are appended by the database itself (issue 12): `audit_append(kind, actor, case_id, data)`
-- takes the chain's lock, assigns seq = last + 1, at = clock_timestamp() to the millisecond,
-- prev_hash = the last record's hash, and computes the hash. The roles the services work as keep
-- SELECT on audit_records and lose INSERT: they may only EXECUTE the function, so they can no longer
-- choose a record's seq, link or hash (before this, a service role's INSERT with a seq of its own
-- choosing poisoned the chain).
--
-- Why SECURITY DEFINER: the function must insert into a table its caller may not insert into, so it
-- runs with the rights of its owner, the schema's owner that runs these migrations (who owns the
-- table). A plain (SECURITY INVOKER) function would need the caller to hold INSERT on the table, and a
-- caller holding INSERT can bypass the function. Definer functions are dangerous only through what
-- they let the caller choose: here the caller chooses only kind, actor, case_id and data; the
-- function's search_path is pinned to this schema (then pg_temp, last), so a caller cannot shadow
-- audit_records or the hash function with objects of its own; and EXECUTE is revoked from PUBLIC and
-- granted to the service roles only (db/service-role.ts, at every start).
--
-- The hash is versioned (hash_v). Records written before this migration keep version 1 (SHA-256 of
-- the canonical JSON computed in TypeScript, audit/chain.ts); records appended by the function are
-- version 2: SHA-256 of this exact UTF-8 string, one field per line, every text length-prefixed (its
-- length in UTF-8 bytes, a colon, the text), so no field can run into the next:
--
--   vcdc-audit-record/2
--   <prev_hash>
--   <seq in decimal>
--   <at in UTC: YYYY-MM-DDTHH:MM:SS.ffffffZ, microseconds>
--   <len>:<kind>
--   <len>:<actor>
--   <len>:<case_id>      or  -   when there is none
--   <len>:<data::text>   (jsonb's own text rendering)
--
-- The verifier reads back `data::text` and the same rendering of `at` and recomputes it in TypeScript
-- (auditRecordHashV2), never trusting the database to compute it.
--
-- The owner of the table can still disable the triggers and rewrite records and hashes consistently:
-- that is what the signed checkpoints kept outside the database detect (audit/checkpoint.ts).
ALTER TABLE audit_records ADD COLUMN hash_v SMALLINT NOT NULL DEFAULT 1 CHECK (hash_v IN (1, 2));
ALTER TABLE audit_records ALTER COLUMN hash_v SET DEFAULT 2;

CREATE FUNCTION audit_record_hash_v2(
  prev_hash TEXT, seq BIGINT, at TIMESTAMPTZ, kind TEXT, actor TEXT, case_id TEXT, data JSONB
) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$
  SELECT encode(sha256(convert_to(
    'vcdc-audit-record/2' || E'\n' ||
    prev_hash || E'\n' ||
    seq::text || E'\n' ||
    to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') || E'\n' ||
    octet_length(convert_to(kind, 'UTF8')) || ':' || kind || E'\n' ||
    octet_length(convert_to(actor, 'UTF8')) || ':' || actor || E'\n' ||
    CASE WHEN case_id IS NULL THEN '-' ELSE octet_length(convert_to(case_id, 'UTF8')) || ':' || case_id END || E'\n' ||
    octet_length(convert_to(data::text, 'UTF8')) || ':' || data::text,
  'UTF8')), 'hex')
$$;

CREATE FUNCTION audit_append(p_kind TEXT, p_actor TEXT, p_case_id TEXT, p_data JSONB)
RETURNS audit_records LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
  last_seq BIGINT;
  last_hash TEXT;
  new_at TIMESTAMPTZ;
  appended audit_records;
BEGIN
  IF p_kind IS NULL OR p_actor IS NULL OR p_data IS NULL THEN
    RAISE EXCEPTION 'audit_append: kind, actor and data are required' USING ERRCODE = 'not_null_violation';
  END IF;
  -- The same transaction-scoped lock the writers took before this function existed: appends are
  -- serialised until the caller's transaction ends, so the chain has no gap and no fork.
  PERFORM pg_advisory_xact_lock(hashtext(current_schema() || '.audit_records'));
  SELECT r.seq, r.hash INTO last_seq, last_hash FROM audit_records r ORDER BY r.seq DESC LIMIT 1;
  last_seq := coalesce(last_seq, 0);
  last_hash := coalesce(last_hash, repeat('0', 64));
  -- Milliseconds, so the time reads back exactly in JavaScript (Date) as it was hashed.
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

-- Pin the definer function's search_path to this schema (pg_catalog is searched first anyway;
-- pg_temp last, so no temporary object can shadow ours).
DO $$
BEGIN
  EXECUTE format('ALTER FUNCTION audit_append(TEXT, TEXT, TEXT, JSONB) SET search_path = %I, pg_temp', current_schema());
END;
$$;
REVOKE ALL ON FUNCTION audit_append(TEXT, TEXT, TEXT, JSONB) FROM PUBLIC;

-- Whoever may insert into audit_records today, other than its owner, may append through the function
-- instead, and no longer insert directly (the service roles: db/service-role.ts does the same at
-- every start, for roles created later).
DO $$
DECLARE
  grantee TEXT;
BEGIN
  REVOKE INSERT ON audit_records FROM PUBLIC;
  FOR grantee IN
    SELECT DISTINCT pg_get_userbyid(a.grantee)
      FROM pg_class c, aclexplode(c.relacl) a
     WHERE c.oid = 'audit_records'::regclass AND a.privilege_type = 'INSERT'
       AND a.grantee <> 0 AND a.grantee <> c.relowner
  LOOP
    EXECUTE format('REVOKE INSERT ON audit_records FROM %I', grantee);
    EXECUTE format('GRANT EXECUTE ON FUNCTION audit_append(TEXT, TEXT, TEXT, JSONB) TO %I', grantee);
  END LOOP;
END;
$$;
