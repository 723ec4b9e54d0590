import { Injectable } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { InvalidRequestError, ErrorDetail } from '../common/domain-errors';
import { paginate } from '../common/pagination';
import { JobStatus, Prisma } from '../generated/prisma/client';
import { PrismaService } from '../prisma/prisma.service';
import { TaskControlService } from '../processing/task-control.service';
import { TaskQueue } from '../processing/task-queue';
import { CreateTaskDto } from './dto/create-task.dto';
import { ListTasksQueryDto } from './dto/list-tasks-query.dto';
import { TaskPageDto, TaskResponseDto, toTaskResponse } from './dto/task-response.dto';
import { TaskInputValidator } from './inputs/task-input.validator';
import { insertEdges, insertTasks, NewTask, newTaskResponse } from './task-store';
import { DependencyNotRunnableError, TaskNotFoundError, UnknownDependencyError } from './tasks.errors';

export const DEFAULT_MAX_RETRIES = 3;

@Injectable()
export class TasksService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly inputs: TaskInputValidator,
    private readonly queue: TaskQueue,
    private readonly control: TaskControlService,
  ) {}

  /** Creates a standalone task, optionally depending on existing tasks. */
  async create(dto: CreateTaskDto): Promise<TaskResponseDto> {
    const problems: ErrorDetail[] = [];
    const input = this.inputs.validate(dto.taskType, dto.input, 'input', problems);
    if (problems.length > 0) throw new InvalidRequestError('invalid_task_input', problems[0].message, problems);
    const dependsOn = [...new Set(dto.dependsOn ?? [])];
    if (dependsOn.length !== (dto.dependsOn ?? []).length) {
      throw new InvalidRequestError('duplicate_dependency', 'dependsOn lists a task more than once', [
        { field: 'dependsOn', message: 'ids must be unique' },
      ]);
    }

    const now = new Date();
    const task: NewTask = {
      id: uuidv7(),
      batchId: null,
      ref: null,
      taskType: dto.taskType,
      priority: dto.priority ?? 0,
      maxRetries: dto.maxRetries ?? DEFAULT_MAX_RETRIES,
      input,
      meetingRecordId: dto.meetingRecordId ?? null,
      timeoutMs: dto.timeoutMs ?? null,
      pendingDependencies: 0,
    };

    await this.prisma.$transaction(async (tx) => {
      if (dependsOn.length > 0) {
        // FOR SHARE: a dependency cannot complete between this check and our commit, so its
        // completion is guaranteed to see our edge and count down pendingDependencies.
        const deps = await tx.$queryRaw<Array<{ id: string; status: JobStatus }>>`
          SELECT "id", "status" FROM "ProcessingTask" WHERE "id" = ANY(${dependsOn}::uuid[]) FOR SHARE`;
        const found = new Set(deps.map((d) => d.id));
        const missing = dependsOn.filter((id) => !found.has(id));
        if (missing.length > 0) throw new UnknownDependencyError(missing, 'dependsOn');
        const dead = deps.filter((d) => d.status === JobStatus.failed || d.status === JobStatus.cancelled);
        if (dead.length > 0) throw new DependencyNotRunnableError(dead);
        task.pendingDependencies = deps.filter((d) => d.status !== JobStatus.completed).length;
      }
      await insertTasks(tx, [task], now);
      await insertEdges(
        tx,
        dependsOn.map((dependencyTaskId) => ({ id: uuidv7(), dependentTaskId: task.id, dependencyTaskId })),
        now,
      );
    });

    if (task.pendingDependencies === 0) await this.queue.enqueue([{ id: task.id, batchId: null, priority: task.priority, generation: 0 }]);
    return newTaskResponse(task, now);
  }

  /** Cancels the task and its unfinished dependents; a running attempt is aborted. */
  async cancel(id: string): Promise<TaskResponseDto> {
    if (!(await this.control.cancelTask(id))) throw new TaskNotFoundError(id);
    return this.get(id);
  }

  /** Queues a failed or cancelled task again, with its failed or cancelled dependents. */
  async retry(id: string): Promise<TaskResponseDto> {
    if (!(await this.control.retryTask(id))) throw new TaskNotFoundError(id);
    return this.get(id);
  }

  async get(id: string): Promise<TaskResponseDto> {
    const task = await this.prisma.processingTask.findUnique({ where: { id } });
    if (!task) throw new TaskNotFoundError(id);
    return toTaskResponse(task);
  }

  async list(query: ListTasksQueryDto): Promise<TaskPageDto> {
    const where: Prisma.ProcessingTaskWhereInput = {
      batchId: query.batchId,
      status: query.status,
      taskType: query.taskType,
      meetingRecordId: query.meetingRecordId,
    };
    return paginate(
      query,
      ({ take, cursorId }) =>
        this.prisma.processingTask.findMany({
          where: cursorId ? { ...where, id: { lt: cursorId } } : where,
          orderBy: { id: 'desc' },
          take,
        }),
      toTaskResponse,
    );
  }
}
