import '../polyfills.ts';
import { StateMachine } from 'aws-local-stepfunctions';
import { INLINE_MAP_MAX_CONCURRENCY } from './aws-limits.ts';

/**
 * Holds every Inline Map to at most {@link INLINE_MAP_MAX_CONCURRENCY} (40) iterations at once, as
 * Step Functions does whatever `MaxConcurrency` / `MaxConcurrencyPath` ask for.
 *
 * Why: aws-local-stepfunctions runs a Map with p-limit(`MaxConcurrency`), so `MaxConcurrency: 100`
 * (or a `MaxConcurrencyPath` selecting 100) runs 100 iterations at once locally.
 *
 * How: a Map runs every iteration as `execute` of one iterator `StateMachine` (one per Map state
 * run); the root and every Parallel branch have a `StateMachine` of their own that runs once. So
 * at most 40 concurrent `execute` calls per `StateMachine` is exactly the Map cap and changes
 * nothing else. An iteration that waits for a slot starts when one frees, unless its run was
 * aborted meanwhile (then it never starts).
 */
const PATCHED = '__flowforgeInlineMapConcurrency';

type Execute = (
  input: unknown,
  options: { abortSignal?: AbortSignal },
  cleanup: () => void,
) => Promise<unknown>;

interface Slots {
  active: number;
  waiting: Array<() => void>;
}

const slotsOf = new WeakMap<object, Slots>();

const prototype = StateMachine.prototype as unknown as { execute: Execute; [PATCHED]?: true };
if (!prototype[PATCHED]) {
  const original = prototype.execute;
  prototype.execute = function execute(this: object, input, options, cleanup) {
    let slots = slotsOf.get(this);
    if (!slots) {
      slots = { active: 0, waiting: [] };
      slotsOf.set(this, slots);
    }
    const held = slots;
    const release = (): void => {
      held.active--;
      held.waiting.shift()?.();
    };
    const start = (): Promise<unknown> => {
      held.active++;
      const result = original.call(this, input, options, cleanup);
      result.then(release, release);
      return result;
    };
    if (held.active < INLINE_MAP_MAX_CONCURRENCY) return start();
    return new Promise((resolve, reject) => {
      held.waiting.push(() => {
        if (options?.abortSignal?.aborted) {
          cleanup();
          held.waiting.shift()?.();
          resolve(null);
          return;
        }
        start().then(resolve, reject);
      });
    });
  };
  prototype[PATCHED] = true;
}
