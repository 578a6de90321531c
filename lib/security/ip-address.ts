import { isIP } from 'node:net';

/** An IP address as bytes: 4 for IPv4, 16 for IPv6. */
export type IpBytes = Uint8Array;

/** Parses an IPv4 or IPv6 literal (brackets and a zone id allowed) into bytes; undefined when it is not one. */
export function parseIp(text: string): IpBytes | undefined {
  let value = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const zone = value.indexOf('%');
  if (zone >= 0) value = value.slice(0, zone);
  const kind = isIP(value);
  if (kind === 4) return Uint8Array.from(value.split('.').map(Number));
  if (kind === 6) return parseIpv6(value);
  return undefined;
}

function parseIpv6(value: string): IpBytes {
  let text = value.toLowerCase();
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    // Embedded dotted IPv4 (::ffff:1.2.3.4): turn it into two groups.
    const [a = 0, b = 0, c = 0, d = 0] = last.split('.').map(Number);
    tail.push((a << 8) | b, (c << 8) | d);
    text = text.slice(0, lastColon + 1) + (tail.length ? '0:0' : '');
  }
  const [head = '', rest] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const missing = 8 - headGroups.length - restGroups.length;
  const groups = [...headGroups, ...Array<string>(Math.max(0, missing)).fill('0'), ...restGroups].map((g) =>
    Number.parseInt(g, 16),
  );
  if (tail.length === 2) groups.splice(6, 2, tail[0] ?? 0, tail[1] ?? 0);
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[i * 2] = (g >> 8) & 0xff;
    bytes[i * 2 + 1] = g & 0xff;
  });
  return bytes;
}

/** Formats IPv4 bytes as dotted decimal. */
export function formatIpv4(bytes: IpBytes): string {
  return Array.from(bytes).join('.');
}

/** A CIDR block: network bytes and prefix length. */
export interface Cidr {
  bytes: IpBytes;
  prefix: number;
}

/** Parses `a.b.c.d/n`, `x::/n` or a bare address (a /32 or /128). Undefined when malformed. */
export function parseCidr(text: string): Cidr | undefined {
  const [address = '', prefixText] = text.trim().split('/');
  const bytes = parseIp(address);
  if (!bytes) return undefined;
  const max = bytes.length * 8;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) return undefined;
  return { bytes, prefix };
}

/** True when `address` lies in `cidr` (same family only). */
export function inCidr(address: IpBytes, cidr: Cidr): boolean {
  if (address.length !== cidr.bytes.length) return false;
  let bits = cidr.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((address[i] ?? 0) & mask) !== ((cidr.bytes[i] ?? 0) & mask)) return false;
  }
  return true;
}

const cidr = (text: string): Cidr => {
  const parsed = parseCidr(text);
  if (!parsed) throw new Error(`bad built-in CIDR ${text}`);
  return parsed;
};

/** IPv4 ranges no workflow may reach unless allow-listed, with the reason reported. */
const REFUSED_V4: ReadonlyArray<[Cidr, string]> = [
  [cidr('0.0.0.0/8'), 'unspecified address'],
  [cidr('10.0.0.0/8'), 'private address'],
  [cidr('100.64.0.0/10'), 'carrier-grade NAT address'],
  [cidr('127.0.0.0/8'), 'loopback address'],
  [cidr('169.254.0.0/16'), 'link-local address'],
  [cidr('172.16.0.0/12'), 'private address'],
  [cidr('192.0.0.0/24'), 'IETF protocol address'],
  [cidr('192.0.2.0/24'), 'documentation address'],
  [cidr('192.88.99.0/24'), '6to4 relay address'],
  [cidr('192.168.0.0/16'), 'private address'],
  [cidr('198.18.0.0/15'), 'benchmarking address'],
  [cidr('198.51.100.0/24'), 'documentation address'],
  [cidr('203.0.113.0/24'), 'documentation address'],
  [cidr('224.0.0.0/4'), 'multicast address'],
  [cidr('240.0.0.0/4'), 'reserved address'],
];

/** IPv6 ranges refused outright (those that embed an IPv4 address are handled separately). */
const REFUSED_V6: ReadonlyArray<[Cidr, string]> = [
  [cidr('::/128'), 'unspecified address'],
  [cidr('::1/128'), 'loopback address'],
  [cidr('64:ff9b:1::/48'), 'local-use NAT64 address'],
  [cidr('100::/64'), 'discard-only address'],
  [cidr('2001::/32'), 'Teredo address'],
  [cidr('2001:db8::/32'), 'documentation address'],
  [cidr('fc00::/7'), 'unique-local address'],
  [cidr('fe80::/10'), 'link-local address'],
  [cidr('fec0::/10'), 'site-local address'],
  [cidr('ff00::/8'), 'multicast address'],
];

/** IPv6 prefixes that carry an IPv4 address in their last 32 bits: the IPv4 address is checked. */
const EMBEDS_V4_LOW: readonly Cidr[] = [
  cidr('::ffff:0:0/96'), // IPv4-mapped
  cidr('::/96'), // IPv4-compatible (deprecated)
  cidr('64:ff9b::/96'), // NAT64 well-known prefix
  cidr('::ffff:0:0:0/96'), // SIIT IPv4-translated
];
const SIX_TO_FOUR = cidr('2002::/16');

/**
 * Why `address` must not be reached (a private, loopback, link-local, CGNAT, unspecified,
 * multicast, reserved, … address, also when embedded in IPv6), or undefined for a public address.
 * An unparsable address is refused.
 */
export function refusalReason(address: string | IpBytes): string | undefined {
  const bytes = typeof address === 'string' ? parseIp(address) : address;
  if (!bytes) return 'not an IP address';
  if (bytes.length === 4) return REFUSED_V4.find(([range]) => inCidr(bytes, range))?.[1];
  for (const [range, reason] of REFUSED_V6) if (inCidr(bytes, range)) return reason;
  for (const range of EMBEDS_V4_LOW) {
    if (inCidr(bytes, range)) {
      const inner = bytes.slice(12, 16);
      const reason = refusalReason(inner);
      return reason ? `${reason} ${formatIpv4(inner)} embedded in IPv6` : undefined;
    }
  }
  if (inCidr(bytes, SIX_TO_FOUR)) {
    const inner = bytes.slice(2, 6);
    const reason = refusalReason(inner);
    return reason ? `${reason} ${formatIpv4(inner)} embedded in a 6to4 address` : undefined;
  }
  return undefined;
}
