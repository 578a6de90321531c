import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TaskPayload } from '../../../lib/actions/action.ts';
import type { ExecutionRecord } from '../../../lib/runtime/execution-record.ts';
import {
  FileExecutionJournal,
  InMemoryExecutionJournal,
  type PersistedExecution,
} from '../../../lib/runtime/local/execution-journal.ts';
import {
  LocalStateMachines,
  type LocalStateMachinesOptions,
} from '../../../lib/runtime/local/local-state-machines.ts';
import type { RecordJson } from '../../../lib/runtime/local/record-json.ts';
import {
  ExecutionConflictError,
  ExecutionNotFoundError,
  InvalidDefinitionError,
} from '../../../lib/runtime/state-machines.ts';
import { actionTask, machine, machineInput, namedError } from './asl-fixtures.ts';

// a → pause (Wait 60 s, 60 ms at the test time scale) → b
const threeSteps = machine('a', {
  a: actionTask('a', { next: 'pause' }),
  pause: { Type: 'Wait', Seconds: 60, Next: 'b' },
  b: actionTask('b'),
});

const instances: LocalStateMachines[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(instances.splice(0).map((instance) => instance.close()));
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

// The first run of an instance in thread mode waits for the thread's modules to load (about a second).
const slowStart = { timeout: 10_000, interval: 5 };

// Every case runs twice: the interpreter on this event loop, and in its worker thread (`thread`).
let threaded = false;

async function open(options: LocalStateMachinesOptions = {}): Promise<LocalStateMachines> {
  const instance = await LocalStateMachines.open({ timeScale: 0.001, thread: threaded, ...options });
  instances.push(instance);
  return instance;
}

async function deployed(instance: LocalStateMachines, asl = threeSteps) {
  return instance.deploy({ tenantId: 'acme', flowId: 'orders', version: 1, asl, type: 'STANDARD' });
}

async function finished(instance: LocalStateMachines, executionArn: string): Promise<ExecutionRecord> {
  return vi.waitFor(async () => {
    const record = await instance.describe(executionArn);
    if (record.status === 'RUNNING') throw new Error('still running');
    return record;
  }, slowStart);
}

const echo = async (payload: TaskPayload) => ({ ran: payload.nodeId });

/** A journal entry of ARN `arn` whose latest save has `status`. */
const journalEntry = (status: 'RUNNING' | 'SUCCEEDED', arn: string): PersistedExecution => ({
  executionArn: arn,
  name: arn,
  stateMachineArn: 'sm',
  versionArn: 'sm:1',
  input: machineInput(),
  record: { status, nodes: {} },
  redriveCount: 0,
  updatedAt: new Date(0).toISOString(),
});

/** The ids a running log's text names as running (the journal's own replay rule, restated). */
const runningIds = (log: string): string[] => {
  const ids = new Set<string>();
  for (const line of log.split('\n')) {
    if (!/^[+-][0-9a-f]{32}$/.test(line)) continue;
    if (line[0] === '+') ids.add(line.slice(1));
    else ids.delete(line.slice(1));
  }
  return [...ids];
};

/** The file name of the entry whose ARN is `arn`, found by its content. */
const entryFileOf = async (dir: string, arn: string): Promise<string> => {
  for (const name of await readdir(join(dir, 'executions'))) {
    const text = await readFile(join(dir, 'executions', name), 'utf8');
    if (text.includes(`"executionArn":${JSON.stringify(arn)}`)) return name;
  }
  throw new Error(`no entry for ${arn}`);
};

describe.each([false, true])('LocalStateMachines (interpreter in a worker thread: %s)', (thread) => {
  beforeEach(() => {
    threaded = thread;
  });

  it('deploys versions under ARN-like ids and refuses ASL that does not validate', async () => {
    const instance = await open();
    const machineIds = await deployed(instance);
    expect(machineIds).toEqual({
      stateMachineArn: 'arn:aws:states:local:000000000000:stateMachine:acme-orders',
      versionArn: 'arn:aws:states:local:000000000000:stateMachine:acme-orders:1',
    });
    await expect(
      instance.deploy({
        tenantId: 'acme',
        flowId: 'bad',
        version: 1,
        asl: { StartAt: 'nowhere', States: {} },
        type: 'STANDARD',
      }),
    ).rejects.toBeInstanceOf(InvalidDefinitionError);
  });

  it('checks deployed ASL with asl-validator when asked to', async () => {
    const instance = await open({ validateOnDeploy: true });
    const noResource = machine('a', { a: { Type: 'Task', End: true } });
    await expect(
      instance.deploy({ tenantId: 'acme', flowId: 'v', version: 1, asl: noResource, type: 'STANDARD' }),
    ).rejects.toThrow(/State machine definition is invalid/);
  });

  it('journals a run at start, at the end and at most every persistIntervalMs in between', async () => {
    const journal = new InMemoryExecutionJournal();
    const save = vi.spyOn(journal, 'saveExecution');
    const states: Record<string, Record<string, unknown>> = {};
    for (let i = 0; i < 30; i++) states[`n${i}`] = actionTask(`n${i}`, i < 29 ? { next: `n${i + 1}` } : {});
    const instance = await open({ journal, invokeAction: echo, persistIntervalMs: 60_000 });
    const machineIds = await deployed(instance, machine('n0', states));
    const { executionArn } = await instance.start({
      machine: machineIds,
      name: 'many',
      input: machineInput(),
    });
    const record = await finished(instance, executionArn);
    expect(Object.keys(record.nodes)).toHaveLength(30);
    await vi.waitFor(async () => {
      const saved = await journal.loadExecution(executionArn);
      expect(saved?.record.status).toBe('SUCCEEDED');
    });
    // start, one throttled progress write (the next would be due in a minute), the final one.
    expect(save.mock.calls.length).toBeLessThanOrEqual(3);
    expect(save.mock.calls.length).toBeGreaterThanOrEqual(2);
  });

  it('starts in the background, describes it RUNNING with the nodes so far, then SUCCEEDED', async () => {
    const onFinished = vi.fn();
    const instance = await open({ invokeAction: echo, onFinished, timeScale: 0.005 });
    const machineIds = await deployed(instance);
    const started = await instance.start({
      machine: machineIds,
      name: 'run-1',
      input: machineInput({ n: 1 }),
    });
    expect(started).toMatchObject({
      executionArn: 'arn:aws:states:local:000000000000:execution:acme-orders:run-1',
      alreadyStarted: false,
    });
    const running = await vi.waitFor(async () => {
      const record = await instance.describe(started.executionArn);
      expect(record.nodes.a?.status).toBe('succeeded');
      return record;
    }, slowStart);
    expect(running.status).toBe('RUNNING');
    expect(running.nodes.b).toBeUndefined();

    const record = await finished(instance, started.executionArn);
    expect(record.status).toBe('SUCCEEDED');
    expect(record.output).toEqual({ a: { ran: 'a' }, b: { ran: 'b' } });
    await vi.waitFor(() => expect(onFinished).toHaveBeenCalledOnce());
    const [arn, final] = onFinished.mock.calls[0] as [string, RecordJson];
    expect(arn).toBe(started.executionArn);
    expect(final.read()).toEqual(record);
  });

  it('answers the existing execution when a name is started twice', async () => {
    const invokeAction = vi.fn(echo);
    const instance = await open({ invokeAction });
    const machineIds = await deployed(instance);
    const first = await instance.start({ machine: machineIds, name: 'same', input: machineInput() });
    const second = await instance.start({ machine: machineIds, name: 'same', input: machineInput() });
    expect(second).toEqual({ ...first, alreadyStarted: true });
    await finished(instance, first.executionArn);
    expect(invokeAction).toHaveBeenCalledTimes(2);
  });

  it('stops a running execution: ABORTED with the reason', async () => {
    const instance = await open({ invokeAction: echo, timeScale: 1 });
    const machineIds = await deployed(instance);
    const { executionArn } = await instance.start({
      machine: machineIds,
      name: 'long',
      input: machineInput(),
    });
    await vi.waitFor(
      async () => expect((await instance.describe(executionArn)).nodes.pause?.status).toBe('running'),
      slowStart,
    );
    await instance.stop(executionArn, { error: 'UserStop', cause: 'no longer needed' });
    const record = await instance.describe(executionArn);
    expect(record.status).toBe('ABORTED');
    expect(record.error).toEqual({ error: 'UserStop', cause: 'no longer needed' });
    expect(record.nodes.a?.status).toBe('succeeded');
    await expect(instance.describe('arn:aws:states:local:000000000000:execution:x:y')).rejects.toBeInstanceOf(
      ExecutionNotFoundError,
    );
  });

  it('redrives a failed execution without running its succeeded nodes again', async () => {
    let failB = true;
    const invokeAction = vi.fn(async (payload: TaskPayload) => {
      if (payload.nodeId === 'b' && failB) throw namedError('Http5xx', 'down');
      return { ran: payload.nodeId };
    });
    const instance = await open({ invokeAction });
    const machineIds = await deployed(instance);
    const { executionArn } = await instance.start({
      machine: machineIds,
      name: 'flaky',
      input: machineInput(),
    });
    const failed = await finished(instance, executionArn);
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toEqual({ error: 'Http5xx', cause: 'down' });

    failB = false;
    invokeAction.mockClear();
    await instance.redrive(executionArn);
    const record = await finished(instance, executionArn);
    expect(record.status).toBe('SUCCEEDED');
    expect(invokeAction.mock.calls.map(([payload]) => payload.nodeId)).toEqual(['b']);
    expect(record.nodes.a).toEqual(failed.nodes.a);
    expect(record.startedAt).toBe(failed.startedAt);
    expect(record.output).toEqual({ a: { ran: 'a' }, b: { ran: 'b' } });

    await expect(instance.redrive(executionArn)).rejects.toBeInstanceOf(ExecutionConflictError);
  });

  it('marks executions a dead instance left RUNNING as INTERRUPTED, and redrives them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flowforge-journal-'));
    dirs.push(dir);
    const hang = new Promise<never>(() => {});
    // The first instance hangs in b, as if the process died there.
    const dead = new LocalStateMachines({
      journal: new FileExecutionJournal(dir),
      timeScale: 0.001,
      persistIntervalMs: 10,
      invokeAction: async (payload) => (payload.nodeId === 'b' ? hang : { ran: payload.nodeId }),
    });
    const machineIds = await deployed(dead);
    const { executionArn } = await dead.start({
      machine: machineIds,
      name: 'crash',
      input: machineInput({ k: 1 }),
    });
    await vi.waitFor(async () => {
      // The first save writes the entry in place (later ones rename a temporary file over it): a
      // read during that write may see it torn, and waitFor then reads again.
      const names = (await readdir(join(dir, 'executions'))).filter((name) => name.endsWith('.json'));
      expect(names).toHaveLength(1);
      const entry = JSON.parse(
        await readFile(join(dir, 'executions', names[0] ?? ''), 'utf8'),
      ) as PersistedExecution;
      expect(entry.record.nodes.b?.status).toBe('running');
    });

    const invokeAction = vi.fn(echo);
    const revived = await open({ journal: new FileExecutionJournal(dir), invokeAction });
    const interrupted = await revived.describe(executionArn);
    expect(interrupted.status).toBe('INTERRUPTED');
    expect(interrupted.error?.error).toBe('Interrupted');
    expect(interrupted.nodes.a?.status).toBe('succeeded');
    expect(interrupted.nodes.b).toMatchObject({ status: 'failed', error: { error: 'Interrupted' } });
    expect(interrupted.finishedAt).toBeDefined();

    await revived.redrive(executionArn);
    const record = await finished(revived, executionArn);
    expect(record.status).toBe('SUCCEEDED');
    expect(invokeAction.mock.calls.map(([payload]) => payload.nodeId)).toEqual(['b']);
    expect(record.output).toEqual({ a: { ran: 'a' }, b: { ran: 'b' } });

    // What the revived instance wrote survives another restart.
    const third = await open({ journal: new FileExecutionJournal(dir) });
    expect((await third.describe(executionArn)).status).toBe('SUCCEEDED');
    await dead.close();
  });

  it('reads only the executions left RUNNING at start-up; finished ones on demand, also for a repeated start', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flowforge-journal-'));
    dirs.push(dir);
    const first = await open({ journal: new FileExecutionJournal(dir), invokeAction: echo });
    const machineIds = await deployed(first);
    const names = ['one', 'two', 'three'];
    for (const name of names) {
      const { executionArn } = await first.start({ machine: machineIds, name, input: machineInput() });
      await finished(first, executionArn);
    }
    await first.close();
    // Finished executions leave nothing running in the log a start-up reads.
    expect(runningIds(await readFile(join(dir, 'running.log'), 'utf8'))).toEqual([]);

    const journal = new FileExecutionJournal(dir);
    const loadOne = vi.spyOn(journal, 'loadExecution');
    const second = await open({ journal, invokeAction: echo });
    expect(await journal.loadRunning()).toEqual([]);
    expect(loadOne).not.toHaveBeenCalled();

    const again = await second.start({ machine: machineIds, name: 'two', input: machineInput() });
    expect(again.alreadyStarted).toBe(true);
    expect((await second.describe(again.executionArn)).status).toBe('SUCCEEDED');
    expect(loadOne).toHaveBeenCalledTimes(1);
  });

  it('FileExecutionJournal skips a running mark whose entry was saved finished (a kill between the steps)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flowforge-journal-'));
    dirs.push(dir);
    const journal = new FileExecutionJournal(dir);
    await journal.saveExecution(journalEntry('RUNNING', 'a'));
    await journal.saveExecution(journalEntry('RUNNING', 'b'));
    expect((await journal.loadRunning()).map((e) => e.executionArn).sort()).toEqual(['a', 'b']);
    const marks = await readFile(join(dir, 'running.log'), 'utf8');
    await journal.saveExecution(journalEntry('SUCCEEDED', 'b'));
    expect((await journal.loadRunning()).map((e) => e.executionArn)).toEqual(['a']);
    // Put the log back as it was before b's end was noted, as if the process died between the
    // entry and the line, and cut its last line in half: b is still not running.
    await writeFile(join(dir, 'running.log'), `${marks}-${runningIds(marks)[0]?.slice(0, 9)}`);
    expect((await journal.loadRunning()).map((e) => e.executionArn)).toEqual(['a']);
    expect((await journal.loadExecution('b'))?.record.status).toBe('SUCCEEDED');
    expect(await journal.loadExecution('never')).toBeUndefined();
    // Each load rewrote the log with the running ids only.
    expect(runningIds(await readFile(join(dir, 'running.log'), 'utf8'))).toHaveLength(1);
  });

  it('FileExecutionJournal writes a first save in place and takes a torn one as never saved', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flowforge-journal-'));
    dirs.push(dir);
    const journal = new FileExecutionJournal(dir);
    await journal.saveExecution(journalEntry('RUNNING', 'torn'));
    await journal.saveExecution(journalEntry('RUNNING', 'whole'));
    // No temporary file was made for either: each first save wrote its entry in place.
    expect((await readdir(join(dir, 'executions'))).every((name) => name.endsWith('.json'))).toBe(true);
    // Cut the entry of "torn" in half, as a kill during its first write would.
    const tornFile = join(dir, 'executions', await entryFileOf(dir, 'torn'));
    const text = await readFile(tornFile, 'utf8');
    await writeFile(tornFile, text.slice(0, text.length / 2));

    const restarted = new FileExecutionJournal(dir);
    expect((await restarted.loadRunning()).map((e) => e.executionArn)).toEqual(['whole']);
    expect(await restarted.loadExecution('torn')).toBeUndefined();
    // A new start of the name writes a whole entry over the torn one; a later save replaces it whole.
    await restarted.saveExecution(journalEntry('RUNNING', 'torn'));
    await restarted.saveExecution(journalEntry('SUCCEEDED', 'torn'));
    expect((await restarted.loadExecution('torn'))?.record.status).toBe('SUCCEEDED');
    expect((await readdir(join(dir, 'executions'))).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('FileExecutionJournal reads the running markers of an earlier version once, into its log', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flowforge-journal-'));
    dirs.push(dir);
    const journal = new FileExecutionJournal(dir);
    await journal.saveExecution(journalEntry('RUNNING', 'old'));
    // What an earlier version left: a marker file per running execution, and no log.
    const id = runningIds(await readFile(join(dir, 'running.log'), 'utf8'))[0] ?? '';
    await rm(join(dir, 'running.log'));
    await mkdir(join(dir, 'running'));
    await writeFile(join(dir, 'running', `${id}.json`), '');
    const upgraded = new FileExecutionJournal(dir);
    expect((await upgraded.loadRunning()).map((e) => e.executionArn)).toEqual(['old']);
    await expect(readdir(join(dir, 'running'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(runningIds(await readFile(join(dir, 'running.log'), 'utf8'))).toEqual([id]);
  });

  it('FileExecutionJournal rewrites its running log once it has grown past its bound', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flowforge-journal-'));
    dirs.push(dir);
    const journal = new FileExecutionJournal(dir, undefined, { compactAfterLines: 100 });
    await journal.loadRunning();
    await journal.saveExecution(journalEntry('RUNNING', 'stays'));
    for (let i = 0; i * 2 <= 100; i++) {
      await journal.saveExecution(journalEntry('RUNNING', `run-${i}`));
      await journal.saveExecution(journalEntry('SUCCEEDED', `run-${i}`));
    }
    const lines = (await readFile(join(dir, 'running.log'), 'utf8')).split('\n').filter(Boolean);
    expect(lines.length).toBeLessThan(10);
    expect((await new FileExecutionJournal(dir).loadRunning()).map((e) => e.executionArn)).toEqual(['stays']);
  });

  it('keeps executions in a shared in-memory journal, and close() leaves running ones INTERRUPTED', async () => {
    const journal = new InMemoryExecutionJournal();
    const first = new LocalStateMachines({ journal, timeScale: 1, invokeAction: echo, thread });
    const machineIds = await deployed(first);
    const { executionArn } = await first.start({ machine: machineIds, name: 'm', input: machineInput() });
    await vi.waitFor(
      async () => expect((await first.describe(executionArn)).nodes.pause?.status).toBe('running'),
      slowStart,
    );
    await first.close();
    expect((await first.describe(executionArn)).status).toBe('INTERRUPTED');
    await expect(first.start({ machine: machineIds, name: 'n', input: machineInput() })).rejects.toThrow(
      /closed/,
    );

    const second = await open({ journal, invokeAction: echo });
    const record = await second.describe(executionArn);
    expect(record.status).toBe('INTERRUPTED');
    expect(record.nodes.pause?.error?.error).toBe('Interrupted');
    await second.redrive(executionArn);
    expect((await finished(second, executionArn)).status).toBe('SUCCEEDED');
  });

  it('removes a machine: new starts and redrives of it are refused', async () => {
    const instance = await open({ invokeAction: echo });
    const machineIds = await deployed(instance);
    await instance.remove(machineIds);
    await expect(instance.start({ machine: machineIds, name: 'x', input: machineInput() })).rejects.toThrow(
      /not deployed/,
    );
  });
});

describe('LocalStateMachines with the interpreter in a worker thread', () => {
  beforeEach(() => {
    threaded = true;
  });

  it('runs actions and waits on this thread, and a stop aborts the signal they were given', async () => {
    const seen: Array<{ node: string; mainThread: boolean }> = [];
    let aborted: string | undefined;
    const instance = await open({
      timeScale: 1,
      invokeAction: async (payload, context) => {
        seen.push({ node: payload.nodeId, mainThread: isMainThread });
        if (payload.nodeId === 'a') return { ran: 'a' };
        // b never answers by itself: only the stop ends it.
        return new Promise((_, reject) =>
          context.signal.addEventListener('abort', () => {
            aborted = (context.signal.reason as Error).name;
            reject(context.signal.reason);
          }),
        );
      },
    });
    const machineIds = await deployed(
      instance,
      machine('a', { a: actionTask('a', { next: 'b' }), b: actionTask('b') }),
    );
    const { executionArn } = await instance.start({
      machine: machineIds,
      name: 'stopped',
      input: machineInput(),
    });
    await vi.waitFor(() => expect(seen.map((call) => call.node)).toEqual(['a', 'b']), slowStart);
    expect(seen.every((call) => call.mainThread)).toBe(true);
    expect((await instance.describe(executionArn)).nodes.b?.status).toBe('running');
    await instance.stop(executionArn, { error: 'UserStop', cause: 'enough' });
    expect(await instance.describe(executionArn)).toMatchObject({
      status: 'ABORTED',
      error: { error: 'UserStop', cause: 'enough' },
    });
    await vi.waitFor(() => expect(aborted).toBe('AbortError'));
  });

  it("keeps an action's error name and message across the thread, for Retry and Catch", async () => {
    const instance = await open({
      invokeAction: async () => {
        throw namedError('Http4xx', 'the target said 404');
      },
    });
    const machineIds = await deployed(instance, machine('a', { a: actionTask('a') }));
    const { executionArn } = await instance.start({
      machine: machineIds,
      name: 'fails',
      input: machineInput(),
    });
    const record = await finished(instance, executionArn);
    expect(record.status).toBe('FAILED');
    expect(record.error).toEqual({ error: 'Http4xx', cause: 'the target said 404' });
    expect(record.nodes.a?.error).toEqual({ error: 'Http4xx', cause: 'the target said 404' });
  });
});
