import { afterEach, describe, expect, it } from 'vitest';
import type { AslDefinition } from '../../../lib/compiler/types.ts';
import { InvalidNameError, ValidationExceptionError } from '../../../lib/runtime/local/aws-limits.ts';
import { checkMachineStructure } from '../../../lib/runtime/local/check-machine-structure.ts';
import { LocalStateMachines } from '../../../lib/runtime/local/local-state-machines.ts';
import { type RunLocallyOptions, runLocally } from '../../../lib/runtime/local/run-locally.ts';
import { InvalidDefinitionError, type MachineInput } from '../../../lib/runtime/state-machines.ts';
import { actionTask, machine, machineInput } from './asl-fixtures.ts';

// Each test runs the real local runtime (aws-local-stepfunctions through runLocally or
// LocalStateMachines) on hand-written ASL, and names the Step Functions rule it encodes
// (docs/aws-parity.md, "Compiler and local runtime limits").

const KIB = 1024;
const run = (asl: AslDefinition, input: MachineInput = machineInput(), options: RunLocallyOptions = {}) =>
  runLocally(asl, input, { validate: 'structure', invokeAction: async () => ({ ok: true }), ...options })
    .promise;

/** A Pass that puts a string of `kib` KiB at `$.<key>`. */
const padPass = (key: string, kib: number, next?: string): Record<string, unknown> => ({
  Type: 'Pass',
  Result: 'x'.repeat(kib * KIB),
  ResultPath: `$.${key}`,
  ...(next ? { Next: next } : { End: true }),
});

