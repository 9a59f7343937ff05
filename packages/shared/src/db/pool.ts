import pg from 'pg';
import { observePool } from '../telemetry/metrics';

// NUMERIC (1700) comes back as a string by default; keep it that way (never a JS number).
// INT8 (20) counts are safe to read as numbers for our row counts and sequence numbers.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
export type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

/** How long a caller waits for a free connection before it is refused (it never waits for ever). */
export const POOL_ACQUIRE_TIMEOUT_MS = 10_000;

/**
 * A pool whose connections see only the service's own schema first (search_path), so a service's
 * SQL names its tables without a schema prefix and never reads another service's tables by accident.
 *
 * A caller waits at most POOL_ACQUIRE_TIMEOUT_MS for a connection (a starved pool answers an error,
 * not a hang), and an idle connection the server drops (PostgreSQL restarted, an administrator's
 * command) is logged and discarded, never an unhandled 'error' that would end the process: the next
 * query opens a new one.
 */
export function createPool(
  databaseUrl: string,
  schema: string,
  max = 10,
  onIdleError: (error: Error) => void = logIdleError,
): pg.Pool {
  assertIdentifier(schema);
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max,
    options: `-c search_path=${schema}`,
    connectionTimeoutMillis: POOL_ACQUIRE_TIMEOUT_MS,
  });
  pool.on('error', onIdleError);
  // Its usage is on /metrics under its schema's name (observePool renames a second pool of one schema).
  observePool(pool, schema);
  return pool;
}

function logIdleError(error: Error): void {
  process.stderr.write(
    `${JSON.stringify({ level: 40, time: new Date().toISOString(), msg: 'database connection lost while idle; discarded', err: error.message })}\n`,
  );
}

export function assertIdentifier(name: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`not a safe SQL identifier: ${name}`);
}

/** Run `work` in one transaction on one connection; roll back on any error. */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
