import { DependenciesService } from '../../src/dependencies/dependencies.service';
import { batchBody, batchTask, rowCounts } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';

const UNKNOWN_ID = '01890000-0000-7000-8000-000000000000';

describe(DependenciesService.name, () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ PROCESS_ROLES: 'api' });
  });
  afterAll(() => t.close());

  /** a <- b <- c (c depends on b, b on a), plus a free task d. */
  async function chain() {
    const res = await t.request('POST', '/batches', batchBody([batchTask('a'), batchTask('b', ['a']), batchTask('c', ['b']), batchTask('d')]));
    const [a, b, c, d] = res.body.tasks.map((task: { id: string }) => task.id);
    return { a, b, c, d };
  }

  const pendingOf = async (id: string) => (await t.prisma.processingTask.findUniqueOrThrow({ where: { id } })).pendingDependencies;

  it('lists dependencies and dependents with the task at the other end', async () => {
    const { a, b, c } = await chain();
    const deps = await t.request('GET', `/tasks/${b}/dependencies`);
    expect(deps.status).toBe(200);
    expect(deps.body).toEqual([expect.objectContaining({ dependentTaskId: b, dependencyTaskId: a, task: expect.objectContaining({ id: a, ref: 'a', status: 'queued' }) })]);
    const dependents = await t.request('GET', `/tasks/${b}/dependents`);
    expect(dependents.body).toEqual([expect.objectContaining({ dependentTaskId: c, dependencyTaskId: b, task: expect.objectContaining({ id: c, ref: 'c' }) })]);
  });

  it('adds an edge and counts it as pending, then removes it', async () => {
    const { a, d } = await chain();
    const added = await t.request('POST', `/tasks/${d}/dependencies`, { dependencyTaskId: a });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ dependentTaskId: d, dependencyTaskId: a, task: { id: a } });
    expect(await pendingOf(d)).toBe(1);

    const removed = await t.request('DELETE', `/tasks/${d}/dependencies/${a}`);
    expect(removed.status).toBe(204);
    expect(await pendingOf(d)).toBe(0);
    expect((await t.request('GET', `/tasks/${d}/dependencies`)).body).toEqual([]);
  });

  it('does not count an edge to a completed task as pending', async () => {
    const { a, d } = await chain();
    await t.prisma.processingTask.update({ where: { id: a }, data: { status: 'completed' } });
    await t.request('POST', `/tasks/${d}/dependencies`, { dependencyTaskId: a });
    expect(await pendingOf(d)).toBe(0);
  });

  it('rejects an edge that closes a cycle, naming the path, and writes nothing', async () => {
    const { a, b, c } = await chain();
    const before = await rowCounts(t.prisma);
    const res = await t.request('POST', `/tasks/${a}/dependencies`, { dependencyTaskId: c });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('dependency_cycle');
    expect(res.body.message).toBe(`dependency cycle: ${[a, c, b, a].join(' -> ')}`);
    expect(await rowCounts(t.prisma)).toEqual(before);
    expect(await pendingOf(a)).toBe(0);
  });

  it.each([
    ['a self-edge', (ids: Record<string, string>) => [ids.a, { dependencyTaskId: ids.a }], 400, 'self_dependency'],
    ['a duplicate edge', (ids: Record<string, string>) => [ids.b, { dependencyTaskId: ids.a }], 409, 'dependency_exists'],
    ['an unknown dependency', (ids: Record<string, string>) => [ids.a, { dependencyTaskId: UNKNOWN_ID }], 400, 'unknown_dependency'],
    ['an unknown task', (ids: Record<string, string>) => [UNKNOWN_ID, { dependencyTaskId: ids.a }], 404, 'task_not_found'],
    ['a malformed body', (ids: Record<string, string>) => [ids.a, { dependencyTaskId: 'x' }], 400, 'validation_failed'],
  ] as const)('rejects %s', async (_name, make, status, code) => {
    const ids = await chain();
    const [taskId, body] = make(ids);
    const before = await rowCounts(t.prisma);
    const res = await t.request('POST', `/tasks/${taskId}/dependencies`, body);
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(code);
    expect(await rowCounts(t.prisma)).toEqual(before);
  });

  it('changes edges only while the task is queued', async () => {
    const { a, b, d } = await chain();
    await t.prisma.processingTask.update({ where: { id: b }, data: { status: 'processing' } });
    const add = await t.request('POST', `/tasks/${b}/dependencies`, { dependencyTaskId: d });
    expect(add.status).toBe(409);
    expect(add.body.code).toBe('task_not_queued');
    const remove = await t.request('DELETE', `/tasks/${b}/dependencies/${a}`);
    expect(remove.status).toBe(409);
  });

  it('answers 404 when removing an edge that does not exist', async () => {
    const { a, d } = await chain();
    const res = await t.request('DELETE', `/tasks/${d}/dependencies/${a}`);
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('dependency_not_found');
  });

  it('keeps the graph acyclic when two opposite edges are added at once', async () => {
    const { a, d } = await chain();
    const [one, two] = await Promise.all([
      t.request('POST', `/tasks/${a}/dependencies`, { dependencyTaskId: d }),
      t.request('POST', `/tasks/${d}/dependencies`, { dependencyTaskId: a }),
    ]);
    expect([one.status, two.status].sort()).toEqual([201, 400]);
  });
});
