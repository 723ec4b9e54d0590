import type { WebhooksConfig } from '../config/app-config';
import type { AttemptOutcome } from './webhook-sender';

/** ±20 %: receivers recovering from an outage are not hit by every retry in the same second. */
const JITTER = 0.2;

/**
 * When the next attempt is due after attempt number `attemptsMade` failed, or null when there
 * is none: the schedule is exhausted, the attempt succeeded, or the receiver answered 410 Gone.
 * A Retry-After (429/503) postpones the retry, up to WEBHOOK_RETRY_AFTER_MAX_MS.
 */
export function nextAttemptAt(
  attemptsMade: number,
  outcome: Pick<AttemptOutcome, 'successful' | 'responseStatus' | 'retryAfterMs'>,
  config: Pick<WebhooksConfig, 'retryScheduleMs' | 'retryAfterMaxMs'>,
  now = Date.now(),
  random = Math.random,
): Date | null {
  if (outcome.successful || outcome.responseStatus === 410) return null;
  if (attemptsMade >= config.retryScheduleMs.length) return null;
  const scheduled = config.retryScheduleMs[attemptsMade] * (1 - JITTER + 2 * JITTER * random());
  const requested = outcome.retryAfterMs === null ? 0 : Math.min(outcome.retryAfterMs, config.retryAfterMaxMs);
  return new Date(now + Math.round(Math.max(scheduled, requested)));
}
