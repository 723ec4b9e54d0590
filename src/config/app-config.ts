import { plainToInstance, Transform } from 'class-transformer';
import { TaskType } from '../generated/prisma/enums';
import { IsBoolean, IsIn, IsInt, IsNumber, IsOptional, IsString, Max, Min, validateSync } from 'class-validator';

export const PROCESS_ROLES = ['api', 'worker', 'scheduler'] as const;
export type ProcessRole = (typeof PROCESS_ROLES)[number];

const toInt = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : Number(value));
const toBool = ({ value }: { value: unknown }) =>
  value === undefined || value === '' ? undefined : ['1', 'true', 'yes'].includes(String(value).toLowerCase());

/** The environment as operators write it. Every name here is listed in .env.example and README. */
class Environment {
  @IsIn(['development', 'test', 'production']) @IsOptional() NODE_ENV = 'development';
  @Transform(toInt) @IsInt() @Min(0) @Max(65535) PORT = 3000;
  @IsString() HOST = '0.0.0.0';
  @IsString() DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/batch_service';
  @Transform(toInt) @IsInt() @Min(1) DATABASE_POOL_SIZE = 10;
  @IsString() REDIS_URL = 'redis://127.0.0.1:6379';
  @IsString() QUEUE_PREFIX = 'batchsvc';
  @IsString() @IsOptional() API_KEYS?: string;
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) LOG_LEVEL = 'info';
  @IsString() PROCESS_ROLES = 'api,worker,scheduler';
  @Transform(toInt) @IsInt() @Min(1) MAX_TASKS_PER_BATCH = 10_000;
  @Transform(toInt) @IsInt() @Min(1024) MAX_BODY_BYTES = 16 * 1024 * 1024;
  /** `name=https://base.url` pairs, comma-separated: the only hosts http_call tasks can reach. */
  @IsString() HTTP_CALL_ENDPOINTS = '';
  @Transform(toInt) @IsInt() @Min(1) WORKER_CONCURRENCY = 32;
  @Transform(toInt) @IsInt() @Min(100) TASK_DEFAULT_TIMEOUT_MS = 300_000;
  /** `taskType=ms` pairs overriding TASK_DEFAULT_TIMEOUT_MS per task type. */
  @IsString() TASK_TIMEOUTS = '';
  @Transform(toInt) @IsInt() @Min(0) RETRY_BACKOFF_BASE_MS = 1_000;
  @Transform(toInt) @IsNumber() @Min(1) RETRY_BACKOFF_FACTOR = 2;
  @Transform(toInt) @IsInt() @Min(0) RETRY_BACKOFF_MAX_MS = 300_000;
  @Transform(toInt) @IsInt() @Min(0) RETRY_AFTER_MAX_MS = 3_600_000;
  @Transform(toInt) @IsInt() @Min(1000) TASK_LEASE_MS = 30_000;
  @Transform(toInt) @IsInt() @Min(100) RECONCILE_INTERVAL_MS = 5_000;
  @Transform(toInt) @IsInt() @Min(0) SHUTDOWN_GRACE_MS = 10_000;
  /** Per-attempt webhook timeout: a 2xx must arrive within it. */
  @Transform(toInt) @IsInt() @Min(100) WEBHOOK_TIMEOUT_MS = 15_000;
  /** Delays before each webhook attempt (first must be 0), e.g. `0,5s,5m,30m,2h,5h,10h,10h`; bare numbers are ms. */
  @IsString() WEBHOOK_RETRY_SCHEDULE = '0,5s,5m,30m,2h,5h,10h,10h';
  /** Lets subscriptions target loopback/private/link-local addresses (local development and tests only). */
  @Transform(toBool) @IsBoolean() WEBHOOK_ALLOW_PRIVATE_TARGETS = false;
  /** How long the previous secret keeps signing after a rotation. */
  @Transform(toInt) @IsInt() @Min(0) WEBHOOK_SECRET_GRACE_MS = 86_400_000;
  /** Fallback tick of the delivery sweeper; new deliveries wake it at once through LISTEN/NOTIFY. */
  @Transform(toInt) @IsInt() @Min(10) WEBHOOK_SWEEP_INTERVAL_MS = 1_000;
  /** Most deliveries claimed per statement. */
  @Transform(toInt) @IsInt() @Min(1) @Max(10_000) WEBHOOK_SWEEP_BATCH_SIZE = 100;
  /** Most webhook requests in flight per scheduler instance. */
  @Transform(toInt) @IsInt() @Min(1) WEBHOOK_DELIVERY_CONCURRENCY = 100;
  /** A subscription whose attempts all fail for this long is disabled; 0 never disables. */
  @Transform(toInt) @IsInt() @Min(0) WEBHOOK_DISABLE_AFTER_FAILING_MS = 5 * 86_400_000;
  /** Cap on a receiver's Retry-After (429/503). */
  @Transform(toInt) @IsInt() @Min(0) WEBHOOK_RETRY_AFTER_MAX_MS = 3_600_000;
}

