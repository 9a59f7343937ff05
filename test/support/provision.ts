/**
 * The provision step for tests, as the dev stack and production run it: the owner (the test database's
 * URL, a superuser in the test cluster) migrates the schemas and gives each service role a login; the
 * code under test then gets the role URLs only, as a running process does.
 */
import { provision, type SchemaToProvision } from '@vcdc/shared';
import type { RoleUrls, SystemRole } from '../../scripts/lib/system-database';
import { createTestDatabase } from './database';

/** The same for every test file (roles are cluster-wide: parallel files set the same one). */
export const TEST_ROLE_PASSWORD = 'test-only-service-role-password';

/** Every schema of the system in the database of `ownerUrl`; each role's URL. */
export async function provisionSystemForTest(ownerUrl: string): Promise<RoleUrls> {
  // Loaded here, not above: it imports every service's and the workflows' migration folders (and modules).
  const { passwordCredentials, provisionSystem } = await import('../../scripts/lib/system-database');
  return provisionSystem(
    ownerUrl,
    passwordCredentials(() => TEST_ROLE_PASSWORD),
  );
}

/** One schema (a test fixture's, or a service's) with `<schema>_service` and TEST_ROLE_PASSWORD; its role's URL. */
export async function provisionForTest(
  ownerUrl: string,
  target: Omit<SchemaToProvision, 'credential'>,
): Promise<string> {
  const [done] = await provision(ownerUrl, [{ ...target, credential: { password: TEST_ROLE_PASSWORD } }]);
  return (done as { url: string }).url;
}

/**
 * A fresh test database with one of the system's schemas provisioned (`custody`, `treasury`, …): the
 * URL of its service role, as a running service is given it.
 */
export async function serviceDatabaseForTest(prefix: string, name: SystemRole): Promise<string> {
  const { SYSTEM_SCHEMAS } = await import('../../scripts/lib/system-database');
  return provisionForTest(await createTestDatabase(prefix), SYSTEM_SCHEMAS[name]);
}
