import { ConfigError, DEVELOPMENT_API_KEY, loadConfig } from '../../src/config/app-config';

describe(loadConfig.name, () => {
  it('applies defaults', () => {
    const config = loadConfig({});
    expect(config.http.port).toBe(3000);
    expect([...config.roles]).toEqual(['api', 'worker', 'scheduler']);
    expect(config.auth.apiKeys).toEqual([DEVELOPMENT_API_KEY]);
    expect(config.processing.backoff).toEqual({ baseMs: 1000, factor: 2, maxMs: 300_000 });
  });

  it('parses lists and maps', () => {
    const config = loadConfig({
      API_KEYS: ' a , b ',
      PROCESS_ROLES: 'worker',
      HTTP_CALL_ENDPOINTS: 'media=http://media.internal:8080/, docs=https://docs.internal',
      TASK_TIMEOUTS: 'http_call=1500',
    });
    expect(config.auth.apiKeys).toEqual(['a', 'b']);
    expect([...config.roles]).toEqual(['worker']);
    expect(config.httpCall.endpoints).toEqual({ media: 'http://media.internal:8080', docs: 'https://docs.internal' });
    expect(config.processing.timeouts).toEqual({ http_call: 1500 });
  });

  it.each([
    [{ PORT: 'abc' }, /PORT/],
    [{ PROCESS_ROLES: 'api,cook' }, /unknown role "cook"/],
    [{ NODE_ENV: 'production' }, /API_KEYS must list at least one key/],
    [{ HTTP_CALL_ENDPOINTS: 'media' }, /HTTP_CALL_ENDPOINTS/],
    [{ HTTP_CALL_ENDPOINTS: 'media=ftp://x' }, /HTTP_CALL_ENDPOINTS/],
    [{ TASK_TIMEOUTS: 'teleport=5' }, /TASK_TIMEOUTS/],
  ])('refuses %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
