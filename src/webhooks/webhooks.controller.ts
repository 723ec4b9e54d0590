import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCallbacks, ApiExtraModels, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/error-response.dto';
import { PageQueryDto } from '../common/pagination';
import { UuidParam } from '../common/uuid-param';
import { CreateWebhookDto, RotateWebhookSecretDto, UpdateWebhookDto } from './dto/create-webhook.dto';
import { BatchWebhookEventDto, TaskWebhookEventDto, TestWebhookEventDto } from './dto/webhook-event.dto';
import {
  CreatedWebhookResponseDto,
  WebhookPageDto,
  WebhookResponseDto,
  WebhookSecretResponseDto,
  WebhookTestResultDto,
} from './dto/webhook-response.dto';
import { describeEvents } from './webhook-events';
import { WebhookSubscriptionsService } from './webhook-subscriptions.service';

const DELIVERY_CONTRACT = `Each event is POSTed to \`url\` as JSON (schemas \`BatchWebhookEvent\`, \`TaskWebhookEvent\`, \`TestWebhookEvent\`; see this operation's callbacks) following [Standard Webhooks](https://www.standardwebhooks.com):

- \`webhook-id\`: the delivery id, the same on every retry: deduplicate with it (delivery is at least once).
- \`webhook-timestamp\`: Unix seconds of this attempt.
- \`webhook-signature\`: \`v1,<base64 HMAC-SHA256 of "id.timestamp.body" keyed with the base64-decoded secret>\`; during a secret rotation's grace period a second, space-separated signature made with the previous secret. Any Standard Webhooks library verifies it.

Any 2xx within the timeout (15 s by default) is success. Redirects are not followed and count as failures. Failures are retried with jitter after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h (by default); \`Retry-After\` on a 429 or 503 is honoured. A 410 Gone disables the subscription, and so does failing without a break for 5 days (by default). Events about the same task or batch are sent in order when they fall due together, but ordering is not guaranteed across retries: use \`timestamp\` and \`data.status\`.

Event types:

${describeEvents()}`;

@ApiTags('webhooks')
@ApiBearerAuth()
@ApiSecurity('api-key')
@ApiExtraModels(BatchWebhookEventDto, TaskWebhookEventDto, TestWebhookEventDto)
@Controller('webhooks')
export class WebhooksController {
  constructor(private readonly subscriptions: WebhookSubscriptionsService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    operationId: 'createWebhook',
    summary: 'Subscribe an endpoint to batch and task events',
    description: `The response is the only one that shows the signing secret (generated when not given).\n\n${DELIVERY_CONTRACT}`,
  })
  @ApiCallbacks(
    { name: 'batchEvent', callbackUrl: '{$request.body#/url}', method: 'post', requestBody: { type: BatchWebhookEventDto }, expectedResponse: { status: 200, description: 'Any 2xx acknowledges the event' } },
    { name: 'taskEvent', callbackUrl: '{$request.body#/url}', method: 'post', requestBody: { type: TaskWebhookEventDto }, expectedResponse: { status: 200, description: 'Any 2xx acknowledges the event' } },
    { name: 'testEvent', callbackUrl: '{$request.body#/url}', method: 'post', requestBody: { type: TestWebhookEventDto }, expectedResponse: { status: 200, description: 'Any 2xx acknowledges the event' } },
  )
  @ApiErrors(400)
  create(@Body() dto: CreateWebhookDto): Promise<CreatedWebhookResponseDto> {
    return this.subscriptions.create(dto);
  }

  @Get()
  @ApiOperation({ operationId: 'listWebhooks', summary: 'List webhook subscriptions, newest first' })
  @ApiErrors(400)
  list(@Query() query: PageQueryDto): Promise<WebhookPageDto> {
    return this.subscriptions.list(query);
  }

  @Get(':id')
  @ApiOperation({ operationId: 'getWebhook', summary: 'Get a webhook subscription (never its secret)' })
  @ApiErrors(400, 404)
  get(@UuidParam('id') id: string): Promise<WebhookResponseDto> {
    return this.subscriptions.get(id);
  }

  @Patch(':id')
  @ApiOperation({
    operationId: 'updateWebhook',
    summary: 'Change a subscription’s name, URL, event types or active state',
    description: '`active: true` re-enables a subscription the service disabled. A new URL is checked like on creation.',
  })
  @ApiErrors(400, 404)
  update(@UuidParam('id') id: string, @Body() dto: UpdateWebhookDto): Promise<WebhookResponseDto> {
    return this.subscriptions.update(id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'deleteWebhook',
    summary: 'Delete a subscription',
    description: 'Its delivery log stays readable; deliveries not sent yet are given up.',
  })
  @ApiErrors(400, 404)
  remove(@UuidParam('id') id: string): Promise<void> {
    return this.subscriptions.remove(id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'rotateWebhookSecret',
    summary: 'Replace the signing secret',
    description:
      'Returns the new secret (generated unless given). For the grace period (24 h by default) deliveries carry signatures made with both the new and the previous secret, so the receiver can switch at its own pace.',
  })
  @ApiBody({ type: RotateWebhookSecretDto, required: false })
  @ApiErrors(400, 404)
  rotateSecret(@UuidParam('id') id: string, @Body() dto: RotateWebhookSecretDto): Promise<WebhookSecretResponseDto> {
    return this.subscriptions.rotateSecret(id, dto ?? {});
  }

  @Post(':id/test')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'testWebhook',
    summary: 'Send a webhook.test event now and report how the receiver answered',
    description: 'One attempt, no retries, also for inactive subscriptions; logged as a delivery.',
  })
  @ApiErrors(400, 404)
  test(@UuidParam('id') id: string): Promise<WebhookTestResultDto> {
    return this.subscriptions.test(id);
  }
}
