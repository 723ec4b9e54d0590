import { Body, Controller, Delete, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/error-response.dto';
import { UuidParam } from '../common/uuid-param';
import { DependenciesService } from './dependencies.service';
import { AddDependencyDto, DependencyResponseDto } from './dto/dependency.dto';

@ApiTags('dependencies')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('tasks/:id')
export class DependenciesController {
  constructor(private readonly dependencies: DependenciesService) {}

  @Get('dependencies')
  @ApiOperation({ operationId: 'listTaskDependencies', summary: 'Tasks this task waits for' })
  @ApiErrors(400, 404)
  listDependencies(@UuidParam('id') id: string): Promise<DependencyResponseDto[]> {
    return this.dependencies.listDependencies(id);
  }

  @Get('dependents')
  @ApiOperation({ operationId: 'listTaskDependents', summary: 'Tasks waiting for this task' })
  @ApiErrors(400, 404)
  listDependents(@UuidParam('id') id: string): Promise<DependencyResponseDto[]> {
    return this.dependencies.listDependents(id);
  }

  @Post('dependencies')
  @HttpCode(201)
  @ApiOperation({
    operationId: 'addTaskDependency',
    summary: 'Make a queued task wait for another task',
    description: 'Only while the task is queued. Rejected with 400 if the edge would close a cycle (the path is named).',
  })
  @ApiErrors(400, 404, 409)
  add(@UuidParam('id') id: string, @Body() dto: AddDependencyDto): Promise<DependencyResponseDto> {
    return this.dependencies.add(id, dto.dependencyTaskId);
  }

  @Delete('dependencies/:dependencyTaskId')
  @HttpCode(204)
  @ApiOperation({ operationId: 'removeTaskDependency', summary: 'Remove an edge while the task is queued' })
  @ApiErrors(400, 404, 409)
  remove(@UuidParam('id') id: string, @UuidParam('dependencyTaskId') dependencyTaskId: string): Promise<void> {
    return this.dependencies.remove(id, dependencyTaskId);
  }
}
