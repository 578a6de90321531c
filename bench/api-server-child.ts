/**
 * The local server of bench/api.bench.ts in a process of its own, so that the bench can read the
 * server's CPU time (every thread: the API, dynalite's thread, the file and GC threads) apart from
 * its own clients'. Forked with IPC: sends `{ url, key }` once listening, answers `'cpu'` with
 * `{ cpuMs }` (process.cpuUsage, user + system) and stops on `'stop'`. Env: BENCH_RATE_LIMITER.
 */
import '../lib/runtime/polyfills.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { silentLog } from '../lib/local/local-log.ts';
import { startLocalServer } from '../lib/local/server.ts';

const send = (message: unknown) => process.send?.(message);
const dataDir = await mkdtemp(join(tmpdir(), 'flowforge-bench-cpu-'));
const server = await startLocalServer({
  port: 0,
  dataDir,
  sqsPort: 0,
  log: silentLog,
  rateLimiter: process.env.BENCH_RATE_LIMITER === 'memory' ? 'memory' : 'dynamodb',
  rateLimit: { capacity: 1_000_000, refillPerSecond: 1_000_000 },
});
send({ url: server.url, key: server.adminKey });
// The event loop's delay and utilization since the last 'loop' message: how long the loop that
// answers HTTP was blocked, apart from how long the clients waited.
const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();
let utilization = performance.eventLoopUtilization();
process.on('message', async (message) => {
  if (message === 'cpu') {
    const usage = process.cpuUsage();
    send({ cpuMs: (usage.user + usage.system) / 1000 });
  } else if (message === 'loop') {
    const used = performance.eventLoopUtilization(utilization);
    send({
      delayP99Ms: delay.percentile(99) / 1e6,
      delayMaxMs: delay.max / 1e6,
      utilization: used.utilization,
    });
    delay.reset();
    utilization = performance.eventLoopUtilization();
  } else if (message === 'stop') {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
    process.exit(0);
  }
});
