import type { Prisma } from '../generated/prisma/client';
import { JobStatus, TaskType } from '../generated/prisma/enums';
import { TaskResponseDto, toTaskResponse } from './dto/task-response.dto';
import type { SqlClient } from '../prisma/transaction';

export interface NewTask {
  id: string;
  batchId: string | null;
  ref: string | null;
  taskType: TaskType;
  priority: number;
  maxRetries: number;
  input: Record<string, unknown>;
  meetingRecordId: string | null;
  timeoutMs: number | null;
  pendingDependencies: number;
}

export interface NewEdge {
  id: string;
  dependentTaskId: string;
  dependencyTaskId: string;
}

/**
 * Set-based inserts: one statement for any number of rows, each column sent as one array and
 * expanded by unnest(), so a 10,000-task batch costs two round trips, not 20,000.
 */
export async function insertTasks(tx: SqlClient, tasks: readonly NewTask[], now: Date): Promise<void> {
  if (tasks.length === 0) return;
  await tx.$executeRaw`
    INSERT INTO "ProcessingTask" ("id", "batchId", "ref", "taskType", "priority", "maxRetries", "input",
      "meetingRecordId", "timeoutMs", "pendingDependencies", "runAfter", "createdAt", "updatedAt")
    SELECT t.id, t.batch_id, t.ref, t.task_type::"TaskType", t.priority, t.max_retries, t.input::jsonb,
      t.meeting_record_id, t.timeout_ms, t.pending, ${now}, ${now}, ${now}
    FROM unnest(
      ${tasks.map((t) => t.id)}::uuid[], ${tasks.map((t) => t.batchId)}::uuid[], ${tasks.map((t) => t.ref)}::text[],
      ${tasks.map((t) => t.taskType)}::text[], ${tasks.map((t) => t.priority)}::int[],
      ${tasks.map((t) => t.maxRetries)}::int[], ${tasks.map((t) => JSON.stringify(t.input))}::text[],
      ${tasks.map((t) => t.meetingRecordId)}::text[], ${tasks.map((t) => t.timeoutMs)}::int[],
      ${tasks.map((t) => t.pendingDependencies)}::int[]
    ) AS t(id, batch_id, ref, task_type, priority, max_retries, input, meeting_record_id, timeout_ms, pending)`;
}

export async function insertEdges(tx: SqlClient, edges: readonly NewEdge[], now: Date): Promise<void> {
  if (edges.length === 0) return;
  await tx.$executeRaw`
    INSERT INTO "TaskDependency" ("id", "dependentTaskId", "dependencyTaskId", "createdAt")
    SELECT e.id, e.dependent, e.dependency, ${now}
    FROM unnest(${edges.map((e) => e.id)}::uuid[], ${edges.map((e) => e.dependentTaskId)}::uuid[],
      ${edges.map((e) => e.dependencyTaskId)}::uuid[]) AS e(id, dependent, dependency)`;
}

/** A just-inserted task as the API shows it, built from what was written instead of read back. */
export function newTaskResponse(task: NewTask, now: Date): TaskResponseDto {
  return toTaskResponse({
    ...task,
    input: task.input as Prisma.JsonObject,
    status: JobStatus.queued,
    retryCount: 0,
    output: null,
    error: null,
    generation: 0,
    runAfter: now,
    leaseExpiresAt: null,
    startedAt: null,
    completedAt: null,
    createdAt: now,
    updatedAt: now,
  });
}
