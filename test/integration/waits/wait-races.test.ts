import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WaitStore } from '../../../lib/store/wait-store.ts';
import { LocalTaskTokens } from '../../../lib/waits/local-task-tokens.ts';
import { beginWait, sendEvent } from '../../../lib/waits/waits.ts';
import { startDynalite, type TestDynalite } from '../../support/dynalite.ts';

describe('a wait and two events racing (real conditional writes on dynalite)', () => {
  let dynalite: TestDynalite;
  let store: WaitStore;
  beforeAll(async () => {
    dynalite = await startDynalite();
    store = new WaitStore(dynalite.client, dynalite.tableName);
  });
  afterAll(() => dynalite.stop());

  it('completes the wait exactly once, with the event that won, however they interleave', async () => {
    const tokens = new LocalTaskTokens();
    const deps = {
      store,
      tokens,
      clock: () => new Date(),
      runNotify: async () => ({}),
      apiBaseUrl: 'http://127.0.0.1:1',
    };
    for (let trial = 0; trial < 12; trial++) {
      const key = `order-${trial}`;
      const execution = {
        id: `e-${trial}`,
        startedAt: '2026-12-01T10:00:00Z',
        flowId: 'f',
        version: 1,
        tenant: 't1',
      };
      const token = `local:t1:e-${trial}:paid`;
      const waiter = tokens.expect(token);
      const delivered: unknown[] = [];
      void waiter.answered.then((answer) => delivered.push(answer));
      const wait = () =>
        beginWait(deps, {
          nodeId: 'paid',
          operation: 'waitForEvent',
          config: { event: 'payment.completed', match: key, lookbackSeconds: 0 },
          execution,
          attempt: 1,
          taskToken: token,
        });
      const event = (n: number) => sendEvent(deps, 't1', { name: 'payment.completed', key, payload: { n } });
      // Vary who starts first so the registration lands before, between and after the events.
      const started =
        trial % 3 === 0
          ? Promise.all([wait(), event(1), event(2)])
          : trial % 3 === 1
            ? Promise.all([event(1), wait(), event(2)]).then(([a, w, b]) => [w, a, b] as const)
            : Promise.all([event(1), event(2), wait()]).then(([a, b, w]) => [w, a, b] as const);
      const [begun, first, second] = await started;
      const completions = (begun.answer ? 1 : 0) + first.matched + second.matched;
      expect(completions, `trial ${trial}`).toBe(1);
      const stored = await store.getWait('t1', execution.id, 'paid');
      expect(stored?.state).toBe('completed');
      const storedEventId = (stored?.answer as { output?: { eventId?: string } } | undefined)?.output
        ?.eventId;
      if (first.matched) expect(storedEventId).toBe(first.eventId);
      else if (second.matched) expect(storedEventId).toBe(second.eventId);
      else expect(begun.answer).toEqual(stored?.answer);
      // the token was answered at most once (by an event), never twice
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(delivered.length).toBe(begun.answer ? 0 : 1);
      waiter.dispose();
    }
  });
});
