import { ApiProperty } from '@nestjs/swagger';
import { EventName, eventName } from '../../events/domain-events';
import type { WebhookSubscription } from '../../generated/prisma/client';
import { WEBHOOK_EVENT_NAMES } from '../webhook-events';

/** A subscription as clients see it: never its secrets. */
export class WebhookResponseDto {
  @ApiProperty({ format: 'uuid' })
  id: string;
  name: string;
  url: string;
  @ApiProperty({ enum: WEBHOOK_EVENT_NAMES, enumName: 'WebhookEventType', isArray: true })
  eventTypes: EventName[];
  /** Whether events are delivered. */
  active: boolean;
  /** When the service disabled the subscription (410 Gone, or failing for too long); null otherwise. */
  @ApiProperty({ nullable: true, type: Date })
  disabledAt: Date | null;
  /** Why the service disabled the subscription. */
  @ApiProperty({ nullable: true, type: String })
  disabledReason: string | null;
  /** Start of the current unbroken run of failed attempts; null after a success. */
  @ApiProperty({ nullable: true, type: Date })
  failingSince: Date | null;
  /** While in the future, deliveries carry a second signature made with the previous secret. */
  @ApiProperty({ nullable: true, type: Date })
  previousSecretExpiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export function toWebhookResponse(subscription: WebhookSubscription, now = new Date()): WebhookResponseDto {
  const graceEnds = subscription.previousSecretExpiresAt;
  return {
    id: subscription.id,
    name: subscription.name,
    url: subscription.url,
    eventTypes: subscription.eventTypes.map(eventName),
    active: subscription.active,
    disabledAt: subscription.disabledAt,
    disabledReason: subscription.disabledReason,
    failingSince: subscription.failingSince,
    previousSecretExpiresAt: graceEnds && graceEnds > now ? graceEnds : null,
    createdAt: subscription.createdAt,
    updatedAt: subscription.updatedAt,
  };
}

export class CreatedWebhookResponseDto extends WebhookResponseDto {
  /** The signing secret. Store it now: it is never shown again (rotate-secret issues a new one). */
  @ApiProperty({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' })
  secret: string;
}

export class WebhookSecretResponseDto {
  /** The new signing secret, used for every delivery from now on. Never shown again. */
  @ApiProperty({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' })
  secret: string;
  /** Until then deliveries are also signed with the previous secret. */
  @ApiProperty({ nullable: true, type: Date })
  previousSecretExpiresAt: Date | null;
}

export class WebhookPageDto {
  data: WebhookResponseDto[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  @ApiProperty({ nullable: true, type: String })
  nextCursor: string | null;
}

export class WebhookTestResultDto {
  /** The test delivery, also in the delivery log (event type `webhook.test`). */
  @ApiProperty({ format: 'uuid' })
  deliveryId: string;
  /** The receiver answered 2xx within the timeout. */
  successful: boolean;
  /** The receiver's HTTP status; null when no response arrived. */
  @ApiProperty({ type: 'integer', nullable: true })
  responseStatus: number | null;
  /** Time from sending to the end of the response (or the failure), in milliseconds. */
  @ApiProperty({ type: 'integer' })
  latencyMs: number;
  /** Why the attempt failed; null on success. */
  @ApiProperty({ nullable: true, type: String })
  error: string | null;
}