describe('Step Functions quota: 256 KiB per state input and output (States.DataLimitExceeded)', () => {
  it('fails the run when a Pass output exceeds 256 KiB, and no Catch of an enclosing Parallel handles it', async () => {
    const asl = machine('wrap', {
      wrap: {
        Type: 'Parallel',
        Branches: [{ StartAt: 'pad', States: { pad: padPass('pad', 300) } }],
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.caught', Next: 'caught' }],
        Next: 'done',
      },
      caught: { Type: 'Pass', End: true },
      done: { Type: 'Succeed' },
    });
    const record = await run(asl);
    expect(record.status).toBe('FAILED');
    expect(record.error?.error).toBe('States.DataLimitExceeded');
    expect(record.error?.cause).toMatch(/state\/task 'pad' returned a result/);
    expect(record.error?.cause).toMatch(/its output is 30\d{4} bytes, over the 262144 bytes/);
  });

  it('accepts a state of exactly 256 KiB (the limit is inclusive) and counts UTF-8 bytes, not characters', async () => {
    // {"input":{},"execution":{...},"nodes":{},"p":"…"} — pad the string so the whole JSON is 262,144 bytes.
    const base = JSON.stringify({ ...machineInput(), nodes: {}, p: '' });
    const fits = 'x'.repeat(256 * KIB - Buffer.byteLength(base));
    const exact = machine('p', { p: { Type: 'Pass', Result: fits, ResultPath: '$.p', End: true } });
    expect((await run(exact)).status).toBe('SUCCEEDED');
    // "é" is 2 bytes in UTF-8: 90,000 of them are 180,000 bytes (plus the state around them) — fits;
    // 140,000 characters are 280,000 bytes although the string is shorter than 262,144 characters.
    const accented = (n: number) =>
      machine('p', { p: { Type: 'Pass', Result: 'é'.repeat(n), ResultPath: '$.p', End: true } });
    expect((await run(accented(90_000))).status).toBe('SUCCEEDED');
    const over = await run(accented(140_000));
    expect(over.error?.error).toBe('States.DataLimitExceeded');
    expect(over.error?.cause).toMatch(/its output is 28\d{4} bytes/);
  });

  it('fails a Parallel whose joined output exceeds 256 KiB although every branch fits', async () => {
    const asl = machine('fan', {
      fan: {
        Type: 'Parallel',
        Branches: [
          { StartAt: 'left', States: { left: padPass('left', 150) } },
          { StartAt: 'right', States: { right: padPass('right', 150) } },
        ],
        ResultPath: '$.joined',
        End: true,
      },
    });
    const record = await run(asl);
    expect(record.status).toBe('FAILED');
    expect(record.error?.error).toBe('States.DataLimitExceeded');
    expect(record.error?.cause).toMatch(/'fan' returned a result/);
  });

  it("fails an Inline Map whose collected result exceeds 256 KiB although every iteration's output fits", async () => {
    const asl = machine('each', {
      each: {
        Type: 'Map',
        ItemsPath: '$.input.items',
        ItemProcessor: { StartAt: 'item', States: { item: padPass('pad', 30) } },
        ResultPath: '$.collected',
        End: true,
      },
    });
    const items = (n: number) => machineInput({ items: Array.from({ length: n }, () => ({})) });
    expect((await run(asl, items(8))).status).toBe('SUCCEEDED');
    const record = await run(asl, items(9));
    expect(record.status).toBe('FAILED');
    expect(record.error?.error).toBe('States.DataLimitExceeded');
    expect(record.error?.cause).toMatch(/'each' returned a result/);
  });

  it('fails on a state input over 256 KiB: a Map iteration built twice as large by its ItemSelector', async () => {
    const asl = machine('pad', {
      pad: padPass('big', 150, 'each'),
      each: {
        Type: 'Map',
        ItemsPath: '$.input.items',
        ItemSelector: { 'a.$': '$.big', 'b.$': '$.big', 'item.$': '$$.Map.Item.Value' },
        ItemProcessor: { StartAt: 'inner', States: { inner: { Type: 'Pass', End: true } } },
        ResultPath: null,
        End: true,
      },
    });
    const record = await run(asl, machineInput({ items: [1, 2] }));
    expect(record.status).toBe('FAILED');
    expect(record.error?.error).toBe('States.DataLimitExceeded');
    expect(record.error?.cause).toMatch(/state\/task 'inner' has an input .* its input is 30\d{4} bytes/);
  });

  it('fails a Task whose state output (its result placed with ResultPath) exceeds 256 KiB, past its Catch, and records the node failed', async () => {
    const asl = machine('pad', {
      pad: padPass('big', 200, 'fetch'),
      fetch: actionTask('fetch', {
        extra: { Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.nodes.fetch', Next: 'after' }] },
      }),
      after: { Type: 'Succeed' },
    });
    const record = await run(asl, machineInput(), { invokeAction: async () => 'y'.repeat(100 * KIB) });
    expect(record.status).toBe('FAILED');
    expect(record.error?.error).toBe('States.DataLimitExceeded');
    expect(record.error?.cause).toMatch(/'fetch' returned a result/);
    expect(record.nodes.fetch).toMatchObject({
      status: 'failed',
      error: { error: 'States.DataLimitExceeded' },
    });
  });
});

describe('256 KiB per state: the cheap bounds never hide an oversized state', () => {
  /** `count` Tasks in a chain, each putting its 30 KiB result at `$.nodes.<slot(i)>`. */
  const chain = (count: number, slot: (i: number) => string): AslDefinition => {
    const states: Record<string, Record<string, unknown>> = {};
    for (let i = 0; i < count; i++) {
      states[`t${i}`] = {
        ...actionTask(`t${i}`, i + 1 < count ? { next: `t${i + 1}` } : {}),
        ResultPath: `$.nodes.${slot(i)}`,
      };
    }
    return machine('t0', states);
  };
  const thirtyKiB = async () => 'r'.repeat(30 * KIB);

  it('lets a run that reuses one slot succeed although the bounds add up past 256 KiB', async () => {
    const record = await run(
      chain(20, () => 'same'),
      machineInput(),
      { invokeAction: thirtyKiB },
    );
    expect(record.status).toBe('SUCCEEDED');
  });

  it('fails the run whose state grows past 256 KiB, at the state that crosses it', async () => {
    const record = await run(
      chain(20, (i) => `n${i}`),
      machineInput(),
      { invokeAction: thirtyKiB },
    );
    expect(record.status).toBe('FAILED');
    expect(record.error?.error).toBe('States.DataLimitExceeded');
    // 8 results of ~30 KiB fit (≈ 246 KiB), the 9th does not.
    expect(record.error?.cause).toMatch(/'t8' returned a result/);
  });

  it("measures a caught state's output by its catcher's ResultPath (a 300 KiB error at $.error)", async () => {
    const asl = machine('t', {
      t: actionTask('t', {
        extra: { Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'after' }] },
      }),
      after: { Type: 'Succeed' },
    });
    const record = await run(asl, machineInput(), {
      invokeAction: async () => {
        throw new Error('e'.repeat(300 * KIB));
      },
    });
    expect(record.status).toBe('FAILED');
    expect(record.error?.error).toBe('States.DataLimitExceeded');
    expect(record.error?.cause).toMatch(/'t' returned a result/);
  });
});

