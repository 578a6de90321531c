import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalSqsJournal } from '../../../lib/triggers/local-sqs-journal.ts';

describe('the local trigger queue journal', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowforge-sqs-journal-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps what was sent and not deleted, ignores a torn last line, and remembers first ids after a reset', () => {
    const file = join(dir, 'a', 'journal.jsonl');
    const journal = new LocalSqsJournal(file);
    journal.sent({ id: 'm1', body: '{"n":1}', at: 1_000 });
    journal.sent({ id: 'm2', body: '{"n":2}', delaySeconds: 60, at: 2_000 });
    journal.deleted('m1');
    appendFileSync(file, '{"op":"sent","id":"m3","bo'); // the process died mid-write
    expect(new LocalSqsJournal(file).pending()).toEqual([
      { id: 'm2', body: '{"n":2}', delaySeconds: 60, at: 2_000 },
    ]);

    const restarted = new LocalSqsJournal(file);
    restarted.reset([{ id: 'm2-again', origin: 'm2', body: '{"n":2}', delaySeconds: 60, at: 2_000 }]);
    expect(restarted.originOf('m2-again')).toBe('m2');
    expect(restarted.originOf('fresh')).toBe('fresh');
    // What it holds now (a move to the DLQ asks before journaling a message twice).
    expect(restarted.holds('m2-again')).toBe(true);
    expect(restarted.holds('m2')).toBe(false);
    // Sent again once more after a second crash: still the first id.
    expect(new LocalSqsJournal(file).pending()).toEqual([
      { id: 'm2-again', origin: 'm2', body: '{"n":2}', delaySeconds: 60, at: 2_000 },
    ]);
  });

  it('gives what is left of a delay, never below 0 nor above the 15 minutes SQS allows', () => {
    const message = { id: 'm', body: '', delaySeconds: 60, at: 10_000 };
    expect(LocalSqsJournal.remainingDelay(message, 10_000)).toBe(60);
    expect(LocalSqsJournal.remainingDelay(message, 40_500)).toBe(30);
    expect(LocalSqsJournal.remainingDelay(message, 200_000)).toBe(0);
    expect(LocalSqsJournal.remainingDelay({ ...message, delaySeconds: 5_000 }, 10_000)).toBe(900);
  });
});
