/**
 * Configuration comes from environment variables, validated once at start-up. A missing or invalid
 * setting stops the process with one clear line naming the variable.
 */
import { z } from 'zod';

export class ConfigError extends Error {}

export function parseConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const first = result.error.issues[0];
  const name = first ? String(first.path[0] ?? '(environment)') : '(environment)';
  const value = env[name];
  const shown = value === undefined ? 'it is not set' : `got ${JSON.stringify(value)}`;
  throw new ConfigError(`invalid configuration: ${name}: ${first?.message ?? 'invalid'} (${shown})`);
}

/** For `main.ts`: parse or print the one line and exit 2. */
export function loadConfigOrExit<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  try {
    return parseConfig(schema, env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

/** Reusable pieces of configuration schemas. */
export const env = {
  port: (defaultPort: number) => z.coerce.number().int().min(0).max(65535).default(defaultPort),
  url: (defaultUrl?: string) => (defaultUrl === undefined ? z.url() : z.url().default(defaultUrl)),
  databaseUrl: () => z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  positiveInt: (d: number) => z.coerce.number().int().positive().default(d),
};
