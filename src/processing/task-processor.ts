import { Processor, WorkerHost } from '@nestjs/bullmq';
import { BeforeApplicationShutdown, Inject, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Job } from 'bullmq';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { TASK_QUEUE, TaskJobData } from './task-queue';
import { TaskRunner } from './task-runner';

@Processor(TASK_QUEUE)
export class TaskProcessor extends WorkerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(TaskProcessor.name);

  constructor(
    private readonly runner: TaskRunner,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.processing.concurrency;
    // An 'error' event without a listener would crash the process. BullMQ reports here what
    // PostgreSQL already settled: e.g. finishing a job whose Redis key was lost (the task's
    // state is in the database; the reconciler re-creates what the queue needs).
    this.worker.on('error', (error) => this.logger.warn(`queue worker: ${error.message}`));
  }

  process(job: Job<TaskJobData>): Promise<void> {
    return this.runner.run(job);
  }

  /**
   * SIGTERM: take no new jobs, give running ones SHUTDOWN_GRACE_MS to finish, then hand the
   * rest back to the queue (queued again, not counted as a failed attempt).
   */
  async beforeApplicationShutdown(): Promise<void> {
    const closing = this.worker.close();
    const timer = setTimeout(() => {
      if (this.runner.activeCount > 0) this.logger.warn(`releasing ${this.runner.activeCount} running task(s)`);
      this.runner.releaseAll();
    }, this.config.processing.shutdownGraceMs);
    await closing;
    clearTimeout(timer);
    await this.runner.settled();
  }
}
