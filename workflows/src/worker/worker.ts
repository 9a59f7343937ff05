/**
 * The worker: the case workflow and its activities on one task queue. The workflow code is bundled
 * (webpack) when the worker is created; activities get HTTP clients for the four services.
 */
import type { KeyObject } from 'node:crypto';
import type { PayloadCodec } from '@temporalio/common';
import { type InjectedSinks, type NativeConnection, Worker } from '@temporalio/worker';
import { env, ServiceClient, ServiceToken, type Tracing } from '@vcdc/shared';
import { z } from 'zod';
import { createActivities } from '../activities/case-activities';
import { createDecisionActivities, DecisionVerifyKeys } from '../activities/decision-signature';
import { FOLLOW_IN_WORKER } from '../activities/follow';
import { createManifestActivities } from '../activities/manifest-activities';
import { createSaleActivities } from '../activities/sale-activities';
import { CodecKeyList } from '../codec/payload-codec';
import { type LotManifestStore, ManifestSchema } from '../manifest/store';
import { NotificationsSchema } from '../notifications/store';
import type { NotificationActivities } from '../notifications/types';
import { TASK_QUEUE } from '../workflow/shared';
import type { RefusalSinks } from '../workflow/side-door';
import { workerTelemetry } from './worker-tracing';

/** The worker process's environment (worker-main.ts); the defaults run the embedded dev stack. */
export const WorkerConfig = z.object({
  /** Where the worker answers GET /healthz (200 while it polls its task queue), for orchestrators. */
  PORT: env.port(7110),
  HOST: z.string().min(1).default('127.0.0.1'),
  /**
   * Where the Temporal SDK serves its own Prometheus metrics (on HOST; default PORT + 1, so two workers
   * on one host given different PORTs never contend for it); GET /metrics on PORT answers them together
   * with this process's (worker-telemetry.ts), so scrape PORT.
   */
  SDK_METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default(TASK_QUEUE),
  CUSTODY_URL: env.url('http://127.0.0.1:7101'),
  EXCHANGE_URL: env.url('http://127.0.0.1:7102'),
  FX_URL: env.url('http://127.0.0.1:7103'),
  TREASURY_URL: env.url('http://127.0.0.1:7104'),
  HTTP_TIMEOUT_MS: env.positiveInt(15_000),
  /** Each service's credential (that service's SERVICE_TOKEN); unset for a service that requires none. */
  CUSTODY_SERVICE_TOKEN: ServiceToken.optional(),
  EXCHANGE_SERVICE_TOKEN: ServiceToken.optional(),
  FX_SERVICE_TOKEN: ServiceToken.optional(),
  TREASURY_SERVICE_TOKEN: ServiceToken.optional(),
  /** Workflow payload encryption keys (`id:base64`, 32 bytes each), the same as the control API's. */
  PAYLOAD_CODEC_KEYS: CodecKeyList,
  PAYLOAD_CODEC_KEY_ID: z.string().min(1).optional(),
  /** The control API's decision-signing public key(s): a case takes only decisions they verify. */
  DECISION_VERIFY_KEYS: DecisionVerifyKeys,
  /**
   * The notifications outbox (the `notify` activity writes it; the control API reads it): the login of
   * `<NOTIFICATIONS_SCHEMA>_service`, which adds notifications and never changes one. Never the owner's
   * URL: the worker refuses to start with it (the provision step, scripts/db-provision.ts, holds that).
   */
  DATABASE_URL: env.databaseUrl(),
  NOTIFICATIONS_SCHEMA: NotificationsSchema,
  /**
   * The lot manifests of large cases (manifest/store.ts): the login of `<LOT_MANIFESTS_SCHEMA>_service`.
   * Unset: no manifest (the control API answers its manifest routes 503; the worker registers no
   * manifest activity), and cases carry their lots inline (up to 5,000).
   */
  LOT_MANIFESTS_DATABASE_URL: env.databaseUrl().optional(),
  LOT_MANIFESTS_SCHEMA: ManifestSchema,
  /**
   * The control API's audit chain, where the worker appends every message a case refused that was
   * sent to Temporal directly (refusal-sink.ts): the login of `<AUDIT_SCHEMA>_service` (the same role
   * as the control API's), which appends records and never changes one.
   */
  AUDIT_DATABASE_URL: env.databaseUrl(),
  AUDIT_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/)
    .default('audit'),
  LOG_LEVEL: env.logLevel(),
});
export type WorkerConfig = z.infer<typeof WorkerConfig>;

