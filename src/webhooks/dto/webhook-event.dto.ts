import { ApiProperty, ApiPropertyOptional, PickType } from '@nestjs/swagger';
import { BatchResponseDto } from '../../batches/dto/batch-response.dto';
import { describeEnum, JOB_STATUS_DOCS } from '../../common/enum-docs';
import { JobStatus, TaskType } from '../../generated/prisma/enums';
import { describeEvents, TEST_EVENT, WEBHOOK_EVENT_NAMES } from '../webhook-events';

// The event catalogue: what a receiver gets in the request body. These classes document the
// wire format only (no validation); OpenAPI shows them as BatchWebhookEvent, TaskWebhookEvent
// and TestWebhookEvent.

const BATCH_EVENTS = WEBHOOK_EVENT_NAMES.filter((name) => name.startsWith('batch.'));
const TASK_EVENTS = WEBHOOK_EVENT_NAMES.filter((name) => name.startsWith('task.'));

/** The batch summary in `batch.*` events: the batch's fields as GET /batches/:id shows them. */
export class BatchEventDataDto extends PickType(BatchResponseDto, [
  'name',
  'batchType',
  'totalTasks',
  'queuedTasks',
  'processingTasks',
  'completedTasks',
  'failedTasks',
  'cancelledTasks',
] as const) {
  @ApiProperty({ format: 'uuid' })
  batchId: string;
  @ApiProperty({ enum: JobStatus, enumName: 'JobStatus', description: describeEnum('Batch status after the change.', JOB_STATUS_DOCS) })
  status: JobStatus;
}

/** Where a task output too large to inline can be read. */
export class TaskOutputRefDto {
  /** API path of the task, whose `output` holds it. */
  @ApiProperty({ example: '/tasks/0193a1b2-0000-7000-8000-000000000000' })
  href: string;
  /** Size of the output's JSON text. */
  @ApiProperty({ type: 'integer' })
  bytes: number;
}

/** The task summary in `task.*` events. */
export class TaskEventDataDto {
  @ApiProperty({ format: 'uuid' })
  taskId: string;
  /** Null for a standalone task. */
  @ApiProperty({ format: 'uuid', nullable: true, type: String })
  batchId: string | null;
  /** The client's name for the task within its batch. */
  @ApiProperty({ nullable: true, type: String })
  ref: string | null;
  @ApiProperty({ enum: TaskType, enumName: 'TaskType' })
  taskType: TaskType;
  @ApiProperty({ enum: JobStatus, enumName: 'JobStatus', description: 'Task status after the change.' })
  status: JobStatus;
  /** Retries made so far. */
  @ApiProperty({ type: 'integer' })
  retryCount: number;
  /** Why the attempt or the task failed (`task.failed`, `task.retrying`). */
  @ApiPropertyOptional({ nullable: true, type: String })
  error?: string | null;
  /** When the next attempt may start (`task.retrying`). */
  @ApiPropertyOptional({ type: Date })
  nextAttemptAt?: Date;
  /** The handler's output (`task.completed`), when its JSON is at most 4 KiB. */
  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  output?: Record<string, unknown>;
  /** Instead of `output` when it is larger. */
  outputRef?: TaskOutputRefDto;
}

/** Fields every event envelope has. */
class WebhookEventEnvelopeDto {
  /** When the state change happened (ISO 8601), not when this attempt was sent. */
  timestamp: Date;
}

/** Body of a `batch.*` webhook request. */
export class BatchWebhookEventDto extends WebhookEventEnvelopeDto {
  @ApiProperty({ enum: BATCH_EVENTS, enumName: 'BatchWebhookEventType', description: `Event type.\n\n${describeEvents((n) => n.startsWith('batch.'))}` })
  type: string;
  data: BatchEventDataDto;
}

/** Body of a `task.*` webhook request. */
export class TaskWebhookEventDto extends WebhookEventEnvelopeDto {
  @ApiProperty({ enum: TASK_EVENTS, enumName: 'TaskWebhookEventType', description: `Event type.\n\n${describeEvents((n) => n.startsWith('task.'))}` })
  type: string;
  data: TaskEventDataDto;
}

export class TestEventDataDto {
  @ApiProperty({ format: 'uuid' })
  webhookId: string;
  message: string;
}

/** Body of the request POST /webhooks/:id/test sends. */
export class TestWebhookEventDto extends WebhookEventEnvelopeDto {
  @ApiProperty({ enum: [TEST_EVENT], enumName: 'TestWebhookEventType' })
  type: string;
  data: TestEventDataDto;
}
