import { ApiProperty } from '@nestjs/swagger';
import { IsEnum, IsOptional } from 'class-validator';
import { PageQueryDto } from '../../common/pagination';
import { BatchType, JobStatus, TaskType } from '../../generated/prisma/enums';

export class ListBatchesQueryDto extends PageQueryDto {
  @ApiProperty({ enum: JobStatus, enumName: 'JobStatus', required: false })
  @IsOptional()
  @IsEnum(JobStatus)
  status?: JobStatus;

  @ApiProperty({ enum: BatchType, enumName: 'BatchType', required: false })
  @IsOptional()
  @IsEnum(BatchType)
  batchType?: BatchType;
}

export class ListBatchTasksQueryDto extends PageQueryDto {
  @ApiProperty({ enum: JobStatus, enumName: 'JobStatus', required: false })
  @IsOptional()
  @IsEnum(JobStatus)
  status?: JobStatus;

  @ApiProperty({ enum: TaskType, enumName: 'TaskType', required: false })
  @IsOptional()
  @IsEnum(TaskType)
  taskType?: TaskType;
}
