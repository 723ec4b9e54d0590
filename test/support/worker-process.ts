// A worker-only instance of the service in a process of its own, so fault tests can SIGKILL it.
// Started by WorkerProcess (worker-processes.ts) with the test app's DATABASE_URL, REDIS_URL,
// QUEUE_PREFIX and HTTP_CALL_ENDPOINTS in its environment; tells its parent when it is ready.
import 'reflect-metadata';
import { createApp } from '../../src/app.factory';
import { loadConfig } from '../../src/config/app-config';

async function main(): Promise<void> {
  // Started as the service's own entry point would be: configuration from the environment.
  const config = loadConfig({ ...process.env, PROCESS_ROLES: 'worker' });
  await createApp(config); // enableShutdownHooks: SIGTERM closes it gracefully
  process.send?.({ ready: true });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
