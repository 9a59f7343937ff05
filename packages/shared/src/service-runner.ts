/**
 * How every service starts, in one place: open a pool with DATABASE_URL, which is its restricted role's
 * (`<schema>_service`, provisioned beforehand by the owner: db/provision.ts), refusing to start when that
 * URL holds more than the role or the schema is not current (db/service-role.ts `openRolePool`; the
 * service never migrates and never sees the owner's URL), build its app on that pool, listen. `close` stops the server, then ends the pool. Calls refused for want of the
 * service credential are appended to the service's audit chain. With AUDIT_CHECKPOINT_KEY and
 * AUDIT_CHECKPOINT_DIR set, the service signs its chain's head (chain name: its schema) into the
 * checkpoint directory every AUDIT_CHECKPOINT_INTERVAL_MS (audit/checkpoint.ts).
 */
import express, { type Express } from 'express';
import { AuditChain } from './audit/chain';
import { type Checkpointer, checkpointSettingsFromEnv, startCheckpointerFromEnv } from './audit/checkpoint';
import { checkpointRoute } from './audit/checkpoint-route';
import {
  controlApiTokenFromEnv,
  requireServiceCredential,
  type ScopedCaller,
  serviceTokenFromEnv,
} from './auth/service-credential';
import { createPool, type Pool } from './db/pool';
import { openRolePool } from './db/service-role';
import type { Logger } from './logger';
import { listen } from './server';
import { collectProcessMetrics, httpMetrics, observePool } from './telemetry/metrics';
import { startTracing } from './telemetry/tracing';

/** The settings every service's config schema has. */
export interface ServiceBaseConfig {
  PORT: number;
  HOST: string;
  /** The service role's URL (never the owner's: the service refuses to start with it). */
  DATABASE_URL: string;
  DB_SCHEMA: string;
}

export interface RunningService {
  url: string;
  port: number;
  close: () => Promise<void>;
}

/** What the app is built with besides its pool. */
export interface ServiceContext {
  /** The database role the pool works as (`<schema>_service`), for /readyz. */
  serviceRole: string;
  /**
   * A small pool of the same role for records written outside a request's transaction while it runs
   * (the exchange's price observations): never starved by the connections requests hold.
   */
  recordsPool: Pool;
}

export async function startService(options: {
  name: string;
  config: ServiceBaseConfig;
  migrationsDir: string;
  logger: Logger;
  buildApp: (pool: Pool, context: ServiceContext) => Express;
  /** Extra fields for the "listening" log line (e.g. which upstream it talks to). */
  describe?: Record<string, unknown>;
  /** The bearer secret callers must present; default SERVICE_TOKEN from the environment (absent: no check). */
  serviceToken?: string;
  /** The control API's narrower credential; default CONTROL_API_TOKEN from the environment (absent: not accepted). */
  controlApiToken?: string;
  /** The changing routes the control API's credential may call: those carrying a person's signed act. */
  actRoutes?: readonly RegExp[];
  /** Other callers that may only read some paths (e.g. custody reading the exchange's register of providers). */
  readers?: readonly ScopedCaller[];
}): Promise<RunningService> {
  const { name, config, logger } = options;
  collectProcessMetrics();
  // Spans exported over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set (telemetry/tracing.ts); once per process.
  startTracing(name);
  const checkpointSettings = checkpointSettingsFromEnv();
  const serviceToken = options.serviceToken ?? serviceTokenFromEnv();
  const controlApiToken = options.controlApiToken ?? controlApiTokenFromEnv();
  const { pool, role } = await openRolePool({
    url: config.DATABASE_URL,
    schema: config.DB_SCHEMA,
    migrationsDir: options.migrationsDir,
  });
  // Records written outside a request's transaction (while that transaction holds a connection of
  // `pool`) go through a pool of their own: they never wait on the connections requests hold.
  const recordsPool = createPool(config.DATABASE_URL, config.DB_SCHEMA, 2);
  observePool(recordsPool, `${config.DB_SCHEMA}_records`);
  let checkpointer: Checkpointer | undefined;
  try {
    checkpointer = startCheckpointerFromEnv({ db: pool, chain: config.DB_SCHEMA, logger });
    const app = options.buildApp(pool, { serviceRole: role, recordsPool });
    const audit = new AuditChain(pool);
    // The credential check wraps the service's own app, so every route of every service gets it.
    const guarded = express().disable('x-powered-by');
    // Counted in front of the credential check, so refused calls are in the request figures too.
    guarded.use(httpMetrics(name));
    if (serviceToken)
      guarded.use(
        requireServiceCredential(
          name,
          serviceToken,
          logger,
          (call) => audit.append({ kind: 'access.refused', actor: 'anonymous', data: { service: name, ...call } }),
          [
            ...(controlApiToken
              ? [{ name: 'control-api', token: controlApiToken, routes: options.actRoutes ?? [] }]
              : []),
            ...(options.readers ?? []),
          ],
        ),
      );
    // The case workflow asks for a checkpoint at each stage change (audit/checkpoint-route.ts).
    guarded.use(checkpointRoute(config.DB_SCHEMA, checkpointer, logger), app);
    const server = await listen(guarded, config.PORT, config.HOST);
    logger.info(
      {
        url: server.url,
        credential: serviceToken ? 'required' : 'none',
        databaseRole: role,
        auditCheckpoints: checkpointer ? checkpointSettings.AUDIT_CHECKPOINT_DIR : 'off',
        ...options.describe,
      },
      `${name} listening`,
    );
    return {
      url: server.url,
      port: server.port,
      close: async () => {
        await server.close();
        await checkpointer?.stop();
        await pool.end();
        await recordsPool.end();
      },
    };
  } catch (error) {
    await recordsPool.end();
    await checkpointer?.stop();
    await pool.end();
    throw error;
  }
}
