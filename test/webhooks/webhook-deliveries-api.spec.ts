import { WebhookDeliveriesService } from '../../src/webhooks/webhook-deliveries.service';
import { startTestApp, TestApp } from '../support/test-app';
import { insertDueDeliveries, insertSubscription } from '../support/webhooks';

describe(WebhookDeliveriesService.name, () => {
  let t: TestApp;
  const hour = 3_600_000;

  beforeAll(async () => {
    // No scheduler: rows keep exactly the state the tests give them.
    t = await startTestApp({ PROCESS_ROLES: 'api' });
  });
  afterAll(() => t.close());

  /** A subscription with deliveries in each state, created at known times. */
  async function fixture() {
    const subscription = await insertSubscription(t.prisma, 'https://93.184.215.14/hook');
    const base = Date.now() - 10 * hour;
    const make = (hoursIn: number, eventType: string, state: Record<string, unknown>) =>
      t.prisma.webhookDelivery.create({
        data: {
          webhookId: subscription.id,
          eventType,
          payload: { type: eventType, timestamp: new Date(base + hoursIn * hour).toISOString(), data: {} },
          createdAt: new Date(base + hoursIn * hour),
          scheduledFor: new Date(base + hoursIn * hour),
          ...state,
        },
      });
    const succeeded = await make(1, 'batch.created', { successful: true, attempts: 1, responseStatus: 200, lastAttemptedAt: new Date() });
    const givenUp = await make(2, 'batch.completed', { attempts: 8, responseStatus: 500, error: 'HTTP 500', gaveUpAt: new Date() });
    const retrying = await make(3, 'task.failed', { attempts: 2, error: 'ECONNREFUSED', scheduledFor: new Date(Date.now() + hour) });
    const fresh = await make(4, 'batch.created', {});
    return { subscription, succeeded, givenUp, retrying, fresh, base };
  }

  const ids = (res: { body: { data: Array<{ id: string }> } }) => res.body.data.map((d) => d.id);

  describe('GET /webhooks/:id/deliveries', () => {
    it('lists the log newest first with each delivery’s status', async () => {
      const f = await fixture();
      const res = await t.request('GET', `/webhooks/${f.subscription.id}/deliveries`);
      expect(res.status).toBe(200);
      expect(ids(res)).toEqual([f.fresh.id, f.retrying.id, f.givenUp.id, f.succeeded.id]);
      expect(res.body.data.map((d: { status: string }) => d.status)).toEqual(['pending', 'pending', 'failed', 'succeeded']);
      expect(res.body.data[2]).toMatchObject({ attempts: 8, responseStatus: 500, error: 'HTTP 500', successful: false });
    });

    it('filters by event type, outcome and creation time', async () => {
      const f = await fixture();
      const list = (query: string) => t.request('GET', `/webhooks/${f.subscription.id}/deliveries?${query}`).then(ids);
      expect(await list('eventType=batch.created')).toEqual([f.fresh.id, f.succeeded.id]);
      expect(await list('successful=true')).toEqual([f.succeeded.id]);
      expect(await list('successful=false')).toEqual([f.fresh.id, f.retrying.id, f.givenUp.id]);
      const at = (hours: number) => new Date(f.base + hours * hour).toISOString();
      expect(await list(`since=${at(2)}&until=${at(4)}`)).toEqual([f.retrying.id, f.givenUp.id]);
      expect(await list(`since=${at(3.5)}&eventType=task.failed`)).toEqual([]);
    });

    it('pages with a cursor', async () => {
      const f = await fixture();
      const first = await t.request('GET', `/webhooks/${f.subscription.id}/deliveries?limit=3`);
      expect(ids(first)).toEqual([f.fresh.id, f.retrying.id, f.givenUp.id]);
      const second = await t.request('GET', `/webhooks/${f.subscription.id}/deliveries?limit=3&cursor=${first.body.nextCursor}`);
      expect(ids(second)).toEqual([f.succeeded.id]);
      expect(second.body.nextCursor).toBeNull();
    });

    it.each([
      ['eventType=batch.exploded', 'eventType'],
      ['successful=maybe', 'successful'],
      ['since=yesterday', 'since'],
      ['limit=0', 'limit'],
      ['cursor=nope', 'cursor'],
      ['since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z', 'until'],
    ])('rejects %s with a 400 on %s', async (query, field) => {
      const f = await fixture();
      const res = await t.request('GET', `/webhooks/${f.subscription.id}/deliveries?${query}`);
      expect(res.status).toBe(400);
      expect(res.body.details.map((d: { field: string }) => d.field)).toContain(field);
    });

    it('answers 404 for a subscription that never existed', async () => {
      const res = await t.request('GET', '/webhooks/01939f5e-0000-7000-8000-000000000000/deliveries');
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('webhook_not_found');
    });
  });

  describe('GET /webhook-deliveries/:id', () => {
    it('returns the delivery with its payload', async () => {
      const f = await fixture();
      const res = await t.request('GET', `/webhook-deliveries/${f.givenUp.id}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        id: f.givenUp.id,
        webhookId: f.subscription.id,
        eventType: 'batch.completed',
        payload: { type: 'batch.completed', data: {} },
        status: 'failed',
      });
      expect((await t.request('GET', '/webhook-deliveries/01939f5e-0000-7000-8000-000000000000')).body.code).toBe('webhook_delivery_not_found');
    });
  });

  describe('POST /webhook-deliveries/:id/redeliver', () => {
    it('schedules a fresh attempt now, whatever the state, keeping the id', async () => {
      const f = await fixture();
      for (const delivery of [f.succeeded, f.givenUp, f.retrying]) {
        const res = await t.request('POST', `/webhook-deliveries/${delivery.id}/redeliver`);
        expect(res.status).toBe(202);
        expect(res.body).toMatchObject({ id: delivery.id, status: 'pending', successful: false, attempts: 0, gaveUpAt: null });
        expect(Math.abs(new Date(res.body.scheduledFor).getTime() - Date.now())).toBeLessThan(5_000);
      }
    });

    it('refuses while the subscription is disabled, and once it is deleted', async () => {
      const f = await fixture();
      await t.prisma.webhookSubscription.update({ where: { id: f.subscription.id }, data: { active: false, disabledReason: 'the endpoint answered 410 Gone' } });
      const disabled = await t.request('POST', `/webhook-deliveries/${f.givenUp.id}/redeliver`);
      expect(disabled.status).toBe(409);
      expect(disabled.body).toMatchObject({ code: 'webhook_inactive', message: expect.stringContaining('410 Gone') });
      await t.prisma.webhookSubscription.delete({ where: { id: f.subscription.id } });
      const deleted = await t.request('POST', `/webhook-deliveries/${f.givenUp.id}/redeliver`);
      expect(deleted.status).toBe(409);
      expect(deleted.body.code).toBe('webhook_deleted');
      expect((await t.prisma.webhookDelivery.findUniqueOrThrow({ where: { id: f.givenUp.id } })).attempts).toBe(8);
    });
  });

  describe('POST /webhooks/:id/recover', () => {
    it('reschedules the failed deliveries created in the range, and only those', async () => {
      const f = await fixture();
      const at = (hours: number) => new Date(f.base + hours * hour).toISOString();
      const res = await t.request('POST', `/webhooks/${f.subscription.id}/recover`, { since: at(0), until: at(3.5) });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ recovered: 2 });
      const rows = await t.prisma.webhookDelivery.findMany({ where: { webhookId: f.subscription.id } });
      const byId = new Map(rows.map((r) => [r.id, r]));
      for (const id of [f.givenUp.id, f.retrying.id]) {
        expect(byId.get(id)).toMatchObject({ attempts: 0, gaveUpAt: null, successful: false });
        expect(byId.get(id)!.scheduledFor.getTime()).toBeLessThanOrEqual(Date.now());
      }
      expect(byId.get(f.succeeded.id)).toMatchObject({ successful: true, attempts: 1 });
      expect(byId.get(f.fresh.id)!.createdAt).toEqual(f.fresh.createdAt);
    });

    it('defaults until to now and validates the range', async () => {
      const f = await fixture();
      expect((await t.request('POST', `/webhooks/${f.subscription.id}/recover`, { since: new Date(f.base).toISOString() })).body).toEqual({ recovered: 2 });
      const inverted = await t.request('POST', `/webhooks/${f.subscription.id}/recover`, { since: new Date().toISOString(), until: new Date(f.base).toISOString() });
      expect(inverted.status).toBe(400);
      expect(inverted.body.code).toBe('invalid_time_range');
      expect((await t.request('POST', `/webhooks/${f.subscription.id}/recover`, {})).body.details[0].field).toBe('since');
      expect((await t.request('POST', '/webhooks/01939f5e-0000-7000-8000-000000000000/recover', { since: new Date(f.base).toISOString() })).status).toBe(404);
    });

    it('leaves test events alone', async () => {
      const subscription = await insertSubscription(t.prisma, 'https://93.184.215.14/hook');
      await t.prisma.webhookDelivery.create({
        data: { webhookId: subscription.id, eventType: 'webhook.test', payload: {}, attempts: 1, gaveUpAt: new Date() },
      });
      await insertDueDeliveries(t.prisma, subscription.id, 1);
      const res = await t.request('POST', `/webhooks/${subscription.id}/recover`, { since: new Date(Date.now() - hour).toISOString() });
      expect(res.body).toEqual({ recovered: 0 });
    });
  });
});
