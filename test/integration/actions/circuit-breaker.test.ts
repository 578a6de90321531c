import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ActionContext } from '../../../lib/actions/action.ts';
import {
  type CircuitBreakerStore,
  MemoryCircuitBreakerStore,
} from '../../../lib/actions/http/circuit-breaker.ts';
import { DynamoDbCircuitBreakerStore } from '../../../lib/actions/http/dynamodb-circuit-breaker-store.ts';
import { createHttpAction } from '../../../lib/actions/http/index.ts';
import { httpConfigSchema } from '../../../lib/actions/http/schema.ts';
import { SsrfGuard } from '../../../lib/security/ssrf-guard.ts';
import { startTestServer, type TestServer } from './http-test-server.ts';
import { type LocalTable, startLocalTable } from './local-dynamo.ts';

const context: ActionContext = {
  nodeId: 'n',
  attempt: 1,
  execution: { id: 'e', startedAt: '2026-01-01T00:00:00Z', flowId: 'f', version: 1 },
};

let server: TestServer;
let table: LocalTable;
beforeAll(async () => {
  [server, table] = await Promise.all([startTestServer(), startLocalTable()]);
});
afterAll(async () => {
  await Promise.all([server.close(), table.close()]);
});
beforeEach(() => {
  server.seen.length = 0;
});

const stores: Array<[string, () => CircuitBreakerStore]> = [
  [
    'DynamoDB (dynalite)',
    () => new DynamoDbCircuitBreakerStore({ client: table.client, tableName: table.tableName }),
  ],
  ['memory', () => new MemoryCircuitBreakerStore()],
];

describe.each(stores)('circuit breaker with the %s store', (_name, makeStore) => {
  let now: number;
  let store: CircuitBreakerStore;
  let action: ReturnType<typeof createHttpAction>;
  const breaker = { failureThreshold: 3, recoverySeconds: 30 };
  const call = (path: string) =>
    action
      .run(httpConfigSchema.parse({ url: `${server.base}${path}`, circuitBreaker: breaker }), context)
      .then(
        (out) => ({ ok: true as const, status: out.status }),
        (error: Error & { retryAfterSeconds?: number }) => ({ ok: false as const, error }),
      );

  beforeEach(async () => {
    now = Date.parse('2026-01-01T00:00:00Z');
    store = makeStore();
    await store.reset(`127.0.0.1:${server.port}`);
    action = createHttpAction({
      guard: new SsrfGuard({ allow: '127.0.0.1' }),
      circuitStore: store,
      now: () => now,
    });
  });

  it('opens after the threshold, fails fast without calling the host, then lets one trial through', async () => {
    for (let i = 0; i < 3; i++) expect((await call('/status/503')).ok).toBe(false);
    expect(server.seen).toHaveLength(3);

    const open = await call('/json');
    expect(open.ok).toBe(false);
    if (!open.ok) {
      expect(open.error.name).toBe('CircuitOpen');
      expect(open.error.retryAfterSeconds).toBe(30);
    }
    now += 29_000;
    const stillOpen = await call('/json');
    expect(!stillOpen.ok && stillOpen.error.name).toBe('CircuitOpen');
    expect(server.seen).toHaveLength(3);

    now += 2_000; // past recoverySeconds: half-open, one trial
    expect(await call('/json')).toEqual({ ok: true, status: 200 });
    expect(server.seen).toHaveLength(4);
    expect(await store.read(`127.0.0.1:${server.port}`, now)).toBeUndefined();
    expect((await call('/json')).ok).toBe(true);
  });

  it('a failed trial opens the circuit again for another recovery period', async () => {
    for (let i = 0; i < 3; i++) await call('/status/500');
    now += 31_000;
    const trial = await call('/status/500');
    expect(!trial.ok && trial.error.name).toBe('Http5xx');
    expect(server.seen).toHaveLength(4);
    now += 10_000;
    const open = await call('/json');
    expect(!open.ok && open.error.name).toBe('CircuitOpen');
    expect(server.seen).toHaveLength(4);
  });

  it('counts consecutive failures only: a success (or a 4xx) resets the count', async () => {
    await call('/status/500');
    await call('/status/500');
    await call('/status/404');
    await call('/status/500');
    await call('/status/500');
    expect((await call('/json')).ok).toBe(true);
    expect(server.seen).toHaveLength(6);
  });

  it('gives the half-open trial to one caller only', async () => {
    const host = 'trial.test:443';
    for (let i = 0; i < 3; i++) await store.recordFailure(host, 3, now);
    const state = await store.read(host, now);
    expect(state?.openedAt).toBe(now);
    const later = now + 31_000;
    const claims = await Promise.all([1, 2, 3].map(() => store.claimTrial(host, now, later, 10_000)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    // After the trial's lease runs out, another caller may try.
    expect(await store.claimTrial(host, now, later + 11_000, 10_000)).toBe(true);
    await store.reset(host);
  });
});

describe('DynamoDbCircuitBreakerStore', () => {
  it('ignores an expired item (dynalite has no TTL) and counts afresh', async () => {
    const store = new DynamoDbCircuitBreakerStore({
      client: table.client,
      tableName: table.tableName,
      ttlSeconds: 60,
    });
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    await store.recordFailure('old.test', 5, t0);
    await store.recordFailure('old.test', 5, t0);
    expect((await store.read('old.test', t0))?.failures).toBe(2);
    const later = t0 + 120_000;
    expect(await store.read('old.test', later)).toBeUndefined();
    expect((await store.recordFailure('old.test', 5, later)).failures).toBe(1);
  });
});
