import { rmSync } from 'node:fs';
import type { EmbeddedPostgresHandle } from '../../scripts/lib/embedded-postgres';

export default async function globalTeardown(): Promise<void> {
  const state = (globalThis as { __VCDC_PG__?: { postgres: EmbeddedPostgresHandle; dataDir: string } }).__VCDC_PG__;
  if (!state) return;
  await state.postgres.stop();
  rmSync(state.dataDir, { recursive: true, force: true });
}
