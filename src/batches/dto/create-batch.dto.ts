import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsEnum,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { BATCH_TYPE_DOCS, describeEnum } from '../../common/enum-docs';
import { IsFlatJsonObject } from '../../common/json-validators';
import { BatchType } from '../../generated/prisma/enums';
import { PRIORITY_MAX, PRIORITY_MIN, TaskFieldsDto } from '../../tasks/dto/task-fields.dto';

export const REF_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;

/** A task within a new batch, wired to its siblings by `ref`. */
export class BatchTaskDto extends TaskFieldsDto {
  /** The client's name for the task, unique within the batch; `dependsOn` uses it. */
  @IsString()
  @Matches(REF_PATTERN, { message: 'ref must be 1-100 characters of letters, digits, ".", "_", ":" or "-", starting with a letter or digit' })
  ref: string;

  /** Refs of tasks in this batch that must complete before this one runs. */
  @ApiProperty({ type: [String], required: false, maxItems: 1000 })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  dependsOn?: string[];
}

/** BatchMetadataJSON: flat client labels (at most 50 keys; values strings, numbers, booleans or null). */
export class CreateBatchDto {
  /** Human-readable name. */
  @IsOptional()
  @IsString()
  @Length(1, 200)
  name?: string;

  @ApiProperty({ enum: BatchType, enumName: 'BatchType', description: describeEnum('Kind of work in the batch.', BATCH_TYPE_DOCS) })
  @IsEnum(BatchType)
  batchType: BatchType;

  /** Higher runs first; tasks inherit it unless they set their own. */
  @ApiProperty({ type: 'integer', minimum: PRIORITY_MIN, maximum: PRIORITY_MAX, default: 0, required: false })
  @IsOptional()
  @IsInt()
  @Min(PRIORITY_MIN)
  @Max(PRIORITY_MAX)
  priority?: number;

  @ApiPropertyOptional({
    description: 'BatchMetadataJSON: flat client labels (at most 50 keys; values are strings, numbers, booleans or null).',
    type: 'object',
    additionalProperties: { oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }], nullable: true },
  })
  @IsOptional()
  @IsFlatJsonObject(50)
  metadata?: Record<string, string | number | boolean | null>;

  /** The tasks; at least one, at most the configured MAX_TASKS_PER_BATCH. */
  @ApiProperty({ type: [BatchTaskDto], minItems: 1 })
  @IsArray()
  @ArrayMinSize(1)
  @ValidateNested({ each: true })
  @Type(() => BatchTaskDto)
  tasks: BatchTaskDto[];
}
