import { EventType } from '../generated/prisma/enums';

/** Wire name of an event type: `batch_completed` is sent as `batch.completed`. */
export type EventName = `${'batch' | 'task'}.${string}`;

export function eventName(type: EventType): EventName {
  return type.replace('_', '.') as EventName;
}

export function eventTypeOf(name: string): EventType | undefined {
  const type = name.replace('.', '_');
  return (Object.values(EventType) as string[]).includes(type) ? (type as EventType) : undefined;
}

/** A state change subscribers can hear about; recorded in the transaction that made it. */
export interface DomainEvent {
  type: EventType;
  /** When the state change happened. */
  occurredAt: Date;
  /** Batch or task summary: ids, statuses, counters, error. No secrets, bounded size. */
  data: Record<string, unknown>;
}
