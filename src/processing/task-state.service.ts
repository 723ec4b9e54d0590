import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { EventType, TaskType } from '../generated/prisma/enums';
import { SqlPool } from '../prisma/sql-pool';
import type { SqlClient } from '../prisma/transaction';
import { OutboxService } from '../webhooks/outbox.service';
import { retryDelayMs } from './backoff';
import { BatchLedger } from './batch-ledger';
import { GroupCommit } from './group-commit';
import { retryOnConflict } from './sql-retry';
import { DependencyOutput, RunnableTask } from './task-handler';
import { taskEvent } from './task-events';
import { ReadyTask, TaskJobData, TaskQueue } from './task-queue';

/** A task this worker owns for one attempt (its generation). */
export interface ClaimedTask extends RunnableTask {
  priority: number;
  generation: number;
  timeoutMs: number | null;
  dependencies: DependencyOutput[];
}

export type AttemptResult =
  | { kind: 'completed'; output: Record<string, unknown> }
  | { kind: 'failed'; error: string; retryable: boolean; retryAfterMs?: number }
  /** Handed back unrun (shutdown): queued again without counting as an attempt. */
  | { kind: 'released' };

export type Attempt = Pick<ClaimedTask, 'id' | 'batchId' | 'ref' | 'taskType' | 'retryCount' | 'maxRetries' | 'priority' | 'generation'>;

interface TaskRow {
  id: string;
  batchId: string | null;
  ref: string | null;
  taskType: TaskType;
  retryCount: number;
  priority: number;
  generation: number;
}

/**
 * The task state machine's hot path: claim (queued -> processing) and finish (-> completed,
 * queued again for a retry, or failed with its dependents). Every transition is a guarded
 * update (status and generation must still match), so duplicate or stale queue jobs are no-ops.
 * Concurrent claims and finishes are grouped into shared transactions (GroupCommit).
 */
@Injectable()
export class TaskStateService {
  private readonly claims = new GroupCommit<TaskJobData, ClaimedTask | null>((jobs) => this.claimGroup(jobs), 200);
  private readonly finishes = new GroupCommit<{ attempt: Attempt; result: AttemptResult }, void>(
    (items) => this.finishGroup(items),
    200,
  );

  private readonly unsettled = new Set<Promise<void>>();

