import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { AppConfig, WebhooksConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import type { Prisma } from '../generated/prisma/client';
import { Metrics } from '../metrics/metrics.service';
import { OutboxListener } from './outbox-listener';
import { AttemptResult, ClaimedDelivery, WebhookDeliveryStore } from './webhook-delivery-store';
import { nextAttemptAt } from './webhook-retry';
import { WebhookSender } from './webhook-sender';

export const SWEEP_INTERVAL_NAME = 'webhook-sweep';
/** Results recorded per statement, at most. */
const RECORD_GROUP_SIZE = 500;
/** A result waits this long for others to share its statement (fewer, larger writes under load). */
const RECORD_LINGER_MS = 10;
const RECORD_RETRY_DELAYS_MS = [200, 1_000, 5_000];
/** Room left in a lease before its end for recording an attempt. */
const LEASE_MARGIN_MS = 5_000;

/**
 * Delivers due webhooks; provided for the scheduler role only. The only place that sends outbox rows:
 *
 * - woken by the outbox's NOTIFY right after a commit, by an interval tick as the fallback
 *   (retries falling due, missed notifications), and by its own attempts finishing;
 * - claims due rows in bounded batches (one statement, SKIP LOCKED: instances never send the
 *   same attempt twice), keeping at most WEBHOOK_DELIVERY_CONCURRENCY requests in flight;
 * - sends deliveries about the same task or batch one after the other, so a receiver sees
 *   `task.started` before `task.completed` when both fall due together;
 * - records outcomes in grouped statements, rescheduling failures on the retry schedule.
 *
 * Nothing here is needed for correctness after a crash: a claimed row whose outcome was never
 * recorded becomes due again when its lease ends.
 */
@Injectable()
export class WebhookSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(WebhookSweeper.name);
  private readonly config: WebhooksConfig;
  private listener?: OutboxListener;
  private started = false;
  private stopping = false;

  private draining?: Promise<void>;
  private wokenWhileDraining = false;
  private inFlight = 0;
  private slotWaiters: Array<() => void> = [];
  /** Last attempt queued per ordering key; the next one for that key runs after it. */
  private readonly chains = new Map<string, Promise<void>>();
  private unrecorded: AttemptResult[] = [];
  private recording?: Promise<void>;

  constructor(
    private readonly store: WebhookDeliveryStore,
    private readonly sender: WebhookSender,
    private readonly scheduler: SchedulerRegistry,
    private readonly metrics: Metrics,
    @Inject(APP_CONFIG) private readonly appConfig: AppConfig,
  ) {
    this.config = appConfig.webhooks;
  }

  async onApplicationBootstrap(): Promise<void> {
    this.started = true;
    this.scheduler.addInterval(SWEEP_INTERVAL_NAME, setInterval(() => this.wake(), this.config.sweepIntervalMs));
    this.listener = new OutboxListener(this.appConfig.database.url, () => this.wake());
    await this.listener.start();
    this.wake();
  }

  /** Stops claiming, lets in-flight attempts finish (each bounded by the timeout) and records them. */
  async onModuleDestroy(): Promise<void> {
    if (!this.started || this.stopping) return;
    this.stopping = true;
    this.scheduler.deleteInterval(SWEEP_INTERVAL_NAME);
    await this.listener?.stop();
    this.releaseSlotWaiters();
    await this.draining;
    await Promise.all(this.chains.values());
    await this.recording;
  }

  /** Runs a sweep now, or right after the current one if a sweep is running. */
  wake(): void {
    if (!this.started || this.stopping) return;
    if (this.draining) {
      this.wokenWhileDraining = true;
      return;
    }
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      if (this.wokenWhileDraining) this.wake();
    });
  }

  private async drain(): Promise<void> {
    const { concurrency, sweepBatchSize } = this.config;
    // Claim in chunks worth a statement, not one row each time a slot frees up.
    const minimumClaim = Math.max(1, Math.floor(Math.min(concurrency, sweepBatchSize) / 2));
    while (!this.stopping) {
      this.wokenWhileDraining = false;
      const room = concurrency - this.inFlight;
      if (room < minimumClaim) {
        await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
        continue;
      }
      const limit = Math.min(room, sweepBatchSize);
      let claim: { deliveries: ClaimedDelivery[]; rows: number };
      try {
        claim = await this.store.claim(limit);
      } catch (error) {
        this.logger.warn(`claiming due webhook deliveries failed; retrying on the next tick: ${String(error)}`);
        return;
      }
      for (const delivery of claim.deliveries) this.dispatch(delivery);
      // Fewer rows than asked: nothing else is due (or other instances hold it).
      if (claim.rows < limit && !this.wokenWhileDraining) return;
    }
  }

  private dispatch(delivery: ClaimedDelivery): void {
    const key = `${delivery.webhookId}/${orderingKey(delivery)}`;
    const previous = this.chains.get(key);
    const attempt = previous ? previous.then(() => this.attempt(delivery)) : this.attempt(delivery);
    this.chains.set(key, attempt);
    this.inFlight++;
    void attempt.then(() => {
      if (this.chains.get(key) === attempt) this.chains.delete(key);
      this.inFlight--;
      this.releaseSlotWaiters();
    });
  }

  /** Never rejects: an attempt's failure is data, recorded on the row. */
  private async attempt(delivery: ClaimedDelivery): Promise<void> {
    try {
      // Queued behind others for the same subject, it may have waited past the point where an
      // attempt still ends inside its lease; the row then falls due again and is re-claimed.
      if (Date.now() + this.config.timeoutMs > delivery.claimedAt + this.store.leaseMs - LEASE_MARGIN_MS) return;
      const outcome = await this.sender.send({
        id: delivery.id,
        url: delivery.url,
        secrets: delivery.secrets,
        body: envelopeJson(delivery.payload),
      });
      this.metrics.webhookAttempts.inc({ outcome: outcome.successful ? 'success' : 'failure' });
      this.metrics.webhookAttemptDuration.observe(outcome.latencyMs / 1000);
      this.record({ delivery, outcome, nextAttemptAt: nextAttemptAt(delivery.attempts, outcome, this.config) });
    } catch (error) {
      this.logger.error(`webhook delivery ${delivery.id} attempt failed unexpectedly: ${String(error)}`);
    }
  }

  private record(result: AttemptResult): void {
    this.unrecorded.push(result);
    this.recording ??= this.flushResults();
  }

  private async flushResults(): Promise<void> {
    if (!this.stopping) await new Promise((resolve) => setTimeout(resolve, RECORD_LINGER_MS));
    while (this.unrecorded.length > 0) {
      const group = this.unrecorded.splice(0, RECORD_GROUP_SIZE);
      await this.recordWithRetries(group);
    }
    this.recording = undefined;
  }

  private async recordWithRetries(group: AttemptResult[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.store.record(group);
        break;
      } catch (error) {
        if (attempt >= RECORD_RETRY_DELAYS_MS.length) {
          // The rows stay claimed; they fall due again when their lease ends and are sent again.
          this.logger.error(`recording ${group.length} webhook attempt(s) failed; they will be retried: ${String(error)}`);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, RECORD_RETRY_DELAYS_MS[attempt]));
      }
    }
    try {
      await this.store.recordHealth(group);
    } catch (error) {
      // Health lags by one group at worst; the next outcomes for these subscriptions update it.
      this.logger.warn(`updating webhook subscription health failed: ${String(error)}`);
    }
  }

  private releaseSlotWaiters(): void {
    for (const resolve of this.slotWaiters.splice(0)) resolve();
  }
}

/** Deliveries about the same task (or batch, for batch events) are sent in order. */
function orderingKey(delivery: ClaimedDelivery): string {
  const data = delivery.payload.data as Prisma.JsonObject | undefined;
  const subject = data?.taskId ?? data?.batchId;
  return typeof subject === 'string' ? subject : delivery.id;
}

/** The stored envelope as compact JSON, `type` and `timestamp` first for people reading it. */
export function envelopeJson(payload: Prisma.JsonObject): string {
  const { type, timestamp, data, ...rest } = payload;
  return JSON.stringify({ type, timestamp, data, ...rest });
}
