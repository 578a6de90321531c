import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ActionContext } from '../../../lib/actions/action.ts';
import { MemoryCircuitBreakerStore } from '../../../lib/actions/http/circuit-breaker.ts';
import { createHttpAction, type HttpActionDeps } from '../../../lib/actions/http/index.ts';
import { httpConfigSchema } from '../../../lib/actions/http/schema.ts';
import { SsrfGuard } from '../../../lib/security/ssrf-guard.ts';
import { startTestServer, type TestServer } from './http-test-server.ts';

const context: ActionContext = {
  nodeId: 'call',
  attempt: 1,
  execution: { id: 'exec-1', startedAt: '2026-01-01T00:00:00Z', flowId: 'flow-1', version: 1 },
};

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.seen.length = 0;
});

const deps = (extra: HttpActionDeps = {}): HttpActionDeps => ({
  guard: new SsrfGuard({ allow: '127.0.0.1' }),
  circuitStore: new MemoryCircuitBreakerStore(),
  ...extra,
});

async function call(config: Record<string, unknown>, extra?: HttpActionDeps, secrets?: string[]) {
  const action = createHttpAction(deps(extra));
  return action.run(httpConfigSchema.parse(config), secrets ? { ...context, secrets } : context);
}

async function failure(config: Record<string, unknown>, extra?: HttpActionDeps, secrets?: string[]) {
  const error = await call(config, extra, secrets).then(
    () => undefined,
    (e: unknown) => e as Error & { retryable: boolean; retryAfterSeconds?: number },
  );
  if (!error) throw new Error('expected the call to fail');
  return error;
}

