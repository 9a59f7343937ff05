/**
 * The control API as a running server, for main.ts, the dev stack and the end-to-end test:
 * connects to Temporal, listens, and `close` stops the server and the connection.
 */
import { Client, Connection } from '@temporalio/client';
import { createLogger, type Logger, listen } from '@vcdc/shared';
import { createControlApi } from './app';
import { type ControlApiConfig, registrationDefaults } from './config';

export async function startControlApi(
  config: ControlApiConfig,
  logger: Logger = createLogger('control-api', config.LOG_LEVEL),
): Promise<{ url: string; port: number; close: () => Promise<void> }> {
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  try {
    const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
    const app = createControlApi({
      client,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      logger,
      defaults: registrationDefaults(config),
    });
    const server = await listen(app, config.PORT, config.HOST);
    return {
      url: server.url,
      port: server.port,
      close: async () => {
        await server.close();
        await connection.close();
      },
    };
  } catch (error) {
    await connection.close();
    throw error;
  }
}
