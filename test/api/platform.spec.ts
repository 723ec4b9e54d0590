import { startTestApp, TestApp, TEST_API_KEY } from '../support/test-app';

describe('platform: auth, health, OpenAPI', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ PROCESS_ROLES: 'api' });
  });
  afterAll(() => t.close());

  it.each([
    ['no key', {}],
    ['a wrong bearer key', { authorization: 'Bearer wrong' }],
    ['a wrong X-API-Key', { 'x-api-key': 'wrong' }],
    ['a prefix of a real key', { authorization: `Bearer ${TEST_API_KEY.slice(0, -1)}` }],
  ])('refuses %s with 401', async (_name, headers) => {
    const res = await t.app.inject({ method: 'GET', url: '/batches', headers });
    expect(res.statusCode).toBe(401);
    expect(JSON.parse(res.body)).toMatchObject({ statusCode: 401, code: 'unauthorized' });
  });

  it('accepts any configured key as bearer or X-API-Key', async () => {
    for (const headers of [{ authorization: `Bearer ${TEST_API_KEY}` }, { 'x-api-key': 'second-key' }]) {
      const res = await t.app.inject({ method: 'GET', url: '/batches', headers });
      expect(res.statusCode).toBe(200);
    }
  });

  it('serves health without a key; ready checks PostgreSQL and Redis', async () => {
    const live = await t.app.inject({ method: 'GET', url: '/health/live' });
    expect(live.statusCode).toBe(200);
    const ready = await t.app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(JSON.parse(ready.body)).toEqual({ status: 'ok', checks: { postgres: 'ok', redis: 'ok' } });
  });

  it('answers unknown routes with 404 in the error format', async () => {
    const res = await t.request('GET', '/nowhere');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ statusCode: 404, code: expect.any(String), message: expect.any(String) });
  });

  describe('OpenAPI', () => {
    let doc: any;
    beforeAll(async () => {
      const res = await t.app.inject({ method: 'GET', url: '/docs-json' });
      expect(res.statusCode).toBe(200);
      doc = JSON.parse(res.body);
    });

    it('serves Swagger UI without a key', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/docs' });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('swagger-ui');
    });

    it('gives every operation a unique operationId, a typed success response and documented errors', () => {
      const ids: string[] = [];
      for (const [path, item] of Object.entries<any>(doc.paths)) {
        for (const [method, op] of Object.entries<any>(item)) {
          ids.push(op.operationId);
          expect(op.operationId).toMatch(/^[a-z][A-Za-z]+$/);
          const success = Object.keys(op.responses).find((s) => s.startsWith('2'));
          expect({ path, method, success }).toEqual({ path, method, success: expect.any(String) });
          if (!path.startsWith('/health')) {
            expect({ path, method, has401: '401' in op.responses }).toEqual({ path, method, has401: true });
            expect(op.responses['401'].content['application/json'].schema.$ref).toBe('#/components/schemas/ErrorResponseDto');
          }
          const content = op.responses[success!].content;
          if (content) expect(Object.values<any>(content)[0].schema).toBeDefined();
        }
      }
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toEqual(expect.arrayContaining(['createBatch', 'listBatches', 'getBatch', 'listBatchTasks', 'createTask', 'listTasks', 'getTask', 'listTaskDependencies', 'listTaskDependents', 'addTaskDependency', 'removeTaskDependency']));
    });

    it('documents request bodies from the DTOs, JSDoc included', () => {
      const create = doc.components.schemas.CreateBatchDto;
      expect(create.required).toEqual(expect.arrayContaining(['batchType', 'tasks']));
      expect(create.properties.name.description).toBe('Human-readable name.');
      const task = doc.components.schemas.BatchTaskDto;
      expect(task.properties.ref.description).toMatch(/unique within the batch/);
      expect(task.properties.input.oneOf).toEqual([{ $ref: '#/components/schemas/HttpCallInputDto' }]);
      expect(doc.components.schemas.HttpCallInputDto.properties.endpoint).toBeDefined();
    });

    it('documents every enum value', () => {
      expect(doc.components.schemas.JobStatus.enum).toEqual(['queued', 'processing', 'completed', 'completed_with_errors', 'failed', 'cancelled']);
      expect(doc.components.schemas.TaskType.enum).toEqual(['http_call']);
      const statusDoc = doc.components.schemas.BatchResponseDto.properties.status.description;
      for (const value of doc.components.schemas.JobStatus.enum) expect(statusDoc).toContain(`\`${value}\``);
    });

    it('types every id path parameter as a UUID', () => {
      const params = Object.entries<any>(doc.paths).flatMap(([path, item]) =>
        Object.values<any>(item).flatMap((op) => (op.parameters ?? []).filter((p: any) => p.in === 'path').map((p: any) => ({ path, ...p }))),
      );
      expect(params.length).toBeGreaterThan(10);
      for (const p of params) expect({ path: p.path, name: p.name, format: p.schema.format }).toEqual({ path: p.path, name: p.name, format: 'uuid' });
    });

    it('declares both ways to pass the API key', () => {
      expect(doc.components.securitySchemes).toMatchObject({
        bearer: { type: 'http', scheme: 'bearer' },
        'api-key': { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      });
    });
  });
});
