import { Inject, Injectable, Optional } from '@nestjs/common';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { lookup as dnsLookupAll } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { withTimeout } from '../common/with-timeout';

type Family = 'ipv4' | 'ipv6';

/**
 * Special-purpose ranges from the IANA registries that a webhook must never reach: a
 * subscriber-supplied URL would otherwise let anyone with an API key probe or call internal
 * services (SSRF), cloud metadata endpoints included (169.254.169.254 is link-local,
 * fd00:ec2::254 unique-local, 100.100.100.200 carrier-grade NAT).
 */
const BLOCKED_RANGES: Array<[string, number, Family, string]> = [
  ['0.0.0.0', 8, 'ipv4', 'unspecified ("this network")'],
  ['10.0.0.0', 8, 'ipv4', 'private'],
  ['100.64.0.0', 10, 'ipv4', 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'ipv4', 'loopback'],
  ['169.254.0.0', 16, 'ipv4', 'link-local (cloud metadata)'],
  ['172.16.0.0', 12, 'ipv4', 'private'],
  ['192.0.0.0', 24, 'ipv4', 'IETF protocol assignment'],
  ['192.0.2.0', 24, 'ipv4', 'documentation'],
  ['192.88.99.0', 24, 'ipv4', '6to4 relay'],
  ['192.168.0.0', 16, 'ipv4', 'private'],
  ['198.18.0.0', 15, 'ipv4', 'benchmarking'],
  ['198.51.100.0', 24, 'ipv4', 'documentation'],
  ['203.0.113.0', 24, 'ipv4', 'documentation'],
  ['224.0.0.0', 4, 'ipv4', 'multicast'],
  ['240.0.0.0', 4, 'ipv4', 'reserved or broadcast'],
  ['::', 128, 'ipv6', 'unspecified'],
  ['::1', 128, 'ipv6', 'loopback'],
  // Mapped and translated forms reach IPv4 hosts, private ones included; refused whole.
  ['::ffff:0:0', 96, 'ipv6', 'IPv4-mapped'],
  ['64:ff9b::', 96, 'ipv6', 'NAT64'],
  ['64:ff9b:1::', 48, 'ipv6', 'NAT64'],
  ['100::', 64, 'ipv6', 'discard-only'],
  ['2001::', 23, 'ipv6', 'IETF protocol assignment'],
  ['2001:db8::', 32, 'ipv6', 'documentation'],
  ['2002::', 16, 'ipv6', '6to4'],
  ['fc00::', 7, 'ipv6', 'unique local (private)'],
  ['fe80::', 10, 'ipv6', 'link-local'],
  ['fec0::', 10, 'ipv6', 'site-local'],
  ['ff00::', 8, 'ipv6', 'multicast'],
];

// One list per range, so a refusal can say which kind of address it was, and each family only
// against its own ranges (a BlockList matches IPv4 addresses against IPv4-mapped IPv6 rules).
const RULES = BLOCKED_RANGES.map(([network, prefix, family, kind]) => {
  const list = new BlockList();
  list.addSubnet(network, prefix, family);
  return { list, family, kind };
});
const GLOBAL_UNICAST_V6 = new BlockList();
GLOBAL_UNICAST_V6.addSubnet('2000::', 3, 'ipv6');

/** Why an IP address is not a permitted webhook target, or undefined when it is. */
export function blockedAddressKind(address: string): string | undefined {
  const version = isIP(address);
  if (version === 0) return 'not an IP address';
  const family: Family = version === 4 ? 'ipv4' : 'ipv6';
  for (const rule of RULES) if (rule.family === family && rule.list.check(address, family)) return rule.kind;
  if (family === 'ipv6' && !GLOBAL_UNICAST_V6.check(address, 'ipv6')) return 'not globally routable';
  return undefined;
}

/** A webhook URL refused by the policy; `reason` completes "url …". */
export class WebhookTargetRefused extends Error {
  constructor(readonly reason: string) {
    super(`url ${reason}`);
    this.name = 'WebhookTargetRefused';
  }
}

/** The URL parsed as the sender will parse it (WHATWG rules normalise `http://2130706433/` to 127.0.0.1). */
export function parseWebhookUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookTargetRefused('is not a valid absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new WebhookTargetRefused(`must use http or https, not ${url.protocol.replace(/:$/, '')}`);
  }
  if (!url.hostname) throw new WebhookTargetRefused('has no host');
  return url;
}

/** `[::1]` -> `::1`; names and IPv4 unchanged. */
export function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

/** Replaces DNS resolution (tests simulate rebinding with it). */
export const WEBHOOK_RESOLVER = Symbol('WEBHOOK_RESOLVER');

const RESOLVE_TIMEOUT_MS = 5_000;

const systemResolver: Resolver = (hostname) =>
  withTimeout(
    dnsLookupAll(hostname, { all: true, verbatim: true }),
    RESOLVE_TIMEOUT_MS,
    `resolving ${hostname} took over ${RESOLVE_TIMEOUT_MS} ms`,
  );

/**
 * Decides which webhook targets are allowed, at subscription time and again at delivery time.
 * At delivery, {@link lookup} is the socket's DNS lookup: the addresses it checks are the ones
 * the connection uses, so a name that resolves differently the second time (DNS rebinding)
 * cannot slip through between check and connect.
 */
@Injectable()
export class WebhookTargetPolicy {
  private readonly allowPrivate: boolean;

  private readonly resolve: Resolver;

  constructor(@Inject(APP_CONFIG) config: AppConfig, @Optional() @Inject(WEBHOOK_RESOLVER) resolver?: Resolver) {
    this.allowPrivate = config.webhooks.allowPrivateTargets;
    this.resolve = resolver ?? systemResolver;
  }

  /** Throws {@link WebhookTargetRefused} unless every address the URL's host resolves to is allowed. */
  async check(raw: string): Promise<URL> {
    const url = parseWebhookUrl(raw);
    if (this.allowPrivate) return url;
    const host = hostOf(url);
    if (isIP(host)) {
      this.assertAllowed(host, host);
      return url;
    }
    let addresses: LookupAddress[];
    try {
      addresses = await this.resolve(host);
    } catch (error) {
      throw new WebhookTargetRefused(`host ${host} does not resolve (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    for (const { address } of addresses) this.assertAllowed(address, host);
    return url;
  }

  /** For IP-literal hosts, which sockets connect to without a lookup. */
  assertLiteralAllowed(url: URL): void {
    const host = hostOf(url);
    if (!this.allowPrivate && isIP(host)) this.assertAllowed(host, host);
  }

  /** A `lookup` for http.request/net.connect that refuses disallowed addresses. */
  readonly lookup = (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    this.resolve(hostname).then(
      (addresses) => {
        try {
          if (addresses.length === 0) throw new Error(`host ${hostname} has no addresses`);
          if (!this.allowPrivate) for (const { address } of addresses) this.assertAllowed(address, hostname);
        } catch (error) {
          callback(error as NodeJS.ErrnoException, '');
          return;
        }
        const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
        const usable = family ? addresses.filter((a) => a.family === family) : addresses;
        if (options.all) callback(null, usable);
        else callback(null, usable[0]?.address ?? '', usable[0]?.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };

  private assertAllowed(address: string, host: string): void {
    const kind = blockedAddressKind(address);
    if (kind === undefined) return;
    const target = address === host ? address : `${host} (${address})`;
    throw new WebhookTargetRefused(`targets ${target}: ${kind} addresses are refused; webhooks may only target public addresses`);
  }
}
