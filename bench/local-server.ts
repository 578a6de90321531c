import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLog } from '../lib/local/local-log.ts';
import { type LocalServer, startLocalServer } from '../lib/local/server.ts';

/** A local server for a benchmark, and what its requests need. */
export interface BenchServer {
  server: LocalServer;
  /** `http://127.0.0.1:<port>/api/v1` */
  api: string;
  /** The admin key's authorization and a JSON content type. */
  headers: Record<string, string>;
  /** One API call; the body parsed when there is one. */
  // biome-ignore lint/suspicious/noExplicitAny: benchmarks read response bodies loosely
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** Stops the server and removes its data dir. */
  stop(): Promise<void>;
}

const client = (api: string, headers: Record<string, string>): BenchServer['call'] =>
  async function call(method, path, body) {
    const response = await fetch(`${api}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };

/**
 * `npm start`'s server on free ports with a fresh data dir (`flowforge-bench-<name>-…`), silent, and
 * with rate limits no benchmark reaches (in-memory buckets).
 */
export async function startBenchServer(name: string): Promise<BenchServer> {
  const dataDir = await mkdtemp(join(tmpdir(), `flowforge-bench-${name}-`));
  const server = await startLocalServer({
    port: 0,
    dataDir,
    sqsPort: 0,
    log: silentLog,
    rateLimiter: 'memory',
    rateLimit: { capacity: 1_000_000, refillPerSecond: 1_000_000 },
  });
  const api = `${server.url}/api/v1`;
  const headers = { authorization: `Bearer ${server.adminKey ?? ''}`, 'content-type': 'application/json' };
  return {
    server,
    api,
    headers,
    call: client(api, headers),
    async stop() {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A server in a process of its own (bench/api-server-child.ts), as `startBenchServer` configures it. */
export interface BenchServerProcess extends Omit<BenchServer, 'server'> {
  /** The server process's CPU time so far (every thread), in ms. */
  cpuMs(): Promise<number>;
  /**
   * The server's event loop since the last call: delay p99 and max (ms), utilization (0–1), and on
   * Linux the CPU time of its thread (ms).
   */
  loop(): Promise<{ delayP99Ms: number; delayMaxMs: number; utilization: number; mainCpuMs?: number }>;
}

/**
 * The same server as `startBenchServer`, in a child process: a benchmark whose clients share the
 * server's event loop measures its own clients too, so latency benchmarks keep them apart.
 */
export async function startBenchServerProcess(): Promise<BenchServerProcess> {
  const child = fork(new URL('./api-server-child.ts', import.meta.url), [], {
    // BENCH_SERVER_PROFILE=<dir> writes the server's CPU profiles there (node --cpu-prof).
    execArgv: [
      '--import',
      'tsx',
      ...(process.env.BENCH_SERVER_PROFILE
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_SERVER_PROFILE}`]
        : []),
    ],
    env: { ...process.env, BENCH_RATE_LIMITER: 'memory' },
  });
  const next = <T>() =>
    new Promise<T>((resolve) => child.once('message', (message) => resolve(message as T)));
  const { url, key } = await next<{ url: string; key: string }>();
  const api = `${url}/api/v1`;
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  return {
    api,
    headers,
    call: client(api, headers),
    async cpuMs() {
      const answer = next<{ cpuMs: number }>();
      child.send('cpu');
      return (await answer).cpuMs;
    },
    async loop() {
      const answer = next<{
        delayP99Ms: number;
        delayMaxMs: number;
        utilization: number;
        mainCpuMs?: number;
      }>();
      child.send('loop');
      return answer;
    },
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send('stop');
      await exited;
    },
  };
}
