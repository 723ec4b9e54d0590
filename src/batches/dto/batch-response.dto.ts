import { ApiProperty } from '@nestjs/swagger';
import { BATCH_TYPE_DOCS, describeEnum, JOB_STATUS_DOCS } from '../../common/enum-docs';
import { BatchType, JobStatus } from '../../generated/prisma/enums';
import type { ProcessingBatch } from '../../generated/prisma/client';
import { TaskResponseDto } from '../../tasks/dto/task-response.dto';

export class BatchResponseDto {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty({ nullable: true, type: String })
  name: string | null;
  @ApiProperty({ enum: BatchType, enumName: 'BatchType', description: describeEnum('Kind of work.', BATCH_TYPE_DOCS) })
  batchType: BatchType;
  @ApiProperty({ enum: JobStatus, enumName: 'JobStatus', description: describeEnum('Batch status.', JOB_STATUS_DOCS) })
  status: JobStatus;
  @ApiProperty({ type: 'integer' })
  totalTasks: number;
  @ApiProperty({ type: 'integer' })
  queuedTasks: number;
  @ApiProperty({ type: 'integer' })
  processingTasks: number;
  @ApiProperty({ type: 'integer' })
  completedTasks: number;
  @ApiProperty({ type: 'integer' })
  failedTasks: number;
  @ApiProperty({ type: 'integer' })
  cancelledTasks: number;
  /** Share of tasks that finished (completed, failed or cancelled), from 0 to 1. */
  @ApiProperty({ type: 'number', minimum: 0, maximum: 1 })
  progress: number;
  @ApiProperty({ type: 'integer' })
  priority: number;
  /** BatchMetadataJSON as given at creation. */
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  metadata: Record<string, unknown> | null;
  @ApiProperty({ nullable: true, type: Date })
  cancelledAt: Date | null;
  @ApiProperty({ nullable: true, type: Date })
  finishedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export function toBatchResponse(batch: ProcessingBatch): BatchResponseDto {
  const finished = batch.completedTasks + batch.failedTasks + batch.cancelledTasks;
  return {
    id: batch.id,
    name: batch.name,
    batchType: batch.batchType,
    status: batch.status,
    totalTasks: batch.totalTasks,
    queuedTasks: batch.queuedTasks,
    processingTasks: batch.processingTasks,
    completedTasks: batch.completedTasks,
    failedTasks: batch.failedTasks,
    cancelledTasks: batch.cancelledTasks,
    progress: batch.totalTasks === 0 ? 0 : Math.round((finished / batch.totalTasks) * 10_000) / 10_000,
    priority: batch.priority,
    metadata: (batch.metadata as Record<string, unknown> | null) ?? null,
    cancelledAt: batch.cancelledAt,
    finishedAt: batch.finishedAt,
    createdAt: batch.createdAt,
    updatedAt: batch.updatedAt,
  };
}

export class CreatedBatchResponseDto extends BatchResponseDto {
  /** Every task of the batch, with its `ref` and assigned `id`, in request order. */
  tasks: TaskResponseDto[];
}

export class BatchPageDto {
  data: BatchResponseDto[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  @ApiProperty({ nullable: true, type: String })
  nextCursor: string | null;
}
