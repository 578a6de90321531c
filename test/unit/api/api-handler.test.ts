import { describe, expect, it } from 'vitest';
import { createApiHandler } from '../../../functions/api/api-handler.ts';
import { authorizeRequest } from '../../../functions/api/authorize-request.ts';
import type { ApiEvent, AuthorizerEvent } from '../../../functions/shared/http/api-event.ts';
import type { Deps } from '../../../lib/service/deps.ts';
import type { ApiKeyRecord, RateLimit } from '../../../lib/store/types.ts';

const event = (method: string, path: string, authorizer?: Record<string, string>, body?: string): ApiEvent =>
  ({
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: {},
    body,
    isBase64Encoded: false,
    requestContext: {
      requestId: 'req-123',
      routeKey: '$default',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '10.0.0.1', userAgent: 'test' },
      ...(authorizer ? { authorizer: { lambda: authorizer } } : {}),
    },
  }) as unknown as ApiEvent;

const context = {} as never;
const log = { info() {}, warn() {}, error() {} };

const fakeDeps = (options: { allowed?: boolean; listFlows?: () => Promise<unknown> } = {}) => {
  const limits: Array<RateLimit | undefined> = [];
  const deps = {
    stores: {
      rateLimiter: {
        takeToken: async (_keyId: string, limit?: RateLimit) => {
          limits.push(limit);
          return options.allowed === false ? { allowed: false, retryAfterSeconds: 7 } : { allowed: true };
        },
      },
      flows: { listFlows: options.listFlows ?? (async () => ({ items: [] })) },
    },
  } as unknown as Deps;
  return { deps, limits };
};

const reader = { tenant: 't1', keyId: 'k1', scopes: 'flows:read' };

describe('API handler', () => {
  it('answers a route with x-request-id from API Gateway', async () => {
    const { deps } = fakeDeps();
    const result = await createApiHandler(() => deps, log)(event('GET', '/api/v1/flows', reader), context);
    expect(result.statusCode).toBe(200);
    expect(result.headers['x-request-id']).toBe('req-123');
    expect(JSON.parse(result.body ?? '')).toEqual({ items: [] });
  });

  it('answers 401 without an authorizer context and 403 without the scope', async () => {
    const { deps } = fakeDeps();
    const handler = createApiHandler(() => deps, log);
    const anonymous = await handler(event('GET', '/api/v1/flows'), context);
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['content-type']).toBe('application/problem+json');
    const forbidden = await handler(event('POST', '/api/v1/flows', reader, '{}'), context);
    expect(forbidden.statusCode).toBe(403);
    expect(JSON.parse(forbidden.body ?? '')).toMatchObject({ status: 403, requestId: 'req-123' });
  });

  it("answers 429 with Retry-After from the key's bucket, using the key's own limit", async () => {
    const { deps, limits } = fakeDeps({ allowed: false });
    const result = await createApiHandler(() => deps, log)(
      event('GET', '/api/v1/flows', { ...reader, rateLimit: '5/2' }),
      context,
    );
    expect(result.statusCode).toBe(429);
    expect(result.headers['retry-after']).toBe('7');
    expect(limits).toEqual([{ capacity: 5, refillPerSecond: 2 }]);
  });

  it('answers 404 for unknown paths and 405 with Allow for a known path', async () => {
    const { deps } = fakeDeps();
    const handler = createApiHandler(() => deps, log);
    expect((await handler(event('GET', '/api/v2/flows', reader), context)).statusCode).toBe(404);
    const wrong = await handler(event('PATCH', '/api/v1/flows', reader), context);
    expect(wrong.statusCode).toBe(405);
    expect(wrong.headers.allow).toBe('POST, GET, HEAD');
  });

  it('hides an unexpected error behind "internal error" and the request id', async () => {
    const errors: unknown[] = [];
    const { deps } = fakeDeps({
      listFlows: async () => {
        throw new Error('connection to /var/secret/db.ts:12 failed');
      },
    });
    const handler = createApiHandler(() => deps, { ...log, error: (_m, extra) => errors.push(extra) });
    const result = await handler(event('GET', '/api/v1/flows', reader), context);
    expect(result.statusCode).toBe(500);
    expect(JSON.parse(result.body ?? '')).toEqual({
      type: 'https://flowforge.dev/problems/internal',
      title: 'Internal server error',
      status: 500,
      detail: 'internal error',
      instance: '/api/v1/flows',
      requestId: 'req-123',
    });
    expect(errors).toHaveLength(1);
  });

  it('rejects query parameters outside the schema with 400 and a pointer', async () => {
    const { deps } = fakeDeps();
    const bad = {
      ...event('GET', '/api/v1/flows', reader),
      queryStringParameters: { limit: '0' },
    } as ApiEvent;
    const result = await createApiHandler(() => deps, log)(bad, context);
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body ?? '').errors[0].path).toBe('/query/limit');
  });
});

