/**
 * The control API as a running server, for main.ts, the dev stack and the end-to-end test:
 * connects to Temporal, listens, and `close` stops the server and the connection.
 */
import { Client, Connection } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import {
  AUDIT_MIGRATIONS_DIR,
  AuditChain,
  checkpointSettingsFromEnv,
  createLogger,
  type Logger,
  listen,
  observePool,
  openRolePool,
  type Pool,
  startCheckpointerFromEnv,
  startTracing,
} from '@vcdc/shared';
import { AesGcmPayloadCodec, codecKeys } from '@vcdc/workflows/codec/payload-codec';
import { LotManifestStore, openManifestPool } from '@vcdc/workflows/manifest/store';
import { NotificationStore, openNotificationsPool } from '@vcdc/workflows/notifications/store';
import { createLocalJWKSet, createRemoteJWKSet, type JSONWebKeySet } from 'jose';
import { createControlApi } from './app';
import { serviceChains } from './audit-chains';
import { type Authenticator, jwtAuthenticator } from './auth';
import { type ControlApiConfig, registrationDefaults } from './config';
import type { ConsoleOptions } from './console';
import { type DevIssuer, loadOrCreateDevIssuer } from './dev-issuer';
import type { ServiceTargets } from './service-clients';

/** The console's sign-in and links: the dev issuer's people in dev mode, the OIDC client in oidc mode. */
export function consoleOptions(config: ControlApiConfig, devIssuer?: DevIssuer): ConsoleOptions | undefined {
  const temporalUi = { url: config.TEMPORAL_UI_URL, namespace: config.TEMPORAL_NAMESPACE };
  const link = config.CONSOLE_PUBLIC_URL ? { publicUrl: config.CONSOLE_PUBLIC_URL } : {};
  if (config.AUTH_MODE === 'dev')
    return devIssuer ? { signIn: { mode: 'dev', issuer: devIssuer }, temporalUi, ...link } : undefined;
  if (!config.CONSOLE_OIDC_CLIENT_ID) return undefined;
  return {
    signIn: {
      mode: 'oidc',
      issuer: config.AUTH_ISSUER as string,
      clientId: config.CONSOLE_OIDC_CLIENT_ID,
      scope: config.CONSOLE_OIDC_SCOPE,
      ...(config.CONSOLE_OIDC_AUDIENCE ? { audience: config.CONSOLE_OIDC_AUDIENCE } : {}),
    },
    temporalUi,
    ...link,
  };
}

/** The token verifier the configuration asks for, and the JWKS to publish when we are the (dev) issuer. */
async function authenticatorFor(
  config: ControlApiConfig,
): Promise<{ authenticator: Authenticator; publicJwks?: JSONWebKeySet; devIssuer?: DevIssuer }> {
  const common = {
    audience: config.AUTH_AUDIENCE,
    rolesClaim: config.AUTH_ROLES_CLAIM,
    unitClaim: config.AUTH_UNIT_CLAIM,
    maxLifetimeSeconds: config.AUTH_MAX_TOKEN_LIFETIME,
  };
  if (config.AUTH_MODE === 'oidc') {
    // Both are present: the config refuses oidc without them.
    const keys = createRemoteJWKSet(new URL(config.AUTH_JWKS_URL as string));
    return { authenticator: jwtAuthenticator({ ...common, issuer: config.AUTH_ISSUER as string, keys }) };
  }
  const issuer = await loadOrCreateDevIssuer(config.AUTH_DEV_KEY_DIR);
  return {
    authenticator: jwtAuthenticator({ ...common, issuer: issuer.issuer, keys: createLocalJWKSet(issuer.jwks) }),
    publicJwks: issuer.jwks,
    devIssuer: issuer,
  };
}

/**
 * The services people's acts are forwarded to: each with its URL and the control API's credential
 * for it. Without the credential the service's act routes answer 503 (a forwarder that cannot say
 * which machine calls is not one a service should trust).
 */
export function actServices(config: ControlApiConfig, books = bookServices(config)): ServiceTargets {
  return config.CONTROL_API_TOKEN ? books : {};
}

/**
 * Where the case file finds each chain's latest signed checkpoint: the checkpoint directory this
 * process writes its own chain's to (AUDIT_CHECKPOINT_DIR), for its chain and the services' (a
 * deployment that ships every chain's file to one place gives them all; a chain without its file there
 * is named in the case file as having none).
 */
function checkpointFilesFor(config: ControlApiConfig): { dir: string; chains: string[] } | undefined {
  const dir = checkpointSettingsFromEnv().AUDIT_CHECKPOINT_DIR;
  return dir ? { dir, chains: [config.AUDIT_SCHEMA, ...serviceChains(config).map((c) => c.chain)] } : undefined;
}

/** The services whose records the books are recomputed from (read with the control API's credential, if any). */
export function bookServices(config: ControlApiConfig): ServiceTargets {
  const token = config.CONTROL_API_TOKEN;
  const at = (url: string) => ({ url, ...(token ? { token } : {}) });
  return {
    custody: at(config.CUSTODY_URL),
    exchange: at(config.EXCHANGE_URL),
    fx: at(config.FX_URL),
    treasury: at(config.TREASURY_URL),
  };
}

