import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/error-response.dto';
import { UuidParam } from '../common/uuid-param';
import { TaskPageDto } from '../tasks/dto/task-response.dto';
import { BatchesService } from './batches.service';
import { BatchPageDto, BatchResponseDto, CreatedBatchResponseDto } from './dto/batch-response.dto';
import { CreateBatchDto } from './dto/create-batch.dto';
import { ListBatchesQueryDto, ListBatchTasksQueryDto } from './dto/list-batches-query.dto';

@ApiTags('batches')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('batches')
export class BatchesController {
  constructor(private readonly batches: BatchesService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    operationId: 'createBatch',
    summary: 'Submit a batch of tasks with their dependency graph',
    description:
      'Tasks are wired by client-chosen `ref`s. The graph is validated before anything is written: unknown, duplicate or self refs, duplicate edges and cycles are rejected with a 400 naming them.',
  })
  @ApiErrors(400, 413)
  create(@Body() dto: CreateBatchDto): Promise<CreatedBatchResponseDto> {
    return this.batches.create(dto);
  }

  @Get()
  @ApiOperation({ operationId: 'listBatches', summary: 'List batches, newest first' })
  @ApiErrors(400)
  list(@Query() query: ListBatchesQueryDto): Promise<BatchPageDto> {
    return this.batches.list(query);
  }

  @Get(':id')
  @ApiOperation({ operationId: 'getBatch', summary: 'Get a batch with its counters and progress' })
  @ApiErrors(400, 404)
  get(@UuidParam('id') id: string): Promise<BatchResponseDto> {
    return this.batches.get(id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'cancelBatch',
    summary: 'Cancel a batch',
    description: 'Queued tasks become cancelled; running ones are aborted and become cancelled. 409 if the batch already finished.',
  })
  @ApiErrors(400, 404, 409)
  cancel(@UuidParam('id') id: string): Promise<BatchResponseDto> {
    return this.batches.cancel(id);
  }

  @Post(':id/retry')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'retryBatch',
    summary: 'Re-run the failed and cancelled tasks of a batch',
    description: 'Failed or cancelled tasks (and their failed or cancelled dependents) are queued again with a fresh retry budget; completed tasks keep their outputs. 409 if there is nothing to retry.',
  })
  @ApiErrors(400, 404, 409)
  retry(@UuidParam('id') id: string): Promise<BatchResponseDto> {
    return this.batches.retry(id);
  }

  @Get(':id/tasks')
  @ApiOperation({ operationId: 'listBatchTasks', summary: 'List a batch’s tasks in submission order' })
  @ApiErrors(400, 404)
  listTasks(@UuidParam('id') id: string, @Query() query: ListBatchTasksQueryDto): Promise<TaskPageDto> {
    return this.batches.listTasks(id, query);
  }
}
