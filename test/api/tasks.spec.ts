import { TasksService } from '../../src/tasks/tasks.service';
import { batchBody, batchTask, httpCallInput, rowCounts } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';

const UNKNOWN_ID = '01890000-0000-7000-8000-000000000000';

describe(TasksService.name, () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ PROCESS_ROLES: 'api' });
  });
  afterAll(() => t.close());

  const standalone = (overrides: Record<string, unknown> = {}) =>
    t.request('POST', '/tasks', { taskType: 'http_call', input: httpCallInput(), ...overrides });

  describe('POST /tasks', () => {
    it('creates a standalone task with no batch', async () => {
      const res = await standalone({ priority: -5, meetingRecordId: 'meeting-9' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ batchId: null, ref: null, status: 'queued', priority: -5, meetingRecordId: 'meeting-9', maxRetries: 3 });
      const read = await t.request('GET', `/tasks/${res.body.id}`);
      expect(read.body).toEqual(res.body);
    });

    it('depends on existing tasks and counts the unfinished ones', async () => {
      const a = await standalone();
      const b = await standalone();
      await t.prisma.processingTask.update({ where: { id: b.body.id }, data: { status: 'completed' } });
      const c = await standalone({ dependsOn: [a.body.id, b.body.id] });
      expect(c.status).toBe(201);
      expect(c.body.pendingDependencies).toBe(1);
      const deps = await t.request('GET', `/tasks/${c.body.id}/dependencies`);
      expect(deps.body.map((d: { task: { id: string } }) => d.task.id).sort()).toEqual([a.body.id, b.body.id].sort());
    });

    it.each([
      ['an unknown dependency', { dependsOn: [UNKNOWN_ID] }, 400, 'unknown_dependency'],
      ['a malformed dependency id', { dependsOn: ['nope'] }, 400, 'validation_failed'],
      ['a missing input', { input: undefined }, 400, 'validation_failed'],
      ['an unknown endpoint', { input: httpCallInput({ endpoint: 'x' }) }, 400, 'invalid_task_input'],
      ['a timeout below the minimum', { timeoutMs: 5 }, 400, 'validation_failed'],
    ])('rejects %s and writes nothing', async (_name, overrides, status, code) => {
      const before = await rowCounts(t.prisma);
      const res = await standalone(overrides);
      expect(res.status).toBe(status);
      expect(res.body.code).toBe(code);
      expect(await rowCounts(t.prisma)).toEqual(before);
    });

    it('refuses to wait for a failed task (it would never run)', async () => {
      const failed = await standalone();
      await t.prisma.processingTask.update({ where: { id: failed.body.id }, data: { status: 'failed' } });
      const before = await rowCounts(t.prisma);
      const res = await standalone({ dependsOn: [failed.body.id] });
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('dependency_not_runnable');
      expect(await rowCounts(t.prisma)).toEqual(before);
    });
  });

  describe('GET /tasks', () => {
    it('filters by batchId, status, taskType and meetingRecordId with cursor pages', async () => {
      const batch = await t.request('POST', '/batches', batchBody([
        batchTask('a', [], { meetingRecordId: 'rec-42' }),
        batchTask('b', [], { meetingRecordId: 'rec-42' }),
        batchTask('c', [], { meetingRecordId: 'rec-43' }),
      ]));
      const ids = batch.body.tasks.map((task: { id: string }) => task.id);

      const byBatch = await t.request('GET', `/tasks?batchId=${batch.body.id}&limit=2`);
      expect(byBatch.body.data.map((task: { id: string }) => task.id)).toEqual([ids[2], ids[1]]);
      const next = await t.request('GET', `/tasks?batchId=${batch.body.id}&limit=2&cursor=${byBatch.body.nextCursor}`);
      expect(next.body.data.map((task: { id: string }) => task.id)).toEqual([ids[0]]);
      expect(next.body.nextCursor).toBeNull();

      const byMeeting = await t.request('GET', '/tasks?meetingRecordId=rec-42&taskType=http_call&status=queued');
      expect(byMeeting.body.data.map((task: { id: string }) => task.id)).toEqual([ids[1], ids[0]]);
    });

    it.each([
      ['/tasks?batchId=nope', 'batchId'],
      ['/tasks?status=done', 'status'],
      ['/tasks?taskType=x', 'taskType'],
      ['/tasks?limit=100000', 'limit'],
      ['/tasks?unknown=1', 'unknown'],
    ])('GET %s is a 400 naming %s', async (url, field) => {
      const res = await t.request('GET', url);
      expect(res.status).toBe(400);
      expect(res.body.details.map((d: { field: string }) => d.field)).toContain(field);
    });

    it('answers 404 for an unknown task and 400 for a malformed id', async () => {
      expect((await t.request('GET', `/tasks/${UNKNOWN_ID}`)).body).toMatchObject({ statusCode: 404, code: 'task_not_found' });
      expect((await t.request('GET', '/tasks/123')).body).toMatchObject({ statusCode: 400, code: 'invalid_id' });
    });
  });
});
