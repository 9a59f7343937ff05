/**
 * Walks an audit chain and reports the first broken record (exit 0: intact, 1: broken, 2: bad config):
 *
 *   DATABASE_URL=postgres://… node --import tsx workflows/src/cli/audit-verify.ts [--schema audit]
 *
 * Reads only: an auditor can run it with a read-only database role.
 */
import { createPool, verifyAuditChain } from '@vcdc/shared';
import { Command } from 'commander';

const program = new Command('audit-verify')
  .description('verify the hash chain of a VCDC audit table and name the first edited, missing or moved record')
  .option('--schema <name>', 'the schema that holds audit_records', process.env.AUDIT_SCHEMA ?? 'audit')
  .option('--database-url <url>', 'PostgreSQL URL (default: DATABASE_URL)', process.env.DATABASE_URL)
  .action(async (opts: { schema: string; databaseUrl?: string }) => {
    if (!opts.databaseUrl) {
      process.stderr.write('audit-verify: DATABASE_URL (or --database-url) is required\n');
      process.exit(2);
    }
    const pool = createPool(opts.databaseUrl, opts.schema, 1);
    try {
      const result = await verifyAuditChain(pool);
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      process.exitCode = result.ok ? 0 : 1;
    } finally {
      await pool.end();
    }
  });

program.parseAsync().catch((error) => {
  process.stderr.write(`audit-verify: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
});
