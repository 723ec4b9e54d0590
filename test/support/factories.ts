import type { PrismaService } from '../../src/prisma/prisma.service';

/** Endpoint name configured in tests for http_call inputs. */
export const TEST_ENDPOINT = 'media-svc';

export function httpCallInput(overrides: Record<string, unknown> = {}) {
  return { endpoint: TEST_ENDPOINT, path: '/work', payload: { n: 1 }, ...overrides };
}

export function batchTask(ref: string, dependsOn: string[] = [], overrides: Record<string, unknown> = {}) {
  return { ref, taskType: 'http_call', input: httpCallInput(), dependsOn, ...overrides };
}

export function batchBody(tasks: unknown[], overrides: Record<string, unknown> = {}) {
  return { name: 'test batch', batchType: 'media', tasks, ...overrides };
}

/** Row counts of every table: "nothing was written" is these staying equal. */
export async function rowCounts(prisma: PrismaService) {
  const [batches, tasks, dependencies, subscriptions, deliveries] = await Promise.all([
    prisma.processingBatch.count(),
    prisma.processingTask.count(),
    prisma.taskDependency.count(),
    prisma.webhookSubscription.count(),
    prisma.webhookDelivery.count(),
  ]);
  return { batches, tasks, dependencies, subscriptions, deliveries };
}

/** A graph of `size` tasks mixing chains, fan-out and fan-in, with about `size` edges. */
export function mixedGraph(size: number, input: () => Record<string, unknown> = httpCallInput) {
  const tasks: Array<{ ref: string; taskType: string; input: Record<string, unknown>; dependsOn: string[] }> = [];
  for (let i = 0; i < size; i++) {
    const dependsOn: string[] = [];
    const group = i % 10;
    if (group > 0) dependsOn.push(`t${i - 1}`); // chains of 10
    if (group === 9 && i >= 19) dependsOn.push(`t${i - 10}`); // fan-in from the previous chain's end
    if (i > 0 && group === 0) dependsOn.push(`t${i - 10}`); // fan-out from the previous chain's head
    tasks.push({ ref: `t${i}`, taskType: 'http_call', input: input(), dependsOn });
  }
  return tasks;
}