export interface AppConfig {
  env: 'development' | 'test' | 'production';
  http: { host: string; port: number; maxBodyBytes: number };
  database: { url: string; poolSize: number };
  redis: { url: string; queuePrefix: string };
  auth: { apiKeys: string[] };
  logLevel: string;
  roles: ReadonlySet<ProcessRole>;
  limits: { maxTasksPerBatch: number };
  httpCall: { endpoints: Record<string, string> };
  processing: {
    concurrency: number;
    defaultTimeoutMs: number;
    timeouts: Partial<Record<string, number>>;
    backoff: { baseMs: number; factor: number; maxMs: number };
    retryAfterMaxMs: number;
    leaseMs: number;
    reconcileIntervalMs: number;
    shutdownGraceMs: number;
  };
  webhooks: WebhooksConfig;
}

export interface WebhooksConfig {
  timeoutMs: number;
  /** Delay before attempt n+1 at index n; its length is the maximum number of attempts. */
  retryScheduleMs: number[];
  allowPrivateTargets: boolean;
  secretGraceMs: number;
  sweepIntervalMs: number;
  sweepBatchSize: number;
  concurrency: number;
  disableAfterFailingMs: number;
  retryAfterMaxMs: number;
}

export class ConfigError extends Error {}

/** Development-only key, so that a fresh clone answers with `npm start`; refused in production. */
export const DEVELOPMENT_API_KEY = 'dev-api-key';

/**
 * Validates the environment once, at startup, into a typed object. Nothing outside config/
 * reads process.env, so tests build a config from a plain object instead of mutating globals.
 */
export function loadConfig(source: Record<string, string | undefined> = process.env): AppConfig {
  const defined = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const env = plainToInstance(Environment, defined, { exposeDefaultValues: true });
  const errors = validateSync(env, { whitelist: false });
  if (errors.length > 0) {
    const lines = errors.map((e) => `${e.property}: ${Object.values(e.constraints ?? {}).join(', ')}`);
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }

  const roles = new Set<ProcessRole>();
  for (const role of splitList(env.PROCESS_ROLES)) {
    if (!(PROCESS_ROLES as readonly string[]).includes(role)) {
      throw new ConfigError(`PROCESS_ROLES: unknown role "${role}" (known: ${PROCESS_ROLES.join(', ')})`);
    }
    roles.add(role as ProcessRole);
  }

  let apiKeys = splitList(env.API_KEYS ?? '');
  if (apiKeys.length === 0) {
    if (env.NODE_ENV === 'production') throw new ConfigError('API_KEYS must list at least one key in production');
    apiKeys = [DEVELOPMENT_API_KEY];
  }

  return {
    env: env.NODE_ENV as AppConfig['env'],
    http: { host: env.HOST, port: env.PORT, maxBodyBytes: env.MAX_BODY_BYTES },
    database: { url: env.DATABASE_URL, poolSize: env.DATABASE_POOL_SIZE },
    redis: { url: env.REDIS_URL, queuePrefix: env.QUEUE_PREFIX },
    auth: { apiKeys },
    logLevel: env.LOG_LEVEL,
    roles,
    limits: { maxTasksPerBatch: env.MAX_TASKS_PER_BATCH },
    httpCall: { endpoints: parseEndpoints(env.HTTP_CALL_ENDPOINTS) },
    processing: {
      concurrency: env.WORKER_CONCURRENCY,
      defaultTimeoutMs: env.TASK_DEFAULT_TIMEOUT_MS,
      timeouts: parseTimeouts(env.TASK_TIMEOUTS),
      backoff: { baseMs: env.RETRY_BACKOFF_BASE_MS, factor: env.RETRY_BACKOFF_FACTOR, maxMs: env.RETRY_BACKOFF_MAX_MS },
      retryAfterMaxMs: env.RETRY_AFTER_MAX_MS,
      leaseMs: env.TASK_LEASE_MS,
      reconcileIntervalMs: env.RECONCILE_INTERVAL_MS,
      shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
    },
    webhooks: webhooksConfig(env),
  };
}

