import { Inject, Injectable } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { ErrorDetail, InvalidRequestError } from '../common/domain-errors';
import { paginate } from '../common/pagination';
import { EventType, Prisma, ProcessingBatch } from '../generated/prisma/client';
import { PrismaService } from '../prisma/prisma.service';
import { SqlPool } from '../prisma/sql-pool';
import { TaskControlService } from '../processing/task-control.service';
import { TaskQueue } from '../processing/task-queue';
import { toTaskResponse } from '../tasks/dto/task-response.dto';
import type { TaskPageDto } from '../tasks/dto/task-response.dto';
import { TaskInputValidator } from '../tasks/inputs/task-input.validator';
import { insertEdges, insertTasks, NewTask, newTaskResponse } from '../tasks/task-store';
import { DEFAULT_MAX_RETRIES } from '../tasks/tasks.service';
import { OutboxService } from '../webhooks/outbox.service';
import { buildBatchGraph } from './batch-graph';
import { batchEventData } from './batch-events';
import { BatchNotFoundError, BatchTooLargeError } from './batches.errors';
import { BatchPageDto, BatchResponseDto, CreatedBatchResponseDto, toBatchResponse } from './dto/batch-response.dto';
import { CreateBatchDto } from './dto/create-batch.dto';
import { ListBatchesQueryDto, ListBatchTasksQueryDto } from './dto/list-batches-query.dto';

@Injectable()
export class BatchesService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly sql: SqlPool,
    private readonly inputs: TaskInputValidator,
    private readonly queue: TaskQueue,
    private readonly outbox: OutboxService,
    private readonly control: TaskControlService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Validates everything first, then writes the batch, its tasks, its edges and the
   * batch.created outbox rows in one transaction of four statements; ready tasks are enqueued
   * after the commit.
   */
  async create(dto: CreateBatchDto): Promise<CreatedBatchResponseDto> {
    const limit = this.config.limits.maxTasksPerBatch;
    if (dto.tasks.length > limit) throw new BatchTooLargeError(dto.tasks.length, limit);

    const problems: ErrorDetail[] = [];
    const inputs = dto.tasks.map((t, i) => this.inputs.validate(t.taskType, t.input, `tasks[${i}].input`, problems));
    if (problems.length > 0) throw new InvalidRequestError('invalid_task_input', problems[0].message, problems);
    const graph = buildBatchGraph(dto.tasks);

    const now = new Date();
    const batchId = uuidv7();
    const batchPriority = dto.priority ?? 0;
    const tasks: NewTask[] = dto.tasks.map((t, i) => ({
      id: uuidv7(),
      batchId,
      ref: t.ref,
      taskType: t.taskType,
      priority: t.priority ?? batchPriority,
      maxRetries: t.maxRetries ?? DEFAULT_MAX_RETRIES,
      input: inputs[i],
      meetingRecordId: t.meetingRecordId ?? null,
      timeoutMs: t.timeoutMs ?? null,
      pendingDependencies: graph.dependencyCounts[i],
    }));
    const edges = graph.edges.map(([dependent, dependency]) => ({
      id: uuidv7(),
      dependentTaskId: tasks[dependent].id,
      dependencyTaskId: tasks[dependency].id,
    }));

    // Raw pg, not Prisma's pipeline: the same statements, but Prisma's per-element handling of
    // 10,000-element array parameters cost ~300 ms of a large submission.
    const batch = await this.sql.transaction(async (tx) => {
      const [created] = await tx.$queryRaw<ProcessingBatch[]>`
        INSERT INTO "ProcessingBatch" ("id", "name", "batchType", "priority", "metadata", "totalTasks",
          "queuedTasks", "createdAt", "updatedAt")
        VALUES (${batchId}::uuid, ${dto.name ?? null}, ${dto.batchType}::"BatchType", ${batchPriority},
          ${dto.metadata === undefined ? null : JSON.stringify(dto.metadata)}::jsonb, ${tasks.length}, ${tasks.length},
          ${now}, ${now})
        RETURNING *`;
      await insertTasks(tx, tasks, now);
      await insertEdges(tx, edges, now);
      await this.outbox.record(tx, [{ type: EventType.batch_created, occurredAt: now, data: batchEventData(created) }]);
      return created;
    });

    await this.queue.enqueue(
      tasks.filter((t) => t.pendingDependencies === 0).map((t) => ({ id: t.id, batchId, priority: t.priority, generation: 0 })),
    );

    return {
      ...toBatchResponse(batch),
      tasks: tasks.map((t) => newTaskResponse(t, now)),
    };
  }

  /** Cancels every unfinished task; running ones are aborted. 409 when the batch already finished. */
  async cancel(id: string): Promise<BatchResponseDto> {
    if (!(await this.control.cancelBatch(id))) throw new BatchNotFoundError(id);
    return this.get(id);
  }

  /** Queues every failed or cancelled task again, with their failed or cancelled dependents. */
  async retry(id: string): Promise<BatchResponseDto> {
    if (!(await this.control.retryBatch(id))) throw new BatchNotFoundError(id);
    return this.get(id);
  }

  async get(id: string): Promise<BatchResponseDto> {
    return toBatchResponse(await this.find(id));
  }

  async list(query: ListBatchesQueryDto): Promise<BatchPageDto> {
    const where: Prisma.ProcessingBatchWhereInput = { status: query.status, batchType: query.batchType };
    return paginate(
      query,
      ({ take, cursorId }) =>
        this.prisma.processingBatch.findMany({
          where: cursorId ? { ...where, id: { lt: cursorId } } : where,
          orderBy: { id: 'desc' },
          take,
        }),
      toBatchResponse,
    );
  }

  /** A batch's tasks in submission order. */
  async listTasks(batchId: string, query: ListBatchTasksQueryDto): Promise<TaskPageDto> {
    await this.find(batchId);
    const where: Prisma.ProcessingTaskWhereInput = { batchId, status: query.status, taskType: query.taskType };
    return paginate(
      query,
      ({ take, cursorId }) =>
        this.prisma.processingTask.findMany({
          where: cursorId ? { ...where, id: { gt: cursorId } } : where,
          orderBy: { id: 'asc' },
          take,
        }),
      toTaskResponse,
    );
  }

  private async find(id: string): Promise<ProcessingBatch> {
    const batch = await this.prisma.processingBatch.findUnique({ where: { id } });
    if (!batch) throw new BatchNotFoundError(id);
    return batch;
  }
}
