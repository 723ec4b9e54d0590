import { EventType } from '../generated/prisma/enums';
import { EventName, eventName } from '../events/domain-events';

/** Sent only by POST /webhooks/:id/test; never subscribable. */
export const TEST_EVENT = 'webhook.test';

/** Every event name a subscription can list, as sent on the wire. */
export const WEBHOOK_EVENT_NAMES: readonly EventName[] = Object.values(EventType).map(eventName);

/** The event catalogue: when each event is sent. Rendered into OpenAPI. */
export const WEBHOOK_EVENT_DOCS: Record<EventType, string> = {
  batch_created: 'a batch was accepted; its tasks are queued',
  batch_started: 'the first task of a batch started',
  batch_completed: 'every task of a batch completed',
  batch_completed_with_errors: 'a batch finished; some tasks completed, some failed or were cancelled',
  batch_failed: 'a batch finished and no task completed',
  batch_cancelled: 'a client cancelled a batch',
  task_started: 'a task started running (again, on a retry)',
  task_completed: 'a task completed; small outputs are inlined, larger ones referenced',
  task_failed: 'a task failed for good (retries exhausted, non-retryable error, or a failed dependency)',
  task_retrying: 'a task attempt failed and another attempt is scheduled',
  task_cancelled: 'a task was cancelled',
};

/** `- \`batch.created\`: …` lines, one per event type. */
export function describeEvents(filter: (name: EventName) => boolean = () => true): string {
  return (Object.entries(WEBHOOK_EVENT_DOCS) as Array<[EventType, string]>)
    .filter(([type]) => filter(eventName(type)))
    .map(([type, meaning]) => `- \`${eventName(type)}\`: ${meaning}`)
    .join('\n');
}
