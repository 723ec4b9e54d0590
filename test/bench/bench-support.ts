// What the benchmark scripts share: a database and Redis key prefixes of their own (and their
// removal), the app's configuration and HTTP port, a no-op task handler, timing, percentiles and a
// CPU meter. Nothing here measures on its own; each script decides what it times and prints.
import { randomBytes } from 'node:crypto';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Redis from 'ioredis';
import { Client } from 'pg';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import { TaskType } from '../../src/generated/prisma/enums';
import { TaskHandler, TaskHandlerInstance } from '../../src/processing/task-handler';
import { TEST_ENDPOINT } from '../support/factories';

export const API_KEY = 'bench-key';

/** The benchmark's handler: the engine's own cost, with no work in the task. */
@TaskHandler(TaskType.http_call)
export class NoopHandler implements TaskHandlerInstance {
  async run(): Promise<Record<string, unknown>> {
    return {};
  }
}

// --- a database and Redis key prefixes of the run's own ---

interface PrismaEngineScripts {
  DEFAULT_DATABASE_URL: string;
  withDatabase(url: string, name: string): string;
  maintenanceUrl(url: string): string;
  ensureDatabase(url: string): Promise<boolean>;
  deployMigrations(url: string): Promise<string[]>;
}

// TypeScript compiles import() to require() under CommonJS, and an .mjs file cannot be required.
const importEsm = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<unknown>;

export interface BenchEnvironment {
  /** bs_bench_<id> on the server of DATABASE_URL (default: local). */
  databaseUrl: string;
  /** REDIS_URL (default: local). */
  redisUrl: string;
  /** bsbench-<id>: every queue prefix of the run starts with it. */
  prefixRoot: string;
  /** Creates the database unless it exists, then applies the migrations. */
  createDatabase(): Promise<void>;
  /** Drops the database, but only if createDatabase made it. */
  dropDatabase(): Promise<void>;
}

/** Names the run's database and prefixes (nothing is created until createDatabase). */
export async function benchEnvironment(): Promise<BenchEnvironment> {
  const engine = (await importEsm(
    pathToFileURL(path.resolve(__dirname, '../../scripts/prisma-engine.mjs')).href,
  )) as PrismaEngineScripts;
  const id = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const serverUrl = process.env.DATABASE_URL || engine.DEFAULT_DATABASE_URL;
  const databaseUrl = engine.withDatabase(serverUrl, `bs_bench_${id}`);
  let created = false;
  return {
    databaseUrl,
    redisUrl: process.env.REDIS_URL || 'redis://127.0.0.1:6379',
    prefixRoot: `bsbench-${id}`,
    createDatabase: async () => {
      created = await engine.ensureDatabase(databaseUrl);
      await engine.deployMigrations(databaseUrl);
    },
    dropDatabase: async () => {
      if (created) await dropDatabase(engine.maintenanceUrl(databaseUrl), databaseUrl);
    },
  };
}

/** Deletes the keys matching a SCAN pattern (e.g. `bsbench-<id>-*`). */
export async function deleteRedisKeys(url: string, pattern: string): Promise<void> {
  const redis = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

async function dropDatabase(adminUrl: string, databaseUrl: string): Promise<void> {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

// --- the app under test ---

/** The service's configuration for a bench run; `env` adds the run's roles and knobs. */
export function benchConfig(
  run: { databaseUrl: string; redisUrl: string; queuePrefix: string },
  env: Record<string, string>,
): AppConfig {
  return loadConfig({
    NODE_ENV: 'production',
    DATABASE_URL: run.databaseUrl,
    REDIS_URL: run.redisUrl,
    QUEUE_PREFIX: run.queuePrefix,
    API_KEYS: API_KEY,
    LOG_LEVEL: 'warn',
    HTTP_CALL_ENDPOINTS: `${TEST_ENDPOINT}=http://127.0.0.1:9`,
    ...env,
  });
}

/** Listens on a free local port; returns it. */
export async function listen(app: NestFastifyApplication): Promise<number> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return (app.getHttpServer().address() as AddressInfo).port;
}

/** POST /batches with a ready JSON body; returns the batch id. */
export async function postBatch(port: number, body: string): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/batches`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
    body,
  });
  const text = await response.text();
  if (response.status !== 201) throw new Error(`POST /batches answered ${response.status}: ${text.slice(0, 500)}`);
  return (JSON.parse(text) as { id: string }).id;
}

// --- figures ---

export function elapsedMs(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e6;
}

export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return elapsedMs(start);
}

export const ms = (value: number) => `${Math.round(value)} ms`;

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export interface Percentiles {
  p50: number;
  p99: number;
  max: number;
}

/** Rounded to whole units; NaN for no values. */
export function percentiles(values: readonly number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN);
  return { p50: at(0.5), p99: at(0.99), max: Math.round(sorted[sorted.length - 1] ?? NaN) };
}

// --- CPU: is the machine (or this process) saturated while we measure? ---

export interface CpuShare {
  /** Percent of one core this process used. */
  process: number;
  /** Percent of all cores the machine used. */
  machine: number;
}

/** Starts measuring now; read() gives the shares since then. */
export function cpuMeter(): { read(): CpuShare } {
  const busyAndTotal = () =>
    os.cpus().reduce(
      (acc, { times }) => {
        const total = times.user + times.nice + times.sys + times.idle + times.irq;
        return { busy: acc.busy + total - times.idle, total: acc.total + total };
      },
      { busy: 0, total: 0 },
    );
  const machineStart = busyAndTotal();
  const processStart = process.cpuUsage();
  const wallStart = process.hrtime.bigint();
  return {
    read: () => {
      const machine = busyAndTotal();
      const used = process.cpuUsage(processStart);
      return {
        process: Math.round(((used.user + used.system) / 1000 / elapsedMs(wallStart)) * 100),
        machine: Math.round(((machine.busy - machineStart.busy) / (machine.total - machineStart.total)) * 100),
      };
    },
  };
}
