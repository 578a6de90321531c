import { describe, expect, it } from 'vitest';
import { refusalReason } from '../../../lib/security/ip-address.ts';
import { type HostResolver, SsrfGuard, SsrfRefusedError } from '../../../lib/security/ssrf-guard.ts';

const table: Record<string, string[]> = {
  'internal.test': ['127.0.0.1'],
  'metadata.test': ['169.254.169.254'],
  'mixed.test': ['93.184.216.34', '10.0.0.5'],
  'ula.test': ['fd12:3456::1'],
  'mapped.test': ['::ffff:192.168.0.10'],
  'public.test': ['93.184.216.34'],
  'public6.test': ['2606:4700:4700::1111'],
  'corp.example.test': ['10.20.30.40'],
  'api.corp.test': ['10.1.1.1'],
};
const resolve: HostResolver = async (host) => {
  if (host === 'localhost')
    return [
      { address: '127.0.0.1', family: 4 },
      { address: '::1', family: 6 },
    ];
  const addresses = table[host];
  if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

const refused = [
  'http://169.254.169.254/',
  'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
  'http://[::ffff:169.254.169.254]/',
  'http://127.0.0.1:9001/',
  'http://2130706433/',
  'http://0x7f.1/',
  'http://017700000001/',
  'http://0177.0.0.1/',
  'http://127.1/',
  'http://[::1]/',
  'http://[::]/',
  'http://10.0.0.1/',
  'http://172.16.0.1/',
  'http://172.31.255.255/',
  'http://192.168.1.1/',
  'http://100.64.0.1/',
  'http://0.0.0.0/',
  'http://0/',
  'file:///etc/passwd',
  'ftp://public.test/',
  'gopher://public.test:70/',
  'http://localhost/',
  'http://internal.test/',
  'http://metadata.test/',
  'http://mixed.test/',
  'http://ula.test/',
  'http://mapped.test/',
  'http://[fe80::1]/',
  'http://[fd00::1]/',
  'http://[::ffff:7f00:1]/',
  'http://[::127.0.0.1]/',
  'http://[64:ff9b::a9fe:a9fe]/',
  'http://[2002:7f00:1::]/',
  'http://224.0.0.1/',
  'http://[ff02::1]/',
  'http://255.255.255.255/',
  'http://198.18.0.1/',
  'http://user:pass@public.test/',
];

const allowed = [
  'http://public.test/',
  'https://public.test:8443/path?q=1',
  'http://93.184.216.34/',
  'http://[2606:4700:4700::1111]/',
  'http://public6.test/',
  'http://[64:ff9b::5db8:d822]/', // NAT64 of a public address
  'http://8.8.8.8/',
];

describe('SsrfGuard', () => {
  const guard = new SsrfGuard({ resolve });

  it.each(refused)('refuses %s', async (url) => {
    await expect(guard.check(url)).rejects.toBeInstanceOf(SsrfRefusedError);
  });

  it('has at least 20 refused targets', () => {
    expect(refused.length).toBeGreaterThanOrEqual(20);
  });

  it.each(allowed)('allows %s and pins the checked address', async (url) => {
    const target = await guard.check(url);
    expect(refusalReason(target.address)).toBeUndefined();
  });

  it('refuses with a reason that names the address class', async () => {
    await expect(guard.check('http://internal.test/')).rejects.toThrow(
      /resolves to a loopback address \(127\.0\.0\.1\)/,
    );
    await expect(guard.check('http://[::ffff:169.254.169.254]/')).rejects.toThrow(
      /link-local address 169\.254\.169\.254 embedded/,
    );
  });

  it('resolves once and returns the address to connect to', async () => {
    let calls = 0;
    const counting = new SsrfGuard({
      resolve: async () => {
        calls += 1;
        return [{ address: '93.184.216.34', family: 4 }];
      },
    });
    const target = await counting.check('https://example.test/x');
    expect(calls).toBe(1);
    expect(target).toMatchObject({ hostname: 'example.test', address: '93.184.216.34', family: 4 });
    expect(target.url.href).toBe('https://example.test/x');
  });

  it('opens hosts and CIDRs named in the allow-list, nothing else', async () => {
    const open = new SsrfGuard({ resolve, allow: '127.0.0.1, 10.0.0.0/8 ,internal.test,*.corp.test' });
    await expect(open.check('http://127.0.0.1:9001/')).resolves.toMatchObject({ address: '127.0.0.1' });
    await expect(open.check('http://10.9.8.7/')).resolves.toMatchObject({ address: '10.9.8.7' });
    await expect(open.check('http://internal.test/')).resolves.toMatchObject({ address: '127.0.0.1' });
    await expect(open.check('http://api.corp.test/')).resolves.toMatchObject({ address: '10.1.1.1' });
    await expect(open.check('http://192.168.1.1/')).rejects.toBeInstanceOf(SsrfRefusedError);
    await expect(open.check('http://169.254.169.254/')).rejects.toBeInstanceOf(SsrfRefusedError);
    await expect(open.check('http://[::1]/')).rejects.toBeInstanceOf(SsrfRefusedError);
    await expect(open.check('file:///etc/passwd')).rejects.toBeInstanceOf(SsrfRefusedError);
  });

  it('reports an unknown host as a lookup failure, not a refusal', async () => {
    await expect(guard.check('http://nowhere.test/')).rejects.toMatchObject({ name: 'HostLookupFailed' });
  });
});
