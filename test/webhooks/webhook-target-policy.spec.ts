import type { LookupAddress } from 'node:dns';
import { loadConfig } from '../../src/config/app-config';
import { blockedAddressKind, WebhookTargetPolicy, WebhookTargetRefused } from '../../src/webhooks/webhook-target-policy';

describe(WebhookTargetPolicy.name, () => {
  const config = (allow: boolean) => loadConfig({ WEBHOOK_ALLOW_PRIVATE_TARGETS: String(allow) });

  /** A resolver answering from a table, counting calls (to play DNS rebinding). */
  function fakeDns(answers: Record<string, string[][]>) {
    const calls: Record<string, number> = {};
    const resolve = async (host: string): Promise<LookupAddress[]> => {
      const n = (calls[host] = (calls[host] ?? 0) + 1);
      const sequence = answers[host];
      if (!sequence) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
      return sequence[Math.min(n, sequence.length) - 1].map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    };
    return resolve;
  }

  const lookup = (policy: WebhookTargetPolicy, host: string, all = true) =>
    new Promise<unknown>((resolve, reject) =>
      policy.lookup(host, { all }, (error, address) => (error ? reject(error) : resolve(address))),
    );

  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.100.100.200', 'carrier-grade NAT'],
    ['169.254.169.254', 'link-local (cloud metadata)'],
    ['0.0.0.0', 'unspecified ("this network")'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved or broadcast'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['::ffff:127.0.0.1', 'IPv4-mapped'],
    ['::ffff:8.8.8.8', 'IPv4-mapped'],
    ['64:ff9b::7f00:1', 'NAT64'],
    ['fd00:ec2::254', 'unique local (private)'],
    ['fc00::1', 'unique local (private)'],
    ['fe80::1', 'link-local'],
    ['ff02::1', 'multicast'],
    ['::7f00:1', 'not globally routable'],
  ])('blocks %s (%s)', (address, kind) => {
    expect(blockedAddressKind(address)).toBe(kind);
  });

  it.each(['8.8.8.8', '93.184.215.14', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111'])('allows the public address %s', (address) => {
    expect(blockedAddressKind(address)).toBeUndefined();
  });

  it.each([
    'http://2130706433/',
    'http://0x7f.1/',
    'http://017700000001/',
    'http://127.1/',
    'http://0x7f000001/',
    'http://[::ffff:7f00:1]/',
  ])('refuses the numeric form %s (WHATWG parsing normalises it to a blocked address)', async (url) => {
    await expect(new WebhookTargetPolicy(config(false), fakeDns({})).check(url)).rejects.toThrow(WebhookTargetRefused);
  });

  it('refuses a name when any of its addresses is blocked', async () => {
    const policy = new WebhookTargetPolicy(config(false), fakeDns({ 'mixed.test': [['93.184.215.14', '10.0.0.5']] }));
    await expect(policy.check('https://mixed.test/hook')).rejects.toThrow('mixed.test (10.0.0.5): private');
  });

  it('refuses a name that does not resolve', async () => {
    await expect(new WebhookTargetPolicy(config(false), fakeDns({})).check('https://nowhere.test/')).rejects.toThrow(/does not resolve \(ENOTFOUND\)/);
  });

  it('checks again at connect time, so a name rebound to a private address is refused', async () => {
    const policy = new WebhookTargetPolicy(config(false), fakeDns({ 'rebind.test': [['93.184.215.14'], ['127.0.0.1']] }));
    await expect(policy.check('https://rebind.test/hook')).resolves.toBeInstanceOf(URL);
    await expect(lookup(policy, 'rebind.test')).rejects.toThrow('rebind.test (127.0.0.1): loopback');
  });

  it('hands the socket exactly the addresses it checked', async () => {
    const policy = new WebhookTargetPolicy(config(false), fakeDns({ 'ok.test': [['93.184.215.14', '2606:4700::1']] }));
    await expect(lookup(policy, 'ok.test')).resolves.toEqual([
      { address: '93.184.215.14', family: 4 },
      { address: '2606:4700::1', family: 6 },
    ]);
    await expect(lookup(policy, 'ok.test', false)).resolves.toBe('93.184.215.14');
  });

  it('allows everything when WEBHOOK_ALLOW_PRIVATE_TARGETS is on, but still only http(s)', async () => {
    const policy = new WebhookTargetPolicy(config(true), fakeDns({ localhost: [['127.0.0.1']] }));
    await expect(policy.check('http://127.0.0.1:3000/')).resolves.toBeInstanceOf(URL);
    await expect(lookup(policy, 'localhost')).resolves.toEqual([{ address: '127.0.0.1', family: 4 }]);
    await expect(policy.check('ftp://example.com/')).rejects.toThrow('must use http or https');
    await expect(policy.check('not a url')).rejects.toThrow('not a valid absolute URL');
  });
});
