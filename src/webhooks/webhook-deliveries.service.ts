import { Injectable } from '@nestjs/common';
import { paginate } from '../common/pagination';
import { Prisma, WebhookDelivery } from '../generated/prisma/client';
import { PrismaService } from '../prisma/prisma.service';
import {
  ListWebhookDeliveriesQueryDto,
  RecoverWebhookDeliveriesDto,
  RecoverWebhookDeliveriesResultDto,
  toDeliveryResponse,
  WebhookDeliveryPageDto,
  WebhookDeliveryResponseDto,
} from './dto/webhook-delivery.dto';
import { OUTBOX_CHANNEL } from './outbox-listener';
import { TEST_EVENT } from './webhook-events';
import {
  InvalidTimeRangeError,
  WebhookDeletedError,
  WebhookDeliveryNotFoundError,
  WebhookInactiveError,
  WebhookNotFoundError,
} from './webhooks.errors';

/**
 * The delivery log and replays. Replays only reschedule rows (a new retry cycle, same
 * webhook-id); the sweeper sends them, woken at once.
 */
@Injectable()
export class WebhookDeliveriesService {
  constructor(private readonly prisma: PrismaService) {}

  /** Newest first. The log of a deleted subscription stays readable. */
  async listForWebhook(webhookId: string, query: ListWebhookDeliveriesQueryDto): Promise<WebhookDeliveryPageDto> {
    if (query.since && query.until && query.until <= query.since) throw new InvalidTimeRangeError();
    const [subscription, anyDelivery] = await Promise.all([
      this.prisma.webhookSubscription.findUnique({ where: { id: webhookId }, select: { id: true } }),
      this.prisma.webhookDelivery.findFirst({ where: { webhookId }, select: { id: true } }),
    ]);
    if (!subscription && !anyDelivery) throw new WebhookNotFoundError(webhookId);

    const where: Prisma.WebhookDeliveryWhereInput = {
      webhookId,
      eventType: query.eventType,
      successful: query.successful,
      createdAt: { gte: query.since, lt: query.until },
    };
    return paginate(
      query,
      ({ take, cursorId }) =>
        this.prisma.webhookDelivery.findMany({
          where: cursorId ? { ...where, id: { lt: cursorId } } : where,
          orderBy: { id: 'desc' },
          take,
        }),
      toDeliveryResponse,
    );
  }

  async get(id: string): Promise<WebhookDeliveryResponseDto> {
    return toDeliveryResponse(await this.find(id));
  }

  /** A fresh attempt now, whatever the row's state, with the same webhook-id. */
  async redeliver(id: string): Promise<WebhookDeliveryResponseDto> {
    const delivery = await this.find(id);
    const subscription = await this.findSubscription(delivery.webhookId);
    if (!subscription) throw new WebhookDeletedError(delivery.webhookId);
    assertActive(delivery.webhookId, subscription);
    const updated = await this.prisma.webhookDelivery.update({
      where: { id },
      data: { successful: false, gaveUpAt: null, attempts: 0, scheduledFor: new Date() },
    });
    await this.wakeSweepers();
    return toDeliveryResponse(updated);
  }

  /**
   * Reschedules the subscription's failed deliveries created in [since, until): those given up
   * and those waiting for a retry. Test events are left alone.
   */
  async recover(webhookId: string, dto: RecoverWebhookDeliveriesDto): Promise<RecoverWebhookDeliveriesResultDto> {
    const until = dto.until ?? new Date();
    if (until <= dto.since) throw new InvalidTimeRangeError();
    const subscription = await this.findSubscription(webhookId);
    if (!subscription) throw new WebhookNotFoundError(webhookId);
    assertActive(webhookId, subscription);
    const { count } = await this.prisma.webhookDelivery.updateMany({
      where: {
        webhookId,
        successful: false,
        eventType: { not: TEST_EVENT },
        createdAt: { gte: dto.since, lt: until },
        OR: [{ gaveUpAt: { not: null } }, { attempts: { gt: 0 } }],
      },
      data: { gaveUpAt: null, attempts: 0, scheduledFor: new Date() },
    });
    if (count > 0) await this.wakeSweepers();
    return { recovered: count };
  }

  private findSubscription(webhookId: string) {
    return this.prisma.webhookSubscription.findUnique({ where: { id: webhookId }, select: { active: true, disabledReason: true } });
  }

  private async find(id: string): Promise<WebhookDelivery> {
    const delivery = await this.prisma.webhookDelivery.findUnique({ where: { id } });
    if (!delivery) throw new WebhookDeliveryNotFoundError(id);
    return delivery;
  }

  private async wakeSweepers(): Promise<void> {
    await this.prisma.$queryRaw`SELECT pg_notify(${OUTBOX_CHANNEL}, '')::text`;
  }
}

function assertActive(webhookId: string, subscription: { active: boolean; disabledReason: string | null }): void {
  if (!subscription.active) throw new WebhookInactiveError(webhookId, subscription.disabledReason);
}
