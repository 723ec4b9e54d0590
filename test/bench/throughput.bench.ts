// End-to-end throughput of the execution engine: a 10,000-task batch (chains, fan-out, fan-in)
// from POST /batches until the batch is finished, with a no-op handler in place of http_call,
// against raw BullMQ (addBulk + a Worker whose processor does nothing) at the same concurrency.
// Also the latency from a dependency completing to its dependent starting.
//
//   npm run bench:throughput          (DATABASE_URL / REDIS_URL name the servers; defaults: local)
//
// BENCH_CONCURRENCY (default 16,32,64) lists the WORKER_CONCURRENCY values to try; BENCH_GRAPHS
// (default mixed,wide) the graph shapes; BENCH_TASKS the batch size; BENCH_PROFILE=1 counts and
// times every SQL statement the service sends, and times the engine's steps (claim and finish:
// waiting for their group, their transaction, group sizes; enqueue); BENCH_CPU_PROFILE=<dir> writes a V8 CPU profile
// of each engine run (submission to finish only) there, for Chrome DevTools. It creates, migrates and finally drops a database
// of its own (bs_bench_<id>) and deletes the Redis keys of the prefixes it made (bsbench-<id>-*).
import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { Queue, Worker } from 'bullmq';
import { Client } from 'pg';
import { createApp } from '../../src/app.factory';
import { redisOptionsFromUrl } from '../../src/config/redis-options';
import { TaskQueue, toQueuePriority } from '../../src/processing/task-queue';
import { TaskStateService } from '../../src/processing/task-state.service';
import { mixedGraph } from '../support/factories';
import { wideGraph } from '../support/graphs';
import {
  benchConfig,
  benchEnvironment,
  CpuShare,
  cpuMeter,
  deleteRedisKeys,
  elapsedMs,
  listen,
  ms,
  NoopHandler,
  Percentiles,
  percentiles,
  postBatch,
} from './bench-support';

const TASKS = Number(process.env.BENCH_TASKS ?? 10_000);
const CONCURRENCIES = (process.env.BENCH_CONCURRENCY ?? '16,32,64').split(',').map(Number);
const GRAPHS = (process.env.BENCH_GRAPHS ?? 'mixed,wide').split(',') as GraphName[];
const PROFILE = process.env.BENCH_PROFILE === '1';
const CPU_PROFILE_DIR = process.env.BENCH_CPU_PROFILE;
const POLL_MS = 20;
const TARGET_TASKS_PER_S = 2000;
const TARGET_RATIO = 0.3;
const TARGET_DEPENDENT_START_P50_MS = 20;

/** mixed: mixedGraph, ~size/10 deep (latency-bound); wide: wideGraph, 7 deep (throughput-bound). */
type GraphName = 'mixed' | 'wide';
type Task = ReturnType<typeof mixedGraph>[number];

const GRAPH_BUILDERS: Record<GraphName, (size: number) => Task[]> = { mixed: (n) => mixedGraph(n), wide: wideGraph };

interface EngineRun {
  graph: GraphName;
  concurrency: number;
  submitMs: number;
  totalMs: number;
  tasksPerS: number;
  edge: Percentiles;
  lastDependency: Percentiles;
  queueWait: Percentiles;
  runMs: Percentiles;
  cpu: CpuShare;
  sql?: SqlProfile;
  steps?: StepProfile;
}

