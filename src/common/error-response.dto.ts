import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiResponse } from '@nestjs/swagger';

export class ErrorDetailDto {
  /** Path into the request that the message is about, e.g. `tasks[3].dependsOn[0]`. */
  field?: string;
  /** What is wrong there. */
  message: string;
}

/** The error body of every non-2xx response. */
export class ErrorResponseDto {
  /** HTTP status code. */
  @ApiProperty({ type: 'integer', example: 400 })
  statusCode: number;
  /** HTTP reason phrase. */
  @ApiProperty({ example: 'Bad Request' })
  error: string;
  /** Stable machine-readable error code. */
  @ApiProperty({ example: 'validation_failed' })
  code: string;
  /** Human-readable explanation. */
  message: string;
  /** Field-level problems, when there are any. */
  details?: ErrorDetailDto[];
}

const DESCRIPTIONS: Record<number, string> = {
  400: 'The request is malformed or violates a rule; nothing was written.',
  401: 'Missing or invalid API key.',
  404: 'The resource does not exist.',
  409: 'The request conflicts with the resource’s current state.',
  413: 'The request is larger than the configured limits.',
};

/** Documents the error responses an operation can return, all with {@link ErrorResponseDto}. */
export function ApiErrors(...statuses: number[]) {
  return applyDecorators(
    ...[401, ...statuses].map((status) =>
      ApiResponse({ status, description: DESCRIPTIONS[status], type: ErrorResponseDto }),
    ),
  );
}
