import { ConflictError, InvalidRequestError, NotFoundError } from '../common/domain-errors';

export class DependencyNotFoundError extends NotFoundError {
  constructor(dependentTaskId: string, dependencyTaskId: string) {
    super('dependency_not_found', `Task ${dependentTaskId} does not depend on task ${dependencyTaskId}`);
  }
}

export class TaskNotQueuedError extends ConflictError {
  constructor(id: string, status: string) {
    super('task_not_queued', `Dependencies of task ${id} can change only while it is queued; it is ${status}`);
  }
}

export class DuplicateDependencyError extends ConflictError {
  constructor(dependentTaskId: string, dependencyTaskId: string) {
    super('dependency_exists', `Task ${dependentTaskId} already depends on task ${dependencyTaskId}`);
  }
}

export class SelfDependencyError extends InvalidRequestError {
  constructor(id: string) {
    super('self_dependency', `Task ${id} cannot depend on itself`, [
      { field: 'dependencyTaskId', message: 'must differ from the task id' },
    ]);
  }
}

export class DependencyCycleError extends InvalidRequestError {
  constructor(path: string[]) {
    super('dependency_cycle', `dependency cycle: ${path.join(' -> ')}`, [
      { field: 'dependencyTaskId', message: `would close the cycle ${path.join(' -> ')}` },
    ]);
  }
}
