import { BatchesService } from '../../src/batches/batches.service';
import { batchBody, batchTask, httpCallInput, mixedGraph, rowCounts } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';

describe(BatchesService.name, () => {
  let t: TestApp;

  beforeAll(async () => {
    // No worker: these tests read what the API wrote, before anything runs.
    t = await startTestApp({ PROCESS_ROLES: 'api', MAX_TASKS_PER_BATCH: '5000', MAX_BODY_BYTES: '2000000' });
  });
  afterAll(() => t.close());

  describe('POST /batches', () => {
    it('creates the batch, its tasks and edges, mapping refs to ids', async () => {
      const res = await t.request('POST', '/batches', batchBody([
        batchTask('a'),
        batchTask('b', ['a'], { priority: 7, maxRetries: 1, meetingRecordId: 'm-1', timeoutMs: 5000 }),
        batchTask('c', ['a', 'b']),
      ], { priority: 3, metadata: { customer: 'acme', urgent: true } }));

      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        batchType: 'media',
        status: 'queued',
        totalTasks: 3,
        queuedTasks: 3,
        processingTasks: 0,
        completedTasks: 0,
        failedTasks: 0,
        cancelledTasks: 0,
        progress: 0,
        priority: 3,
        metadata: { customer: 'acme', urgent: true },
      });
      const [a, b, c] = res.body.tasks;
      expect([a.ref, b.ref, c.ref]).toEqual(['a', 'b', 'c']);
      expect(a).toMatchObject({ priority: 3, maxRetries: 3, pendingDependencies: 0, status: 'queued', batchId: res.body.id });
      expect(b).toMatchObject({ priority: 7, maxRetries: 1, meetingRecordId: 'm-1', timeoutMs: 5000, pendingDependencies: 1 });
      expect(c.pendingDependencies).toBe(2);
      expect(a.input).toEqual({ ...httpCallInput(), method: 'POST' });

      const edges = await t.prisma.taskDependency.findMany({ where: { dependentTaskId: c.id } });
      expect(edges.map((e) => e.dependencyTaskId).sort()).toEqual([a.id, b.id].sort());

      const read = await t.request('GET', `/batches/${res.body.id}`);
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({ id: res.body.id, totalTasks: 3, queuedTasks: 3 });
      expect(read.body.tasks).toBeUndefined();
    });

    it('enqueues only the tasks with no dependencies', async () => {
      const res = await t.request('POST', '/batches', batchBody([batchTask('root'), batchTask('leaf', ['root'])]));
      const [root, leaf] = res.body.tasks;
      const queue = await import('../../src/processing/task-queue');
      const taskQueue = t.app.get(queue.TaskQueue);
      expect(await taskQueue.queue.getJob(`${root.id}.0`)).toBeDefined();
      expect(await taskQueue.queue.getJob(`${leaf.id}.0`)).toBeUndefined();
    });

    const badGraphs: Array<[string, unknown[], string, RegExp]> = [
      ['an unknown ref', [batchTask('a', ['nope'])], 'tasks[0].dependsOn[0]', /unknown ref "nope"/],
      ['a duplicate ref', [batchTask('a'), batchTask('a')], 'tasks[1].ref', /duplicate ref "a"/],
      ['a self-dependency', [batchTask('a', ['a'])], 'tasks[0].dependsOn[0]', /depends on itself/],
      ['a duplicate edge', [batchTask('a'), batchTask('b', ['a', 'a'])], 'tasks[1].dependsOn[1]', /duplicate dependency "b" -> "a"/],
      ['a cycle', [batchTask('x', ['z']), batchTask('y', ['x']), batchTask('z', ['y'])], 'tasks[0].dependsOn', /x -> z -> y -> x/],
    ];
    it.each(badGraphs)('rejects %s with a 400 naming it and writes nothing', async (_name, tasks, field, message) => {
      const before = await rowCounts(t.prisma);
      const res = await t.request('POST', '/batches', batchBody(tasks));
      expect(res.status).toBe(400);
      expect(res.body.statusCode).toBe(400);
      expect(res.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field, message: expect.stringMatching(message) })]));
      expect(await rowCounts(t.prisma)).toEqual(before);
    });

    const badBodies: Array<[string, unknown, string]> = [
      ['no tasks', batchBody([]), 'tasks'],
      ['an unknown batchType', batchBody([batchTask('a')], { batchType: 'video' }), 'batchType'],
      ['an unknown taskType', batchBody([batchTask('a', [], { taskType: 'teleport' })]), 'tasks[0].taskType'],
      ['an unknown property', batchBody([batchTask('a')], { colour: 'red' }), 'colour'],
      ['a bad ref', batchBody([batchTask('has space')]), 'tasks[0].ref'],
      ['a non-integer priority', batchBody([batchTask('a', [], { priority: 1.5 })]), 'tasks[0].priority'],
      ['a priority out of range', batchBody([batchTask('a')], { priority: 5000 }), 'priority'],
      ['negative maxRetries', batchBody([batchTask('a', [], { maxRetries: -1 })]), 'tasks[0].maxRetries'],
      ['nested metadata', batchBody([batchTask('a')], { metadata: { deep: { no: 1 } } }), 'metadata'],
      ['an array input', batchBody([batchTask('a', [], { input: [1] })]), 'tasks[0].input'],
      ['an input missing its endpoint', batchBody([batchTask('a', [], { input: { path: '/x' } })]), 'tasks[0].input.endpoint'],
      ['an input with an unknown key', batchBody([batchTask('a', [], { input: { ...httpCallInput(), url: 'http://evil' } })]), 'tasks[0].input.url'],
      ['an unconfigured endpoint', batchBody([batchTask('a', [], { input: httpCallInput({ endpoint: 'elsewhere' }) })]), 'tasks[0].input.endpoint'],
    ];
    it.each(badBodies)('rejects %s with a field-level 400 and writes nothing', async (_name, body, field) => {
      const before = await rowCounts(t.prisma);
      const res = await t.request('POST', '/batches', body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(res.body.details.map((d: { field: string }) => d.field)).toContain(field);
      expect(await rowCounts(t.prisma)).toEqual(before);
    });

    it('rejects malformed JSON with a 400 in the same error format', async () => {
      const res = await t.request('POST', '/batches', '{"tasks": [', { 'content-type': 'application/json' });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request', code: expect.any(String) });
    });

    it('rejects more tasks than MAX_TASKS_PER_BATCH with a 413', async () => {
      const before = await rowCounts(t.prisma);
      const res = await t.request('POST', '/batches', batchBody(mixedGraph(5001)));
      expect(res.status).toBe(413);
      expect(res.body).toMatchObject({ code: 'too_many_tasks', message: expect.stringContaining('at most 5000') });
      expect(await rowCounts(t.prisma)).toEqual(before);
    });

    it('rejects a body over MAX_BODY_BYTES with a 413', async () => {
      const res = await t.request('POST', '/batches', batchBody([batchTask('a')], { name: 'x'.repeat(2_100_000) }));
      expect(res.status).toBe(413);
      expect(res.body).toMatchObject({ statusCode: 413, error: 'Payload Too Large' });
    });

    it('round-trips a large graph of chains, fan-out and fan-in', async () => {
      const tasks = mixedGraph(4000);
      const edgeCount = tasks.reduce((n, task) => n + task.dependsOn.length, 0);
      const res = await t.request('POST', '/batches', batchBody(tasks));
      expect(res.status).toBe(201);
      expect(res.body.totalTasks).toBe(4000);
      const idOf = new Map<string, string>(res.body.tasks.map((task: { ref: string; id: string }) => [task.ref, task.id]));

      const stored = await t.prisma.taskDependency.findMany({
        where: { dependentTask: { batchId: res.body.id } },
        select: { dependentTaskId: true, dependencyTaskId: true },
      });
      expect(stored).toHaveLength(edgeCount);
      const expected = tasks.flatMap((task) => task.dependsOn.map((dep) => `${idOf.get(task.ref)}>${idOf.get(dep)}`)).sort();
      expect(stored.map((e) => `${e.dependentTaskId}>${e.dependencyTaskId}`).sort()).toEqual(expected);

      const pending = await t.prisma.processingTask.findMany({ where: { batchId: res.body.id }, select: { ref: true, pendingDependencies: true } });
      const byRef = new Map(tasks.map((task) => [task.ref, task.dependsOn.length]));
      for (const row of pending) expect(row.pendingDependencies).toBe(byRef.get(row.ref!));

      // Paging through the batch's tasks returns every task once, in submission order.
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { status: number; body: { data: Array<{ ref: string }>; nextCursor: string | null } } = await t.request(
          'GET',
          `/batches/${res.body.id}/tasks?limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(page.status).toBe(200);
        seen.push(...page.body.data.map((task) => task.ref));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(seen).toEqual(tasks.map((task) => task.ref));
    });
  });

  describe('GET /batches', () => {
    it('filters by status and batchType and pages newest first', async () => {
      const created: string[] = [];
      for (const batchType of ['document', 'document', 'document', 'transcription']) {
        const res = await t.request('POST', '/batches', batchBody([batchTask('a')], { batchType }));
        created.push(res.body.id);
      }
      const first = await t.request('GET', '/batches?batchType=document&limit=2');
      expect(first.status).toBe(200);
      expect(first.body.data.map((b: { id: string }) => b.id)).toEqual([created[2], created[1]]);
      const second = await t.request('GET', `/batches?batchType=document&limit=2&cursor=${first.body.nextCursor}`);
      expect(second.body.data.map((b: { id: string }) => b.id)).toEqual([created[0]]);
      expect(second.body.nextCursor).toBeNull();

      const queued = await t.request('GET', '/batches?status=queued&batchType=transcription');
      expect(queued.body.data.map((b: { id: string }) => b.id)).toEqual([created[3]]);
      const completed = await t.request('GET', '/batches?status=completed&batchType=transcription');
      expect(completed.body.data).toEqual([]);
    });

    it.each([
      ['/batches?status=bogus', 'status'],
      ['/batches?limit=0', 'limit'],
      ['/batches?limit=abc', 'limit'],
      ['/batches?cursor=not-a-cursor', 'cursor'],
      ['/batches/not-a-uuid', 'id'],
      ['/batches/not-a-uuid/tasks', 'id'],
    ])('GET %s is a 400 naming %s', async (url, field) => {
      const res = await t.request('GET', url);
      expect(res.status).toBe(400);
      expect(res.body.details.map((d: { field: string }) => d.field)).toContain(field);
    });

    it('answers 404 for an unknown batch', async () => {
      const id = '01890000-0000-7000-8000-000000000000';
      for (const url of [`/batches/${id}`, `/batches/${id}/tasks`]) {
        const res = await t.request('GET', url);
        expect(res.status).toBe(404);
        expect(res.body).toMatchObject({ code: 'batch_not_found', message: `Batch ${id} does not exist` });
      }
    });
  });

  describe('GET /batches/:id/tasks', () => {
    it('filters by status and taskType', async () => {
      const res = await t.request('POST', '/batches', batchBody([batchTask('a'), batchTask('b')]));
      await t.prisma.processingTask.update({ where: { id: res.body.tasks[1].id }, data: { status: 'failed' } });
      const failed = await t.request('GET', `/batches/${res.body.id}/tasks?status=failed&taskType=http_call`);
      expect(failed.body.data.map((task: { ref: string }) => task.ref)).toEqual(['b']);
    });
  });
});
