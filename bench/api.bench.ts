/**
 * The local API under load (`node --import tsx bench/api.bench.ts`, also part of `npm run bench`):
 * 1. `GET /api/v1/flows/{id}` with autocannon, 50 connections on 127.0.0.1: requests/s, p50, p99
 *    (target: p99 under 50 ms).
 * 2. Executing a 5-node log flow to completion with 50 concurrent clients (each starts a run and
 *    polls it until SUCCEEDED), counted after a 4 s warm-up of the same loop: executions/s and
 *    p50/p99 of start → SUCCEEDED as the client sees it, and of startedAt → finishedAt as the
 *    runtime records it.
 * Both run twice: with the per-key token bucket in DynamoDB (the default, one conditional write
 * per request to dynalite, takes of one key in a row) and with `FLOWFORGE_RATE_LIMITER=memory`.
 * 3. Server CPU per execution: the server in a process of its own (bench/api-server-child.ts),
 *    executes of the same flow (10 at a time, no polling) until every one SUCCEEDED; the server's
 *    CPU time (all threads, idle rate subtracted) per execution — over the first 300 after start,
 *    and over 600 once 1,830 have run (goal: ≤ 5 ms per execution, warm) — and per
 *    `GET /executions/{id}`.
 * 4. The bare interpreter: the same compiled ASL run by aws-local-stepfunctions alone, one run
 *    after another, with Task handlers that answer at once: runs/s, and execute+poll's executions/s
 *    of phase 2 as a fraction of it (goal: ≥ 1/25).
 * 5. Fire-and-forget starts: `POST /flows/{id}/execute` of a one-node `noop` flow with autocannon,
 *    50 connections, not waiting for the runs, against the server in its own process (buckets in
 *    DynamoDB, as deployed): 202s per second, against n8n's "respond immediately" webhook
 *    (Webhook → No Operation) as measured on this machine and recorded in bench/README.md
 *    (goal: ≥ 2×).
 * Env: BENCH_SECONDS (default 8) per phase, BENCH_CONNECTIONS (default 50), BENCH_PHASES (the
 * phases to run, e.g. `3,5`; default all — the ratio of phase 4 needs phase 2).
 */
import '../lib/runtime/polyfills.ts';
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';
import { compile } from '../lib/compiler/compile.ts';
import { silentLog } from '../lib/local/local-log.ts';
import { startLocalServer } from '../lib/local/server.ts';
import { localCompileContext } from '../lib/runtime/local/local-action-arns.ts';
import { definitionSchema } from '../lib/workflow/definition-schema.ts';

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
/** Seconds of execute+poll run before phase 2 counts (V8 compiles the hot paths meanwhile). */
const WARM_UP_SECONDS = 4;

/**
 * n8n 1.123's "respond immediately" webhook (Webhook → No Operation, SQLite with a read pool),
 * 2xx per second at 50 connections on this machine: the mean of three 10 s autocannon runs.
 * How it was measured, and the runs: bench/README.md.
 */
const N8N_RESPOND_IMMEDIATELY_PER_SECOND = 158;

const percentile = (sorted: number[], p: number): number =>
  sorted.length === 0
    ? Number.NaN
    : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN);
const ms = (value: number) => `${value.toFixed(1)} ms`;

/** The flow every phase runs: five log nodes in a row. */
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

const createFlow = async (api: string, headers: Record<string, string>): Promise<string> => {
  const created = await fetch(`${api}/flows`, { method: 'POST', headers, body: JSON.stringify(definition) });
  if (created.status !== 201)
    throw new Error(`creating the flow answered ${created.status}: ${await created.text()}`);
  return ((await created.json()) as { flowId: string }).flowId;
};

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
  const flowId = await createFlow(api, headers);
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
  let recording = false;
  const worker = async (deadline: number) => {
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
        if (!recording) break;
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
  // Warm-up of the same loop, not counted: the bare interpreter (phase 4) is measured warm too.
  const warmUpUntil = performance.now() + WARM_UP_SECONDS * 1000;
  await Promise.all(Array.from({ length: connections }, () => worker(warmUpUntil)));
  recording = true;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(Array.from({ length: connections }, () => worker(deadline)));
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
  return clientLatencies.length / elapsed;
};

