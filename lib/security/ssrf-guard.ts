import { lookup as dnsLookup } from 'node:dns/promises';
import { type Cidr, inCidr, parseCidr, parseIp, refusalReason } from './ip-address.ts';
import { SecurityError } from './security-error.ts';

/** The target was refused: not http(s), or it is (or resolves to) an address no workflow may reach. */
export class SsrfRefusedError extends SecurityError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SsrfRefused';
  }
}

/** The target's host name could not be resolved. */
export class HostLookupError extends SecurityError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HostLookupFailed';
  }
}

/** Resolves a host name to every address it has (like `dns.lookup` with `all: true`). */
export type HostResolver = (hostname: string) => Promise<ReadonlyArray<{ address: string; family: number }>>;

/** A checked target: connect to `address` (never resolve `hostname` again), keep `hostname` for Host/SNI. */
export interface CheckedTarget {
  url: URL;
  /** The URL's host name without IPv6 brackets. */
  hostname: string;
  address: string;
  family: 4 | 6;
}

/** Options of {@link SsrfGuard}. */
export interface SsrfGuardOptions {
  /**
   * Hosts or CIDRs that may be reached even when private (`FLOWFORGE_HTTP_ALLOW`): a comma-separated
   * string or a list. Host names match exactly (case-insensitive) or by `*.suffix`; an IP or CIDR
   * matches the resolved address.
   */
  allow?: string | readonly string[];
  /** DNS resolver; defaults to `dns.lookup` with `all: true`. */
  resolve?: HostResolver;
}

const defaultResolve: HostResolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/**
 * The SSRF guard of outgoing HTTP requests. `check(url)` accepts only http/https, resolves the host
 * once and refuses when any of its addresses is private, loopback, link-local, CGNAT, unspecified,
 * multicast, reserved or an IPv6 form embedding such an IPv4 address — unless the allow-list
 * opens it. The caller must connect to the returned `address` (DNS rebinding) and call `check`
 * again for every redirect hop.
 */
export class SsrfGuard {
  readonly #hosts: string[] = [];
  readonly #wildcards: string[] = [];
  readonly #cidrs: Cidr[] = [];
  readonly #resolve: HostResolver;

  constructor(options: SsrfGuardOptions = {}) {
    this.#resolve = options.resolve ?? defaultResolve;
    const entries = typeof options.allow === 'string' ? options.allow.split(',') : (options.allow ?? []);
    for (const raw of entries) {
      const entry = raw.trim().toLowerCase();
      if (entry === '') continue;
      const range = parseCidr(entry);
      if (range) this.#cidrs.push(range);
      else if (entry.startsWith('*.')) this.#wildcards.push(entry.slice(1));
      else this.#hosts.push(entry);
    }
  }

  /** Checks `url` as described on the class. Throws {@link SsrfRefusedError} or {@link HostLookupError}. */
  async check(url: string | URL): Promise<CheckedTarget> {
    let parsed: URL;
    try {
      parsed = typeof url === 'string' ? new URL(url) : url;
    } catch (error) {
      throw new SsrfRefusedError('not a valid URL', { cause: error });
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw new SsrfRefusedError(
        `scheme "${parsed.protocol.replace(/:$/, '')}" is not allowed (http and https only)`,
      );
    if (parsed.username || parsed.password)
      throw new SsrfRefusedError('credentials in the URL are not allowed');
    const hostname = parsed.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    const hostAllowed = this.#hostAllowed(hostname);

    let addresses: ReadonlyArray<{ address: string; family: number }>;
    if (parseIp(hostname)) {
      addresses = [{ address: hostname, family: hostname.includes(':') ? 6 : 4 }];
    } else {
      try {
        addresses = await this.#resolve(hostname);
      } catch (error) {
        throw new HostLookupError(`could not resolve ${hostname}`, { cause: error });
      }
      if (addresses.length === 0) throw new HostLookupError(`${hostname} has no address`);
    }
    // Every address must pass: the connection could otherwise be steered to the private one.
    for (const { address } of addresses) {
      if (hostAllowed || this.#addressAllowed(address)) continue;
      const reason = refusalReason(address);
      if (reason)
        throw new SsrfRefusedError(
          address === hostname
            ? `${hostname} is a ${reason}`
            : `${hostname} resolves to a ${reason} (${address})`,
        );
    }
    const first = addresses[0];
    if (!first) throw new HostLookupError(`${hostname} has no address`);
    return { url: parsed, hostname, address: first.address, family: first.family === 6 ? 6 : 4 };
  }

  #hostAllowed(hostname: string): boolean {
    return this.#hosts.includes(hostname) || this.#wildcards.some((suffix) => hostname.endsWith(suffix));
  }

  #addressAllowed(address: string): boolean {
    const bytes = parseIp(address);
    return bytes !== undefined && this.#cidrs.some((range) => inCidr(bytes, range));
  }
}
