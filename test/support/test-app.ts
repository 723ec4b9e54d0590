import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { createApp } from '../../src/app.factory';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import { PrismaService } from '../../src/prisma/prisma.service';
import { createTestDatabase, TestDatabase } from './test-database';

export const TEST_API_KEY = 'test-key-7f3a';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  prisma: PrismaService;
  database: TestDatabase;
  /** BullMQ key prefix owned by this app; nothing outside it is ever touched. */
  queuePrefix: string;
  request(method: InjectOptions['method'], url: string, payload?: unknown, headers?: Record<string, string>): Promise<TestResponse>;
  /** Deletes this app's Redis keys (simulates losing Redis' contents without touching others'). */
  wipeRedis(): Promise<number>;
  close(): Promise<void>;
}

export interface TestResponse {
  status: number;
  body: any;
  raw: LightMyRequestResponse;
}

/**
 * The real application on its own database and Redis key prefix. `env` overrides settings as
 * an operator would (names from .env.example).
 */
export async function startTestApp(env: Record<string, string> = {}, existing?: TestDatabase): Promise<TestApp> {
  const database = existing ?? (await createTestDatabase());
  // A second app joins another's queue by passing its QUEUE_PREFIX; the owner cleans it up.
  const ownsPrefix = env.QUEUE_PREFIX === undefined;
  const queuePrefix = env.QUEUE_PREFIX ?? `bstest-${process.env.BS_TEST_RUN_ID}-${randomBytes(5).toString('hex')}`;
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    DATABASE_POOL_SIZE: '5',
    REDIS_URL,
    QUEUE_PREFIX: queuePrefix,
    API_KEYS: `${TEST_API_KEY},second-key`,
    LOG_LEVEL: 'warn',
    HTTP_CALL_ENDPOINTS: 'media-svc=http://127.0.0.1:9',
    ...env,
  });
  const app = await createApp(config);
  await app.getHttpAdapter().getInstance().ready();

  const request: TestApp['request'] = async (method, url, payload, headers = {}) => {
    const raw = await app.inject({
      method,
      url,
      payload: payload as InjectOptions['payload'],
      headers: { authorization: `Bearer ${TEST_API_KEY}`, ...headers },
    });
    const text = raw.body;
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON (e.g. Swagger UI HTML)
    }
    return { status: raw.statusCode, body, raw };
  };

  const wipeRedis = async () => {
    const redis = new Redis(REDIS_URL);
    try {
      let deleted = 0;
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${queuePrefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) deleted += await redis.del(...keys);
      } while (cursor !== '0');
      return deleted;
    } finally {
      redis.disconnect();
    }
  };

  return {
    app,
    config,
    prisma: app.get(PrismaService),
    database,
    queuePrefix,
    request,
    wipeRedis,
    close: async () => {
      await app.close();
      if (ownsPrefix) await wipeRedis();
      if (!existing) await database.drop();
    },
  };
}
