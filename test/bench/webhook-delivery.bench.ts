// Webhook delivery benchmark.
//
//   npm run bench:webhooks          (DATABASE_URL / REDIS_URL name the servers; defaults: local)
//
// 1. Throughput: BENCH_DELIVERIES (10,000) due deliveries committed at once, sent by one
//    scheduler instance to a local receiver (a child process, so it does not share this event
//    loop), until every row is recorded successful. Once per WEBHOOK_DELIVERY_CONCURRENCY value
//    in BENCH_CONCURRENCY (default: the service default, 100).
// 2. Latency: event to first attempt, for events produced by running batches (api + worker +
//    scheduler in one process, a no-op task handler): BENCH_BATCHES batches of BENCH_BATCH_TASKS
//    tasks, one every BENCH_BATCH_EVERY_MS. Measured from the event's `timestamp` (taken before
//    its transaction commits, so an upper bound) to the receiver's first request with that
//    webhook-id; batch.created is also measured from the moment POST /batches returned.
//
// Prints figures; asserts nothing about time. Creates, migrates and finally drops a database of
// its own (bs_bench_<id>) and deletes the Redis keys of the prefixes it made (bsbench-<id>-*).
import 'reflect-metadata';
import { ChildProcess, spawn } from 'node:child_process';
import os from 'node:os';
import { Client } from 'pg';
import { createApp } from '../../src/app.factory';
import { batchTask } from '../support/factories';
import { API_KEY, benchConfig, benchEnvironment, cpuMeter, deleteRedisKeys, listen, NoopHandler, percentiles } from './bench-support';

const DELIVERIES = Number(process.env.BENCH_DELIVERIES ?? 10_000);
const CONCURRENCIES = (process.env.BENCH_CONCURRENCY ?? '100').split(',').map(Number);
const BATCHES = Number(process.env.BENCH_BATCHES ?? 40);
const BATCH_TASKS = Number(process.env.BENCH_BATCH_TASKS ?? 50);
const BATCH_EVERY_MS = Number(process.env.BENCH_BATCH_EVERY_MS ?? 250);
const TARGETS = { deliveriesPerS: 1500, p50Ms: 1000, p99Ms: 2000 };

async function main(): Promise<void> {
  const bench = await benchEnvironment();
  const { databaseUrl, redisUrl, prefixRoot } = bench;
  const receiver = await Receiver.start();
  const db = new Client({ connectionString: databaseUrl });
  console.log(`webhook delivery: ${DELIVERIES} deliveries per throughput run, receiver in a child process, ${os.cpus().length} cores`);
  try {
    await bench.createDatabase();
    await db.connect();
    const base = { databaseUrl, redisUrl, receiver, db };

    const throughputs: Array<{ concurrency: number; perS: number }> = [];
    for (const concurrency of CONCURRENCIES) {
      const run = await throughput({ ...base, queuePrefix: `${prefixRoot}-t${concurrency}`, concurrency });
      throughputs.push({ concurrency, perS: run.perS });
      console.log(
        `  throughput c=${String(concurrency).padEnd(3)}: ${DELIVERIES} deliveries in ${run.ms} ms = ${Math.round(run.perS)} deliveries/s` +
          ` (receiver got ${run.received}; CPU: this process ${run.cpu.process}% of one core, machine ${run.cpu.machine}%)`,
      );
    }

    const latency = await eventLatency({ ...base, queuePrefix: `${prefixRoot}-latency` });
    console.log(
      `  latency, ${latency.events} events from ${BATCHES} running batches of ${BATCH_TASKS} tasks (${latency.eventsPerS} events/s):` +
        ` event -> first attempt p50 ${latency.all.p50} / p99 ${latency.all.p99} / max ${latency.all.max} ms`,
    );
    console.log(
      `      by kind: batch.* p50 ${latency.batch.p50} / p99 ${latency.batch.p99} ms, task.* p50 ${latency.task.p50} / p99 ${latency.task.p99} ms;` +
        ` batch.created after POST /batches returned p50 ${latency.afterPost.p50} / p99 ${latency.afterPost.p99} ms`,
    );

    const verdict = (met: boolean) => (met ? 'met' : 'MISSED');
    console.log(`summary (targets: >= ${TARGETS.deliveriesPerS} deliveries/s, first attempt p50 < ${TARGETS.p50Ms} ms, p99 < ${TARGETS.p99Ms} ms)`);
    for (const { concurrency, perS } of throughputs) {
      console.log(`  c=${concurrency}: ${Math.round(perS)} deliveries/s ${verdict(perS >= TARGETS.deliveriesPerS)}`);
    }
    console.log(`  first attempt p50 ${latency.all.p50} ms ${verdict(latency.all.p50 < TARGETS.p50Ms)}, p99 ${latency.all.p99} ms ${verdict(latency.all.p99 < TARGETS.p99Ms)}`);
  } finally {
    await db.end().catch(() => undefined);
    receiver.stop();
    await deleteRedisKeys(redisUrl, `${prefixRoot}-*`);
    await bench.dropDatabase();
  }
}

