import { Worker } from 'bullmq';
import { redisOptionsFromUrl } from '../../src/config/redis-options';
import { TASK_QUEUE, TaskQueue } from '../../src/processing/task-queue';
import { TaskRunner } from '../../src/processing/task-runner';
import { eventually, expectExactCounters, waitForBatch } from '../support/engine';
import { batchBody, batchTask, mixedGraph } from '../support/factories';
import { wideGraph } from '../support/graphs';
import { ReceivedCall, Reply, TestReceiver } from '../support/receiver';
import { startTestApp, TestApp } from '../support/test-app';
import { WorkerProcess } from '../support/worker-processes';

// Fault tests of the execution engine: real PostgreSQL, Redis (each app on its own key prefix,
// never a FLUSHDB of a shared server), a real HTTP service behind http_call, and real worker
// processes where a test kills one. Every test builds its own apps and database.

const ok = (): Reply => ({ status: 200, body: { ok: true } });
const slowish = (): Reply => ({ status: 200, body: { ok: true }, delayMs: 20 + Math.floor(Math.random() * 30) });

describe('execution engine faults', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    // Last started, first stopped: workers before the app that owns the database and prefix.
    while (cleanups.length > 0) await cleanups.pop()!().catch((error) => console.warn(`cleanup: ${String(error)}`));
  });

  async function receiverAnswering(respond: (call: ReceivedCall) => Reply | Promise<Reply>): Promise<TestReceiver> {
    const receiver = new TestReceiver();
    receiver.respond = respond;
    await receiver.start();
    cleanups.push(() => receiver.stop());
    return receiver;
  }

  async function app(receiver: TestReceiver, env: Record<string, string> = {}): Promise<TestApp> {
    const t = await startTestApp({ HTTP_CALL_ENDPOINTS: `media-svc=${receiver.url}`, ...env });
    cleanups.push(() => t.close());
    return t;
  }

  /** Another worker-only instance in this process, on `t`'s database and queue. */
  async function inProcessWorker(t: TestApp, env: Record<string, string> = {}): Promise<TestApp> {
    const endpoints = Object.entries(t.config.httpCall.endpoints).map(([name, url]) => `${name}=${url}`).join(',');
    const worker = await startTestApp(
      { PROCESS_ROLES: 'worker', QUEUE_PREFIX: t.queuePrefix, HTTP_CALL_ENDPOINTS: endpoints, ...env },
      t.database,
    );
    // app.close() only: the queue's keys and the database belong to `t`.
    let closed = false;
    const close = async () => {
      if (!closed) await worker.app.close();
      closed = true;
    };
    cleanups.push(close);
    return { ...worker, close };
  }

  async function workerProcess(t: TestApp, env: Record<string, string> = {}): Promise<WorkerProcess> {
    const worker = await WorkerProcess.start(t, env);
    cleanups.push(() => worker.kill());
    return worker;
  }

  async function submit(t: TestApp, tasks: unknown[]): Promise<{ batchId: string; ids: string[] }> {
    const res = await t.request('POST', '/batches', batchBody(tasks));
    expect(res.status).toBe(201);
    return { batchId: res.body.id, ids: res.body.tasks.map((task: { id: string }) => task.id) };
  }

  const completedOf = async (t: TestApp, batchId: string) =>
    (await t.prisma.processingBatch.findUniqueOrThrow({ where: { id: batchId } })).completedTasks;

  /** Receiver calls per task id (a call is one attempt reaching the called service). */
  function callsPerTask(receiver: TestReceiver): Map<string, number> {
    const counts = new Map<string, number>();
    for (const call of receiver.calls) counts.set(call.body.taskId, (counts.get(call.body.taskId) ?? 0) + 1);
    return counts;
  }

  /** The queue holds nothing more to run (duplicates and stale jobs included). */
  async function queueDrained(t: TestApp): Promise<void> {
    const queue = t.app.get(TaskQueue).queue;
    await eventually(
      () => queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children'),
      (counts) => Object.values(counts).every((n) => n === 0),
      'the queue to drain',
    );
  }

  async function expectAllCompletedOnce(t: TestApp, receiver: TestReceiver, batchId: string, ids: string[]) {
    const truth = await expectExactCounters(t.prisma, batchId);
    expect(truth).toMatchObject({ total: ids.length, completed: ids.length });
    const calls = callsPerTask(receiver);
    const notOnce = ids.filter((id) => calls.get(id) !== 1).map((id) => `${id}: ${calls.get(id) ?? 0}`);
    expect(notOnce).toEqual([]);
  }

  it('recovers from Redis losing its data mid-batch: the reconciler re-enqueues, nothing is lost', async () => {
    const receiver = await receiverAnswering(slowish);
    const t = await app(receiver, { WORKER_CONCURRENCY: '16', RECONCILE_INTERVAL_MS: '300' });
    const { batchId, ids } = await submit(t, mixedGraph(300));

    await eventually(() => completedOf(t, batchId), (n) => n >= 90, '30% of the batch to complete');
    expect(await t.wipeRedis()).toBeGreaterThan(0);
    const done = await eventually(() => completedOf(t, batchId), () => true, 'a count');
    expect(done).toBeLessThan(ids.length); // the wipe really happened mid-batch

    const batch = await waitForBatch(t, batchId, 60_000);
    expect(batch.status).toBe('completed');
    await expectAllCompletedOnce(t, receiver, batchId, ids);
  });

  it('survives kill -9 of worker processes mid-batch: leases expire, the batch completes, counters exact', async () => {
    const receiver = await receiverAnswering(slowish);
    const t = await app(receiver, {
      PROCESS_ROLES: 'api,scheduler',
      TASK_LEASE_MS: '2000',
      RECONCILE_INTERVAL_MS: '300',
      RETRY_BACKOFF_BASE_MS: '50',
      RETRY_BACKOFF_MAX_MS: '200',
    });
    const env = { WORKER_CONCURRENCY: '16' };
    let worker = await workerProcess(t, env);
    const { batchId, ids } = await submit(t, mixedGraph(400));

    const kills = 2;
    for (let kill = 1; kill <= kills; kill++) {
      // Progress resumes within a lease (2 s) and a worker start after a kill; 30 s is plenty.
      await eventually(
        () => completedOf(t, batchId),
        (n) => n >= ids.length * 0.3 * kill,
        `${30 * kill}% of the batch to complete after ${kill - 1} kill(s)`,
        30_000,
      );
      await eventually(
        () => t.prisma.processingTask.count({ where: { batchId, status: 'processing' } }),
        (n) => n > 0,
        'a task in flight',
      );
      await worker.kill();
      worker = await workerProcess(t, env);
    }

    const batch = await waitForBatch(t, batchId, 30_000);
    expect(batch.status).toBe('completed');
    await expectExactCounters(t.prisma, batchId);
    const tasks = await t.prisma.processingTask.findMany({ where: { batchId } });
    expect(tasks.filter((task) => task.status !== 'completed')).toEqual([]);
    // The tasks in flight at a kill were recovered from their expired lease as a failed attempt.
    expect(tasks.some((task) => task.retryCount > 0)).toBe(true);
    expect(Math.max(...tasks.map((task) => task.retryCount))).toBeLessThanOrEqual(kills);
    const calls = callsPerTask(receiver);
    expect(ids.filter((id) => !calls.has(id))).toEqual([]);
    expect(Math.max(...calls.values())).toBeLessThanOrEqual(1 + kills);
  }, 120_000);

  it('runs a job again within the lease when the worker that fetched it died before claiming its task', async () => {
    const receiver = await receiverAnswering(ok);
    const t = await app(receiver, { PROCESS_ROLES: 'api,scheduler', TASK_LEASE_MS: '2000', RECONCILE_INTERVAL_MS: '300' });
    const { batchId, ids } = await submit(t, [batchTask('orphan')]);

    // A worker takes the job (BullMQ: active, locked for lockDuration) and dies at once: the task
    // is still queued in PostgreSQL and no process will ever claim it through that job.
    const doomed = new Worker(TASK_QUEUE, null, { connection: redisOptionsFromUrl(t.config.redis.url), prefix: t.queuePrefix, autorun: false });
    const job = await doomed.getNextJob('doomed-worker');
    expect(job?.data.taskId).toBe(ids[0]);
    await doomed.close(true);

    await inProcessWorker(t);
    // TASK_LEASE_MS bounds how long a dead worker can hold work; BullMQ's own stall detection
    // (lockDuration 30 s + stalledInterval 30 s by default) is far slower.
    const batch = await waitForBatch(t, batchId, 15_000);
    expect(batch.status).toBe('completed');
    expect(receiver.calls).toHaveLength(1);
    await expectExactCounters(t.prisma, batchId);
  }, 30_000);

  describe('a job delivered twice runs its task once', () => {
    it('when the duplicate is delivered while the task runs, and again after it completed', async () => {
      const receiver = await receiverAnswering(() => ({ status: 200, body: { ok: true }, delayMs: 400 }));
      const t = await app(receiver, { WORKER_CONCURRENCY: '4' });
      const queue = t.app.get(TaskQueue).queue;
      const { batchId, ids } = await submit(t, [batchTask('only')]);
      const data = { taskId: ids[0], generation: 0, batchId };

      await eventually(async () => receiver.calls.length, (n) => n === 1, 'the task to start');
      await queue.add('run', data, { jobId: `${ids[0]}.duplicate-1`, removeOnComplete: true });
      expect((await waitForBatch(t, batchId)).status).toBe('completed');
      await queue.add('run', data, { jobId: `${ids[0]}.duplicate-2`, removeOnComplete: true });
      await queueDrained(t);

      expect(receiver.calls).toHaveLength(1);
      const task = await t.prisma.processingTask.findUniqueOrThrow({ where: { id: ids[0] } });
      expect(task).toMatchObject({ status: 'completed', retryCount: 0, generation: 0 });
      await expectExactCounters(t.prisma, batchId);
    });

    it('when both copies are fetched back to back (they can share one claim transaction)', async () => {
      const receiver = await receiverAnswering(ok);
      // No worker yet: the queue is arranged first, then a worker fetches from it in order.
      const t = await app(receiver, { PROCESS_ROLES: 'api,scheduler' });
      const queue = t.app.get(TaskQueue).queue;
      const { batchId, ids } = await submit(t, Array.from({ length: 20 }, (_, i) => batchTask(`t${i}`)));
      await queue.drain();
      // Each job followed at once by its copy: a worker fetching t0, t0', t1, t1', ... while a
      // claim transaction is in flight collects a pair into the next claim group.
      await queue.addBulk(
        ids.flatMap((id) =>
          [`${id}.0`, `${id}.copy`].map((jobId) => ({ name: 'run', data: { taskId: id, generation: 0, batchId }, opts: { jobId } })),
        ),
      );

      await inProcessWorker(t, { WORKER_CONCURRENCY: '16' });
      expect((await waitForBatch(t, batchId)).status).toBe('completed');
      await queueDrained(t);
      await expectAllCompletedOnce(t, receiver, batchId, ids);
    });
  });

  it('runs each task of a 1,000-task batch exactly once with two worker processes', async () => {
    const receiver = await receiverAnswering(ok);
    const t = await app(receiver, { PROCESS_ROLES: 'api,scheduler', RECONCILE_INTERVAL_MS: '500' });
    const env = { WORKER_CONCURRENCY: '16' };
    await Promise.all([workerProcess(t, env), workerProcess(t, env)]);
    expect(await t.app.get(TaskQueue).queue.getWorkersCount()).toBe(2);

    // Wide (7 deep): hundreds of tasks ready at once, so both workers claim side by side.
    const { batchId, ids } = await submit(t, wideGraph(1000));
    const batch = await waitForBatch(t, batchId, 60_000);
    expect(batch.status).toBe('completed');
    await expectAllCompletedOnce(t, receiver, batchId, ids);
  }, 90_000);

  describe('graceful shutdown of a worker', () => {
    async function setUp(slowMs: number, workerEnv: Record<string, string> = { SHUTDOWN_GRACE_MS: '1000' }) {
      // The first attempt is slow; any later one answers at once.
      const receiver = await receiverAnswering((call) =>
        receiver.calls.filter((c) => c.body.taskId === call.body.taskId).length === 1
          ? { status: 200, body: { attempt: 1 }, delayMs: slowMs }
          : { status: 200, body: { attempt: 'later' } },
      );
      const t = await app(receiver, { PROCESS_ROLES: 'api,scheduler', RECONCILE_INTERVAL_MS: '300' });
      const first = await inProcessWorker(t, workerEnv);
      const { batchId, ids } = await submit(t, [batchTask('slow')]);
      await eventually(async () => receiver.calls.length, (n) => n === 1, 'the slow task to start');
      return { receiver, t, first, batchId, id: ids[0] };
    }

    it('lets a running task finish within SHUTDOWN_GRACE_MS', async () => {
      const { receiver, t, first, batchId, id } = await setUp(400);
      await first.close();

      const task = await t.prisma.processingTask.findUniqueOrThrow({ where: { id } });
      expect(task).toMatchObject({ status: 'completed', retryCount: 0, output: { attempt: 1 } });
      expect(receiver.aborted).toHaveLength(0);
      expect((await waitForBatch(t, batchId)).status).toBe('completed');
      await expectExactCounters(t.prisma, batchId);
    });

    it('keeps renewing the lease of a task it lets finish during the grace', async () => {
      // Lease 1 s, task 2.5 s, grace 5 s: finishing within the grace needs the heartbeat to go on.
      const { receiver, t, first, batchId, id } = await setUp(2500, { SHUTDOWN_GRACE_MS: '5000', TASK_LEASE_MS: '1000' });
      await first.close();

      const task = await t.prisma.processingTask.findUniqueOrThrow({ where: { id } });
      expect(task).toMatchObject({ status: 'completed', retryCount: 0, output: { attempt: 1 } });
      expect(receiver.calls).toHaveLength(1);
      await expectExactCounters(t.prisma, batchId);
    });

    it('hands a task still running after the grace back to the queue, not as a retry; another worker completes it', async () => {
      const { receiver, t, first, batchId, id } = await setUp(10_000);
      const started = Date.now();
      await first.close();
      expect(Date.now() - started).toBeLessThan(5_000);

      const handedBack = await t.prisma.processingTask.findUniqueOrThrow({ where: { id } });
      expect(handedBack).toMatchObject({ status: 'queued', retryCount: 0, generation: 1, error: null });
      await expectExactCounters(t.prisma, batchId);
      await eventually(async () => receiver.aborted.length, (n) => n === 1, 'the aborted request to be seen');

      await inProcessWorker(t);
      expect((await waitForBatch(t, batchId)).status).toBe('completed');
      const task = await t.prisma.processingTask.findUniqueOrThrow({ where: { id } });
      expect(task).toMatchObject({ status: 'completed', retryCount: 0, output: { attempt: 'later' } });
      expect(receiver.calls).toHaveLength(2);
      await expectExactCounters(t.prisma, batchId);
    });
  });

  it('stress: 3,000 tasks with concurrency 16 complete, each called once, counters exact', async () => {
    const receiver = await receiverAnswering(ok);
    const t = await app(receiver, { WORKER_CONCURRENCY: '16', MAX_BODY_BYTES: '4000000' });
    const { batchId, ids } = await submit(t, mixedGraph(3000));
    const batch = await waitForBatch(t, batchId, 60_000);
    expect(batch.status).toBe('completed');
    await expectAllCompletedOnce(t, receiver, batchId, ids);
    expect(t.app.get(TaskRunner).activeCount).toBe(0);
  }, 90_000);
});
