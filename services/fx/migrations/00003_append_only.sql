-- Up Migration
-- What happened to a declaration and each settlement of it are facts: never changed, never removed (a
-- declaration's state is its latest transition). The service's role is granted SELECT and INSERT on
-- them for that reason (packages/shared/src/db/service-role.ts finds these triggers).
-- refuse_change() is the shared migrations' (packages/shared/migrations/00002_refuse_change.sql).

CREATE TRIGGER declaration_transitions_append_only BEFORE UPDATE OR DELETE ON declaration_transitions
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER declaration_transitions_no_truncate BEFORE TRUNCATE ON declaration_transitions
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

CREATE TRIGGER settlements_append_only BEFORE UPDATE OR DELETE ON settlements
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER settlements_no_truncate BEFORE TRUNCATE ON settlements
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
