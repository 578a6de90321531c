import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleLog } from '../../../lib/local/local-log.ts';
import { type LocalServer, startLocalServer } from '../../../lib/local/server.ts';

describe('npm start log: one line per run start and end, and the log action’s messages', () => {
  const lines: Array<{ text: string; level: string }> = [];
  let server: LocalServer;
  let dataDir: string;
  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }).then((r) => r.json() as Promise<Record<string, unknown>>);

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'flowforge-log-'));
    server = await startLocalServer({
      port: 0,
      sqsPort: 0,
      dataDir,
      timeScale: 0.001,
      log: consoleLog({
        format: 'json',
        requests: false,
        write: (text, level) => lines.push({ text, level }),
      }),
    });
  });
  afterAll(async () => {
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const parsed = () => lines.map((line) => ({ ...JSON.parse(line.text), stream: line.level }));
  const waitFor = async (predicate: (entry: Record<string, unknown>) => boolean) => {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const found = parsed().find(predicate);
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`no such log line in ${JSON.stringify(parsed())}`);
  };

  it('prints run started, the log node’s message with run and node ids, and run finished with status and duration', async () => {
    const flow = await call('POST', '/api/v1/flows', {
      name: 'noisy',
      nodes: [
        { id: 'start', type: 'trigger', trigger: 'manual' },
        {
          id: 'say',
          type: 'action',
          action: 'log',
          config: { message: 'hello {{ input.who }}', level: 'warn' },
          dependencies: ['start'],
        },
      ],
    });
    const started = await call('POST', `/api/v1/flows/${flow.flowId}/execute`, { input: { who: 'ada' } });
    const executionId = started.executionId;
    const start = await waitFor((e) => e.message === 'run started' && e.executionId === executionId);
    expect(start).toMatchObject({ flow: 'noisy', flowId: flow.flowId, trigger: 'api', level: 'info' });
    const message = await waitFor((e) => e.action === 'log' && e.executionId === executionId);
    expect(message).toMatchObject({ nodeId: 'say', message: 'hello ada', level: 'warn', stream: 'warn' });
    expect(parsed().findIndex((e) => e.message === 'run started')).toBeLessThan(
      parsed().findIndex((e) => e.action === 'log'),
    );
    const end = await waitFor((e) => e.message === 'run finished' && e.executionId === executionId);
    expect(end).toMatchObject({ flow: 'noisy', trigger: 'api', status: 'SUCCEEDED' });
    expect(end.durationMs).toEqual(expect.any(Number));
    expect(Date.parse(end.time)).not.toBeNaN();
  });

  it('writes readable key=value lines in text format', () => {
    const text: string[] = [];
    const log = consoleLog({ write: (line) => text.push(line) });
    log.info('run finished', { executionId: 'e1', flow: 'noisy', status: 'SUCCEEDED', durationMs: 12 });
    expect(text[0]).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} INFO {2}run finished executionId=e1 flow=noisy status=SUCCEEDED durationMs=12$/,
    );
  });
});
