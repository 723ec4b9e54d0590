export interface BackoffPolicy {
  baseMs: number;
  factor: number;
  maxMs: number;
}

/**
 * Delay before retry number `retry` (1 for the first retry): exponential, capped, with "equal
 * jitter" (a random point in the upper half) so a burst of failures does not retry in lockstep
 * yet never retries sooner than half the nominal delay. A server's Retry-After wins when longer.
 */
export function retryDelayMs(policy: BackoffPolicy, retry: number, retryAfterMs = 0, random = Math.random): number {
  const nominal = Math.min(policy.maxMs, policy.baseMs * policy.factor ** Math.max(0, retry - 1));
  const jittered = nominal / 2 + random() * (nominal / 2);
  return Math.round(Math.max(jittered, retryAfterMs));
}
