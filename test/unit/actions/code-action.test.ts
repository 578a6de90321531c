import { describe, expect, it } from 'vitest';
import { syntaxProblem } from '../../../lib/actions/code/check-syntax.ts';
import { codeAction } from '../../../lib/actions/code/index.ts';
import { MAX_LOG_LINES, runInSandbox } from '../../../lib/actions/code/sandbox.ts';
import { runAction } from '../../../lib/actions/run-action.ts';
import { validateDefinition } from '../../../lib/workflow/validate-definition.ts';

const task = (config: Record<string, unknown>) => ({
  nodeId: 'clean',
  action: 'code',
  config,
  execution: { id: 'e1', startedAt: '2026-01-01T00:00:00.000Z', flowId: 'f1', version: 1 },
  attempt: 1,
});

const run = (source: string, extra: Record<string, unknown> = {}) =>
  runAction(codeAction, task({ source, timeoutMs: 300, ...extra }));

/** The failure of `source` as `{ name, message }` (fails the test when the code succeeds). */
async function failure(source: string, extra: Record<string, unknown> = {}) {
  const error = await run(source, extra).then(
    (value) => {
      throw new Error(`expected a failure, got ${JSON.stringify(value)}`);
    },
    (thrown: unknown) => thrown as Error & { cause?: Record<string, unknown> },
  );
  return error;
}

/** After every attack the next invocation still works and the host is untouched. */
async function expectHealthy() {
  await expect(run('return args.n + 1', { args: { n: 41 } })).resolves.toEqual({ output: 42, logs: [] });
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(typeof process.env).toBe('object');
}

