import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { paginate, PageQueryDto } from '../common/pagination';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { EventName, eventTypeOf } from '../events/domain-events';
import { EventType, Prisma, WebhookSubscription } from '../generated/prisma/client';
import { PrismaService } from '../prisma/prisma.service';
import { CreateWebhookDto, RotateWebhookSecretDto, UpdateWebhookDto } from './dto/create-webhook.dto';
import {
  CreatedWebhookResponseDto,
  toWebhookResponse,
  WebhookPageDto,
  WebhookResponseDto,
  WebhookSecretResponseDto,
  WebhookTestResultDto,
} from './dto/webhook-response.dto';
import { TEST_EVENT } from './webhook-events';
import { WebhookSender } from './webhook-sender';
import { SECRET_PREFIX } from './webhook-signature';
import { WebhookTargetPolicy, WebhookTargetRefused } from './webhook-target-policy';
import { WebhookNotFoundError, WebhookUrlRefusedError } from './webhooks.errors';

/** 32 random bytes: above the 24 the Standard Webhooks libraries require, as long as the HMAC key. */
export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

/** Subscriptions: CRUD, secret rotation and test sends. Secrets leave only through create and rotate. */
@Injectable()
export class WebhookSubscriptionsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly policy: WebhookTargetPolicy,
    private readonly sender: WebhookSender,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async create(dto: CreateWebhookDto): Promise<CreatedWebhookResponseDto> {
    await this.checkUrl(dto.url);
    const secret = dto.secret ?? generateSecret();
    const subscription = await this.prisma.webhookSubscription.create({
      data: { name: dto.name, url: dto.url, eventTypes: toEventTypes(dto.eventTypes), secret, active: dto.active ?? true },
    });
    return { ...toWebhookResponse(subscription), secret };
  }

  /** Newest first. */
  async list(query: PageQueryDto): Promise<WebhookPageDto> {
    return paginate(
      query,
      ({ take, cursorId }) =>
        this.prisma.webhookSubscription.findMany({
          where: cursorId ? { id: { lt: cursorId } } : undefined,
          orderBy: { id: 'desc' },
          take,
        }),
      (row) => toWebhookResponse(row),
    );
  }

  async get(id: string): Promise<WebhookResponseDto> {
    return toWebhookResponse(await this.find(id));
  }

  async update(id: string, dto: UpdateWebhookDto): Promise<WebhookResponseDto> {
    await this.find(id);
    if (dto.url !== undefined) await this.checkUrl(dto.url);
    const data: Prisma.WebhookSubscriptionUpdateInput = {
      name: dto.name,
      url: dto.url,
      eventTypes: dto.eventTypes ? toEventTypes(dto.eventTypes) : undefined,
      active: dto.active,
    };
    // Re-activating is the client's answer to a disabled subscription: start with a clean record.
    if (dto.active === true) Object.assign(data, { disabledAt: null, disabledReason: null, failingSince: null });
    return toWebhookResponse(await this.prisma.webhookSubscription.update({ where: { id }, data }));
  }

  /** The delivery log stays; deliveries still waiting are given up, in the same transaction. */
  async remove(id: string): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      const { count } = await tx.webhookSubscription.deleteMany({ where: { id } });
      if (count === 0) throw new WebhookNotFoundError(id);
      await tx.webhookDelivery.updateMany({
        where: { webhookId: id, successful: false, gaveUpAt: null },
        data: { gaveUpAt: new Date(), error: 'not sent: the subscription was deleted' },
      });
    });
  }

  /**
   * Replaces the secret; the old one keeps signing alongside it until the grace period ends,
   * so receivers can deploy the new secret without rejecting events meanwhile. A rotation
   * during a grace period ends the earlier one.
   */
  async rotateSecret(id: string, dto: RotateWebhookSecretDto): Promise<WebhookSecretResponseDto> {
    const secret = dto.secret ?? generateSecret();
    const graceMs = this.config.webhooks.secretGraceMs;
    const rows = await this.prisma.$queryRaw<Array<{ previousSecretExpiresAt: Date | null }>>`
      UPDATE "WebhookSubscription"
      SET "previousSecret" = CASE WHEN ${graceMs}::float8 > 0 THEN "secret" END,
          "previousSecretExpiresAt" = CASE WHEN ${graceMs}::float8 > 0 AND "secret" IS NOT NULL
            THEN now() + make_interval(secs => ${graceMs}::float8 / 1000) END,
          "secret" = ${secret},
          "updatedAt" = now()
      WHERE "id" = ${id}::uuid
      RETURNING "previousSecretExpiresAt"`;
    if (rows.length === 0) throw new WebhookNotFoundError(id);
    return { secret, previousSecretExpiresAt: rows[0].previousSecretExpiresAt };
  }

  /**
   * Sends a `webhook.test` event now, outside the sweeper and without retries, and logs it as a
   * delivery. Works on inactive subscriptions too, so an endpoint can be checked before enabling it.
   */
  async test(id: string): Promise<WebhookTestResultDto> {
    const subscription = await this.find(id);
    const deliveryId = uuidv7();
    const payload = {
      type: TEST_EVENT,
      timestamp: new Date().toISOString(),
      data: { webhookId: id, message: `Test event for webhook subscription "${subscription.name}"` },
    };
    const outcome = await this.sender.send({
      id: deliveryId,
      url: subscription.url,
      secrets: signingSecrets(subscription),
      body: JSON.stringify(payload),
    });
    await this.prisma.webhookDelivery.create({
      data: {
        id: deliveryId,
        webhookId: id,
        eventType: TEST_EVENT,
        payload,
        attempts: 1,
        successful: outcome.successful,
        responseStatus: outcome.responseStatus,
        responseBody: outcome.responseBody,
        error: outcome.error,
        scheduledFor: outcome.startedAt,
        lastAttemptedAt: outcome.startedAt,
        gaveUpAt: outcome.successful ? null : new Date(),
        createdAt: outcome.startedAt,
      },
    });
    return {
      deliveryId,
      successful: outcome.successful,
      responseStatus: outcome.responseStatus,
      latencyMs: outcome.latencyMs,
      error: outcome.error,
    };
  }

  private async find(id: string): Promise<WebhookSubscription> {
    const subscription = await this.prisma.webhookSubscription.findUnique({ where: { id } });
    if (!subscription) throw new WebhookNotFoundError(id);
    return subscription;
  }

  private async checkUrl(url: string): Promise<void> {
    try {
      await this.policy.check(url);
    } catch (error) {
      if (error instanceof WebhookTargetRefused) throw new WebhookUrlRefusedError(error.reason);
      throw error;
    }
  }
}

/** Current secret first, then the previous one while its grace period lasts. */
export function signingSecrets(subscription: WebhookSubscription, now = new Date()): string[] {
  const secrets = subscription.secret ? [subscription.secret] : [];
  const { previousSecret, previousSecretExpiresAt } = subscription;
  if (previousSecret && previousSecretExpiresAt && previousSecretExpiresAt > now) secrets.push(previousSecret);
  return secrets;
}

function toEventTypes(names: readonly EventName[]): EventType[] {
  return names.map((name) => eventTypeOf(name)!);
}
