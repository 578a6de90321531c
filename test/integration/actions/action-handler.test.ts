import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActionHandler } from '../../../functions/shared/action-handler.ts';
import type { TaskPayload } from '../../../lib/actions/action.ts';
import { MemoryCircuitBreakerStore } from '../../../lib/actions/http/circuit-breaker.ts';
import { createHttpAction } from '../../../lib/actions/http/index.ts';
import { createDynamoDbIdempotencyStore, type IdempotencyStore } from '../../../lib/actions/idempotency.ts';
import { invokeAction } from '../../../lib/actions/invoke-action.ts';
import { logAction } from '../../../lib/actions/log/index.ts';
import { transformAction } from '../../../lib/actions/transform/index.ts';
import { createLocalPayloadStore } from '../../../lib/payloads/local-payload-store.ts';
import { isPayloadRef, jsonBytes } from '../../../lib/payloads/offload.ts';
import type { PayloadStore } from '../../../lib/payloads/payload-store.ts';
import { resolveRefs } from '../../../lib/payloads/resolve-refs.ts';
import { SsrfGuard } from '../../../lib/security/ssrf-guard.ts';
import { startTestServer, type TestServer } from './http-test-server.ts';
import { type LocalTable, startLocalTable } from './local-dynamo.ts';

const lambdaContext = {
  functionName: 'flowforge-action-http',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:flowforge-action-http',
  memoryLimitInMB: '256',
  awsRequestId: 'req-1',
  logGroupName: '/aws/lambda/flowforge-action-http',
  logStreamName: 'stream',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} as Context;

const payload = (config: Record<string, unknown>, extra: Partial<TaskPayload> = {}): TaskPayload => ({
  nodeId: 'call',
  action: 'http',
  config,
  execution: { id: 'exec-1', startedAt: '2026-01-01T00:00:00Z', flowId: 'flow-1', version: 3 },
  attempt: 1,
  ...extra,
});

let server: TestServer;
let table: LocalTable;
let store: IdempotencyStore;
const http = createHttpAction({
  guard: new SsrfGuard({ allow: '127.0.0.1' }),
  circuitStore: new MemoryCircuitBreakerStore(),
});

beforeAll(async () => {
  [server, table] = await Promise.all([startTestServer(), startLocalTable()]);
  store = createDynamoDbIdempotencyStore({ tableName: table.tableName, client: table.client });
});
afterAll(async () => {
  await Promise.all([server.close(), table.close()]);
});
beforeEach(() => {
  server.seen.length = 0;
});

// Lambda output (logs, EMF) goes to stdout and stderr; keep it for assertions instead of printing it.
let stdout: string[] = [];
beforeEach(() => {
  stdout = [];
  for (const stream of [process.stdout, process.stderr])
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout.push(String(chunk));
      return true;
    });
});
afterEach(() => {
  vi.restoreAllMocks();
});

async function failure(promise: Promise<unknown>) {
  return promise.then(
    () => {
      throw new Error('expected failure');
    },
    (error: Error) => error,
  );
}

