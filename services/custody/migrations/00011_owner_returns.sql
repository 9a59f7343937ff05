-- Held cases closed on acquittal hand their coins back to the owner (issue 13, part 3): an OWNER_RETURN
-- transfer goes to the address two supervisors' signed HOLD_RESOLUTION names for the asset, not to a
-- whitelisted venue address, and is booked as its own ledger kind (a debit, like TRANSFER_OUT).
ALTER TABLE transfers ALTER COLUMN whitelist_entry DROP NOT NULL;
ALTER TABLE transfers DROP CONSTRAINT transfers_purpose_check;
ALTER TABLE transfers ADD CONSTRAINT transfers_purpose_check
  CHECK (purpose IN ('VENUE_DEPOSIT', 'TEST_DEPOSIT', 'OWNER_RETURN'));
-- Only a hand-back to the owner goes anywhere but a whitelist entry, and it always carries its authority.
ALTER TABLE transfers ADD CONSTRAINT transfers_destination_check
  CHECK ((purpose = 'OWNER_RETURN') = (whitelist_entry IS NULL));
ALTER TABLE transfers ADD CONSTRAINT transfers_owner_return_authorised
  CHECK (purpose <> 'OWNER_RETURN' OR authorisation_sha256 IS NOT NULL);

ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_kind_check;
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_kind_check
  CHECK (kind IN ('INTAKE', 'TRANSFER_OUT', 'NETWORK_FEE', 'RETURN', 'OWNER_RETURN'));

-- What a transfer goes out as and under which authority is a party of it too: never changed after it is
-- written (a venue deposit cannot become a hand-back, nor lose the approvals it was made under).
CREATE OR REPLACE FUNCTION transfers_progress_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'transfers: DELETE refused' USING ERRCODE = 'restrict_violation';
  END IF;
  IF (NEW.transfer_id, NEW.request_key, NEW.case_id, NEW.asset, NEW.chain, NEW.from_address, NEW.to_address,
      NEW.amount, NEW.fee, NEW.client_ref, NEW.purpose, NEW.whitelist_entry, NEW.authorisation_sha256)
     IS DISTINCT FROM
     (OLD.transfer_id, OLD.request_key, OLD.case_id, OLD.asset, OLD.chain, OLD.from_address, OLD.to_address,
      OLD.amount, OLD.fee, OLD.client_ref, OLD.purpose, OLD.whitelist_entry, OLD.authorisation_sha256)
     OR (OLD.tx_hash IS NOT NULL AND NEW.tx_hash IS DISTINCT FROM OLD.tx_hash) THEN
    RAISE EXCEPTION 'transfers: amounts, parties, purpose, authority and a stored txHash never change'
      USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END;
$$;
