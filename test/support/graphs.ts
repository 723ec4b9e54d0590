import { httpCallInput, mixedGraph } from './factories';

type GraphTask = ReturnType<typeof mixedGraph>[number];

/**
 * `size` tasks in independent groups of 10: a root fanning out to four tasks, which fan in to
 * one, followed by a chain of four; 7 deep whatever the size. Many tasks are ready at once, so
 * it measures throughput and stresses concurrent claims, where mixedGraph (whose chain heads
 * form one chain, ~size/10 deep) measures the latency along a long dependency path.
 */
export function wideGraph(size: number, input: () => Record<string, unknown> = httpCallInput): GraphTask[] {
  const tasks: GraphTask[] = [];
  for (let i = 0; i < size; i++) {
    const base = i - (i % 10);
    const at = i % 10;
    const dependsOn =
      at === 0 ? [] : at <= 4 ? [`t${base}`] : at === 5 ? [1, 2, 3, 4].map((k) => `t${base + k}`) : [`t${i - 1}`];
    tasks.push({ ref: `t${i}`, taskType: 'http_call', input: input(), dependsOn: dependsOn.filter((ref) => Number(ref.slice(1)) < size) });
  }
  return tasks;
}
