/**
 * How every service starts, in one place: apply its migrations (shared, then its own), open a pool on
 * its schema, build its app on that pool, listen. `close` stops the server, then ends the pool.
 */
import express, { type Express } from 'express';
import { requireServiceCredential, serviceTokenFromEnv } from './auth/service-credential';
import { migrate } from './db/migrate';
import { createPool, type Pool } from './db/pool';
import type { Logger } from './logger';
import { listen } from './server';

/** The settings every service's config schema has. */
export interface ServiceBaseConfig {
  PORT: number;
  HOST: string;
  DATABASE_URL: string;
  DB_SCHEMA: string;
}

export interface RunningService {
  url: string;
  port: number;
  close: () => Promise<void>;
}

export async function startService(options: {
  name: string;
  config: ServiceBaseConfig;
  migrationsDir: string;
  logger: Logger;
  buildApp: (pool: Pool) => Express;
  /** Extra fields for the "listening" log line (e.g. which upstream it talks to). */
  describe?: Record<string, unknown>;
  /** The bearer secret callers must present; default SERVICE_TOKEN from the environment (absent: no check). */
  serviceToken?: string;
}): Promise<RunningService> {
  const { name, config, logger } = options;
  const serviceToken = options.serviceToken ?? serviceTokenFromEnv();
  const applied = await migrate({
    databaseUrl: config.DATABASE_URL,
    schema: config.DB_SCHEMA,
    dir: options.migrationsDir,
    log: (line) => logger.debug(line),
  });
  if (applied.length) logger.info({ applied }, 'migrations applied');
  const pool = createPool(config.DATABASE_URL, config.DB_SCHEMA);
  try {
    const app = options.buildApp(pool);
    // The credential check wraps the service's own app, so every route of every service gets it.
    const guarded = serviceToken
      ? express()
          .disable('x-powered-by')
          .use(requireServiceCredential(name, serviceToken, logger), app)
      : app;
    const server = await listen(guarded, config.PORT, config.HOST);
    logger.info(
      { url: server.url, credential: serviceToken ? 'required' : 'none', ...options.describe },
      `${name} listening`,
    );
    return {
      url: server.url,
      port: server.port,
      close: async () => {
        await server.close();
        await pool.end();
      },
    };
  } catch (error) {
    await pool.end();
    throw error;
  }
}