function parseEndpoints(value: string): Record<string, string> {
  const endpoints: Record<string, string> = {};
  for (const pair of splitList(value)) {
    const at = pair.indexOf('=');
    const name = pair.slice(0, at).trim();
    const url = pair.slice(at + 1).trim();
    if (at <= 0 || !/^https?:\/\/[^/]/.test(url)) {
      throw new ConfigError(`HTTP_CALL_ENDPOINTS: "${pair}" is not name=http(s)://base-url`);
    }
    endpoints[name] = url.replace(/\/+$/, '');
  }
  return endpoints;
}

function parseTimeouts(value: string): Record<string, number> {
  const timeouts: Record<string, number> = {};
  for (const pair of splitList(value)) {
    const [type, ms] = pair.split('=').map((part) => part.trim());
    if (!(Object.values(TaskType) as string[]).includes(type) || !/^\d+$/.test(ms ?? '')) {
      throw new ConfigError(`TASK_TIMEOUTS: "${pair}" is not taskType=milliseconds (task types: ${Object.values(TaskType).join(', ')})`);
    }
    timeouts[type] = Number(ms);
  }
  return timeouts;
}

function webhooksConfig(env: Environment): WebhooksConfig {
  const retryScheduleMs = splitList(env.WEBHOOK_RETRY_SCHEDULE).map((item) => parseDuration('WEBHOOK_RETRY_SCHEDULE', item));
  if (retryScheduleMs.length === 0 || retryScheduleMs[0] !== 0) {
    throw new ConfigError('WEBHOOK_RETRY_SCHEDULE: list at least one delay, the first being 0 (the first attempt is made at once)');
  }
  return {
    timeoutMs: env.WEBHOOK_TIMEOUT_MS,
    retryScheduleMs,
    allowPrivateTargets: env.WEBHOOK_ALLOW_PRIVATE_TARGETS,
    secretGraceMs: env.WEBHOOK_SECRET_GRACE_MS,
    sweepIntervalMs: env.WEBHOOK_SWEEP_INTERVAL_MS,
    sweepBatchSize: env.WEBHOOK_SWEEP_BATCH_SIZE,
    concurrency: env.WEBHOOK_DELIVERY_CONCURRENCY,
    disableAfterFailingMs: env.WEBHOOK_DISABLE_AFTER_FAILING_MS,
    retryAfterMaxMs: env.WEBHOOK_RETRY_AFTER_MAX_MS,
  };
}

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `250ms`, `5s`, `30m`, `2h`, `1d`; a bare number is milliseconds. */
function parseDuration(setting: string, value: string): number {
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(value);
  if (!match) throw new ConfigError(`${setting}: "${value}" is not a duration like 500ms, 5s, 30m, 2h or 1d`);
  return Number(match[1]) * DURATION_UNITS_MS[match[2] ?? 'ms'];
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
