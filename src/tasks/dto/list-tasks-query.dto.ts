import { ApiProperty } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { ListBatchTasksQueryDto } from '../../batches/dto/list-batches-query.dto';

export class ListTasksQueryDto extends ListBatchTasksQueryDto {
  /** Only tasks of this batch. */
  @ApiProperty({ format: 'uuid', required: false })
  @IsOptional()
  @IsUUID()
  batchId?: string;

  @IsOptional()
  @IsString()
  @Length(1, 200)
  meetingRecordId?: string;
}
