/**
 * The custody service works as the database role `<schema>_service` (created by migration 00003), not
 * as the role that owns the tables: that role can add records but never UPDATE, DELETE or TRUNCATE
 * records of value or evidence, so even a bug or an injected statement in the service cannot rewrite
 * the chain of custody. Migrations still run as the owner.
 */
import { assertIdentifier, type Logger, type Pool } from '@vcdc/shared';

export function serviceRoleOf(schema: string): string {
  const role = `${schema}_service`;
  assertIdentifier(role);
  return role;
}

/** Every connection the pool opens switches to the service role before its first query runs. */
export function actAsServiceRole(pool: Pool, schema: string, logger?: Logger): void {
  const role = serviceRoleOf(schema);
  pool.on('connect', (client) => {
    // Queued ahead of whatever query made the pool open this connection.
    client.query(`SET ROLE ${role}`).catch((error: unknown) => {
      logger?.error({ err: error, role }, 'could not switch to the custody service role');
    });
  });
}
