import type { PrismaService } from '../../src/prisma/prisma.service';
import type { TestApp } from './test-app';

/** Waits until `predicate` holds, polling; fails with `what` after `timeoutMs`. */
export async function eventually<T>(probe: () => Promise<T>, predicate: (value: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (!predicate(value)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await probe();
  }
  return value;
}

const TERMINAL = ['completed', 'completed_with_errors', 'failed', 'cancelled'];

export async function waitForBatch(t: TestApp, batchId: string, timeoutMs = 30_000) {
  return eventually(
    async () => (await t.request('GET', `/batches/${batchId}`)).body,
    (batch) => TERMINAL.includes(batch.status),
    `batch ${batchId} to finish`,
    timeoutMs,
  );
}

/** The batch's counters next to the real task counts by status; they must be equal. */
export async function countersAndTruth(prisma: PrismaService, batchId: string) {
  const batch = await prisma.processingBatch.findUniqueOrThrow({ where: { id: batchId } });
  const groups = await prisma.processingTask.groupBy({ by: ['status'], where: { batchId }, _count: true });
  const count = (status: string) => groups.find((g) => g.status === status)?._count ?? 0;
  return {
    counters: {
      total: batch.totalTasks,
      queued: batch.queuedTasks,
      processing: batch.processingTasks,
      completed: batch.completedTasks,
      failed: batch.failedTasks,
      cancelled: batch.cancelledTasks,
    },
    truth: {
      total: groups.reduce((n, g) => n + g._count, 0),
      queued: count('queued'),
      processing: count('processing'),
      completed: count('completed'),
      failed: count('failed'),
      cancelled: count('cancelled'),
    },
  };
}

export async function expectExactCounters(prisma: PrismaService, batchId: string) {
  const { counters, truth } = await countersAndTruth(prisma, batchId);
  expect(counters).toEqual(truth);
  return truth;
}
