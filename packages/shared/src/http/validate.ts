import type { z } from 'zod';
import { type AssetCode, scaleRefusal } from '../money';
import { type FieldError, fieldPath, Problem, validationProblem } from '../problem';

/** Parse with a zod schema; on failure throw a 400 problem that names every bad field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where = 'request body'): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationProblem(result.error, where);
  return result.data;
}

/**
 * The scale rule (money.ts `scaleRefusal`) where a handler learns the asset only from its records (a
 * declaration's currency): 400 naming every field finer than its asset allows; nothing when all fit.
 */
export function assertScales(fields: ReadonlyArray<{ field: string; value: string; asset: AssetCode }>): void {
  const errors: FieldError[] = [];
  for (const { field, value, asset } of fields) {
    const message = scaleRefusal(value, asset);
    if (message) errors.push({ field, message });
  }
  if (errors.length === 0) return;
  const detail = errors.map((e) => `${e.field}: ${e.message}`).join('; ');
  throw new Problem(400, 'validation', 'Invalid request body', detail, { errors });
}

/** How deeply a JSON body may nest (objects and arrays) before it is refused. */
export const MAX_JSON_DEPTH = 32;

/**
 * Control characters no text field may carry: NUL and the other C0 controls except tab (\t), line
 * feed (\n) and carriage return (\r), and DEL. They are how a value that looks one way in a log, a
 * terminal or a database column is another: refused, naming the field.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find them.
export const FORBIDDEN_CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/**
 * The generic checks every JSON body gets before any route sees it (the shared app shell runs it):
 * nesting deeper than MAX_JSON_DEPTH, and control characters in any string or key. Walks the value
 * without recursion, so a body nested a million deep costs a loop, not the stack. Returns the 400
 * naming the field, or undefined when the body passes.
 */
export function bodyProblem(body: unknown): Problem | undefined {
  if (body === null || typeof body !== 'object') {
    return typeof body === 'string' && FORBIDDEN_CONTROL_CHARACTERS.test(body) ? controlProblem([]) : undefined;
  }
  const stack: Array<{ value: object; path: Array<string | number>; depth: number }> = [
    { value: body, path: [], depth: 1 },
  ];
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop() as (typeof stack)[number];
    if (depth > MAX_JSON_DEPTH) {
      const field = fieldPath(path.slice(0, 8)) + (path.length > 8 ? '…' : '');
      const message = `nests deeper than ${MAX_JSON_DEPTH} levels`;
      return new Problem(400, 'validation', 'Invalid request body', `${field}: ${message}`, {
        errors: [{ field, message }],
      });
    }
    const entries: Array<[string | number, unknown]> = Array.isArray(value)
      ? value.map((v, i) => [i, v])
      : Object.entries(value);
    for (const [key, child] of entries) {
      const childPath = [...path, key];
      if (typeof key === 'string' && FORBIDDEN_CONTROL_CHARACTERS.test(key)) return controlProblem(path, 'a key');
      if (typeof child === 'string') {
        if (FORBIDDEN_CONTROL_CHARACTERS.test(child)) return controlProblem(childPath);
      } else if (child !== null && typeof child === 'object') {
        stack.push({ value: child, path: childPath, depth: depth + 1 });
      }
    }
  }
  return undefined;
}

function controlProblem(path: Array<string | number>, what = 'the value'): Problem {
  const field = fieldPath(path);
  const message = `${what} contains a control character (NUL, escape…); only tab and line breaks are allowed`;
  return new Problem(400, 'validation', 'Invalid request body', `${field}: ${message}`, {
    errors: [{ field, message }],
  });
}
