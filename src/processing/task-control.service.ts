import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { EventType, JobStatus } from '../generated/prisma/enums';
import { PrismaService } from '../prisma/prisma.service';
import type { TransactionClient } from '../prisma/transaction';
import { OutboxService } from '../webhooks/outbox.service';
import { BatchLedger, isTerminal, TaskStatus } from './batch-ledger';
import { retryOnConflict } from './sql-retry';
import { BlockedByDependencyError, AlreadyFinishedError, NothingToRetryError } from './task-control.errors';
import { taskEvent } from './task-events';
import { ReadyTask, TaskQueue } from './task-queue';
import { cancelChannel } from './task-runner';

interface TaskRef {
  id: string;
  batchId: string | null;
  status: JobStatus;
}

interface ChangedTask {
  id: string;
  batchId: string | null;
  ref: string | null;
  taskType: string;
  retryCount: number;
  priority: number;
  generation: number;
  pendingDependencies: number;
  previous: TaskStatus;
}

const UNFINISHED: JobStatus[] = [JobStatus.queued, JobStatus.processing];
const RETRYABLE: JobStatus[] = [JobStatus.failed, JobStatus.cancelled];

/**
 * Client-driven transitions: cancel (unfinished work and everything that depends on it) and
 * retry (failed or cancelled work and its failed or cancelled dependents). Returns nothing the
 * caller must interpret: NotFound and Conflict are domain errors; the caller re-reads the
 * resource for its response.
 */
