import { ConflictError, InvalidRequestError, NotFoundError } from '../common/domain-errors';

export class TaskNotFoundError extends NotFoundError {
  constructor(id: string) {
    super('task_not_found', `Task ${id} does not exist`);
  }
}

export class UnknownDependencyError extends InvalidRequestError {
  constructor(ids: string[], field: string) {
    super(
      'unknown_dependency',
      `Unknown dependency task(s): ${ids.join(', ')}`,
      ids.map((id) => ({ field, message: `task ${id} does not exist` })),
    );
  }
}

export class DependencyNotRunnableError extends ConflictError {
  constructor(tasks: Array<{ id: string; status: string }>) {
    super(
      'dependency_not_runnable',
      `Dependencies that will never complete until retried: ${tasks.map((t) => `${t.id} (${t.status})`).join(', ')}`,
    );
  }
}
