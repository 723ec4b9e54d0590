// POST /batches with 10,000 tasks and ~11,000 dependency edges through the real HTTP server,
// against the same rows written with raw `pg` multi-row INSERTs in one transaction.
//
//   npm run bench:create-batch        (DATABASE_URL / REDIS_URL name the servers; defaults: local)
//
// It creates, migrates and finally drops a database of its own (bs_bench_<id>) on the server of
// DATABASE_URL, and uses a Redis key prefix of its own whose keys it deletes at the end. The app
// runs with PROCESS_ROLES=api, so nothing executes the tasks while we measure.
import 'reflect-metadata';
import { Client } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { createApp } from '../../src/app.factory';
import { mixedGraph } from '../support/factories';
import { benchConfig, benchEnvironment, deleteRedisKeys, listen, median, ms, postBatch, timed } from './bench-support';

const TASKS = 10_000;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const WARM_UPS = 1;
const API_TARGET_MS = 1000;
const RATIO_TARGET = 3;
/** Postgres' limit on bind parameters in one statement. */
const MAX_PARAMS = 65_535;

type Task = ReturnType<typeof mixedGraph>[number];

async function main(): Promise<void> {
  const bench = await benchEnvironment();
  const { databaseUrl, redisUrl, prefixRoot: queuePrefix } = bench;

  const tasks = mixedGraph(TASKS);
  const edgeCount = tasks.reduce((n, t) => n + t.dependsOn.length, 0);
  console.log(`create-batch: ${TASKS} tasks, ${edgeCount} edges; median of ${RUNS} runs after ${WARM_UPS} warm-up`);

  let app: Awaited<ReturnType<typeof createApp>> | undefined;
  const db = new Client({ connectionString: databaseUrl });
  try {
    await bench.createDatabase();
    app = await createApp(benchConfig({ databaseUrl, redisUrl, queuePrefix }, { PROCESS_ROLES: 'api' }));
    const port = await listen(app);
    const body = JSON.stringify({ name: 'bench', batchType: 'media', tasks });
    await db.connect();

    const api: number[] = [];
    const baseline: number[] = [];
    let lastBatchId = '';
    // Interleaved, so that both sides see the tables at the same sizes.
    for (let run = 0; run < WARM_UPS + RUNS; run++) {
      const a = await timed(async () => {
        lastBatchId = await postBatch(port, body);
      });
      const b = await timed(() => insertBaseline(db, tasks));
      if (run >= WARM_UPS) {
        api.push(a);
        baseline.push(b);
      }
    }
    await checkWritten(db, lastBatchId, TASKS, edgeCount);

    const apiMedian = median(api);
    const baselineMedian = median(baseline);
    const ratio = apiMedian / baselineMedian;
    console.log(`  API POST /batches (client wall time)  median ${ms(apiMedian)}   runs: ${api.map(ms).join(', ')}`);
    console.log(`  raw pg multi-row INSERT baseline      median ${ms(baselineMedian)}   runs: ${baseline.map(ms).join(', ')}`);
    console.log(`  ratio API / baseline                  ${ratio.toFixed(2)}x`);
    console.log(`  target API < ${API_TARGET_MS} ms: ${apiMedian < API_TARGET_MS ? 'met' : 'MISSED'}`);
    console.log(`  target ratio <= ${RATIO_TARGET}x: ${ratio <= RATIO_TARGET ? 'met' : 'MISSED'}`);
  } finally {
    await db.end().catch(() => undefined);
    await app?.close();
    await deleteRedisKeys(redisUrl, `${queuePrefix}:*`);
    await bench.dropDatabase();
  }
}

/** The rows POST /batches writes (one batch, its tasks, its edges), as plain multi-row INSERTs. */
async function insertBaseline(db: Client, tasks: readonly Task[]): Promise<void> {
  const now = new Date();
  const batchId = uuidv7();
  const ids = new Map(tasks.map((t) => [t.ref, uuidv7()]));
  const taskRows = tasks.map((t) => [
    ids.get(t.ref), batchId, t.ref, t.taskType, 0, 3, JSON.stringify(t.input), null, null, t.dependsOn.length, now, now, now,
  ]);
  const edgeRows = tasks.flatMap((t) => t.dependsOn.map((ref) => [uuidv7(), ids.get(t.ref), ids.get(ref), now]));

  await db.query('BEGIN');
  try {
    await db.query(
      `INSERT INTO "ProcessingBatch" ("id", "name", "batchType", "priority", "metadata", "totalTasks", "queuedTasks",
        "createdAt", "updatedAt") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [batchId, 'bench', 'media', 0, null, tasks.length, tasks.length, now, now],
    );
    await insertRows(
      db,
      `INSERT INTO "ProcessingTask" ("id", "batchId", "ref", "taskType", "priority", "maxRetries", "input",
        "meetingRecordId", "timeoutMs", "pendingDependencies", "runAfter", "createdAt", "updatedAt") VALUES `,
      taskRows,
    );
    await insertRows(
      db,
      `INSERT INTO "TaskDependency" ("id", "dependentTaskId", "dependencyTaskId", "createdAt") VALUES `,
      edgeRows,
    );
    await db.query('COMMIT');
  } catch (error) {
    await db.query('ROLLBACK');
    throw error;
  }
}

/** `INSERT … VALUES ($1, …), (…)` in as few statements as the parameter limit allows. */
async function insertRows(db: Client, insert: string, rows: readonly unknown[][]): Promise<void> {
  const width = rows[0].length;
  const perStatement = Math.floor(MAX_PARAMS / width);
  for (let start = 0; start < rows.length; start += perStatement) {
    const chunk = rows.slice(start, start + perStatement);
    const tuples = chunk.map((_, r) => `(${Array.from({ length: width }, (_, c) => `$${r * width + c + 1}`).join(', ')})`);
    await db.query(insert + tuples.join(', '), chunk.flat());
  }
}

/** The API run is only comparable if it wrote what the baseline writes. */
async function checkWritten(db: Client, batchId: string, tasks: number, edges: number): Promise<void> {
  const { rows } = await db.query<{ tasks: number; edges: number }>(
    `SELECT (SELECT count(*)::int FROM "ProcessingTask" WHERE "batchId" = $1) AS tasks,
            (SELECT count(*)::int FROM "TaskDependency" d JOIN "ProcessingTask" t ON t."id" = d."dependentTaskId"
              WHERE t."batchId" = $1) AS edges`,
    [batchId],
  );
  if (rows[0].tasks !== tasks || rows[0].edges !== edges) {
    throw new Error(`POST /batches wrote ${rows[0].tasks} tasks and ${rows[0].edges} edges, expected ${tasks} and ${edges}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
