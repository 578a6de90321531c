/**
 * Subflows on the local server (`node --import tsx bench/subflow.bench.ts`, part of `npm run bench`):
 * one at a time, start → SUCCEEDED of a parent whose node waits for a child of one log node, next to
 * the same work inline (a flow of two log nodes), in the same process. The ratio is what a waiting
 * subflow adds: a second execution record, its start through the start path, the wait and the answer.
 * Then BENCH_SUBFLOW_FANOUT (default 50) parents started at once: runs per second.
 */
import '../lib/runtime/polyfills.ts';
import { startBenchServer } from './local-server.ts';
import { median } from './stats.ts';

process.removeAllListeners('warning');
const samples = Number(process.env.BENCH_SUBFLOW_SAMPLES ?? 30);
const fanout = Number(process.env.BENCH_SUBFLOW_FANOUT ?? 50);

const bench = await startBenchServer('subflow');
const { call } = bench;
const flow = async (definition: unknown): Promise<string> => {
  const saved = await call('POST', '/flows', definition);
  if (saved.status !== 201) throw new Error(`save answered ${saved.status}: ${JSON.stringify(saved.body)}`);
  return saved.body.flowId;
};
const runToEnd = async (flowId: string): Promise<number> => {
  const started = performance.now();
  const { executionId } = (await call('POST', `/flows/${flowId}/execute`, { input: { who: 'bench' } })).body;
  for (;;) {
    const { status } = (await call('GET', `/executions/${executionId}`)).body;
    if (status === 'SUCCEEDED') return performance.now() - started;
    if (status !== 'RUNNING') throw new Error(`execution ${executionId} ended ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
};

const log = (id: string, dependencies: string[] = []) => ({
  id,
  type: 'action',
  action: 'log',
  config: { message: `${id} for {{ input.who }}` },
  ...(dependencies.length ? { dependencies } : {}),
});
try {
  const child = await flow({
    name: 'child',
    nodes: [{ id: 'start', type: 'trigger', trigger: 'manual' }, log('inner', ['start'])],
  });
  const parent = await flow({
    name: 'parent',
    nodes: [
      { id: 'start', type: 'trigger', trigger: 'manual' },
      log('outer', ['start']),
      {
        id: 'call',
        type: 'operation',
        operation: 'subflow',
        dependencies: ['outer'],
        config: { flowId: child, input: { who: '{{ input.who }}' } },
      },
    ],
  });
  const inline = await flow({
    name: 'inline',
    nodes: [
      { id: 'start', type: 'trigger', trigger: 'manual' },
      log('outer', ['start']),
      log('inner', ['outer']),
    ],
  });
  for (let i = 0; i < 3; i++) await Promise.all([runToEnd(parent), runToEnd(inline)]); // warm up
  const withChild: number[] = [];
  const withoutChild: number[] = [];
  for (let i = 0; i < samples; i++) {
    withChild.push(await runToEnd(parent));
    withoutChild.push(await runToEnd(inline));
  }
  const a = median(withChild);
  const b = median(withoutChild);
  console.log(
    `subflow: parent waiting for a 1-node child, start → SUCCEEDED median ${a.toFixed(1)} ms; the same two nodes inline ${b.toFixed(1)} ms; ratio ${(a / b).toFixed(2)} (${samples} alternating runs each)`,
  );
  const began = performance.now();
  await Promise.all(Array.from({ length: fanout }, () => runToEnd(parent)));
  const seconds = (performance.now() - began) / 1000;
  console.log(
    `subflow: ${fanout} parents at once (${fanout * 2} executions) in ${seconds.toFixed(2)} s: ${(fanout / seconds).toFixed(1)} parents/s`,
  );
} finally {
  await bench.stop();
}
