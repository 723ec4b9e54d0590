/**
 * Errors raised by services. They carry no HTTP knowledge; the exception filter maps each
 * kind to a status, so services stay usable from workers and cron jobs.
 */
export type DomainErrorKind = 'not_found' | 'invalid' | 'conflict' | 'too_large';

export interface ErrorDetail {
  /** Where the problem is, as a path into the request (`tasks[3].dependsOn[0]`). */
  field?: string;
  message: string;
}

export abstract class DomainError extends Error {
  abstract readonly kind: DomainErrorKind;
  /** Stable machine-readable code, e.g. `batch_not_found`. */
  abstract readonly code: string;

  constructor(
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends DomainError {
  readonly kind = 'not_found';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class InvalidRequestError extends DomainError {
  readonly kind = 'invalid';
  constructor(
    readonly code: string,
    message: string,
    details: ErrorDetail[] = [],
  ) {
    super(message, details);
  }
}

export class ConflictError extends DomainError {
  readonly kind = 'conflict';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class TooLargeError extends DomainError {
  readonly kind = 'too_large';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