describe('Lambda authorizer', () => {
  const record: ApiKeyRecord = {
    keyId: 'k9',
    tenant: 'acme',
    name: 'ci',
    scopes: ['flows:read', 'executions:read'],
    createdAt: '2026-01-01T00:00:00.000Z',
    rateLimit: { capacity: 10, refillPerSecond: 5 },
  };
  const marks: string[] = [];
  const keys = {
    findByKey: async (plaintext: string) => (plaintext === 'ffk_good_key_1234567890' ? record : undefined),
    markUsed: async (_plaintext: string, at: Date) => {
      marks.push(at.toISOString());
    },
  } as never;
  const authorizerEvent = (authorization?: string) =>
    ({ headers: authorization ? { authorization } : {}, identitySource: [] }) as unknown as AuthorizerEvent;

  it('authorizes a known key with its tenant, key id, scopes and rate limit', async () => {
    expect(await authorizeRequest(keys, authorizerEvent('Bearer ffk_good_key_1234567890'))).toEqual({
      isAuthorized: true,
      context: { tenant: 'acme', keyId: 'k9', scopes: 'flows:read executions:read', rateLimit: '10/5' },
    });
  });

  it('records when a key was last used, at most once an hour, and a failed record never refuses the key', async () => {
    marks.length = 0;
    const now = new Date('2026-06-01T12:00:00.000Z');
    await authorizeRequest(keys, authorizerEvent('Bearer ffk_good_key_1234567890'), now);
    expect(marks).toEqual(['2026-06-01T12:00:00.000Z']);
    const recent = {
      findByKey: async () => ({ ...record, lastUsedAt: '2026-06-01T11:30:00.000Z' }),
      markUsed: async () => {
        marks.push('again');
      },
    } as never;
    await authorizeRequest(recent, authorizerEvent('Bearer ffk_good_key_1234567890'), now);
    expect(marks).toHaveLength(1);
    const broken = {
      findByKey: async () => record,
      markUsed: async () => {
        throw new Error('throttled');
      },
    } as never;
    const result = await authorizeRequest(broken, authorizerEvent('Bearer ffk_good_key_1234567890'), now);
    expect(result.context).toMatchObject({ tenant: 'acme', keyId: 'k9' });
  });

  it('passes missing, malformed and unknown keys on as denied, with the reason', async () => {
    const reasons = [];
    for (const header of [
      undefined,
      'ffk_good_key_1234567890',
      'Basic abc',
      'Bearer ffk_unknown_key_123456',
    ]) {
      const result = await authorizeRequest(keys, authorizerEvent(header));
      expect(result.isAuthorized).toBe(true);
      expect(Object.keys(result.context)).toEqual(['denied']);
      reasons.push((result.context as { denied: string }).denied);
    }
    expect(reasons).toEqual([
      'an API key is required: Authorization: Bearer <key>',
      'the Authorization header must be "Bearer <key>"',
      'the Authorization header must be "Bearer <key>"',
      'the API key is not valid or was revoked',
    ]);
  });

  it('makes the API answer 401 problem+json naming why for a denied context', async () => {
    const { deps } = fakeDeps();
    const result = await createApiHandler(() => deps, log)(
      event('GET', '/api/v1/flows', { denied: 'the API key is not valid or was revoked' }),
      context,
    );
    expect(result.statusCode).toBe(401);
    expect(JSON.parse(result.body ?? '')).toMatchObject({
      status: 401,
      detail: 'the API key is not valid or was revoked',
    });
  });
});
