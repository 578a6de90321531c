/**
 * Callbacks and events on the local server (`node --import tsx bench/waits.bench.ts`, part of `npm run bench`):
 * 1. Throughput: BENCH_WAITS (default 200) runs wait in a waitForCallback; they are answered through the
 *    keyed route with 20 concurrent clients: callbacks completed per second (POST answered 202), and
 *    until every run has SUCCEEDED.
 * 2. Latency: one run at a time, the time from the callback POST to the next node having succeeded
 *    (polled every 2 ms), p50/p99, next to start → SUCCEEDED of a one-node flow in the same process
 *    (the ratio says what waiting adds over an ordinary node).
 * 3. Events: the same throughput with `POST /events`, each event matching one waiting run.
 */
import '../lib/runtime/polyfills.ts';
import { startBenchServer } from './local-server.ts';

process.removeAllListeners('warning');
const total = Number(process.env.BENCH_WAITS ?? 200);
const latencySamples = Number(process.env.BENCH_LATENCY_SAMPLES ?? 40);
const concurrency = 20;

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};
const ms = (value: number) => `${value.toFixed(1)} ms`;

const bench = await startBenchServer('waits');
const { call } = bench;
const flow = async (definition: unknown): Promise<string> =>
  (await call('POST', '/flows', definition)).body.flowId;
const execute = async (flowId: string, input: unknown): Promise<string> =>
  (await call('POST', `/flows/${flowId}/execute`, { input })).body.executionId;
// biome-ignore lint/suspicious/noExplicitAny: execution views read loosely
type Json = Record<string, any>;
const until = async (id: string, done: (e: Json) => boolean, pollMs = 10) => {
  for (;;) {
    const execution = (await call('GET', `/executions/${id}`)).body;
    if (done(execution)) return execution;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
};
const inParallel = async <T>(items: T[], work: (item: T) => Promise<void>) => {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
};

const waitsFlow = await flow({
  name: 'bench-callback',
  nodes: [
    { id: 'approve', type: 'operation', operation: 'waitForCallback', config: {} },
    { id: 'after', type: 'action', action: 'log', config: { message: 'on' }, dependencies: ['approve'] },
  ],
});
const eventsFlow = await flow({
  name: 'bench-event',
  nodes: [
    {
      id: 'paid',
      type: 'operation',
      operation: 'waitForEvent',
      config: { event: 'paid', match: '{{ input.key }}' },
    },
    { id: 'after', type: 'action', action: 'log', config: { message: 'on' }, dependencies: ['paid'] },
  ],
});
const plainFlow = await flow({
  name: 'bench-plain',
  nodes: [{ id: 'after', type: 'action', action: 'log', config: { message: 'on' } }],
});
const waiting = (node: string) => (e: Json) => e.nodes?.[node]?.status === 'waiting';
const succeeded = (e: Json) => e.status === 'SUCCEEDED';

// 1. callbacks per second
const runs: string[] = [];
await inParallel(
  Array.from({ length: total }, (_, i) => i),
  async () => {
    runs.push(await execute(waitsFlow, {}));
  },
);
await inParallel(runs, async (id) => {
  await until(id, waiting('approve'), 20);
});
let started = performance.now();
await inParallel(runs, async (id) => {
  const answered = await call('POST', `/executions/${id}/nodes/approve/callback`, { output: { ok: true } });
  if (answered.status !== 202) throw new Error(`callback answered ${answered.status}`);
});
const answeredSeconds = (performance.now() - started) / 1000;
await inParallel(runs, async (id) => {
  await until(id, succeeded, 20);
});
const finishedSeconds = (performance.now() - started) / 1000;
console.log(
  `callbacks: ${total} waiting runs answered at ${(total / answeredSeconds).toFixed(0)} callbacks/s (202s), all SUCCEEDED after ${finishedSeconds.toFixed(2)} s (${(total / finishedSeconds).toFixed(0)} runs moved on per s)`,
);

// 2. POST → run moves on, one at a time, next to an ordinary one-node run
const onCallback: number[] = [];
const plain: number[] = [];
for (let i = 0; i < latencySamples; i++) {
  const id = await execute(waitsFlow, {});
  await until(id, waiting('approve'), 5);
  const t0 = performance.now();
  await call('POST', `/executions/${id}/nodes/approve/callback`, { output: i });
  await until(id, (e) => e.nodes?.after?.status === 'succeeded', 2);
  onCallback.push(performance.now() - t0);
  const t1 = performance.now();
  const run = await execute(plainFlow, {});
  await until(run, succeeded, 2);
  plain.push(performance.now() - t1);
}
const p50 = percentile(onCallback, 50);
console.log(
  `callback POST → next node succeeded: p50 ${ms(p50)}, p99 ${ms(percentile(onCallback, 99))}; one-node run start → SUCCEEDED: p50 ${ms(percentile(plain, 50))} (ratio ${(p50 / percentile(plain, 50)).toFixed(2)})`,
);

// 3. events per second
const eventRuns: string[] = [];
await inParallel(
  Array.from({ length: total }, (_, i) => i),
  async (i) => {
    eventRuns.push(await execute(eventsFlow, { key: `k-${i}` }));
  },
);
await inParallel(eventRuns, async (id) => {
  await until(id, waiting('paid'), 20);
});
started = performance.now();
let matched = 0;
await inParallel(
  Array.from({ length: total }, (_, i) => i),
  async (i) => {
    const sent = await call('POST', '/events', { name: 'paid', key: `k-${i}` });
    matched += sent.body.matched;
  },
);
const eventSeconds = (performance.now() - started) / 1000;
console.log(
  `events: ${total} sent at ${(total / eventSeconds).toFixed(0)} events/s, ${matched} waiting runs completed (ratio to callbacks/s ${(total / eventSeconds / (total / answeredSeconds)).toFixed(2)})`,
);

await bench.stop();
