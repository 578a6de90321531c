import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ThrottledWriter } from '../../../lib/runtime/local/local-state-machines.ts';

/**
 * The journal writer of a running execution spaces its writes by the record's size: the event
 * loop's share spent on journaling a huge run stays that of a small one.
 */
describe('ThrottledWriter', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Times (ms after the start) of the writes made while `schedule()` is called every 10 ms for 10 s. */
  const writesOf = async (nodes: number): Promise<number[]> => {
    const times: number[] = [];
    const start = Date.now();
    const writer = new ThrottledWriter(
      async () => {
        times.push(Date.now() - start);
        return nodes;
      },
      200,
      (error) => {
        throw error;
      },
    );
    await writer.flush();
    for (let t = 0; t < 10_000; t += 10) {
      writer.schedule();
      await vi.advanceTimersByTimeAsync(10);
    }
    return times;
  };

  it('writes a record of up to 200 nodes at most every 200 ms', async () => {
    const times = await writesOf(200);
    expect(times.length).toBeGreaterThanOrEqual(45);
    expect(times.length).toBeLessThanOrEqual(51);
    for (let i = 1; i < times.length; i++)
      expect((times[i] as number) - (times[i - 1] as number)).toBeGreaterThanOrEqual(200);
  });

  it('writes a record of 5,000 nodes 25 times less often', async () => {
    const times = await writesOf(5000);
    // 200 ms × 5,000 / 200 = 5 s apart.
    expect(times).toEqual([0, 5000, 10_000]);
  });

  it('writes at once on flush, whatever the spacing', async () => {
    const times: number[] = [];
    const writer = new ThrottledWriter(
      async () => {
        times.push(Date.now());
        return 5000;
      },
      200,
      () => undefined,
    );
    await writer.flush();
    await writer.flush();
    expect(times).toHaveLength(2);
  });
});
