-- Up Migration
-- The special account's money records are facts: a credit, a remittance, a ledger line, a restitution
-- order and its payments, a return to the owner, a correction (itself a new record) are never changed or
-- removed. Escrows (released once, by the judgment), the case accounts and the document counters carry
-- progress and stay updatable. The service's role is granted SELECT and INSERT on the tables below for
-- that reason (packages/shared/src/db/service-role.ts finds these triggers).
-- refuse_change() is the shared migrations' (packages/shared/migrations/00002_refuse_change.sql).

CREATE TRIGGER credits_append_only BEFORE UPDATE OR DELETE ON credits
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER credits_no_truncate BEFORE TRUNCATE ON credits
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

CREATE TRIGGER remittances_append_only BEFORE UPDATE OR DELETE ON remittances
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER remittances_no_truncate BEFORE TRUNCATE ON remittances
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

CREATE TRIGGER restitution_orders_append_only BEFORE UPDATE OR DELETE ON restitution_orders
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER restitution_orders_no_truncate BEFORE TRUNCATE ON restitution_orders
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

CREATE TRIGGER restitution_victims_append_only BEFORE UPDATE OR DELETE ON restitution_victims
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER restitution_victims_no_truncate BEFORE TRUNCATE ON restitution_victims
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

CREATE TRIGGER restitution_distributions_append_only BEFORE UPDATE OR DELETE ON restitution_distributions
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER restitution_distributions_no_truncate BEFORE TRUNCATE ON restitution_distributions
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

CREATE TRIGGER restitution_payments_append_only BEFORE UPDATE OR DELETE ON restitution_payments
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER restitution_payments_no_truncate BEFORE TRUNCATE ON restitution_payments
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

CREATE TRIGGER owner_returns_append_only BEFORE UPDATE OR DELETE ON owner_returns
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER owner_returns_no_truncate BEFORE TRUNCATE ON owner_returns
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

CREATE TRIGGER corrections_append_only BEFORE UPDATE OR DELETE ON corrections
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER corrections_no_truncate BEFORE TRUNCATE ON corrections
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
