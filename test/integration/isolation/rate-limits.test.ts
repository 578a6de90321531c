import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createApiHandler,
  TENANT_RATE_LIMIT,
  WEBHOOK_RATE_LIMIT,
} from '../../../functions/api/api-handler.ts';
import type { ApiEvent } from '../../../functions/shared/http/api-event.ts';
import { MemoryRateLimiter } from '../../../lib/local/memory-rate-limiter.ts';
import type { Deps } from '../../../lib/service/deps.ts';
import { startTestApi, type TestApi } from '../api/local-api.ts';

/** Issue 11, limits: 5 keys of one tenant got 750/750 accepted; invalid keys and webhooks were not limited. */
describe('rate limits per tenant, per source address and per webhook flow', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.stop());

  const expectRateLimitHeaders = (headers: Headers) => {
    expect(Number(headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(headers.get('ratelimit')).toMatch(/^"[a-z-]+";r=0;t=\d+$/);
  };

  it('guessing keys from one address is limited: 401s turn into 429s', async () => {
    const statuses: number[] = [];
    let limited: Headers | undefined;
    for (let i = 0; i < 40; i++) {
      const response = await api.request('GET', '/api/v1/flows', { key: `ffk_guess_${i}_0123456789abcdef` });
      statuses.push(response.status);
      if (response.status === 429) limited ??= response.headers;
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses).toContain(429);
    expectRateLimitHeaders(limited as Headers);
  });
});

describe('the tenant budget (a frozen clock: no refill, so the counts are exact)', () => {
  it('five keys of one tenant get the tenant capacity, not five key capacities; other tenants are unaffected', async () => {
    const limiter = new MemoryRateLimiter({ capacity: 100, refillPerSecond: 50 }, () => 1_000_000);
    const deps = {
      stores: { rateLimiter: limiter, flows: { listFlows: async () => ({ items: [] }) } },
    } as unknown as Deps;
    const handler = createApiHandler(() => deps, { info() {}, warn() {}, error() {} });
    const get = (tenant: string, keyId: string) =>
      handler(
        {
          version: '2.0',
          rawPath: '/api/v1/flows',
          rawQueryString: '',
          headers: {},
          isBase64Encoded: false,
          requestContext: {
            requestId: 'r',
            http: { method: 'GET', path: '/api/v1/flows', sourceIp: '10.0.0.1' },
            authorizer: { lambda: { tenant, keyId, scopes: 'flows:read' } },
          },
        } as unknown as ApiEvent,
        {} as never,
      );
    const answers = [];
    for (let i = 0; i < 750; i++) answers.push(await get('greedy', `key-${i % 5}`));
    expect(answers.filter((a) => a.statusCode === 200)).toHaveLength(TENANT_RATE_LIMIT.capacity);
    const limited = answers.filter((a) => a.statusCode === 429);
    expect(limited).toHaveLength(750 - TENANT_RATE_LIMIT.capacity);
    expect(limited[0]?.headers['ratelimit-policy']).toBe('"tenant";q=300;w=2');
    expect(limited[0]?.headers.ratelimit).toMatch(/^"tenant";r=0;t=\d+$/);
    expect(Number(limited[0]?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await get('modest', 'key-x')).statusCode).toBe(200);
  });

  it('webhook deliveries are limited per flow, before any signature check', async () => {
    const limiter = new MemoryRateLimiter({ capacity: 100, refillPerSecond: 50 }, () => 1_000_000);
    const deps = { stores: { rateLimiter: limiter } } as unknown as Deps;
    const handler = createApiHandler(() => deps, { info() {}, warn() {}, error() {} });
    const hook = (flowId: string) =>
      handler(
        {
          version: '2.0',
          rawPath: `/api/v1/hooks/${flowId}/hook`,
          rawQueryString: '',
          headers: { 'content-type': 'application/json' },
          body: '{}',
          isBase64Encoded: false,
          requestContext: { requestId: 'r', http: { method: 'POST', path: '/', sourceIp: '10.0.0.9' } },
        } as unknown as ApiEvent,
        {} as never,
      );
    const statuses = [];
    for (let i = 0; i < WEBHOOK_RATE_LIMIT.capacity + 20; i++)
      statuses.push((await hook('victim')).statusCode);
    expect(statuses.slice(0, WEBHOOK_RATE_LIMIT.capacity).every((s) => s !== 429)).toBe(true);
    expect(statuses.slice(WEBHOOK_RATE_LIMIT.capacity)).toEqual(Array(20).fill(429));
    // Another flow's webhooks keep their own budget.
    expect((await hook('other')).statusCode).not.toBe(429);
  });
});
