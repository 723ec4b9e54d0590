import { BadRequestException, Param, ParseUUIDPipe } from '@nestjs/common';

/** A path parameter that must be a UUID; anything else is a 400 naming the parameter. */
export function UuidParam(name: string): ParameterDecorator {
  return Param(
    name,
    new ParseUUIDPipe({
      exceptionFactory: () =>
        new BadRequestException({
          code: 'invalid_id',
          message: `${name} must be a UUID`,
          details: [{ field: name, message: `${name} must be a UUID` }],
        }),
    }),
  );
}
