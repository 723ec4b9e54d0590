import type { Prisma } from '../generated/prisma/client';

/** The client an interactive Prisma transaction hands to its callback. */
export type TransactionClient = Prisma.TransactionClient;

/**
 * What raw-SQL code needs from a connection: tagged-template SQL as Prisma's `$queryRaw` takes
 * it. A Prisma transaction client satisfies it, and so does SqlPool's, so the same code runs
 * inside either.
 */
export interface SqlClient {
  $queryRaw<T = unknown>(query: TemplateStringsArray, ...values: unknown[]): Promise<T>;
  $executeRaw(query: TemplateStringsArray, ...values: unknown[]): Promise<number>;
}
