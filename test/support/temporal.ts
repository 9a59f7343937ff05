/**
 * Temporal test servers for test files, from the binaries the jest global setup found or installed
 * (TEMPORAL_TEST_SERVER_PATH / TEMPORAL_CLI_PATH); without them, the SDK's own download.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { INDEXED_VALUE_TYPE } from '../../scripts/lib/temporal-cluster';
import { SEARCH_ATTRIBUTE_KEYS } from '../../workflows/src/workflow/shared';

/** The time-skipping test server (timers of days pass at once). */
export function startTimeSkippingServer(): Promise<TestWorkflowEnvironment> {
  const path = process.env.TEMPORAL_TEST_SERVER_PATH;
  return TestWorkflowEnvironment.createTimeSkipping(
    path ? { server: { executable: { type: 'existing-path', path } } } : {},
  );
}

/** A real Temporal dev server with the case search attributes registered. */
export function startDevServer(): Promise<TestWorkflowEnvironment> {
  const path = process.env.TEMPORAL_CLI_PATH;
  return TestWorkflowEnvironment.createLocal({
    server: {
      ...(path ? { executable: { type: 'existing-path' as const, path } } : {}),
      searchAttributes: SEARCH_ATTRIBUTE_KEYS,
    },
  });
}

/** The time-skipping server knows no custom search attributes until they are added, each with its type. */
export async function addCaseSearchAttributes(env: TestWorkflowEnvironment): Promise<void> {
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(SEARCH_ATTRIBUTE_KEYS.map((k) => [k.name, INDEXED_VALUE_TYPE[k.type]])),
  });
}
