import { Webhook } from 'standardwebhooks';

/** `whsec_` + base64 of 32 random bytes, the Standard Webhooks secret format. */
export const SECRET_PREFIX = 'whsec_';

/**
 * The `webhook-signature` header: one `v1,<base64 HMAC-SHA256 of id.timestamp.body>` per
 * secret, space-separated, so receivers holding either secret accept messages while a
 * rotation's grace period lasts.
 */
export function signatureHeader(secrets: readonly string[], messageId: string, timestamp: Date, body: string): string {
  return secrets.map((secret) => new Webhook(secret).sign(messageId, timestamp, body)).join(' ');
}
