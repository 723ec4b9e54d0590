import { HttpException, HttpStatus, Logger } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import { Prisma } from '../generated/prisma/client';
import { DomainError, DomainErrorKind, ErrorDetail } from './domain-errors';

/** The one error body of the API (documented as ErrorResponseDto). */
export interface ErrorBody {
  statusCode: number;
  error: string;
  code: string;
  message: string;
  details?: ErrorDetail[];
}

const STATUS_OF_KIND: Record<DomainErrorKind, number> = {
  not_found: HttpStatus.NOT_FOUND,
  invalid: HttpStatus.BAD_REQUEST,
  conflict: HttpStatus.CONFLICT,
  too_large: HttpStatus.PAYLOAD_TOO_LARGE,
};

const logger = new Logger('ErrorBody');

/** Maps anything thrown while serving a request to the API's error body; 500s never leak internals. */
export function toErrorBody(error: unknown): ErrorBody {
  if (error instanceof DomainError) {
    return body(STATUS_OF_KIND[error.kind], error.code, error.message, error.details);
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    if (typeof response === 'object' && response !== null && 'code' in response) {
      const r = response as Partial<ErrorBody>;
      return body(status, String(r.code), String(r.message ?? error.message), r.details);
    }
    return body(status, codeOfStatus(status), error.message);
  }
  if (error instanceof Prisma.PrismaClientKnownRequestError) {
    const mapped = fromPrismaError(error);
    if (mapped) return mapped;
  }
  const fastifyStatus = (error as { statusCode?: unknown })?.statusCode;
  if (typeof fastifyStatus === 'number' && fastifyStatus >= 400 && fastifyStatus < 500) {
    // Fastify's own request errors (malformed JSON, body too large, bad content type).
    return body(fastifyStatus, codeOfStatus(fastifyStatus), (error as Error).message);
  }
  logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  return body(HttpStatus.INTERNAL_SERVER_ERROR, 'internal_error', 'Internal server error');
}

function fromPrismaError(error: Prisma.PrismaClientKnownRequestError): ErrorBody | undefined {
  switch (error.code) {
    case 'P2002':
      return body(HttpStatus.CONFLICT, 'already_exists', 'A record with the same unique fields already exists');
    case 'P2025':
      return body(HttpStatus.NOT_FOUND, 'not_found', 'The record does not exist');
    default:
      return undefined;
  }
}

function body(statusCode: number, code: string, message: string, details?: ErrorDetail[]): ErrorBody {
  const result: ErrorBody = { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', code, message };
  if (details && details.length > 0) result.details = details;
  return result;
}

function codeOfStatus(status: number): string {
  return (STATUS_CODES[status] ?? 'error').toLowerCase().replace(/[^a-z]+/g, '_');
}
