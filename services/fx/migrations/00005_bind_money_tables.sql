-- Up Migration
-- Bind the tables that record value to the audit chain (issue 12; audit migration 00004_bound_rows explains how):
-- from here on the database appends every row's image to the chain at commit, and the verifier compares.
SELECT audit_bind_table('declarations');
SELECT audit_bind_table('settlements');
