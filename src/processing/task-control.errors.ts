import { ConflictError } from '../common/domain-errors';

export class AlreadyFinishedError extends ConflictError {
  constructor(kind: 'Task' | 'Batch', id: string, status: string) {
    super(`${kind.toLowerCase()}_finished`, `${kind} ${id} is already ${status}; only unfinished work can be cancelled`);
  }
}

export class NothingToRetryError extends ConflictError {
  constructor(kind: 'Task' | 'Batch', id: string, status: string) {
    super(
      'nothing_to_retry',
      kind === 'Task'
        ? `Task ${id} is ${status}; only failed or cancelled tasks can be retried`
        : `Batch ${id} has no failed or cancelled tasks to retry`,
    );
  }
}

export class BlockedByDependencyError extends ConflictError {
  constructor(id: string, dependencies: string[]) {
    super(
      'blocked_by_dependency',
      `Task ${id} depends on failed or cancelled task(s) ${dependencies.join(', ')}; retry those first`,
    );
  }
}
