import { ErrorDetail, InvalidRequestError } from '../common/domain-errors';

export interface GraphNode {
  ref: string;
  dependsOn?: string[];
}

export interface BatchGraph {
  /** Edges as [dependentIndex, dependencyIndex] into the node array. */
  edges: Array<[number, number]>;
  /** Number of dependencies of each node. */
  dependencyCounts: number[];
}

/**
 * Validates a batch's dependency graph before anything is written: every ref unique, every
 * `dependsOn` naming a known ref, no self-edges, no duplicate edges, no cycles. All problems of
 * the first three kinds are reported at once; a cycle is reported with its path.
 */
export function buildBatchGraph(nodes: readonly GraphNode[]): BatchGraph {
  const indexOf = new Map<string, number>();
  const problems: ErrorDetail[] = [];

  nodes.forEach((node, i) => {
    if (indexOf.has(node.ref)) {
      problems.push({ field: `tasks[${i}].ref`, message: `duplicate ref "${node.ref}" (first used by tasks[${indexOf.get(node.ref)}])` });
    } else {
      indexOf.set(node.ref, i);
    }
  });

  const edges: Array<[number, number]> = [];
  const dependencyCounts = new Array<number>(nodes.length).fill(0);
  const adjacency: number[][] = nodes.map(() => []);
  nodes.forEach((node, i) => {
    const seen = new Set<string>();
    (node.dependsOn ?? []).forEach((ref, j) => {
      const field = `tasks[${i}].dependsOn[${j}]`;
      const target = indexOf.get(ref);
      if (ref === node.ref) problems.push({ field, message: `task "${ref}" depends on itself` });
      else if (target === undefined) problems.push({ field, message: `unknown ref "${ref}"` });
      else if (seen.has(ref)) problems.push({ field, message: `duplicate dependency "${node.ref}" -> "${ref}"` });
      else {
        edges.push([i, target]);
        adjacency[i].push(target);
        dependencyCounts[i]++;
      }
      seen.add(ref);
    });
  });

  if (problems.length > 0) {
    throw new InvalidRequestError('invalid_dependency_graph', summarize(problems), problems);
  }

  const cycle = findCycle(adjacency);
  if (cycle) {
    const path = cycle.map((i) => nodes[i].ref);
    throw new InvalidRequestError('dependency_cycle', `dependency cycle: ${path.join(' -> ')}`, [
      { field: `tasks[${cycle[0]}].dependsOn`, message: `cycle ${path.join(' -> ')}` },
    ]);
  }
  return { edges, dependencyCounts };
}

/**
 * Iterative depth-first search (graphs can be chains of thousands, deeper than the call stack).
 * Returns a cycle as node indexes with the first node repeated at the end, or undefined.
 */
export function findCycle(adjacency: readonly number[][]): number[] | undefined {
  const WHITE = 0;
  const GREY = 1;
  const BLACK = 2;
  const color = new Uint8Array(adjacency.length);
  const parent = new Int32Array(adjacency.length).fill(-1);
  const nextChild = new Uint32Array(adjacency.length);

  for (let root = 0; root < adjacency.length; root++) {
    if (color[root] !== WHITE) continue;
    const stack = [root];
    color[root] = GREY;
    while (stack.length > 0) {
      const node = stack[stack.length - 1];
      if (nextChild[node] < adjacency[node].length) {
        const child = adjacency[node][nextChild[node]++];
        if (color[child] === WHITE) {
          color[child] = GREY;
          parent[child] = node;
          stack.push(child);
        } else if (color[child] === GREY) {
          const cycle = [child];
          for (let at = node; at !== child; at = parent[at]) cycle.push(at);
          cycle.push(child);
          return cycle.reverse();
        }
      } else {
        color[node] = BLACK;
        stack.pop();
      }
    }
  }
  return undefined;
}

function summarize(problems: ErrorDetail[]): string {
  const head = problems.slice(0, 3).map((p) => `${p.field}: ${p.message}`);
  return `invalid dependency graph: ${head.join('; ')}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ''}`;
}
