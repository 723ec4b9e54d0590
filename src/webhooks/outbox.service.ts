import { Injectable } from '@nestjs/common';
import { DomainEvent, eventName } from '../events/domain-events';
import type { SqlClient } from '../prisma/transaction';
import { OUTBOX_CHANNEL } from './outbox-listener';

/**
 * The transactional outbox: each domain event becomes one WebhookDelivery row per active
 * subscription that wants it, written by the caller's transaction, so a rollback sends
 * nothing and a crash after commit still delivers. One statement for any number of events.
 * The statement also raises a NOTIFY, which PostgreSQL delivers only if and when the
 * transaction commits: the sweepers start the first attempt at once instead of at their next tick.
 */
@Injectable()
export class OutboxService {
  async record(tx: SqlClient, events: readonly DomainEvent[]): Promise<number> {
    if (events.length === 0) return 0;
    const names = events.map((e) => eventName(e.type));
    const payloads = events.map((e) =>
      JSON.stringify({ type: eventName(e.type), timestamp: e.occurredAt.toISOString(), data: e.data }),
    );
    const [{ count }] = await tx.$queryRaw<Array<{ count: number }>>`
      WITH inserted AS (
        INSERT INTO "WebhookDelivery" ("id", "webhookId", "eventType", "payload", "scheduledFor", "createdAt")
        SELECT uuid_generate_v7(), s."id", e.name, e.payload::jsonb, now(), now()
        FROM unnest(${names}::text[], ${payloads}::text[]) WITH ORDINALITY AS e(name, payload, ord)
        JOIN "WebhookSubscription" s ON s."active" AND e.name::"EventType" = ANY(s."eventTypes")
        ORDER BY e.ord, s."id"
        RETURNING 1
      )
      SELECT count(*)::int AS "count",
             CASE WHEN count(*) > 0 THEN pg_notify(${OUTBOX_CHANNEL}, '')::text END AS "notified"
      FROM inserted`;
    return count;
  }
}