describe('Step Functions quota: StartExecution input at most 256 KiB (ValidationException)', () => {
  const big = machineInput({ blob: 'z'.repeat(260 * KIB) });

  it('runLocally refuses the input before anything runs, naming its size', () => {
    expect(() => runLocally(machine('a', { a: actionTask('a') }), big)).toThrow(ValidationExceptionError);
    expect(() => runLocally(machine('a', { a: actionTask('a') }), big)).toThrow(
      /Value at 'input' failed to satisfy constraint: Member must have length less than or equal to 262144 \(the execution input is 266\d\d\d bytes\)/,
    );
  });

  it('LocalStateMachines.start refuses it as StartExecution does and records no execution', async () => {
    const instance = await LocalStateMachines.open({ invokeAction: async () => ({}) });
    try {
      const deployed = await instance.deploy({
        tenantId: 'acme',
        flowId: 'orders',
        version: 1,
        asl: machine('a', { a: actionTask('a') }),
        type: 'STANDARD',
      });
      const refused = instance.start({ machine: deployed, name: 'too-big', input: big });
      await expect(refused).rejects.toBeInstanceOf(ValidationExceptionError);
      await expect(refused).rejects.toMatchObject({ name: 'ValidationException' });
      await expect(
        instance.describe('arn:aws:states:local:000000000000:execution:acme-orders:too-big'),
      ).rejects.toMatchObject({ name: 'ExecutionNotFound' });
    } finally {
      await instance.close();
    }
  });
});

/**
 * zero → start → (count → more?) × `loops` → done: 1 (start) + 2 + 2 + 4 × loops + 2 history
 * events before the execution's end.
 */
function counterLoop(loops: number): AslDefinition {
  return {
    StartAt: 'zero',
    States: {
      zero: { Type: 'Pass', Parameters: { n: 0 }, Next: 'start' },
      start: { Type: 'Pass', Next: 'count' },
      count: { Type: 'Pass', Parameters: { 'n.$': 'States.MathAdd($.n, 1)' }, Next: 'more?' },
      'more?': {
        Type: 'Choice',
        Choices: [{ Variable: '$.n', NumericLessThan: loops, Next: 'count' }],
        Default: 'done',
      },
      done: { Type: 'Pass', End: true },
    },
  };
}
const counterInput = machineInput();

describe('Step Functions quota: 25,000 history events per Standard execution (States.Runtime)', () => {
  it('fails the run whose next event would be number 25,000, and lets one that ends at 24,999 + its end succeed', async () => {
    // 6,248 loops: 5 + 24,992 + 2 = 24,999 events, then ExecutionSucceeded is number 25,000.
    const fits = await run(counterLoop(6248), counterInput, { keepEvents: false });
    expect(fits.status).toBe('SUCCEEDED');
    const over = await run(counterLoop(6249), counterInput, { keepEvents: false });
    expect(over.status).toBe('FAILED');
    expect(over.error).toEqual({
      error: 'States.Runtime',
      cause: expect.stringMatching(/^The execution reached the maximum number of history events \(25000\)/),
    });
  });

  it('does not count history for Express executions (they have none)', async () => {
    const record = await run(counterLoop(6249), counterInput, { keepEvents: false, machineType: 'EXPRESS' });
    expect(record.status).toBe('SUCCEEDED');
  });

  it('counts a Task as entered, scheduled, started, succeeded, exited and every Map iteration as two more', async () => {
    // Per Map run: 4 Map events + 400 items × (2 iteration events + 5 Task events) = 2,804; with
    // the execution's start, eight Map runs are 22,433 events and fit, nine (25,237) do not.
    const mapOf = (runs: number): AslDefinition => {
      const states: Record<string, Record<string, unknown>> = {};
      for (let i = 0; i < runs; i++) {
        states[`m${i}`] = {
          Type: 'Map',
          ItemsPath: '$.input.items',
          ItemSelector: { 'execution.$': '$.execution' },
          ItemProcessor: {
            StartAt: `t${i}`,
            States: { [`t${i}`]: { ...actionTask(`t${i}`), ResultPath: null } },
          },
          ResultPath: null,
          ...(i + 1 < runs ? { Next: `m${i + 1}` } : { End: true }),
        };
      }
      return { StartAt: 'm0', States: states };
    };
    const input = machineInput({ items: Array.from({ length: 400 }, (_, i) => i) });
    expect((await run(mapOf(8), input, { keepEvents: false })).status).toBe('SUCCEEDED');
    const over = await run(mapOf(9), input, { keepEvents: false });
    expect(over.error?.error).toBe('States.Runtime');
  });
});

