import { deriveBatchStatus } from '../../src/processing/batch-ledger';
import { startTestApp, TestApp } from '../support/test-app';

describe('batch_status() in SQL', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ PROCESS_ROLES: 'api' });
  });
  afterAll(() => t.close());

  it('agrees with deriveBatchStatus for every previous status and way to spread 3 tasks over the task statuses', async () => {
    const cases: Array<[number, number, number, number, number, boolean, string]> = [];
    for (const previous of ['queued', 'processing', 'completed', 'failed', 'cancelled'])
      for (let q = 0; q <= 3; q++)
        for (let p = 0; p <= 3 - q; p++)
          for (let c = 0; c <= 3 - q - p; c++)
            for (let f = 0; f <= 3 - q - p - c; f++) {
              const x = 3 - q - p - c - f;
              cases.push([q, p, c, f, x, false, previous], [q, p, c, f, x, true, previous]);
            }
    const rows = await t.prisma.$queryRaw<Array<{ status: string }>>`
      SELECT batch_status(c.previous::"JobStatus", 3, c.q, c.p, c.c, c.f, c.x, CASE WHEN c.cancelled THEN now()::timestamp END)::text AS status
      FROM unnest(${cases.map((k) => k[0])}::int[], ${cases.map((k) => k[1])}::int[], ${cases.map((k) => k[2])}::int[],
        ${cases.map((k) => k[3])}::int[], ${cases.map((k) => k[4])}::int[], ${cases.map((k) => k[5])}::boolean[],
        ${cases.map((k) => k[6])}::text[])
        WITH ORDINALITY AS c(q, p, c, f, x, cancelled, previous, n)
      ORDER BY c.n`;
    const expected = cases.map(([q, p, c, f, x, cancelled, previous]) =>
      deriveBatchStatus(previous as 'queued', {
        totalTasks: 3,
        queuedTasks: q,
        processingTasks: p,
        completedTasks: c,
        failedTasks: f,
        cancelledTasks: x,
        cancelledAt: cancelled ? new Date() : null,
      }),
    );
    expect(rows.map((r) => r.status)).toEqual(expected);
    expect(new Set(expected).size).toBe(6);
  });
});
