-- Up Migration
-- Bind the tables that record value to the audit chain (issue 12; audit migration 00004_bound_rows explains how):
-- from here on the database appends every row's image to the chain at commit, and the verifier compares.
SELECT audit_bind_table('case_accounts');
SELECT audit_bind_table('credits');
SELECT audit_bind_table('remittances');
SELECT audit_bind_table('ledger_entries');
SELECT audit_bind_table('restitution_orders');
SELECT audit_bind_table('restitution_victims');
SELECT audit_bind_table('restitution_distributions');
SELECT audit_bind_table('restitution_payments');
SELECT audit_bind_table('escrows');
SELECT audit_bind_table('owner_returns');
SELECT audit_bind_table('corrections');
SELECT audit_bind_table('correction_requests');
