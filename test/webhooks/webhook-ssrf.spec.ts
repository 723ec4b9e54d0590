import { WebhookTargetPolicy } from '../../src/webhooks/webhook-target-policy';
import { rowCounts } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';
import { eventually, WebhookReceiver } from '../support/webhook-receiver';
import { insertDueDeliveries, insertSubscription } from '../support/webhooks';

/** The blocking itself, with WEBHOOK_ALLOW_PRIVATE_TARGETS off (its default). */
describe(`${WebhookTargetPolicy.name} in the running service`, () => {
  let t: TestApp;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    // A real receiver on loopback: if the policy failed, it would get the requests.
    receiver = await WebhookReceiver.start();
    t = await startTestApp({ PROCESS_ROLES: 'api,scheduler', WEBHOOK_SWEEP_INTERVAL_MS: '50', WEBHOOK_RETRY_SCHEDULE: '0' });
  });
  afterAll(async () => {
    await t.close();
    await receiver.stop();
  });

  const blocked = (port: number): Array<[string, string]> => [
    [`http://127.0.0.1:${port}/hook`, 'loopback'],
    [`http://localhost:${port}/hook`, 'loopback'],
    [`http://2130706433:${port}/hook`, 'loopback'],
    [`http://0x7f.1:${port}/hook`, 'loopback'],
    [`http://017700000001:${port}/hook`, 'loopback'],
    [`http://127.1:${port}/hook`, 'loopback'],
    [`http://[::1]:${port}/hook`, 'loopback'],
    [`http://[::ffff:127.0.0.1]:${port}/hook`, 'IPv4-mapped'],
    [`http://[::ffff:7f00:1]:${port}/hook`, 'IPv4-mapped'],
    [`http://0.0.0.0:${port}/hook`, 'unspecified'],
    [`http://[::]:${port}/hook`, 'unspecified'],
    ['http://10.0.0.8/hook', 'private'],
    ['http://172.16.5.4/hook', 'private'],
    ['https://192.168.1.1/hook', 'private'],
    ['http://100.64.0.1/hook', 'carrier-grade NAT'],
    ['http://169.254.169.254/latest/meta-data/', 'link-local (cloud metadata)'],
    ['http://[fd00:ec2::254]/latest/meta-data/', 'unique local'],
    ['http://[fe80::1]/hook', 'link-local'],
    ['http://224.0.0.251/hook', 'multicast'],
  ];

  it.each(blocked(9))('refuses %s (%s) at creation and on PATCH, writing nothing', async (url, kind) => {
    const before = await rowCounts(t.prisma);
    const created = await t.request('POST', '/webhooks', { name: 'ssrf', url, eventTypes: ['batch.created'] });
    expect(created.status).toBe(400);
    expect(created.body).toMatchObject({ code: 'webhook_url_refused', details: [{ field: 'url', message: expect.stringContaining(kind) }] });
    expect(await rowCounts(t.prisma)).toEqual(before);

    const { id } = (await t.request('POST', '/webhooks', { name: 'public', url: 'https://93.184.215.14/', eventTypes: ['batch.created'] })).body;
    const patched = await t.request('PATCH', `/webhooks/${id}`, { url });
    expect(patched.status).toBe(400);
    expect((await t.request('GET', `/webhooks/${id}`)).body.url).toBe('https://93.184.215.14/');
  });

  it('refuses them again at delivery time, without connecting', async () => {
    // Rows written around the API, as if the policy had been off when they were created.
    const cases = blocked(receiver.port);
    const subscriptions = await Promise.all(cases.map(([url]) => insertSubscription(t.prisma, url)));
    await Promise.all(subscriptions.map((s) => insertDueDeliveries(t.prisma, s.id, 1)));

    const rows = await eventually(async () => {
      const all = await t.prisma.webhookDelivery.findMany({ where: { webhookId: { in: subscriptions.map((s) => s.id) } } });
      return all.length === cases.length && all.every((d) => d.gaveUpAt) ? all : undefined;
    });
    const errorOf = new Map(rows.map((d) => [d.webhookId, d.error]));
    cases.forEach(([url, kind], i) => {
      expect({ url, error: errorOf.get(subscriptions[i].id) }).toEqual({
        url,
        error: expect.stringMatching(new RegExp(`^url targets .*${kind.replace(/[()]/g, '\\$&')}.* addresses are refused`)),
      });
    });
    expect(rows.every((d) => !d.successful && d.responseStatus === null && d.attempts === 1)).toBe(true);
    expect(receiver.received).toHaveLength(0);
  });

  it('refuses the test send too', async () => {
    const subscription = await insertSubscription(t.prisma, receiver.url);
    const res = await t.request('POST', `/webhooks/${subscription.id}/test`);
    expect(res.body).toMatchObject({ successful: false, responseStatus: null, error: expect.stringContaining('127.0.0.1: loopback') });
    expect(receiver.received).toHaveLength(0);
  });

  it('accepts public addresses', async () => {
    for (const url of ['https://93.184.215.14/hooks', 'http://[2606:4700:4700::1111]:8080/x', 'https://8.8.8.8']) {
      expect((await t.request('POST', '/webhooks', { name: 'public', url, eventTypes: ['batch.created'] })).status).toBe(201);
    }
  });
});