/** Phase 3: the server's CPU per execution and per execution read, in a process of its own. */
const benchServerCpu = async (rateLimiter: 'dynamodb' | 'memory') => {
  const child: ChildProcess = fork(new URL('./api-server-child.ts', import.meta.url), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, BENCH_RATE_LIMITER: rateLimiter },
  });
  const next = <T>() =>
    new Promise<T>((resolve) => child.once('message', (message) => resolve(message as T)));
  const cpuMs = async () => {
    const answer = next<{ cpuMs: number }>();
    child.send('cpu');
    return (await answer).cpuMs;
  };
  const sleep = (msToWait: number) => new Promise((resolve) => setTimeout(resolve, msToWait));
  try {
    const { url, key } = await next<{ url: string; key: string }>();
    const api = `${url}/api/v1`;
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const flowId = await createFlow(api, headers);
    const execute = async () => {
      const response = await fetch(`${api}/flows/${flowId}/execute`, {
        method: 'POST',
        headers,
        body: '{"input":{}}',
      });
      if (response.status !== 202)
        throw new Error(`execute answered ${response.status}: ${await response.text()}`);
      return ((await response.json()) as { executionId: string }).executionId;
    };
    const running = async () => {
      const response = await fetch(`${api}/flows/${flowId}/executions?status=RUNNING&limit=1`, { headers });
      return ((await response.json()) as { items: unknown[] }).items.length > 0;
    };
    const runBatch = async (count: number, concurrency: number) => {
      const ids: string[] = [];
      let left = count;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (left-- > 0) ids.push(await execute());
        }),
      );
      while (await running()) await sleep(100);
      return ids;
    };
    await runBatch(30, 10); // warm-up: lazily loaded modules, the machine
    const idleFrom = await cpuMs();
    await sleep(2000);
    const idlePerMs = ((await cpuMs()) - idleFrom) / 2000;
    /** CPU per execution over `count` executions, the idle rate subtracted. */
    const measure = async (count: number) => {
      const from = await cpuMs();
      const startedAt = performance.now();
      const ids = await runBatch(count, 10);
      const wall = performance.now() - startedAt;
      return { ids, perExecution: ((await cpuMs()) - from - idlePerMs * wall) / count };
    };
    // Right after start V8 is still compiling the hot paths (on its own threads, counted here):
    // the first executions cost about half again what they cost once the server has run a while.
    // The goal is read on the warm figure, as the bare interpreter's (phase 4) is measured warm.
    const cold = await measure(300);
    await runBatch(1500, 10);
    const { ids, perExecution } = await measure(600);
    const readFrom = await cpuMs();
    const readStart = performance.now();
    const reads = 300;
    for (let i = 0; i < reads; i++)
      await (await fetch(`${api}/executions/${ids[i % ids.length]}`, { headers })).text();
    const perRead = ((await cpuMs()) - readFrom - idlePerMs * (performance.now() - readStart)) / reads;
    console.log(
      `\nserver CPU (its own process, all threads), executes of the 5-node flow 10 at a time, rate-limit buckets in ${rateLimiter === 'memory' ? 'memory' : 'DynamoDB'}`,
    );
    console.log(
      `  per execution, the first 300 after start (V8 still compiling)  ${cold.perExecution.toFixed(1)} ms`,
    );
    console.log(
      `  per execution, 600 after 1,830 (execute → SUCCEEDED)  ${perExecution.toFixed(1)} ms  (goal ≤ 5 ms: ${perExecution <= 5 ? 'met' : 'missed'})`,
    );
    console.log(`  per GET /executions/{id} (finished)  ${perRead.toFixed(1)} ms`);
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.send('stop');
    await exited;
  }
};

/**
 * Phase 5: fire-and-forget executes of a one-node flow (the runs go on in the background), the
 * server in its own process as in phase 3, measured as n8n's webhook was (bench/README.md).
 */
