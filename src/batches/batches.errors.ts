import { NotFoundError, TooLargeError } from '../common/domain-errors';

export class BatchNotFoundError extends NotFoundError {
  constructor(id: string) {
    super('batch_not_found', `Batch ${id} does not exist`);
  }
}

export class BatchTooLargeError extends TooLargeError {
  constructor(count: number, limit: number) {
    super('too_many_tasks', `A batch may hold at most ${limit} tasks; this one has ${count}`);
  }
}
