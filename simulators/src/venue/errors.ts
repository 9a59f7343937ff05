/**
 * Refusals in HashKey's error shape: HTTP 4xx with `{ "code": <code>, "msg": "..." }`. ccxt's hashkey
 * class maps the code (its `exceptions.exact` table) to an error class, so each refusal below picks
 * the code whose class says what happened: e.g. -1141 -> DuplicateOrderId, 0401 -> InsufficientFunds.
 */
export class VenueError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: string,
    msg: string,
  ) {
    super(msg);
    this.name = 'VenueError';
  }

  toBody(): { code: number | string; msg: string } {
    // HashKey answers negative codes as numbers and the "0xxx" family as strings.
    return { code: this.code.startsWith('-') ? Number(this.code) : this.code, msg: this.message };
  }
}

export const refuse = {
  missing: (field: string) => new VenueError(400, '0001', `Required field '${field}' missing or invalid.`),
  badSignature: () => new VenueError(401, '0002', 'Incorrect signature'),
  badApiKey: () => new VenueError(401, '0102', 'Invalid APIKey'),
  staleTimestamp: () => new VenueError(400, '-1021', 'Timestamp for this request is outside of the recvWindow'),
  badSymbol: () => new VenueError(400, '-100010', 'Invalid Symbols!'),
  orderNotFound: () => new VenueError(400, '0211', 'Order not found'),
  insufficientAsset: () => new VenueError(400, '0401', 'Insufficient asset'),
  invalidAsset: () => new VenueError(400, '0402', 'Invalid asset'),
  illegalParameter: (name: string) => new VenueError(400, '-1130', `Illegal parameter '${name}'`),
};
