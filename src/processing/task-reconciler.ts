import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { Redis } from 'ioredis';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { PrismaService } from '../prisma/prisma.service';
import { jobIdOf, ReadyTask, TaskQueue } from './task-queue';
import { Attempt, TaskStateService } from './task-state.service';

/** A ready task younger than this may still be on its way to the queue (enqueue follows commit). */
const ENQUEUE_GRACE_MS = 2_000;
const SCAN_LIMIT = 5_000;

/**
 * Makes Redis agree with PostgreSQL again: (a) ready queued tasks without a live queue job
 * (Redis lost its data, or a process died between commit and enqueue) are enqueued again;
 * (b) processing tasks whose lease expired (their worker died) count a failed attempt and are
 * retried or failed. Both steps are idempotent (job ids and guarded updates), so any number of
 * instances may run them at once.
 */
@Injectable()
export class TaskReconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TaskReconciler.name);
  private ticking = false;

  constructor(
    private readonly prisma: PrismaService,
    private readonly queue: TaskQueue,
    private readonly state: TaskStateService,
    private readonly scheduler: SchedulerRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const interval = setInterval(() => void this.tick(), this.config.processing.reconcileIntervalMs);
    this.scheduler.addInterval(TaskReconciler.name, interval);
  }

  onApplicationShutdown(): void {
    if (this.scheduler.doesExist('interval', TaskReconciler.name)) this.scheduler.deleteInterval(TaskReconciler.name);
  }

  async tick(): Promise<{ requeued: number; recovered: number }> {
    if (this.ticking) return { requeued: 0, recovered: 0 };
    this.ticking = true;
    try {
      return { requeued: await this.requeueLostJobs(), recovered: await this.recoverExpiredLeases() };
    } catch (error) {
      this.logger.warn(`reconcile failed: ${String(error)}`);
      return { requeued: 0, recovered: 0 };
    } finally {
      this.ticking = false;
    }
  }

  private async requeueLostJobs(): Promise<number> {
    const ready = await this.prisma.$queryRaw<Array<ReadyTask & { runAfter: Date; updatedAt: Date }>>`
      SELECT "id", "batchId", "priority", "generation", "runAfter", "updatedAt" FROM "ProcessingTask"
      WHERE "status" = 'queued' AND "pendingDependencies" = 0
        AND "updatedAt" < ${new Date(Date.now() - ENQUEUE_GRACE_MS)}
      ORDER BY "priority" DESC, "id" LIMIT ${SCAN_LIMIT}`;
    if (ready.length === 0) return 0;
    const redis = (await this.queue.queue.client) as unknown as Redis;
    const pipeline = redis.pipeline();
    for (const task of ready) pipeline.exists(this.queue.queue.toKey(jobIdOf(task)));
    const exists = (await pipeline.exec()) ?? [];
    const lost = ready.filter((_, i) => exists[i]?.[1] === 0);
    if (lost.length > 0) {
      this.logger.warn(`re-enqueueing ${lost.length} ready task(s) that had no queue job`);
      await this.queue.enqueue(lost);
    }

    // A live worker claims a job within milliseconds of taking it. A job still active while its
    // task stays queued for a whole lease belongs to a worker that died before claiming; BullMQ
    // would notice only after its own lock expires. Queue a new generation now: should the old
    // job run after all, its claim no longer matches and does nothing.
    const active = new Set(await redis.lrange(this.queue.queue.toKey('active'), 0, -1));
    const leaseAgo = Date.now() - this.config.processing.leaseMs;
    const suspects = ready.filter((t) => active.has(jobIdOf(t)) && t.updatedAt.getTime() < leaseAgo);
    // A task may have waited in a backlog for longer than a lease; what counts is how long
    // ago a worker took its job (processedOn), not how long ago the task changed.
    const taken = suspects.length === 0 ? [] : await redis.pipeline(
      suspects.map((t) => ['hget', this.queue.queue.toKey(jobIdOf(t)), 'processedOn']),
    ).exec();
    const orphaned = suspects.filter((_, i) => Number(taken?.[i]?.[1] ?? 0) < leaseAgo);
    if (orphaned.length > 0) {
      const requeued = await this.prisma.$queryRaw<ReadyTask[]>`
        UPDATE "ProcessingTask" t SET "generation" = t."generation" + 1, "updatedAt" = ${new Date()}
        FROM unnest(${orphaned.map((o) => o.id)}::uuid[], ${orphaned.map((o) => o.generation)}::int[]) AS o(id, generation)
        WHERE t."id" = o.id AND t."generation" = o.generation AND t."status" = 'queued'
        RETURNING t."id", t."batchId", t."priority", t."generation"`;
      this.logger.warn(`re-enqueueing ${requeued.length} task(s) whose worker died before claiming them`);
      await this.queue.enqueue(requeued);
    }
    return lost.length + orphaned.length;
  }

  private async recoverExpiredLeases(): Promise<number> {
    const expired = await this.prisma.$queryRaw<Attempt[]>`
      SELECT "id", "batchId", "ref", "taskType", "retryCount", "maxRetries", "priority", "generation"
      FROM "ProcessingTask" WHERE "status" = 'processing' AND "leaseExpiresAt" < ${new Date()}
      ORDER BY "leaseExpiresAt" LIMIT ${SCAN_LIMIT}`;
    if (expired.length === 0) return 0;
    this.logger.warn(`recovering ${expired.length} task(s) whose worker stopped renewing the lease`);
    await Promise.all(
      expired.map((attempt) =>
        this.state.finish(attempt, { kind: 'failed', error: 'worker lost: lease expired', retryable: true }),
      ),
    );
    return expired.length;
  }
}
