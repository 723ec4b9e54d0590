import { ConflictError, InvalidRequestError, NotFoundError } from '../common/domain-errors';

export class WebhookNotFoundError extends NotFoundError {
  constructor(id: string) {
    super('webhook_not_found', `Webhook subscription ${id} does not exist`);
  }
}

export class WebhookDeliveryNotFoundError extends NotFoundError {
  constructor(id: string) {
    super('webhook_delivery_not_found', `Webhook delivery ${id} does not exist`);
  }
}

export class WebhookUrlRefusedError extends InvalidRequestError {
  constructor(reason: string) {
    super('webhook_url_refused', `url ${reason}`, [{ field: 'url', message: `url ${reason}` }]);
  }
}

export class WebhookInactiveError extends ConflictError {
  constructor(id: string, reason: string | null) {
    super(
      'webhook_inactive',
      `Webhook subscription ${id} is not active${reason ? ` (${reason})` : ''}; activate it with PATCH { "active": true } first`,
    );
  }
}

export class InvalidTimeRangeError extends InvalidRequestError {
  constructor() {
    super('invalid_time_range', 'until must be later than since', [{ field: 'until', message: 'until must be later than since' }]);
  }
}

export class WebhookDeletedError extends ConflictError {
  constructor(id: string) {
    super('webhook_deleted', `Webhook subscription ${id} was deleted; its deliveries can no longer be sent`);
  }
}
