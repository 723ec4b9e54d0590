import { TaskStateService } from '../../src/processing/task-state.service';
import { batchBody, batchTask, httpCallInput } from '../support/factories';
import { eventually, expectExactCounters, waitForBatch } from '../support/engine';
import { ReceivedCall, Reply, TestReceiver } from '../support/receiver';
import { startTestApp, TestApp } from '../support/test-app';

const ok = (call: ReceivedCall): Reply => ({ status: 200, body: { from: call.body.ref } });

describe(TaskStateService.name, () => {
  let t: TestApp;
  const receiver = new TestReceiver();

  beforeAll(async () => {
    await receiver.start();
    t = await startTestApp({
      HTTP_CALL_ENDPOINTS: `media-svc=${receiver.url}`,
      WORKER_CONCURRENCY: '4',
      RETRY_BACKOFF_BASE_MS: '100',
      RETRY_BACKOFF_MAX_MS: '400',
      RECONCILE_INTERVAL_MS: '500',
    });
  });
  afterAll(async () => {
    await t.close();
    await receiver.stop();
  });
  beforeEach(() => {
    receiver.calls.length = 0;
    receiver.aborted.length = 0;
    receiver.respond = ok;
  });

  const submit = async (tasks: unknown[], overrides: Record<string, unknown> = {}) => {
    const res = await t.request('POST', '/batches', batchBody(tasks, overrides));
    expect(res.status).toBe(201);
    const ids: Record<string, string> = Object.fromEntries(res.body.tasks.map((task: { ref: string; id: string }) => [task.ref, task.id]));
    return { batchId: res.body.id as string, ids };
  };
  const task = async (id: string) => (await t.request('GET', `/tasks/${id}`)).body;
  const callsOf = (ref: string) => receiver.calls.filter((c) => c.body.ref === ref);

  it('runs chains, fan-out, fan-in and diamonds in dependency order, passing outputs along', async () => {
    receiver.respond = (call) => ({
      status: 200,
      body: { from: call.body.ref, inputs: call.body.dependencies.map((d: { output: { from: string } }) => d.output.from).sort() },
    });
    const { batchId, ids } = await submit([
      batchTask('media'),
      batchTask('transcribe', ['media']),
      batchTask('summary', ['transcribe']),
      batchTask('thumb', ['media']),
      batchTask('report', ['summary', 'thumb']),
    ]);
    const batch = await waitForBatch(t, batchId);
    expect(batch).toMatchObject({ status: 'completed', completedTasks: 5, progress: 1 });

    const order = receiver.calls.map((c) => c.body.ref);
    const before = (a: string, b: string) => expect(order.indexOf(a)).toBeLessThan(order.indexOf(b));
    before('media', 'transcribe');
    before('transcribe', 'summary');
    before('media', 'thumb');
    before('summary', 'report');
    before('thumb', 'report');
    expect(order).toHaveLength(5);

    expect((await task(ids.report)).output).toEqual({ from: 'report', inputs: ['summary', 'thumb'] });
    const reportCall = callsOf('report')[0];
    expect(reportCall.body).toMatchObject({ taskId: ids.report, batchId, attempt: 1, payload: { n: 1 } });
    expect(reportCall.path).toBe('/work');
    await expectExactCounters(t.prisma, batchId);
  });

  it('retries with backoff until the service succeeds', async () => {
    let failuresLeft = 2;
    receiver.respond = (call) => {
      if (call.body.ref !== 'flaky' || failuresLeft-- <= 0) return ok(call);
      // The first retry waits a second (Retry-After), long enough to look at the batch meanwhile.
      return { status: 503, body: { error: 'busy' }, headers: failuresLeft === 1 ? { 'retry-after': '1' } : {} };
    };
    const { batchId, ids } = await submit([batchTask('flaky', [], { maxRetries: 3 }), batchTask('after', ['flaky'])]);
    // While the only started task waits for its retry, the batch stays started.
    const waiting = await eventually(
      () => t.prisma.processingTask.findUniqueOrThrow({ where: { id: ids.flaky }, include: { batch: true } }),
      (task) => task.status === 'queued' && task.retryCount === 1,
      'the first retry to be scheduled',
      5000,
    );
    expect(waiting.batch!.status).toBe('processing');
    const batch = await waitForBatch(t, batchId);
    expect(batch.status).toBe('completed');
    const flaky = await task(ids.flaky);
    expect(flaky).toMatchObject({ status: 'completed', retryCount: 2, error: null });
    const attempts = callsOf('flaky');
    expect(attempts.map((c) => c.body.attempt)).toEqual([1, 2, 3]);
    // Retry-After 1 s, then backoff with base 100 ms and equal jitter: at least 100 ms.
    expect(attempts[1].at - attempts[0].at).toBeGreaterThanOrEqual(1000);
    expect(attempts[2].at - attempts[1].at).toBeGreaterThanOrEqual(100);
    await expectExactCounters(t.prisma, batchId);
  });

  it('fails a task whose retries run out, fails its dependents without running them, and lets siblings finish', async () => {
    receiver.respond = (call) => (call.body.ref === 'bad' ? { status: 500, body: { error: 'boom' } } : ok(call));
    const { batchId, ids } = await submit([
      batchTask('bad', [], { maxRetries: 1 }),
      batchTask('child', ['bad']),
      batchTask('grandchild', ['child']),
      batchTask('sibling'),
      batchTask('sibling-child', ['sibling']),
    ]);
    const batch = await waitForBatch(t, batchId);
    expect(batch).toMatchObject({ status: 'completed_with_errors', completedTasks: 2, failedTasks: 3 });
    expect(await task(ids.bad)).toMatchObject({ status: 'failed', retryCount: 1, error: expect.stringContaining('answered 500') });
    expect(await task(ids.child)).toMatchObject({ status: 'failed', error: 'dependency bad failed', startedAt: null });
    expect(await task(ids.grandchild)).toMatchObject({ status: 'failed', error: 'dependency bad failed' });
    expect(callsOf('bad')).toHaveLength(2);
    expect(callsOf('child')).toHaveLength(0);
    expect(callsOf('grandchild')).toHaveLength(0);
    await expectExactCounters(t.prisma, batchId);
  });

  it('marks a batch failed when no task completes', async () => {
    receiver.respond = () => ({ status: 500 });
    const { batchId } = await submit([batchTask('x', [], { maxRetries: 0 }), batchTask('y', [], { maxRetries: 0 })]);
    expect((await waitForBatch(t, batchId)).status).toBe('failed');
    await expectExactCounters(t.prisma, batchId);
  });

  it('fails at once, without retrying, on a non-retryable error (4xx)', async () => {
    receiver.respond = () => ({ status: 422, body: { error: 'bad input' } });
    const { batchId, ids } = await submit([batchTask('x', [], { maxRetries: 5 })]);
    await waitForBatch(t, batchId);
    expect(await task(ids.x)).toMatchObject({ status: 'failed', retryCount: 0, error: expect.stringContaining('answered 422') });
    expect(callsOf('x')).toHaveLength(1);
  });

  it('honours Retry-After on 429', async () => {
    let first = true;
    receiver.respond = (call) => {
      if (first) {
        first = false;
        return { status: 429, headers: { 'retry-after': '1' } };
      }
      return ok(call);
    };
    const { batchId } = await submit([batchTask('x', [], { maxRetries: 2 })]);
    await waitForBatch(t, batchId);
    const [a, b] = callsOf('x');
    expect(b.at - a.at).toBeGreaterThanOrEqual(1000);
  });

  it('aborts a handler that exceeds its timeout and counts the attempt as failed', async () => {
    receiver.respond = () => ({ status: 200, body: {}, delayMs: 3000 });
    const { batchId, ids } = await submit([batchTask('slow', [], { timeoutMs: 300, maxRetries: 0 })]);
    await waitForBatch(t, batchId);
    expect(await task(ids.slow)).toMatchObject({ status: 'failed', error: 'timed out after 300 ms' });
    await eventually(async () => receiver.aborted.length, (n) => n === 1, 'the receiver to see the request aborted', 3000);
  });

  it('cancels a running task: aborts its handler and cancels its dependents', async () => {
    receiver.respond = (call) => (call.body.ref === 'long' ? { status: 200, body: {}, delayMs: 10_000 } : ok(call));
    const { batchId, ids } = await submit([batchTask('long'), batchTask('next', ['long']), batchTask('free')]);
    await eventually(() => task(ids.long), (x) => x.status === 'processing', 'the task to start');
    const res = await t.request('POST', `/tasks/${ids.long}/cancel`);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('cancelled');
    await eventually(async () => receiver.aborted.length, (n) => n === 1, 'the running request to be aborted', 3000);
    expect(await task(ids.next)).toMatchObject({ status: 'cancelled', error: 'a dependency was cancelled' });
    const batch = await waitForBatch(t, batchId);
    expect(batch).toMatchObject({ status: 'completed_with_errors', completedTasks: 1, cancelledTasks: 2 });
    await expectExactCounters(t.prisma, batchId);

    const again = await t.request('POST', `/tasks/${ids.long}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('task_finished');
  });

  it('cancels a whole batch, then refuses to cancel it twice; retry brings it back', async () => {
    receiver.respond = (call) => ({ ...ok(call), delayMs: 300 });
    const tasks = Array.from({ length: 6 }, (_, i) => batchTask(`t${i}`, i > 0 ? [`t${i - 1}`] : []));
    const { batchId, ids } = await submit(tasks);
    await eventually(() => task(ids.t0), (x) => x.status === 'processing', 'the first task to start');
    const cancelled = await t.request('POST', `/batches/${batchId}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', cancelledTasks: 6, queuedTasks: 0, processingTasks: 0 });
    expect((await t.request('POST', `/batches/${batchId}/cancel`)).status).toBe(409);
    await expectExactCounters(t.prisma, batchId);

    receiver.respond = ok;
    const retried = await t.request('POST', `/batches/${batchId}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ cancelledTasks: 0, queuedTasks: 6, cancelledAt: null });
    const done = await waitForBatch(t, batchId);
    expect(done).toMatchObject({ status: 'completed', completedTasks: 6 });
    await expectExactCounters(t.prisma, batchId);
  });

  it('retries a failed task with its failed dependents; completed tasks keep their outputs', async () => {
    let broken = true;
    receiver.respond = (call) => (broken && call.body.ref === 'b' ? { status: 400 } : ok(call));
    const { batchId, ids } = await submit([batchTask('a'), batchTask('b', ['a']), batchTask('c', ['b']), batchTask('d', ['c'])]);
    expect((await waitForBatch(t, batchId)).status).toBe('completed_with_errors');
    const aBefore = await task(ids.a);

    expect((await t.request('POST', `/tasks/${ids.c}/retry`)).body).toMatchObject({ code: 'blocked_by_dependency' });
    expect((await t.request('POST', `/tasks/${ids.a}/retry`)).status).toBe(409);

    broken = false;
    const res = await t.request('POST', `/tasks/${ids.b}/retry`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: expect.stringMatching(/queued|processing|completed/), retryCount: 0 });
    const batch = await waitForBatch(t, batchId);
    expect(batch).toMatchObject({ status: 'completed', completedTasks: 4, failedTasks: 0 });
    expect(await task(ids.a)).toMatchObject({ completedAt: aBefore.completedAt, output: aBefore.output });
    expect(callsOf('a')).toHaveLength(1);
    await expectExactCounters(t.prisma, batchId);
  });

  it('answers 404 for cancel and retry of unknown ids and 409 for nothing to retry', async () => {
    const unknown = '01890000-0000-7000-8000-000000000000';
    for (const url of [`/tasks/${unknown}/cancel`, `/tasks/${unknown}/retry`, `/batches/${unknown}/cancel`, `/batches/${unknown}/retry`]) {
      expect((await t.request('POST', url)).status).toBe(404);
    }
    const { batchId } = await submit([batchTask('x')]);
    await waitForBatch(t, batchId);
    const res = await t.request('POST', `/batches/${batchId}/retry`);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('nothing_to_retry');
  });

  it('runs standalone tasks and dependencies across them', async () => {
    const a = await t.request('POST', '/tasks', { taskType: 'http_call', input: httpCallInput() });
    const b = await t.request('POST', '/tasks', { taskType: 'http_call', input: httpCallInput(), dependsOn: [a.body.id] });
    const done = await eventually(() => task(b.body.id), (x) => x.status === 'completed', 'the dependent task to complete');
    expect(done.output).toEqual({ from: null });
    const first = receiver.calls.findIndex((c) => c.body.taskId === a.body.id);
    const second = receiver.calls.findIndex((c) => c.body.taskId === b.body.id);
    expect(first).toBeLessThan(second);
    expect(receiver.calls[second].body.dependencies).toEqual([{ taskId: a.body.id, ref: null, output: { from: null } }]);
  });
});

describe('priorities', () => {
  let t: TestApp;
  const receiver = new TestReceiver();
  beforeAll(async () => {
    await receiver.start();
    // Concurrency 1: the queue order is the run order.
    t = await startTestApp({ HTTP_CALL_ENDPOINTS: `media-svc=${receiver.url}`, WORKER_CONCURRENCY: '1', PROCESS_ROLES: 'api' });
  });
  afterAll(async () => {
    await t.close();
    await receiver.stop();
  });

  it('starts higher-priority ready tasks first; tasks inherit their batch priority', async () => {
    // Submit everything while no worker runs, then start one worker.
    const low = await t.request('POST', '/batches', batchBody([batchTask('low-1'), batchTask('low-2')], { priority: -5 }));
    const high = await t.request('POST', '/batches', batchBody([batchTask('high-1'), batchTask('urgent', [], { priority: 100 })], { priority: 10 }));
    const mid = await t.request('POST', '/batches', batchBody([batchTask('mid-1')]));
    expect([low.status, high.status, mid.status]).toEqual([201, 201, 201]);

    const worker = await startTestApp(
      { HTTP_CALL_ENDPOINTS: `media-svc=${receiver.url}`, WORKER_CONCURRENCY: '1', PROCESS_ROLES: 'worker', QUEUE_PREFIX: t.queuePrefix },
      t.database,
    );
    try {
      await eventually(async () => receiver.calls.length, (n) => n === 5, 'all five tasks to run');
      expect(receiver.calls.map((c) => c.body.ref)).toEqual(['urgent', 'high-1', 'mid-1', 'low-1', 'low-2']);
    } finally {
      await worker.close();
    }
  });
});