interface RunContext {
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  receiver: Receiver;
  db: Client;
}

function appConfig(ctx: RunContext, env: Record<string, string>) {
  return benchConfig(ctx, { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', ...env });
}

/** One scheduler instance drains DELIVERIES rows committed in one transaction. */
async function throughput(ctx: RunContext & { concurrency: number }) {
  const { db, receiver } = ctx;
  await db.query('TRUNCATE "WebhookDelivery", "WebhookSubscription"');
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO "WebhookSubscription" ("id", "name", "url", "secret", "eventTypes", "updatedAt")
     VALUES (uuid_generate_v7(), 'bench', $1, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', '{task.completed}', now()) RETURNING "id"`,
    [receiver.url],
  );
  receiver.reset();
  const app = await createApp(appConfig(ctx, { PROCESS_ROLES: 'scheduler', WEBHOOK_DELIVERY_CONCURRENCY: String(ctx.concurrency) }));
  try {
    const cpu = cpuMeter();
    const started = Date.now();
    // A task.completed-sized payload; committed at once, with the NOTIFY the outbox raises.
    await db.query(
      `WITH inserted AS (
         INSERT INTO "WebhookDelivery" ("id", "webhookId", "eventType", "payload", "scheduledFor", "createdAt")
         SELECT uuid_generate_v7(), $1, 'task.completed',
                jsonb_build_object('type', 'task.completed', 'timestamp', now(), 'data', jsonb_build_object(
                  'taskId', gen_random_uuid(), 'batchId', gen_random_uuid(), 'ref', 't' || n, 'taskType', 'http_call',
                  'status', 'completed', 'retryCount', 0, 'output', jsonb_build_object('url', 'https://cdn.example.com/out/' || n || '.mp4'))),
                now(), now()
         FROM generate_series(1, $2::int) AS n RETURNING 1)
       SELECT count(*), pg_notify('webhook_outbox', '')::text FROM inserted`,
      [rows[0].id, DELIVERIES],
    );
    // Wait on the receiver (cheap), then on the rows' recorded outcome (a scan, so rarely).
    while ((await receiver.count()) < DELIVERIES) await new Promise((resolve) => setTimeout(resolve, 10));
    for (;;) {
      const { rows: left } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "WebhookDelivery" WHERE NOT "successful" AND "gaveUpAt" IS NULL`,
      );
      if (left[0].n === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const ms = Date.now() - started;
    const stats = await receiver.stats();
    return { ms, perS: (DELIVERIES / ms) * 1000, received: stats.count, cpu: cpu.read() };
  } finally {
    await app.close();
  }
}

/** Batches run on the engine while subscribers receive every event. */
async function eventLatency(ctx: RunContext) {
  const { db, receiver } = ctx;
  await db.query('TRUNCATE "WebhookDelivery", "WebhookSubscription"');
  receiver.reset();
  const app = await createApp(appConfig(ctx, { PROCESS_ROLES: 'api,worker,scheduler' }), { taskHandlers: [NoopHandler] });
  try {
    const port = await listen(app);
    const call = async (method: string, route: string, body: unknown) => {
      const response = await fetch(`http://127.0.0.1:${port}${route}`, {
        method,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      if (response.status >= 300) throw new Error(`${method} ${route} answered ${response.status}: ${text.slice(0, 300)}`);
      return JSON.parse(text) as Record<string, any>;
    };
    const eventTypes = ['batch.created', 'batch.started', 'batch.completed', 'task.started', 'task.completed'];
    await call('POST', '/webhooks', { name: 'bench', url: receiver.url, eventTypes });

    const postReturned = new Map<string, number>();
    const started = Date.now();
    const submissions: Array<Promise<void>> = [];
    for (let i = 0; i < BATCHES; i++) {
      const tasks = Array.from({ length: BATCH_TASKS }, (_, k) => batchTask(`t${k}`, k % 5 === 0 ? [] : [`t${k - 1}`]));
      submissions.push(
        call('POST', '/batches', { name: `bench ${i}`, batchType: 'media', tasks }).then((batch) => {
          postReturned.set(batch.id, Date.now());
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, BATCH_EVERY_MS));
    }
    await Promise.all(submissions);
    const expected = BATCHES * (3 + 2 * BATCH_TASKS);
    for (;;) {
      const { rows } = await db.query<{ total: number; done: number }>(
        `SELECT count(*)::int AS total, count(*) FILTER (WHERE "successful")::int AS done FROM "WebhookDelivery"`,
      );
      if (rows[0].total >= expected && rows[0].done === rows[0].total) break;
      if (Date.now() - started > 300_000) throw new Error(`deliveries: ${JSON.stringify(rows[0])} of ${expected}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const elapsedS = (Date.now() - started) / 1000;
    const { firsts } = await receiver.stats();
    const lag = (filter: (f: FirstArrival) => boolean) =>
      percentiles(firsts.filter(filter).map((f) => f.at - Date.parse(f.timestamp)));
    const afterPost = percentiles(
      firsts.filter((f) => f.type === 'batch.created' && postReturned.has(f.batchId)).map((f) => f.at - postReturned.get(f.batchId)!),
    );
    return {
      events: firsts.length,
      eventsPerS: Math.round(firsts.length / elapsedS),
      all: lag(() => true),
      batch: lag((f) => f.type.startsWith('batch.')),
      task: lag((f) => f.type.startsWith('task.')),
      afterPost,
    };
  } finally {
    await app.close();
  }
}

interface FirstArrival {
  type: string;
  timestamp: string;
  batchId: string;
  at: number;
}

/**
 * A webhook receiver in a child process: answers 204 at once, counts requests and remembers
 * the first arrival time of each webhook-id.
 */
class Receiver {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static async start(): Promise<Receiver> {
    const code = `
      const http = require('node:http');
      let count = 0; let firsts = new Map();
      const server = http.createServer((req, res) => {
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
          const at = Date.now();
          count++;
          const id = req.headers['webhook-id'];
          if (!firsts.has(id)) {
            const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            firsts.set(id, { type: body.type, timestamp: body.timestamp, batchId: body.data.batchId, at });
          }
          res.writeHead(204); res.end();
        });
      });
      server.keepAliveTimeout = 60000;
      server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
      process.on('message', (m) => {
        if (m === 'reset') { count = 0; firsts = new Map(); process.send({ reset: true }); }
        if (m === 'stats') process.send({ answer: m, count, firsts: [...firsts.values()] });
        if (m === 'count') process.send({ answer: m, count });
      });
    `;
    const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const { port } = await new Promise<{ port: number }>((resolve) => child.once('message', (m) => resolve(m as { port: number })));
    return new Receiver(child, `http://127.0.0.1:${port}/hook`);
  }

  reset(): void {
    this.child.send('reset');
  }

  stats(): Promise<{ count: number; firsts: FirstArrival[] }> {
    return this.ask('stats');
  }

  async count(): Promise<number> {
    return (await this.ask<{ count: number }>('count')).count;
  }

  private ask<T>(question: string): Promise<T> {
    return new Promise((resolve) => {
      const onMessage = (m: any) => {
        if (m.answer === question) {
          this.child.off('message', onMessage);
          resolve(m);
        }
      };
      this.child.on('message', onMessage);
      this.child.send(question);
    });
  }

  stop(): void {
    this.child.kill();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
