import { BadRequestException, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';

/**
 * A path parameter that must be a UUID; anything else is a 400 naming the parameter. Also
 * documents the parameter as `format: uuid` in OpenAPI, so generated SDKs type it.
 */
export function UuidParam(name: string): ParameterDecorator {
  const param = Param(
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
  return (target, propertyKey, index) => {
    param(target, propertyKey, index);
    if (propertyKey === undefined) return;
    const descriptor = Object.getOwnPropertyDescriptor(target, propertyKey);
    if (descriptor) ApiParam({ name, format: 'uuid', type: String })(target, propertyKey, descriptor);
  };
}
