import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type LocalProcess, startOnFreePorts } from './local-process.ts';

const KEY = 'ffk_crash_safety_test_key_0123456789';

describe('crash safety of npm start', () => {
  const processes: LocalProcess[] = [];
  let dataDir: string;

  afterAll(async () => {
    for (const running of processes) if (running.child.exitCode === null) running.child.kill('SIGKILL');
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps flows and executions across SIGKILL; the interrupted run says so and can be redriven', {
    timeout: 120_000,
  }, async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'flowforge-crash-'));
    const env = {
      FLOWFORGE_DATA_DIR: dataDir,
      FLOWFORGE_API_KEY: KEY,
      FLOWFORGE_LOG_REQUESTS: '0',
      // Waits and schedules run 1000 times faster: "every 5 minutes" is every 300 ms.
      FLOWFORGE_TIME_SCALE: '0.001',
    };
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

    const { process: first, port } = await startOnFreePorts(env);
    processes.push(first);
    base = `http://127.0.0.1:${port}/api/v1`;
    expect(first.output()).toContain(base);

    const quick = await call('POST', '/flows', {
      name: 'quick',
      nodes: [{ id: 'hello', type: 'action', action: 'log', config: { message: 'hi' } }],
    });
    expect(quick.status).toBe(201);
    const slow = await call('POST', '/flows', {
      name: 'slow',
      nodes: [
        { id: 'hello', type: 'action', action: 'log', config: { message: 'before' } },
        {
          id: 'wait',
          type: 'operation',
          operation: 'delay',
          config: { seconds: 3600 },
          dependencies: ['hello'],
        },
        { id: 'after', type: 'action', action: 'log', config: { message: 'after' }, dependencies: ['wait'] },
      ],
    });
    expect(slow.status).toBe(201);
    const ticker = await call('POST', '/flows', {
      name: 'ticker',
      nodes: [
        { id: 'tick', type: 'trigger', trigger: 'schedule', config: { rate: 'rate(5 minutes)' } },
        { id: 'note', type: 'action', action: 'log', config: { message: 'tick' }, dependencies: ['tick'] },
      ],
    });
    expect(ticker.status).toBe(201);
    const scheduledRuns = async () =>
      (await call('GET', `/flows/${ticker.body.flowId}/executions?limit=100`)).body.items.filter(
        (run: { trigger: { type: string } }) => run.trigger.type === 'schedule',
      ).length;

    const done = await call('POST', `/flows/${quick.body.flowId}/execute`, { input: { n: 1 } });
    let doneStatus = '';
    for (let i = 0; i < 200 && doneStatus !== 'SUCCEEDED'; i++) {
      doneStatus = (await call('GET', `/executions/${done.body.executionId}`)).body.status;
      if (doneStatus !== 'SUCCEEDED') await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(doneStatus).toBe('SUCCEEDED');

    const running = await call('POST', `/flows/${slow.body.flowId}/execute`, { input: { n: 2 } });
    expect(running.status).toBe(202);
    let waiting = false;
    for (let i = 0; i < 200 && !waiting; i++) {
      const read = await call('GET', `/executions/${running.body.executionId}`);
      waiting = read.body.nodes?.hello?.status === 'succeeded';
      if (!waiting) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(waiting).toBe(true);
    // Give the journal its write of the node progress (it persists at most every 200 ms).
    await new Promise((resolve) => setTimeout(resolve, 400));

    // While the table is open its marker exists; a kill leaves it, so the next start repairs the
    // indexes (lib/local/index-repair.ts), and only a clean stop removes it.
    const marker = join(dataDir, 'dynamodb.open');
    const markerExists = () =>
      access(marker).then(
        () => true,
        () => false,
      );
    expect(await markerExists()).toBe(true);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    expect(await markerExists()).toBe(true);

    const restarted = await startOnFreePorts(env);
    const second = restarted.process;
    processes.push(second);
    base = `http://127.0.0.1:${restarted.port}/api/v1`;
    expect(second.output()).not.toContain('ffk_'); // the admin key is never printed again

    const flows = await call('GET', '/flows');
    expect(flows.body.items.map((f: { flowId: string }) => f.flowId).sort()).toEqual(
      [quick.body.flowId, slow.body.flowId, ticker.body.flowId].sort(),
    );
    // The schedule is registered again at start: runs keep coming after the restart.
    const before = await scheduledRuns();
    let after = before;
    for (let i = 0; i < 100 && after <= before; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      after = await scheduledRuns();
    }
    expect(after).toBeGreaterThan(before);
    const kept = await call('GET', `/executions/${done.body.executionId}`);
    expect(kept.body).toMatchObject({ status: 'SUCCEEDED', input: { n: 1 } });
    const interrupted = await call('GET', `/executions/${running.body.executionId}`);
    expect(interrupted.body.status).toBe('INTERRUPTED');
    expect(interrupted.body.error).toMatchObject({ error: 'Interrupted' });
    expect(interrupted.body.nodes.hello.status).toBe('succeeded');
    const listed = await call('GET', `/flows/${slow.body.flowId}/executions`);
    expect(listed.body.items[0]).toMatchObject({
      executionId: running.body.executionId,
      status: 'INTERRUPTED',
    });

    const redriven = await call('POST', `/executions/${running.body.executionId}/redrive`);
    expect(redriven.status).toBe(202);
    expect((await call('GET', `/executions/${running.body.executionId}`)).body.status).toBe('RUNNING');
    const stopped = await call('POST', `/executions/${running.body.executionId}/stop`);
    expect(stopped.body.status).toBe('ABORTED');

    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(await markerExists()).toBe(false);
  });
});
