import { ApiProperty } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';
import { describeEnum, JOB_STATUS_DOCS, TASK_TYPE_DOCS } from '../../common/enum-docs';
import { JobStatus, TaskType } from '../../generated/prisma/enums';

export class AddDependencyDto {
  /** The task that must complete before this one runs. */
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  dependencyTaskId: string;
}

/** The task at the other end of an edge. */
export class LinkedTaskDto {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty({ nullable: true, type: String })
  ref: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String })
  batchId: string | null;
  @ApiProperty({ enum: TaskType, enumName: 'TaskType', description: describeEnum('Kind of work.', TASK_TYPE_DOCS) })
  taskType: TaskType;
  @ApiProperty({ enum: JobStatus, enumName: 'JobStatus', description: describeEnum('Task status.', JOB_STATUS_DOCS) })
  status: JobStatus;
}

/** An edge of the task graph: `dependentTaskId` runs after `dependencyTaskId` completed. */
export class DependencyResponseDto {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty({ format: 'uuid' })
  dependentTaskId: string;
  @ApiProperty({ format: 'uuid' })
  dependencyTaskId: string;
  createdAt: Date;
  /** The task on the other end: the dependency when listing dependencies, the dependent when listing dependents. */
  task: LinkedTaskDto;
}
