/**
 * OSL's error shape: HTTP 4xx with `{ "error": { "code": "INSUFFICIENT_BALANCE", "message": "..." } }`.
 * The engine (simulators/src/venue/venue.ts) refuses with HashKey's numeric codes; they are mapped here to
 * OSL's named codes, which the service's adapter maps to ccxt's error classes (services/exchange/src/osl).
 */
import { VenueError } from '../venue/errors';

export class OslError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'OslError';
  }

  toBody() {
    return { error: { code: this.code, message: this.message } };
  }
}

const OSL_CODE_OF_ENGINE: Record<string, [number, string]> = {
  '0401': [400, 'INSUFFICIENT_BALANCE'],
  '-4003': [400, 'INSUFFICIENT_BALANCE'],
  '-1141': [409, 'DUPLICATE_CLIENT_REFERENCE'],
  '-4013': [409, 'DUPLICATE_CLIENT_REFERENCE'],
  '0211': [404, 'ORDER_NOT_FOUND'],
  '-1143': [404, 'ORDER_NOT_FOUND'],
  '-100010': [400, 'UNKNOWN_SYMBOL'],
  '-100012': [400, 'UNKNOWN_SYMBOL'],
  '-1163': [400, 'INVALID_DESTINATION'],
  '-1171': [400, 'INVALID_DESTINATION'],
  '-4001': [400, 'UNKNOWN_CURRENCY'],
  '0402': [400, 'UNKNOWN_CURRENCY'],
  '-1137': [400, 'QUANTITY_PRECISION'],
  '0209': [400, 'PRICE_PRECISION'],
};

/** An engine refusal in OSL's terms; anything else stays as it is (a 500). */
export function asOslError(error: unknown): unknown {
  if (!(error instanceof VenueError)) return error;
  const [status, code] = OSL_CODE_OF_ENGINE[error.code] ?? [400, 'INVALID_REQUEST'];
  return new OslError(status, code, error.message);
}