describe('createActionHandler (middy + Powertools) with idempotency on dynalite', () => {
  const handler = () => createActionHandler(http, { idempotency: store });

  it('returns the action output as the Lambda result, nothing wrapped around it', async () => {
    const out = await handler()(
      payload(
        { url: `${server.base}/json` },
        { execution: { id: 'exec-out', startedAt: 'x', flowId: 'f', version: 1 } },
      ),
      lambdaContext,
    );
    expect(out).toMatchObject({ status: 200, body: { ok: true, n: 1 } });
  });

  it('performs the side effect once when the same Task payload is delivered twice', async () => {
    const h = handler();
    const task = payload(
      { method: 'POST', url: `${server.base}/echo`, body: { order: 1 } },
      { nodeId: 'post-once' },
    );
    const first = await h(task, lambdaContext);
    const second = await h(structuredClone(task), lambdaContext);
    expect(server.seen.filter((r) => r.path === '/echo')).toHaveLength(1);
    expect(second).toEqual(first);
    const items = await table.client.send(new ScanCommand({ TableName: table.tableName }));
    const keys = (items.Items ?? []).map((item) => item.pk?.S ?? '');
    expect(keys.some((key) => key.startsWith('IDEMPOTENCY#flowforge-action#'))).toBe(true);
    expect((items.Items ?? []).every((item) => item.expiresAt?.N !== undefined)).toBe(true);
  });

  it('runs again for the next attempt (a retry the machine asked for)', async () => {
    const h = handler();
    const config = { method: 'POST', url: `${server.base}/echo`, body: { order: 2 } };
    await h(payload(config, { nodeId: 'retry', attempt: 1 }), lambdaContext);
    await h(payload(config, { nodeId: 'retry', attempt: 2 }), lambdaContext);
    expect(server.seen.filter((r) => r.path === '/echo')).toHaveLength(2);
  });

  it('a failed run leaves no record: the same payload runs again', async () => {
    const h = handler();
    const task = payload({ url: `${server.base}/status/500` }, { nodeId: 'fails' });
    expect((await failure(h(task, lambdaContext))).name).toBe('Http5xx');
    expect((await failure(h(task, lambdaContext))).name).toBe('Http5xx');
    expect(server.seen).toHaveLength(2);
  });

  it('refuses the same identity with a different config', async () => {
    const h = handler();
    await h(payload({ url: `${server.base}/json` }, { nodeId: 'changed' }), lambdaContext);
    const error = await failure(
      h(payload({ url: `${server.base}/text` }, { nodeId: 'changed' }), lambdaContext),
    );
    expect(error.name).toBe('IdempotencyMismatch');
  });

  it('rethrows action errors with their stable name and counts ActionFailures by action', async () => {
    const error = await failure(
      handler()(payload({ url: `${server.base}/status/404` }, { nodeId: 'nf' }), lambdaContext),
    );
    expect(error.name).toBe('Http4xx');
    const emf = stdout.map((line) => line.trim()).filter((line) => line.includes('"_aws"'));
    const metrics = emf.map((line) => JSON.parse(line) as Record<string, unknown>);
    const last = metrics.at(-1);
    expect(last?.action).toBe('http');
    expect(last?.ActionFailures).toBe(1);
    expect(typeof last?.ActionDuration).toBe('number');
  });

  it('turns a bad Task payload into InvalidConfig', async () => {
    const error = await failure(handler()({ nodeId: 'x', action: 'http' }, lambdaContext));
    expect(error.name).toBe('InvalidConfig');
    expect(error.message).toContain('execution');
  });

  it('turns a bad config into InvalidConfig naming the zod paths', async () => {
    const error = await failure(handler()(payload({ url: 5, method: 'FETCH' }), lambdaContext));
    expect(error.name).toBe('InvalidConfig');
    expect(error.message).toMatch(/method/);
    expect(error.message).toMatch(/url/);
  });

  it('refuses an output over FLOWFORGE_MAX_OUTPUT_BYTES with PayloadTooLarge, never cut', async () => {
    vi.stubEnv('FLOWFORGE_MAX_OUTPUT_BYTES', '500');
    try {
      const error = await failure(
        handler()(payload({ url: `${server.base}/big?bytes=2000` }, { nodeId: 'big' }), lambdaContext),
      );
      expect(error.name).toBe('PayloadTooLarge');
    } finally {
      vi.unstubAllEnvs();
    }
    // The refused run stored nothing: under the default limit the same Task runs (a second request).
    await handler()(payload({ url: `${server.base}/big?bytes=2000` }, { nodeId: 'big' }), lambdaContext);
    expect(server.seen).toHaveLength(2);
  });

  it('the log action writes its message at its level with the Task keys on the line', async () => {
    const h = createActionHandler(logAction);
    const out = await h(
      payload({ message: 'order o-1 failed', level: 'warn' }, { action: 'log', nodeId: 'alert', attempt: 2 }),
      lambdaContext,
    );
    expect(out).toEqual({ message: 'order o-1 failed' });
    const line = stdout.map((l) => l.trim()).find((l) => l.includes('order o-1 failed'));
    expect(line).toBeDefined();
    expect(JSON.parse(line ?? '{}')).toMatchObject({
      level: 'WARN',
      message: 'order o-1 failed',
      flowId: 'flow-1',
      executionId: 'exec-1',
      nodeId: 'alert',
      attempt: 2,
    });
  });
});

describe('invokeAction (the local runner path)', () => {
  it('runs the registered action of the payload kind', async () => {
    const out = await invokeAction(
      payload({ expression: '$sum(data.input.n)' }, { action: 'transform' }),
      {},
    );
    expect(out).toBeNull();
    expect(
      await invokeAction({
        ...payload({ expression: 'input.n * 2', data: { input: { n: 21 } } }),
        action: 'transform',
      }),
    ).toBe(42);
  });

  it('dedupes through the same idempotency store', async () => {
    const task = payload({ url: `${server.base}/echo`, method: 'POST', body: 'x' }, { nodeId: 'local-once' });
    const registry = { http: async () => http as never };
    await invokeAction(task, { registry, idempotency: store });
    await invokeAction(task, { registry, idempotency: store });
    expect(server.seen).toHaveLength(1);
  });

  it('reports an unknown kind', async () => {
    expect((await failure(invokeAction(payload({}, { action: 'nope' })))).name).toBe('UnknownAction');
  });
});

