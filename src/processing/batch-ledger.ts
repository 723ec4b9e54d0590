import { EventType, JobStatus } from '../generated/prisma/enums';
import type { ProcessingBatch } from '../generated/prisma/client';
import type { TransactionClient } from '../prisma/transaction';
import { batchEventData } from '../batches/batch-events';
import { DomainEvent } from '../events/domain-events';

export type TaskStatus = 'queued' | 'processing' | 'completed' | 'failed' | 'cancelled';

const COUNTER: Record<TaskStatus, keyof ProcessingBatch> = {
  queued: 'queuedTasks',
  processing: 'processingTasks',
  completed: 'completedTasks',
  failed: 'failedTasks',
  cancelled: 'cancelledTasks',
};

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
 * A batch's status as a function of its counters (DESIGN.md, "Semantics"): queued until a task
 * starts, processing while anything is unfinished, then completed / completed_with_errors /
 * failed by how many completed, or cancelled when a client cancelled it.
 */
export function deriveBatchStatus(b: Counters): JobStatus {
  if (b.queuedTasks + b.processingTasks > 0) {
    return b.processingTasks + b.completedTasks + b.failedTasks > 0 ? JobStatus.processing : JobStatus.queued;
  }
  if (b.cancelledAt !== null || b.cancelledTasks === b.totalTasks) return JobStatus.cancelled;
  if (b.completedTasks === b.totalTasks) return JobStatus.completed;
  return b.completedTasks > 0 ? JobStatus.completed_with_errors : JobStatus.failed;
}

export function isTerminal(status: JobStatus): boolean {
  return status !== JobStatus.queued && status !== JobStatus.processing;
}

/**
 * The batch rows a transaction changes, locked first (in id order, the one lock order every
 * writer follows, so writers never deadlock on batches). Task transitions are recorded as
 * moves between counters; save() writes every changed batch in one statement, with its derived
 * status, and returns the batch events its status changes produce.
 */
export class BatchLedger {
  private readonly changed = new Set<string>();

  private constructor(private readonly batches: Map<string, ProcessingBatch>) {}

  static async lock(tx: TransactionClient, batchIds: Iterable<string | null>): Promise<BatchLedger> {
    const ids = [...new Set([...batchIds].filter((id): id is string => id !== null))].sort();
    const rows =
      ids.length === 0
        ? []
        : await tx.$queryRaw<ProcessingBatch[]>`
            SELECT * FROM "ProcessingBatch" WHERE "id" = ANY(${ids}::uuid[]) ORDER BY "id" FOR UPDATE`;
    return new BatchLedger(new Map(rows.map((row) => [row.id, { ...row }])));
  }

  get(batchId: string): ProcessingBatch | undefined {
    return this.batches.get(batchId);
  }

  move(batchId: string | null, from: TaskStatus, to: TaskStatus, count = 1): void {
    if (batchId === null || from === to) return;
    const batch = this.batches.get(batchId);
    if (!batch) throw new Error(`batch ${batchId} was not locked before its tasks moved`);
    (batch[COUNTER[from]] as number) -= count;
    (batch[COUNTER[to]] as number) += count;
    this.changed.add(batchId);
  }

  /** For client cancel (sets) and retry (clears); affects the derived status. */
  setCancelled(batchId: string, at: Date | null): void {
    const batch = this.batches.get(batchId);
    if (!batch) throw new Error(`batch ${batchId} was not locked`);
    batch.cancelledAt = at;
    this.changed.add(batchId);
  }

  async save(tx: TransactionClient, now: Date): Promise<DomainEvent[]> {
    if (this.changed.size === 0) return [];
    const events: DomainEvent[] = [];
    const rows = [...this.changed].map((id) => {
      const batch = this.batches.get(id)!;
      const previous = batch.status;
      batch.status = deriveBatchStatus(batch);
      batch.finishedAt = isTerminal(batch.status) ? (isTerminal(previous) ? batch.finishedAt : now) : null;
      batch.updatedAt = now;
      if (previous === JobStatus.queued && batch.status !== JobStatus.queued) {
        events.push({ type: EventType.batch_started, occurredAt: now, data: batchEventData(batch) });
      }
      const terminal = TERMINAL_EVENT[batch.status];
      if (terminal && previous !== batch.status) events.push({ type: terminal, occurredAt: now, data: batchEventData(batch) });
      return batch;
    });
    await tx.$executeRaw`
      UPDATE "ProcessingBatch" b SET
        "status" = u.status::"JobStatus", "queuedTasks" = u.queued, "processingTasks" = u.processing,
        "completedTasks" = u.completed, "failedTasks" = u.failed, "cancelledTasks" = u.cancelled,
        "cancelledAt" = u.cancelled_at AT TIME ZONE 'UTC', "finishedAt" = u.finished_at AT TIME ZONE 'UTC',
        "updatedAt" = ${now}
      FROM unnest(${rows.map((r) => r.id)}::uuid[], ${rows.map((r) => r.status)}::text[],
        ${rows.map((r) => r.queuedTasks)}::int[], ${rows.map((r) => r.processingTasks)}::int[],
        ${rows.map((r) => r.completedTasks)}::int[], ${rows.map((r) => r.failedTasks)}::int[],
        ${rows.map((r) => r.cancelledTasks)}::int[], ${rows.map((r) => r.cancelledAt?.toISOString() ?? null)}::timestamptz[],
        ${rows.map((r) => r.finishedAt?.toISOString() ?? null)}::timestamptz[])
        AS u(id, status, queued, processing, completed, failed, cancelled, cancelled_at, finished_at)
      WHERE b."id" = u.id`;
    this.changed.clear();
    return events;
  }
}
