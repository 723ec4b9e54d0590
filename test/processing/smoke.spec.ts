import { batchBody, batchTask } from '../support/factories';
import { expectExactCounters, waitForBatch } from '../support/engine';
import { TestReceiver } from '../support/receiver';
import { startTestApp, TestApp } from '../support/test-app';

describe('engine smoke', () => {
  let t: TestApp;
  const receiver = new TestReceiver();
  beforeAll(async () => {
    await receiver.start();
    t = await startTestApp({ HTTP_CALL_ENDPOINTS: `media-svc=${receiver.url}`, RECONCILE_INTERVAL_MS: '500' });
  });
  afterAll(async () => {
    await t.close();
    await receiver.stop();
  });

  it('runs a diamond', async () => {
    receiver.respond = (call) => ({ status: 200, body: { ref: call.body.ref, saw: call.body.dependencies.map((d: any) => d.ref) } });
    const res = await t.request('POST', '/batches', batchBody([batchTask('a'), batchTask('b', ['a']), batchTask('c', ['a']), batchTask('d', ['b', 'c'])]));
    expect(res.status).toBe(201);
    const batch = await waitForBatch(t, res.body.id);
    expect(batch.status).toBe('completed');
    await expectExactCounters(t.prisma, res.body.id);
    expect(receiver.calls.map((c) => c.body.ref)).toEqual(expect.arrayContaining(['a', 'b', 'c', 'd']));
  });
});
