import type { PrismaService } from '../../src/prisma/prisma.service';

/**
 * Writes `count` due deliveries for one subscription straight into the outbox table, as the
 * outbox would, without a NOTIFY: the sweeper finds them on its tick or when woken.
 */
export async function insertDueDeliveries(
  prisma: PrismaService,
  webhookId: string,
  count: number,
  eventType = 'batch.created',
): Promise<string[]> {
  const rows = await prisma.$queryRaw<Array<{ id: string }>>`
    INSERT INTO "WebhookDelivery" ("id", "webhookId", "eventType", "payload", "scheduledFor", "createdAt")
    SELECT uuid_generate_v7(), ${webhookId}::uuid, ${eventType},
           jsonb_build_object('type', ${eventType}::text, 'timestamp', to_char(now(), 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                              'data', jsonb_build_object('batchId', gen_random_uuid(), 'n', n)),
           now(), now()
    FROM generate_series(1, ${count}::int) AS n
    RETURNING "id"`;
  return rows.map((r) => r.id);
}

/** A subscription written directly (bypassing the API's URL check), with a known secret. */
export async function insertSubscription(prisma: PrismaService, url: string, overrides: { active?: boolean; secret?: string } = {}) {
  return prisma.webhookSubscription.create({
    data: {
      name: 'direct',
      url,
      eventTypes: ['batch_created'],
      secret: overrides.secret ?? 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      active: overrides.active ?? true,
    },
  });
}
