import { WebhookSweeper } from '../../src/webhooks/webhook-sweeper';
import { waitForBatch } from '../support/engine';
import { batchBody, batchTask } from '../support/factories';
import { TestReceiver } from '../support/receiver';
import { startTestApp, TestApp } from '../support/test-app';
import { eventually, ReceivedWebhook, WebhookReceiver } from '../support/webhook-receiver';

/** A batch runs on the real engine; subscribers hear about its whole life. */
describe(`${WebhookSweeper.name} with the engine`, () => {
  let t: TestApp;
  const service = new TestReceiver();
  let everything: WebhookReceiver;
  let batchesOnly: WebhookReceiver;
  let inactive: WebhookReceiver;
  let secret: string;

  beforeAll(async () => {
    await service.start();
    t = await startTestApp({
      HTTP_CALL_ENDPOINTS: `media-svc=${service.url}`,
      RETRY_BACKOFF_BASE_MS: '100',
      RETRY_BACKOFF_MAX_MS: '200',
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
      WEBHOOK_SWEEP_INTERVAL_MS: '50',
    });
    [everything, batchesOnly, inactive] = await Promise.all([WebhookReceiver.start(), WebhookReceiver.start(), WebhookReceiver.start()]);
    const types = (await t.request('GET', '/docs-json')).body.components.schemas.WebhookEventType.enum as string[];
    const subscribe = async (receiver: WebhookReceiver, eventTypes: string[], active = true) =>
      (await t.request('POST', '/webhooks', { name: 'engine', url: receiver.url, eventTypes, active })).body;
    secret = (await subscribe(everything, types)).secret;
    await subscribe(batchesOnly, types.filter((type) => type.startsWith('batch.')));
    await subscribe(inactive, types, false);
  });
  afterAll(async () => {
    await t.close();
    await Promise.all([service.stop(), everything.stop(), batchesOnly.stop(), inactive.stop()]);
  });

  it('delivers every event of a batch once, signed, in order within each task', async () => {
    let flakyFailures = 1;
    service.respond = (call) => {
      if (call.body.ref === 'broken') return { status: 400, body: { error: 'bad media' } };
      if (call.body.ref === 'flaky' && flakyFailures-- > 0) return { status: 503, body: { error: 'busy' } };
      return { status: 200, body: { ref: call.body.ref } };
    };
    const res = await t.request(
      'POST',
      '/batches',
      batchBody([batchTask('a'), batchTask('flaky', ['a'], { maxRetries: 2 }), batchTask('broken', ['a']), batchTask('after-broken', ['broken'])]),
    );
    expect(res.status).toBe(201);
    const batchId: string = res.body.id;
    const taskIds: Record<string, string> = Object.fromEntries(res.body.tasks.map((task: { ref: string; id: string }) => [task.ref, task.id]));
    expect((await waitForBatch(t, batchId)).status).toBe('completed_with_errors');

    // Everything the outbox recorded for the subscriber gets delivered (and only that).
    const subscription = (await t.prisma.webhookSubscription.findFirstOrThrow({ where: { url: everything.url } })).id;
    const rows = await eventually(async () => {
      const all = await t.prisma.webhookDelivery.findMany({ where: { webhookId: subscription } });
      return all.some((d) => d.eventType === 'batch.completed_with_errors') && all.every((d) => d.successful) ? all : undefined;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const received = everything.received;
    expect(received.map((r) => r.id).sort()).toEqual(rows.map((d) => d.id).sort());
    expect(new Set(received.map((r) => r.id)).size).toBe(received.length);
    for (const request of received) WebhookReceiver.verify(request, secret);

    const events = received.map((r: ReceivedWebhook) => r.json as { type: string; data: Record<string, any> });
    const batchEvents = events.filter((e) => e.type.startsWith('batch.')).map((e) => e.type);
    expect(batchEvents).toEqual(['batch.created', 'batch.started', 'batch.completed_with_errors']);
    expect(events.filter((e) => e.type.startsWith('batch.')).every((e) => e.data.batchId === batchId)).toBe(true);

    const story = (ref: string) => events.filter((e) => e.data.taskId === taskIds[ref]).map((e) => e.type);
    expect(story('a')).toEqual(['task.started', 'task.completed']);
    expect(story('flaky')).toEqual(['task.started', 'task.retrying', 'task.started', 'task.completed']);
    expect(story('broken')).toEqual(['task.started', 'task.failed']);
    expect(story('after-broken')).toEqual(['task.failed']);
    const completed = events.find((e) => e.type === 'task.completed' && e.data.taskId === taskIds.a)!;
    expect(completed.data).toMatchObject({ batchId, ref: 'a', taskType: 'http_call', status: 'completed', output: { ref: 'a' } });
    expect(events.find((e) => e.type === 'task.failed' && e.data.taskId === taskIds['after-broken'])!.data.error).toMatch(/broken/);

    // The event catalogue documents every field the engine sends.
    const schemas = (await t.request('GET', '/docs-json')).body.components.schemas;
    const documented = new Set(Object.keys(schemas.TaskEventDataDto.properties));
    for (const event of events.filter((e) => e.type.startsWith('task.'))) {
      expect(Object.keys(event.data).filter((key) => !documented.has(key))).toEqual([]);
    }

    expect(batchesOnly.received.map((r) => r.json.type)).toEqual(['batch.created', 'batch.started', 'batch.completed_with_errors']);
    expect(inactive.received).toHaveLength(0);
  });
});
