import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type LocalProcess, startOnFreePorts } from '../local/local-process.ts';

const KEY = 'ffk_crash_consistency_key_0123456789ab';
// The issue's burst is 200 starts (FLOWFORGE_CRASH_STARTS=200); the suite runs a lean 16 on 2 shared cores.
const STARTS = Number(process.env.FLOWFORGE_CRASH_STARTS ?? 16);

/** Issue 11: kill -9 during a burst of starts left executions RUNNING forever, with no nodes. */
describe('crash consistency of a burst of starts', () => {
  const processes: LocalProcess[] = [];
  let dataDir = '';
  afterAll(async () => {
    for (const running of processes) if (running.child.exitCode === null) running.child.kill('SIGKILL');
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it(`kill -9 during ${STARTS} concurrent starts: after restart every execution ran, finished or is INTERRUPTED`, {
    timeout: 300_000,
  }, async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'flowforge-burst-'));
    const env = { FLOWFORGE_DATA_DIR: dataDir, FLOWFORGE_API_KEY: KEY, FLOWFORGE_LOG_REQUESTS: '0' };
    let base = '';
    const call = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    };
    const first = await startOnFreePorts(env);
    processes.push(first.process);
    base = `http://127.0.0.1:${first.port}/api/v1`;
    const flow = await call('POST', '/flows', {
      name: 'burst',
      nodes: [{ id: 'hello', type: 'action', action: 'log', config: { message: 'hi {{ input.n }}' } }],
    });
    expect(flow.status).toBe(201);

    const accepted: string[] = [];
    let answered = 0;
    const starts = Array.from({ length: STARTS }, (_, n) =>
      call('POST', `/flows/${flow.body.flowId}/execute`, { input: { n } })
        .then((response) => {
          answered++;
          if (response.status === 202) accepted.push(response.body.executionId);
        })
        .catch(() => undefined),
    );
    // The attack: kill -9 in the middle of the burst.
    while (answered < STARTS / 5) await new Promise((resolve) => setTimeout(resolve, 5));
    first.process.child.kill('SIGKILL');
    await Promise.all(starts);
    expect(await first.process.exited).toBe('SIGKILL');
    expect(accepted.length).toBeGreaterThan(0);

    const second = await startOnFreePorts(env);
    processes.push(second.process);
    base = `http://127.0.0.1:${second.port}/api/v1`;
    const all = async () => {
      const items: Array<{ executionId: string; status: string }> = [];
      let cursor: string | undefined;
      do {
        const page = await call(
          'GET',
          `/flows/${flow.body.flowId}/executions?limit=100${cursor ? `&cursor=${cursor}` : ''}`,
        );
        items.push(...page.body.items);
        cursor = page.body.nextCursor;
      } while (cursor);
      return items;
    };
    let items = await all();
    for (let i = 0; i < 1800 && items.some((item) => item.status === 'RUNNING'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      items = await all();
    }
    // Nothing acknowledged is lost, and nothing is stuck.
    const known = new Set(items.map((item) => item.executionId));
    for (const id of accepted) expect(known.has(id), id).toBe(true);
    expect(items.filter((item) => item.status === 'RUNNING')).toEqual([]);
    for (const item of items) expect(['SUCCEEDED', 'INTERRUPTED']).toContain(item.status);
    second.process.child.kill('SIGTERM');
    expect(await second.process.exited).toBe(0);
  });
});
