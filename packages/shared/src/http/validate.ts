import type { z } from 'zod';
import { validationProblem } from '../problem';

/** Parse with a zod schema; on failure throw a 400 problem that names every bad field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where = 'request body'): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationProblem(result.error, where);
  return result.data;
}
