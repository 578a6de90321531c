import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  executionNameFor,
  SFN_NAME_PATTERN,
  stateMachineNameFor,
} from '../../../lib/runtime/execution-names.ts';

describe('executionNameFor', () => {
  it('keeps short safe keys readable', () => {
    expect(executionNameFor('api', '3f2a-77')).toBe('api-3f2a-77');
    expect(executionNameFor('queue', 'b7c1_9')).toBe('queue-b7c1_9');
  });

  it('hashes long or unsafe keys into a valid name, deterministically', () => {
    const unsafe = executionNameFor('webhook', 'msg 2KWP/BgLl:Afx');
    expect(unsafe).toMatch(SFN_NAME_PATTERN);
    expect(unsafe).toMatch(/^webhook-msg_2KWP_BgLl_Afx-[0-9a-f]{32}$/);
    expect(executionNameFor('webhook', 'msg 2KWP/BgLl:Afx')).toBe(unsafe);
    // Keys that sanitise alike still get different names.
    expect(executionNameFor('api', 'a b')).not.toBe(executionNameFor('api', 'a/b'));
    const long = executionNameFor('schedule', `nightly-${'x'.repeat(200)}`);
    expect(long.length).toBeLessThanOrEqual(80);
  });

  it('always gives a valid name, the same for the same key, different for different keys', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('api', 'webhook', 'schedule', 'queue' as const),
        fc.string({ maxLength: 300 }),
        fc.string({ maxLength: 300 }),
        (source, a, b) => {
          const name = executionNameFor(source, a);
          expect(name).toMatch(SFN_NAME_PATTERN);
          expect(executionNameFor(source, a)).toBe(name);
          if (a !== b) expect(executionNameFor(source, b)).not.toBe(name);
        },
      ),
    );
  });
});

describe('stateMachineNameFor', () => {
  it('names a flow machine under the prefix, within 80 characters', () => {
    expect(stateMachineNameFor('flowforge', 'acme', 'flow-1')).toBe('flowforge-acme-flow-1');
    const long = stateMachineNameFor('flowforge', 't'.repeat(100), '0b6c3a4e-8a8e-4f0e-9d55-5d2c0f0e7b11');
    expect(long).toMatch(SFN_NAME_PATTERN);
    expect(long.startsWith('flowforge-')).toBe(true);
  });
});
