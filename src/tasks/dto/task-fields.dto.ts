import { ApiProperty, getSchemaPath } from '@nestjs/swagger';
import { IsEnum, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { describeEnum, TASK_TYPE_DOCS } from '../../common/enum-docs';
import { IsJsonObject } from '../../common/json-validators';
import { TaskType } from '../../generated/prisma/enums';
import { HttpCallInputDto } from '../inputs/http-call-input.dto';

export const PRIORITY_MIN = -1000;
export const PRIORITY_MAX = 1000;
export const MAX_RETRIES_LIMIT = 25;

/** Fields every new task has, standalone or within a batch. */
export class TaskFieldsDto {
  @ApiProperty({ enum: TaskType, enumName: 'TaskType', description: describeEnum('Kind of work.', TASK_TYPE_DOCS) })
  @IsEnum(TaskType)
  taskType: TaskType;

  @ApiProperty({
    description: 'TaskInputJSON: the handler’s input; its schema depends on `taskType`.',
    oneOf: [{ $ref: getSchemaPath(HttpCallInputDto) }],
  })
  @IsJsonObject(256 * 1024)
  input: Record<string, unknown>;

  /** Higher runs first. Defaults to the batch’s priority (0 for standalone tasks). */
  @ApiProperty({ type: 'integer', minimum: PRIORITY_MIN, maximum: PRIORITY_MAX, required: false })
  @IsOptional()
  @IsInt()
  @Min(PRIORITY_MIN)
  @Max(PRIORITY_MAX)
  priority?: number;

  /** How many times a failed attempt is retried. */
  @ApiProperty({ type: 'integer', minimum: 0, maximum: MAX_RETRIES_LIMIT, default: 3, required: false })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_RETRIES_LIMIT)
  maxRetries?: number;

  /** Meeting record this work belongs to, for lookups by the caller. */
  @IsOptional()
  @IsString()
  @Length(1, 200)
  meetingRecordId?: string;

  /** Per-attempt time limit in milliseconds; defaults to the task type's configured timeout. */
  @ApiProperty({ type: 'integer', minimum: 100, maximum: 86_400_000, required: false })
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(86_400_000)
  timeoutMs?: number;
}
