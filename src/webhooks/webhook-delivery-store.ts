import { Inject, Injectable } from '@nestjs/common';
import { AppConfig, WebhooksConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import type { Prisma } from '../generated/prisma/client';
import { PrismaService } from '../prisma/prisma.service';
import type { AttemptOutcome } from './webhook-sender';

/** A delivery the sweeper owns until its lease ends, with what it needs to send it. */
export interface ClaimedDelivery {
  id: string;
  webhookId: string;
  eventType: string;
  payload: Prisma.JsonObject;
  /** Attempt number of this attempt (1 for the first). */
  attempts: number;
  url: string;
  /** Current secret first, then the previous one while its grace period lasts. */
  secrets: string[];
  /** When the claim was made (ms since epoch); the lease runs from here. */
  claimedAt: number;
}

export interface AttemptResult {
  delivery: Pick<ClaimedDelivery, 'id' | 'webhookId' | 'attempts'>;
  outcome: AttemptOutcome;
  /** Null: no further attempt (success, 410, or schedule exhausted). */
  nextAttemptAt: Date | null;
}

interface ClaimRow {
  id: string;
  webhookId: string;
  eventType: string;
  payload: Prisma.JsonObject;
  attempts: number;
  refusal: string | null;
  url: string | null;
  secret: string | null;
  previousSecret: string | null;
}

/**
 * The sweeper's SQL: claiming due deliveries and recording attempts, each a single statement
 * whatever the batch size. The claim is a lease: `scheduledFor` moves to the end of the lease,
 * so a claim that is never recorded (crash) becomes due again by itself.
 */
@Injectable()
export class WebhookDeliveryStore {
  private readonly config: WebhooksConfig;
  /** Long enough to send (timeout) and record; an instance that dies mid-attempt delays a retry by this much. */
  readonly leaseMs: number;

  constructor(
    private readonly prisma: PrismaService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.config = config.webhooks;
    this.leaseMs = this.config.timeoutMs + 30_000;
  }

  /**
   * Claims up to `limit` due deliveries; `rows` counts every row taken, sendable or not. SKIP LOCKED lets instances claim side by side without
   * waiting on or taking each other's rows. Deliveries that can no longer be sent (subscription
   * deleted or disabled, attempts used up by an interrupted last attempt) are given up in the
   * same statement rather than returned.
   */
  async claim(limit: number): Promise<{ deliveries: ClaimedDelivery[]; rows: number }> {
    const claimedAt = Date.now();
    const rows = await this.prisma.$queryRaw<ClaimRow[]>`
      WITH due AS (
        SELECT d."id",
               CASE
                 WHEN s."id" IS NULL THEN 'not sent: the subscription was deleted'
                 WHEN NOT s."active" THEN 'not sent: the subscription is disabled'
                 WHEN s."secret" IS NULL THEN 'not sent: the subscription has no signing secret'
                 WHEN d."attempts" >= ${this.config.retryScheduleMs.length}::int
                   THEN 'the last attempt was interrupted before its outcome was recorded'
               END AS "refusal",
               s."url", s."secret",
               CASE WHEN s."previousSecretExpiresAt" > now() THEN s."previousSecret" END AS "previousSecret"
        FROM "WebhookDelivery" d
        LEFT JOIN "WebhookSubscription" s ON s."id" = d."webhookId"
        WHERE NOT d."successful" AND d."gaveUpAt" IS NULL AND d."scheduledFor" <= now()
        -- Index order: ties (one transaction's events share now()) come in insertion order, which
        -- is event order; ids would not help (UUIDv7 is random within a millisecond) and sorting
        -- by them would read every tied row for each claim.
        ORDER BY d."scheduledFor"
        LIMIT ${limit}::int
        FOR UPDATE OF d SKIP LOCKED
      )
      UPDATE "WebhookDelivery" d SET
        "attempts" = d."attempts" + CASE WHEN due."refusal" IS NULL THEN 1 ELSE 0 END,
        "scheduledFor" = CASE WHEN due."refusal" IS NULL
          THEN now() + make_interval(secs => ${this.leaseMs}::float8 / 1000) ELSE d."scheduledFor" END,
        "gaveUpAt" = CASE WHEN due."refusal" IS NULL THEN NULL ELSE now() END,
        "error" = COALESCE(due."refusal", d."error")
      FROM due
      WHERE d."id" = due."id"
      RETURNING d."id", d."webhookId", d."eventType", d."payload", d."attempts",
                due."refusal", due."url", due."secret", due."previousSecret"`;
    const deliveries = rows
      .filter((row) => row.refusal === null)
      .map((row) => ({
        id: row.id,
        webhookId: row.webhookId,
        eventType: row.eventType,
        payload: row.payload,
        attempts: row.attempts,
        url: row.url!,
        secrets: row.previousSecret ? [row.secret!, row.previousSecret] : [row.secret!],
        claimedAt,
      }));
    return { deliveries, rows: rows.length };
  }

  /**
   * Records attempts in one statement. A result whose row was claimed again meanwhile (its lease
   * ran out) is dropped: the newer attempt owns the row. The same statement ends the run of
   * failures (`failingSince`) of subscriptions that just had a success, if it began before that
   * success; in steady state no subscription row is touched. Returns how many deliveries were updated.
   */
  async record(results: readonly AttemptResult[]): Promise<number> {
    if (results.length === 0) return 0;
    const column = <T>(pick: (r: AttemptResult) => T) => results.map(pick);
    const lastSuccess = new Map<string, Date>();
    for (const { delivery, outcome } of results) {
      const seen = lastSuccess.get(delivery.webhookId);
      if (outcome.successful && (!seen || seen < outcome.startedAt)) lastSuccess.set(delivery.webhookId, outcome.startedAt);
    }
    const [{ count }] = await this.prisma.$queryRaw<Array<{ count: number }>>`
      WITH r AS (
        SELECT * FROM unnest(
          ${column((r) => r.delivery.id)}::uuid[],
          ${column((r) => r.delivery.attempts)}::int[],
          ${column((r) => r.outcome.successful)}::boolean[],
          ${column((r) => r.outcome.responseStatus)}::int[],
          ${column((r) => r.outcome.responseBody)}::text[],
          ${column((r) => r.outcome.error)}::text[],
          ${column((r) => r.outcome.startedAt.toISOString())}::text[]::timestamp(3)[],
          ${column((r) => r.nextAttemptAt?.toISOString() ?? null)}::text[]::timestamp(3)[]
        ) AS r("id", "attempts", "successful", "status", "body", "error", "attemptedAt", "nextAt")
      ), updated AS (
        UPDATE "WebhookDelivery" d SET
          "successful" = r."successful",
          "responseStatus" = r."status",
          "responseBody" = r."body",
          "error" = r."error",
          "lastAttemptedAt" = r."attemptedAt",
          "scheduledFor" = COALESCE(r."nextAt", r."attemptedAt"),
          "gaveUpAt" = CASE WHEN r."successful" OR r."nextAt" IS NOT NULL THEN NULL ELSE now() END
        FROM r
        WHERE d."id" = r."id" AND d."attempts" = r."attempts" AND NOT d."successful" AND d."gaveUpAt" IS NULL
        RETURNING 1
      ), successes AS (
        SELECT * FROM unnest(
          ${[...lastSuccess.keys()]}::uuid[],
          ${[...lastSuccess.values()].map((d) => d.toISOString())}::text[]::timestamp(3)[]
        ) AS s("id", "at")
      ), recovering AS (
        -- Locked in id order: concurrent sweepers cannot deadlock on subscription rows.
        SELECT w."id" FROM "WebhookSubscription" w JOIN successes s ON s."id" = w."id"
        WHERE w."failingSince" <= s."at"
        ORDER BY w."id"
        FOR NO KEY UPDATE OF w
      ), recovered AS (
        UPDATE "WebhookSubscription" w SET "failingSince" = NULL FROM recovering r WHERE w."id" = r."id"
        RETURNING 1
      )
      SELECT (SELECT count(*)::int FROM updated) AS "count", (SELECT count(*)::int FROM recovered) AS "recovered"`;
    return count;
  }

  /**
   * After failures: starts the subscription's run of failures (`failingSince`) and disables it
   * on a 410 Gone or once that run has lasted WEBHOOK_DISABLE_AFTER_FAILING_MS. No statement
   * when the group has no failure. Only rows that change are locked, in id order, so
   * concurrent sweepers cannot deadlock.
   */
  async recordHealth(results: readonly AttemptResult[]): Promise<void> {
    const failing = new Set(results.filter((r) => !r.outcome.successful).map((r) => r.delivery.webhookId));
    const health = subscriptionHealth(results.filter((r) => failing.has(r.delivery.webhookId)));
    if (health.length === 0) return;
    const disableAfterMs = this.config.disableAfterFailingMs;
    await this.prisma.$executeRaw`
      WITH h AS (
        SELECT * FROM unnest(
          ${health.map((h) => h.webhookId)}::uuid[],
          ${health.map((h) => h.recovered)}::boolean[],
          ${health.map((h) => h.failingFrom?.toISOString() ?? null)}::text[]::timestamp(3)[],
          ${health.map((h) => h.gone)}::boolean[]
        ) AS h("id", "recovered", "failingFrom", "gone")
      ), computed AS (
        SELECT s."id", h."gone",
               CASE WHEN h."recovered" THEN h."failingFrom" ELSE COALESCE(s."failingSince", h."failingFrom") END AS "failingSince"
        FROM "WebhookSubscription" s JOIN h ON h."id" = s."id"
      ), verdict AS (
        SELECT c.*,
               s."active" AND (c."gone" OR COALESCE(${disableAfterMs}::float8 > 0
                 AND c."failingSince" <= now() - make_interval(secs => ${disableAfterMs}::float8 / 1000), false)) AS "disable"
        FROM computed c JOIN "WebhookSubscription" s ON s."id" = c."id"
      ), locked AS (
        SELECT v.* FROM verdict v JOIN "WebhookSubscription" s ON s."id" = v."id"
        WHERE v."disable" OR s."failingSince" IS DISTINCT FROM v."failingSince"
        ORDER BY v."id"
        FOR NO KEY UPDATE OF s
      )
      UPDATE "WebhookSubscription" s SET
        "failingSince" = l."failingSince",
        "active" = s."active" AND NOT l."disable",
        "disabledAt" = CASE WHEN l."disable" THEN now() ELSE s."disabledAt" END,
        "disabledReason" = CASE
          WHEN NOT l."disable" THEN s."disabledReason"
          WHEN l."gone" THEN 'the endpoint answered 410 Gone'
          ELSE 'every delivery attempt failed since ' || to_char(l."failingSince", 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
        END,
        "updatedAt" = CASE WHEN l."disable" THEN now() ELSE s."updatedAt" END
      FROM locked l
      WHERE s."id" = l."id"`;
  }
}

interface SubscriptionHealth {
  webhookId: string;
  /** A success in this group ends any earlier run of failures. */
  recovered: boolean;
  /** First failure after the last success in this group, if any. */
  failingFrom: Date | null;
  gone: boolean;
}

/** Folds a group of attempts, in the order they started, into one health change per subscription. */
export function subscriptionHealth(results: readonly AttemptResult[]): SubscriptionHealth[] {
  const byWebhook = new Map<string, SubscriptionHealth>();
  const ordered = [...results].sort((a, b) => a.outcome.startedAt.getTime() - b.outcome.startedAt.getTime());
  for (const { delivery, outcome } of ordered) {
    const health = byWebhook.get(delivery.webhookId) ?? { webhookId: delivery.webhookId, recovered: false, failingFrom: null, gone: false };
    if (outcome.successful) {
      health.recovered = true;
      health.failingFrom = null;
    } else {
      health.failingFrom ??= outcome.startedAt;
      health.gone ||= outcome.responseStatus === 410;
    }
    byWebhook.set(delivery.webhookId, health);
  }
  return [...byWebhook.values()];
}
