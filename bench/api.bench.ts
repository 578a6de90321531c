/**
 * The local API under load (`node --import tsx bench/api.bench.ts`, also part of `npm run bench`):
 * 1. `GET /api/v1/flows/{id}` with autocannon, 50 connections on 127.0.0.1: requests/s, p50, p99
 *    (target: p99 under 50 ms).
 * 2. Executing a 5-node log flow to completion with 50 concurrent clients (each starts a run and
 *    polls it until SUCCEEDED): executions/s and p50/p99 of start → SUCCEEDED as the client sees it,
 *    and of startedAt → finishedAt as the runtime records it.
 * Both run twice: with the per-key token bucket in DynamoDB (the default, one conditional write
 * per request to dynalite, takes of one key in a row) and with `FLOWFORGE_RATE_LIMITER=memory`.
 * Env: BENCH_SECONDS (default 8) per phase, BENCH_CONNECTIONS (default 50).
 */
import '../lib/runtime/polyfills.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLog } from '../lib/local/local-log.ts';
import { startLocalServer } from '../lib/local/server.ts';

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number; max: number };
  non2xx: number;
  errors: number;
}
const autocannon = createRequire(import.meta.url)('autocannon') as (
  options: Record<string, unknown>,
) => Promise<AutocannonResult>;

process.removeAllListeners('warning');
const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);

const percentile = (sorted: number[], p: number): number =>
  sorted.length === 0
    ? Number.NaN
    : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN);
const ms = (value: number) => `${value.toFixed(1)} ms`;

const startServer = async (rateLimiter: 'dynamodb' | 'memory') => {
  const dataDir = await mkdtemp(join(tmpdir(), 'flowforge-bench-'));
  const server = await startLocalServer({
    port: 0,
    dataDir,
    sqsPort: 0,
    log: silentLog,
    rateLimiter,
    // The bench measures the API, not the per-key limiter's refusals.
    rateLimit: { capacity: 1_000_000, refillPerSecond: 1_000_000 },
  });
  const headers = { authorization: `Bearer ${server.adminKey ?? ''}`, 'content-type': 'application/json' };
  const api = `${server.url}/api/v1`;
  const definition = {
    name: 'bench-five-logs',
    nodes: Array.from({ length: 5 }, (_, i) => ({
      id: `log${i + 1}`,
      type: 'action',
      action: 'log',
      config: { message: `step ${i + 1} of {{ execution.id }}` },
      ...(i === 0 ? {} : { dependencies: [`log${i}`] }),
    })),
  };
  const created = await fetch(`${api}/flows`, { method: 'POST', headers, body: JSON.stringify(definition) });
  if (created.status !== 201)
    throw new Error(`creating the flow answered ${created.status}: ${await created.text()}`);
  const { flowId } = (await created.json()) as { flowId: string };
  // Warm-up: the first requests load modules lazily.
  for (let i = 0; i < 20; i++) await (await fetch(`${api}/flows/${flowId}`, { headers })).text();
  return {
    api,
    headers,
    flowId,
    stop: async () => {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
};

const benchGet = async (label: string, target: Awaited<ReturnType<typeof startServer>>) => {
  const get = await autocannon({
    url: `${target.api}/flows/${target.flowId}`,
    connections,
    duration: seconds,
    headers: target.headers,
  });
  console.log(`GET /api/v1/flows/{id}   ${connections} connections, ${seconds} s, ${label}`);
  console.log(
    `  requests/s  ${get.requests.average.toFixed(0)}  (total ${get.requests.total}, non-2xx ${get.non2xx}, errors ${get.errors})`,
  );
  console.log(
    `  latency     p50 ${ms(get.latency.p50)}  p99 ${ms(get.latency.p99)}  max ${ms(get.latency.max)}  (target p99 < 50 ms: ${get.latency.p99 < 50 ? 'met' : 'missed'})`,
  );
};

const benchExecute = async (target: Awaited<ReturnType<typeof startServer>>, label: string) => {
  const { api, headers, flowId } = target;
  const clientLatencies: number[] = [];
  const runtimeLatencies: number[] = [];
  let failed = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  const worker = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      const response = await fetch(`${api}/flows/${flowId}/execute`, {
        method: 'POST',
        headers,
        body: '{"input":{}}',
      });
      if (response.status !== 202) {
        failed++;
        await response.text();
        continue;
      }
      const { executionId } = (await response.json()) as { executionId: string };
      for (;;) {
        const read = await fetch(`${api}/executions/${executionId}`, { headers });
        const execution = (await read.json()) as { status: string; startedAt: string; finishedAt?: string };
        if (execution.status === 'RUNNING') {
          await new Promise((resolve) => setTimeout(resolve, 10));
          continue;
        }
        if (execution.status !== 'SUCCEEDED') failed++;
        else {
          clientLatencies.push(performance.now() - t0);
          if (execution.finishedAt)
            runtimeLatencies.push(Date.parse(execution.finishedAt) - Date.parse(execution.startedAt));
        }
        break;
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  const elapsed = (performance.now() - started) / 1000;
  clientLatencies.sort((a, b) => a - b);
  runtimeLatencies.sort((a, b) => a - b);
  console.log(
    `\nexecute a 5-node log flow to SUCCEEDED   ${connections} concurrent clients, ${seconds} s, ${label}`,
  );
  console.log(
    `  executions/s  ${(clientLatencies.length / elapsed).toFixed(1)}  (completed ${clientLatencies.length}, failed ${failed})`,
  );
  console.log(
    `  start → SUCCEEDED (client, incl. polling every 10 ms)  p50 ${ms(percentile(clientLatencies, 50))}  p99 ${ms(percentile(clientLatencies, 99))}`,
  );
  console.log(
    `  startedAt → finishedAt (runtime record)               p50 ${ms(percentile(runtimeLatencies, 50))}  p99 ${ms(percentile(runtimeLatencies, 99))}`,
  );
};

const deployed = await startServer('dynamodb');
try {
  await benchGet('rate-limit buckets in DynamoDB (default, as deployed)', deployed);
  await benchExecute(deployed, 'rate-limit buckets in DynamoDB');
} finally {
  await deployed.stop();
}
const inMemory = await startServer('memory');
try {
  console.log('');
  await benchGet('rate-limit buckets in memory (FLOWFORGE_RATE_LIMITER=memory)', inMemory);
  await benchExecute(inMemory, 'rate-limit buckets in memory');
} finally {
  await inMemory.stop();
}
