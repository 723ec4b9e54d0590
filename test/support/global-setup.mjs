// Migrates one template database per test run; every test file clones its own database from it
// (CREATE DATABASE ... TEMPLATE takes ~50 ms), so files and parallel runs never share data.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { deployMigrations } from '../../scripts/prisma-engine.mjs';
import { databaseUrl, POSTGRES_ADMIN_URL } from './test-env.mjs';

export default async function globalSetup() {
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const template = `bs_tpl_${runId}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${template}"`);
  } finally {
    await admin.end();
  }
  await deployMigrations(databaseUrl(template));
  process.env.BS_TEST_RUN_ID = runId;
  process.env.BS_TEST_TEMPLATE_DB = template;
}
