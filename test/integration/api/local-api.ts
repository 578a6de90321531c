import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLog } from '../../../lib/local/local-log.ts';
import { type LocalServer, startLocalServer } from '../../../lib/local/server.ts';

/** A JSON body as tests read it: loosely, each test asserts the fields it needs. */
// biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field in the tests
export type Loose = any;

/** A response as the tests read it. */
export interface ApiResponse<T = Loose> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** A local server on free ports with a temporary data dir, and a small client for it. */
export interface TestApi {
  server: LocalServer;
  adminKey: string;
  dataDir: string;
  request<T = Loose>(
    method: string,
    path: string,
    options?: { key?: string | null; body?: unknown; rawBody?: string; headers?: Record<string, string> },
  ): Promise<ApiResponse<T>>;
  /** Polls an execution until `done(status)` (default: not RUNNING). */
  waitForExecution(executionId: string, key: string, done?: (status: string) => boolean): Promise<Loose>;
  stop(): Promise<void>;
}

export async function startTestApi(options: { timeScale?: number } = {}): Promise<TestApi> {
  const dataDir = await mkdtemp(join(tmpdir(), 'flowforge-api-'));
  const server = await startLocalServer({
    port: 0,
    dataDir,
    sqsPort: 0,
    timeScale: options.timeScale ?? 0.001,
    log: silentLog,
    httpAllow: '127.0.0.1',
  });
  const adminKey = server.adminKey;
  if (!adminKey) throw new Error('a fresh data dir must print an admin key');
  const request: TestApi['request'] = async (method, path, requestOptions = {}) => {
    const headers: Record<string, string> = { ...requestOptions.headers };
    const key = requestOptions.key === undefined ? adminKey : requestOptions.key;
    if (key !== null) headers.authorization = `Bearer ${key}`;
    let body: string | undefined = requestOptions.rawBody;
    if (body === undefined && requestOptions.body !== undefined) body = JSON.stringify(requestOptions.body);
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // keep the text
    }
    return { status: response.status, headers: response.headers, body: parsed as never, text };
  };
  return {
    server,
    adminKey,
    dataDir,
    request,
    async waitForExecution(executionId, key, done = (status) => status !== 'RUNNING') {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const response = await request('GET', `/api/v1/executions/${executionId}`, { key });
        if (response.status === 429) {
          await new Promise((resolve) => setTimeout(resolve, 200));
          continue;
        }
        if (response.status !== 200)
          throw new Error(`GET execution answered ${response.status}: ${response.text}`);
        if (done(response.body.status)) return response.body;
        if (Date.now() > deadline)
          throw new Error(`execution ${executionId} is still ${response.body.status}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    async stop() {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A flow of a manual trigger and `count` log nodes in a row. */
export const logFlow = (name: string, count = 2) => ({
  name,
  nodes: [
    { id: 'start', type: 'trigger', trigger: 'manual' },
    ...Array.from({ length: count }, (_, i) => ({
      id: `log${i + 1}`,
      type: 'action',
      action: 'log',
      config: { message: `step ${i + 1} for {{ input.who }}` },
      dependencies: [i === 0 ? 'start' : `log${i}`],
    })),
  ],
});
