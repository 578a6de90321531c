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
    async call(method, path, body) {
      const response = await fetch(`${api}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    },
    async stop() {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
