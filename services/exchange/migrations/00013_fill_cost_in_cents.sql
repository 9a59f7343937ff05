-- A desk's block trade is paid in whole cents (money.ts tradeCost: price × amount cut toward zero to the
-- currency's unit), and its fill books that cost. A venue's fill keeps cost = price × amount exactly;
-- the only other cost a fill may carry is that product cut to the cent, never more and never a cent less.
ALTER TABLE fills DROP CONSTRAINT fills_check;
ALTER TABLE fills ADD CONSTRAINT fills_check CHECK (
  cost = price * amount
  OR (cost < price * amount AND price * amount - cost < 0.01 AND cost = trunc(cost, 2))
);
