-- Up Migration
-- The outbox's rows are never changed (a relay keeps its own delivery state): a trigger refuses any
-- change, and the role the worker and the control API work as (notifications_service) is granted only
-- SELECT and INSERT on it for that reason (service-role.ts finds the trigger).
-- refuse_change() is the shared migrations' (packages/shared/migrations/00002_refuse_change.sql).
CREATE TRIGGER notifications_append_only BEFORE UPDATE OR DELETE ON notifications
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER notifications_no_truncate BEFORE TRUNCATE ON notifications
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
