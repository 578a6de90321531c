import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TaskPayload } from '../../../lib/actions/action.ts';
import { compile } from '../../../lib/compiler/compile.ts';
import { runLocally } from '../../../lib/runtime/local/run-locally.ts';
import { definitionSchema } from '../../../lib/workflow/definition-schema.ts';
import { TEST_CONTEXT } from './fixtures.ts';

// The compiled machine through the project's local runner (aws-local-stepfunctions wrapper):
// the execution record has every node with a final status and timing, and the saga runs.

const root = join(import.meta.dirname, '../../..');
const execution = {
  id: 'e-1',
  startedAt: '2026-01-01T00:00:00.000Z',
  flowId: 'f-1',
  version: 1,
  trigger: { id: null, type: 'manual' },
};

describe('compiled machines in runLocally', () => {
  it('runs the DESIGN example with every node status and timing in dependency order', async () => {
    const definition = definitionSchema.parse(
      JSON.parse(readFileSync(join(root, 'test/fixtures/definitions/design-example.json'), 'utf8')),
    );
    const { asl } = compile(definition, TEST_CONTEXT);
    const calls: TaskPayload[] = [];
    const record = await runLocally(
      asl,
      { input: { orderId: 7, email: 'a@example.com' }, execution } as never,
      {
        timeScale: 0.001,
        invokeAction: async (payload) => {
          calls.push(payload);
          return payload.action === 'http'
            ? { status: 200, body: { status: 'shipped' } }
            : { messageId: 'm-1' };
        },
      },
    ).promise;
    expect(record.status).toBe('SUCCEEDED');
    expect(Object.fromEntries(Object.entries(record.nodes).map(([id, n]) => [id, n.status]))).toEqual({
      received: 'succeeded',
      nightly: 'succeeded',
      fetchOrder: 'succeeded',
      cool: 'succeeded',
      notify: 'succeeded',
      alert: 'skipped',
    });
    expect(calls.find((c) => c.nodeId === 'notify')?.config).toEqual({
      to: 'a@example.com',
      subject: 'Order 7',
      text: 'shipped',
    });
    const time = (id: string, field: 'startedAt' | 'finishedAt') =>
      Date.parse(record.nodes[id]?.[field] as string);
    expect(time('fetchOrder', 'finishedAt')).toBeLessThanOrEqual(time('cool', 'startedAt'));
    expect(time('cool', 'finishedAt')).toBeLessThanOrEqual(time('notify', 'startedAt'));
  });

  it('fails with the original error after compensating, and records every node', async () => {
    const definition = definitionSchema.parse(
      JSON.parse(readFileSync(join(root, 'test/fixtures/definitions/design-example.json'), 'utf8')),
    );
    const { asl } = compile(definition, TEST_CONTEXT);
    const calls: TaskPayload[] = [];
    const record = await runLocally(
      asl,
      { input: { orderId: 7, email: 'a@example.com' }, execution } as never,
      {
        timeScale: 0.001,
        invokeAction: async (payload) => {
          calls.push(payload);
          if (payload.action === 'email')
            throw Object.assign(new Error('mailbox full'), { name: 'MailboxFull' });
          return { status: 200, body: { status: 'shipped' } };
        },
      },
    ).promise;
    expect(record.status).toBe('FAILED');
    expect(record.error?.error).toBe('MailboxFull');
    expect(record.nodes.notify?.status).toBe('failed');
    // fetchOrder succeeded, so its compensation ran after the failure.
    expect(calls.at(-1)).toMatchObject({ nodeId: 'fetchOrder', action: 'http', config: { method: 'POST' } });
    for (const node of definition.nodes)
      expect(['succeeded', 'failed', 'skipped']).toContain(record.nodes[node.id]?.status);
  });
});
