import { afterAll, describe, expect, it } from 'vitest';
import type { AslDefinition } from '../../../lib/compiler/types.ts';
import { InterpreterThread, type MachineRunRequest } from '../../../lib/runtime/local/interpreter-thread.ts';
import { unpackJson } from '../../../lib/store/codec.ts';

/** A machine of one Pass state, node `mark`, whose output is the input's value with a mark. */
const passMachine = (mark: string): AslDefinition =>
  ({
    StartAt: 'mark',
    States: {
      mark: {
        Type: 'Pass',
        Parameters: {
          nodes: { mark: { status: 'succeeded', output: { 'value.$': '$.input.value', mark } } },
        },
        End: true,
      },
    },
  }) as unknown as AslDefinition;

const request = (asl: AslDefinition, value: number): MachineRunRequest => ({
  asl,
  input: { input: { value }, execution: { id: `e${value}` } } as unknown as MachineRunRequest['input'],
  options: { validate: 'none' },
  onWaitEntered: () => undefined,
  onNodesChanged: () => undefined,
});

/**
 * The interpreter thread keeps each machine's ASL after its first run (the ASL crosses threads
 * once); runs of one machine and of two machines each get their own ASL and input, also after the
 * thread was replaced.
 */
describe('InterpreterThread', () => {
  const thread = new InterpreterThread();
  afterAll(() => thread.close());

  it('runs one machine many times and two machines side by side, each with its own ASL', async () => {
    const a = passMachine('a');
    const b = passMachine('b');
    const results = await Promise.all(
      [request(a, 1), request(b, 2), request(a, 3), request(b, 4)].map((r) => thread.run(r).promise),
    );
    expect(results.map(({ record }) => [record.status, record.read().output])).toEqual([
      ['SUCCEEDED', { mark: { value: 1, mark: 'a' } }],
      ['SUCCEEDED', { mark: { value: 2, mark: 'b' } }],
      ['SUCCEEDED', { mark: { value: 3, mark: 'a' } }],
      ['SUCCEEDED', { mark: { value: 4, mark: 'b' } }],
    ]);
  });

  it('sends a known machine again to a new thread after the old one ended', async () => {
    const a = passMachine('again');
    await expect(thread.run(request(a, 5)).promise).resolves.toMatchObject({
      record: { status: 'SUCCEEDED' },
    });
    await thread.close();
    const { record } = await thread.run(request(a, 6)).promise;
    expect([record.status, record.read().output]).toEqual([
      'SUCCEEDED',
      { mark: { value: 6, mark: 'again' } },
    ]);
  });

  it('sends the final record as text, with its nodes packed for the store', async () => {
    const { record } = await thread.run(request(passMachine('text'), 7)).promise;
    const read = record.read();
    expect(JSON.parse(record.text)).toEqual(read);
    expect(Object.keys(read.nodes)).not.toHaveLength(0);
    expect(record.nodeCount).toBe(Object.keys(read.nodes).length);
    expect(unpackJson(record.packedNodes)).toEqual(read.nodes);
    // Each reader owns its copy.
    read.status = 'FAILED';
    expect(record.read().status).toBe('SUCCEEDED');
  });
});