export interface ServiceUrls {
  custody: string;
  exchange: string;
  fx: string;
  treasury: string;
}

export interface CaseWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  serviceUrls: ServiceUrls;
  /** Per-call HTTP timeout; a timeout is a retryable failure. */
  httpTimeoutMs?: number;
  /** Encrypts what the worker writes to history (and decrypts what it reads); every client must use the same. */
  payloadCodec?: PayloadCodec;
  /** Each service's credential, sent as a bearer token on every call to it. */
  serviceCredentials?: ServiceCredentials;
  /** The control API's decision-signing public keys (the `verifyDecision` activity). */
  decisionVerifyKeys: readonly KeyObject[];
  /**
   * The `notify` activity: `createNotificationActivities(pool)` on the outbox (worker-main always
   * passes it); tests may pass a fake. Without it, no `notify` activity is registered.
   */
  notifications?: NotificationActivities;
  /**
   * The lot manifests of large cases (manifest/store.ts), read in pages by their intake. Without it no
   * manifest activity is registered (and the control API without a store registers no manifest case).
   */
  manifests?: Pick<LotManifestStore, 'page'>;
  /**
   * The `refusals` sink (`createRefusalSinks(audit)`: the control API's audit chain); worker-main
   * always passes it. Without it a refusal is only in the case's status.
   */
  refusalSinks?: InjectedSinks<RefusalSinks>;
  /**
   * This process's tracing (startTracing): when it exports spans, workflows and activities continue their
   * starter's trace and pass it to the services (worker-tracing.ts). Without it, or when it exports none,
   * the worker makes no spans (each activity still carries its case id).
   */
  tracing?: Pick<Tracing, 'spanProcessor' | 'resource' | 'exporting'>;
}

/** The module the worker bundles: the workflows it runs. */
export const workflowsPath = require.resolve('../workflow/case-workflow');

/** Each service's own credential (its SERVICE_TOKEN), for the services that require one. */
export type ServiceCredentials = Partial<Record<keyof ServiceUrls, string>>;

export function serviceClients(urls: ServiceUrls, timeoutMs?: number, credentials: ServiceCredentials = {}) {
  const client = (service: keyof ServiceUrls) => {
    const token = credentials[service];
    const headers = token ? { authorization: `Bearer ${token}` } : undefined;
    return new ServiceClient({ service, baseUrl: urls[service], timeoutMs, headers });
  };
  return {
    custody: client('custody'),
    exchange: client('exchange'),
    fx: client('fx'),
    treasury: client('treasury'),
  };
}

export function createCaseWorker(options: CaseWorkerOptions): Promise<Worker> {
  const telemetry = workerTelemetry(options.tracing);
  const sinks = { ...options.refusalSinks, ...telemetry.sinks };
  const caseActivities = createActivities(
    serviceClients(options.serviceUrls, options.httpTimeoutMs, options.serviceCredentials),
    FOLLOW_IN_WORKER,
  );
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace ?? 'default',
    taskQueue: options.taskQueue ?? TASK_QUEUE,
    workflowsPath,
    ...(options.payloadCodec ? { dataConverter: { payloadCodecs: [options.payloadCodec] } } : {}),
    ...(Object.keys(sinks).length ? { sinks } : {}),
    interceptors: telemetry.interceptors,
    activities: {
      ...caseActivities,
      ...(options.manifests ? createManifestActivities(options.manifests, caseActivities) : {}),
      // The sale execution engine's calls (reference price, legal floor, order state, cancel).
      ...createSaleActivities(
        serviceClients(options.serviceUrls, options.httpTimeoutMs, options.serviceCredentials).exchange,
      ),
      ...createDecisionActivities(options.decisionVerifyKeys),
      ...(options.notifications ? { notify: options.notifications.notify } : {}),
    },
  });
}
