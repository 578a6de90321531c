/**
 * The local server of bench/api.bench.ts in a process of its own, so that the bench can read the
 * server's CPU time (every thread: the API, dynalite's thread, the file and GC threads) apart from
 * its own clients'. Forked with IPC: sends `{ url, key }` once listening, answers `'cpu'` with
 * `{ cpuMs }` (process.cpuUsage, user + system) and stops on `'stop'`. Env: BENCH_RATE_LIMITER.
 */
import '../lib/runtime/polyfills.ts';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { silentLog } from '../lib/local/local-log.ts';
import { startLocalServer } from '../lib/local/server.ts';

// The AWS SDK's warning about Node 20 (as lib/local/main.ts): noise between the bench's lines.
process.removeAllListeners('warning');

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
/**
 * CPU time of the API's thread alone (ms), from /proc on Linux (undefined elsewhere): unlike the
 * loop's utilization it does not count the time the thread waited for a core, so it stays
 * comparable when the machine is loaded. The main thread's task id is the process id.
 */
const mainThreadCpuMs = (): number | undefined => {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // Fields after the command (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
};
let mainCpuFrom = mainThreadCpuMs();
process.on('message', async (message) => {
  if (message === 'cpu') {
    const usage = process.cpuUsage();
    send({ cpuMs: (usage.user + usage.system) / 1000 });
  } else if (message === 'loop') {
    const used = performance.eventLoopUtilization(utilization);
    const mainCpu = mainThreadCpuMs();
    send({
      delayP99Ms: delay.percentile(99) / 1e6,
      delayMaxMs: delay.max / 1e6,
      utilization: used.utilization,
      ...(mainCpu === undefined || mainCpuFrom === undefined ? {} : { mainCpuMs: mainCpu - mainCpuFrom }),
    });
    mainCpuFrom = mainCpu;
    delay.reset();
    utilization = performance.eventLoopUtilization();
  } else if (message === 'stop') {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
    process.exit(0);
  }
});
