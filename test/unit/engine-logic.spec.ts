import { retryDelayMs } from '../../src/processing/backoff';
import { deriveBatchStatus } from '../../src/processing/batch-ledger';
import { GroupCommit } from '../../src/processing/group-commit';
import { retryAfterMs } from '../../src/processing/handlers/http-call.handler';
import { toQueuePriority } from '../../src/processing/task-queue';

describe(retryDelayMs.name, () => {
  const policy = { baseMs: 1000, factor: 2, maxMs: 10_000 };

  it('grows exponentially with jitter in the upper half', () => {
    expect(retryDelayMs(policy, 1, 0, () => 0)).toBe(500);
    expect(retryDelayMs(policy, 1, 0, () => 1)).toBe(1000);
    expect(retryDelayMs(policy, 3, 0, () => 0.5)).toBe(3000);
  });

  it('is capped', () => {
    expect(retryDelayMs(policy, 20, 0, () => 1)).toBe(10_000);
  });

  it('waits at least as long as Retry-After asks', () => {
    expect(retryDelayMs(policy, 1, 7000, () => 0)).toBe(7000);
  });
});

describe(deriveBatchStatus.name, () => {
  const batch = (c: Partial<Parameters<typeof deriveBatchStatus>[1]>) => ({
    totalTasks: 4,
    queuedTasks: 0,
    processingTasks: 0,
    completedTasks: 0,
    failedTasks: 0,
    cancelledTasks: 0,
    cancelledAt: null,
    ...c,
  });

  it.each([
    ['nothing started', { queuedTasks: 4 }, 'queued'],
    ['a task running', { queuedTasks: 3, processingTasks: 1 }, 'processing'],
    ['some done, some waiting', { queuedTasks: 2, completedTasks: 2 }, 'processing'],
    ['only a failure so far', { queuedTasks: 3, failedTasks: 1 }, 'processing'],
    ['all completed', { completedTasks: 4 }, 'completed'],
    ['some failed', { completedTasks: 3, failedTasks: 1 }, 'completed_with_errors'],
    ['some cancelled', { completedTasks: 3, cancelledTasks: 1 }, 'completed_with_errors'],
    ['none completed', { failedTasks: 3, cancelledTasks: 1 }, 'failed'],
    ['all cancelled', { cancelledTasks: 4 }, 'cancelled'],
    ['cancelled by the client', { completedTasks: 2, cancelledTasks: 2, cancelledAt: new Date() }, 'cancelled'],
  ])('%s -> %s', (_name, counters, status) => {
    expect(deriveBatchStatus('queued', batch(counters))).toBe(status);
  });

  it('keeps a started batch processing when its only started task goes back to queued for a retry', () => {
    expect(deriveBatchStatus('processing', batch({ queuedTasks: 4 }))).toBe('processing');
    expect(deriveBatchStatus('queued', batch({ queuedTasks: 4 }))).toBe('queued');
  });
});

describe(GroupCommit.name, () => {
  it('groups requests that arrive while a flush runs', async () => {
    const groups: number[][] = [];
    const commit = new GroupCommit<number, number>(async (items) => {
      groups.push(items);
      await new Promise((resolve) => setTimeout(resolve, 10));
      return items.map((n) => n * 2);
    }, 3);
    const results = await Promise.all([1, 2, 3, 4, 5].map((n) => commit.submit(n)));
    expect(results).toEqual([2, 4, 6, 8, 10]);
    expect(groups).toEqual([[1, 2, 3], [4, 5]]);
  });

  it('rejects every request of a failed group and keeps serving', async () => {
    let fail = true;
    const commit = new GroupCommit<number, number>(async (items) => {
      if (fail) throw new Error('db down');
      return items;
    });
    await expect(Promise.all([commit.submit(1), commit.submit(2)])).rejects.toThrow('db down');
    fail = false;
    await expect(commit.submit(3)).resolves.toBe(3);
  });
});

describe(retryAfterMs.name, () => {
  it('reads seconds and HTTP dates', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
  });
});

describe(toQueuePriority.name, () => {
  it('maps higher priorities to lower BullMQ numbers, all within BullMQ range', () => {
    expect(toQueuePriority(1000, true)).toBe(1);
    expect(toQueuePriority(-1000)).toBe(4002);
    expect(toQueuePriority(-1000)).toBeLessThan(2 ** 21);
    expect(toQueuePriority(5)).toBeLessThan(toQueuePriority(4));
  });

  it('puts released dependents before fresh tasks of the same priority, never before a higher priority', () => {
    expect(toQueuePriority(0, true)).toBeLessThan(toQueuePriority(0));
    expect(toQueuePriority(1)).toBeLessThan(toQueuePriority(0, true));
  });
});
