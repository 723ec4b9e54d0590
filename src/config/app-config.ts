import { plainToInstance, Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Max, Min, validateSync } from 'class-validator';

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
  @Transform(toInt) @IsInt() @Min(100) HTTP_CALL_TIMEOUT_MS = 30_000;
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
  httpCall: { endpoints: Record<string, string>; timeoutMs: number };
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
    httpCall: { endpoints: parseEndpoints(env.HTTP_CALL_ENDPOINTS), timeoutMs: env.HTTP_CALL_TIMEOUT_MS },
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

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
