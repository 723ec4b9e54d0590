import { ConfigError, loadConfig } from '../../src/config/app-config';
import { AttemptResult, subscriptionHealth } from '../../src/webhooks/webhook-delivery-store';
import { nextAttemptAt } from '../../src/webhooks/webhook-retry';
import { parseRetryAfter } from '../../src/webhooks/webhook-sender';

describe(nextAttemptAt.name, () => {
  const config = loadConfig({}).webhooks;
  const failed = { successful: false, responseStatus: 500, retryAfterMs: null as number | null };
  const now = 1_000_000;
  const delay = (attempts: number, outcome = failed, random = () => 0.5) =>
    nextAttemptAt(attempts, outcome, config, now, random)?.getTime()! - now;

  it('follows the Svix schedule by default: 8 attempts, then none', () => {
    expect(config.retryScheduleMs).toEqual([0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    expect([1, 2, 3, 4, 5, 6, 7].map((attempts) => delay(attempts))).toEqual(config.retryScheduleMs.slice(1));
    expect(nextAttemptAt(8, failed, config, now)).toBeNull();
  });

  it('adds up to ±20 % jitter', () => {
    expect(delay(1, failed, () => 0)).toBe(4_000);
    expect(delay(1, failed, () => 0.999999)).toBeCloseTo(6_000, -1);
  });

  it('schedules nothing after a success or a 410', () => {
    expect(nextAttemptAt(1, { successful: true, responseStatus: 200, retryAfterMs: null }, config, now)).toBeNull();
    expect(nextAttemptAt(1, { successful: false, responseStatus: 410, retryAfterMs: null }, config, now)).toBeNull();
  });

  it('waits at least the Retry-After, capped by WEBHOOK_RETRY_AFTER_MAX_MS', () => {
    expect(delay(1, { ...failed, responseStatus: 429, retryAfterMs: 120_000 })).toBe(120_000);
    expect(delay(1, { ...failed, responseStatus: 503, retryAfterMs: 86_400_000 })).toBe(config.retryAfterMaxMs);
    // A shorter Retry-After does not make us retry sooner than the schedule.
    expect(delay(2, { ...failed, responseStatus: 429, retryAfterMs: 1_000 })).toBe(300_000);
  });
});

describe(parseRetryAfter.name, () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('120')).toBe(120_000);
    const inAMinute = new Date(Date.now() + 60_000).toUTCString();
    expect(parseRetryAfter(inAMinute)).toBeGreaterThan(55_000);
    expect(parseRetryAfter('soon')).toBeNull();
    expect(parseRetryAfter(undefined)).toBeNull();
  });
});

describe('WEBHOOK_RETRY_SCHEDULE', () => {
  it('accepts units and bare milliseconds', () => {
    expect(loadConfig({ WEBHOOK_RETRY_SCHEDULE: '0, 250ms, 2s,1m,1h,1d,15' }).webhooks.retryScheduleMs).toEqual([
      0, 250, 2_000, 60_000, 3_600_000, 86_400_000, 15,
    ]);
  });

  it.each(['5s,10s', '0,soon', ',', '0,-5s'])('rejects %j', (value) => {
    expect(() => loadConfig({ WEBHOOK_RETRY_SCHEDULE: value })).toThrow(ConfigError);
  });
});

describe(subscriptionHealth.name, () => {
  const at = (ms: number) => new Date(1_000_000 + ms);
  const result = (webhookId: string, startedMs: number, successful: boolean, responseStatus = successful ? 200 : 500): AttemptResult => ({
    delivery: { id: `${webhookId}-${startedMs}`, webhookId, attempts: 1 },
    outcome: { successful, responseStatus, responseBody: null, error: null, retryAfterMs: null, startedAt: at(startedMs), latencyMs: 1 },
    nextAttemptAt: null,
  });

  it('folds attempts per subscription in start order', () => {
    const health = subscriptionHealth([
      result('a', 30, false),
      result('a', 10, false),
      result('b', 10, false),
      result('b', 20, true),
      result('c', 10, true),
      result('c', 20, false),
      result('c', 30, false, 410),
    ]);
    expect(health).toEqual(
      expect.arrayContaining([
        { webhookId: 'a', recovered: false, failingFrom: at(10), gone: false },
        { webhookId: 'b', recovered: true, failingFrom: null, gone: false },
        { webhookId: 'c', recovered: true, failingFrom: at(20), gone: true },
      ]),
    );
  });
});
