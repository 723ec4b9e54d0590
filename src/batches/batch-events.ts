import type { ProcessingBatch } from '../generated/prisma/client';

/** The batch summary carried by batch.* events: ids, status and counters, never metadata blobs. */
export function batchEventData(batch: ProcessingBatch): Record<string, unknown> {
  return {
    batchId: batch.id,
    name: batch.name,
    batchType: batch.batchType,
    status: batch.status,
    totalTasks: batch.totalTasks,
    queuedTasks: batch.queuedTasks,
    processingTasks: batch.processingTasks,
    completedTasks: batch.completedTasks,
    failedTasks: batch.failedTasks,
    cancelledTasks: batch.cancelledTasks,
  };
}
