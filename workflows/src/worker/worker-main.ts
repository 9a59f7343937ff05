/**
 * Runs the case worker: `npx tsx workflows/src/worker/worker-main.ts`. Temporal's runtime stops the worker
 * gracefully on SIGINT/SIGTERM (in-flight tasks finish); then the connection is closed and the
 * process exits.
 */
import { NativeConnection } from '@temporalio/worker';
import {
  AUDIT_MIGRATIONS_DIR,
  AuditChain,
  createLogger,
  loadConfigOrExit,
  openRolePool,
  type Pool,
  startTracing,
} from '@vcdc/shared';
import { AesGcmPayloadCodec, codecKeys } from '../codec/payload-codec';
import { LotManifestStore, openManifestPool } from '../manifest/store';
import { createNotificationActivities, openNotificationsPool } from '../notifications/store';
import { createRefusalSinks } from './refusal-sink';
import { createCaseWorker, WorkerConfig } from './worker';
import { installWorkerRuntime, workerHttpServer } from './worker-telemetry';

async function main(): Promise<void> {
  const config = loadConfigOrExit(WorkerConfig);
  const logger = createLogger('worker', config.LOG_LEVEL);
  // Before any connection to Temporal: the SDK's metrics exporter is part of the process's runtime.
  // PORT 0 (any free port) leaves no port to put the SDK's beside: then it exports none unless told where.
  const sdkPort = config.SDK_METRICS_PORT ?? (config.PORT ? config.PORT + 1 : undefined);
  const sdkMetrics = sdkPort ? `${config.HOST}:${sdkPort}` : undefined;
  installWorkerRuntime({ metricsBindAddress: sdkMetrics, logger });
  // Spans over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set; trace ids in the log lines either way.
  const tracing = startTracing('worker');
  // Both pools log in as service roles the provision step made (never the owner, whose URL the worker
  // is not given); each refuses to open when its URL holds more than its role or its schema is not current.
  // The notifications outbox: written as notifications_service (adds rows, never changes one).
  const pool = await openNotificationsPool({
    url: config.DATABASE_URL,
    schema: config.NOTIFICATIONS_SCHEMA,
    max: 4,
    source: 'DATABASE_URL',
  });
  // The control API's audit chain, for the refusals of messages sent to Temporal directly: written as
  // `<AUDIT_SCHEMA>_service`, which cannot rewrite it.
  let auditPool: Pool | undefined;
  // The lot manifests of large cases, read as `<LOT_MANIFESTS_SCHEMA>_service` (when configured).
  let manifestPool: Pool | undefined;
  const connection = await (async () => {
    if (config.LOT_MANIFESTS_DATABASE_URL) {
      manifestPool = await openManifestPool({
        url: config.LOT_MANIFESTS_DATABASE_URL,
        schema: config.LOT_MANIFESTS_SCHEMA,
        max: 4,
        source: 'LOT_MANIFESTS_DATABASE_URL',
      });
    }
    ({ pool: auditPool } = await openRolePool({
      url: config.AUDIT_DATABASE_URL,
      schema: config.AUDIT_SCHEMA,
      migrationsDir: AUDIT_MIGRATIONS_DIR,
      max: 2,
      source: 'AUDIT_DATABASE_URL',
    }));
    return NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  })().catch(async (error) => {
    await pool.end();
    await auditPool?.end();
    await manifestPool?.end();
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
      ...(manifestPool ? { manifests: new LotManifestStore(manifestPool) } : {}),
      refusalSinks: createRefusalSinks(new AuditChain(auditPool as Pool), logger),
      tracing,
    });
    const health = workerHttpServer(worker, sdkMetrics ? `http://${sdkMetrics}/metrics` : undefined).listen(
      config.PORT,
      config.HOST,
    );
    logger.info(
      {
        address: config.TEMPORAL_ADDRESS,
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        health: config.PORT,
        metrics: `http://${config.HOST}:${config.PORT}/metrics`,
        sdkMetrics: sdkMetrics ?? 'off (PORT 0 and no SDK_METRICS_PORT)',
      },
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
    await manifestPool?.end();
    await tracing.flush();
  }
}

main().catch((error) => {
  process.stderr.write(`worker: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
