import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { Queue } from 'bullmq';
import { withTimeout } from '../common/with-timeout';
import { PRIORITY_MAX } from '../tasks/dto/task-fields.dto';

export const TASK_QUEUE = 'tasks';
const ENQUEUE_TIMEOUT_MS = 3_000;

/** What a queue job carries: which task, and which queueing of it (stale jobs are ignored). */
export interface TaskJobData {
  taskId: string;
  generation: number;
  /** Lets the worker lock the batch row before touching the task (one lock order everywhere). */
  batchId: string | null;
}

export interface ReadyTask {
  id: string;
  batchId: string | null;
  priority: number;
  generation: number;
  /** Earliest start (retry backoff); omitted or past means now. */
  runAfter?: Date;
  /** Made ready by its last dependency completing (a pipeline already under way). */
  released?: boolean;
}

/**
 * BullMQ's priority 1 runs first; ours is the other way round, higher first. Within one task
 * priority, tasks released by a completed dependency go before fresh ones: pipelines already
 * under way finish first instead of queueing behind every root of a large batch.
 */
export function toQueuePriority(priority: number, released = false): number {
  return (PRIORITY_MAX - priority) * 2 + (released ? 1 : 2);
}

export function jobIdOf(task: { id: string; generation: number }): string {
  return `${task.id}.${task.generation}`;
}

/**
 * Carries "run task X now" to the workers. PostgreSQL holds the truth; a lost or failed enqueue
 * is repaired by the reconciler, so callers enqueue after their commit and never roll back for it.
 */
@Injectable()
export class TaskQueue {
  private readonly logger = new Logger(TaskQueue.name);

  constructor(@InjectQueue(TASK_QUEUE) readonly queue: Queue<TaskJobData>) {
    // Without a listener, a Redis connection error event would crash the process.
    queue.on('error', (error) => this.logger.warn(`queue: ${error.message}`));
  }

  /** Idempotent: the job id is derived from the task and its generation. */
  async enqueue(tasks: readonly ReadyTask[]): Promise<void> {
    if (tasks.length === 0) return;
    const now = Date.now();
    const adding = this.queue.addBulk(
      tasks.map((task) => ({
        name: 'run',
        data: { taskId: task.id, generation: task.generation, batchId: task.batchId },
        opts: {
          jobId: jobIdOf(task),
          priority: toQueuePriority(task.priority, task.released),
          delay: task.runAfter ? Math.max(0, task.runAfter.getTime() - now) : 0,
          removeOnComplete: true,
          removeOnFail: true,
        },
      })),
    );
    adding.catch(() => undefined); // if we gave up, its later outcome no longer matters
    try {
      // While Redis is unreachable, ioredis queues commands rather than failing them; a caller
      // (an HTTP request, a transaction's follow-up) must not wait for Redis to come back.
      await withTimeout(adding, ENQUEUE_TIMEOUT_MS, `no answer from Redis within ${ENQUEUE_TIMEOUT_MS} ms`);
    } catch (error) {
      this.logger.warn(`enqueue of ${tasks.length} task(s) failed; the reconciler will retry: ${String(error)}`);
    }
  }
}