async function main(): Promise<void> {
  const bench = await benchEnvironment();
  const { databaseUrl, redisUrl, prefixRoot } = bench;
  const sql = PROFILE ? profileSql() : undefined;
  const steps = PROFILE ? profileSteps() : undefined;

  console.log(
    `throughput: ${TASKS} tasks per batch, graphs ${GRAPHS.join(', ')}, WORKER_CONCURRENCY ${CONCURRENCIES.join(', ')}, no-op handler`,
  );
  const db = new Client({ connectionString: databaseUrl });
  const raw: Record<number, number> = {};
  const runs: EngineRun[] = [];
  try {
    await bench.createDatabase();
    await db.connect();
    const idle = cpuMeter();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const busy = idle.read().machine;
    console.log(`  machine ${busy}% busy before the runs${busy > 25 ? ': something else is running, figures will be low and noisy' : ''}`);

    for (const concurrency of CONCURRENCIES) {
      raw[concurrency] = await rawBullmq(redisUrl, `${prefixRoot}-raw-${concurrency}`, concurrency);
      console.log(`  raw BullMQ            c=${concurrency}: ${TASKS} jobs in ${ms(TASKS / raw[concurrency] * 1000)} = ${Math.round(raw[concurrency])} jobs/s`);
      for (const graph of GRAPHS) {
        const run = await engineRun(db, databaseUrl, redisUrl, `${prefixRoot}-${graph}-${concurrency}`, graph, concurrency, sql, steps);
        runs.push(run);
        console.log(
          `  engine ${graph.padEnd(5)} graph   c=${concurrency}: ${ms(run.totalMs)} (POST ${ms(run.submitMs)}) = ${Math.round(run.tasksPerS)} tasks/s` +
            `, ratio ${(run.tasksPerS / raw[concurrency]).toFixed(2)}` +
            `, dependent start after its last dependency p50 ${run.lastDependency.p50} / p99 ${run.lastDependency.p99} ms` +
            ` (per edge p50 ${run.edge.p50} / p99 ${run.edge.p99})`,
        );
        console.log(
          `      ready -> started p50 ${run.queueWait.p50} / p99 ${run.queueWait.p99} ms (roots: from submission), started -> completed p50 ${run.runMs.p50} / p99 ${run.runMs.p99} ms` +
            `; CPU: this process ${run.cpu.process}% of one core, machine ${run.cpu.machine}% of ${os.cpus().length} cores`,
        );
        if (run.steps) printSteps(run.steps);
        if (run.sql) printSqlProfile(run.sql, TASKS);
      }
    }

    console.log('summary (targets: >= %d tasks/s, >= %s of raw BullMQ, dependent start p50 < %d ms)', TARGET_TASKS_PER_S, TARGET_RATIO, TARGET_DEPENDENT_START_P50_MS);
    for (const run of runs) {
      const ratio = run.tasksPerS / raw[run.concurrency];
      const verdict = (met: boolean) => (met ? 'met' : 'MISSED');
      console.log(
        `  ${run.graph.padEnd(5)} c=${String(run.concurrency).padEnd(3)} ${String(Math.round(run.tasksPerS)).padStart(5)} tasks/s ${verdict(run.tasksPerS >= TARGET_TASKS_PER_S)}` +
          ` | ratio ${ratio.toFixed(2)} ${verdict(ratio >= TARGET_RATIO)}` +
          ` | dependent start p50 ${run.lastDependency.p50} ms ${verdict(run.lastDependency.p50 < TARGET_DEPENDENT_START_P50_MS)}`,
      );
    }
  } finally {
    await db.end().catch(() => undefined);
    await deleteRedisKeys(redisUrl, `${prefixRoot}-*`);
    await bench.dropDatabase();
  }
}

/** The service: POST the batch over HTTP, poll its status until terminal. */
async function engineRun(
  db: Client,
  databaseUrl: string,
  redisUrl: string,
  queuePrefix: string,
  graph: GraphName,
  concurrency: number,
  sql?: SqlCounter,
  steps?: StepCounter,
): Promise<EngineRun> {
  const app = await createApp(
    benchConfig({ databaseUrl, redisUrl, queuePrefix }, { PROCESS_ROLES: 'api,worker,scheduler', WORKER_CONCURRENCY: String(concurrency) }),
    { taskHandlers: [NoopHandler] },
  );
  try {
    const port = await listen(app);
    const body = JSON.stringify({ name: `bench ${graph}`, batchType: 'media', tasks: GRAPH_BUILDERS[graph](TASKS) });
    sql?.reset();
    steps?.reset();
    const profiler = CPU_PROFILE_DIR ? await startCpuProfile() : undefined;
    const cpu = cpuMeter();

    const started = process.hrtime.bigint();
    const batchId = await postBatch(port, body);
    const submitMs = elapsedMs(started);
    let status = 'queued';
    while (!['completed', 'completed_with_errors', 'failed', 'cancelled'].includes(status)) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      ({ status } = (await db.query<{ status: string }>(`SELECT "status" FROM "ProcessingBatch" WHERE "id" = $1`, [batchId])).rows[0]);
    }
    const totalMs = elapsedMs(started);
    const cpuShare = cpu.read();
    if (profiler) console.log(`      CPU profile: ${await profiler.stop(`${graph}-c${concurrency}`)}`);
    const profile = sql?.snapshot();
    const stepProfile = steps?.snapshot();
    if (status !== 'completed') throw new Error(`batch ended ${status}`);
    await checkCounters(db, batchId);
    return { graph, concurrency, submitMs, totalMs, tasksPerS: (TASKS / totalMs) * 1000, ...(await latencies(db, batchId)), cpu: cpuShare, sql: profile, steps: stepProfile };
  } finally {
    await app.close();
  }
}