/**
 * The control API's Temporal client: payloads encrypted with `codec`; starts, Updates and signals
 * carry the request's trace into the case (worker-tracing.ts continues it).
 */
export function controlApiClient(connection: Connection, namespace: string, codec?: PayloadCodec): Client {
  return new Client({
    connection,
    namespace,
    ...(codec ? { dataConverter: { payloadCodecs: [codec] } } : {}),
    interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
  });
}

export async function startControlApi(
  config: ControlApiConfig,
  logger: Logger = createLogger('control-api', config.LOG_LEVEL),
): Promise<{ url: string; port: number; close: () => Promise<void> }> {
  // Spans over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set; trace ids in the log lines either way.
  const tracing = startTracing('control-api');
  const { devIssuer, ...auth } = await authenticatorFor(config);
  // The audit chain and the Idempotency-Key store are written as `<AUDIT_SCHEMA>_service` (DATABASE_URL),
  // a role that may add audit records but never change them; the owner, who migrated them in the
  // provision step, is not given to this process, and a URL that holds more than the role is refused.
  const asRole = (max: number) =>
    openRolePool({ url: config.DATABASE_URL, schema: config.AUDIT_SCHEMA, migrationsDir: AUDIT_MIGRATIONS_DIR, max });
  const { pool, role } = await asRole(5);
  // The Idempotency-Key store (the shared migrations' idempotency_keys table, in the same schema): a
  // pool of its own, because a keyed request holds its connection while it waits for Temporal.
  const { pool: idempotencyPool } = await asRole(10).catch(async (error) => {
    await pool.end();
    throw error;
  });
  observePool(idempotencyPool, `${config.AUDIT_SCHEMA}_idempotency`);
  // The outbox the worker writes, read as `<NOTIFICATIONS_SCHEMA>_service`.
  const notificationsPool = await openNotificationsPool({
    url: config.NOTIFICATIONS_DATABASE_URL,
    schema: config.NOTIFICATIONS_SCHEMA,
    max: 3,
    source: 'NOTIFICATIONS_DATABASE_URL',
  }).catch(async (error) => {
    await pool.end();
    await idempotencyPool.end();
    throw error;
  });
  let connection: Connection | undefined;
  let manifestPool: Pool | undefined;
  try {
    if (config.LOT_MANIFESTS_DATABASE_URL) {
      manifestPool = await openManifestPool({
        url: config.LOT_MANIFESTS_DATABASE_URL,
        schema: config.LOT_MANIFESTS_SCHEMA,
        max: 4,
        source: 'LOT_MANIFESTS_DATABASE_URL',
      });
    }
    connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
    const codec = new AesGcmPayloadCodec(codecKeys(config.PAYLOAD_CODEC_KEYS, config.PAYLOAD_CODEC_KEY_ID));
    const client = controlApiClient(connection, config.TEMPORAL_NAMESPACE, codec);
    const books = bookServices(config);
    const app = createControlApi({
      client,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      logger,
      defaults: registrationDefaults(config),
      quorumThresholds: config.QUORUM_THRESHOLDS,
      rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
      temporalCallTimeoutMs: config.TEMPORAL_CALL_TIMEOUT_MS,
      audit: new AuditChain(pool),
      auditRole: { pool, role },
      auditServices: serviceChains(config),
      idempotency: idempotencyPool,
      notifications: new NotificationStore(notificationsPool),
      ...(manifestPool ? { manifests: new LotManifestStore(manifestPool) } : {}),
      decisionSigningKey: config.DECISION_SIGNING_KEY,
      codecEndpoint: {
        codec,
        allowedOrigins: config.CODEC_CORS_ORIGINS,
        ...(config.CODEC_UI_SECRET ? { uiSecret: config.CODEC_UI_SECRET } : {}),
      },
      // One target per service (and so one HTTP client each, service-clients.ts) for both.
      actServices: actServices(config, books),
      bookServices: books,
      checkpointFiles: checkpointFilesFor(config),
      console: consoleOptions(config, devIssuer),
      ...auth,
    });
    const server = await listen(app, config.PORT, config.HOST);
    // Its own chain's head signed regularly, as every service signs its own (audit/checkpoint.ts).
    const checkpointer = startCheckpointerFromEnv({ db: pool, chain: config.AUDIT_SCHEMA, logger });
    return {
      url: server.url,
      port: server.port,
      close: async () => {
        await server.close();
        await checkpointer?.stop();
        await connection?.close();
        await pool.end();
        await idempotencyPool.end();
        await notificationsPool.end();
        await manifestPool?.end();
        await tracing.flush();
      },
    };
  } catch (error) {
    await connection?.close();
    await pool.end();
    await idempotencyPool.end();
    await notificationsPool.end();
    await manifestPool?.end();
    throw error;
  }
}
