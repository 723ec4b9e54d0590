import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Pool, PoolClient, types } from 'pg';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import type { SqlClient } from './transaction';

// timestamp without time zone holds UTC (Prisma's convention); pg would read it as local time.
const TIMESTAMP_OID = 1114;
const parseUtcTimestamp = (text: string) => new Date(`${text.replace(' ', 'T')}Z`);

/**
 * A pg pool for the hot paths: the engine's claim and finish transactions (thousands a second)
 * and large batch inserts. The SQL there is raw either way; Prisma's query pipeline added about
 * a millisecond of CPU per statement, and per-element work on 10,000-element array parameters.
 * Everything else uses PrismaService.
 */
@Injectable()
export class SqlPool implements OnApplicationShutdown {
  private readonly pool: Pool;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.pool = new Pool({
      connectionString: config.database.url,
      max: config.database.poolSize,
      options: '-c TimeZone=UTC',
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === TIMESTAMP_OID ? parseUtcTimestamp : types.getTypeParser(oid, format)) as typeof types.getTypeParser,
      },
    });
  }

  async transaction<T>(work: (sql: SqlClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(sqlClient(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** The last shutdown phase, like PrismaService: workers finish their results before it. */
  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}

function sqlClient(client: PoolClient): SqlClient {
  return {
    async $queryRaw<T>(query: TemplateStringsArray, ...values: unknown[]): Promise<T> {
      return (await client.query(toText(query), values.map(toParam))).rows as T;
    },
    async $executeRaw(query: TemplateStringsArray, ...values: unknown[]): Promise<number> {
      return (await client.query(toText(query), values.map(toParam))).rowCount ?? 0;
    },
  };
}

function toText(query: TemplateStringsArray): string {
  return query.reduce((text, part, i) => `${text}$${i}${part}`);
}

/** Dates as UTC ISO text: a timestamp column takes the wall time and ignores the zone. */
function toParam(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(toParam);
  return value;
}