/** The baseline: the same number of jobs, job options as the service's, a no-op processor. */
async function rawBullmq(redisUrl: string, prefix: string, concurrency: number): Promise<number> {
  const connection = redisOptionsFromUrl(redisUrl);
  const queue = new Queue('tasks', { connection, prefix });
  let completed = 0;
  let done: () => void = () => undefined;
  const allDone = new Promise<void>((resolve) => (done = resolve));
  const worker = new Worker('tasks', async () => undefined, { connection, prefix, concurrency, autorun: false });
  worker.on('completed', () => {
    if (++completed === TASKS) done();
  });
  try {
    await queue.waitUntilReady();
    await worker.waitUntilReady();
    const started = process.hrtime.bigint();
    void worker.run();
    const opts = { priority: toQueuePriority(0), removeOnComplete: true, removeOnFail: true };
    // The service enqueues in bulks as tasks become ready; the baseline in bulks of 1,000.
    for (let from = 0; from < TASKS; from += 1000) {
      await queue.addBulk(
        Array.from({ length: Math.min(1000, TASKS - from) }, (_, i) => ({
          name: 'run',
          data: { taskId: `${from + i}`, generation: 0, batchId: null },
          opts: { ...opts, jobId: `job-${from + i}.0` },
        })),
      );
    }
    await allDone;
    return (TASKS / elapsedMs(started)) * 1000;
  } finally {
    await worker.close();
    await queue.close();
  }
}

async function checkCounters(db: Client, batchId: string): Promise<void> {
  const { rows } = await db.query<{ total: number; completed: number; real: number }>(
    `SELECT b."totalTasks" AS total, b."completedTasks" AS completed,
       (SELECT count(*)::int FROM "ProcessingTask" t WHERE t."batchId" = b."id" AND t."status" = 'completed') AS real
     FROM "ProcessingBatch" b WHERE b."id" = $1`,
    [batchId],
  );
  const { total, completed, real } = rows[0];
  if (total !== TASKS || completed !== TASKS || real !== TASKS) {
    throw new Error(`counters: total ${total}, completed ${completed}, completed rows ${real}; expected ${TASKS}`);
  }
}

/**
 * From the rows after the run: for each edge, dependent.startedAt - dependency.completedAt; for
 * each dependent, the same from its last dependency (what it actually waited for); for every
 * task, ready -> started (its last dependency's completion, or the batch's creation for roots)
 * and started -> completed.
 */
async function latencies(db: Client, batchId: string) {
  const column = async (query: string) =>
    percentiles((await db.query<{ ms: number }>(query, [batchId])).rows.map((r) => Number(r.ms)));
  const edge = await column(`
    SELECT EXTRACT(EPOCH FROM (t."startedAt" - d."completedAt")) * 1000 AS ms
    FROM "ProcessingTask" t JOIN "TaskDependency" e ON e."dependentTaskId" = t."id"
    JOIN "ProcessingTask" d ON d."id" = e."dependencyTaskId" WHERE t."batchId" = $1`);
  const lastDependency = await column(`
    SELECT EXTRACT(EPOCH FROM (t."startedAt" - max(d."completedAt"))) * 1000 AS ms
    FROM "ProcessingTask" t JOIN "TaskDependency" e ON e."dependentTaskId" = t."id"
    JOIN "ProcessingTask" d ON d."id" = e."dependencyTaskId" WHERE t."batchId" = $1 GROUP BY t."id", t."startedAt"`);
  const queueWait = await column(`
    SELECT EXTRACT(EPOCH FROM (t."startedAt" - coalesce(max(d."completedAt"), t."createdAt"))) * 1000 AS ms
    FROM "ProcessingTask" t LEFT JOIN "TaskDependency" e ON e."dependentTaskId" = t."id"
    LEFT JOIN "ProcessingTask" d ON d."id" = e."dependencyTaskId" WHERE t."batchId" = $1 GROUP BY t."id"`);
  const runMs = await column(`
    SELECT EXTRACT(EPOCH FROM (t."completedAt" - t."startedAt")) * 1000 AS ms FROM "ProcessingTask" t WHERE t."batchId" = $1`);
  return { edge, lastDependency, queueWait, runMs };
}

// --- SQL profile (BENCH_PROFILE=1): every statement through pg, counted and timed by its shape ---

type SqlProfile = Map<string, { count: number; ms: number }>;
interface SqlCounter {
  reset(): void;
  snapshot(): SqlProfile;
}

function profileSql(): SqlCounter {
  let stats: SqlProfile = new Map();
  // The Prisma pg adapter and the bench's own client both go through pg.Client#query.
  const proto = Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string })?.text ?? '';
    const key = shapeOf(text);
    const started = process.hrtime.bigint();
    const record = () => {
      const entry = stats.get(key) ?? { count: 0, ms: 0 };
      entry.count++;
      entry.ms += elapsedMs(started);
      stats.set(key, entry);
    };
    // pg-pool's query() (statements outside a transaction) passes a callback; transactions await.
    const last = args.length - 1;
    if (typeof args[last] === 'function') {
      const callback = args[last] as (...results: unknown[]) => unknown;
      args[last] = (...results: unknown[]) => {
        record();
        return callback(...results);
      };
    }
    const result = original.apply(this, args);
    if (typeof args[last] !== 'function' && result && typeof (result as Promise<unknown>).then === 'function') {
      (result as Promise<unknown>).then(record, record);
    }
    return result;
  };
  return { reset: () => (stats = new Map()), snapshot: () => stats };
}

