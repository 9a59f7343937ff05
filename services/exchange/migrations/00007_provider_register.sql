-- Up Migration
-- The register of licensed providers (issue 16, part 4; src/provider-register.ts). Nothing in it is ever
-- updated or deleted: a change is proposed by one person (provider_changes), approved by another
-- (provider_change_approvals), and the approval writes the provider's next version (provider_versions).
-- The provider's entry in force is its highest version; every earlier one stays, with who proposed and
-- approved it, and both acts are in the audit chain.
CREATE TABLE provider_changes (
  change_id        TEXT PRIMARY KEY,
  provider_id      TEXT NOT NULL,
  -- The version the proposer changed (NULL: a new provider). Approved only while it is still the
  -- provider's latest, so two proposals on the same version cannot both take effect.
  base_version     INTEGER CHECK (base_version > 0),
  -- The provider's whole entry as it would be (@vcdc/shared ProviderTerms), never a patch.
  terms            JSONB NOT NULL,
  reason           TEXT NOT NULL,
  proposed_by      TEXT NOT NULL,
  proposed_role    TEXT NOT NULL,
  proposed_unit    TEXT NOT NULL,
  proposed_act_id  TEXT NOT NULL,
  proposed_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  CHECK (terms ->> 'providerId' = provider_id)
);
CREATE INDEX provider_changes_provider ON provider_changes (provider_id, proposed_at);

CREATE TABLE provider_change_approvals (
  change_id        TEXT PRIMARY KEY REFERENCES provider_changes (change_id),
  approved_by      TEXT NOT NULL,
  approved_role    TEXT NOT NULL,
  approved_unit    TEXT NOT NULL,
  approved_act_id  TEXT NOT NULL,
  approved_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE provider_versions (
  provider_id      TEXT NOT NULL,
  version          INTEGER NOT NULL CHECK (version > 0),
  change_id        TEXT NOT NULL UNIQUE REFERENCES provider_change_approvals (change_id),
  terms            JSONB NOT NULL,
  proposed_by      TEXT NOT NULL,
  approved_by      TEXT NOT NULL,
  effective_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (provider_id, version),
  -- Four eyes, held by the database as well as by the code.
  CHECK (approved_by <> proposed_by),
  CHECK (terms ->> 'providerId' = provider_id)
);

CREATE TRIGGER provider_changes_append_only BEFORE UPDATE OR DELETE ON provider_changes
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER provider_change_approvals_append_only BEFORE UPDATE OR DELETE ON provider_change_approvals
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER provider_versions_append_only BEFORE UPDATE OR DELETE ON provider_versions
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