describe('large data in the action core (offload outputs, resolve config references)', () => {
  let dir: string;
  let payloads: PayloadStore;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ff-action-payloads-'));
    payloads = createLocalPayloadStore(dir);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('offloads an output over FLOWFORGE_INLINE_BYTES: status and headers inline, body a reference', async () => {
    const h = createActionHandler(http, { idempotency: store, payloads });
    const out = (await h(
      payload({ url: `${server.base}/big?bytes=100000` }, { nodeId: 'big-off' }),
      lambdaContext,
    )) as Record<string, unknown>;
    expect(out.status).toBe(200);
    expect(isPayloadRef(out.body)).toBe(true);
    expect(jsonBytes(out)).toBeLessThanOrEqual(8192);
    expect((out.body as { $ffref: string }).$ffref.startsWith('~/flow-1/exec-1/big-off/')).toBe(true);
    const full = (await resolveRefs(out, (key) => payloads.getJson(key))) as { body: string };
    expect(full.body).toBe('x'.repeat(100_000));
  });

  it('a duplicate delivery answers the same skeleton without running or writing again', async () => {
    const h = createActionHandler(http, { idempotency: store, payloads });
    const task = payload({ url: `${server.base}/big?bytes=50000` }, { nodeId: 'big-dup' });
    const first = await h(task, lambdaContext);
    const second = await h(structuredClone(task), lambdaContext);
    expect(second).toEqual(first);
    expect(server.seen.filter((r) => r.path === '/big')).toHaveLength(1);
  });

  it('honours FLOWFORGE_INLINE_BYTES', async () => {
    vi.stubEnv('FLOWFORGE_INLINE_BYTES', '100000');
    try {
      const out = (await invokeAction(
        payload({ url: `${server.base}/big?bytes=50000` }, { nodeId: 'big-inline' }),
        { registry: { http: async () => http as never }, payloads },
      )) as { body: unknown };
      expect(out.body).toBe('x'.repeat(50_000));
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('resolves references anywhere in the config, transform data included, before the action runs', async () => {
    const scope = { flowId: 'flow-1', executionId: 'exec-1', nodeId: 'fetch' };
    const items = Array.from({ length: 500 }, (_, i) => ({ i, pad: 'p'.repeat(40) }));
    const ref = await payloads.putJson(scope, items);
    const task = payload(
      {
        expression: '$count(nodes.fetch.output.body) + input.extra',
        data: { input: {}, nodes: { fetch: { status: 'succeeded', output: { status: 200, body: ref } } } },
      },
      { action: 'transform', nodeId: 'count' },
    );
    // A second reference elsewhere in data (input) is resolved too.
    (task.config.data as Record<string, unknown>).input = { extra: await payloads.putJson(scope, 1) };
    expect(
      await invokeAction(task, { registry: { transform: async () => transformAction as never }, payloads }),
    ).toBe(501);
  });

  it('fails a Task whose reference is missing with PayloadNotFound (not retryable)', async () => {
    const missing = { $ffref: '~/flow-1/exec-1/fetch/AAAAAAAAAAAAAAAAAAAAAA.json', bytes: 10 };
    const error = await failure(
      invokeAction(payload({ message: missing }, { action: 'log' }), {
        registry: { log: async () => logAction as never },
        payloads,
      }),
    );
    expect(error.name).toBe('PayloadNotFound');
    expect((error as unknown as { retryable: boolean }).retryable).toBe(false);
  });
});

describe('tenancy of payload references', () => {
  it('refuses, without reading it, a reference of another tenant in the config', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ff-tenancy-'));
    try {
      const payloads = createLocalPayloadStore(dir);
      const secret = await payloads.putJson(
        { tenant: 'globex', flowId: 'g-flow', executionId: 'g-exec', nodeId: 'n' },
        'globex data',
      );
      const acme = payload({ message: secret }, { action: 'log' });
      acme.execution = { ...acme.execution, tenant: 'acme' };
      const error = await failure(
        invokeAction(acme, { registry: { log: async () => logAction as never }, payloads }),
      );
      expect(error.name).toBe('InvalidPayloadKey');
      expect(error.message).not.toContain('globex data');
      const own = { ...acme, execution: { ...acme.execution, tenant: 'globex' } };
      const out = (await invokeAction(own, {
        registry: { log: async () => logAction as never },
        payloads,
      })) as {
        message: unknown;
      };
      expect(out.message).toBe('globex data');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('idempotency identity includes the phase (a compensation is its own Task)', () => {
  it('runs the compensation of a node although its forward Task has the same execution, node and attempt', async () => {
    const registry = { http: async () => http as never };
    const forward = payload(
      { url: `${server.base}/echo`, method: 'POST', body: 'x' },
      { nodeId: 'saga-step' },
    );
    const compensate = {
      ...payload({ url: `${server.base}/echo`, method: 'POST', body: 'undo' }, { nodeId: 'saga-step' }),
      phase: 'compensate',
    };
    await invokeAction(forward, { registry, idempotency: store });
    await invokeAction(compensate, { registry, idempotency: store });
    await invokeAction(structuredClone(compensate), { registry, idempotency: store });
    expect(server.seen.map((r) => r.body)).toEqual(['x', 'undo']);
  });
});