/** A statement's kind: its first words and the tables it names, without parameters. */
function shapeOf(text: string): string {
  const compact = text.replace(/\s+/g, ' ').trim();
  if (/^(BEGIN|COMMIT|ROLLBACK)/i.test(compact)) return compact.split(' ')[0].toUpperCase();
  const tables = [...new Set([...compact.matchAll(/"(Processing\w+|TaskDependency|Webhook\w+)"/g)].map((m) => m[1]))];
  return `${compact.split(' ').slice(0, 3).join(' ').slice(0, 40)} … [${tables.join(', ')}]`;
}

function printSqlProfile(profile: SqlProfile, tasks: number): void {
  const rows = [...profile.entries()].filter(([key]) => !key.startsWith('SELECT "status" FROM')).sort((a, b) => b[1].ms - a[1].ms);
  const count = rows.reduce((n, [, s]) => n + s.count, 0);
  console.log(`      SQL: ${count} statements = ${(count / tasks).toFixed(2)} per task (client-side wall time, overlapping):`);
  for (const [key, s] of rows.slice(0, 14)) {
    console.log(`        ${String(s.count).padStart(6)} x ${(s.ms / s.count).toFixed(2).padStart(6)} ms = ${ms(s.ms).padStart(8)}  ${key}`);
  }
}

// --- Step profile (BENCH_PROFILE=1): the engine's hot path, timed by wrapping its methods ---

type StepProfile = Record<'claim' | 'claimTx' | 'finish' | 'finishTx' | 'enqueue', number[]> & { claimGroups: number[]; finishGroups: number[] };
interface StepCounter {
  reset(): void;
  snapshot(): StepProfile;
}

function profileSteps(): StepCounter {
  const empty = (): StepProfile => ({ claim: [], claimTx: [], finish: [], finishTx: [], enqueue: [], claimGroups: [], finishGroups: [] });
  let profile = empty();
  const wrap = (proto: object, method: string, record: (ms: number, args: unknown[]) => void) => {
    const target = proto as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const original = target[method];
    target[method] = async function (this: unknown, ...args: unknown[]) {
      const started = process.hrtime.bigint();
      try {
        return await original.apply(this, args);
      } finally {
        record(elapsedMs(started), args);
      }
    };
  };
  // claim/finish: from a worker's request to its answer (waiting for the group + the transaction);
  // claimGroup/finishGroup: one group's transaction (finishGroup includes its enqueue after commit).
  wrap(TaskStateService.prototype, 'claim', (ms) => profile.claim.push(ms));
  wrap(TaskStateService.prototype, 'finish', (ms) => profile.finish.push(ms));
  wrap(TaskStateService.prototype, 'claimGroup', (ms, [jobs]) => {
    profile.claimTx.push(ms);
    profile.claimGroups.push((jobs as unknown[]).length);
  });
  wrap(TaskStateService.prototype, 'finishGroup', (ms, [items]) => {
    profile.finishTx.push(ms);
    profile.finishGroups.push((items as unknown[]).length);
  });
  wrap(TaskQueue.prototype, 'enqueue', (ms) => profile.enqueue.push(ms));
  return { reset: () => (profile = empty()), snapshot: () => profile };
}

function printSteps(steps: StepProfile): void {
  const line = (label: string, values: number[]) => {
    const p = percentiles(values);
    const mean = values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
    return `${label} p50 ${p.p50} / p99 ${p.p99} ms (mean ${mean.toFixed(1)}, n ${values.length})`;
  };
  const meanOf = (values: number[]) => (values.reduce((a, b) => a + b, 0) / Math.max(1, values.length)).toFixed(1);
  console.log(`      steps per task: ${line('claim', steps.claim)}; ${line('finish', steps.finish)}`);
  console.log(
    `      per group: ${line('claim tx', steps.claimTx)}, ${meanOf(steps.claimGroups)} jobs/group; ` +
      `${line('finish tx + enqueue', steps.finishTx)}, ${meanOf(steps.finishGroups)} results/group; ${line('enqueue', steps.enqueue)}`,
  );
}

async function startCpuProfile(): Promise<{ stop(name: string): Promise<string> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    stop: async (name) => {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      mkdirSync(CPU_PROFILE_DIR!, { recursive: true });
      const file = path.resolve(CPU_PROFILE_DIR!, `throughput-${name}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      return file;
    },
  };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
