import { registerDecorator, ValidationArguments, ValidationOptions } from 'class-validator';
import { SECRET_PREFIX } from './webhook-signature';
import { parseWebhookUrl, WebhookTargetRefused } from './webhook-target-policy';

const SECRET_BYTES = { min: 24, max: 64 };

/** An absolute http(s) URL as the sender parses it; where it points is checked by the service. */
export function IsWebhookUrl(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isWebhookUrl',
      target: target.constructor,
      propertyName,
      options,
      validator: {
        validate: (value: unknown) => urlProblem(value) === undefined,
        defaultMessage: (args?: ValidationArguments) => `${propertyName} ${urlProblem(args?.value) ?? 'is invalid'}`,
      },
    });
}

function urlProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  try {
    parseWebhookUrl(value);
    return undefined;
  } catch (error) {
    return error instanceof WebhookTargetRefused ? error.reason : 'must be an absolute http or https URL';
  }
}

/** `whsec_` followed by the base64 of 24 to 64 bytes, the Standard Webhooks secret format. */
export function IsWebhookSecret(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isWebhookSecret',
      target: target.constructor,
      propertyName,
      options,
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string' || !value.startsWith(SECRET_PREFIX)) return false;
          const encoded = value.slice(SECRET_PREFIX.length);
          if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) return false;
          const bytes = Buffer.from(encoded, 'base64').length;
          return bytes >= SECRET_BYTES.min && bytes <= SECRET_BYTES.max;
        },
        defaultMessage: () =>
          `${propertyName} must be "${SECRET_PREFIX}" followed by the base64 of ${SECRET_BYTES.min} to ${SECRET_BYTES.max} random bytes`,
      },
    });
}
