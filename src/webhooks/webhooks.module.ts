import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { OutboxService } from './outbox.service';
import { WebhookDeliveriesController } from './webhook-deliveries.controller';
import { WebhookDeliveriesService } from './webhook-deliveries.service';
import { WebhookDeliveryStore } from './webhook-delivery-store';
import { WebhookSender } from './webhook-sender';
import { WebhookSubscriptionsService } from './webhook-subscriptions.service';
import { WebhookSweeper } from './webhook-sweeper';
import { WebhookTargetPolicy } from './webhook-target-policy';
import { WebhooksController } from './webhooks.controller';

/**
 * Webhooks. Imported as is, it provides the outbox (every module that changes state writes
 * deliveries through it). `forRoot` is the feature as a whole, for the application root: the
 * API for the `api` role, the delivery sweeper for the `scheduler` role.
 */
@Module({ providers: [OutboxService], exports: [OutboxService] })
export class WebhooksModule {
  static forRoot(config: AppConfig): DynamicModule {
    const api = config.roles.has('api');
    const scheduler = config.roles.has('scheduler');
    return {
      module: WebhooksModule,
      controllers: api ? [WebhooksController, WebhookDeliveriesController] : [],
      providers: [
        WebhookTargetPolicy,
        WebhookSender,
        ...(api ? [WebhookSubscriptionsService, WebhookDeliveriesService] : []),
        ...(scheduler ? [WebhookDeliveryStore, WebhookSweeper] : []),
      ],
    };
  }
}
