import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, IsOptional, IsUUID } from 'class-validator';
import { TaskFieldsDto } from './task-fields.dto';

/** A standalone task (not part of a batch). */
export class CreateTaskDto extends TaskFieldsDto {
  /** Ids of existing tasks that must complete before this one runs. */
  @ApiProperty({ type: [String], format: 'uuid', required: false, maxItems: 100 })
  @IsOptional()
  @ArrayMaxSize(100)
  @IsUUID('all', { each: true })
  dependsOn?: string[];
}