describe('code action', () => {
  it('returns the JSON value of the body with args in scope, and the console lines', async () => {
    const result = await run(
      'console.log("items", args.items.length, { first: args.items[0] });\nconsole.warn("careful");\nreturn args.items.filter((i) => i.price > 10).map((i) => ({ ...i, vat: i.price * 0.2 }));',
      { args: { items: [{ price: 5 }, { price: 20 }] } },
    );
    expect(result).toEqual({
      output: [{ price: 20, vat: 4 }],
      logs: ['items 2 {"first":{"price":5}}', '[warn] careful'],
    });
  });

  it('awaits an async body; no return value is null', async () => {
    await expect(run('const v = await Promise.resolve(21); return v * 2')).resolves.toEqual({
      output: 42,
      logs: [],
    });
    await expect(run('console.log("only logs")')).resolves.toEqual({ output: null, logs: ['only logs'] });
  });

  it(`keeps at most ${MAX_LOG_LINES} console lines and says how many it dropped`, async () => {
    const result = (await run('for (let i = 0; i < 150; i++) console.log(i); return 1')) as {
      logs: string[];
    };
    expect(result.logs).toHaveLength(MAX_LOG_LINES);
    expect(result.logs[0]).toBe('0');
    expect(result.logs.at(-1)).toBe('… 51 more lines not kept');
  });

  it('a thrown exception is CodeError with message and line in the cause', async () => {
    const error = await failure('const x = 1;\n\nthrow new Error("boom");');
    expect(error.name).toBe('CodeError');
    expect(error.message).toBe('Error: boom (line 3, column 16)');
    expect(error.cause).toMatchObject({ name: 'Error', message: 'boom', line: 3 });
    const typeError = await failure('const o = null;\nreturn o.field;');
    expect(typeError.message).toMatch(/^TypeError: .*'field'.* \(line 2, column \d+\)$/);
  });

  it('a syntax error is refused with its line before it runs, and by the sandbox itself', async () => {
    const refused = await failure('const a = 1;\nreturn (a +;');
    expect(refused.name).toBe('InvalidConfig');
    expect(refused.message).toContain('source does not parse: Unexpected token at line 2, column 12');
    const error = await runInSandbox({
      source: 'const a = 1;\nreturn (a +;',
      args: {},
      // A bound only: the sandbox refuses the source before it runs (a loaded machine needs time to start it).
      timeoutMs: 10_000,
      memoryMb: 8,
    }).then(
      () => expect.unreachable(),
      (thrown: Error & { cause?: unknown }) => thrown,
    );
    expect(error.name).toBe('CodeError');
    expect(error.message).toBe('source does not parse: Unexpected token at line 2, column 12');
    expect(error.cause).toMatchObject({ name: 'SyntaxError', line: 2, column: 12 });
  });

  describe('attacks: each fails clearly and leaves the host and the next run unaffected', () => {
    const unreachable = [
      ['process', 'return process.env'],
      ['require', 'return require("fs").readFileSync("/etc/passwd", "utf8")'],
      ['host globalThis', 'return globalThis.process.mainModule'],
      ['constructor.constructor', 'return ({}).constructor.constructor("return process")().env'],
      ['constructor.constructor via a function', 'return (() => 0).constructor("return this")().process.env'],
      ['a template literal', 'return ({}).constructor.constructor(`return ${"pro" + "cess"}`)().env'],
      ['Unicode escapes', 'return \\u0070\\u0072\\u006f\\u0063\\u0065\\u0073\\u0073.env'],
      ['an escaped string for Function', 'return Function("return \\x70rocess")().env'],
      ['import()', 'return await import("node:fs")'],
      ['fetch', 'return await fetch("http://127.0.0.1/")'],
      ['timers', 'return setTimeout(() => 0, 1)'],
    ] as const;
    it.each(unreachable)('%s is not there', async (_name, source) => {
      const error = await failure(source);
      expect(error.name).toBe('CodeError');
      expect(error.message).toMatch(
        /not defined|undefined|cannot read|not a function|could not load|import/i,
      );
      await expectHealthy();
    });

    it('the sandbox global has no host object', async () => {
      const result = (await run(
        'return [typeof process, typeof require, typeof module, typeof Buffer, typeof setTimeout, typeof fetch, typeof WebAssembly]',
      )) as { output: string[] };
      expect(result.output).toEqual(Array(7).fill('undefined'));
    });

    it('prototype pollution through a returned __proto__ is refused; constructor stays data', async () => {
      const proto = await failure('return JSON.parse(\'{"a": {"__proto__": {"polluted": true}}}\')');
      expect(proto.name).toBe('CodeError');
      expect(proto.message).toContain('"__proto__" key at /a/__proto__');
      await expectHealthy();
      const ctor = (await run('return { constructor: { prototype: { polluted: true } } }')) as {
        output: Record<string, unknown>;
      };
      expect(Object.getPrototypeOf(ctor.output)).toBe(Object.prototype);
      expect(Object.hasOwn(ctor.output, 'constructor')).toBe(true);
      await expectHealthy();
    });

    it('polluting the sandbox’s own prototypes does not reach the next invocation', async () => {
      await run('Object.prototype.polluted = true; Array.prototype.map = null; return 1');
      await expect(run('return [({}).polluted ?? "clean", typeof [].map]')).resolves.toEqual({
        output: ['clean', 'function'],
        logs: [],
      });
      await expectHealthy();
    });

    it('an infinite loop is CodeTimeout', async () => {
      const error = await failure('while (true) {}', { timeoutMs: 200 });
      expect(error.name).toBe('CodeTimeout');
      expect(error.message).toBe('the code ran longer than timeoutMs (200 ms)');
      await expectHealthy();
    });

    it('an infinite loop after an await is CodeTimeout', async () => {
      const error = await failure('await null; for (;;) {}', { timeoutMs: 200 });
      expect(error.name).toBe('CodeTimeout');
      await expectHealthy();
    });

    it('a 1 GB allocation is CodeMemoryLimit', async () => {
      const error = await failure('const b = new ArrayBuffer(1024 * 1024 * 1024); return b.byteLength', {
        memoryMb: 16,
      });
      expect(error.name).toBe('CodeMemoryLimit');
      expect(error.message).toBe('the code needed more than memoryMb (16 MB)');
      await expectHealthy();
    });

    it('growing memory past memoryMb is CodeMemoryLimit', async () => {
      const error = await failure('const a = []; for (;;) a.push({ n: a.length, s: "x" + a.length });', {
        memoryMb: 8,
        timeoutMs: 10_000,
      });
      expect(error.name).toBe('CodeMemoryLimit');
      await expectHealthy();
    });

    it('deep recursion is a CodeError naming the stack overflow', async () => {
      const error = await failure('function down(n) { return down(n + 1) + 1; }\nreturn down(0);');
      expect(error.name).toBe('CodeError');
      expect(error.message).toMatch(/^stack overflow: the code recursed too deep \(line 1, column \d+\)$/);
      await expectHealthy();
    });

    it('a promise that never settles is CodeTimeout', async () => {
      const error = await failure('await new Promise(() => {}); return 1');
      expect(error.name).toBe('CodeTimeout');
      expect(error.message).toContain('never settles');
      await expectHealthy();
    });

    it.each([
      ['a function', 'return { f() {} }', 'the return value at /f is a function'],
      [
        'a cyclic object',
        'const a = { list: [] }; a.list.push(a); return a',
        'the return value at /list/0 refers back',
      ],
      ['undefined inside', 'return { a: undefined }', 'the return value at /a is undefined'],
      ['a symbol', 'return [Symbol("s")]', 'the return value at /0 is a symbol'],
      ['a bigint', 'return 10n', 'the return value is a bigint'],
      ['NaN', 'return { n: 0 / 0 }', 'the return value at /n is NaN'],
      ['a Map', 'return new Map([[1, 2]])', 'the return value is a Map'],
    ])('returning %s is a CodeError naming where', async (_name, source, message) => {
      const error = await failure(source);
      expect(error.name).toBe('CodeError');
      expect(error.message).toContain(message);
      await expectHealthy();
    });
  });

  it('the config has limits: timeoutMs 1–30000, memoryMb 1–128', async () => {
    await expect(run('return 1', { timeoutMs: 30_001 })).rejects.toMatchObject({ name: 'InvalidConfig' });
    await expect(run('return 1', { memoryMb: 129 })).rejects.toMatchObject({ name: 'InvalidConfig' });
    await expect(runAction(codeAction, task({ source: 'return 1' }))).resolves.toEqual({
      output: 1,
      logs: [],
    });
  });
});

describe('code syntax at save time', () => {
  it('accepts a body with return and await', () => {
    expect(syntaxProblem('const v = await args.p;\nreturn v;')).toBeUndefined();
  });

  it('a definition whose source does not parse is invalid, with the JSON pointer and the line', () => {
    const result = validateDefinition({
      name: 'bad-code',
      nodes: [
        { id: 'ok', type: 'action', action: 'log', config: { message: 'hi' } },
        {
          id: 'clean',
          type: 'action',
          action: 'code',
          dependencies: ['ok'],
          config: { source: 'const a = 1;\nreturn (a +;' },
        },
      ],
    });
    expect(result.valid).toBe(false);
    expect(result.errors).toEqual([
      {
        path: '/nodes/1/config/source',
        message: 'source does not parse: Unexpected token at line 2, column 12',
      },
    ]);
  });

  it('limits are validation errors with their pointer', () => {
    const result = validateDefinition({
      name: 'bad-limits',
      nodes: [{ id: 'c', type: 'action', action: 'code', config: { source: 'return 1', timeoutMs: 0 } }],
    });
    expect(result.errors.map((e) => e.path)).toEqual(['/nodes/0/config/timeoutMs']);
  });
});
