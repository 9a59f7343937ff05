/**
 * Runs the case worker: `npx tsx workflows/src/worker-main.ts`. Temporal's runtime stops the worker
 * gracefully on SIGINT/SIGTERM (in-flight tasks finish); then the connection is closed and the
 * process exits.
 */
import { createServer } from 'node:http';
import { NativeConnection, type Worker } from '@temporalio/worker';
import {
  AuditChain,
  createLogger,
  ensureServiceRole,
  loadConfigOrExit,
  migrateAuditChain,
  openServicePool,
  type Pool,
  roleOfUrl,
  serviceRoleName,
} from '@vcdc/shared';
import { AesGcmPayloadCodec, codecKeys } from './codec/payload-codec';
import { createNotificationActivities, openNotificationsPool } from './notifications/store';
import { createRefusalSinks } from './refusal-sink';
import { createCaseWorker, WorkerConfig } from './worker';

async function main(): Promise<void> {
  const config = loadConfigOrExit(WorkerConfig);
  const logger = createLogger('worker', config.LOG_LEVEL);
  // The notifications outbox: its own schema, migrated before the first `notify` can run, written as
  // notifications_service (adds rows, never changes one).
  const pool = await openNotificationsPool({
    ownerUrl: config.DATABASE_URL,
    schema: config.NOTIFICATIONS_SCHEMA,
    password: config.NOTIFICATIONS_DB_PASSWORD,
    max: 4,
    logger,
  });
  // The control API's audit chain, for the refusals of messages sent to Temporal directly: migrated by
  // whichever of the two starts first, written as `<AUDIT_SCHEMA>_service`, which cannot rewrite it.
  let auditPool: Pool | undefined;
  const connection = await (async () => {
    await migrateAuditChain(config.DATABASE_URL, config.AUDIT_SCHEMA, (m) => logger.debug(m));
    const role = config.AUDIT_DB_SERVICE_URL
      ? roleOfUrl(config.AUDIT_DB_SERVICE_URL)
      : serviceRoleName(config.AUDIT_SCHEMA);
    await ensureServiceRole(config.DATABASE_URL, { schema: config.AUDIT_SCHEMA, role });
    ({ pool: auditPool } = await openServicePool({
      ownerUrl: config.DATABASE_URL,
      schema: config.AUDIT_SCHEMA,
      role,
      database: {
        ...(config.AUDIT_DB_SERVICE_URL ? { url: config.AUDIT_DB_SERVICE_URL } : {}),
        ...(config.AUDIT_DB_PASSWORD ? { password: config.AUDIT_DB_PASSWORD } : {}),
      },
      max: 2,
      logger,
    }));
    return NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  })().catch(async (error) => {
    await pool.end();
    await auditPool?.end();
    throw error;
  });
  try {
    const worker = await createCaseWorker({
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      serviceUrls: {
        custody: config.CUSTODY_URL,
        exchange: config.EXCHANGE_URL,
        fx: config.FX_URL,
        treasury: config.TREASURY_URL,
      },
      httpTimeoutMs: config.HTTP_TIMEOUT_MS,
      decisionVerifyKeys: config.DECISION_VERIFY_KEYS,
      serviceCredentials: {
        custody: config.CUSTODY_SERVICE_TOKEN,
        exchange: config.EXCHANGE_SERVICE_TOKEN,
        fx: config.FX_SERVICE_TOKEN,
        treasury: config.TREASURY_SERVICE_TOKEN,
      },
      // A payload a client sent that cannot be decoded reaches the case as a marker it refuses (side-door.ts).
      payloadCodec: new AesGcmPayloadCodec(codecKeys(config.PAYLOAD_CODEC_KEYS, config.PAYLOAD_CODEC_KEY_ID), {
        undecodable: 'marker',
      }),
      notifications: createNotificationActivities(pool),
      refusalSinks: createRefusalSinks(new AuditChain(auditPool as Pool), logger),
    });
    const health = healthServer(worker).listen(config.PORT, config.HOST);
    logger.info(
      { address: config.TEMPORAL_ADDRESS, taskQueue: config.TEMPORAL_TASK_QUEUE, health: config.PORT },
      'worker running',
    );
    try {
      await worker.run(); // resolves after SIGINT/SIGTERM once in-flight work is done
    } finally {
      health.close();
    }
    logger.info('worker stopped');
  } finally {
    await connection.close();
    await pool.end();
    await auditPool?.end();
  }
}

/** GET /healthz: 200 while the worker is running (polling its task queue), 503 otherwise. */
function healthServer(worker: Worker) {
  return createServer((req, res) => {
    const state = worker.getState();
    const ok = req.url === '/healthz' && state === 'RUNNING';
    res.writeHead(req.url === '/healthz' ? (ok ? 200 : 503) : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ service: 'worker', state }));
  });
}

main().catch((error) => {
  process.stderr.write(`worker: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
