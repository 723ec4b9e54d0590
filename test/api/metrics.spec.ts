import { MetricsController } from '../../src/metrics/metrics.controller';
import { batchBody, batchTask } from '../support/factories';
import { waitForBatch } from '../support/engine';
import { TestReceiver } from '../support/receiver';
import { startTestApp, TestApp } from '../support/test-app';

describe(MetricsController.name, () => {
  let t: TestApp;
  const receiver = new TestReceiver();

  beforeAll(async () => {
    await receiver.start();
    t = await startTestApp({ HTTP_CALL_ENDPOINTS: `media-svc=${receiver.url}` });
  });
  afterAll(async () => {
    await t.close();
    await receiver.stop();
  });

  it('exposes task, HTTP and queue figures in Prometheus text format', async () => {
    receiver.respond = (call) => (call.body.ref === 'bad' ? { status: 400 } : { status: 200, body: {} });
    const res = await t.request('POST', '/batches', batchBody([batchTask('a'), batchTask('b', ['a']), batchTask('bad', [], { maxRetries: 0 })]));
    await waitForBatch(t, res.body.id);

    const metrics = await t.request('GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.raw.headers['content-type']).toMatch(/^text\/plain/);
    const text: string = metrics.raw.body;
    expect(text).toContain('batchsvc_task_attempts_total{task_type="http_call",outcome="completed"} 2');
    expect(text).toContain('batchsvc_task_attempts_total{task_type="http_call",outcome="failed"} 1');
    expect(text).toMatch(/batchsvc_http_request_duration_seconds_count\{method="POST",route="\/batches",status_code="201"\} 1/);
    expect(text).toMatch(/batchsvc_http_request_duration_seconds_count\{method="GET",route="\/batches\/:id",status_code="200"\} \d+/);
    expect(text).toMatch(/batchsvc_queue_jobs\{state="waiting"\} 0/);
    expect(text).toContain('batchsvc_process_cpu_seconds_total');
  });

  it('needs an API key', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(401);
  });
});
