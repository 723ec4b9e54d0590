import { ApiProperty, OmitType, PartialType } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsBoolean, IsIn, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import type { EventName } from '../../events/domain-events';
import { describeEvents, WEBHOOK_EVENT_NAMES } from '../webhook-events';
import { IsWebhookSecret, IsWebhookUrl } from '../webhook-validators';

export class CreateWebhookDto {
  /** Human-readable name. */
  @IsString()
  @Length(1, 200)
  name: string;

  /**
   * Where events are POSTed: an http(s) URL whose host resolves to public addresses only
   * (loopback, private, link-local, CGNAT and metadata addresses are refused). Redirects are not followed.
   */
  @IsString()
  @MaxLength(2048)
  @IsWebhookUrl()
  url: string;

  @ApiProperty({
    enum: WEBHOOK_EVENT_NAMES,
    enumName: 'WebhookEventType',
    isArray: true,
    minItems: 1,
    description: `Event types to receive.\n\n${describeEvents()}`,
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(WEBHOOK_EVENT_NAMES.length)
  @ArrayUnique()
  @IsIn(WEBHOOK_EVENT_NAMES, { each: true })
  eventTypes: EventName[];

  /**
   * Signing secret, `whsec_` + base64 of 24-64 random bytes. Generated when omitted; shown only
   * in this response and on rotation.
   */
  @IsOptional()
  @IsString()
  @IsWebhookSecret()
  secret?: string;

  /** Whether events are delivered; an inactive subscription records nothing. */
  @IsOptional()
  @IsBoolean()
  active?: boolean = true;
}

/**
 * Fields to change. Setting `active: true` also clears a disabled state (`disabledAt`,
 * `disabledReason`); the secret changes only through rotate-secret.
 */
export class UpdateWebhookDto extends PartialType(OmitType(CreateWebhookDto, ['secret', 'active'] as const)) {
  /** Whether events are delivered. `true` re-enables a subscription the service disabled. */
  @IsOptional()
  @IsBoolean()
  active?: boolean;
}

export class RotateWebhookSecretDto {
  /** The new secret (`whsec_` + base64 of 24-64 random bytes); generated when omitted. */
  @IsOptional()
  @IsString()
  @IsWebhookSecret()
  secret?: string;
}
