import { describe, expect, it } from 'vitest';
import { validateDefinition } from '../../../lib/workflow/validate-definition.ts';

const flow = (machineType: string | undefined, node: Record<string, unknown>) => ({
  name: 'm',
  ...(machineType ? { machineType } : {}),
  nodes: [
    { id: 'a', type: 'action', action: 'log', config: { message: 'x' } },
    { ...node, dependencies: ['a'] },
  ],
});

describe('machineType (DESIGN.md §2.1)', () => {
  it('accepts standard and express, and refuses anything else', () => {
    expect(
      validateDefinition(flow('standard', { id: 'b', type: 'operation', operation: 'noop' })).valid,
    ).toBe(true);
    expect(validateDefinition(flow('express', { id: 'b', type: 'operation', operation: 'noop' })).valid).toBe(
      true,
    );
    expect(validateDefinition(flow('EXPRESS', { id: 'b', type: 'operation', operation: 'noop' })).valid).toBe(
      false,
    );
  });

  it('refuses express for a node that can pass Express’s 5 minutes, naming the node', () => {
    const cases: Array<Record<string, unknown>> = [
      { id: 'slow', type: 'operation', operation: 'delay', config: { seconds: 301 } },
      { id: 'slow', type: 'operation', operation: 'delay', config: { until: '{{ input.at }}' } },
      {
        id: 'slow',
        type: 'action',
        action: 'http',
        config: { url: 'https://example.com/' },
        timeoutSeconds: 170,
        retry: { strategy: 'fixed', maxAttempts: 2, delaySeconds: 1 },
      },
    ];
    for (const node of cases) {
      const result = validateDefinition(flow('express', node));
      expect(result.valid).toBe(false);
      expect(result.errors).toContainEqual(
        expect.objectContaining({
          path: '/nodes/1',
          message: expect.stringMatching(/node "slow" needs a Standard/),
        }),
      );
      expect(validateDefinition(flow(undefined, node)).valid).toBe(true);
    }
    expect(
      validateDefinition(
        flow('express', { id: 'ok', type: 'operation', operation: 'delay', config: { seconds: 60 } }),
      ).valid,
    ).toBe(true);
  });
});
