import { EventType, JobStatus } from '../generated/prisma/enums';
import type { ProcessingBatch } from '../generated/prisma/client';
import type { SqlClient } from '../prisma/transaction';
import { batchEventData } from '../batches/batch-events';
import { DomainEvent } from '../events/domain-events';

export type TaskStatus = 'queued' | 'processing' | 'completed' | 'failed' | 'cancelled';

const STATUSES: TaskStatus[] = ['queued', 'processing', 'completed', 'failed', 'cancelled'];

const TERMINAL_EVENT: Partial<Record<JobStatus, EventType>> = {
  completed: EventType.batch_completed,
  completed_with_errors: EventType.batch_completed_with_errors,
  failed: EventType.batch_failed,
  cancelled: EventType.batch_cancelled,
};

type Counters = Pick<
  ProcessingBatch,
  'totalTasks' | 'queuedTasks' | 'processingTasks' | 'completedTasks' | 'failedTasks' | 'cancelledTasks' | 'cancelledAt'
>;

/**
 * A batch's status from its previous status and its counters (DESIGN.md, "Semantics"): queued
 * until a task starts, processing while anything is unfinished (a started batch stays started
 * when a task goes back to queued for a retry), then completed / completed_with_errors / failed
 * by how many completed, or cancelled when a client cancelled it. The SQL function
 * batch_status() (migration 20261204213000) is the same rule; a test holds them equal.
 */
export function deriveBatchStatus(previous: JobStatus, b: Counters): JobStatus {
  if (b.queuedTasks + b.processingTasks > 0) {
    const started = previous !== JobStatus.queued || b.processingTasks + b.completedTasks + b.failedTasks > 0;
    return started ? JobStatus.processing : JobStatus.queued;
  }
  if (b.cancelledAt !== null || b.cancelledTasks === b.totalTasks) return JobStatus.cancelled;
  if (b.completedTasks === b.totalTasks) return JobStatus.completed;
  return b.completedTasks > 0 ? JobStatus.completed_with_errors : JobStatus.failed;
}

export function isTerminal(status: JobStatus): boolean {
  return status !== JobStatus.queued && status !== JobStatus.processing;
}

/**
 * What a transaction does to batch rows: task transitions recorded as moves between counters,
 * and client cancellation. save() applies them in one statement that locks the batches in id
 * order (the one order every writer follows), adds the deltas to the latest committed counters
 * (so concurrent writers never lose an update), derives each status and returns the batch
 * events the status changes produce. Hot paths touch their tasks first and the batch last, so
 * the contended batch row stays locked only from this statement to COMMIT.
 */
export class BatchLedger {
  private readonly deltas = new Map<string, Record<TaskStatus, number>>();
  private readonly cancellations = new Map<string, Date | null>();

  /** For client operations that must see a stable batch before choosing what to change. */
  static async lock(tx: SqlClient, batchIds: Iterable<string | null>): Promise<BatchLedger> {
    const ids = uniqueIds(batchIds);
    if (ids.length > 0) {
      await tx.$queryRaw`SELECT 1 FROM "ProcessingBatch" WHERE "id" = ANY(${ids}::uuid[]) ORDER BY "id" FOR UPDATE`;
    }
    return new BatchLedger();
  }

  move(batchId: string | null, from: TaskStatus, to: TaskStatus, count = 1): void {
    if (batchId === null || from === to || count === 0) return;
    const delta = this.deltaOf(batchId);
    delta[from] -= count;
    delta[to] += count;
  }

  /** Client cancel (a date) or retry (null); part of the derived status. */
  setCancelled(batchId: string, at: Date | null): void {
    this.deltaOf(batchId);
    this.cancellations.set(batchId, at);
  }

  async save(tx: SqlClient, now: Date): Promise<DomainEvent[]> {
    const ids = [...this.deltas.keys()].sort();
    if (ids.length === 0) return [];
    const column = (status: TaskStatus) => ids.map((id) => this.deltas.get(id)![status]);
    const rows = await tx.$queryRaw<Array<ProcessingBatch & { previousStatus: JobStatus }>>`
      WITH d AS (
        SELECT * FROM unnest(${ids}::uuid[], ${column('queued')}::int[], ${column('processing')}::int[],
          ${column('completed')}::int[], ${column('failed')}::int[], ${column('cancelled')}::int[],
          ${ids.map((id) => this.cancellations.has(id))}::boolean[],
          ${ids.map((id) => this.cancellations.get(id)?.toISOString() ?? null)}::timestamptz[])
          AS d(id, queued, processing, completed, failed, cancelled, sets_cancelled, cancelled_at)
      ), locked AS MATERIALIZED (
        SELECT b.* FROM "ProcessingBatch" b WHERE b."id" IN (SELECT id FROM d) ORDER BY b."id" FOR UPDATE
      ), next AS (
        SELECT l."id", l."status" AS previous, l."finishedAt" AS finished_at,
          l."queuedTasks" + d.queued AS queued, l."processingTasks" + d.processing AS processing,
          l."completedTasks" + d.completed AS completed, l."failedTasks" + d.failed AS failed,
          l."cancelledTasks" + d.cancelled AS cancelled, l."totalTasks" AS total,
          CASE WHEN d.sets_cancelled THEN d.cancelled_at AT TIME ZONE 'UTC' ELSE l."cancelledAt" END AS cancelled_at
        FROM locked l JOIN d ON d.id = l."id"
      ), derived AS (
        SELECT n.*, batch_status(n.previous, n.total, n.queued, n.processing, n.completed, n.failed, n.cancelled, n.cancelled_at) AS status
        FROM next n
      )
      UPDATE "ProcessingBatch" b SET
        "queuedTasks" = x.queued, "processingTasks" = x.processing, "completedTasks" = x.completed,
        "failedTasks" = x.failed, "cancelledTasks" = x.cancelled, "cancelledAt" = x.cancelled_at,
        "status" = x.status,
        "finishedAt" = CASE WHEN x.status IN ('queued', 'processing') THEN NULL ELSE coalesce(x.finished_at, ${now}) END,
        "updatedAt" = ${now}
      FROM derived x WHERE b."id" = x."id"
      RETURNING b.*, x.previous AS "previousStatus"`;
    this.deltas.clear();
    this.cancellations.clear();

    const events: DomainEvent[] = [];
    for (const { previousStatus, ...batch } of rows) {
      if (previousStatus === JobStatus.queued && batch.status !== JobStatus.queued) {
        events.push({ type: EventType.batch_started, occurredAt: now, data: batchEventData(batch) });
      }
      const terminal = TERMINAL_EVENT[batch.status];
      if (terminal && previousStatus !== batch.status) events.push({ type: terminal, occurredAt: now, data: batchEventData(batch) });
    }
    return events;
  }

  private deltaOf(batchId: string): Record<TaskStatus, number> {
    let delta = this.deltas.get(batchId);
    if (!delta) {
      delta = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;
      this.deltas.set(batchId, delta);
    }
    return delta;
  }
}

function uniqueIds(ids: Iterable<string | null>): string[] {
  return [...new Set([...ids].filter((id): id is string => id !== null))].sort();
}
