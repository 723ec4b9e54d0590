import 'reflect-metadata';
import { createApp } from './app.factory';
import { loadConfig } from './config/app-config';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createApp(config);
  await app.listen({ port: config.http.port, host: config.http.host });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