describe('Step Functions quota: an Express execution runs at most 5 minutes (TIMED_OUT, States.Timeout)', () => {
  const waits = (seconds: number) =>
    machine('pause', { pause: { Type: 'Wait', Seconds: seconds, End: true } });
  // timeScale 0.001 with scaleTimeouts: 1 s of machine time is 1 ms, the 5 minutes are 300 ms.
  const scaled: RunLocallyOptions = { timeScale: 0.001, scaleTimeouts: true };

  it('times out an Express run past 300 s of (scaled) time', async () => {
    const record = await run(waits(400), machineInput(), { ...scaled, machineType: 'EXPRESS' });
    expect(record.status).toBe('TIMED_OUT');
    expect(record.error).toEqual({
      error: 'States.Timeout',
      cause: 'The Express execution ran longer than 300 seconds, the most an Express workflow may run',
    });
  });

  it('lets an Express run of less than 5 minutes, and a Standard one of more, succeed', async () => {
    expect((await run(waits(100), machineInput(), { ...scaled, machineType: 'EXPRESS' })).status).toBe(
      'SUCCEEDED',
    );
    expect((await run(waits(400), machineInput(), { ...scaled, machineType: 'STANDARD' })).status).toBe(
      'SUCCEEDED',
    );
  });

  it('keeps a machine TimeoutSeconds shorter than 5 minutes as it is', async () => {
    const record = await run({ ...waits(200), TimeoutSeconds: 100 }, machineInput(), {
      ...scaled,
      machineType: 'EXPRESS',
    });
    expect(record.status).toBe('TIMED_OUT');
    expect(record.error?.cause).toBe('The execution ran longer than its TimeoutSeconds');
  });
});

describe('Step Functions quota: an Inline Map runs at most 40 iterations at once', () => {
  let inFlight = 0;
  let most = 0;
  afterEach(() => {
    inFlight = 0;
    most = 0;
  });
  const slowAction = async (): Promise<unknown> => {
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise((resolve) => setTimeout(resolve, 20));
    inFlight--;
    return { ok: true };
  };
  const map = (concurrency: Record<string, unknown>): AslDefinition => ({
    StartAt: 'each',
    States: {
      each: {
        Type: 'Map',
        ItemsPath: '$.input.items',
        ItemSelector: { 'execution.$': '$.execution' },
        ...concurrency,
        ItemProcessor: { StartAt: 'work', States: { work: { ...actionTask('work'), ResultPath: null } } },
        End: true,
      },
    },
  });
  const input = machineInput({ items: Array.from({ length: 100 }, (_, i) => i), limit: 100 });

  it('caps MaxConcurrency 100 at 40 and still runs every item', async () => {
    const record = await run(map({ MaxConcurrency: 100 }), input, { invokeAction: slowAction });
    expect(record.status).toBe('SUCCEEDED');
    expect(most).toBe(40);
  });

  it('caps a MaxConcurrencyPath that selects 100 at 40', async () => {
    const record = await run(map({ MaxConcurrencyPath: '$.input.limit' }), input, {
      invokeAction: slowAction,
    });
    expect(record.status).toBe('SUCCEEDED');
    expect(most).toBe(40);
  });

  it('keeps a lower MaxConcurrency as it is', async () => {
    await run(map({ MaxConcurrency: 5 }), input, { invokeAction: slowAction });
    expect(most).toBe(5);
  });
});

