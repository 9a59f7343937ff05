-- Up Migration
-- Sale plans (issue 16, part 3; src/sale-plans.ts): where one coin lot is sold — a block to an OTC desk,
-- the rest by the engine on one venue or split across several — with every alternative's expected cost
-- and every book read, kept append-only for the best-execution file.
--
-- A plan asks the desks with a hurdle: the lowest price worth taking (the engine's expected price for the
-- whole lot across the venues). A quote under it is kept as UNDER_HURDLE and never taken, as one under
-- the legal floor is kept as BELOW_FLOOR. The RFQ keeps the hurdle it was judged by (a retry judges alike).
ALTER TABLE rfqs ADD COLUMN min_price NUMERIC CHECK (min_price > 0);
ALTER TABLE rfq_quotes DROP CONSTRAINT rfq_quotes_status_check;
ALTER TABLE rfq_quotes ADD CONSTRAINT rfq_quotes_status_check
  CHECK (status IN ('QUOTED', 'ACCEPTED', 'LOSING', 'EXPIRED', 'REFUSED', 'MISSING', 'DECLINED', 'BELOW_FLOOR',
                    'OUT_OF_BAND', 'UNDER_HURDLE', 'NOT_ASKED'));
ALTER TABLE rfq_quotes ADD CONSTRAINT rfq_quotes_under_hurdle_quoted
  CHECK (status <> 'UNDER_HURDLE' OR (quote_id IS NOT NULL AND price IS NOT NULL AND expires_at IS NOT NULL));

CREATE TABLE sale_plans (
  plan_id           BIGSERIAL PRIMARY KEY,
  case_id           TEXT NOT NULL,
  asset             TEXT NOT NULL,
  lot               NUMERIC NOT NULL CHECK (lot > 0),
  fiat              TEXT NOT NULL,
  -- The route rule and the engine's slices it was planned by.
  mode              TEXT NOT NULL CHECK (mode IN ('AUTO', 'VIA_STABLECOIN')),
  slices            INTEGER NOT NULL CHECK (slices > 0),
  desks             BOOLEAN NOT NULL,
  -- The desks' RFQ and the price a quote had to reach (NULL: the desks were not asked).
  rfq_id            TEXT REFERENCES rfqs (rfq_id),
  hurdle            NUMERIC CHECK (hurdle > 0),
  -- The legs (amounts adding up to the lot), every alternative costed, every book read or why not
  -- (@vcdc/shared/contracts exchange SalePlanRecord's shapes).
  legs              JSONB NOT NULL CHECK (jsonb_typeof(legs) = 'array' AND jsonb_array_length(legs) > 0),
  alternatives      JSONB NOT NULL CHECK (jsonb_typeof(alternatives) = 'array'),
  books             JSONB NOT NULL CHECK (jsonb_typeof(books) = 'array'),
  expected_cost_bp  NUMERIC NOT NULL,
  reason            TEXT NOT NULL,
  decided_at        TIMESTAMPTZ NOT NULL,
  CHECK ((rfq_id IS NULL) = (hurdle IS NULL)),
  CHECK (desks OR rfq_id IS NULL)
);
CREATE INDEX sale_plans_case ON sale_plans (case_id, plan_id);
CREATE TRIGGER sale_plans_append_only BEFORE UPDATE OR DELETE ON sale_plans
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER sale_plans_no_truncate BEFORE TRUNCATE ON sale_plans
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
SELECT audit_bind_table('sale_plans');
