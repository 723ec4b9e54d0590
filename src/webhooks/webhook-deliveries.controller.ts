import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/error-response.dto';
import { UuidParam } from '../common/uuid-param';
import {
  ListWebhookDeliveriesQueryDto,
  RecoverWebhookDeliveriesDto,
  RecoverWebhookDeliveriesResultDto,
  WebhookDeliveryPageDto,
  WebhookDeliveryResponseDto,
} from './dto/webhook-delivery.dto';
import { WebhookDeliveriesService } from './webhook-deliveries.service';

@ApiTags('webhooks')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller()
export class WebhookDeliveriesController {
  constructor(private readonly deliveries: WebhookDeliveriesService) {}

  @Get('webhooks/:id/deliveries')
  @ApiOperation({
    operationId: 'listWebhookDeliveries',
    summary: 'A subscription’s delivery log, newest first',
    description: 'Each delivery with the outcome of its last attempt. Stays readable after the subscription is deleted.',
  })
  @ApiErrors(400, 404)
  list(@UuidParam('id') id: string, @Query() query: ListWebhookDeliveriesQueryDto): Promise<WebhookDeliveryPageDto> {
    return this.deliveries.listForWebhook(id, query);
  }

  @Post('webhooks/:id/recover')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'recoverWebhookDeliveries',
    summary: 'Re-send a subscription’s failed deliveries from a time range',
    description:
      'Deliveries created in [since, until) that did not succeed (given up, or waiting for a retry) get a fresh attempt now and a new retry cycle, with their original webhook-id. The subscription must be active.',
  })
  @ApiErrors(400, 404, 409)
  recover(@UuidParam('id') id: string, @Body() dto: RecoverWebhookDeliveriesDto): Promise<RecoverWebhookDeliveriesResultDto> {
    return this.deliveries.recover(id, dto);
  }

  @Get('webhook-deliveries/:id')
  @ApiOperation({ operationId: 'getWebhookDelivery', summary: 'Get one delivery with its payload and last attempt' })
  @ApiErrors(400, 404)
  get(@UuidParam('id') id: string): Promise<WebhookDeliveryResponseDto> {
    return this.deliveries.get(id);
  }

  @Post('webhook-deliveries/:id/redeliver')
  @HttpCode(202)
  @ApiOperation({
    operationId: 'redeliverWebhookDelivery',
    summary: 'Send a delivery again now',
    description:
      'Schedules a fresh attempt right away (and a new retry cycle should it fail) with the same webhook-id, whatever the delivery’s state. The subscription must be active.',
  })
  @ApiErrors(400, 404, 409)
  redeliver(@UuidParam('id') id: string): Promise<WebhookDeliveryResponseDto> {
    return this.deliveries.redeliver(id);
  }
}