  constructor(
    private readonly sql: SqlPool,
    private readonly outbox: OutboxService,
    private readonly queue: TaskQueue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Claims the task of a queue job; null when the job is stale or a duplicate. */
  claim(job: TaskJobData): Promise<ClaimedTask | null> {
    return this.claims.submit(job);
  }

  /** Records an attempt's result; resolves once committed (and follow-up jobs enqueued). */
  finish(attempt: Attempt, result: AttemptResult): Promise<void> {
    const finishing = this.finishes.submit({ attempt, result });
    this.unsettled.add(finishing);
    void finishing.catch(() => undefined).finally(() => this.unsettled.delete(finishing));
    return finishing;
  }

  /** Resolves when every result handed to finish() so far is recorded or has failed. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.unsettled]);
  }

  private async claimGroup(jobs: TaskJobData[]): Promise<Array<ClaimedTask | null>> {
    const claimed = await retryOnConflict(() =>
      this.sql.transaction(async (tx) => {
        const now = new Date();
        const leaseUntil = new Date(now.getTime() + this.config.processing.leaseMs);
        const rows = await tx.$queryRaw<ClaimedTask[]>`
          WITH claimed AS (
            UPDATE "ProcessingTask" t SET "status" = 'processing', "startedAt" = ${now},
              "leaseExpiresAt" = ${leaseUntil}, "updatedAt" = ${now}
            FROM unnest(${jobs.map((j) => j.taskId)}::uuid[], ${jobs.map((j) => j.generation)}::int[]) AS j(id, generation)
            WHERE t."id" = j.id AND t."generation" = j.generation AND t."status" = 'queued' AND t."pendingDependencies" = 0
            RETURNING t."id", t."batchId", t."ref", t."taskType", t."input", t."retryCount", t."maxRetries",
              t."priority", t."generation", t."timeoutMs"
          )
          SELECT c.*, coalesce((
            SELECT json_agg(json_build_object('taskId', d."id", 'ref', d."ref", 'output', d."output") ORDER BY d."id")
            FROM "TaskDependency" e JOIN "ProcessingTask" d ON d."id" = e."dependencyTaskId"
            WHERE e."dependentTaskId" = c."id"
          ), '[]'::json) AS dependencies
          FROM claimed c`;
        if (rows.length === 0) return [];

        // Tasks first, batch row last: its lock is the contended one, held from here to COMMIT.
        const ledger = new BatchLedger();
        const events = rows.map((row) => {
          ledger.move(row.batchId, 'queued', 'processing');
          return taskEvent(EventType.task_started, row, 'processing', now);
        });
        events.push(...(await ledger.save(tx, now)));
        await this.outbox.record(tx, events);
        return rows;
      }),
    );
    // Two copies of one job in a group claim the task once: only the first copy gets it.
    const unclaimed = new Map(claimed.map((task) => [`${task.id}.${task.generation}`, task]));
    return jobs.map((job) => {
      const key = `${job.taskId}.${job.generation}`;
      const task = unclaimed.get(key) ?? null;
      unclaimed.delete(key);
      return task;
    });
  }

  private async finishGroup(items: Array<{ attempt: Attempt; result: AttemptResult }>): Promise<void[]> {
    const followUps = await retryOnConflict(() => this.sql.transaction((tx) => this.applyResults(tx, items)));
    await this.queue.enqueue(followUps);
    return items.map(() => undefined);
  }

  /** One transaction for a group of results; returns the jobs to enqueue once it commits. */
  private async applyResults(
    tx: SqlClient,
    items: Array<{ attempt: Attempt; result: AttemptResult }>,
  ): Promise<ReadyTask[]> {
    const now = new Date();
    const { backoff, retryAfterMaxMs } = this.config.processing;
    const completed: Array<{ attempt: Attempt; output: Record<string, unknown> }> = [];
    const retries: Array<{ attempt: Attempt; error: string; runAfter: Date }> = [];
    const failures: Array<{ attempt: Attempt; error: string }> = [];
    const released: Attempt[] = [];
    for (const { attempt, result } of items) {
      if (result.kind === 'completed') completed.push({ attempt, output: result.output });
      else if (result.kind === 'released') released.push(attempt);
      else if (result.retryable && attempt.retryCount < attempt.maxRetries) {
        const delay = retryDelayMs(backoff, attempt.retryCount + 1, Math.min(result.retryAfterMs ?? 0, retryAfterMaxMs));
        retries.push({ attempt, error: result.error, runAfter: new Date(now.getTime() + delay) });
      } else failures.push({ attempt, error: result.error });
    }

    const doomed = failures.length > 0 ? await queuedDescendants(tx, failures.map((f) => f.attempt.id)) : [];
    const ledger = new BatchLedger();
    const events = [];
    const followUps: ReadyTask[] = [];

    if (completed.length > 0) {
      const rows = await tx.$queryRaw<TaskRow[]>`
        UPDATE "ProcessingTask" t SET "status" = 'completed', "output" = c.output::jsonb, "error" = NULL,
          "completedAt" = ${now}, "leaseExpiresAt" = NULL, "updatedAt" = ${now}
        FROM unnest(${completed.map((c) => c.attempt.id)}::uuid[], ${completed.map((c) => c.attempt.generation)}::int[],
          ${completed.map((c) => JSON.stringify(c.output))}::text[]) AS c(id, generation, output)
        WHERE t."id" = c.id AND t."generation" = c.generation AND t."status" = 'processing'
        RETURNING t."id", t."batchId", t."ref", t."taskType", t."retryCount", t."priority", t."generation"`;
      const outputOf = new Map(completed.map((c) => [c.attempt.id, c.output]));
      for (const row of rows) {
        ledger.move(row.batchId, 'processing', 'completed');
        events.push(taskEvent(EventType.task_completed, row, 'completed', now, { output: outputOf.get(row.id) }));
      }
      followUps.push(...(await releaseDependents(tx, rows.map((r) => r.id), now)));
    }

    if (retries.length > 0) {
      const rows = await tx.$queryRaw<Array<TaskRow & { runAfter: Date; error: string }>>`
        UPDATE "ProcessingTask" t SET "status" = 'queued', "retryCount" = t."retryCount" + 1,
          "generation" = t."generation" + 1, "error" = r.error, "runAfter" = r.run_after AT TIME ZONE 'UTC',
          "leaseExpiresAt" = NULL, "updatedAt" = ${now}
        FROM unnest(${retries.map((r) => r.attempt.id)}::uuid[], ${retries.map((r) => r.attempt.generation)}::int[],
          ${retries.map((r) => r.error)}::text[], ${retries.map((r) => r.runAfter.toISOString())}::timestamptz[])
          AS r(id, generation, error, run_after)
        WHERE t."id" = r.id AND t."generation" = r.generation AND t."status" = 'processing'
        RETURNING t."id", t."batchId", t."ref", t."taskType", t."retryCount", t."priority", t."generation", t."runAfter", t."error"`;
      for (const row of rows) {
        ledger.move(row.batchId, 'processing', 'queued');
        events.push(taskEvent(EventType.task_retrying, row, 'queued', now, { error: row.error, nextAttemptAt: row.runAfter }));
        followUps.push({ id: row.id, batchId: row.batchId, priority: row.priority, generation: row.generation, runAfter: row.runAfter });
      }
    }

    if (released.length > 0) {
      const rows = await tx.$queryRaw<TaskRow[]>`
        UPDATE "ProcessingTask" t SET "status" = 'queued', "generation" = t."generation" + 1,
          "leaseExpiresAt" = NULL, "updatedAt" = ${now}
        FROM unnest(${released.map((a) => a.id)}::uuid[], ${released.map((a) => a.generation)}::int[]) AS r(id, generation)
        WHERE t."id" = r.id AND t."generation" = r.generation AND t."status" = 'processing'
        RETURNING t."id", t."batchId", t."priority", t."generation"`;
      for (const row of rows) {
        ledger.move(row.batchId, 'processing', 'queued');
        followUps.push({ id: row.id, batchId: row.batchId, priority: row.priority, generation: row.generation });
      }
    }

    if (failures.length > 0) {
      const rows = await tx.$queryRaw<Array<TaskRow & { error: string }>>`
        UPDATE "ProcessingTask" t SET "status" = 'failed', "error" = f.error, "completedAt" = ${now},
          "leaseExpiresAt" = NULL, "updatedAt" = ${now}
        FROM unnest(${failures.map((f) => f.attempt.id)}::uuid[], ${failures.map((f) => f.attempt.generation)}::int[],
          ${failures.map((f) => f.error)}::text[]) AS f(id, generation, error)
        WHERE t."id" = f.id AND t."generation" = f.generation AND t."status" = 'processing'
        RETURNING t."id", t."batchId", t."ref", t."taskType", t."retryCount", t."priority", t."generation", t."error"`;
      for (const row of rows) {
        ledger.move(row.batchId, 'processing', 'failed');
        events.push(taskEvent(EventType.task_failed, row, 'failed', now, { error: row.error }));
      }
      const failed = new Map(rows.map((r) => [r.id, r]));
      const cascade = doomed.filter((d) => failed.has(d.rootId));
      if (cascade.length > 0) {
        const reason = (rootId: string) => `dependency ${failed.get(rootId)!.ref ?? rootId} failed`;
        const dependents = await tx.$queryRaw<Array<TaskRow & { error: string }>>`
          UPDATE "ProcessingTask" t SET "status" = 'failed', "error" = d.error, "completedAt" = ${now}, "updatedAt" = ${now}
          FROM unnest(${cascade.map((d) => d.id)}::uuid[], ${cascade.map((d) => reason(d.rootId))}::text[]) AS d(id, error)
          WHERE t."id" = d.id AND t."status" = 'queued'
          RETURNING t."id", t."batchId", t."ref", t."taskType", t."retryCount", t."priority", t."generation", t."error"`;
        for (const row of dependents) {
          ledger.move(row.batchId, 'queued', 'failed');
          events.push(taskEvent(EventType.task_failed, row, 'failed', now, { error: row.error }));
        }
      }
    }

    events.push(...(await ledger.save(tx, now)));
    await this.outbox.record(tx, events);
    return followUps;
  }
}

/**
 * Counts down pendingDependencies of the dependents of just-completed tasks, locking them in id
 * order (two groups releasing overlapping fan-ins must not deadlock); returns those now ready.
 */
async function releaseDependents(tx: SqlClient, completedIds: string[], now: Date): Promise<ReadyTask[]> {
  if (completedIds.length === 0) return [];
  const rows = await tx.$queryRaw<Array<ReadyTask & { status: string; pendingDependencies: number }>>`
    WITH counts AS (
      SELECT e."dependentTaskId" AS id, count(*)::int AS n FROM "TaskDependency" e
      WHERE e."dependencyTaskId" = ANY(${completedIds}::uuid[]) GROUP BY 1
    ), locked AS MATERIALIZED (
      SELECT t."id" FROM "ProcessingTask" t WHERE t."id" IN (SELECT id FROM counts) ORDER BY t."id" FOR UPDATE
    )
    UPDATE "ProcessingTask" t SET "pendingDependencies" = t."pendingDependencies" - c.n, "updatedAt" = ${now}
    FROM counts c JOIN locked l ON l.id = c.id
    WHERE t."id" = c.id
    RETURNING t."id", t."batchId", t."priority", t."generation", t."status", t."pendingDependencies"`;
  return rows
    .filter((r) => r.status === 'queued' && r.pendingDependencies === 0)
    .map(({ id, batchId, priority, generation }) => ({ id, batchId, priority, generation, released: true }));
}

/** Queued tasks that transitively depend on any of `rootIds`, each with one root it depends on. */
export async function queuedDescendants(
  tx: SqlClient,
  rootIds: string[],
): Promise<Array<{ id: string; rootId: string; batchId: string | null }>> {
  return tx.$queryRaw`
    WITH RECURSIVE below(id, root_id) AS (
      SELECT e."dependentTaskId", e."dependencyTaskId" FROM "TaskDependency" e
      WHERE e."dependencyTaskId" = ANY(${rootIds}::uuid[])
      UNION
      SELECT e."dependentTaskId", b.root_id FROM below b JOIN "TaskDependency" e ON e."dependencyTaskId" = b.id
    )
    SELECT DISTINCT ON (b.id) b.id, b.root_id AS "rootId", t."batchId"
    FROM below b JOIN "ProcessingTask" t ON t."id" = b.id
    WHERE t."status" = 'queued'
    ORDER BY b.id, b.root_id`;
}
