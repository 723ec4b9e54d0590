import { EventType } from '../../src/generated/prisma/enums';
import { OutboxService } from '../../src/webhooks/outbox.service';
import { WebhookSweeper } from '../../src/webhooks/webhook-sweeper';
import { startTestApp, TestApp } from '../support/test-app';
import { eventually, ReceivedWebhook, WebhookReceiver } from '../support/webhook-receiver';
import { insertDueDeliveries } from '../support/webhooks';

describe(WebhookSweeper.name, () => {
  let t: TestApp;
  let receivers: WebhookReceiver[] = [];

  const env = {
    PROCESS_ROLES: 'api,scheduler',
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    WEBHOOK_RETRY_SCHEDULE: '0,300ms,300ms,300ms',
    WEBHOOK_SWEEP_INTERVAL_MS: '50',
    WEBHOOK_TIMEOUT_MS: '1000',
    WEBHOOK_SECRET_GRACE_MS: '2000',
    WEBHOOK_RETRY_AFTER_MAX_MS: '2000',
  };

  beforeAll(async () => {
    t = await startTestApp(env);
  });
  afterEach(async () => {
    await t.prisma.webhookSubscription.deleteMany();
    await Promise.all(receivers.map((r) => r.stop()));
    receivers = [];
  });
  afterAll(() => t.close());

  async function receiver(reply?: WebhookReceiver['reply']) {
    const r = await WebhookReceiver.start(reply);
    receivers.push(r);
    return r;
  }

  async function subscribe(r: WebhookReceiver, eventTypes = ['batch.created', 'task.started', 'task.completed']) {
    const res = await t.request('POST', '/webhooks', { name: 'receiver', url: r.url, eventTypes });
    expect(res.status).toBe(201);
    return res.body as { id: string; secret: string };
  }

  /** Commits events through the real outbox (which wakes the sweeper on commit). */
  async function emit(...events: Array<[EventType, Record<string, unknown>]>) {
    const outbox = t.app.get(OutboxService);
    return t.prisma.$transaction((tx) =>
      outbox.record(tx, events.map(([type, data]) => ({ type, occurredAt: new Date(), data }))),
    );
  }

  const deliveriesOf = (webhookId: string) =>
    t.prisma.webhookDelivery.findMany({ where: { webhookId }, orderBy: { id: 'asc' } });

  it('sends a Standard Webhooks request that verifies, and records the attempt', async () => {
    const r = await receiver();
    const { id, secret } = await subscribe(r);
    expect(await emit([EventType.batch_created, { batchId: 'b-1', status: 'queued' }])).toBe(1);

    const [request] = await r.waitFor(1);
    expect(WebhookReceiver.verify(request, secret)).toEqual({
      type: 'batch.created',
      timestamp: expect.any(String),
      data: { batchId: 'b-1', status: 'queued' },
    });
    expect(request.body.startsWith('{"type":"batch.created","timestamp":')).toBe(true);
    expect(request.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': expect.stringMatching(/^batch-service-webhooks\//),
      'webhook-signature': expect.stringMatching(/^v1,[A-Za-z0-9+/]+=*$/),
    });
    expect(Math.abs(Number(request.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(5);

    const [row] = await eventually(async () => {
      const rows = await deliveriesOf(id);
      return rows[0]?.successful ? rows : undefined;
    });
    expect(request.id).toBe(row.id);
    expect(row).toMatchObject({ attempts: 1, responseStatus: 204, error: null, gaveUpAt: null });
    expect(row.lastAttemptedAt).toBeInstanceOf(Date);
  });

  it('retries while the receiver is down and delivers everything once it is back', async () => {
    const r = await receiver();
    const { id, secret } = await subscribe(r);
    await r.stop();
    await emit(...[1, 2, 3, 4, 5].map((n): [EventType, Record<string, unknown>] => [EventType.batch_created, { batchId: `b-${n}` }]));

    await eventually(async () => (await deliveriesOf(id)).every((d) => d.attempts >= 2));
    const failing = await deliveriesOf(id);
    expect(failing.every((d) => !d.successful && d.gaveUpAt === null && /ECONNREFUSED/.test(d.error ?? ''))).toBe(true);

    const failingSince = (await t.request('GET', `/webhooks/${id}`)).body.failingSince;
    expect(new Date(failingSince).getTime()).toBeLessThanOrEqual(Math.min(...failing.map((d) => d.lastAttemptedAt!.getTime())));

    await r.start();
    const received = await r.waitFor(5);
    const rows = await eventually(async () => {
      const all = await deliveriesOf(id);
      return all.every((d) => d.successful) ? all : undefined;
    });
    expect(new Set(received.map((q) => q.id))).toEqual(new Set(rows.map((d) => d.id)));
    for (const request of received) WebhookReceiver.verify(request, secret);
    expect(rows.map((d) => d.attempts).every((n) => n >= 2 && n <= 4)).toBe(true);
    await eventually(async () => (await t.request('GET', `/webhooks/${id}`)).body.failingSince === null, 2_000);
  });

  it('marks nothing successful without a 2xx, and gives up after the last attempt', async () => {
    // Each delivery fails twice with a 500, then succeeds; one always fails.
    const r = await receiver((q) => {
      if (q.json.data.batchId === 'doomed') return { status: 500, body: 'still broken' };
      return r.received.filter((o) => o.id === q.id).length <= 2 ? { status: 500 } : { status: 200, body: 'ok' };
    });
    const { id, secret } = await subscribe(r);
    await emit([EventType.batch_created, { batchId: 'a' }], [EventType.batch_created, { batchId: 'b' }], [EventType.batch_created, { batchId: 'doomed' }]);

    const rows = await eventually(async () => {
      const all = await deliveriesOf(id);
      return all.every((d) => d.successful || d.gaveUpAt) ? all : undefined;
    });
    const doomed = rows.find((d) => (d.payload as any).data.batchId === 'doomed')!;
    expect(doomed).toMatchObject({ successful: false, attempts: 4, responseStatus: 500, responseBody: 'still broken', error: 'HTTP 500' });
    for (const row of rows.filter((d) => d !== doomed)) {
      expect(row).toMatchObject({ successful: true, attempts: 3, responseStatus: 200, responseBody: 'ok' });
      const attempts = r.received.filter((q) => q.id === row.id);
      expect(attempts).toHaveLength(3);
      for (const attempt of attempts) WebhookReceiver.verify(attempt, secret);
    }
    // Given up is final: no fifth attempt.
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(r.received.filter((q) => q.id === doomed.id)).toHaveLength(4);
    expect((await t.request('GET', `/webhook-deliveries/${doomed.id}`)).body.status).toBe('failed');
  });

  it('disables the subscription on 410 Gone, visibly, and stops recording for it', async () => {
    const r = await receiver(() => ({ status: 410 }));
    const { id } = await subscribe(r);
    await emit([EventType.batch_created, { batchId: 'gone' }]);
    const webhook = await eventually(async () => {
      const res = await t.request('GET', `/webhooks/${id}`);
      return res.body.active === false ? res.body : undefined;
    });
    expect(webhook).toMatchObject({ disabledReason: 'the endpoint answered 410 Gone', disabledAt: expect.any(String) });
    const [row] = await deliveriesOf(id);
    expect(row).toMatchObject({ successful: false, attempts: 1, responseStatus: 410, gaveUpAt: expect.any(Date) });
    expect(await emit([EventType.batch_created, { batchId: 'after' }])).toBe(0);
    expect(r.received).toHaveLength(1);
  });

  it('does not follow redirects and counts them as failures', async () => {
    const elsewhere = await receiver();
    const r = await receiver(() => ({ status: 307, headers: { location: elsewhere.url } }));
    const { id } = await subscribe(r);
    await emit([EventType.batch_created, { batchId: 'r' }]);
    const [row] = await eventually(async () => {
      const rows = await deliveriesOf(id);
      return rows[0]?.gaveUpAt ? rows : undefined;
    });
    expect(row).toMatchObject({ successful: false, attempts: 4, responseStatus: 307 });
    expect(row.error).toBe(`redirects are not followed (HTTP 307 to ${elsewhere.url})`);
    expect(elsewhere.received).toHaveLength(0);
  });

  it('honours Retry-After on 429, and caps it on 503', async () => {
    const r = await receiver((q) => {
      const attempt = r.received.filter((o) => o.id === q.id).length;
      if (q.json.data.batchId === 'slow-down') return attempt === 1 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 };
      return { status: 503, headers: { 'retry-after': '86400' } };
    });
    const { id } = await subscribe(r);
    await emit([EventType.batch_created, { batchId: 'slow-down' }], [EventType.batch_created, { batchId: 'maintenance' }]);

    const rows = await eventually(async () => {
      const all = await deliveriesOf(id);
      return all.find((d) => d.successful) && all.find((d) => d.responseStatus === 503) ? all : undefined;
    });
    const attempts = r.received.filter((q) => q.json.data.batchId === 'slow-down');
    expect(attempts).toHaveLength(2);
    // The schedule alone would have retried after ~300 ms.
    expect(attempts[1].receivedAt - attempts[0].receivedAt).toBeGreaterThanOrEqual(950);

    const capped = rows.find((d) => d.responseStatus === 503)!;
    expect(capped).toMatchObject({ successful: false, attempts: 1, error: 'HTTP 503' });
    const wait = capped.scheduledFor.getTime() - capped.lastAttemptedAt!.getTime();
    expect(wait).toBeGreaterThanOrEqual(1_900);
    expect(wait).toBeLessThanOrEqual(2_200);
  });

  it('records a timeout as an error', async () => {
    const r = await receiver(() => 'hang');
    const { id } = await subscribe(r);
    await emit([EventType.batch_created, { batchId: 't' }]);
    const [row] = await eventually(async () => {
      const rows = await deliveriesOf(id);
      return rows[0]?.attempts >= 1 && rows[0].error ? rows : undefined;
    });
    expect(row).toMatchObject({ successful: false, responseStatus: null, error: 'timed out after 1000 ms' });
  });

  it('keeps only the start of a large response body', async () => {
    const r = await receiver(() => ({ status: 500, body: 'x'.repeat(100_000) }));
    const { id } = await subscribe(r);
    await emit([EventType.batch_created, { batchId: 'big' }]);
    const [row] = await eventually(async () => {
      const rows = await deliveriesOf(id);
      return rows[0]?.responseStatus ? rows : undefined;
    });
    expect(row.responseBody).toHaveLength(4096);
  });

  it('signs with both secrets during the rotation grace period, then with the new one only', async () => {
    const r = await receiver();
    const { id, secret: oldSecret } = await subscribe(r);
    const { secret: newSecret } = (await t.request('POST', `/webhooks/${id}/rotate-secret`)).body;

    await emit([EventType.batch_created, { batchId: 'during' }]);
    const [during] = await r.waitFor(1);
    expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(() => WebhookReceiver.verify(during, newSecret)).not.toThrow();
    expect(() => WebhookReceiver.verify(during, oldSecret)).not.toThrow();

    await new Promise((resolve) => setTimeout(resolve, 2_100));
    await emit([EventType.batch_created, { batchId: 'after' }]);
    const after = (await r.waitFor(2))[1];
    expect(String(after.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(() => WebhookReceiver.verify(after, newSecret)).not.toThrow();
    expect(() => WebhookReceiver.verify(after, oldSecret)).toThrow('No matching signature');
  });

  it('POST /webhooks/:id/test sends webhook.test at once and reports the answer', async () => {
    const r = await receiver(() => (r.received.length === 1 ? { status: 200, delayMs: 60 } : { status: 503 }));
    const { id, secret } = await subscribe(r);
    const ok = await t.request('POST', `/webhooks/${id}/test`);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ successful: true, responseStatus: 200, error: null, deliveryId: r.received[0].id });
    expect(ok.body.latencyMs).toBeGreaterThanOrEqual(55);
    expect(WebhookReceiver.verify(r.received[0], secret)).toMatchObject({ type: 'webhook.test', data: { webhookId: id } });

    const failed = await t.request('POST', `/webhooks/${id}/test`);
    expect(failed.body).toMatchObject({ successful: false, responseStatus: 503, error: 'HTTP 503' });
    const log = await t.request('GET', `/webhooks/${id}/deliveries?eventType=webhook.test`);
    expect(log.body.data.map((d: { status: string }) => d.status)).toEqual(['failed', 'succeeded']);
    // A test is one attempt: the failed one is not retried.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(r.received).toHaveLength(2);
  });

  it('redelivers with the same webhook-id', async () => {
    const r = await receiver();
    const { id } = await subscribe(r);
    await emit([EventType.batch_created, { batchId: 'again' }]);
    const [first] = await r.waitFor(1);
    await eventually(async () => (await deliveriesOf(id))[0]?.successful);
    expect((await t.request('POST', `/webhook-deliveries/${first.id}/redeliver`)).status).toBe(202);
    const [, second] = await r.waitFor(2);
    expect(second.id).toBe(first.id);
    expect(second.body).toBe(first.body);
    await eventually(async () => (await deliveriesOf(id))[0]?.successful);
  });

  it('sends the events of one task in the order they happened', async () => {
    const r = await receiver(() => ({ status: 200, delayMs: Math.floor(Math.random() * 20) }));
    await subscribe(r);
    const tasks = Array.from({ length: 20 }, (_, i) => `task-${i}`);
    await emit(...tasks.map((taskId): [EventType, Record<string, unknown>] => [EventType.task_started, { taskId, status: 'processing' }]));
    await emit(...tasks.map((taskId): [EventType, Record<string, unknown>] => [EventType.task_completed, { taskId, status: 'completed' }]));
    const received = await r.waitFor(40);
    const order = (taskId: string) => received.filter((q) => q.json.data.taskId === taskId).map((q) => q.json.type);
    for (const taskId of tasks) expect(order(taskId)).toEqual(['task.started', 'task.completed']);
  });

  it('finishes in-flight attempts and records them when the app shuts down', async () => {
    const r = await receiver(() => ({ status: 200, delayMs: 500 }));
    const { id } = await subscribe(r);
    // A second scheduler on the same database, closed while its attempts are in flight.
    const other = await startTestApp(env, t.database);
    const ids = await insertDueDeliveries(t.prisma, id, 3);
    await r.waitFor(3);
    await Promise.all([other.close(), t.app.get(WebhookSweeper).wake()]);
    const rows = await eventually(async () => {
      const all = await deliveriesOf(id);
      return all.every((d) => d.successful) ? all : undefined;
    });
    expect(rows.map((d) => d.id).sort()).toEqual([...ids].sort());
    expect(rows.every((d) => d.attempts === 1)).toBe(true);
    expect(new Set(r.received.map((q: ReceivedWebhook) => q.id)).size).toBe(3);
  });
});

describe('disabling a failing subscription', () => {
  it('disables it once every attempt has failed for WEBHOOK_DISABLE_AFTER_FAILING_MS, and PATCH re-enables it', async () => {
    const r = await WebhookReceiver.start(() => ({ status: 500 }));
    const t = await startTestApp({
      PROCESS_ROLES: 'api,scheduler',
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
      WEBHOOK_RETRY_SCHEDULE: '0,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms',
      WEBHOOK_SWEEP_INTERVAL_MS: '50',
      WEBHOOK_DISABLE_AFTER_FAILING_MS: '1000',
    });
    try {
      const { id } = (await t.request('POST', '/webhooks', { name: 'flaky', url: r.url, eventTypes: ['batch.created'] })).body;
      await insertDueDeliveries(t.prisma, id, 2);
      const disabled = await eventually(async () => {
        const res = await t.request('GET', `/webhooks/${id}`);
        return res.body.active === false ? res.body : undefined;
      });
      expect(disabled.disabledReason).toMatch(/^every delivery attempt failed since \d{4}-\d\d-\d\dT/);
      expect(new Date(disabled.disabledAt).getTime() - new Date(disabled.failingSince).getTime()).toBeGreaterThanOrEqual(1000);
      // Pending retries are given up rather than sent to a disabled endpoint.
      await eventually(async () => (await t.prisma.webhookDelivery.count({ where: { webhookId: id, gaveUpAt: null } })) === 0);
      const sent = r.received.length;
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(r.received).toHaveLength(sent);

      const enabled = await t.request('PATCH', `/webhooks/${id}`, { active: true });
      expect(enabled.body).toMatchObject({ active: true, disabledAt: null, disabledReason: null, failingSince: null });
    } finally {
      await t.close();
      await r.stop();
    }
  });
});
