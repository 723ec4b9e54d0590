import { applyDecorators, Injectable, SetMetadata } from '@nestjs/common';
import { TaskType } from '../generated/prisma/enums';

export const TASK_HANDLER_TYPE = Symbol('TASK_HANDLER_TYPE');

/** Registers a provider as the handler of one task type; startup fails on gaps or doubles. */
export const TaskHandler = (type: TaskType) => applyDecorators(Injectable(), SetMetadata(TASK_HANDLER_TYPE, type));

export interface DependencyOutput {
  taskId: string;
  ref: string | null;
  output: Record<string, unknown> | null;
}

/** The task as its handler sees it. */
export interface RunnableTask {
  id: string;
  batchId: string | null;
  ref: string | null;
  taskType: TaskType;
  input: Record<string, unknown>;
  /** 0 on the first attempt. */
  retryCount: number;
  maxRetries: number;
}

export interface TaskContext {
  task: RunnableTask;
  /** Outputs of the task's (completed) dependencies, so pipelines can pass data along. */
  dependencies: DependencyOutput[];
  /** Fired on timeout, cancellation or shutdown; handlers must stop promptly. */
  signal: AbortSignal;
  /** Reports progress (a number 0-100 or a small object) while running. */
  reportProgress(progress: number | Record<string, unknown>): Promise<void>;
}

export interface TaskHandlerInstance {
  /** Returns the task's output (TaskOutputJSON) or throws; see {@link TaskFailure}. */
  run(context: TaskContext): Promise<Record<string, unknown>>;
}

/**
 * What a handler throws to say how the attempt failed. Any other error counts as retryable;
 * `retryable: false` fails the task at once; `retryAfterMs` asks for a minimum delay.
 */
export class TaskFailure extends Error {
  constructor(
    message: string,
    readonly options: { retryable: boolean; retryAfterMs?: number } = { retryable: true },
  ) {
    super(message);
    this.name = 'TaskFailure';
  }
}
