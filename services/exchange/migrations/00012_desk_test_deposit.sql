-- Up Migration
-- A desk's delivery may be two chain transactions (issue 16): custody sends nothing to a new address
-- before a confirmed test deposit, so the test deposit and the rest together carry the trade's amount.
-- tx_hash stays the last (the bulk); test_tx_hash the test deposit, when there was one. Each is booked as
-- its own deposit row at the desk, as a venue's test deposit is.
ALTER TABLE desk_settlements ADD COLUMN test_tx_hash TEXT;
