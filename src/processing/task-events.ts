import { EventType } from '../generated/prisma/enums';
import { DomainEvent } from '../events/domain-events';

/** Outputs up to this size ride along in task.completed; larger ones are fetched with GET /tasks/:id. */
const INLINE_OUTPUT_BYTES = 4096;

export interface TaskEventSource {
  id: string;
  batchId: string | null;
  ref: string | null;
  taskType: string;
  retryCount: number;
}

export function taskEvent(
  type: EventType,
  task: TaskEventSource,
  status: string,
  now: Date,
  extra: { error?: string | null; output?: unknown; nextAttemptAt?: Date } = {},
): DomainEvent {
  const data: Record<string, unknown> = {
    taskId: task.id,
    batchId: task.batchId,
    ref: task.ref,
    taskType: task.taskType,
    status,
    retryCount: task.retryCount,
  };
  if (extra.error !== undefined) data.error = extra.error;
  if (extra.nextAttemptAt) data.nextAttemptAt = extra.nextAttemptAt.toISOString();
  if (extra.output !== undefined) {
    const size = Buffer.byteLength(JSON.stringify(extra.output));
    if (size <= INLINE_OUTPUT_BYTES) data.output = extra.output;
    else data.outputRef = { href: `/tasks/${task.id}`, bytes: size };
  }
  return { type, occurredAt: now, data };
}
