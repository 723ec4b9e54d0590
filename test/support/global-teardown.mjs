// Drops the template and any database of this run a crashed test file left behind, and the
// Redis keys of this run's queue prefixes (an app that joined another's prefix can write a key
// after its owner cleaned up). Nothing of other runs is touched.
import Redis from 'ioredis';
import pg from 'pg';
import { POSTGRES_ADMIN_URL, REDIS_URL } from './test-env.mjs';

export default async function globalTeardown() {
  const runId = process.env.BS_TEST_RUN_ID;
  if (!runId) return;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  try {
    const { rows } = await admin.query(
      `SELECT datname FROM pg_database WHERE datname LIKE $1 OR datname LIKE $2`,
      [`bs_tpl_${runId}`, `bs_t_${runId}_%`],
    );
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }

  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `bstest-${runId}-*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