@Injectable()
export class TaskControlService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly outbox: OutboxService,
    private readonly queue: TaskQueue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Cancels a task and its unfinished dependents; false if the task does not exist. */
  async cancelTask(id: string): Promise<boolean> {
    const cancelled = await retryOnConflict(() =>
      this.prisma.$transaction(async (tx) => {
        const task = await findTask(tx, id);
        if (!task) return undefined;
        if (!UNFINISHED.includes(task.status)) throw new AlreadyFinishedError('Task', id, task.status);
        return this.cancel(tx, [id], null);
      }),
    );
    if (!cancelled) return false;
    await this.signalRunning(cancelled);
    return true;
  }

  /** Cancels every unfinished task of a batch (and dependents elsewhere); false if no such batch. */
  async cancelBatch(batchId: string): Promise<boolean> {
    const cancelled = await retryOnConflict(() =>
      this.prisma.$transaction(async (tx) => {
        const [batch] = await tx.$queryRaw<Array<{ status: JobStatus }>>`
          SELECT "status" FROM "ProcessingBatch" WHERE "id" = ${batchId}::uuid`;
        if (!batch) return undefined;
        if (isTerminal(batch.status)) throw new AlreadyFinishedError('Batch', batchId, batch.status);
        const tasks = await tx.$queryRaw<Array<{ id: string }>>`
          SELECT "id" FROM "ProcessingTask"
          WHERE "batchId" = ${batchId}::uuid AND "status" IN ('queued', 'processing')`;
        return this.cancel(tx, tasks.map((t) => t.id), batchId);
      }),
    );
    if (!cancelled) return false;
    await this.signalRunning(cancelled);
    return true;
  }

  /** Retries a failed or cancelled task with its failed or cancelled dependents. */
  async retryTask(id: string): Promise<boolean> {
    const ready = await retryOnConflict(() =>
      this.prisma.$transaction(async (tx) => {
        const task = await findTask(tx, id);
        if (!task) return undefined;
        if (!RETRYABLE.includes(task.status)) throw new NothingToRetryError('Task', id, task.status);
        return this.retry(tx, [id], [], id);
      }),
    );
    if (!ready) return false;
    await this.queue.enqueue(ready);
    return true;
  }

  /** Retries every failed or cancelled task of a batch, with their failed or cancelled dependents. */
  async retryBatch(batchId: string): Promise<boolean> {
    const ready = await retryOnConflict(() =>
      this.prisma.$transaction(async (tx) => {
        const [batch] = await tx.$queryRaw<Array<{ status: JobStatus }>>`
          SELECT "status" FROM "ProcessingBatch" WHERE "id" = ${batchId}::uuid`;
        if (!batch) return undefined;
        const tasks = await tx.$queryRaw<Array<{ id: string }>>`
          SELECT "id" FROM "ProcessingTask" WHERE "batchId" = ${batchId}::uuid AND "status" IN ('failed', 'cancelled')`;
        if (tasks.length === 0) throw new NothingToRetryError('Batch', batchId, batch.status);
        return this.retry(tx, tasks.map((t) => t.id), [batchId]);
      }),
    );
    if (!ready) return false;
    await this.queue.enqueue(ready);
    return true;
  }

  private async cancel(tx: TransactionClient, rootIds: string[], batchId: string | null): Promise<ChangedTask[]> {
    const targets = await tx.$queryRaw<TaskRef[]>`
      WITH RECURSIVE below(id) AS (
        SELECT unnest(${rootIds}::uuid[])
        UNION
        SELECT e."dependentTaskId" FROM below b JOIN "TaskDependency" e ON e."dependencyTaskId" = b.id
      )
      SELECT t."id", t."batchId", t."status" FROM below b JOIN "ProcessingTask" t ON t."id" = b.id
      WHERE t."status" IN ('queued', 'processing')`;
    const now = new Date();
    const ledger = await BatchLedger.lock(tx, [batchId, ...targets.map((t) => t.batchId)]);
    const rootSet = new Set(rootIds);
    const changed = await tx.$queryRaw<ChangedTask[]>`
      WITH target AS (
        SELECT t."id", t."status" FROM "ProcessingTask" t
        WHERE t."id" = ANY(${targets.map((t) => t.id)}::uuid[]) AND t."status" IN ('queued', 'processing')
        ORDER BY t."id" FOR UPDATE
      )
      UPDATE "ProcessingTask" t SET "status" = 'cancelled', "completedAt" = ${now}, "leaseExpiresAt" = NULL,
        "error" = CASE WHEN t."id" = ANY(${rootIds}::uuid[]) THEN 'cancelled by client' ELSE 'a dependency was cancelled' END,
        "updatedAt" = ${now}
      FROM target WHERE t."id" = target."id"
      RETURNING t."id", t."batchId", t."ref", t."taskType", t."retryCount", t."priority", t."generation",
        t."pendingDependencies", target."status" AS "previous"`;
    if (batchId) ledger.setCancelled(batchId, now);
    const events = changed.map((task) => {
      ledger.move(task.batchId, task.previous, 'cancelled');
      return taskEvent(EventType.task_cancelled, task, 'cancelled', now, {
        error: rootSet.has(task.id) ? 'cancelled by client' : 'a dependency was cancelled',
      });
    });
    events.push(...(await ledger.save(tx, now)));
    await this.outbox.record(tx, events);
    return changed;
  }

  /**
   * Requeues `rootIds` and their failed or cancelled dependents. A task whose other failed or
   * cancelled dependency is not being retried would wait forever, so it (and what depends on
   * it) stays as it is; if that is the task the client asked for, the retry is refused.
   */
  private async retry(tx: TransactionClient, rootIds: string[], batchIds: string[], requested?: string): Promise<ReadyTask[]> {
    const candidates = await tx.$queryRaw<Array<TaskRef & { blockers: string[] }>>`
      WITH RECURSIVE below(id) AS (
        SELECT unnest(${rootIds}::uuid[])
        UNION
        SELECT e."dependentTaskId" FROM below b
        JOIN "TaskDependency" e ON e."dependencyTaskId" = b.id
        JOIN "ProcessingTask" d ON d."id" = e."dependentTaskId" AND d."status" IN ('failed', 'cancelled')
      )
      SELECT t."id", t."batchId", t."status",
        coalesce(array_agg(dep."id") FILTER (WHERE dep."status" IN ('failed', 'cancelled')), '{}')::text[] AS blockers
      FROM below b JOIN "ProcessingTask" t ON t."id" = b.id
      LEFT JOIN "TaskDependency" e ON e."dependentTaskId" = t."id"
      LEFT JOIN "ProcessingTask" dep ON dep."id" = e."dependencyTaskId"
      WHERE t."status" IN ('failed', 'cancelled')
      GROUP BY t."id", t."batchId", t."status"`;

    const retrying = new Map(candidates.map((c) => [c.id, c]));
    for (let changed = true; changed; ) {
      changed = false;
      for (const candidate of retrying.values()) {
        if (candidate.blockers.some((blocker) => !retrying.has(blocker))) {
          retrying.delete(candidate.id);
          changed = true;
        }
      }
    }
    if (requested && !retrying.has(requested)) {
      const blockers = candidates.find((c) => c.id === requested)?.blockers ?? [];
      throw new BlockedByDependencyError(requested, blockers);
    }

    const now = new Date();
    const ids = [...retrying.keys()];
    const ledger = await BatchLedger.lock(tx, [...batchIds, ...[...retrying.values()].map((c) => c.batchId)]);
    const changed = await tx.$queryRaw<ChangedTask[]>`
      WITH target AS (
        SELECT t."id", t."status" FROM "ProcessingTask" t
        WHERE t."id" = ANY(${ids}::uuid[]) AND t."status" IN ('failed', 'cancelled')
        ORDER BY t."id" FOR UPDATE
      )
      UPDATE "ProcessingTask" t SET "status" = 'queued', "generation" = t."generation" + 1, "retryCount" = 0,
        "error" = NULL, "output" = NULL, "startedAt" = NULL, "completedAt" = NULL, "leaseExpiresAt" = NULL,
        "runAfter" = ${now}, "updatedAt" = ${now}
      FROM target WHERE t."id" = target."id"
      RETURNING t."id", t."batchId", t."ref", t."taskType", t."retryCount", t."priority", t."generation",
        t."pendingDependencies", target."status" AS "previous"`;
    for (const batchId of new Set(changed.map((t) => t.batchId))) if (batchId) ledger.setCancelled(batchId, null);
    for (const task of changed) ledger.move(task.batchId, task.previous, 'queued');
    await this.outbox.record(tx, await ledger.save(tx, now));
    return changed
      .filter((t) => t.pendingDependencies === 0)
      .map(({ id, batchId, priority, generation }) => ({ id, batchId, priority, generation }));
  }

  /** Tells workers to abort attempts of tasks that were processing (they also notice on heartbeat). */
  private async signalRunning(cancelled: ChangedTask[]): Promise<void> {
    const running = cancelled.filter((t) => t.previous === 'processing').map((t) => t.id);
    if (running.length === 0) return;
    try {
      const redis = (await this.queue.queue.client) as unknown as Redis;
      await redis.publish(cancelChannel(this.config.redis.queuePrefix), JSON.stringify(running));
    } catch {
      // The lease heartbeat aborts them within a third of TASK_LEASE_MS anyway.
    }
  }
}

async function findTask(tx: TransactionClient, id: string): Promise<TaskRef | undefined> {
  const [task] = await tx.$queryRaw<TaskRef[]>`
    SELECT "id", "batchId", "status" FROM "ProcessingTask" WHERE "id" = ${id}::uuid`;
  return task;
}
