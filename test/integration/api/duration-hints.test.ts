import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../../lib/compiler/compile.ts';
import type { ExecutionStatus, NodeRecord } from '../../../lib/runtime/execution-record.ts';
import type { Caller } from '../../../lib/service/caller.ts';
import { durationHints, p50Durations } from '../../../lib/service/duration-hints.ts';
import { createFlow, updateFlow } from '../../../lib/service/flows.ts';
import type { ExecutionItem } from '../../../lib/store/types.ts';
import { startDynalite, type TestDynalite } from '../../support/dynalite.ts';
import { TEST_CONTEXT } from '../../unit/compiler/fixtures.ts';
import { fakeDeps } from './service-fakes.ts';

// An N: a→c, a→d, b→d. Without measurements it compiles to (a|b);(c|d) (added edge b→c). Measured
// a = 1, b = 100, c = 90, d = 1 ms, that cut takes 190 ms, while (a;c|b);d (added edge c→d) takes
// 101 ms, the ideal critical path (b;d), and is the only cut that does.
const log = (id: string, dependencies: string[] = []) => ({
  id,
  type: 'action',
  action: 'log',
  config: { message: id },
  dependencies,
});
const nShape = (name: string) => ({
  name,
  nodes: [log('a'), log('b'), log('c', ['a']), log('d', ['a', 'b'])],
});
const caller = (tenantId: string): Caller => ({ tenantId, keyId: 'k1', scopes: ['admin'] });

/** Node records of a finished run whose nodes took these milliseconds (each starting at 0). */
const timed = (ms: Record<string, number>): Record<string, NodeRecord> =>
  Object.fromEntries(
    Object.entries(ms).map(([id, took]) => [
      id,
      {
        status: 'succeeded',
        startedAt: new Date(Date.UTC(2026, 0, 1)).toISOString(),
        finishedAt: new Date(Date.UTC(2026, 0, 1) + took).toISOString(),
      },
    ]),
  );

describe('a save after runs compiles with the durations they measured', () => {
  let dynalite: TestDynalite;
  let setup: ReturnType<typeof fakeDeps>;

  beforeAll(async () => {
    dynalite = await startDynalite();
    setup = fakeDeps(dynalite, compile);
    setup.deps.compileContext = TEST_CONTEXT;
  });
  afterAll(async () => {
    await dynalite?.stop();
  });

  const finishedRun = async (
    tenant: string,
    flowId: string,
    status: ExecutionStatus,
    nodes: Record<string, NodeRecord>,
  ) => {
    const { execution } = await setup.deps.stores.executions.create(tenant, {
      flowId,
      version: 1,
      trigger: { id: null, type: 'api' },
      input: {},
    });
    await setup.deps.stores.executions.update(tenant, execution.executionId, {
      status,
      finishedAt: new Date().toISOString(),
      nodes,
    });
  };
  const addedEdges = async (tenant: string, flowId: string, version: number) =>
    (await setup.deps.stores.flows.getVersion(tenant, flowId, version)).report.addedEdges;

  it('without history a save compiles as before; after runs the cut follows their p50', async () => {
    const flow = await createFlow(setup.deps, caller('t1'), nShape('n'));
    expect(await addedEdges('t1', flow.flowId, 1)).toEqual([{ from: 'b', to: 'c' }]);
    // No runs yet: version 2 compiles exactly as version 1.
    await updateFlow(setup.deps, caller('t1'), flow.flowId, '1', nShape('n'));
    expect(await addedEdges('t1', flow.flowId, 2)).toEqual([{ from: 'b', to: 'c' }]);
    expect(setup.stateMachines.deployed.at(-1)?.asl).toEqual(setup.stateMachines.deployed.at(-2)?.asl);

    // Three successful runs where b and c are slow (p50 b = 100 ms, c = 90 ms) …
    await finishedRun('t1', flow.flowId, 'SUCCEEDED', timed({ a: 1, b: 100, c: 90, d: 1 }));
    await finishedRun('t1', flow.flowId, 'SUCCEEDED', timed({ a: 2, b: 120, c: 80, d: 2 }));
    await finishedRun('t1', flow.flowId, 'SUCCEEDED', timed({ a: 1, b: 90, c: 95, d: 1 }));
    // … a failed one that would say otherwise (only SUCCEEDED runs count) …
    await finishedRun('t1', flow.flowId, 'FAILED', timed({ a: 500, b: 1, c: 1, d: 500 }));
    expect(await durationHints(setup.deps.stores.executions, 't1', flow.flowId)).toEqual({
      a: 1,
      b: 100,
      c: 90,
      d: 1,
    });
    await updateFlow(setup.deps, caller('t1'), flow.flowId, '2', nShape('n'));
    expect(await addedEdges('t1', flow.flowId, 3)).toEqual([{ from: 'c', to: 'd' }]);
  });

  it("never takes hints from another tenant's runs, even under the same flow id", async () => {
    const flow = await createFlow(setup.deps, caller('t2'), nShape('n'));
    // Runs recorded under tenant t3 with t2's flow id, whose durations would change the cut.
    for (let i = 0; i < 3; i++)
      await finishedRun('t3', flow.flowId, 'SUCCEEDED', timed({ a: 1, b: 100, c: 100, d: 1 }));
    expect(await durationHints(setup.deps.stores.executions, 't2', flow.flowId)).toBeUndefined();
    await updateFlow(setup.deps, caller('t2'), flow.flowId, '1', nShape('n'));
    expect(await addedEdges('t2', flow.flowId, 2)).toEqual([{ from: 'b', to: 'c' }]);
  });
});

describe('p50Durations', () => {
  const run = (nodes: Record<string, NodeRecord>): ExecutionItem => ({ nodes }) as unknown as ExecutionItem;

  it('takes the median per node over succeeded, timed, non-body records', () => {
    const skipped: NodeRecord = { status: 'skipped' };
    const body: NodeRecord = {
      ...(timed({ x: 999 }).x as NodeRecord),
      iterations: { total: 3, succeeded: 3, failed: 0, skipped: 0, running: 0 },
    };
    const hints = p50Durations([
      run({ ...timed({ a: 10, b: 5 }), s: skipped, x: body }),
      run(timed({ a: 30, b: 7 })),
      run(timed({ a: 20 })),
    ]);
    expect(hints).toEqual({ a: 20, b: 6 });
    expect(p50Durations([])).toBeUndefined();
    expect(p50Durations([run({ s: skipped })])).toBeUndefined();
  });
});
