-- Up Migration
-- Bind the tables that record value to the audit chain (issue 12; audit migration 00004_bound_rows explains how):
-- from here on the database appends every row's image to the chain at commit, and the verifier compares.
SELECT audit_bind_table('intakes');
SELECT audit_bind_table('transfers');
SELECT audit_bind_table('ledger_entries');
SELECT audit_bind_table('venue_returns');

-- The chain's migrations now run before these (they define audit_bind_table), so 00003's grant of
-- SELECT, INSERT on every table reached audit_records too: the role reads the chain and appends to it
-- only through audit_append (audit migration 00003), as every other service's role.
DO $$
DECLARE
  role_name TEXT := current_schema() || '_service';
BEGIN
  EXECUTE format('REVOKE ALL ON audit_records FROM %I', role_name);
  EXECUTE format('GRANT SELECT ON audit_records TO %I', role_name);
  EXECUTE format('GRANT EXECUTE ON FUNCTION audit_append(TEXT, TEXT, TEXT, JSONB) TO %I', role_name);
END;
$$;
