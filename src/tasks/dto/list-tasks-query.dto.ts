import { ApiProperty } from '@nestjs/swagger';
import { IsEnum, IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { PageQueryDto } from '../../common/pagination';
import { JobStatus, TaskType } from '../../generated/prisma/enums';

export class ListTasksQueryDto extends PageQueryDto {
  /** Only tasks of this batch. */
  @ApiProperty({ format: 'uuid', required: false })
  @IsOptional()
  @IsUUID()
  batchId?: string;

  @ApiProperty({ enum: JobStatus, enumName: 'JobStatus', required: false })
  @IsOptional()
  @IsEnum(JobStatus)
  status?: JobStatus;

  @ApiProperty({ enum: TaskType, enumName: 'TaskType', required: false })
  @IsOptional()
  @IsEnum(TaskType)
  taskType?: TaskType;

  @IsOptional()
  @IsString()
  @Length(1, 200)
  meetingRecordId?: string;
}
