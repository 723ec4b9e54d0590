import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

const POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A fresh, migrated database of this test file's own, cloned from the run's template. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const runId = process.env.BS_TEST_RUN_ID;
  const template = process.env.BS_TEST_TEMPLATE_DB;
  if (!runId || !template) throw new Error('test/support/global-setup.mjs did not run (use npm test)');
  const name = `bs_t_${runId}_${randomBytes(4).toString('hex')}`;
  await admin(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return { name, url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

async function admin(sql: string): Promise<void> {
  // Two clones of one template at the same instant can collide; a short retry settles it.
  for (let attempt = 0; ; attempt++) {
    const client = new Client({ connectionString: POSTGRES_ADMIN_URL });
    await client.connect();
    try {
      await client.query(sql);
      return;
    } catch (error) {
      if (attempt >= 10 || !String(error).includes('being accessed by other users')) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 200));
    } finally {
      await client.end();
    }
  }
}
