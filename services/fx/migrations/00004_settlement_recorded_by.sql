-- Up Migration
-- Who recorded each settlement tranche: the FX officer whose signed FX_SETTLEMENT decision it carries
-- out (issue #11), and that decision's act (the act itself is in signed_acts). Null on older tranches.
ALTER TABLE settlements
  ADD COLUMN recorded_by     TEXT,
  ADD COLUMN decision_act_id TEXT;
