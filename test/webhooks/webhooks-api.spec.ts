import { WebhookSubscriptionsService } from '../../src/webhooks/webhook-subscriptions.service';
import { rowCounts } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';

describe(WebhookSubscriptionsService.name, () => {
  let t: TestApp;
  const body = (overrides: Record<string, unknown> = {}) => ({
    name: 'orders',
    url: 'https://93.184.215.14/hooks/batch',
    eventTypes: ['batch.completed', 'task.failed'],
    ...overrides,
  });
  const noSecrets = (value: unknown) => {
    const text = JSON.stringify(value);
    expect(text).not.toMatch(/whsec_/);
    expect(text).not.toMatch(/"secret"|previousSecret"/);
  };

  beforeAll(async () => {
    // No scheduler: nothing is sent, these tests read what the API wrote.
    t = await startTestApp({ PROCESS_ROLES: 'api', WEBHOOK_SECRET_GRACE_MS: '3600000' });
  });
  afterAll(() => t.close());

  describe('POST /webhooks', () => {
    it('creates a subscription and shows a generated secret once', async () => {
      const res = await t.request('POST', '/webhooks', body());
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        id: expect.any(String),
        name: 'orders',
        url: 'https://93.184.215.14/hooks/batch',
        eventTypes: ['batch.completed', 'task.failed'],
        active: true,
        disabledAt: null,
        disabledReason: null,
        failingSince: null,
        previousSecretExpiresAt: null,
        secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
      });
      const row = await t.prisma.webhookSubscription.findUniqueOrThrow({ where: { id: res.body.id } });
      expect(row.secret).toBe(res.body.secret);
      expect(row.eventTypes).toEqual(['batch_completed', 'task_failed']);
    });

    it('keeps a secret the client chose, and an inactive state', async () => {
      const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
      const res = await t.request('POST', '/webhooks', body({ secret, active: false }));
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ secret, active: false });
    });

    const invalid: Array<[string, Record<string, unknown>, string]> = [
      ['no name', body({ name: undefined }), 'name'],
      ['an empty name', body({ name: '' }), 'name'],
      ['no url', body({ url: undefined }), 'url'],
      ['a relative url', body({ url: '/hooks' }), 'url'],
      ['a non-http url', body({ url: 'ftp://93.184.215.14/x' }), 'url'],
      ['a javascript: url', body({ url: 'javascript:alert(1)' }), 'url'],
      ['no event types', body({ eventTypes: [] }), 'eventTypes'],
      ['an unknown event type', body({ eventTypes: ['batch.exploded'] }), 'eventTypes'],
      ['an underscore event name', body({ eventTypes: ['batch_completed'] }), 'eventTypes'],
      ['the test event', body({ eventTypes: ['webhook.test'] }), 'eventTypes'],
      ['duplicate event types', body({ eventTypes: ['task.failed', 'task.failed'] }), 'eventTypes'],
      ['a secret without prefix', body({ secret: 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }), 'secret'],
      ['a short secret', body({ secret: 'whsec_c2hvcnQ=' }), 'secret'],
      ['a non-base64 secret', body({ secret: 'whsec_not*base64*at*all*not*base64*at*all' }), 'secret'],
      ['a non-boolean active', body({ active: 'yes' }), 'active'],
      ['an unknown property', body({ colour: 'red' }), 'colour'],
    ];
    it.each(invalid)('rejects %s with a field-level 400 and writes nothing', async (_name, payload, field) => {
      const before = await rowCounts(t.prisma);
      const res = await t.request('POST', '/webhooks', payload);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request', code: 'validation_failed' });
      expect(res.body.details.map((d: { field: string }) => d.field)).toContain(field);
      expect(await rowCounts(t.prisma)).toEqual(before);
    });

    it('refuses a private target (WEBHOOK_ALLOW_PRIVATE_TARGETS off) naming the address kind', async () => {
      const before = await rowCounts(t.prisma);
      const res = await t.request('POST', '/webhooks', body({ url: 'http://169.254.169.254/latest/meta-data' }));
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({
        code: 'webhook_url_refused',
        details: [{ field: 'url', message: expect.stringContaining('169.254.169.254: link-local (cloud metadata) addresses are refused') }],
      });
      expect(await rowCounts(t.prisma)).toEqual(before);
    });
  });

  describe('reading', () => {
    it('never shows secrets on GET, in lists or after PATCH', async () => {
      const created = await t.request('POST', '/webhooks', body());
      const id = created.body.id;
      const one = await t.request('GET', `/webhooks/${id}`);
      expect(one.status).toBe(200);
      expect(one.body).toMatchObject({ id, name: 'orders', active: true });
      noSecrets(one.body);
      noSecrets((await t.request('GET', '/webhooks?limit=1000')).body);
      noSecrets((await t.request('PATCH', `/webhooks/${id}`, { name: 'renamed' })).body);
    });

    it('pages through subscriptions newest first', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await t.request('POST', '/webhooks', body({ name: `page-${i}` }))).body.id);
      const first = await t.request('GET', '/webhooks?limit=3');
      expect(first.body.data.map((w: { id: string }) => w.id)).toEqual([ids[4], ids[3], ids[2]]);
      const second = await t.request('GET', `/webhooks?limit=3&cursor=${first.body.nextCursor}`);
      expect(second.body.data.slice(0, 2).map((w: { id: string }) => w.id)).toEqual([ids[1], ids[0]]);
    });

    it('answers 404 for an unknown id and 400 for a malformed one', async () => {
      const missing = await t.request('GET', '/webhooks/01939f5e-0000-7000-8000-000000000000');
      expect(missing.status).toBe(404);
      expect(missing.body).toMatchObject({ code: 'webhook_not_found' });
      const malformed = await t.request('GET', '/webhooks/abc');
      expect(malformed.status).toBe(400);
      expect(malformed.body).toMatchObject({ code: 'invalid_id', details: [{ field: 'id' }] });
    });
  });

  describe('PATCH /webhooks/:id', () => {
    it('changes only the given fields', async () => {
      const { id, secret } = (await t.request('POST', '/webhooks', body())).body;
      const res = await t.request('PATCH', `/webhooks/${id}`, { eventTypes: ['batch.created'], url: 'https://93.184.215.14/v2' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ name: 'orders', url: 'https://93.184.215.14/v2', eventTypes: ['batch.created'], active: true });
      expect((await t.prisma.webhookSubscription.findUniqueOrThrow({ where: { id } })).secret).toBe(secret);
    });

    it('re-enabling clears what the service recorded when it disabled the subscription', async () => {
      const { id } = (await t.request('POST', '/webhooks', body())).body;
      await t.prisma.webhookSubscription.update({
        where: { id },
        data: { active: false, disabledAt: new Date(), disabledReason: 'the endpoint answered 410 Gone', failingSince: new Date() },
      });
      expect((await t.request('GET', `/webhooks/${id}`)).body).toMatchObject({ active: false, disabledReason: 'the endpoint answered 410 Gone' });
      const res = await t.request('PATCH', `/webhooks/${id}`, { active: true });
      expect(res.body).toMatchObject({ active: true, disabledAt: null, disabledReason: null, failingSince: null });
    });

    it.each([
      [{ url: 'http://10.0.0.1/' }, 'url'],
      [{ eventTypes: [] }, 'eventTypes'],
      [{ secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }, 'secret'],
      [{ name: '' }, 'name'],
    ])('rejects %j with a 400 on %s and changes nothing', async (patch, field) => {
      const { id } = (await t.request('POST', '/webhooks', body())).body;
      const before = await t.prisma.webhookSubscription.findUniqueOrThrow({ where: { id } });
      const res = await t.request('PATCH', `/webhooks/${id}`, patch);
      expect(res.status).toBe(400);
      expect(res.body.details.map((d: { field: string }) => d.field)).toContain(field);
      expect(await t.prisma.webhookSubscription.findUniqueOrThrow({ where: { id } })).toEqual(before);
    });

    it('answers 404 for an unknown subscription', async () => {
      expect((await t.request('PATCH', '/webhooks/01939f5e-0000-7000-8000-000000000000', { name: 'x' })).status).toBe(404);
    });
  });

  describe('DELETE /webhooks/:id', () => {
    it('deletes the subscription, keeps its delivery log and gives up what was not sent', async () => {
      const { id } = (await t.request('POST', '/webhooks', body())).body;
      await t.prisma.webhookDelivery.create({
        data: { webhookId: id, eventType: 'batch.completed', payload: { type: 'batch.completed', timestamp: 'x', data: {} } },
      });
      const res = await t.request('DELETE', `/webhooks/${id}`);
      expect(res.status).toBe(204);
      expect((await t.request('GET', `/webhooks/${id}`)).status).toBe(404);
      const log = await t.request('GET', `/webhooks/${id}/deliveries`);
      expect(log.status).toBe(200);
      expect(log.body.data).toEqual([
        expect.objectContaining({ status: 'failed', gaveUpAt: expect.any(String), error: 'not sent: the subscription was deleted' }),
      ]);
      expect((await t.request('DELETE', `/webhooks/${id}`)).status).toBe(404);
    });
  });

  describe('POST /webhooks/:id/rotate-secret', () => {
    it('returns a new secret and keeps the previous one for the grace period, never on GET', async () => {
      const { id, secret: first } = (await t.request('POST', '/webhooks', body())).body;
      const res = await t.request('POST', `/webhooks/${id}/rotate-secret`);
      expect(res.status).toBe(200);
      expect(res.body.secret).toMatch(/^whsec_/);
      expect(res.body.secret).not.toBe(first);
      const graceEnds = new Date(res.body.previousSecretExpiresAt).getTime();
      expect(graceEnds).toBeGreaterThan(Date.now() + 3_500_000);
      expect(graceEnds).toBeLessThanOrEqual(Date.now() + 3_600_000);

      const row = await t.prisma.webhookSubscription.findUniqueOrThrow({ where: { id } });
      expect(row).toMatchObject({ secret: res.body.secret, previousSecret: first });
      const read = await t.request('GET', `/webhooks/${id}`);
      expect(read.body.previousSecretExpiresAt).toBe(res.body.previousSecretExpiresAt);
      noSecrets(read.body);
    });

    it('accepts a chosen secret and validates it', async () => {
      const { id } = (await t.request('POST', '/webhooks', body())).body;
      const chosen = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
      expect((await t.request('POST', `/webhooks/${id}/rotate-secret`, { secret: chosen })).body.secret).toBe(chosen);
      const bad = await t.request('POST', `/webhooks/${id}/rotate-secret`, { secret: 'hunter2' });
      expect(bad.status).toBe(400);
      expect(bad.body.details[0].field).toBe('secret');
      expect((await t.prisma.webhookSubscription.findUniqueOrThrow({ where: { id } })).secret).toBe(chosen);
    });

    it('answers 404 for an unknown subscription', async () => {
      expect((await t.request('POST', '/webhooks/01939f5e-0000-7000-8000-000000000000/rotate-secret')).status).toBe(404);
    });
  });

  describe('OpenAPI', () => {
    let doc: any;
    beforeAll(async () => {
      doc = (await t.request('GET', '/docs-json')).body;
    });

    it('documents every webhook operation with a stable operationId and the error body', () => {
      const operations = Object.entries(doc.paths as Record<string, Record<string, any>>)
        .filter(([path]) => path.startsWith('/webhook'))
        .flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));
      expect(operations.map(({ op }) => op.operationId).sort()).toEqual([
        'createWebhook',
        'deleteWebhook',
        'getWebhook',
        'getWebhookDelivery',
        'listWebhookDeliveries',
        'listWebhooks',
        'recoverWebhookDeliveries',
        'redeliverWebhookDelivery',
        'rotateWebhookSecret',
        'testWebhook',
        'updateWebhook',
      ]);
      for (const { op } of operations) {
        expect(op.responses['401'].content['application/json'].schema.$ref).toBe('#/components/schemas/ErrorResponseDto');
        expect(op.security).toEqual(expect.arrayContaining([{ bearer: [] }, { 'api-key': [] }]));
      }
    });

    it('publishes the event catalogue: names, meanings and payload schemas', () => {
      const schemas = doc.components.schemas;
      expect(schemas.WebhookEventType.enum).toContain('batch.completed_with_errors');
      expect(schemas.BatchWebhookEventType.enum).toEqual(expect.arrayContaining(['batch.created', 'batch.cancelled']));
      expect(schemas.TaskWebhookEventType.enum).toEqual(expect.arrayContaining(['task.started', 'task.retrying']));
      expect(schemas.BatchWebhookEventDto.properties.data.$ref).toBe('#/components/schemas/BatchEventDataDto');
      expect(schemas.TaskEventDataDto.properties.taskId).toMatchObject({ type: 'string', format: 'uuid' });
      const create = doc.paths['/webhooks'].post;
      expect(create.description).toContain('`task.retrying`: a task attempt failed and another attempt is scheduled');
      expect(create.description).toContain('webhook-signature');
      expect(Object.keys(create.callbacks)).toEqual(['batchEvent', 'taskEvent', 'testEvent']);
      expect(create.callbacks.taskEvent['{$request.body#/url}'].post.requestBody.content['application/json'].schema.$ref).toBe(
        '#/components/schemas/TaskWebhookEventDto',
      );
    });

    it('documents the rotate-secret body as optional', () => {
      expect(doc.paths['/webhooks/{id}/rotate-secret'].post.requestBody.required).toBe(false);
    });

    it('never documents a secret outside the create and rotate responses', () => {
      const withSecret = Object.entries(doc.components.schemas as Record<string, any>)
        .filter(([, schema]) => schema.properties?.secret)
        .map(([name]) => name)
        .sort();
      expect(withSecret).toEqual(['CreateWebhookDto', 'CreatedWebhookResponseDto', 'RotateWebhookSecretDto', 'WebhookSecretResponseDto']);
    });
  });
});
