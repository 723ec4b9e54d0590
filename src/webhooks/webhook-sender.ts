import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import http, { IncomingMessage } from 'node:http';
import https from 'node:https';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { signatureHeader } from './webhook-signature';
import { WebhookTargetPolicy, WebhookTargetRefused, parseWebhookUrl } from './webhook-target-policy';

/** Kept on the delivery row; receivers' bodies are for debugging, not storage. */
export const RESPONSE_BODY_MAX_BYTES = 4096;
/** Beyond this the response is cut off rather than drained for keep-alive. */
const RESPONSE_DRAIN_MAX_BYTES = 1024 * 1024;
const USER_AGENT = 'batch-service-webhooks/1.0 (+https://www.standardwebhooks.com)';

export interface OutgoingWebhook {
  /** The delivery id: the `webhook-id` header, identical on every attempt so receivers can deduplicate. */
  id: string;
  url: string;
  /** Current secret first; a rotated-out secret still in its grace period after it. */
  secrets: string[];
  /** The exact JSON text that is signed and sent. */
  body: string;
}

export interface AttemptOutcome {
  /** A 2xx arrived within the timeout. */
  successful: boolean;
  responseStatus: number | null;
  /** At most {@link RESPONSE_BODY_MAX_BYTES} of the response body. */
  responseBody: string | null;
  error: string | null;
  /** The receiver's Retry-After (429 or 503), in ms. */
  retryAfterMs: number | null;
  startedAt: Date;
  latencyMs: number;
}

class AttemptTimeout extends Error {}

/**
 * One HTTP attempt of a webhook: signed POST, no redirects, a hard timeout covering connect to
 * last byte, and the target policy applied to the address actually connected to. Keep-alive
 * agents reuse connections, which is most of the throughput.
 */
@Injectable()
export class WebhookSender implements OnApplicationShutdown {
  private readonly timeoutMs: number;
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly policy: WebhookTargetPolicy,
  ) {
    this.timeoutMs = config.webhooks.timeoutMs;
    const agentOptions = { keepAlive: true, maxSockets: config.webhooks.concurrency, maxFreeSockets: 256, scheduling: 'lifo' as const };
    this.httpAgent = new http.Agent(agentOptions);
    this.httpsAgent = new https.Agent(agentOptions);
  }

  /** After every module's destroy hook: the sweeper finishes its in-flight attempts first. */
  onApplicationShutdown(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  async send(message: OutgoingWebhook): Promise<AttemptOutcome> {
    const startedAt = new Date();
    const outcome = (fields: Partial<AttemptOutcome>): AttemptOutcome => ({
      successful: false,
      responseStatus: null,
      responseBody: null,
      error: null,
      retryAfterMs: null,
      startedAt,
      latencyMs: Date.now() - startedAt.getTime(),
      ...fields,
    });

    let url: URL;
    try {
      url = parseWebhookUrl(message.url);
      this.policy.assertLiteralAllowed(url);
    } catch (error) {
      return outcome({ error: describeError(error) });
    }
    if (message.secrets.length === 0) return outcome({ error: 'the subscription has no signing secret' });

    const headers = {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(message.body)),
      'user-agent': USER_AGENT,
      'webhook-id': message.id,
      'webhook-timestamp': String(Math.floor(startedAt.getTime() / 1000)),
      'webhook-signature': signatureHeader(message.secrets, message.id, startedAt, message.body),
    };

    try {
      const response = await this.post(url, headers, message.body);
      const { status } = response;
      const fields: Partial<AttemptOutcome> = { responseStatus: status, responseBody: response.body };
      if (status >= 200 && status < 300) return outcome({ ...fields, successful: true });
      if (status >= 300 && status < 400) {
        const location = response.headers.location;
        return outcome({ ...fields, error: `redirects are not followed (HTTP ${status}${location ? ` to ${location}` : ''})` });
      }
      const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(response.headers['retry-after']) : null;
      return outcome({ ...fields, retryAfterMs, error: `HTTP ${status}` });
    } catch (error) {
      return outcome({ error: describeError(error) });
    }
  }

  private post(url: URL, headers: Record<string, string>, body: string) {
    return new Promise<{ status: number; headers: IncomingMessage['headers']; body: string }>((resolve, reject) => {
      const secure = url.protocol === 'https:';
      const request = (secure ? https : http).request(url, {
        method: 'POST',
        headers,
        agent: secure ? this.httpsAgent : this.httpAgent,
        lookup: this.policy.lookup,
      });
      let settle = (error: Error | null, response?: IncomingMessage, chunks?: Buffer[]) => {
        settle = () => undefined;
        clearTimeout(timer);
        if (response && chunks) {
          const text = Buffer.concat(chunks).toString('utf8').slice(0, RESPONSE_BODY_MAX_BYTES);
          // PostgreSQL text cannot hold NUL characters.
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text.replace(/\0/g, '') });
        } else {
          reject(error);
        }
      };
      const timer = setTimeout(() => {
        request.destroy(new AttemptTimeout(`timed out after ${this.timeoutMs} ms`));
      }, this.timeoutMs);

      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        let seen = 0;
        response.on('data', (chunk: Buffer) => {
          seen += chunk.length;
          if (kept < RESPONSE_BODY_MAX_BYTES) {
            chunks.push(chunk);
            kept += chunk.length;
          }
          if (seen > RESPONSE_DRAIN_MAX_BYTES) {
            settle(null, response, chunks);
            response.destroy();
          }
        });
        response.on('end', () => settle(null, response, chunks));
        // The status is known: a body cut short (timeout, reset) does not change the outcome.
        response.on('error', () => settle(null, response, chunks));
        response.on('close', () => settle(null, response, chunks));
      });
      request.on('error', (error) => settle(error));
      request.end(body);
    });
  }
}

/** Seconds or an HTTP date, as RFC 9110 allows; null when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined): number | null {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return null;
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

function describeError(error: unknown): string {
  if (error instanceof WebhookTargetRefused || error instanceof AttemptTimeout) return error.message;
  const { code, message } = error as NodeJS.ErrnoException;
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
