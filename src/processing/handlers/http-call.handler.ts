import { Inject } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { TaskType } from '../../generated/prisma/enums';
import type { HttpCallInputDto } from '../../tasks/inputs/http-call-input.dto';
import { TaskContext, TaskFailure, TaskHandler, TaskHandlerInstance } from '../task-handler';

const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * Delegates a task to another company service. The base URL comes from operator configuration
 * (HTTP_CALL_ENDPOINTS), never from the client. 2xx with a JSON body is the output; network
 * errors, 5xx and 429 are retried (429/503 Retry-After respected); other statuses fail at once.
 */
@TaskHandler(TaskType.http_call)
export class HttpCallHandler implements TaskHandlerInstance {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async run({ task, dependencies, signal }: TaskContext): Promise<Record<string, unknown>> {
    const input = task.input as unknown as HttpCallInputDto;
    const base = this.config.httpCall.endpoints[input.endpoint];
    if (!base) throw new TaskFailure(`endpoint "${input.endpoint}" is not configured`, { retryable: false });

    let response: Response;
    try {
      response = await fetch(`${base}${input.path ?? ''}`, {
        method: input.method ?? 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': `${task.id}` },
        body: JSON.stringify({
          taskId: task.id,
          batchId: task.batchId,
          ref: task.ref,
          attempt: task.retryCount + 1,
          payload: input.payload ?? {},
          dependencies,
        }),
        redirect: 'manual',
        signal,
      });
    } catch (error) {
      if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason));
      throw new TaskFailure(`request to ${input.endpoint} failed: ${describe(error)}`);
    }

    const text = await readLimited(response, signal);
    if (response.status >= 200 && response.status < 300) {
      return parseOutput(text);
    }
    const detail = `${input.endpoint} answered ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
    if (response.status === 429 || response.status >= 500) {
      throw new TaskFailure(detail, { retryable: true, retryAfterMs: retryAfterMs(response.headers.get('retry-after')) });
    }
    throw new TaskFailure(detail, { retryable: false });
  }
}

function parseOutput(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new TaskFailure('response body is not JSON', { retryable: false });
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : { result: value };
}

async function readLimited(response: Response, signal: AbortSignal): Promise<string> {
  const length = Number(response.headers.get('content-length') ?? 0);
  if (length > MAX_RESPONSE_BYTES) {
    await response.body?.cancel();
    throw new TaskFailure(`response of ${length} bytes exceeds ${MAX_RESPONSE_BYTES}`, { retryable: false });
  }
  try {
    const text = await response.text();
    if (Buffer.byteLength(text) > MAX_RESPONSE_BYTES) {
      throw new TaskFailure(`response exceeds ${MAX_RESPONSE_BYTES} bytes`, { retryable: false });
    }
    return text;
  } catch (error) {
    if (error instanceof TaskFailure) throw error;
    if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason));
    throw new TaskFailure(`reading the response failed: ${describe(error)}`);
  }
}

/** Retry-After as seconds or an HTTP date; undefined when absent or unparsable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
