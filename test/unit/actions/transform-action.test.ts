import { describe, expect, it } from 'vitest';
import type { ActionContext } from '../../../lib/actions/action.ts';
import { transformAction } from '../../../lib/actions/transform/index.ts';
import { transformConfigSchema } from '../../../lib/actions/transform/schema.ts';

const context: ActionContext = {
  nodeId: 't',
  attempt: 1,
  execution: { id: 'e', startedAt: '2026-01-01T00:00:00Z', flowId: 'f', version: 1 },
};
const data = {
  input: {
    orderId: 'o-1',
    items: [
      { sku: 'a', qty: 2, price: 5 },
      { sku: 'b', qty: 1, price: 7.5 },
    ],
  },
  nodes: { fetch: { status: 'succeeded', output: { status: 200, body: { name: 'Ann' } } } },
  execution: { id: 'e', flowId: 'f' },
};
const run = (expression: string, extra: Record<string, unknown> = {}) =>
  transformAction.run(transformConfigSchema.parse({ expression, data, ...extra }), context);
const failure = (expression: string, extra: Record<string, unknown> = {}) =>
  run(expression, extra).then(
    () => {
      throw new Error('expected failure');
    },
    (error: Error) => error,
  );

describe('transform action', () => {
  it('evaluates JSONata over { input, nodes, execution }', async () => {
    expect(await run('$sum(input.items.(qty * price))')).toBe(17.5);
    expect(
      await run('{ "id": input.orderId, "who": nodes.fetch.output.body.name, "run": execution.id }'),
    ).toEqual({
      id: 'o-1',
      who: 'Ann',
      run: 'e',
    });
    expect(await run('input.items[qty > 1].sku')).toBe('a');
  });

  it('returns null for no match and plain JSON arrays', async () => {
    expect(await run('input.nothing')).toBeNull();
    expect(await run('input.items.sku')).toEqual(['a', 'b']);
  });

  it('refuses a syntax error in the config schema (so at save time), and at run time as TransformError', async () => {
    const parsed = transformConfigSchema.safeParse({ expression: 'input.(', data });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toMatch(/does not parse at position \d+/);
    const error = await transformAction
      .run({ expression: 'input.(', data, timeoutMs: 1000, maxResultBytes: 1000 }, context)
      .catch((e: Error) => e);
    expect((error as Error).name).toBe('TransformError');
    expect((error as Error).message).toMatch(/does not parse/);
  });

  it('reports an evaluation error as TransformError', async () => {
    const error = await failure('$number("x") + $undefinedFn()');
    expect(error.name).toBe('TransformError');
  });

  it.each([
    'constructor.constructor("return process")()',
    'input.constructor.constructor("return process")()',
    '$string.constructor("return process")()',
    '$lookup($, "constructor")',
    'input.__proto__',
    '$.constructor.prototype',
    '$eval("1+1")',
    '$spread(input).constructor',
  ])('keeps the injection payload %s harmless', async (expression) => {
    const result = await run(expression).catch((error: Error) => error);
    if (result instanceof Error) expect(result.name).toBe('TransformError');
    else expect(result === null || typeof result !== 'function').toBe(true);
    expect(JSON.stringify(result ?? null)).not.toMatch(/process|function|native code/);
  });

  it('does not pollute prototypes', async () => {
    const out = await run(
      '$merge([{}, {"__proto__": {"polluted": true}}, {"constructor": {"prototype": {"polluted": true}}}])',
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect((out as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('stops an endless loop with TransformTimeout', async () => {
    const error = await failure('($f := function($n) { $n < 0 ? 0 : $f($n + 1) }; $f(0))', {
      timeoutMs: 100,
    });
    expect(error.name).toBe('TransformTimeout');
  });

  it('stops a long computation at the time limit', async () => {
    const error = await failure('$count([1..900000].($ * 2))', { timeoutMs: 50 });
    expect(error.name).toBe('TransformTimeout');
  });

  it('refuses a result over maxResultBytes', async () => {
    const error = await failure('[1..2000].("0123456789")', { maxResultBytes: 1000 });
    expect(error.name).toBe('TransformResultTooLarge');
  });
});