describe('Step Functions rule: at most 10 intrinsic functions in one field (CreateStateMachine InvalidDefinition)', () => {
  const nested = (functions: number): string => {
    let text = '$.input.a';
    for (let i = 0; i < functions; i++) text = `States.JsonMerge(${text}, $.input.b, false)`;
    return text;
  };
  const withField = (field: string): AslDefinition =>
    machine('fan', {
      fan: {
        Type: 'Parallel',
        Branches: [
          {
            StartAt: 'deep',
            States: {
              deep: { Type: 'Pass', Parameters: { 'merged.$': field, note: 'States.X(' }, End: true },
            },
          },
        ],
        End: true,
      },
    });

  it('LocalStateMachines.deploy refuses 11 in a field inside a branch, naming the state and field, and accepts 10', async () => {
    const instance = await LocalStateMachines.open({ invokeAction: async () => ({}) });
    try {
      const deploy = (asl: AslDefinition) =>
        instance.deploy({ tenantId: 'acme', flowId: 'orders', version: 1, asl, type: 'STANDARD' });
      await expect(deploy(withField(nested(11)))).rejects.toBeInstanceOf(InvalidDefinitionError);
      await expect(deploy(withField(nested(11)))).rejects.toThrow(
        /state "deep", field "merged\.\$": 11 intrinsic functions in one field, over Step Functions' limit of 10/,
      );
      await expect(deploy(withField(nested(10)))).resolves.toMatchObject({ versionArn: expect.any(String) });
      // Quoted text is not a function call.
      const quoted = `States.Format('${'States.Array('.repeat(12)}', $.input.a)`;
      await expect(deploy(withField(quoted))).resolves.toMatchObject({ versionArn: expect.any(String) });
    } finally {
      await instance.close();
    }
  });
});

describe('Step Functions name rules (CreateStateMachine InvalidDefinition / InvalidName, StartExecution)', () => {
  it('refuses a state name over 80 characters, naming the state and its length', () => {
    const long = 's'.repeat(81);
    expect(() => checkMachineStructure(machine(long, { [long]: { Type: 'Succeed' } }))).toThrow(
      InvalidDefinitionError,
    );
    expect(() => checkMachineStructure(machine(long, { [long]: { Type: 'Succeed' } }))).toThrow(
      /state "s{81}": a state name has 1 to 80 characters, this one 81/,
    );
    const eighty = 's'.repeat(80);
    expect(() => checkMachineStructure(machine(eighty, { [eighty]: { Type: 'Succeed' } }))).not.toThrow();
  });

  it('refuses a state name used twice in one machine, in a branch too', () => {
    const asl = machine('fan', {
      fan: {
        Type: 'Parallel',
        Branches: [{ StartAt: 'fan', States: { fan: { Type: 'Succeed' } } }],
        End: true,
      },
    });
    expect(() => checkMachineStructure(asl)).toThrow(
      /state "fan": state names must be unique in the whole machine/,
    );
  });

  it('StartExecution: refuses execution names with forbidden characters (InvalidName) or over 80 characters (ValidationException)', async () => {
    const instance = await LocalStateMachines.open({ invokeAction: async () => ({}) });
    try {
      const deployed = await instance.deploy({
        tenantId: 'acme',
        flowId: 'orders',
        version: 1,
        asl: machine('a', { a: actionTask('a') }),
        type: 'STANDARD',
      });
      const start = (name: string) => instance.start({ machine: deployed, name, input: machineInput() });
      for (const bad of ['has space', 'a/b', 'a:b', 'star*', 'tab\there', 'q?']) {
        await expect(start(bad)).rejects.toBeInstanceOf(InvalidNameError);
      }
      await expect(start('a b')).rejects.toThrow(/may not contain " " \(at index 1\)/);
      await expect(start('n'.repeat(81))).rejects.toBeInstanceOf(ValidationExceptionError);
      await expect(start('n'.repeat(81))).rejects.toThrow(/Member must have length less than or equal to 80/);
      await expect(start('')).rejects.toBeInstanceOf(ValidationExceptionError);
      await expect(start('n'.repeat(80))).resolves.toMatchObject({ alreadyStarted: false });
      await expect(start('ünïcode-ok_1')).resolves.toMatchObject({ alreadyStarted: false });
    } finally {
      await instance.close();
    }
  });

  it('CreateStateMachine: gives a flow whose tenant-flow name is too long a valid bounded name', async () => {
    const instance = await LocalStateMachines.open({ invokeAction: async () => ({}) });
    try {
      const deployed = await instance.deploy({
        tenantId: 't'.repeat(60),
        flowId: '7c3b2a10-0000-4000-8000-000000000001',
        version: 1,
        asl: machine('a', { a: actionTask('a') }),
        type: 'STANDARD',
      });
      const name = deployed.stateMachineArn.split(':stateMachine:')[1] ?? '';
      expect(name).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    } finally {
      await instance.close();
    }
  });
});
