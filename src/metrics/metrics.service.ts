import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

const PREFIX = 'batchsvc_';

/**
 * The service's Prometheus metrics, in a registry of this app's own (not prom-client's global
 * one), so several app instances in one process (tests) keep separate figures.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  readonly httpRequestDuration = new Histogram({
    name: `${PREFIX}http_request_duration_seconds`,
    help: 'HTTP request duration by route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly taskAttempts = new Counter({
    name: `${PREFIX}task_attempts_total`,
    help: 'Task attempts by task type and outcome (completed, failed, released)',
    labelNames: ['task_type', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly taskAttemptDuration = new Histogram({
    name: `${PREFIX}task_attempt_duration_seconds`,
    help: 'Handler run time of one task attempt',
    labelNames: ['task_type', 'outcome'] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 1800],
    registers: [this.registry],
  });

  readonly webhookAttempts = new Counter({
    name: `${PREFIX}webhook_attempts_total`,
    help: 'Webhook delivery attempts by outcome (success, failure)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly webhookAttemptDuration = new Histogram({
    name: `${PREFIX}webhook_attempt_duration_seconds`,
    help: 'Time from sending a webhook to its answer (or error)',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15],
    registers: [this.registry],
  });

  readonly queueJobs = new Gauge({
    name: `${PREFIX}queue_jobs`,
    help: 'Jobs in the task queue by state, read when scraped',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
  }
}
