import { ApiProperty } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsDate, IsIn, IsOptional } from 'class-validator';
import { PageQueryDto } from '../../common/pagination';
import type { WebhookDelivery } from '../../generated/prisma/client';
import { TEST_EVENT, WEBHOOK_EVENT_NAMES } from '../webhook-events';

export const DELIVERY_EVENT_TYPES = [...WEBHOOK_EVENT_NAMES, TEST_EVENT];

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

const toBoolean = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

export class ListWebhookDeliveriesQueryDto extends PageQueryDto {
  @ApiProperty({ enum: DELIVERY_EVENT_TYPES, enumName: 'WebhookDeliveryEventType', required: false })
  @IsOptional()
  @IsIn(DELIVERY_EVENT_TYPES)
  eventType?: string;

  /** Only deliveries that succeeded (`true`) or did not (yet) (`false`). */
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  successful?: boolean;

  /** Only deliveries created at or after this time. */
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  since?: Date;

  /** Only deliveries created before this time. */
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  until?: Date;
}

export class RecoverWebhookDeliveriesDto {
  /** Re-schedule failed deliveries created at or after this time. */
  @Type(() => Date)
  @IsDate()
  since: Date;

  /** ... and before this time; now when omitted. */
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  until?: Date;
}

export class RecoverWebhookDeliveriesResultDto {
  /** Deliveries scheduled for a fresh attempt now. */
  @ApiProperty({ type: 'integer' })
  recovered: number;
}

/** One event sent (or to be sent) to one subscription, with its last attempt. */
export class WebhookDeliveryResponseDto {
  /** Also the `webhook-id` header, the same on every attempt: receivers deduplicate with it. */
  @ApiProperty({ format: 'uuid' })
  id: string;
  /** The subscription; it may have been deleted since (the log outlives it). */
  @ApiProperty({ format: 'uuid' })
  webhookId: string;
  @ApiProperty({ enum: DELIVERY_EVENT_TYPES, enumName: 'WebhookDeliveryEventType' })
  eventType: string;
  /** The event envelope as sent: `{ type, timestamp, data }`. */
  @ApiProperty({ type: 'object', additionalProperties: true })
  payload: Record<string, unknown>;
  @ApiProperty({
    enum: DELIVERY_STATUSES,
    enumName: 'WebhookDeliveryStatus',
    description:
      'Derived from the row:\n\n- `pending`: an attempt is due or in progress\n- `succeeded`: the receiver answered 2xx\n- `failed`: no further attempt will be made (retries used up, 410 Gone, or subscription disabled or deleted); redeliver or recover to try again',
  })
  status: DeliveryStatus;
  /** The last attempt got a 2xx within the timeout. */
  successful: boolean;
  /** Attempts made in the current retry cycle (redeliver and recover start a new cycle). */
  @ApiProperty({ type: 'integer' })
  attempts: number;
  /** HTTP status of the last attempt. */
  @ApiProperty({ type: 'integer', nullable: true })
  responseStatus: number | null;
  /** Start of the last attempt's response body (at most 4 KiB). */
  @ApiProperty({ nullable: true, type: String })
  responseBody: string | null;
  /** Why the last attempt failed (network error, timeout, non-2xx, redirect, refused address). */
  @ApiProperty({ nullable: true, type: String })
  error: string | null;
  /** When the next attempt is due, while pending; otherwise when the last one was scheduled. */
  scheduledFor: Date;
  @ApiProperty({ nullable: true, type: Date })
  lastAttemptedAt: Date | null;
  /** When the service stopped trying; null unless `failed`. */
  @ApiProperty({ nullable: true, type: Date })
  gaveUpAt: Date | null;
  createdAt: Date;
}

export function toDeliveryResponse(delivery: WebhookDelivery): WebhookDeliveryResponseDto {
  return {
    id: delivery.id,
    webhookId: delivery.webhookId,
    eventType: delivery.eventType,
    payload: delivery.payload as Record<string, unknown>,
    status: delivery.successful ? 'succeeded' : delivery.gaveUpAt ? 'failed' : 'pending',
    successful: delivery.successful,
    attempts: delivery.attempts,
    responseStatus: delivery.responseStatus,
    responseBody: delivery.responseBody,
    error: delivery.error,
    scheduledFor: delivery.scheduledFor,
    lastAttemptedAt: delivery.lastAttemptedAt,
    gaveUpAt: delivery.gaveUpAt,
    createdAt: delivery.createdAt,
  };
}

export class WebhookDeliveryPageDto {
  data: WebhookDeliveryResponseDto[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  @ApiProperty({ nullable: true, type: String })
  nextCursor: string | null;
}