const benchFireAndForget = async (): Promise<number> => {
  const child: ChildProcess = fork(new URL('./api-server-child.ts', import.meta.url), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, BENCH_RATE_LIMITER: 'dynamodb' },
  });
  try {
    const { url, key } = await new Promise<{ url: string; key: string }>((resolve) =>
      child.once('message', (message) => resolve(message as { url: string; key: string })),
    );
    const api = `${url}/api/v1`;
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const created = await fetch(`${api}/flows`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        name: 'bench-noop',
        nodes: [{ id: 'noop', type: 'operation', operation: 'noop' }],
      }),
    });
    if (created.status !== 201) throw new Error(`creating the flow answered ${created.status}`);
    const { flowId } = (await created.json()) as { flowId: string };
    const fire = (duration: number) =>
      autocannon({
        url: `${api}/flows/${flowId}/execute`,
        method: 'POST',
        connections,
        duration,
        headers,
        body: '{"input":{}}',
      });
    await fire(2); // warm-up
    const result = await fire(seconds);
    const accepted = (result.requests.total - result.non2xx) / seconds;
    const ratio = accepted / N8N_RESPOND_IMMEDIATELY_PER_SECOND;
    console.log(
      `\nfire-and-forget POST /flows/{id}/execute of a one-node flow   ${connections} connections, ${seconds} s, server in its own process, buckets in DynamoDB`,
    );
    console.log(
      `  202s/s  ${accepted.toFixed(0)}  (total ${result.requests.total}, non-2xx ${result.non2xx}, errors ${result.errors}; p50 ${ms(result.latency.p50)}, p99 ${ms(result.latency.p99)})`,
    );
    console.log(
      `  / n8n "respond immediately" webhook (${N8N_RESPOND_IMMEDIATELY_PER_SECOND}/s, bench/README.md)  ${ratio.toFixed(1)}×  (goal ≥ 2×: ${ratio >= 2 ? 'met' : 'missed'})`,
    );
    return accepted;
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.send('stop');
    await exited;
  }
};

/** Phase 4: the same compiled ASL in aws-local-stepfunctions alone, runs one after another. */
const benchBareInterpreter = async (): Promise<number> => {
  const { asl } = compile(definitionSchema.parse(definition), localCompileContext());
  const handlers: Record<string, (input: { Payload: { config: { message: string } } }) => Promise<unknown>> =
    {};
  for (const [name, state] of Object.entries(asl.States)) {
    if ((state as { Type: string }).Type === 'Task')
      handlers[name] = async (input) => ({
        StatusCode: 200,
        Payload: { message: input.Payload.config.message },
      });
  }
  const machine = new StateMachine(asl as never, { validationOptions: { noValidate: true } });
  const input = {
    input: {},
    execution: { id: 'bench', startedAt: new Date().toISOString(), flowId: 'bench', version: 1 },
  };
  const runOnce = async () => {
    const execution = machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: handlers as never },
    });
    await execution.result;
  };
  for (let i = 0; i < 200; i++) await runOnce();
  let runs = 0;
  const cpuFrom = process.cpuUsage();
  const startedAt = performance.now();
  while (performance.now() - startedAt < (seconds * 1000) / 2) {
    await runOnce();
    runs++;
  }
  const elapsed = (performance.now() - startedAt) / 1000;
  const cpu = process.cpuUsage(cpuFrom);
  console.log(
    '\nthe same ASL in the bare interpreter (aws-local-stepfunctions, Task handlers answer at once), one run after another',
  );
  console.log(
    `  runs/s  ${(runs / elapsed).toFixed(0)}  (CPU ${((cpu.user + cpu.system) / 1000 / runs).toFixed(2)} ms per run)`,
  );
  return runs / elapsed;
};

const phases = new Set((process.env.BENCH_PHASES ?? '1,2,3,4,5').split(',').map((phase) => phase.trim()));
const rates: Record<string, number> = {};
for (const rateLimiter of ['dynamodb', 'memory'] as const) {
  if (!phases.has('1') && !phases.has('2')) break;
  const target = await startServer(rateLimiter);
  try {
    if (rateLimiter === 'memory') console.log('');
    if (phases.has('1'))
      await benchGet(
        rateLimiter === 'memory'
          ? 'rate-limit buckets in memory (FLOWFORGE_RATE_LIMITER=memory)'
          : 'rate-limit buckets in DynamoDB (default, as deployed)',
        target,
      );
    if (phases.has('2'))
      rates[rateLimiter] = await benchExecute(
        target,
        `rate-limit buckets in ${rateLimiter === 'memory' ? 'memory' : 'DynamoDB'}`,
      );
  } finally {
    await target.stop();
  }
}
if (phases.has('3')) {
  await benchServerCpu('dynamodb');
  await benchServerCpu('memory');
}
const bare = phases.has('4') ? await benchBareInterpreter() : Number.NaN;
for (const [label, rate] of Object.entries(phases.has('4') ? rates : {})) {
  const fraction = (rate ?? 0) / bare;
  console.log(
    `  execute+poll (buckets in ${label === 'memory' ? 'memory' : 'DynamoDB'}) / bare interpreter  1/${(1 / fraction).toFixed(0)}  (goal ≥ 1/25: ${fraction >= 1 / 25 ? 'met' : 'missed'})`,
  );
}
if (phases.has('5')) await benchFireAndForget();
