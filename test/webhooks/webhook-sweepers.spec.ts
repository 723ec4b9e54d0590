import { EventType } from '../../src/generated/prisma/enums';
import { OutboxService } from '../../src/webhooks/outbox.service';
import { WebhookSender } from '../../src/webhooks/webhook-sender';
import { WebhookSweeper } from '../../src/webhooks/webhook-sweeper';
import { batchBody, batchTask } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';
import { createTestDatabase } from '../support/test-database';
import { eventually, WebhookReceiver } from '../support/webhook-receiver';
import { insertDueDeliveries } from '../support/webhooks';

const SWEEPER_ENV = {
  PROCESS_ROLES: 'scheduler',
  WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
  WEBHOOK_SWEEP_INTERVAL_MS: '50',
  WEBHOOK_RETRY_SCHEDULE: '0,100ms,100ms',
  WEBHOOK_SWEEP_BATCH_SIZE: '50',
  WEBHOOK_DELIVERY_CONCURRENCY: '40',
};

describe(`${WebhookSweeper.name} on several instances`, () => {
  it('two sweepers over 1,000 due deliveries send each attempt exactly once', async () => {
    // Every delivery fails its first attempt and succeeds on the second, so "once per
    // attempt" is checked for claims of fresh rows and of retries alike.
    const receiver = await WebhookReceiver.start((request) => {
      const seen = receiver.received.filter((r) => r.id === request.id).length;
      return { status: seen === 1 ? 500 : 200, delayMs: Math.floor(Math.random() * 4) };
    });
    const database = await createTestDatabase();
    const api = await startTestApp({ PROCESS_ROLES: 'api', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' }, database);
    const instances: TestApp[] = [];
    try {
      const { id, secret } = (await api.request('POST', '/webhooks', { name: 'load', url: receiver.url, eventTypes: ['batch.created'] })).body;
      instances.push(...(await Promise.all([startTestApp(SWEEPER_ENV, database), startTestApp(SWEEPER_ENV, database)])));
      const sends = instances.map((instance) => jest.spyOn(instance.app.get(WebhookSender), 'send'));
      const ids = await insertDueDeliveries(api.prisma, id, 1000);

      await receiver.waitFor(2000, 60_000);
      const rows = await eventually(async () => {
        const all = await api.prisma.webhookDelivery.findMany({ where: { webhookId: id } });
        return all.every((d) => d.successful) ? all : undefined;
      }, 30_000);
      await new Promise((resolve) => setTimeout(resolve, 300));

      expect(receiver.received).toHaveLength(2000);
      const perId = new Map<string, number>();
      for (const request of receiver.received) perId.set(request.id, (perId.get(request.id) ?? 0) + 1);
      expect([...perId.keys()].sort()).toEqual([...ids].sort());
      expect([...perId.values()].every((n) => n === 2)).toBe(true);
      expect(rows.every((d) => d.attempts === 2 && d.responseStatus === 200)).toBe(true);
      for (const request of receiver.received.slice(0, 50)) WebhookReceiver.verify(request, secret);
      // Both took part: the exclusivity above is not one instance doing all the work.
      const [a, b] = sends.map((spy) => spy.mock.calls.length);
      expect(a + b).toBe(2000);
      expect(Math.min(a, b)).toBeGreaterThan(100);
    } finally {
      await Promise.all(instances.map((i) => i.close()));
      await api.close();
      await database.drop();
      await receiver.stop();
    }
  });

  it('delivers what was committed while no sweeper ran, and what an instance left mid-attempt', async () => {
    const receiver = await WebhookReceiver.start();
    const database = await createTestDatabase();
    // An API-only instance commits a batch (and its batch.created outbox row); nothing sends it.
    const api = await startTestApp({ PROCESS_ROLES: 'api', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' }, database);
    let sweeper: TestApp | undefined;
    try {
      const { id, secret } = (await api.request('POST', '/webhooks', { name: 'crash', url: receiver.url, eventTypes: ['batch.created'] })).body;
      const batch = await api.request('POST', '/batches', batchBody([batchTask('a'), batchTask('b', ['a'])]));
      expect(batch.status).toBe(201);
      // A delivery an instance claimed and then died with: attempt 1 started, its lease not over yet.
      const [orphan] = await insertDueDeliveries(api.prisma, id, 1);
      await api.prisma.webhookDelivery.update({
        where: { id: orphan },
        data: { attempts: 1, scheduledFor: new Date(Date.now() + 1_500), lastAttemptedAt: new Date() },
      });
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(receiver.received).toHaveLength(0);
      await api.close();

      sweeper = await startTestApp(SWEEPER_ENV, database);
      const [first] = await receiver.waitFor(1, 5_000);
      expect(WebhookReceiver.verify(first, secret)).toMatchObject({
        type: 'batch.created',
        data: { batchId: batch.body.id, status: 'queued', totalTasks: 2, queuedTasks: 2 },
      });
      const [, second] = await receiver.waitFor(2, 5_000);
      expect(second.id).toBe(orphan);
      expect(second.receivedAt - first.receivedAt).toBeGreaterThan(500);
      const row = await eventually(() => sweeper!.prisma.webhookDelivery.findFirst({ where: { id: orphan, successful: true } }));
      expect(row.attempts).toBe(2);
    } finally {
      await sweeper?.close();
      await database.drop();
      await receiver.stop();
    }
  });

  it('is woken by the commit itself (NOTIFY), and keeps listening after its connection is lost', async () => {
    const receiver = await WebhookReceiver.start();
    // A tick far away: only the outbox's NOTIFY can make these deliveries go out quickly.
    const t = await startTestApp({ ...SWEEPER_ENV, PROCESS_ROLES: 'api,scheduler', WEBHOOK_SWEEP_INTERVAL_MS: '600000' });
    try {
      await new Promise((resolve) => setTimeout(resolve, 200)); // past the sweep at start-up
      const { id } = (await t.request('POST', '/webhooks', { name: 'notify', url: receiver.url, eventTypes: ['batch.created'] })).body;
      const emit = () =>
        t.prisma.$transaction((tx) =>
          t.app.get(OutboxService).record(tx, [{ type: EventType.batch_created, occurredAt: new Date(), data: { batchId: id } }]),
        );
      const committed = Date.now();
      await emit();
      const [first] = await receiver.waitFor(1, 2_000);
      expect(first.receivedAt - committed).toBeLessThan(1_000);

      const killed = await t.prisma.$queryRaw<Array<{ killed: boolean }>>`
        SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
        WHERE application_name = 'webhook-outbox-listener' AND datname = current_database()`;
      expect(killed).toEqual([{ killed: true }]);
      await eventually(async () => {
        const [{ n }] = await t.prisma.$queryRaw<Array<{ n: number }>>`
          SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE application_name = 'webhook-outbox-listener' AND datname = current_database() AND pid <> pg_backend_pid()`;
        return n === 1;
      }, 5_000);
      await emit();
      await receiver.waitFor(2, 2_000);
    } finally {
      await t.close();
      await receiver.stop();
    }
  });
});

