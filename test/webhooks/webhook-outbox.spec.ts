import { EventType } from '../../src/generated/prisma/enums';
import { OutboxService } from '../../src/webhooks/outbox.service';
import { batchBody, batchTask } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';
import { WebhookReceiver } from '../support/webhook-receiver';

describe(OutboxService.name, () => {
  let t: TestApp;
  let wanted: WebhookReceiver;
  let otherTypes: WebhookReceiver;
  let inactive: WebhookReceiver;
  let secret: string;

  beforeAll(async () => {
    // api + scheduler: batches are written and webhooks sent, but no worker runs the tasks.
    t = await startTestApp({ PROCESS_ROLES: 'api,scheduler', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOK_SWEEP_INTERVAL_MS: '50' });
    [wanted, otherTypes, inactive] = await Promise.all([WebhookReceiver.start(), WebhookReceiver.start(), WebhookReceiver.start()]);
    const subscribe = async (receiver: WebhookReceiver, eventTypes: string[], active = true) =>
      (await t.request('POST', '/webhooks', { name: 'sub', url: receiver.url, eventTypes, active })).body;
    secret = (await subscribe(wanted, ['batch.created', 'batch.completed'])).secret;
    await subscribe(otherTypes, ['task.completed', 'batch.failed']);
    await subscribe(inactive, ['batch.created'], false);
  });
  afterAll(async () => {
    await t.close();
    await Promise.all([wanted, otherTypes, inactive].map((r) => r.stop()));
  });

  it('turns POST /batches into one signed batch.created for each subscriber of that type', async () => {
    const res = await t.request('POST', '/batches', batchBody([batchTask('a'), batchTask('b', ['a'])], { name: 'outbox' }));
    expect(res.status).toBe(201);
    const [request] = await wanted.waitFor(1);
    const event = WebhookReceiver.verify(request, secret) as { type: string; timestamp: string; data: Record<string, unknown> };
    expect(event).toEqual({
      type: 'batch.created',
      timestamp: expect.any(String),
      data: {
        batchId: res.body.id,
        name: 'outbox',
        batchType: 'media',
        status: 'queued',
        totalTasks: 2,
        queuedTasks: 2,
        processingTasks: 0,
        completedTasks: 0,
        failedTasks: 0,
        cancelledTasks: 0,
      },
    });
    expect(new Date(event.timestamp).getTime()).toBe(new Date(res.body.createdAt).getTime());

    // The event catalogue in OpenAPI documents exactly these fields.
    const doc = (await t.request('GET', '/docs-json')).body;
    expect(Object.keys(doc.components.schemas.BatchEventDataDto.properties).sort()).toEqual(Object.keys(event.data).sort());

    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(wanted.received).toHaveLength(1);
    expect(otherTypes.received).toHaveLength(0);
    expect(inactive.received).toHaveLength(0);
  });

  it('writes nothing, and sends nothing, when the transaction rolls back', async () => {
    const before = await t.prisma.webhookDelivery.count();
    const sent = wanted.received.length;
    await expect(
      t.prisma.$transaction(async (tx) => {
        expect(await t.app.get(OutboxService).record(tx, [{ type: EventType.batch_completed, occurredAt: new Date(), data: { batchId: 'x' } }])).toBe(1);
        throw new Error('state change failed');
      }),
    ).rejects.toThrow('state change failed');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await t.prisma.webhookDelivery.count()).toBe(before);
    expect(wanted.received).toHaveLength(sent);
  });

  it('records one row per (event, matching active subscription) in a single call', async () => {
    const outbox = t.app.get(OutboxService);
    const count = await t.prisma.$transaction((tx) =>
      outbox.record(tx, [
        { type: EventType.batch_completed, occurredAt: new Date(), data: { batchId: 'y' } },
        { type: EventType.batch_failed, occurredAt: new Date(), data: { batchId: 'z' } },
        { type: EventType.task_started, occurredAt: new Date(), data: { taskId: 't' } },
      ]),
    );
    // batch.completed -> wanted; batch.failed -> otherTypes; task.started -> nobody.
    expect(count).toBe(2);
    await wanted.waitFor(2);
    await otherTypes.waitFor(1);
    expect(otherTypes.received[0].json).toMatchObject({ type: 'batch.failed', data: { batchId: 'z' } });
  });
});
