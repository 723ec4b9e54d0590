import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Job } from 'bullmq';
import Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { redisOptionsFromUrl } from '../config/redis-options';
import { Metrics } from '../metrics/metrics.service';
import { PrismaService } from '../prisma/prisma.service';
import { HandlerRegistry } from './handler-registry';
import { TaskFailure } from './task-handler';
import { TaskJobData } from './task-queue';
import { AttemptResult, ClaimedTask, TaskStateService } from './task-state.service';

/** Why a running attempt was aborted. */
class AbortReason extends Error {
  constructor(
    readonly kind: 'timeout' | 'cancelled' | 'shutdown',
    message: string,
  ) {
    super(message);
  }
}

interface Running {
  task: ClaimedTask;
  controller: AbortController;
}

export function cancelChannel(queuePrefix: string): string {
  return `${queuePrefix}:task-cancel`;
}

/**
 * Runs one queue job: claim, run the handler under its timeout and abort signal, record the
 * result. While tasks run, a heartbeat extends their leases and aborts any the database says
 * are no longer ours (cancelled, or recovered by the reconciler); cancellations also arrive at
 * once over Redis pub/sub.
 */
@Injectable()
export class TaskRunner implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(TaskRunner.name);
  private readonly running = new Map<string, Running>();
  private heartbeat?: NodeJS.Timeout;
  private subscriber?: Redis;

  constructor(
    private readonly state: TaskStateService,
    private readonly handlers: HandlerRegistry,
    private readonly prisma: PrismaService,
    private readonly metrics: Metrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    this.heartbeat = setInterval(() => void this.renewLeases(), Math.max(250, this.config.processing.leaseMs / 3));
    this.heartbeat.unref();
    this.subscriber = new Redis({ ...redisOptionsFromUrl(this.config.redis.url), lazyConnect: true });
    this.subscriber.on('error', (error) => this.logger.warn(`cancel subscription: ${error.message}`));
    this.subscriber.on('message', (_channel, message: string) => {
      for (const id of JSON.parse(message) as string[]) this.abort(id, new AbortReason('cancelled', 'task was cancelled'));
    });
    await this.subscriber.connect();
    await this.subscriber.subscribe(cancelChannel(this.config.redis.queuePrefix));
  }

  /**
   * The last shutdown phase: running tasks keep their leases (and hear cancellations) through
   * the processor's grace period, which happens before it.
   */
  onApplicationShutdown(): void {
    clearInterval(this.heartbeat);
    this.subscriber?.disconnect();
  }

  get activeCount(): number {
    return this.running.size;
  }

  async run(job: Job<TaskJobData>): Promise<void> {
    const task = await this.state.claim(job.data);
    if (!task) return; // stale or duplicate job: someone else owns or finished this task

    const controller = new AbortController();
    this.running.set(task.id, { task, controller });
    const timeoutMs =
      task.timeoutMs ?? this.config.processing.timeouts[task.taskType] ?? this.config.processing.defaultTimeoutMs;
    const timer = setTimeout(
      () => controller.abort(new AbortReason('timeout', `timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
    let result: AttemptResult;
    const started = performance.now();
    try {
      const output = await untilAborted(
        this.handlers.get(task.taskType).run({
          task,
          dependencies: task.dependencies,
          signal: controller.signal,
          reportProgress: (progress) => job.updateProgress(progress),
        }),
        controller.signal,
      );
      result = { kind: 'completed', output };
    } catch (error) {
      result = toFailure(controller.signal.aborted ? controller.signal.reason : error);
    } finally {
      clearTimeout(timer);
      this.running.delete(task.id);
    }
    const labels = { task_type: task.taskType, outcome: result.kind };
    this.metrics.taskAttempts.inc(labels);
    this.metrics.taskAttemptDuration.observe(labels, (performance.now() - started) / 1000);
    // The worker's slot frees as soon as the result is handed over: results of many slots
    // commit together. Should the process die before that commit, the task's lease expires
    // and the reconciler counts the attempt as failed; shutdown waits for settled().
    this.state
      .finish(task, result)
      .catch((error: unknown) =>
        this.logger.warn(`recording the result of task ${task.id} failed (its lease will expire): ${String(error)}`),
      );
  }

  /** Resolves when every result recorded so far is committed. */
  settled(): Promise<void> {
    return this.state.settled();
  }

  /** Shutdown: hands running attempts back to the queue instead of letting them hang. */
  releaseAll(): void {
    for (const id of this.running.keys()) this.abort(id, new AbortReason('shutdown', 'worker shutting down'));
  }

  private abort(taskId: string, reason: AbortReason): void {
    this.running.get(taskId)?.controller.abort(reason);
  }

  private async renewLeases(): Promise<void> {
    if (this.running.size === 0) return;
    const tasks = [...this.running.values()].map((r) => r.task);
    const leaseUntil = new Date(Date.now() + this.config.processing.leaseMs);
    try {
      const renewed = await this.prisma.$queryRaw<Array<{ id: string }>>`
        UPDATE "ProcessingTask" t SET "leaseExpiresAt" = ${leaseUntil}
        FROM unnest(${tasks.map((t) => t.id)}::uuid[], ${tasks.map((t) => t.generation)}::int[]) AS r(id, generation)
        WHERE t."id" = r.id AND t."generation" = r.generation AND t."status" = 'processing'
        RETURNING t."id"`;
      const ours = new Set(renewed.map((r) => r.id));
      for (const task of tasks) {
        if (!ours.has(task.id)) this.abort(task.id, new AbortReason('cancelled', 'task is no longer processing here'));
      }
    } catch (error) {
      this.logger.warn(`lease renewal failed: ${String(error)}`);
    }
  }
}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function toFailure(error: unknown): AttemptResult {
  if (error instanceof AbortReason) {
    // A cancelled task's row already says so: its finish is a guarded no-op; shutdown hands it back.
    if (error.kind === 'shutdown') return { kind: 'released' };
    return { kind: 'failed', error: error.message, retryable: error.kind === 'timeout' };
  }
  if (error instanceof TaskFailure) {
    return { kind: 'failed', error: error.message, retryable: error.options.retryable, retryAfterMs: error.options.retryAfterMs };
  }
  return { kind: 'failed', error: error instanceof Error ? error.message : String(error), retryable: true };
}