describe('http action against a real server on 127.0.0.1', () => {
  it('parses a JSON body and returns status and lower-case headers', async () => {
    const out = await call({ url: `${server.base}/json` });
    expect(out.status).toBe(200);
    expect(out.body).toEqual({ ok: true, n: 1 });
    expect(out.headers['content-type']).toBe('application/json');
  });

  it('returns text bodies as strings, and text when responseType is text even for JSON', async () => {
    expect((await call({ url: `${server.base}/text` })).body).toBe('hello');
    expect((await call({ url: `${server.base}/json`, responseType: 'text' })).body).toBe('{"ok":true,"n":1}');
  });

  it('sends an object body as JSON with query parameters and headers', async () => {
    const out = await call({
      method: 'POST',
      url: `${server.base}/echo?a=1`,
      query: { b: 2, c: true },
      headers: { 'X-Trace': 'abc' },
      body: { hello: 'world' },
    });
    const echo = out.body as { method: string; headers: Record<string, string>; body: string; query: object };
    expect(echo.method).toBe('POST');
    expect(echo.query).toEqual({ a: '1', b: '2', c: 'true' });
    expect(echo.headers['x-trace']).toBe('abc');
    expect(echo.headers['content-type']).toBe('application/json');
    expect(JSON.parse(echo.body)).toEqual({ hello: 'world' });
  });

  it('sends a string body as text', async () => {
    const out = await call({ method: 'PUT', url: `${server.base}/echo`, body: 'plain words' });
    const echo = out.body as { headers: Record<string, string>; body: string };
    expect(echo.body).toBe('plain words');
    expect(echo.headers['content-type']).toMatch(/^text\/plain/);
  });

  it('reports 4xx as Http4xx, not retryable', async () => {
    const error = await failure({ url: `${server.base}/status/404` });
    expect(error.name).toBe('Http4xx');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('404');
  });

  it('reports 5xx as Http5xx, retryable, with Retry-After seconds', async () => {
    const error = await failure({ url: `${server.base}/status/503?retryAfter=7` });
    expect(error.name).toBe('Http5xx');
    expect(error.retryable).toBe(true);
    expect(error.retryAfterSeconds).toBe(7);
  });

  it('reports 429 as Http429 with an HTTP-date Retry-After turned into seconds', async () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const date = encodeURIComponent(new Date(now + 120_000).toUTCString());
    const error = await failure({ url: `${server.base}/status/429?retryAfter=${date}` }, { now: () => now });
    expect(error.name).toBe('Http429');
    expect(error.retryable).toBe(true);
    expect(error.retryAfterSeconds).toBe(120);
  });

  it('honours successStatus', async () => {
    expect((await call({ url: `${server.base}/status/404`, successStatus: [200, 404] })).status).toBe(404);
    const error = await failure({ url: `${server.base}/json`, successStatus: [201] });
    expect(error.name).toBe('HttpUnexpectedStatus');
  });

  it('times out as HttpTimeout, retryable', async () => {
    const error = await failure({ url: `${server.base}/slow`, timeoutSeconds: 0.2 });
    expect(error.name).toBe('HttpTimeout');
    expect(error.retryable).toBe(true);
  });

  it('refuses a body over maxResponseBytes, streamed or declared', async () => {
    const streamed = await failure({ url: `${server.base}/big?bytes=300000`, maxResponseBytes: 100_000 });
    expect(streamed.name).toBe('HttpResponseTooLarge');
    expect(streamed.retryable).toBe(false);
    const declared = await failure({
      url: `${server.base}/big?bytes=300000&declared=1`,
      maxResponseBytes: 100_000,
    });
    expect(declared.name).toBe('HttpResponseTooLarge');
    expect((await call({ url: `${server.base}/big?bytes=1000` })).body).toHaveLength(1000);
  });

  it('refuses JSON that does not parse when responseType is json', async () => {
    expect((await failure({ url: `${server.base}/bad-json`, responseType: 'json' })).name).toBe(
      'HttpInvalidResponse',
    );
    expect((await call({ url: `${server.base}/bad-json` })).body).toBe('{nope');
  });

  it('follows redirects, turning a POST into a GET on 302/303, keeping it on 307', async () => {
    const got = await call({
      method: 'POST',
      url: `${server.base}/redirect?to=/echo&status=303`,
      body: { a: 1 },
    });
    expect((got.body as { method: string }).method).toBe('GET');
    const kept = await call({
      method: 'POST',
      url: `${server.base}/redirect?to=/echo&status=307`,
      body: { a: 1 },
    });
    expect((kept.body as { method: string; body: string }).method).toBe('POST');
    expect((kept.body as { body: string }).body).toBe('{"a":1}');
  });

  it('stops after 5 redirects, and returns the 3xx when followRedirects is false', async () => {
    expect((await call({ url: `${server.base}/chain/4` })).status).toBe(200);
    expect((await failure({ url: `${server.base}/chain/5` })).name).toBe('HttpTooManyRedirects');
    const raw = await call({ url: `${server.base}/chain/1`, followRedirects: false, successStatus: '3xx' });
    expect(raw.status).toBe(302);
    expect(raw.headers.location).toBe('/chain/0');
  });

  it('re-checks every redirect hop: an allowed host redirecting to a private one is refused', async () => {
    for (const to of [
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.1/',
      `http://[::1]:${server.port}/json`,
    ]) {
      const error = await failure({ url: `${server.base}/redirect?to=${encodeURIComponent(to)}` });
      expect(error.name).toBe('TargetRefused');
      expect(error.retryable).toBe(false);
    }
    expect(server.seen.map((r) => r.path)).toEqual(['/redirect', '/redirect', '/redirect']);
  });

  it('a public-looking host (resolved by an injected resolver) redirecting to a private address is refused', async () => {
    const lookups: string[] = [];
    const guard = new SsrfGuard({
      allow: ['public.test'],
      resolve: async (host) => {
        lookups.push(host);
        return [{ address: '127.0.0.1', family: 4 }];
      },
    });
    const error = await failure(
      {
        url: `http://public.test:${server.port}/redirect?to=${encodeURIComponent(`http://127.0.0.1:${server.port}/json`)}`,
      },
      { guard },
    );
    expect(error.name).toBe('TargetRefused');
    expect(server.seen).toHaveLength(1);
    expect(server.seen[0]?.headers.host).toBe(`public.test:${server.port}`);
    expect(lookups).toEqual(['public.test']);
  });

  it('refuses the test server itself when it is not allow-listed', async () => {
    const error = await failure({ url: `${server.base}/json` }, { guard: new SsrfGuard() });
    expect(error.name).toBe('TargetRefused');
    expect(server.seen).toHaveLength(0);
  });

  it('treats a header that carries a resolved secret as a credential: dropped on a cross-origin redirect, kept out of errors', async () => {
    const secret = 'tok-SECRET-1234';
    const guard = new SsrfGuard({ allow: ['127.0.0.1', 'localhost', '::1'] });
    const out = await call(
      {
        url: `${server.base}/redirect?to=${encodeURIComponent(`http://localhost:${server.port}/echo`)}`,
        headers: { 'X-Api-Token': `Token ${secret}`, 'X-Other': 'kept' },
      },
      { guard },
      [secret],
    );
    const echo = out.body as { headers: Record<string, string> };
    expect(echo.headers['x-api-token']).toBeUndefined();
    expect(echo.headers['x-other']).toBe('kept');

    const error = await failure(
      { url: `${server.base}/status/500`, headers: { 'X-Api-Token': secret } },
      {},
      [secret],
    );
    expect(JSON.stringify({ message: error.message, cause: String(error.cause) })).not.toContain(secret);
  });

  it('drops credential headers on a redirect to another origin', async () => {
    const guard = new SsrfGuard({ allow: ['127.0.0.1', 'localhost', '::1'] });
    const out = await call(
      {
        url: `${server.base}/redirect?to=${encodeURIComponent(`http://localhost:${server.port}/echo`)}`,
        headers: { Authorization: 'Bearer abc', 'X-Other': 'kept' },
      },
      { guard },
    );
    const echo = out.body as { headers: Record<string, string> };
    expect(echo.headers.authorization).toBeUndefined();
    expect(echo.headers['x-other']).toBe('kept');
  });

  it('issue 11: refuses hop-by-hop and framing headers in the config (the target never sees CL and TE together)', async () => {
    for (const name of [
      'Host',
      'Content-Length',
      'transfer-encoding',
      'Connection',
      'Keep-Alive',
      'Upgrade',
      'TE',
      'Trailer',
      'Proxy-Authorization',
      'proxy-foo',
    ]) {
      const parsed = httpConfigSchema.safeParse({ url: `${server.base}/echo`, headers: { [name]: 'x' } });
      expect(parsed.success, name).toBe(false);
      expect(parsed.error?.issues[0]?.path, name).toEqual(['headers', name]);
    }
    const smuggle = httpConfigSchema.safeParse({
      url: `${server.base}/echo`,
      method: 'POST',
      headers: { 'Content-Length': '4', 'Transfer-Encoding': 'chunked' },
      body: 'x',
    });
    expect(smuggle.success).toBe(false);
    const crlf = httpConfigSchema.safeParse({
      url: `${server.base}/echo`,
      headers: { 'X-A': 'a\r\nX-Injected: 1' },
    });
    expect(crlf.success).toBe(false);
    expect(server.seen).toHaveLength(0);
  });

  it('issue 11: drops every credential-bearing header on a cross-origin redirect (X-Api-Key, cookies, custom tokens)', async () => {
    const guard = new SsrfGuard({ allow: ['127.0.0.1', 'localhost', '::1'] });
    const out = await call(
      {
        url: `${server.base}/redirect?to=${encodeURIComponent(`http://localhost:${server.port}/echo`)}`,
        headers: {
          'X-Api-Key': 'k1',
          Cookie: 'sid=1',
          'X-Auth-Token': 't1',
          'X-Session-Id': 's1',
          'X-Hub-Signature': 'sig',
          Accept: 'application/json',
          'X-Request-Source': 'kept',
        },
      },
      { guard },
    );
    const echo = out.body as { headers: Record<string, string> };
    for (const name of ['x-api-key', 'cookie', 'x-auth-token', 'x-session-id', 'x-hub-signature'])
      expect(echo.headers[name], name).toBeUndefined();
    expect(echo.headers['x-request-source']).toBe('kept');
    // On the same origin nothing is dropped.
    const same = await call(
      { url: `${server.base}/redirect?to=/echo`, headers: { 'X-Api-Key': 'k1' } },
      { guard },
    );
    expect((same.body as { headers: Record<string, string> }).headers['x-api-key']).toBe('k1');
  });

  it('reports a refused connection as HttpNetworkError, retryable', async () => {
    const closed = await startTestServer();
    const base = closed.base;
    await closed.close();
    const error = await failure({ url: `${base}/json` });
    expect(error.name).toBe('HttpNetworkError');
    expect(error.retryable).toBe(true);
  });

  it('reuses keep-alive connections across calls', async () => {
    await call({ url: `${server.base}/echo` });
    const second = await call({ url: `${server.base}/echo` });
    expect((second.body as { headers: Record<string, string> }).headers.connection).toBe('keep-alive');
  });
});
