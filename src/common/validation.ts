import { BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';
import { ErrorDetail } from './domain-errors';

/** Flattens class-validator's tree into `field: message` pairs with JS-style paths (`tasks[2].ref`). */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  for (const error of errors) {
    const field = /^\d+$/.test(error.property)
      ? `${parent}[${error.property}]`
      : parent
        ? `${parent}.${error.property}`
        : error.property;
    for (const message of Object.values(error.constraints ?? {})) details.push({ field, message });
    if (error.children?.length) details.push(...flattenValidationErrors(error.children, field));
  }
  return details;
}

export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => {
      const details = flattenValidationErrors(errors);
      const summary = details
        .slice(0, 3)
        .map((d) => `${d.field}: ${d.message}`)
        .join('; ');
      return new BadRequestException({
        code: 'validation_failed',
        message: `Request validation failed: ${summary}${details.length > 3 ? ` (and ${details.length - 3} more)` : ''}`,
        details,
      });
    },
  });
}
