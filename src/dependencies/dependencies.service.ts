import { Injectable } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { JobStatus } from '../generated/prisma/enums';
import { PrismaService } from '../prisma/prisma.service';
import type { TransactionClient } from '../prisma/transaction';
import { TaskQueue } from '../processing/task-queue';
import { DependencyNotRunnableError, TaskNotFoundError, UnknownDependencyError } from '../tasks/tasks.errors';
import {
  DependencyCycleError,
  DependencyNotFoundError,
  DuplicateDependencyError,
  SelfDependencyError,
  TaskNotQueuedError,
} from './dependencies.errors';
import { DependencyResponseDto } from './dto/dependency.dto';

interface LockedTask {
  id: string;
  status: JobStatus;
  priority: number;
  generation: number;
  pendingDependencies: number;
}

const LINKED_TASK = { select: { id: true, ref: true, batchId: true, taskType: true, status: true } } as const;

@Injectable()
export class DependenciesService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly queue: TaskQueue,
  ) {}

  async listDependencies(taskId: string): Promise<DependencyResponseDto[]> {
    await this.assertTaskExists(taskId);
    const edges = await this.prisma.taskDependency.findMany({
      where: { dependentTaskId: taskId },
      include: { dependencyTask: LINKED_TASK },
      orderBy: { id: 'asc' },
    });
    return edges.map(({ dependencyTask, ...edge }) => ({ ...edge, task: dependencyTask }));
  }

  async listDependents(taskId: string): Promise<DependencyResponseDto[]> {
    await this.assertTaskExists(taskId);
    const edges = await this.prisma.taskDependency.findMany({
      where: { dependencyTaskId: taskId },
      include: { dependentTask: LINKED_TASK },
      orderBy: { id: 'asc' },
    });
    return edges.map(({ dependentTask, ...edge }) => ({ ...edge, task: dependentTask }));
  }

  /**
   * Adds an edge while the dependent is still queued. Both rows are locked (in id order, so two
   * concurrent calls cannot deadlock), then the existing graph is searched for a path back.
   */
  async add(taskId: string, dependencyTaskId: string): Promise<DependencyResponseDto> {
    if (taskId === dependencyTaskId) throw new SelfDependencyError(taskId);
    const edgeId = await this.prisma.$transaction(async (tx) => {
      const locked = await lockTasks(tx, [taskId, dependencyTaskId]);
      const task = locked.get(taskId);
      const dependency = locked.get(dependencyTaskId);
      if (!task) throw new TaskNotFoundError(taskId);
      if (!dependency) throw new UnknownDependencyError([dependencyTaskId], 'dependencyTaskId');
      if (task.status !== JobStatus.queued) throw new TaskNotQueuedError(taskId, task.status);
      if (dependency.status === JobStatus.failed || dependency.status === JobStatus.cancelled) {
        throw new DependencyNotRunnableError([dependency]);
      }
      const existing = await tx.taskDependency.findUnique({
        where: { dependentTaskId_dependencyTaskId: { dependentTaskId: taskId, dependencyTaskId } },
      });
      if (existing) throw new DuplicateDependencyError(taskId, dependencyTaskId);

      const cycle = await findPath(tx, dependencyTaskId, taskId);
      if (cycle) throw new DependencyCycleError([taskId, ...cycle]);

      const id = uuidv7();
      await tx.taskDependency.create({ data: { id, dependentTaskId: taskId, dependencyTaskId } });
      if (dependency.status !== JobStatus.completed) {
        await tx.processingTask.update({ where: { id: taskId }, data: { pendingDependencies: { increment: 1 } } });
      }
      return id;
    });
    return this.getEdge(edgeId, 'dependency');
  }

  async remove(taskId: string, dependencyTaskId: string): Promise<void> {
    const ready = await this.prisma.$transaction(async (tx) => {
      const locked = await lockTasks(tx, [taskId, dependencyTaskId]);
      const task = locked.get(taskId);
      if (!task) throw new TaskNotFoundError(taskId);
      if (task.status !== JobStatus.queued) throw new TaskNotQueuedError(taskId, task.status);
      const { count } = await tx.taskDependency.deleteMany({ where: { dependentTaskId: taskId, dependencyTaskId } });
      if (count === 0) throw new DependencyNotFoundError(taskId, dependencyTaskId);
      if (locked.get(dependencyTaskId)?.status === JobStatus.completed) return undefined;
      const updated = await tx.processingTask.update({
        where: { id: taskId },
        data: { pendingDependencies: { decrement: 1 } },
      });
      return updated.pendingDependencies === 0 ? updated : undefined;
    });
    if (ready) await this.queue.enqueue([ready]);
  }

  private async getEdge(id: string, side: 'dependency' | 'dependent'): Promise<DependencyResponseDto> {
    const edge = await this.prisma.taskDependency.findUniqueOrThrow({
      where: { id },
      include: { dependencyTask: LINKED_TASK, dependentTask: LINKED_TASK },
    });
    const { dependencyTask, dependentTask, ...rest } = edge;
    return { ...rest, task: side === 'dependency' ? dependencyTask : dependentTask };
  }

  private async assertTaskExists(id: string): Promise<void> {
    const found = await this.prisma.processingTask.count({ where: { id } });
    if (found === 0) throw new TaskNotFoundError(id);
  }
}

async function lockTasks(tx: TransactionClient, ids: string[]): Promise<Map<string, LockedTask>> {
  const rows = await tx.$queryRaw<LockedTask[]>`
    SELECT "id", "status", "priority", "generation", "pendingDependencies" FROM "ProcessingTask"
    WHERE "id" = ANY(${ids}::uuid[]) ORDER BY "id" FOR UPDATE`;
  return new Map(rows.map((r) => [r.id, r]));
}

/** A dependency path from `from` to `to` in the existing graph (ids, both ends included), if any. */
async function findPath(tx: TransactionClient, from: string, to: string): Promise<string[] | undefined> {
  const rows = await tx.$queryRaw<Array<{ path: string[] }>>`
    WITH RECURSIVE walk(id, path) AS (
      SELECT ${from}::uuid, ARRAY[${from}::uuid]
      UNION ALL
      SELECT d."dependencyTaskId", w.path || d."dependencyTaskId"
      FROM walk w JOIN "TaskDependency" d ON d."dependentTaskId" = w.id
      WHERE NOT d."dependencyTaskId" = ANY(w.path)
    )
    SELECT path::text[] AS path FROM walk WHERE id = ${to}::uuid LIMIT 1`;
  return rows[0]?.path;
}
