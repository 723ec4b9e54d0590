import { ApiProperty } from '@nestjs/swagger';
import { describeEnum, JOB_STATUS_DOCS, TASK_TYPE_DOCS } from '../../common/enum-docs';
import { JobStatus, TaskType } from '../../generated/prisma/enums';
import type { ProcessingTask } from '../../generated/prisma/client';

export class TaskResponseDto {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String })
  batchId: string | null;
  /** The client's name for the task within its batch. */
  @ApiProperty({ nullable: true, type: String })
  ref: string | null;
  @ApiProperty({ enum: TaskType, enumName: 'TaskType', description: describeEnum('Kind of work.', TASK_TYPE_DOCS) })
  taskType: TaskType;
  @ApiProperty({ enum: JobStatus, enumName: 'JobStatus', description: describeEnum('Task status.', JOB_STATUS_DOCS) })
  status: JobStatus;
  /** Retries made so far. */
  @ApiProperty({ type: 'integer' })
  retryCount: number;
  @ApiProperty({ type: 'integer' })
  maxRetries: number;
  @ApiProperty({ type: 'integer' })
  priority: number;
  /** TaskInputJSON as accepted (defaults applied). */
  @ApiProperty({ type: 'object', additionalProperties: true })
  input: Record<string, unknown>;
  /** TaskOutputJSON: what the handler returned, once completed. */
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  output: Record<string, unknown> | null;
  /** Error of the last failed attempt. */
  @ApiProperty({ nullable: true, type: String })
  error: string | null;
  @ApiProperty({ nullable: true, type: String })
  meetingRecordId: string | null;
  @ApiProperty({ type: 'integer', nullable: true })
  timeoutMs: number | null;
  /** Dependencies not completed yet; the task can start when this is 0. */
  @ApiProperty({ type: 'integer' })
  pendingDependencies: number;
  @ApiProperty({ nullable: true, type: Date })
  startedAt: Date | null;
  @ApiProperty({ nullable: true, type: Date })
  completedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export function toTaskResponse(task: ProcessingTask): TaskResponseDto {
  return {
    id: task.id,
    batchId: task.batchId,
    ref: task.ref,
    taskType: task.taskType,
    status: task.status,
    retryCount: task.retryCount,
    maxRetries: task.maxRetries,
    priority: task.priority,
    input: task.input as Record<string, unknown>,
    output: (task.output as Record<string, unknown> | null) ?? null,
    error: task.error,
    meetingRecordId: task.meetingRecordId,
    timeoutMs: task.timeoutMs,
    pendingDependencies: task.pendingDependencies,
    startedAt: task.startedAt,
    completedAt: task.completedAt,
    createdAt: task.createdAt,
    updatedAt: task.updatedAt,
  };
}

export class TaskPageDto {
  data: TaskResponseDto[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  @ApiProperty({ nullable: true, type: String })
  nextCursor: string | null;
}
