import { InvalidRequestError } from '../../src/common/domain-errors';
import { buildBatchGraph, findCycle } from '../../src/batches/batch-graph';

function problemOf(fn: () => unknown): InvalidRequestError {
  try {
    fn();
  } catch (error) {
    if (error instanceof InvalidRequestError) return error;
    throw error;
  }
  throw new Error('expected an InvalidRequestError');
}

describe(buildBatchGraph.name, () => {
  it('returns edges and dependency counts of a diamond', () => {
    const graph = buildBatchGraph([
      { ref: 'a' },
      { ref: 'b', dependsOn: ['a'] },
      { ref: 'c', dependsOn: ['a'] },
      { ref: 'd', dependsOn: ['b', 'c'] },
    ]);
    expect(graph.edges).toEqual([
      [1, 0],
      [2, 0],
      [3, 1],
      [3, 2],
    ]);
    expect(graph.dependencyCounts).toEqual([0, 1, 1, 2]);
  });

  it('reports duplicate refs, unknown refs, self-edges and duplicate edges together', () => {
    const error = problemOf(() =>
      buildBatchGraph([
        { ref: 'a', dependsOn: ['a'] },
        { ref: 'a' },
        { ref: 'b', dependsOn: ['zzz', 'a', 'a'] },
      ]),
    );
    expect(error.code).toBe('invalid_dependency_graph');
    expect(error.details).toEqual([
      { field: 'tasks[1].ref', message: 'duplicate ref "a" (first used by tasks[0])' },
      { field: 'tasks[0].dependsOn[0]', message: 'task "a" depends on itself' },
      { field: 'tasks[2].dependsOn[0]', message: 'unknown ref "zzz"' },
      { field: 'tasks[2].dependsOn[2]', message: 'duplicate dependency "b" -> "a"' },
    ]);
  });

  it('names the path of a cycle', () => {
    const error = problemOf(() =>
      buildBatchGraph([
        { ref: 'start' },
        { ref: 'a', dependsOn: ['start', 'c'] },
        { ref: 'b', dependsOn: ['a'] },
        { ref: 'c', dependsOn: ['b'] },
      ]),
    );
    expect(error.code).toBe('dependency_cycle');
    expect(error.message).toBe('dependency cycle: a -> c -> b -> a');
  });
});

describe(findCycle.name, () => {
  it('walks a 100,000-node chain without overflowing the stack', () => {
    const chain = Array.from({ length: 100_000 }, (_, i) => (i + 1 < 100_000 ? [i + 1] : []));
    expect(findCycle(chain)).toBeUndefined();
    chain[99_999] = [0];
    expect(findCycle(chain)).toHaveLength(100_001);
  });

  it('finds no cycle in a wide fan-in', () => {
    const adjacency = [Array.from({ length: 1000 }, (_, i) => i + 1), ...Array.from({ length: 1000 }, () => [])];
    expect(findCycle(adjacency)).toBeUndefined();
  });
});
