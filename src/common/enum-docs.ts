import { BatchType, JobStatus, TaskType } from '../generated/prisma/enums';

/** One place for what each enum value means; rendered into OpenAPI descriptions. */
export const BATCH_TYPE_DOCS: Record<BatchType, string> = {
  media: 'audio and video processing',
  document: 'document processing',
  transcription: 'speech-to-text work',
  mixed: 'tasks of several kinds',
};

export const JOB_STATUS_DOCS: Record<JobStatus, string> = {
  queued: 'waiting to run (or, for a batch, no task has started yet)',
  processing: 'running (for a batch: at least one task has started and some are unfinished)',
  completed: 'finished successfully (for a batch: every task completed)',
  completed_with_errors: 'batch only: finished, some tasks completed and some failed or were cancelled',
  failed: 'finished without success (for a batch: no task completed)',
  cancelled: 'cancelled by a client before it finished',
};

export const TASK_TYPE_DOCS: Record<TaskType, string> = {
  http_call: 'delegates the work to another company service: POSTs the input to an endpoint named in operator configuration and stores its JSON response',
};

export function describeEnum(summary: string, docs: Record<string, string>): string {
  return `${summary}\n\n${Object.entries(docs)
    .map(([value, meaning]) => `- \`${value}\`: ${meaning}`)
    .join('\n')}`;
}
