import { registerDecorator, ValidationArguments, ValidationOptions } from 'class-validator';

/** A plain JSON object (not an array, not null) whose JSON text is at most `maxBytes` long. */
export function IsJsonObject(maxBytes: number, options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isJsonObject',
      target: target.constructor,
      propertyName,
      options,
      constraints: [maxBytes],
      validator: {
        validate: (value: unknown) =>
          typeof value === 'object' &&
          value !== null &&
          !Array.isArray(value) &&
          Buffer.byteLength(JSON.stringify(value)) <= maxBytes,
        defaultMessage: (args: ValidationArguments) =>
          `${args.property} must be a JSON object of at most ${args.constraints[0]} bytes`,
      },
    });
}

/** An object whose values are strings, numbers, booleans or null (flat labels). */
export function IsFlatJsonObject(maxKeys: number, options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isFlatJsonObject',
      target: target.constructor,
      propertyName,
      options,
      constraints: [maxKeys],
      validator: {
        validate: (value: unknown) =>
          typeof value === 'object' &&
          value !== null &&
          !Array.isArray(value) &&
          Object.keys(value).length <= maxKeys &&
          Object.values(value).every((v) => v === null || ['string', 'number', 'boolean'].includes(typeof v)),
        defaultMessage: (args: ValidationArguments) =>
          `${args.property} must be an object of at most ${args.constraints[0]} keys whose values are strings, numbers, booleans or null`,
      },
    });
}
