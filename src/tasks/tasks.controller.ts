import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/error-response.dto';
import { UuidParam } from '../common/uuid-param';
import { CreateTaskDto } from './dto/create-task.dto';
import { ListTasksQueryDto } from './dto/list-tasks-query.dto';
import { TaskPageDto, TaskResponseDto } from './dto/task-response.dto';
import { TasksService } from './tasks.service';

@ApiTags('tasks')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('tasks')
export class TasksController {
  constructor(private readonly tasks: TasksService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ operationId: 'createTask', summary: 'Create a standalone task (not part of a batch)' })
  @ApiErrors(400, 409)
  create(@Body() dto: CreateTaskDto): Promise<TaskResponseDto> {
    return this.tasks.create(dto);
  }

  @Get()
  @ApiOperation({ operationId: 'listTasks', summary: 'List tasks, newest first' })
  @ApiErrors(400)
  list(@Query() query: ListTasksQueryDto): Promise<TaskPageDto> {
    return this.tasks.list(query);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'cancelTask',
    summary: 'Cancel a task and its unfinished dependents',
    description: 'A running attempt is aborted. 409 if the task already finished.',
  })
  @ApiErrors(400, 404, 409)
  cancel(@UuidParam('id') id: string): Promise<TaskResponseDto> {
    return this.tasks.cancel(id);
  }

  @Post(':id/retry')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'retryTask',
    summary: 'Re-run a failed or cancelled task',
    description: 'Its failed or cancelled dependents are queued again too. 409 if the task is not failed or cancelled, or if it depends on another failed task that must be retried first.',
  })
  @ApiErrors(400, 404, 409)
  retry(@UuidParam('id') id: string): Promise<TaskResponseDto> {
    return this.tasks.retry(id);
  }

  @Get(':id')
  @ApiOperation({ operationId: 'getTask', summary: 'Get a task' })
  @ApiErrors(400, 404)
  get(@UuidParam('id') id: string): Promise<TaskResponseDto> {
    return this.tasks.get(id);
  }
}
