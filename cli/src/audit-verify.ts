/**
 * Verifies every VCDC audit chain and names the first broken record (exit 0: all intact, 1: a chain is
 * broken or could not be verified, 2: bad settings):
 *
 *   DATABASE_URL=postgres://… node --import tsx cli/src/audit-verify.ts
 *       [--schema audit custody exchange fx treasury]   walk these schemas' audit_records in the database
 *       [--no-services]                                  do not ask the services
 *
 * As the control API's GET /v1/audit/verify: the control API's chain (schema `audit`) is walked here,
 * and each service is asked to walk its own (GET /v1/audit/verify at CUSTODY_URL, EXCHANGE_URL, FX_URL,
 * TREASURY_URL, with CONTROL_API_TOKEN, the read-and-act credential). Where the services' schemas
 * are in a database the auditor can read, `--schema` walks them here too, trusting no service.
 *
 * Each chain walked here is held against its signed checkpoints when AUDIT_CHECKPOINT_DIR and
 * AUDIT_CHECKPOINT_VERIFY_KEYS are set (or --checkpoint-dir): a rewrite, a truncation or an insertion
 * behind the latest one is named with the checkpoint it contradicts. Each service's bound money
 * tables are compared with the images its chain holds (audit/bound-tables.ts). The report gives, per
 * chain, the records checked, the latest checkpoint, the tables, and the first broken record and
 * why; `totals` count every chain.
 *
 * Reads only: an auditor can run it with a read-only database role.
 */

import { AuditServicesSettings, serviceChains, verifyAuditChains } from '@vcdc/control-api/audit-chains';
import { checkpointSourceFromEnv, createPool, type Pool, parseConfig, verifyAuditChain } from '@vcdc/shared';
import { Command } from 'commander';

const program = new Command('audit-verify')
  .description('verify the hash chains of the VCDC audit records and name the first edited, missing or moved record')
  .option('--schema <names...>', 'schemas whose audit_records to walk in the database', [
    process.env.AUDIT_SCHEMA ?? 'audit',
  ])
  .option('--database-url <url>', 'PostgreSQL URL (default: DATABASE_URL)', process.env.DATABASE_URL)
  .option('--no-services', 'do not ask the services to verify their chains')
  .option(
    '--checkpoint-dir <dir>',
    'signed checkpoints to hold each chain against (default: AUDIT_CHECKPOINT_DIR; keys: AUDIT_CHECKPOINT_VERIFY_KEYS)',
    process.env.AUDIT_CHECKPOINT_DIR,
  )
  .action(async (opts: { schema: string[]; databaseUrl?: string; services: boolean; checkpointDir?: string }) => {
    if (!opts.databaseUrl) {
      process.stderr.write('audit-verify: DATABASE_URL (or --database-url) is required\n');
      process.exit(2);
    }
    const services = opts.services ? serviceChains(parseConfig(AuditServicesSettings)) : [];
    const checkpoints = checkpointSourceFromEnv({ ...process.env, AUDIT_CHECKPOINT_DIR: opts.checkpointDir });
    const pools: Pool[] = [];
    try {
      const locals = opts.schema.map((schema) => {
        const pool = createPool(opts.databaseUrl as string, schema, 1);
        pools.push(pool);
        return {
          chain: schema,
          verify: () => verifyAuditChain(pool, { chain: schema, ...(checkpoints ? { checkpoints } : {}) }),
        };
      });
      const result = await verifyAuditChains(locals, services);
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      process.exitCode = result.ok ? 0 : 1;
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });

program.parseAsync().catch((error) => {
  process.stderr.write(`audit-verify: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
});
