import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  FileExecutionJournal,
  type PersistedExecution,
} from '../../../lib/runtime/local/execution-journal.ts';
import { FileWriterThread } from '../../../lib/runtime/local/file-writer.ts';
import { RecordJson, recordMessage } from '../../../lib/runtime/local/record-json.ts';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

const entry = (status: 'RUNNING' | 'SUCCEEDED', arn: string): PersistedExecution => ({
  executionArn: arn,
  name: arn,
  stateMachineArn: 'sm',
  versionArn: 'sm:1',
  input: { input: { n: 1 }, execution: { id: arn, startedAt: 'then', flowId: 'f', version: 1 } },
  record: { status, nodes: {} },
  redriveCount: 0,
  updatedAt: new Date(0).toISOString(),
});

describe('FileWriterThread', () => {
  it('saves journal entries from its own thread, in order, as the in-thread writer would', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flowforge-writer-'));
    dirs.push(dir);
    const writer = new FileWriterThread();
    const journal = new FileExecutionJournal(dir, writer.write);
    await Promise.all([
      journal.saveExecution(entry('RUNNING', 'a')),
      journal.saveExecution(entry('RUNNING', 'b')),
    ]);
    await journal.saveExecution(entry('SUCCEEDED', 'b'));
    await writer.close();
    // Read back by a journal that writes on this thread (what a restart does).
    const reader = new FileExecutionJournal(dir);
    expect((await reader.loadRunning()).map((e) => e.executionArn)).toEqual(['a']);
    expect((await reader.loadExecution('b'))?.record.status).toBe('SUCCEEDED');
    // The running log, rewritten by that load, names a alone.
    expect(await readFile(join(dir, 'running.log'), 'utf8')).toMatch(/^\+[0-9a-f]{32}\n$/);
    expect((await readdir(join(dir, 'executions'))).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it("answers a step that fails with the file system's error, and goes on with the next save", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flowforge-writer-'));
    dirs.push(dir);
    await writeFile(join(dir, 'executions'), 'a file where the directory should be');
    const writer = new FileWriterThread();
    const journal = new FileExecutionJournal(dir, writer.write);
    await expect(journal.saveExecution(entry('RUNNING', 'a'))).rejects.toMatchObject({ code: 'ENOTDIR' });
    await rm(join(dir, 'executions'));
    await journal.saveExecution(entry('RUNNING', 'a'));
    expect((await journal.loadExecution('a'))?.record.status).toBe('RUNNING');
    await writer.close();
  });

  it('splices a record given as text into its entry: the same entry as from the object', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flowforge-writer-'));
    dirs.push(dir);
    const journal = new FileExecutionJournal(dir);
    const record = {
      status: 'SUCCEEDED' as const,
      output: { ok: true },
      nodes: { a: { status: 'succeeded' as const, output: { n: 1 }, startedAt: 'x', finishedAt: 'y' } },
      startedAt: 'x',
      finishedAt: 'y',
    };
    const asText = RecordJson.fromMessage(recordMessage(record));
    await journal.saveExecution({ ...entry('RUNNING', 'text'), record: asText });
    await journal.saveExecution({ ...entry('RUNNING', 'object'), record });
    const text = await journal.loadExecution('text');
    expect(text).toEqual({ ...entry('RUNNING', 'text'), record });
    expect(text?.record).toEqual((await journal.loadExecution('object'))?.record);
    // Finished: no running marker is left for either.
    expect(await journal.loadRunning()).toEqual([]);
  });
});
