import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonReadError, MAX_JSON_DEPTH, readJson } from '../../../lib/security/json-reader.ts';
import { processQueueRecord } from '../../../lib/triggers/sqs-trigger.ts';
import { webhookInput } from '../../../lib/triggers/webhook-trigger.ts';

const nested = (depth: number, leaf = '0') => '['.repeat(depth) + leaf + ']'.repeat(depth);
const nestedObjects = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

describe('readJson (the one JSON reader of every entry point)', () => {
  it('reads what JSON.parse reads, for any JSON value within the limits', () => {
    const json = fc
      .jsonValue({ maxDepth: 20 })
      .filter((value) => !JSON.stringify(value).includes('__proto__'));
    fc.assert(
      fc.property(json, (value) => {
        const text = JSON.stringify(value);
        expect(readJson(text)).toEqual(JSON.parse(text));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses every nesting deeper than the limit and accepts every one up to it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 600 }), fc.boolean(), (depth, objects) => {
        const text = objects ? nestedObjects(depth) : nested(depth);
        if (depth <= MAX_JSON_DEPTH) expect(() => readJson(text)).not.toThrow();
        else expect(() => readJson(text)).toThrow(JsonReadError);
      }),
      { numRuns: 200 },
    );
    // Brackets inside strings are text, not nesting.
    expect(readJson(JSON.stringify({ s: '['.repeat(10_000) }))).toEqual({ s: '['.repeat(10_000) });
    expect(readJson(JSON.stringify({ s: '\\"[[[' }))).toEqual({ s: '\\"[[[' });
  });

  it('refuses numbers outside the doubles with the pointer, never turns them into null', () => {
    fc.assert(
      fc.property(fc.integer({ min: 309, max: 100_000 }), fc.boolean(), (exponent, negative) => {
        const text = `{"a":[1,{"b":${negative ? '-' : ''}1e${exponent}}]}`;
        expect(() => readJson(text)).toThrow(
          expect.objectContaining({ name: 'JsonReadError', path: '/a/1/b' }),
        );
      }),
    );
    // Tiny numbers round to 0 (a double), huge digit strings within range stay numbers.
    expect(readJson('[1e-400, 123456789012345678901234567890]')).toEqual([0, 1.2345678901234568e29]);
  });

  it('refuses __proto__ keys anywhere (they would be lost by the first copy) and keeps constructor/prototype', () => {
    expect(() => readJson('{"x":{"__proto__":{"admin":true}}}')).toThrow(
      expect.objectContaining({ path: '/x/__proto__' }),
    );
    expect(readJson('{"constructor":1,"prototype":{"a":2}}')).toEqual({
      constructor: 1,
      prototype: { a: 2 },
    });
  });

  it('reads any double in any JSON spelling exactly (-0, subnormals, the largest double, E notation), and refuses just past it', () => {
    const spellings = (value: number) => {
      if (Object.is(value, -0)) return ['-0', '-0e0', '-0.0E+5', '-0.000e-400'];
      const [mantissa = '0', exponent = '0'] = value.toExponential().split('e');
      const e = Number(exponent);
      return [
        JSON.stringify(value),
        `${mantissa}e${e}`,
        `${mantissa}E+${e}`.replace('+-', '-'),
        Object.is(value, -0) ? '-0' : String(value),
        `${mantissa.replace('.', '')}e${e - (mantissa.split('.')[1]?.length ?? 0)}`,
      ];
    };
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (value) => {
        for (const text of spellings(value)) expect(Object.is(readJson(text), value), text).toBe(true);
      }),
      { numRuns: 500 },
    );
    expect(readJson('[1.7976931348623157e308, -1.7976931348623157e308, 5e-324]')).toEqual([
      Number.MAX_VALUE,
      -Number.MAX_VALUE,
      Number.MIN_VALUE,
    ]);
    for (const past of ['1.7976931348623159e308', '-1.8e308', '17976931348623159' + '0'.repeat(292)])
      expect(() => readJson(`{"n":${past}}`), past).toThrow(expect.objectContaining({ path: '/n' }));
  });

  it('is not fooled by brackets, quotes and backslashes inside strings, at any size', () => {
    const tricky = fc.string({
      unit: fc.constantFrom('[', ']', '{', '}', '"', '\\', 'a', '\u2028', '\u0000'),
      maxLength: 2_000,
    });
    fc.assert(
      fc.property(
        fc.array(tricky, { maxLength: 50 }),
        fc.integer({ min: 0, max: MAX_JSON_DEPTH - 2 }),
        (strings, depth) => {
          // `depth` arrays, then the object and its array of strings: depth + 2 <= the limit.
          const text = nested(depth, JSON.stringify({ strings }));
          const value = readJson(text);
          let inner: unknown = value;
          for (let i = 0; i < depth; i++) inner = (inner as unknown[])[0];
          expect(inner).toEqual({ strings });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('reads wide documents at the depth limit (sizes are for the body limits, not the reader)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: 0, max: 2_000 }), (width, keys) => {
        // Three levels (the object, `map`, its arrays) under MAX_JSON_DEPTH - 3 arrays: exactly the limit.
        const wide = {
          list: Array.from({ length: width }, (_, i) => i),
          map: {
            deepest: [0],
            ...Object.fromEntries(Array.from({ length: keys }, (_, i) => [`k${i}`, [i]])),
          },
        };
        const text = nested(MAX_JSON_DEPTH - 3, JSON.stringify(wide));
        expect(() => readJson(text)).not.toThrow();
        expect(() => readJson(`[${text}]`)).toThrow(JsonReadError);
      }),
      { numRuns: 30 },
    );
  });

  it('keeps the SyntaxError of text that is not JSON', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        let parsed = true;
        try {
          JSON.parse(text);
        } catch {
          parsed = false;
        }
        if (!parsed) expect(() => readJson(text)).toThrow(SyntaxError);
      }),
    );
  });
});

describe('the reader at the webhook and queue entry points (issue 11 hostile JSON)', () => {
  it('a webhook body nested 5,000 deep is refused, not started and left RUNNING', () => {
    expect(() => webhookInput(nested(5000))).toThrow(
      expect.objectContaining({ name: 'InvalidTriggerEventError' }),
    );
    expect(webhookInput('not json')).toEqual({ raw: 'not json' });
  });

  it('a queue message with 1e309 in its input is refused before any lookup', async () => {
    const started: unknown[] = [];
    const deps = {
      getFlow: async () => {
        throw new Error('must not be looked up');
      },
      startExecution: async (request: unknown) => {
        started.push(request);
        return { executionId: 'x', status: 'RUNNING', alreadyStarted: false };
      },
    };
    await expect(
      processQueueRecord({ messageId: 'm1', body: '{"flowId":"f","input":{"n":1e309}}' }, deps),
    ).rejects.toMatchObject({ name: 'InvalidTriggerEventError', issues: [{ path: '/input/n' }] });
    expect(started).toEqual([]);
  });
});
