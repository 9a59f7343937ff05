-- Up Migration
-- The one definition of refuse_change(), the trigger function every append-only table of every
-- schema calls (BEFORE UPDATE OR DELETE, FOR EACH ROW; BEFORE TRUNCATE, FOR EACH STATEMENT). It comes
-- with the shared migrations, which run before a schema's own (db/migrate.ts), so a service's tables
-- can use it from their first migration. Five migrations used to create their own (custody 00001,
-- exchange 00001, fx 00003, treasury 00003, notifications 00002), three wordings and two error codes:
-- a schema migrated before this one gets this definition here (OR REPLACE), a new one only this one.
-- restrict_violation (23001): a refused change is an integrity refusal, not a fault of the function.
CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused (its rows are never changed)', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'restrict_violation';
END;
$$;
