/**
 * Isolation under load (`node --import tsx bench/isolation.bench.ts`, part of `npm run bench`),
 * loopback only and bounded (BENCH_SECONDS per phase, default 8). The server runs in a process of
 * its own (bench/api-server-child.ts), so that the load generator does not share its event loop:
 * 50 connections of normal traffic (25 on `GET /health`, 25 on `GET /flows/{id}`) first alone, then
 * while hostile runs execute without pause — a catastrophic regex and a 100 MB `$pad` in transforms,
 * and a 5,000-node chain. Prints p50/p99 of both and the ratio of each to the same traffic without
 * the hostile runs (target: p99 ratio <= 2), measured in the same run, and the server's event-loop
 * delay (p99, max) and utilization in each phase. BENCH_SERVER_PROFILE=<dir> profiles the server.
 */
import '../lib/runtime/polyfills.ts';
import { createRequire } from 'node:module';
import { startBenchServerProcess } from './local-server.ts';

interface AutocannonResult {
  latency: { p50: number; p99: number };
  requests: { total: number };
  non2xx: number;
}
const autocannon = createRequire(import.meta.url)('autocannon') as (
  options: Record<string, unknown>,
) => Promise<AutocannonResult>;

process.removeAllListeners('warning');
const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const chainLength = Number(process.env.BENCH_CHAIN ?? 5000);

const bench = await startBenchServerProcess();
const { api, headers } = bench;
const post = async (path: string, body: unknown) => {
  const response = await fetch(`${api}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  const json = (await response.json()) as { flowId?: string; executionId?: string; detail?: string };
  if (response.status >= 300) throw new Error(`${path}: ${response.status} ${json.detail ?? ''}`);
  return json;
};
const transformFlow = (name: string, expression: string) => ({
  name,
  nodes: [{ id: 'evil', type: 'action', action: 'transform', config: { expression, timeoutMs: 1000 } }],
});

const normal = await post('/flows', {
  name: 'normal',
  nodes: [{ id: 'hi', type: 'action', action: 'log', config: { message: 'hi' } }],
});
const regex = await post(
  '/flows',
  transformFlow('regex', '$match("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", /(a+)+$/)'),
);
const pad = await post('/flows', transformFlow('pad', '$length($pad("", 100000000, "x"))'));
const chainStarted = performance.now();
const chain = await post('/flows', {
  name: 'chain',
  nodes: Array.from({ length: chainLength }, (_, i) => ({
    id: `n${i}`,
    type: 'operation',
    operation: 'noop',
    ...(i === 0 ? {} : { dependencies: [`n${i - 1}`] }),
  })),
});
console.log(
  `setup: ${chainLength}-node chain saved in ${((performance.now() - chainStarted) / 1000).toFixed(1)} s`,
);

const load = async () => {
  await bench.loop();
  const [health, gets] = await Promise.all([
    autocannon({ url: `${api}/health`, connections: 25, duration: seconds }),
    autocannon({ url: `${api}/flows/${normal.flowId}`, headers, connections: 25, duration: seconds }),
  ]);
  return { health, gets, loop: await bench.loop() };
};

const baseline = await load();

let hostile = true;
let hostileRuns = 0;
const executeAcceptedMs: number[] = [];
const hostileLoop = async (flowId: string | undefined) => {
  while (hostile) {
    const started = performance.now();
    const run = await post(`/flows/${flowId}/execute`, { input: {} });
    executeAcceptedMs.push(performance.now() - started);
    hostileRuns++;
    // Wait for the run to end before the next one (the worst flows, one after the other).
    for (;;) {
      const read = await fetch(`${api}/executions/${run.executionId}`, { headers });
      const body = (await read.json()) as { status: string };
      if (body.status !== 'RUNNING' || !hostile) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
};
// BENCH_HOSTILE picks the hostile runs (default all: regex,pad,chain), to see which one costs what.
const hostileFlows = { regex, pad, chain };
const picked = (process.env.BENCH_HOSTILE ?? 'regex,pad,chain').split(',').map((name) => name.trim());
const loops = picked.map((name) => {
  const flow = hostileFlows[name as keyof typeof hostileFlows];
  if (!flow) throw new Error(`BENCH_HOSTILE: unknown hostile run "${name}" (regex, pad, chain)`);
  return hostileLoop(flow.flowId);
});
const underAttack = await load();
hostile = false;
await Promise.all(loops);

const ms = (value: number) => `${value.toFixed(1)} ms`;
const line = (name: string, base: AutocannonResult, attacked: AutocannonResult) =>
  console.log(
    `${name.padEnd(18)} p50 ${ms(base.latency.p50)} -> ${ms(attacked.latency.p50)}   p99 ${ms(base.latency.p99)} -> ${ms(attacked.latency.p99)}   p99 ratio ${(attacked.latency.p99 / Math.max(1, base.latency.p99)).toFixed(2)} (target <= 2)   requests ${base.requests.total} -> ${attacked.requests.total}`,
  );
console.log(
  `${seconds} s per phase, 50 connections (25 + 25), ${hostileRuns} hostile runs (${picked.join(', ')}) during the second phase`,
);
line('GET /health', baseline.health, underAttack.health);
line('GET /flows/{id}', baseline.gets, underAttack.gets);
const loopLine = (name: string, loop: Awaited<ReturnType<typeof bench.loop>>) =>
  `${name}: delay p99 ${ms(loop.delayP99Ms)}, max ${ms(loop.delayMaxMs)}, utilization ${(loop.utilization * 100).toFixed(0)} %`;
console.log(
  `server event loop ${loopLine('alone', baseline.loop)} | ${loopLine('under attack', underAttack.loop)}`,
);
const sortedAccept = [...executeAcceptedMs].sort((a, b) => a - b);
console.log(
  `execute of a hostile flow answered 202 in: max ${ms(sortedAccept.at(-1) ?? Number.NaN)}, median ${ms(sortedAccept[Math.floor(sortedAccept.length / 2)] ?? Number.NaN)}`,
);

await bench.stop();
