import { Problem } from '@vcdc/shared';
import { VenueCallError } from './venue';

/**
 * A failed venue call as the service answers it: the venue unreachable is 503 and a venue fault 502
 * (both retried by the workflow); a refusal is 422 with a slug that says what was refused.
 */
export function venueProblem(error: unknown, refusalSlugs: Record<string, string> = {}): unknown {
  if (!(error instanceof VenueCallError)) return error;
  if (error.kind === 'unavailable') return new Problem(503, 'venue-unavailable', 'Venue unavailable', error.message);
  if (error.kind === 'fault') return new Problem(502, error.reason, 'Venue error', error.message);
  return new Problem(422, refusalSlugs[error.reason] ?? error.reason, 'Refused by the venue', error.message);
}

export async function atVenue<T>(work: () => Promise<T>, refusalSlugs?: Record<string, string>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw venueProblem(error, refusalSlugs);
  }
}
